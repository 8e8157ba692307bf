/*
 * test_request.c - the front of the pipeline (bridge/apigw/request.c) that
 * the gateway and `lambdabridge event` share: the route, the caller's check,
 * the event text, the forced payload format and the event's cap.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "apigw/event.h"
#include "apigw/request.h"
#include "apigw/router.h"
#include "test.h"

void lb_test_suite_request(void);

struct rconf {
	struct lb_config cfg;
	struct lb_function fn[2];
	struct lb_route routes[3];
	struct lb_api_key key;
	struct lb_router *router;
};

/* A config for `api` at `stage` with routes GET /a/{x} (function 0), ANY
 * /b/{proxy+} (function 1, api_key_required) and, for HTTP, $default. */
static int
rconf_init(struct rconf *t, enum lb_api api, const char *stage)
{
	static const char *const keys[] = { "GET /a/{x}", "ANY /b/{proxy+}",
		"$default" };
	char err[256];
	size_t bad;

	memset(t, 0, sizeof(*t));
	t->cfg.api = api;
	t->cfg.payload_format = api == LB_API_REST ? 1 : 2;
	t->cfg.stage = (char *)stage;
	t->cfg.account_id = (char *)"123456789012";
	t->cfg.api_id = (char *)"a1b2c3d4e5";
	t->cfg.region = (char *)"us-east-1";
	t->fn[0].name = (char *)"f0";
	t->fn[1].name = (char *)"f1";
	t->cfg.functions = t->fn;
	t->cfg.nfunctions = 2;
	t->cfg.nroutes = api == LB_API_REST ? 2 : 3;
	for (size_t i = 0; i < t->cfg.nroutes; i++) {
		struct lb_route *r = &t->routes[i];

		r->key = (char *)keys[i];
		r->function = i == 1 ? 1 : 0;
		r->payload_format = t->cfg.payload_format;
		if (lb_router_parse_key(
		        r->key, &r->method, &r->path, err, sizeof(err)) != 0)
			return -1;
	}
	t->routes[1].api_key_required = 1;
	t->cfg.routes = t->routes;
	t->key.name = (char *)"k";
	t->key.id = (char *)"k1d2e3f4g5";
	t->key.value = (char *)"0123456789abcdefghij";
	t->key.enabled = 1;
	t->cfg.api_keys = &t->key;
	t->cfg.napi_keys = 1;
	t->router =
	    lb_router_new(t->routes, t->cfg.nroutes, &bad, err, sizeof(err));
	if (t->router != NULL)
		lb_router_set_rest(t->router, api == LB_API_REST);
	return t->router != NULL ? 0 : -1;
}

static void
rconf_free(struct rconf *t)
{
	lb_router_free(t->router);
	for (size_t i = 0; i < t->cfg.nroutes; i++) {
		free(t->routes[i].method);
		free(t->routes[i].path);
	}
}

static const struct lb_param params[] = {
	{ "HTTP_HOST", "example.org" },
	{ "HTTP_X_API_KEY", "0123456789abcdefghij" },
	{ "REMOTE_ADDR", "203.0.113.9" },
	{ "SERVER_PROTOCOL", "HTTP/1.1" },
};

/* A request for METHOD URI with fixed ids and time, as the gateway sets. */
static void
rq_init(struct lb_request *q, const struct rconf *t,
    struct lb_http_request *req, const char *method, const char *uri)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->uri = uri;
	req->params = params;
	req->nparams = sizeof(params) / sizeof(params[0]);
	memset(q, 0, sizeof(*q));
	q->cfg = &t->cfg;
	q->router = t->router;
	q->req = req;
	q->request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
	q->short_id = "c6af9ac67b6111e";
	q->trace_id = "Root=1-5e8a1b2c-0123456789abcdef01234567";
	q->time_ms = 1700000000123;
}

/* The event `q` holds, parsed (a new reference), or NULL. */
static json_object *
parsed(const struct lb_request *q)
{
	return q->event != NULL ? json_tokener_parse(q->event) : NULL;
}

/* A string at `a`.`b` of `o` (b may be NULL), or NULL. */
static const char *
str_at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_is_type(v, json_type_string)
	    ? json_object_get_string(v)
	    : NULL;
}

/* The route, the path and query, and the same text the builder writes. */
static void
test_route_and_event(void)
{
	struct rconf t;
	struct lb_request q;
	struct lb_http_request req;
	struct lb_event_input in;
	char err[256], *ref;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(rconf_init(&t, LB_API_HTTP, "$default"), 0);
	rq_init(&q, &t, &req, "GET", "/a/42?x=1");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_PTR_EQUAL(q.match.route, &t.routes[0]);
	CU_ASSERT_PTR_EQUAL(q.fn, &t.fn[0]);
	CU_ASSERT_EQUAL(q.path_len, 5);
	CU_ASSERT(strncmp(q.path, "/a/42", 5) == 0);
	CU_ASSERT_STRING_EQUAL(q.query, "x=1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(q.event);
	CU_ASSERT_EQUAL(q.event_len, strlen(q.event));

	memset(&in, 0, sizeof(in));
	in.cfg = &t.cfg;
	in.req = &req;
	in.match = &q.match;
	in.path = q.path;
	in.path_len = q.path_len;
	in.query = q.query;
	in.request_id = q.request_id;
	in.short_id = q.short_id;
	in.trace_id = q.trace_id;
	in.time_ms = q.time_ms;
	ref = lb_event_build_text(&in, &len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL(len, q.event_len);
	CU_ASSERT_STRING_EQUAL(q.event, ref);
	free(ref);
	lb_request_clear(&q);
	CU_ASSERT_PTR_NULL(q.event);
	lb_request_clear(&q); /* twice is fine */
	rconf_free(&t);
}

/* No route: the API type's error, nothing built, err left empty. */
static void
test_no_route(void)
{
	struct rconf rest, http;
	struct lb_request q;
	struct lb_http_request req;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(rconf_init(&rest, LB_API_REST, "dev"), 0);
	CU_ASSERT_EQUAL_FATAL(rconf_init(&http, LB_API_HTTP, "prod"), 0);

	rq_init(&q, &rest, &req, "GET", "/dev/nowhere");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_MISSING_AUTHENTICATION_TOKEN);
	CU_ASSERT_PTR_NULL(q.match.route);
	CU_ASSERT_PTR_NULL(q.fn);
	CU_ASSERT_PTR_NULL(q.event);
	CU_ASSERT_STRING_EQUAL(err, "");
	/* a route of the stage, asked for without it */
	rq_init(&q, &rest, &req, "GET", "/a/1");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_MISSING_AUTHENTICATION_TOKEN);
	/* no method */
	rq_init(&q, &rest, &req, "", "/dev/a/1");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_MISSING_AUTHENTICATION_TOKEN);
	rq_init(&q, &rest, &req, "GET", "/dev/a/1");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	lb_request_clear(&q);

	/* $default catches all under the stage, nothing outside it */
	rq_init(&q, &http, &req, "GET", "/dev/a/1");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_RESOURCE_NOT_FOUND);
	CU_ASSERT_PTR_NULL(q.event);
	rq_init(&q, &http, &req, "DELETE", "/prod/zz");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	CU_ASSERT_PTR_EQUAL(q.match.route, &http.routes[2]);
	lb_request_clear(&q);
	rconf_free(&rest);
	rconf_free(&http);
}

struct check_log {
	int calls;
	const struct lb_route *route;
	const struct lb_function *fn;
	enum lb_gwerr answer;
	const struct lb_api_key *key;
};

static enum lb_gwerr
check(struct lb_request *q, void *arg)
{
	struct check_log *l = arg;

	l->calls++;
	l->route = q->match.route;
	l->fn = q->fn;
	q->api_key = l->key;
	return l->answer;
}

/* The check runs on the matched route, between the route and the event. */
static void
test_check(void)
{
	struct rconf t;
	struct lb_request q;
	struct lb_http_request req;
	struct check_log l;
	json_object *ev, *id;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(rconf_init(&t, LB_API_REST, "dev"), 0);
	memset(&l, 0, sizeof(l));
	l.answer = LB_GWERR_THROTTLED;
	rq_init(&q, &t, &req, "POST", "/dev/b/c");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, check, &l, err, sizeof(err)),
	    LB_GWERR_THROTTLED);
	CU_ASSERT_EQUAL(l.calls, 1);
	CU_ASSERT_PTR_EQUAL(l.route, &t.routes[1]);
	CU_ASSERT_PTR_EQUAL(l.fn, &t.fn[1]);
	CU_ASSERT_PTR_NULL(q.event);
	CU_ASSERT_STRING_EQUAL(err, "");

	/* no route: the check does not run */
	rq_init(&q, &t, &req, "POST", "/dev/nowhere");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, check, &l, err, sizeof(err)),
	    LB_GWERR_MISSING_AUTHENTICATION_TOKEN);
	CU_ASSERT_EQUAL(l.calls, 1);

	/* the key the check found reaches the event */
	l.answer = LB_GWERR_NONE;
	l.key = &t.key;
	rq_init(&q, &t, &req, "POST", "/dev/b/c");
	CU_ASSERT_EQUAL(
	    lb_request_prepare(&q, check, &l, err, sizeof(err)), LB_GWERR_NONE);
	CU_ASSERT_EQUAL(l.calls, 2);
	ev = parsed(&q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT(json_object_object_get_ex(ev, "requestContext", &id));
	CU_ASSERT_STRING_EQUAL(
	    str_at(id, "identity", "apiKey"), "0123456789abcdefghij");
	CU_ASSERT_STRING_EQUAL(
	    str_at(id, "identity", "apiKeyId"), "k1d2e3f4g5");
	json_object_put(ev);
	lb_request_clear(&q);
	rconf_free(&t);
}

/* `lambdabridge event v2` on a REST route: the copy changes, not the config. */
static void
test_forced_payload_format(void)
{
	struct rconf t;
	struct lb_request q;
	struct lb_http_request req;
	json_object *ev;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(rconf_init(&t, LB_API_REST, "dev"), 0);
	rq_init(&q, &t, &req, "GET", "/dev/a/7");
	ev = NULL;
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	ev = parsed(&q);
	CU_ASSERT_PTR_NULL(str_at(ev, "version", NULL));
	CU_ASSERT_STRING_EQUAL(str_at(ev, "resource", NULL), "/a/{x}");
	json_object_put(ev);
	lb_request_clear(&q);

	rq_init(&q, &t, &req, "GET", "/dev/a/7");
	q.payload_format = 2;
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	CU_ASSERT_PTR_EQUAL(q.match.route, &q.route);
	CU_ASSERT_EQUAL(q.route.payload_format, 2);
	CU_ASSERT_STRING_EQUAL(q.route.key, "GET /a/{x}");
	CU_ASSERT_EQUAL(t.routes[0].payload_format, 1);
	CU_ASSERT_PTR_EQUAL(q.fn, &t.fn[0]);
	ev = parsed(&q);
	CU_ASSERT_STRING_EQUAL(str_at(ev, "version", NULL), "2.0");
	CU_ASSERT_STRING_EQUAL(str_at(ev, "routeKey", NULL), "GET /a/{x}");
	json_object_put(ev);
	lb_request_clear(&q);
	rconf_free(&t);
}

/* Over event_max: EVENT_TOO_LARGE with the size, no event kept. */
static void
test_event_max(void)
{
	struct rconf t;
	struct lb_request q;
	struct lb_http_request req;
	char err[256];
	size_t len;

	CU_ASSERT_EQUAL_FATAL(rconf_init(&t, LB_API_HTTP, "$default"), 0);
	rq_init(&q, &t, &req, "GET", "/a/1");
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	len = q.event_len;
	lb_request_clear(&q);

	rq_init(&q, &t, &req, "GET", "/a/1");
	q.event_max = len;
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	lb_request_clear(&q);

	rq_init(&q, &t, &req, "GET", "/a/1");
	q.event_max = len - 1;
	CU_ASSERT_EQUAL(lb_request_prepare(&q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_EVENT_TOO_LARGE);
	CU_ASSERT_PTR_NULL(q.event);
	CU_ASSERT_EQUAL(q.event_len, len);
	CU_ASSERT_STRING_EQUAL(err, "");
	lb_request_clear(&q);
	rconf_free(&t);
}

void
lb_test_suite_request(void)
{
	static CU_TestInfo tests[] = {
		{ "route and event", test_route_and_event },
		{ "no route", test_no_route },
		{ "check between route and event", test_check },
		{ "forced payload format", test_forced_payload_format },
		{ "event over event_max", test_event_max },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("request", tests);
}
