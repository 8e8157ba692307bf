/*
 * initfail.c - test handler whose lb_init fails: every environment of its
 * function fails to start (Runtime.InitError).
 */
#include <stdio.h>

#include <lambdabridge.h>

lb_handler initfail_handler;

int
lb_init(void)
{
	fprintf(stderr, "initfail: refusing to initialise\n");
	lb_error("InitFailure", "initfail refuses to initialise");
	return 1;
}

json_object *
initfail_handler(json_object *event, const lb_context *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_string("init ran anyway");
}
