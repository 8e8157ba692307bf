/*
 * env_initfail.c - a module whose lb_init fails (tests/unit/test_env.c).
 */
#include <stdio.h>

#include <lambdabridge.h>

lb_handler env_never;

int
lb_init(void)
{
	fprintf(stderr, "init is failing on purpose\n");
	lb_error("ConfigError", "no database configured");
	return 1;
}

json_object *
env_never(json_object *event, const lb_context *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_string("unreachable");
}
