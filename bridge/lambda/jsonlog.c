/*
 * jsonlog.c - the JSON log format's platform records and the levels of a
 * function's own lines (jsonlog.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "base/fmt.h"
#include "lambda/jsonlog.h"

static const char *const level_names[] = { "TRACE", "DEBUG", "INFO", "WARN",
	"ERROR", "FATAL" };

int
lb_jsonlog_level_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
lb_jsonlog_level_name(int l)
{
	return l >= 0 && l < (int)(sizeof(level_names) / sizeof(*level_names))
	    ? level_names[l]
	    : "INFO";
}

/* A line's level name, as runtimes spell it. */
static int
level_of(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "WARNING") == 0)
		return LB_JSONLOG_WARN;
	if (strcasecmp(s, "CRITICAL") == 0)
		return LB_JSONLOG_FATAL;
	return LB_JSONLOG_INFO;
}

int
lb_jsonlog_line_level(const char *line, size_t len)
{
	json_tokener *tok;
	json_object *o, *v;
	size_t i = 0;
	int level = LB_JSONLOG_INFO;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '{' || len > INT32_MAX)
		return -1;
	tok = json_tokener_new_ex(16);
	if (tok == NULL)
		return LB_JSONLOG_INFO;
	o = json_tokener_parse_ex(tok, line, (int)len);
	/* one whole object, nothing after it but blanks */
	if (o != NULL && json_tokener_get_error(tok) == json_tokener_success) {
		for (size_t k = json_tokener_get_parse_end(tok); k < len; k++)
			if (line[k] != ' ' && line[k] != '\t' &&
			    line[k] != '\r') {
				json_object_put(o);
				o = NULL;
				break;
			}
	} else {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "level", &v) &&
	    json_object_is_type(v, json_type_string))
		level = level_of(json_object_get_string(v));
	json_object_put(o);
	return level;
}

enum lb_jsonlog_level
lb_jsonlog_record_level(enum lb_jsonlog_record r)
{
	return r == LB_JSONLOG_RUNTIME_DONE ? LB_JSONLOG_DEBUG
	                                    : LB_JSONLOG_INFO;
}

/* s as a JSON string, quotes included. */
static void
put_jstr(struct lb_fmt *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	lb_fmt_str(f, "\"");
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		char e[6];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		lb_fmt_mem(f, run, (size_t)(s - run));
		if (c == '\0')
			break;
		e[0] = '\\';
		if (c == '"' || c == '\\') {
			e[1] = (char)c;
			lb_fmt_mem(f, e, 2);
		} else {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			lb_fmt_mem(f, e, 6);
		}
		run = s + 1;
	}
	lb_fmt_str(f, "\"");
}

static void
put_time(struct lb_fmt *f, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	char buf[64];

	gmtime_r(&s, &tm);
	lb_fmt_mem(
	    f, buf, strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.", &tm));
	buf[0] = (char)('0' + frac / 100);
	buf[1] = (char)('0' + frac / 10 % 10);
	buf[2] = (char)('0' + frac % 10);
	buf[3] = 'Z';
	lb_fmt_mem(f, buf, 4);
}

static const char *
status_name(enum lb_jsonlog_status st)
{
	switch (st) {
	case LB_JSONLOG_ST_SUCCESS: return "success";
	case LB_JSONLOG_ST_FAILURE: return "failure";
	case LB_JSONLOG_ST_TIMEOUT: return "timeout";
	default: return "error";
	}
}

size_t
lb_jsonlog_record(enum lb_jsonlog_record r, const struct lb_jsonlog_inv *inv,
    char *out, size_t cap)
{
	static const char *const types[] = { "platform.initStart",
		"platform.start", "platform.runtimeDone", "platform.report" };
	struct lb_fmt f;
	size_t n;

	lb_fmt_init(&f, out, cap);
	lb_fmt_str(&f, "{\"time\":\"");
	put_time(&f, inv->time_ms);
	lb_fmt_str(&f, "\",\"type\":\"");
	lb_fmt_str(&f, types[r]);
	lb_fmt_str(&f, "\",\"record\":{");
	switch (r) {
	case LB_JSONLOG_INIT_START:
		lb_fmt_str(&f, "\"initializationType\":");
		lb_fmt_str(&f,
		    inv->provisioned ? "\"provisioned-concurrency\""
		                     : "\"on-demand\"");
		lb_fmt_str(&f, ",\"phase\":\"init\",\"functionName\":");
		put_jstr(&f, inv->function_name);
		lb_fmt_str(&f, ",\"functionVersion\":");
		put_jstr(&f, inv->version);
		break;
	case LB_JSONLOG_START:
		lb_fmt_str(&f, "\"requestId\":");
		put_jstr(&f, inv->request_id);
		lb_fmt_str(&f, ",\"functionArn\":");
		put_jstr(&f, inv->function_arn);
		lb_fmt_str(&f, ",\"version\":");
		put_jstr(&f, inv->version);
		break;
	case LB_JSONLOG_RUNTIME_DONE:
		lb_fmt_str(&f, "\"requestId\":");
		put_jstr(&f, inv->request_id);
		lb_fmt_str(&f, ",\"status\":\"");
		lb_fmt_str(&f, status_name(inv->status));
		lb_fmt_str(&f, "\",\"metrics\":{\"durationMs\":");
		lb_fmt_fixed2(&f, inv->duration_ms);
		lb_fmt_str(&f, ",\"producedBytes\":");
		lb_fmt_u64(&f, inv->produced_bytes);
		lb_fmt_str(&f, "}");
		break;
	case LB_JSONLOG_REPORT:
		lb_fmt_str(&f, "\"requestId\":");
		put_jstr(&f, inv->request_id);
		lb_fmt_str(&f, ",\"metrics\":{\"durationMs\":");
		lb_fmt_fixed2(&f, inv->duration_ms);
		lb_fmt_str(&f, ",\"billedDurationMs\":");
		lb_fmt_i64(&f, (int64_t)(inv->duration_ms + 0.999999));
		lb_fmt_str(&f, ",\"memorySizeMB\":");
		lb_fmt_i64(&f, inv->memory_mb);
		lb_fmt_str(&f, ",\"maxMemoryUsedMB\":");
		lb_fmt_u64(&f, inv->max_memory_mb);
		if (inv->init_ms > 0) {
			lb_fmt_str(&f, ",\"initDurationMs\":");
			lb_fmt_fixed2(&f, inv->init_ms);
		}
		lb_fmt_str(&f, "},\"status\":\"");
		lb_fmt_str(&f, status_name(inv->status));
		lb_fmt_str(&f, "\"");
		if (inv->status != LB_JSONLOG_ST_SUCCESS &&
		    inv->error_type != NULL && inv->error_type[0] != '\0') {
			lb_fmt_str(&f, ",\"errorType\":");
			put_jstr(&f, inv->error_type);
		}
		break;
	}
	lb_fmt_str(&f, "}}");
	n = lb_fmt_done(&f, out);
	/* cut: not valid JSON, give nothing rather than half a record */
	return n + 1 >= cap ? 0 : n;
}
