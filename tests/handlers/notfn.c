/*
 * notfn.c - a module whose "handler" is data, not code: `check` and a
 * worker must refuse it (tests/unit/test_worker.c, tests/integration
 * test_code.py).  notfn_handler and notfn_ifunc are real handlers beside it.
 */
#include <lambdabridge.h>

lb_handler notfn_handler;

/* Looks like a handler in a config; calling it would crash. */
const char notfn_data[] = "not code";
int notfn_counter = 1;

json_object *
notfn_handler(json_object *event, const lb_context *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_int(notfn_counter);
}

/* An IFUNC handler is code: its resolver picks the implementation. */
static json_object *
ifunc_impl(json_object *event, const lb_context *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_int(2);
}

static lb_handler *
ifunc_resolve(void)
{
	return ifunc_impl;
}

lb_handler notfn_ifunc __attribute__((ifunc("ifunc_resolve")));
