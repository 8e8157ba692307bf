/*
 * devx_body.c - lb_event_body as a handler sees it (group devx): answers
 * "LEN HEX" of the decoded body, or "none ERRNO" when there is none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <lambdabridge.h>

#if !defined(LB_ABI_MINOR) || LB_ABI_MINOR < 1
#error "lb_event_body needs LB_ABI_MINOR 1"
#endif

lb_handler devx_body;

json_object *
devx_body(json_object *event, const lb_context *ctx)
{
	json_object *res = json_object_new_object();
	size_t len = 0;
	const char *b;
	char *text;

	(void)ctx;
	errno = 0;
	b = lb_event_body(event, &len);
	text = malloc(len * 2 + 32);
	if (res == NULL || text == NULL) {
		json_object_put(res);
		free(text);
		return lb_error("OutOfMemory", "no memory");
	}
	if (b == NULL) {
		snprintf(text, 32, "none %s",
		    errno == ENOENT       ? "ENOENT"
		        : errno == EINVAL ? "EINVAL"
		                          : "other");
	} else {
		int n = snprintf(text, 32, "%zu ", len);

		for (size_t i = 0; i < len; i++)
			n += snprintf(text + n, 3, "%02x", (unsigned char)b[i]);
	}
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body", json_object_new_string(text));
	free(text);
	return res;
}
