/*
 * env.c - test handler: returns what the environment looks like from the
 * inside, as the JSON body of a 200:
 *
 *	{"pid": P, "environment": {every environment variable},
 *	 "context": {"aws_request_id", "function_name", "function_version",
 *	             "invoked_function_arn", "log_group_name",
 *	             "log_stream_name", "memory_limit_in_mb", "deadline_ms"},
 *	 "remaining_ms": R, "trace_id": _X_AMZN_TRACE_ID or null,
 *	 "cwd": "..."}
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

lb_handler env_handler;

extern char **environ;

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(
	    o, k, v != NULL ? json_object_new_string(v) : NULL);
}

json_object *
env_handler(json_object *event, const lb_context *ctx)
{
	json_object *out = json_object_new_object();
	json_object *env = json_object_new_object();
	json_object *c = json_object_new_object();
	json_object *res;
	char cwd[PATH_MAX];

	(void)event;
	for (char **e = environ; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char key[256];
		size_t kl;

		if (eq == NULL)
			continue;
		kl = (size_t)(eq - *e);
		if (kl >= sizeof(key))
			continue;
		memcpy(key, *e, kl);
		key[kl] = '\0';
		add_str(env, key, eq + 1);
	}
	add_str(c, "aws_request_id", ctx->aws_request_id);
	add_str(c, "function_name", ctx->function_name);
	add_str(c, "function_version", ctx->function_version);
	add_str(c, "invoked_function_arn", ctx->invoked_function_arn);
	add_str(c, "log_group_name", ctx->log_group_name);
	add_str(c, "log_stream_name", ctx->log_stream_name);
	json_object_object_add(c, "memory_limit_in_mb",
	    json_object_new_int(ctx->memory_limit_in_mb));
	json_object_object_add(
	    c, "deadline_ms", json_object_new_int64(ctx->deadline_ms));

	json_object_object_add(out, "pid", json_object_new_int(getpid()));
	json_object_object_add(out, "environment", env);
	json_object_object_add(out, "context", c);
	json_object_object_add(out, "remaining_ms",
	    json_object_new_int64(lb_remaining_time_ms(ctx)));
	add_str(out, "trace_id", getenv("_X_AMZN_TRACE_ID"));
	add_str(out, "cwd", getcwd(cwd, sizeof(cwd)));

	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	add_str(res, "body",
	    json_object_to_json_string_ext(
	        out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	return res;
}
