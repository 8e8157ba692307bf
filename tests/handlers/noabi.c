/*
 * noabi.c - test module built WITHOUT lambdabridge.h: it has no
 * lb_abi_version stamp, so the bridge must refuse to load it
 * (Runtime.ImportModuleError) although it exports its handler.
 */
#include <json-c/json.h>

json_object *noabi_handler(json_object *event, const void *ctx);

json_object *
noabi_handler(json_object *event, const void *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_string("should never run");
}
