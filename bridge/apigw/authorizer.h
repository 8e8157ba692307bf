/*
 * authorizer.h - the pure parts of a Lambda authorizer's run
 * (docs/authorizers.md): the identity sources' values, the TOKEN
 * validation expression, the methodArn, the authorizer's event, the result
 * cache's key, and what the integration then sees in
 * requestContext.authorizer.  The gateway (gateway.c) invokes the function
 * and keeps the cache.  No I/O, no logging, no globals.
 */
#ifndef LB_AUTHORIZER_H
#define LB_AUTHORIZER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fastcgi/http.h"
#include "apigw/policy.h"
#include "apigw/router.h"

/* The most identity sources an authorizer has (config's limit). */
#define LB_AUTHORIZER_MAX_IDENTITY 10

/* Where a request stands when its authorizer runs; all borrowed. */
struct lb_authorizer_input {
	const struct lb_config *cfg;
	const struct lb_authorizer *a;
	const struct lb_http_request *req;
	const struct lb_router_match *match; /* the matched route */
	const char *path; /* raw, stage-less path (lb_event_locate) */
	size_t path_len;
	const char *query; /* raw query, NULL when none */
	const char *request_id;
	const char *short_id;
	const char *trace_id;
	int64_t time_ms;
};

/* The identity sources' values, in configured order; owned. */
struct lb_authorizer_identity {
	char *values[LB_AUTHORIZER_MAX_IDENTITY];
	size_t n;
};

/*
 * Reads every identity source of in->a into *id (zero it first): a header
 * (its first value), a query parameter (decoded, its last value), a stage
 * variable or a context variable.  Returns 0 when every one is present
 * and not empty, 1 when one is missing or empty (the request is then
 * Unauthorized without invoking anything), -1 when out of memory.  For a
 * TOKEN authorizer with a validation expression, a token that does not
 * match it counts as missing.  *id is filled as far as it got either way
 * (lb_authorizer_identity_clear).
 */
int lb_authorizer_identity(
    const struct lb_authorizer_input *in, struct lb_authorizer_identity *id);

void lb_authorizer_identity_clear(struct lb_authorizer_identity *id);

/*
 * The request's ARN as the authorizer sees it (methodArn, routeArn):
 * "arn:aws:execute-api:REGION:ACCOUNT:APIID/STAGE/METHOD/PATH", PATH the
 * raw, stage-less path without its leading '/'.  A new string, or NULL.
 */
char *lb_authorizer_arn(const struct lb_config *cfg, const char *method,
    const char *path, size_t path_len);

/*
 * The authorizer's event as JSON text: TOKEN {"type", "authorizationToken",
 * "methodArn"}; REQUEST the proxy event's shape without a body, for the
 * authorizer's payload format (event.h).  A new string with *len, or NULL
 * with the reason in err.
 */
char *lb_authorizer_event(const struct lb_authorizer_input *in,
    const struct lb_authorizer_identity *id, const char *arn, size_t *len,
    char *err, size_t errlen);

/*
 * The result cache's key of these values: each value with its length, so
 * that no two lists of values share one.  A new string with *len, or NULL.
 */
char *lb_authorizer_cache_key(
    const struct lb_authorizer_identity *id, size_t *len);

/* How an authorizer's answer is read (policy.h) for this authorizer. */
enum lb_policy_mode lb_authorizer_mode(
    const struct lb_config *cfg, const struct lb_authorizer *a);

/*
 * What the integration sees in requestContext.authorizer, as JSON text:
 * for a payload 1.0 integration the context's values (a REST API's as
 * strings), principalId and integrationLatency (ms); for payload 2.0
 * {"lambda": the context}.  A new string with *len, or NULL.
 */
char *lb_authorizer_context(const struct lb_policy *p, int payload_format,
    int64_t latency_ms, size_t *len);

#endif /* LB_AUTHORIZER_H */
