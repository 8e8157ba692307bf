/*
 * integ_initfail.c - a module that loads and exports its handler but whose
 * lb_init fails: every environment of its function fails to start
 * (tests/integration, group foundation).
 */
#include <stdio.h>

#include <lambdabridge.h>

lb_handler integ_initfail;

int
lb_init(void)
{
	fprintf(stderr, "integ_initfail: refusing to initialise\n");
	return 1;
}

json_object *
integ_initfail(json_object *event, const lb_context *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_string("init ran anyway");
}
