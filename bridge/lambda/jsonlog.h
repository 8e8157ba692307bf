/*
 * jsonlog.h - Lambda's advanced logging controls (docs/operations.md
 * section 4): the log levels, the platform records a function's log gets in
 * the JSON log format (platform.initStart, platform.start,
 * platform.runtimeDone, platform.report) and the level of a line the
 * function writes.  Pure: no I/O, no globals.
 */
#ifndef LB_JSONLOG_H
#define LB_JSONLOG_H

#include <stddef.h>
#include <stdint.h>

/* The levels, most detailed first (a threshold lets its level and the
 * ones after it through). */
enum lb_jsonlog_level {
	LB_JSONLOG_TRACE,
	LB_JSONLOG_DEBUG,
	LB_JSONLOG_INFO,
	LB_JSONLOG_WARN,
	LB_JSONLOG_ERROR,
	LB_JSONLOG_FATAL,
};

/*
 * The level named exactly `s` ("TRACE" ... "FATAL"), as the configuration
 * names it; -1 for another name.
 */
int lb_jsonlog_level_from_name(const char *s);

/* The name of level l ("INFO"); "INFO" when out of range. */
const char *lb_jsonlog_level_name(int l);

/*
 * The level of one line of a function's output in the JSON log format:
 * a JSON object's "level" member (any case; WARNING is WARN and CRITICAL
 * FATAL), INFO for an object without one or with a level Lambda does not
 * know; -1 when the line is not a JSON object (plain text, which is not
 * filtered).  `line` need not be terminated.
 */
int lb_jsonlog_line_level(const char *line, size_t len);

/* The outcome of an invocation, as platform.runtimeDone and
 * platform.report give it. */
enum lb_jsonlog_status {
	LB_JSONLOG_ST_SUCCESS,
	LB_JSONLOG_ST_FAILURE, /* the function returned an error */
	LB_JSONLOG_ST_ERROR,   /* the runtime failed: crash, exit, OOM, init */
	LB_JSONLOG_ST_TIMEOUT,
};

/* What the platform records of one invocation say.  All borrowed. */
struct lb_jsonlog_inv {
	const char *request_id;
	const char *function_name;
	const char *function_arn;
	const char *version;
	int64_t time_ms; /* the record's time, epoch ms */
	int provisioned; /* initStart: provisioned-concurrency, else on-demand */
	double duration_ms;
	double init_ms; /* > 0: a cold start (initDurationMs) */
	int memory_mb;
	uint64_t max_memory_mb;
	uint64_t produced_bytes;
	enum lb_jsonlog_status status;
	const char *error_type; /* report's errorType when not success */
};

/* The record types, each with the system log level Lambda gives it. */
enum lb_jsonlog_record {
	LB_JSONLOG_INIT_START,   /* INFO */
	LB_JSONLOG_START,        /* INFO */
	LB_JSONLOG_RUNTIME_DONE, /* DEBUG */
	LB_JSONLOG_REPORT,       /* INFO */
};

/* The system log level of record type `r`. */
enum lb_jsonlog_level lb_jsonlog_record_level(enum lb_jsonlog_record r);

/*
 * Writes record `r` of `inv` as one line of JSON (no newline) into
 * out[0..cap), NUL-terminated, for instance
 * {"time":"2026-12-06T06:53:25.123Z","type":"platform.start","record":
 * {"requestId":"...","functionArn":"...","version":"$LATEST"}}.  Strings
 * are JSON-escaped.  Returns the length, or 0 when it does not fit.
 */
size_t lb_jsonlog_record(enum lb_jsonlog_record r,
    const struct lb_jsonlog_inv *inv, char *out, size_t cap);

#endif /* LB_JSONLOG_H */
