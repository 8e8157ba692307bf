/*
 * runtime.c - the handler runtime helpers of lambdabridge.h.  They live in
 * the lambdabridge binary (linked with -rdynamic) and run inside a worker,
 * which is single-threaded and runs one invocation at a time, so the state
 * of the current invocation is a plain static.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/ids.h"
#include "lambdabridge.h"
#include "lambda/runtime.h"

static struct {
	int set;
	char type[128];
	char message[4096];
} last_error;

/* The bodies lb_event_body decoded during this invocation (a handler may
 * ask more than once, or for an authorizer's event and its own). */
static struct {
	char **bufs;
	size_t n, cap;
} decoded;

void
lb_runtime_end(void)
{
	int saved = errno;

	for (size_t i = 0; i < decoded.n; i++)
		free(decoded.bufs[i]);
	decoded.n = 0;
	errno = saved;
}

void
lb_runtime_begin(void)
{
	lb_runtime_end();
	last_error.set = 0;
	last_error.type[0] = '\0';
	last_error.message[0] = '\0';
}

int
lb_runtime_error(const char **type, const char **message)
{
	if (!last_error.set)
		return 0;
	*type = last_error.type;
	*message = last_error.message;
	return 1;
}

int64_t
lb_remaining_time_ms(const lb_context *ctx)
{
	int64_t left;

	if (ctx == NULL)
		return 0;
	left = ctx->deadline_ms - lb_now_ms();
	return left > 0 ? left : 0;
}

json_object *
lb_error(const char *error_type, const char *fmt, ...)
{
	va_list ap;

	snprintf(last_error.type, sizeof(last_error.type), "%s",
	    error_type != NULL && *error_type != '\0' ? error_type
	                                              : "Function.Error");
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(
		    last_error.message, sizeof(last_error.message), fmt, ap);
		va_end(ap);
	} else {
		last_error.message[0] = '\0';
	}
	last_error.set = 1;
	return NULL;
}

/* Keeps buf until lb_runtime_end; frees it and returns -1 when it cannot. */
static int
keep_decoded(char *buf)
{
	if (decoded.n == decoded.cap) {
		size_t cap = decoded.cap ? decoded.cap * 2 : 4;
		char **nb = realloc(decoded.bufs, cap * sizeof(*nb));

		if (nb == NULL) {
			free(buf);
			return -1;
		}
		decoded.bufs = nb;
		decoded.cap = cap;
	}
	decoded.bufs[decoded.n++] = buf;
	return 0;
}

const char *
lb_event_body(const struct json_object *event, size_t *len)
{
	struct json_object *body, *b64;
	const char *text;
	size_t n;
	long out;
	char *buf;

	if (len != NULL)
		*len = 0;
	if (event == NULL || !json_object_object_get_ex(event, "body", &body) ||
	    !json_object_is_type(body, json_type_string)) {
		errno = ENOENT;
		return NULL;
	}
	text = json_object_get_string((struct json_object *)body);
	n = (size_t)json_object_get_string_len(body);
	if (!json_object_object_get_ex(event, "isBase64Encoded", &b64) ||
	    !json_object_is_type(b64, json_type_boolean) ||
	    !json_object_get_boolean(b64)) {
		if (len != NULL)
			*len = n;
		return text;
	}
	buf = malloc(n / 4 * 3 + 4);
	if (buf == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	out = lb_b64_decode(text, n, buf);
	if (out < 0) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	buf[out] = '\0';
	if (keep_decoded(buf) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (len != NULL)
		*len = (size_t)out;
	return buf;
}
