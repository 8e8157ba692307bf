/*
 * request.h - the front of the request pipeline, shared by the gateway
 * (gateway.c) and `lambdabridge event`: where a request routes, the checks
 * its caller runs on the matched route, and the event (payload 1.0 or 2.0)
 * it becomes.  Pure: no I/O, no logging, no globals.
 */
#ifndef LB_REQUEST_H
#define LB_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fastcgi/http.h"
#include "apigw/gwerror.h"
#include "apigw/router.h"

/*
 * One request on its way to an event.  The caller zeroes it and sets the
 * inputs; lb_request_prepare() sets the outputs; lb_request_clear()
 * releases the event.
 */
struct lb_request {
	/* inputs, all borrowed */
	const struct lb_config *cfg;
	const struct lb_router *router; /* built over cfg->routes */
	const struct lb_http_request *req;
	const char *request_id; /* UUID: REST requestContext.requestId */
	const char *short_id;   /* extendedRequestId / 2.0 requestId */
	const char *trace_id;   /* X-Amzn-Trace-Id value */
	int64_t time_ms;        /* request time, ms since the epoch */
	/* 1 or 2 forces that payload format (`lambdabridge event v1|v2`);
	 * 0 takes the matched route's */
	int payload_format;
	size_t event_max; /* an event over this many bytes fails; 0: no cap */
	/* requestContext.authorizer as JSON text (the authorizer's outcome,
	 * authorizer.h), or NULL */
	const char *authorizer;
	size_t authorizer_len;

	/* outputs */
	const char *path; /* raw, stage-less path (lb_event_locate) */
	size_t path_len;
	const char *query;            /* raw query, NULL when none */
	struct lb_router_match match; /* .route NULL when nothing matched */
	const struct lb_function *fn; /* the matched route's function */
	/* REST: the key that passed api_key_required; set by the check */
	const struct lb_api_key *api_key;
	char *event; /* the event as JSON text, owned; NULL on failure */
	size_t event_len;
	struct lb_route route; /* the matched route with payload_format set */
};

/*
 * A caller's checks between the route and the event (the gateway's body
 * size, API key, throttling and quotas): q->match and q->fn are set.
 * Returns LB_GWERR_NONE to let the request on, else the gateway error that
 * ends it; may set q->api_key.
 */
typedef enum lb_gwerr lb_request_check(struct lb_request *q, void *arg);

/*
 * Routes q->req as the gateway does (lb_event_locate, then lb_router_match
 * on the method and the stage-less path), runs `check` (may be NULL) with
 * `arg`, then builds the event as JSON text into q->event (exactly what
 * lb_event_build_text writes, for the route's payload format or the forced
 * one; with payload_format set, q->match.route points to q->route, a copy).
 * Returns LB_GWERR_NONE, or the error the request ends with: the API
 * type's "no route" error (REST MISSING_AUTHENTICATION_TOKEN, HTTP API
 * RESOURCE_NOT_FOUND) with q->match.route NULL, what `check` returned,
 * LB_GWERR_API_CONFIGURATION_ERROR with the reason in err when the event
 * cannot be built (err is left empty otherwise), or LB_GWERR_EVENT_TOO_LARGE
 * with q->event_len set and q->event NULL when it is over q->event_max.
 */
enum lb_gwerr lb_request_prepare(struct lb_request *q, lb_request_check *check,
    void *arg, char *err, size_t errlen);

/*
 * lb_request_prepare in two steps, for a caller that runs something
 * between the route and the checks (the gateway's authorizers):
 * lb_request_route finds the route (LB_GWERR_NONE, or the API type's "no
 * route" error), lb_request_finish runs `check` and builds the event.
 */
enum lb_gwerr lb_request_route(struct lb_request *q);
enum lb_gwerr lb_request_finish(struct lb_request *q, lb_request_check *check,
    void *arg, char *err, size_t errlen);

/* Frees the event q owns (NULL is fine); the inputs are left alone. */
void lb_request_clear(struct lb_request *q);

#endif /* LB_REQUEST_H */
