/*
 * cli_invoke.c - `lambdabridge invoke -c FILE FUNCTION [EVENT.json|-]`: runs
 * one event through a function in a real execution environment and prints
 * the result JSON (or, as Lambda does, the error JSON) on stdout; the
 * function's logs and START/END/REPORT go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	    "usage: lambdabridge invoke -c FILE FUNCTION [EVENT.json|-]\n");
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

int
lb_cli_invoke(int argc, char **argv)
{
	const char *config_path = NULL, *event_path = NULL, *fname;
	struct lb_config *cfg = NULL;
	struct lb_envs *envs = NULL;
	struct lb_invoke_request rq;
	struct lb_invoke_result res;
	char err[1024], rid[LB_IDS_UUID_LEN + 1], trace[LB_IDS_TRACE_LEN + 1];
	char *event = NULL;
	size_t event_len = 0;
	int fidx, opt, status = 1;

	optind = 1;
	while ((opt = getopt(argc, argv, "+c:h")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
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

	if (event_path == NULL) {
		event = strdup("{}");
		event_len = 2;
		if (event == NULL) {
			fprintf(stderr, "lambdabridge: out of memory\n");
			return 1;
		}
	} else {
		FILE *f = strcmp(event_path, "-") == 0 ? stdin
		                                       : fopen(event_path, "r");

		if (f == NULL) {
			fprintf(stderr, "lambdabridge: cannot open '%s': %s\n",
			    event_path, strerror(errno));
			return 2;
		}
		event = read_event(
		    f, LB_FRAME_PAYLOAD_LIMIT, &event_len, err, sizeof(err));
		if (f != stdin)
			fclose(f);
		if (event == NULL) {
			fprintf(stderr, "lambdabridge: cannot read '%s': %s\n",
			    event_path, err);
			return 2;
		}
	}
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
	lb_envs_invoke(envs, (size_t)fidx, &rq, &res);
	if (res.payload != NULL) {
		fwrite(res.payload, 1, res.payload_len, stdout);
		fputc('\n', stdout);
	} else if (res.status != LB_INVOKE_OK) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "errorMessage",
		    json_object_new_string(res.error_message));
		json_object_object_add(
		    o, "errorType", json_object_new_string(res.error_type));
		printf("%s\n",
		    json_object_to_json_string_ext(o,
		        JSON_C_TO_STRING_PLAIN |
		            JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	fflush(stdout);
	status = res.status == LB_INVOKE_OK ? 0 : 1;
	lb_invoke_result_clear(&res);
out:
	lb_envs_free(envs);
	lb_config_free(cfg);
	free(event);
	return status;
}
