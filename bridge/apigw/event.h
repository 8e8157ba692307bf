/*
 * event.h - builds the API Gateway proxy event (payload 1.0 and 2.0) from a
 * request, exactly as docs/apigw-facts.md sections 1 and 2 describe, with the
 * choices of docs/design.md section 2 where FastCGI forces one.  Pure: no I/O,
 * no globals.
 */
#ifndef LB_EVENT_H
#define LB_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "config.h"
#include "fastcgi/http.h"
#include "apigw/router.h"

/* Everything the builder needs; all borrowed. */
struct lb_event_input {
	const struct lb_config *cfg;
	const struct lb_http_request *req;
	const struct lb_router_match *match; /* the matched route */
	const char *path; /* raw path, stage removed (lb_event_split_uri) */
	size_t path_len;
	const char *query; /* raw query after '?', NULL when there is none */
	const char *request_id; /* UUID: REST requestContext.requestId */
	const char
	    *short_id; /* 16-char id: extendedRequestId / 2.0 requestId */
	const char *trace_id; /* X-Amzn-Trace-Id value, "Root=1-...-..." */
	int64_t time_ms;      /* request time, ms since the epoch */
	/* REST: the key that passed a route's api_key_required, else NULL */
	const struct lb_api_key *api_key;
	/* requestContext.authorizer: the JSON text of an object (the
	 * authorizer's outcome, authorizer.h), or NULL for none */
	const char *authorizer;
	size_t authorizer_len;
	/*
	 * Non-zero: build a Lambda REQUEST authorizer's event instead (no
	 * body; "type":"REQUEST" and the ARN; payload 1.0 of an HTTP API adds
	 * identitySource and authorizationToken, the values joined with ",";
	 * 2.0 identitySource, the values as an array).  docs/authorizers.md.
	 */
	int authorizer_event;
	const char *method_arn;      /* methodArn (1.0) or routeArn (2.0) */
	const char *const *identity; /* the identity sources' values */
	size_t nidentity;
};

/*
 * Splits a raw REQUEST_URI into the path and the query: the path is
 * everything before the first '?', with "scheme://authority" dropped from an
 * absolute-form target; *query is NULL when there is no '?' or nothing after
 * it.  Returns 0, or -1 when the URI has no usable path.
 */
int lb_event_split_uri(
    const char *uri, const char **path, size_t *path_len, const char **query);

/*
 * Finds where a request routes: splits `uri` (lb_event_split_uri) and, when
 * cfg->stage is a named stage (not "$default"), checks and removes the
 * "/{stage}" prefix.  Sets *path and *path_len to the raw, stage-less path
 * (always starting with '/') and *query.  Returns 0, or -1 when the request
 * cannot match any route (unusable URI, or not under the stage): the caller
 * answers the API type's "no route" error.  Shared by the gateway and
 * `lambdabridge event`.
 */
int lb_event_locate(const struct lb_config *cfg, const char *uri,
    const char **path, size_t *path_len, const char **query);

/*
 * Builds the event for in->match->route->payload_format.  Returns a new
 * reference, or NULL with the reason in err (out of memory, or a request
 * that cannot be represented).
 */
json_object *lb_event_build(
    const struct lb_event_input *in, char *err, size_t errlen);

/*
 * The same event as JSON text, written straight from the builder: exactly
 * json_object_to_json_string_ext(lb_event_build(in),
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), several times
 * cheaper.  Returns a malloc'ed NUL-terminated string with *len set, or
 * NULL with the reason in err.
 */
char *lb_event_build_text(
    const struct lb_event_input *in, size_t *len, char *err, size_t errlen);

#endif /* LB_EVENT_H */
