/*
 * request.c - the front of the request pipeline: route, the caller's checks,
 * the event.  The gateway runs it on every request and `lambdabridge event`
 * on the request it makes up, so the two cannot drift apart.
 */
#include <stdlib.h>
#include <string.h>

#include "apigw/event.h"
#include "apigw/request.h"

/* Finds the route: 0, or -1 when nothing matches (q->match.route NULL). */
static int
route(struct lb_request *q)
{
	memset(&q->match, 0, sizeof(q->match));
	if (lb_event_locate(
	        q->cfg, q->req->uri, &q->path, &q->path_len, &q->query) < 0 ||
	    q->req->method[0] == '\0' ||
	    lb_router_match(q->router, q->req->method, q->path, q->path_len,
	        &q->match) < 0) {
		q->match.route = NULL;
		return -1;
	}
	if (q->payload_format != 0) {
		q->route = *q->match.route;
		q->route.payload_format = q->payload_format;
		q->match.route = &q->route;
	}
	q->fn = &q->cfg->functions[q->match.route->function];
	return 0;
}

/* Builds and serialises the event: LB_GWERR_NONE or the error. */
static enum lb_gwerr
build_event(struct lb_request *q, char *err, size_t errlen)
{
	struct lb_event_input in;
	size_t len;
	char *s;

	memset(&in, 0, sizeof(in));
	in.cfg = q->cfg;
	in.req = q->req;
	in.match = &q->match;
	in.path = q->path;
	in.path_len = q->path_len;
	in.query = q->query;
	in.request_id = q->request_id;
	in.short_id = q->short_id;
	in.trace_id = q->trace_id;
	in.time_ms = q->time_ms;
	in.api_key = q->api_key;
	in.authorizer = q->authorizer;
	in.authorizer_len = q->authorizer_len;
	/* written straight from the builder: no json-c objects */
	s = lb_event_build_text(&in, &len, err, errlen);
	if (s == NULL)
		return LB_GWERR_API_CONFIGURATION_ERROR;
	q->event_len = len;
	if (q->event_max > 0 && len > q->event_max) {
		free(s);
		return LB_GWERR_EVENT_TOO_LARGE;
	}
	q->event = s;
	return LB_GWERR_NONE;
}

enum lb_gwerr
lb_request_route(struct lb_request *q)
{
	if (route(q) < 0)
		return q->cfg->api == LB_API_REST
		    ? LB_GWERR_MISSING_AUTHENTICATION_TOKEN
		    : LB_GWERR_RESOURCE_NOT_FOUND;
	return LB_GWERR_NONE;
}

enum lb_gwerr
lb_request_finish(struct lb_request *q, lb_request_check *check, void *arg,
    char *err, size_t errlen)
{
	enum lb_gwerr e;

	if (errlen > 0)
		err[0] = '\0';
	if (check != NULL && (e = check(q, arg)) != LB_GWERR_NONE)
		return e;
	return build_event(q, err, errlen);
}

enum lb_gwerr
lb_request_prepare(struct lb_request *q, lb_request_check *check, void *arg,
    char *err, size_t errlen)
{
	enum lb_gwerr e;

	if (errlen > 0)
		err[0] = '\0';
	if ((e = lb_request_route(q)) != LB_GWERR_NONE)
		return e;
	return lb_request_finish(q, check, arg, err, errlen);
}

void
lb_request_clear(struct lb_request *q)
{
	free(q->event);
	q->event = NULL;
	q->event_len = 0;
}
