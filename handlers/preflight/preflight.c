/*
 * preflight.c - answers CORS preflights for a REST API, the way the API
 * Gateway console's "Enable CORS" does with a MOCK integration: route
 * `OPTIONS /{proxy+}` (and `OPTIONS /` if needed) to it.  An HTTP API does
 * not need it: gateway.cors answers preflights itself
 * (docs/configuration.md, "CORS").
 *
 *	OPTIONS /anything  -> 200, empty body, with
 *	    Access-Control-Allow-Origin   $CORS_ALLOW_ORIGIN  (default "*")
 *	    Access-Control-Allow-Methods  $CORS_ALLOW_METHODS (default
 *	        "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT")
 *	    Access-Control-Allow-Headers  $CORS_ALLOW_HEADERS (default the
 *	        console's "Content-Type,X-Amz-Date,Authorization,X-Api-Key,
 *	        X-Amz-Security-Token")
 *	    Access-Control-Max-Age        $CORS_MAX_AGE, when set
 *	    Access-Control-Allow-Credentials $CORS_ALLOW_CREDENTIALS, when set
 *
 * A variable set to the empty string leaves its header out (what API
 * Gateway's mock integration does for a value SAM's Cors does not give;
 * `lambdabridge import` writes such functions).
 *
 * The other responses of a REST API carry CORS headers only when the
 * function returns them, and gateway errors only through gateway_responses
 * (DEFAULT_4XX / DEFAULT_5XX headers), as on AWS.
 *
 * Build: cc -shared -fPIC -I bridge/include $(pkg-config --cflags json-c) \
 *            -o preflight.so preflight.c -ljson-c
 */
#include <stdlib.h>

#include <lambdabridge.h>

lb_handler preflight_handler;

/* Adds header `name` from environment variable `var`, else `def`; none
 * when that is NULL or the variable is set to "". */
static void
add_from_env(
    json_object *headers, const char *name, const char *var, const char *def)
{
	const char *v = getenv(var);

	if (v == NULL)
		v = def;
	if (v != NULL && *v != '\0')
		json_object_object_add(
		    headers, name, json_object_new_string(v));
}

json_object *
preflight_handler(json_object *event, const lb_context *ctx)
{
	json_object *res, *headers;

	(void)event;
	(void)ctx;
	res = json_object_new_object();
	headers = json_object_new_object();
	if (res == NULL || headers == NULL) {
		json_object_put(res);
		json_object_put(headers);
		return lb_error("OutOfMemory", "cannot build the result");
	}
	add_from_env(
	    headers, "Access-Control-Allow-Origin", "CORS_ALLOW_ORIGIN", "*");
	add_from_env(headers, "Access-Control-Allow-Methods",
	    "CORS_ALLOW_METHODS", "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT");
	add_from_env(headers, "Access-Control-Allow-Headers",
	    "CORS_ALLOW_HEADERS",
	    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,"
	    "X-Amz-Security-Token");
	add_from_env(headers, "Access-Control-Max-Age", "CORS_MAX_AGE", NULL);
	add_from_env(headers, "Access-Control-Allow-Credentials",
	    "CORS_ALLOW_CREDENTIALS", NULL);
	json_object_object_add(headers, "Content-Type",
	    json_object_new_string("application/json"));
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "headers", headers);
	json_object_object_add(res, "body", json_object_new_string(""));
	return res;
}
