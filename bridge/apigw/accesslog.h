/*
 * accesslog.h - API Gateway's access log format: a template of literal text
 * and $context variables (docs/operations.md section 4), compiled once and
 * filled for each request.  Pure: no I/O, no globals.
 */
#ifndef LB_ACCESSLOG_H
#define LB_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

/* The $context variables a format may name. */
enum lb_accesslog_var {
	LB_ACCESSLOG_REQUEST_ID,
	LB_ACCESSLOG_EXTENDED_REQUEST_ID,
	LB_ACCESSLOG_SOURCE_IP,
	LB_ACCESSLOG_USER_AGENT,
	LB_ACCESSLOG_HTTP_METHOD,
	LB_ACCESSLOG_ROUTE_KEY,
	LB_ACCESSLOG_RESOURCE_PATH,
	LB_ACCESSLOG_PATH,
	LB_ACCESSLOG_PROTOCOL,
	LB_ACCESSLOG_STATUS,
	LB_ACCESSLOG_RESPONSE_LENGTH,
	LB_ACCESSLOG_REQUEST_TIME,
	LB_ACCESSLOG_REQUEST_TIME_EPOCH,
	LB_ACCESSLOG_INTEGRATION_LATENCY,
	LB_ACCESSLOG_RESPONSE_LATENCY,
	LB_ACCESSLOG_INTEGRATION_STATUS,
	LB_ACCESSLOG_INTEGRATION_FN_STATUS, /* integration.status */
	LB_ACCESSLOG_ERROR_MESSAGE,
	LB_ACCESSLOG_ERROR_RESPONSE_TYPE,
	LB_ACCESSLOG_AUTHORIZER_ERROR,
	LB_ACCESSLOG_INTEGRATION_ERROR,
	LB_ACCESSLOG_API_ID,
	LB_ACCESSLOG_STAGE,
	LB_ACCESSLOG_DOMAIN_NAME,
	LB_ACCESSLOG_API_KEY_ID,
	LB_ACCESSLOG_AWS_REQUEST_ID, /* the Lambda invocation's request id */
	LB_ACCESSLOG_NVARS
};

/* The longest format API Gateway takes (3 KB). */
#define LB_ACCESSLOG_FORMAT_MAX 3072

/* A compiled format; free it with lb_accesslog_free. */
struct lb_accesslog;

/*
 * Compiles `format`: literal text and $context.NAME variables (the longest
 * known NAME wins: $context.integration.latency is not
 * $context.integration followed by ".latency").  Refuses, with the reason
 * in err, a format that is empty, longer than LB_ACCESSLOG_FORMAT_MAX,
 * holds a control character (a format is one line), names a $context
 * variable it does not know, or names neither $context.requestId nor
 * $context.extendedRequestId (API Gateway demands one).  Any other '$'
 * is literal.  Returns a new format, or NULL.
 */
struct lb_accesslog *lb_accesslog_parse(
    const char *format, char *err, size_t errlen);

void lb_accesslog_free(struct lb_accesslog *al);

/* Whether the format names variable v (to skip computing the others). */
int lb_accesslog_uses(const struct lb_accesslog *al, enum lb_accesslog_var v);

/*
 * One request's values, by variable; NULL (or a negative number) is a
 * variable without a value, written "-" as API Gateway writes it.  All
 * borrowed.
 */
struct lb_accesslog_values {
	const char *str[LB_ACCESSLOG_NVARS];
	int64_t
	    num[LB_ACCESSLOG_NVARS]; /* used when str[v] is NULL; -1: none */
	int64_t time_ms; /* requestTime and requestTimeEpoch (epoch ms) */
};

/* Clears `v`: every variable without a value. */
void lb_accesslog_values_init(struct lb_accesslog_values *v);

/*
 * Fills al with `v` into out[0..cap) (cap >= 2), NUL-terminated, and a
 * final '\n'.  A string value's '"', '\\' and control characters are
 * escaped (\" \\ \n \t \xNN), so that a value never ends the line nor a
 * JSON string the format quotes it in.  A line longer than cap is cut
 * (still ending in '\n').  Returns the length written.
 */
size_t lb_accesslog_render(const struct lb_accesslog *al,
    const struct lb_accesslog_values *v, char *out, size_t cap);

/* requestTime's text for epoch ms `t`: "06/Dec/2026:06:53:25 +0000"
 * (27 bytes with the NUL). */
void lb_accesslog_clf_time(int64_t t, char out[32]);

#endif /* LB_ACCESSLOG_H */
