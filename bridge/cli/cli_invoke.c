/*
 * cli_invoke.c - `lambdabridge invoke -c FILE [--env-vars FILE] [--http]
 * FUNCTION [EVENT.json|-]`: runs one event through a function in a real
 * execution environment and prints the result JSON (or, as Lambda does,
 * the error JSON) on stdout, or with --http the response a client would
 * get; the function's logs and START/END/REPORT go to stderr.  Without an
 * event argument the event is stdin when stdin is not a terminal (piped),
 * else {}.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "config.h"
#include "lambda/env.h"
#include "lambda/frame.h"
#include "base/ids.h"
#include "base/log.h"
#include "lambda/sandbox.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: lambdabridge invoke -c FILE [--env-vars FILE] [--http] "
	    "FUNCTION [EVENT.json|-]\n"
	    "  the event: EVENT.json, - or a pipe for stdin, else {}\n");
}

/* Reads all of `f` up to `max` bytes into a new NUL-terminated buffer. */
static char *
read_event(FILE *f, size_t max, size_t *len, char *err, size_t errlen)
{
	char *buf = lb_cli__read_all(f, max, len);

	if (buf != NULL)
		return buf;
	if (errno == EFBIG)
		snprintf(err, errlen,
		    "the event is over %zu bytes (Lambda's payload limit)",
		    max);
	else if (errno == ENOMEM)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "%s", strerror(errno));
	return NULL;
}

/* Checks that text is one JSON value, as Lambda's Invoke API does. */
static int
valid_json(const char *text, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	json_object *o;
	enum json_tokener_error e;
	int rc = 0;

	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	if (e != json_tokener_success) {
		snprintf(err, errlen, "%s",
		    e == json_tokener_continue ? "incomplete JSON"
		                               : json_tokener_error_desc(e));
		rc = -1;
	} else {
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (strchr(" \t\r\n", text[i]) == NULL) {
				snprintf(err, errlen, "trailing data");
				rc = -1;
				break;
			}
	}
	json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

/*
 * The event: the file, stdin for "-" or when stdin is piped (empty: {}),
 * else {}.  A new buffer, or NULL after saying why.
 */
static char *
load_event(const char *event_path, size_t *len)
{
	FILE *f;
	char err[256], *event;
	const char *name = event_path != NULL ? event_path : "-";

	if (event_path == NULL && isatty(STDIN_FILENO))
		event_path = "";
	if (event_path != NULL && *event_path == '\0') {
		*len = 2;
		if ((event = strdup("{}")) == NULL)
			fprintf(stderr, "lambdabridge: out of memory\n");
		return event;
	}
	f = event_path == NULL || strcmp(event_path, "-") == 0
	    ? stdin
	    : fopen(event_path, "r");
	if (f == NULL) {
		fprintf(stderr, "lambdabridge: cannot open '%s': %s\n",
		    event_path, strerror(errno));
		return NULL;
	}
	event = read_event(f, LB_FRAME_PAYLOAD_LIMIT, len, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (event == NULL) {
		fprintf(
		    stderr, "lambdabridge: cannot read '%s': %s\n", name, err);
		return NULL;
	}
	/* nothing piped (</dev/null): no event, as without the argument */
	if (event_path == NULL && strspn(event, " \t\r\n") == *len) {
		free(event);
		return load_event("", len);
	}
	return event;
}

/*
 * An environment that failed to initialise never ran the invocation, so
 * no START/END/REPORT came from it: print them as Lambda does for an
 * invocation that met an init error, with its status and error type.
 */
static void
init_error_report(const struct lb_function *f, const char *rid,
    const struct lb_invoke_result *res, double ms)
{
	fprintf(stderr,
	    "START RequestId: %s Version: %s\n"
	    "END RequestId: %s\n"
	    "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: "
	    "%lld ms\tMemory Size: %d MB\tMax Memory Used: 0 MB\tStatus: "
	    "error\tError Type: %s\n",
	    rid, f->version, rid, rid, ms, (long long)(ms + 0.999999),
	    f->memory,
	    res->error_type[0] ? res->error_type : "Runtime.Unknown");
	fprintf(stderr, "lambdabridge: the environment did not start: %s: %s\n",
	    res->error_type, res->error_message);
}

/* The result (or error) JSON, as Lambda's Invoke API returns it. */
static void
print_result(const struct lb_invoke_result *res)
{
	json_object *o;

	if (res->payload != NULL) {
		fwrite(res->payload, 1, res->payload_len, stdout);
		fputc('\n', stdout);
		return;
	}
	if (res->status == LB_INVOKE_OK)
		return;
	o = json_object_new_object();
	json_object_object_add(
	    o, "errorMessage", json_object_new_string(res->error_message));
	json_object_object_add(
	    o, "errorType", json_object_new_string(res->error_type));
	printf("%s\n",
	    json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int
lb_cli_invoke(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env-vars", required_argument, NULL, 'n' },
		{ "http", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *event_path = NULL, *fname;
	const char *env_vars = NULL;
	struct lb_config *cfg = NULL;
	struct lb_envs *envs = NULL;
	struct lb_invoke_request rq;
	struct lb_invoke_result res;
	char err[1024], rid[LB_IDS_UUID_LEN + 1], trace[LB_IDS_TRACE_LEN + 1];
	char *event = NULL;
	size_t event_len = 0;
	int fidx, opt, status = 1, http = 0;
	int64_t t0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'n': env_vars = optarg; break;
		case 'H': http = 1; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (config_path == NULL || optind >= argc || argc - optind > 2) {
		usage();
		return 2;
	}
	fname = argv[optind];
	if (argc - optind == 2)
		event_path = argv[optind + 1];
	lb_log_init(LB_LOG_INFO, 0);

	if ((event = load_event(event_path, &event_len)) == NULL)
		return 2;
	if (valid_json(event, event_len, err, sizeof(err)) < 0) {
		fprintf(stderr,
		    "lambdabridge: the event is not valid JSON: %s\n", err);
		status = 2;
		goto out;
	}

	cfg = lb_config_load(config_path, NULL, err, sizeof(err));
	if (cfg != NULL &&
	    lb_config_check_users(
	        cfg, lb_sandbox_privileged(), err, sizeof(err)) < 0) {
		lb_config_free(cfg);
		cfg = NULL;
	}
	if (cfg == NULL) {
		fprintf(stderr, "lambdabridge: %s\n", err);
		status = 2;
		goto out;
	}
	fidx = lb_config_function_index(cfg, fname);
	if (fidx < 0) {
		fprintf(stderr, "lambdabridge: %s: no function '%s'\n",
		    config_path, fname);
		status = 2;
		goto out;
	}
	if (env_vars != NULL &&
	    lb_cli__env_vars_apply(
	        env_vars, &cfg->functions[fidx], err, sizeof(err)) < 0) {
		fprintf(stderr, "lambdabridge: --env-vars %s\n", err);
		status = 2;
		goto out;
	}
	/* one invocation: a spare worker started ahead would go unused */
	cfg->spare_workers = 0;
	envs = lb_envs_new(cfg, lb_worker_exe(), err, sizeof(err));
	if (envs == NULL) {
		fprintf(stderr, "lambdabridge: %s\n", err);
		goto out;
	}

	lb_ids_uuid(rid);
	lb_ids_trace(trace, lb_now_ms());
	memset(&rq, 0, sizeof(rq));
	rq.request_id = rid;
	rq.trace_id = trace;
	rq.event = event;
	rq.event_len = event_len;
	t0 = lb_mono_ms();
	lb_envs_invoke(envs, (size_t)fidx, &rq, &res);
	if (res.status == LB_INVOKE_INIT_ERROR)
		init_error_report(&cfg->functions[fidx], rid, &res,
		    (double)(lb_mono_ms() - t0));
	if (http)
		lb_cli__print_http(cfg, (size_t)fidx, &res, rid, stdout);
	else
		print_result(&res);
	fflush(stdout);
	status = res.status == LB_INVOKE_OK ? 0 : 1;
	lb_invoke_result_clear(&res);
out:
	lb_envs_free(envs);
	lb_config_free(cfg);
	free(event);
	return status;
}
