/*
 * badjson.c - test handler: results that are valid json-c objects but bad
 * (or odd) API Gateway proxy responses.
 *
 *	?mode=string     the JSON string "just a string"
 *	?mode=number     42
 *	?mode=array      [1,2,3]
 *	?mode=deep       arrays nested 10000 deep (the gateway's depth limit)
 *	?mode=wide       an object with 100000 members
 *	?mode=status     {"statusCode":"abc","body":"x"}
 *	?mode=bigstatus  {"statusCode":99999,"body":"x"}
 *	?mode=headers    {"statusCode":200,"headers":"not an object"}
 *	?mode=body       {"statusCode":200,"body":{"an":"object"}}
 *	?mode=utf8       a body with invalid UTF-8 bytes
 *	?mode=b64        isBase64Encoded true with a body that is not base64
 */
#include <stdio.h>
#include <string.h>

#include <lambdabridge.h>

lb_handler badjson_handler;

static json_object *
proxy(json_object *status, json_object *body)
{
	json_object *res = json_object_new_object();

	json_object_object_add(res, "statusCode", status);
	json_object_object_add(res, "body", body);
	return res;
}

json_object *
badjson_handler(json_object *event, const lb_context *ctx)
{
	json_object *qs, *v, *res;
	const char *mode = "string";

	(void)ctx;
	if (json_object_object_get_ex(event, "queryStringParameters", &qs) &&
	    json_object_object_get_ex(qs, "mode", &v) &&
	    json_object_is_type(v, json_type_string))
		mode = json_object_get_string(v);

	if (strcmp(mode, "number") == 0)
		return json_object_new_int(42);
	if (strcmp(mode, "array") == 0) {
		res = json_object_new_array();
		for (int i = 1; i <= 3; i++)
			json_object_array_add(res, json_object_new_int(i));
		return res;
	}
	if (strcmp(mode, "deep") == 0) {
		res = json_object_new_array();
		for (int i = 0; i < 10000; i++) {
			json_object *outer = json_object_new_array();

			json_object_array_add(outer, res);
			res = outer;
		}
		return res;
	}
	if (strcmp(mode, "wide") == 0) {
		char key[32];

		res = json_object_new_object();
		for (int i = 0; i < 100000; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			json_object_object_add(
			    res, key, json_object_new_int(i));
		}
		return res;
	}
	if (strcmp(mode, "status") == 0)
		return proxy(
		    json_object_new_string("abc"), json_object_new_string("x"));
	if (strcmp(mode, "bigstatus") == 0)
		return proxy(
		    json_object_new_int(99999), json_object_new_string("x"));
	if (strcmp(mode, "headers") == 0) {
		res = proxy(
		    json_object_new_int(200), json_object_new_string("x"));
		json_object_object_add(
		    res, "headers", json_object_new_string("not an object"));
		return res;
	}
	if (strcmp(mode, "body") == 0) {
		json_object *b = json_object_new_object();

		json_object_object_add(
		    b, "an", json_object_new_string("object"));
		return proxy(json_object_new_int(200), b);
	}
	if (strcmp(mode, "utf8") == 0)
		return proxy(json_object_new_int(200),
		    json_object_new_string("bad \xff\xfe utf-8"));
	if (strcmp(mode, "b64") == 0) {
		res = proxy(json_object_new_int(200),
		    json_object_new_string("!!! not base64 !!!"));
		json_object_object_add(
		    res, "isBase64Encoded", json_object_new_boolean(1));
		return res;
	}
	return json_object_new_string("just a string");
}
