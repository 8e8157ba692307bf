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

lb_handler error_handler;

json_object *
error_handler(json_object *event, const lb_context *ctx)
{
	json_object *qs, *v, *res;
	const char *mode = "lb_error";

	if (json_object_object_get_ex(event, "queryStringParameters", &qs) &&
	    json_object_object_get_ex(qs, "mode", &v) &&
	    json_object_is_type(v, json_type_string))
		mode = json_object_get_string(v);
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
