/*
 * pin.c - a module that tests replace in place (tests/integration
 * test_code.py): pin_handler answers 200 with PIN_VERSION.  Built three
 * times, the same handler in other code: pin.so ("a"), pin_b.so ("b") and
 * pin_initfail.so, whose lb_init fails (the Makefile's PIN_VARIANTS).
 */
#include <lambdabridge.h>

#ifndef PIN_VERSION
#define PIN_VERSION "a"
#endif

lb_handler pin_handler;

#ifdef PIN_INITFAIL
int lb_init(void);

int
lb_init(void)
{
	lb_error("PinInitError", "this version cannot initialise");
	return 1;
}
#endif

json_object *
pin_handler(json_object *event, const lb_context *ctx)
{
	json_object *res = json_object_new_object();

	(void)event;
	(void)ctx;
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(
	    res, "body", json_object_new_string(PIN_VERSION));
	return res;
}
