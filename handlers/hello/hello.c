/*
 * hello.c - the smallest useful lambdabridge handler.
 *
 *	GET /hello            -> 200 "Hello, world!"
 *	GET /hello?name=Ada   -> 200 "Hello, Ada!"
 *
 * The greeting comes from the function's GREETING environment variable
 * (`environment = { GREETING = "Hello"; };` in conf/example.conf), so the
 * same module can be configured differently per function.
 *
 * Build: cc -shared -fPIC -I bridge/include $(pkg-config --cflags json-c) \
 *            -o hello.so hello.c -ljson-c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lambdabridge.h>

/* Exported handlers need a prototype (or -Wmissing-prototypes complains). */
lb_handler hello_handler;

/*
 * Returns the query parameter `name` of a payload 1.0 or 2.0 event, or NULL.
 * Both formats have "queryStringParameters": an object of strings, or null
 * (1.0) / absent (2.0) when there is no query string.  The string is
 * borrowed from the event.
 */
static const char *
query_param(json_object *event, const char *name)
{
	json_object *qs, *v;

	if (!json_object_object_get_ex(event, "queryStringParameters", &qs) ||
	    !json_object_is_type(qs, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(qs, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *
hello_handler(json_object *event, const lb_context *ctx)
{
	const char *greeting = getenv("GREETING");
	const char *name = query_param(event, "name");
	json_object *res, *headers;
	char body[256];

	(void)ctx; /* request id, deadline, ...: see the env test handler */
	if (greeting == NULL || *greeting == '\0')
		greeting = "Hello";
	if (name == NULL || *name == '\0')
		name = "world";
	snprintf(body, sizeof(body), "%s, %s!\n", greeting, name);

	/*
	 * An API Gateway proxy result: statusCode, headers, body.  Each
	 * json_object_object_add passes ownership of the value to `res`, and
	 * the bridge frees `res` after sending it: nothing to free here.
	 */
	res = json_object_new_object();
	headers = json_object_new_object();
	if (res == NULL || headers == NULL) {
		json_object_put(res);
		json_object_put(headers);
		return lb_error("OutOfMemory", "cannot build the result");
	}
	json_object_object_add(
	    headers, "content-type", json_object_new_string("text/plain"));
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "headers", headers);
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}
