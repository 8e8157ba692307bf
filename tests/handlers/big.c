/*
 * big.c - test handler: a result with a large body.
 *
 *	?bytes=N    body of N 'x' characters (default 7 MB: over Lambda's
 *	            6 MB response limit, Function.ResponseSizeTooLarge)
 */
#include <stdlib.h>
#include <string.h>

#include <lambdabridge.h>

lb_handler big_handler;

json_object *
big_handler(json_object *event, const lb_context *ctx)
{
	json_object *qs, *v, *res;
	long n = 7L * 1024 * 1024;
	char *body;

	(void)ctx;
	if (json_object_object_get_ex(event, "queryStringParameters", &qs) &&
	    json_object_object_get_ex(qs, "bytes", &v) &&
	    json_object_is_type(v, json_type_string))
		n = strtol(json_object_get_string(v), NULL, 10);
	if (n < 0 || n > 64L * 1024 * 1024)
		return lb_error("BadRequest", "bytes must be 0..64M");
	body = malloc((size_t)n + 1);
	if (body == NULL)
		return lb_error("OutOfMemory", "cannot allocate %ld bytes", n);
	memset(body, 'x', (size_t)n);
	body[n] = '\0';
	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(
	    res, "body", json_object_new_string_len(body, (int)n));
	free(body);
	return res;
}
