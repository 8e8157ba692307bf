/*
 * badabi.c - test module stamped with a handler ABI this lambdabridge does
 * not speak (999): the bridge must refuse to load it.  It cannot include
 * lambdabridge.h, whose (weak) stamp would clash with this one.
 */
#include <json-c/json.h>

extern const int lb_abi_version;
__attribute__((visibility("default"))) const int lb_abi_version = 999;

json_object *badabi_handler(json_object *event, const void *ctx);

json_object *
badabi_handler(json_object *event, const void *ctx)
{
	(void)event;
	(void)ctx;
	return json_object_new_string("should never run");
}
