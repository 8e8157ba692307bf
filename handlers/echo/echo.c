/*
 * echo.c - two handlers that answer with what they received.
 *
 * echo_handler returns the event itself, as the JSON body of a 200:
 *
 *	curl -d 'hi' localhost/echo/a/b?x=1
 *
 * shows exactly what API Gateway (here: lambdabridge) put in the event:
 * useful to see payload 1.0 vs 2.0, headers, path parameters, base64 bodies.
 *
 * echo_body_handler returns the request's body, byte for byte, with the
 * request's Content-Type (`make bench` uses it: a bare FastCGI echo program
 * returns the same bytes).
 */
#include <lambdabridge.h>

lb_handler echo_handler;
lb_handler echo_body_handler;

/* A 200 with a content-type header and `body`, which it takes over. */
static json_object *
reply(const char *content_type, json_object *body, int base64)
{
	json_object *res = json_object_new_object();
	json_object *headers = json_object_new_object();

	if (res == NULL || headers == NULL || body == NULL) {
		json_object_put(res);
		json_object_put(headers);
		json_object_put(body);
		return lb_error("OutOfMemory", "cannot build the result");
	}
	json_object_object_add(
	    headers, "content-type", json_object_new_string(content_type));
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "headers", headers);
	json_object_object_add(res, "body", body);
	if (base64)
		json_object_object_add(
		    res, "isBase64Encoded", json_object_new_boolean(1));
	return res;
}

json_object *
echo_handler(json_object *event, const lb_context *ctx)
{
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
	return reply(
	    "application/json", json_object_new_string_len(text, (int)len), 0);
}

json_object *
echo_body_handler(json_object *event, const lb_context *ctx)
{
	json_object *body, *headers, *type, *b64;
	const char *content_type = "application/octet-stream";

	(void)ctx;
	/* payload 2.0 lowercases header names; 1.0 keeps the client's */
	if (json_object_object_get_ex(event, "headers", &headers) &&
	    (json_object_object_get_ex(headers, "content-type", &type) ||
	        json_object_object_get_ex(headers, "Content-Type", &type)) &&
	    json_object_is_type(type, json_type_string))
		content_type = json_object_get_string(type);
	/* the event is borrowed: take a reference to share its body */
	if (json_object_object_get_ex(event, "body", &body) &&
	    json_object_is_type(body, json_type_string))
		body = json_object_get(body);
	else
		body = json_object_new_string("");
	return reply(content_type, body,
	    json_object_object_get_ex(event, "isBase64Encoded", &b64) &&
	        json_object_get_boolean(b64));
}
