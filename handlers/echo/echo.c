/*
 * echo.c - returns the event it received, as the JSON body of a 200.
 *
 *	curl -d 'hi' localhost/echo/a/b?x=1
 *
 * shows exactly what API Gateway (here: lambdabridge) put in the event:
 * useful to see payload 1.0 vs 2.0, headers, path parameters, base64 bodies.
 */
#include <lambdabridge.h>

lb_handler echo_handler;

json_object *
echo_handler(json_object *event, const lb_context *ctx)
{
	json_object *res, *headers;
	const char *text;
	size_t len;

	(void)ctx;
	/*
	 * The event is borrowed: serialise it (the string belongs to `event`
	 * and lives until the event is freed, after we return) and copy the
	 * text into the result's body.
	 */
	text = json_object_to_json_string_length(event,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text == NULL)
		return lb_error("OutOfMemory", "cannot serialise the event");

	res = json_object_new_object();
	headers = json_object_new_object();
	if (res == NULL || headers == NULL) {
		json_object_put(res);
		json_object_put(headers);
		return lb_error("OutOfMemory", "cannot build the result");
	}
	json_object_object_add(headers, "content-type",
	    json_object_new_string("application/json"));
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "headers", headers);
	json_object_object_add(
	    res, "body", json_object_new_string_len(text, (int)len));
	return res;
}
