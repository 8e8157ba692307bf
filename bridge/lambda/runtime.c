/*
 * runtime.c - the handler runtime helpers of lambdabridge.h.  They live in
 * the lambdabridge binary (linked with -rdynamic) and run inside a worker,
 * which is single-threaded and runs one invocation at a time, so the state
 * of the current invocation is a plain static.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "lambdabridge.h"
#include "lambda/runtime.h"

static struct {
	int set;
	char type[128];
	char message[4096];
} last_error;

void
lb_runtime_begin(void)
{
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
