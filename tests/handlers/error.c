/*
 * error.c - test handler: function errors.
 *
 *	?mode=lb_error (default)  return lb_error("ValidationError", ...)
 *	?mode=null                return NULL without lb_error
 *	?mode=ignored             call lb_error but return a 200 anyway (the
 *	                          result wins, as in Lambda)
 */
#include <string.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler error_handler;

json_object *
error_handler(json_object *event, const lb_context *ctx)
{
	json_object *res;
	const char *mode = th_query(event, "mode");

	if (mode == NULL)
		mode = "lb_error";
	if (strcmp(mode, "null") == 0)
		return NULL;
	if (strcmp(mode, "ignored") == 0) {
		lb_error("Ignored", "this error is ignored");
		res = json_object_new_object();
		json_object_object_add(
		    res, "statusCode", json_object_new_int(200));
		json_object_object_add(
		    res, "body", json_object_new_string("ok"));
		return res;
	}
	return lb_error("ValidationError", "bad request '%s' (\"quoted\")",
	    ctx->aws_request_id);
}
