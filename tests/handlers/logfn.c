/*
 * logfn.c - test handler for the logs group: writes the request body's
 * lines to stdout as they are (what a function logs), then answers 200
 * with {"request_id", "format": AWS_LAMBDA_LOG_FORMAT, "level":
 * AWS_LAMBDA_LOG_LEVEL} (null when unset).
 *
 *	?fail=1   return lb_error("LogTestError", "failed on purpose") instead
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler logfn_handler;

static json_object *
env_str(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? json_object_new_string(v) : NULL;
}

json_object *
logfn_handler(json_object *event, const lb_context *ctx)
{
	const char *body = th_field(event, "body");
	const char *fail = th_query(event, "fail");
	json_object *out;

	if (body != NULL && body[0] != '\0') {
		fputs(body, stdout);
		if (body[strlen(body) - 1] != '\n')
			fputc('\n', stdout);
		fflush(stdout);
	}
	if (fail != NULL)
		return lb_error("LogTestError", "failed on purpose");
	out = json_object_new_object();
	json_object_object_add(
	    out, "request_id", json_object_new_string(ctx->aws_request_id));
	json_object_object_add(out, "format", env_str("AWS_LAMBDA_LOG_FORMAT"));
	json_object_object_add(out, "level", env_str("AWS_LAMBDA_LOG_LEVEL"));
	return th_json_200(out);
}
