/*
 * big.c - test handler: a result with a large body.
 *
 *	?bytes=N    body of N 'x' characters (default 7 MB: over Lambda's
 *	            6 MB response limit, Function.ResponseSizeTooLarge)
 */
#include <stdlib.h>
#include <string.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler big_handler;

json_object *
big_handler(json_object *event, const lb_context *ctx)
{
	json_object *res;
	const char *bytes = th_query(event, "bytes");
	long n = bytes != NULL ? strtol(bytes, NULL, 10) : 7L * 1024 * 1024;
	char *body;

	(void)ctx;
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
