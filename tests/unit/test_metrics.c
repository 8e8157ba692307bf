/*
 * test_metrics.c - apigw/metrics.c without a socket: the registry keeps
 * counters by function name and route key across generations, status
 * classes, the text's families, and which requests metrics_path takes.
 */
#include <stdlib.h>
#include <string.h>

#include "lambda/env.h"
#include "apigw/gateway_int.h"
#include "apigw/metrics.h"
#include "base/prom.h"
#include "config.h"
#include "test.h"

void lb_test_suite_metrics(void);

/* A generation of functions `fns` and routes `routes` (NULL-terminated),
 * no environments, bound to m. */
struct tgen {
	struct lb_gen g;
	struct lb_config cfg;
	struct lb_function fn[4];
	struct lb_route route[4];
};

static void
tgen_init(struct tgen *t, struct lb_metrics *m, const char *const *fns,
    const char *const *routes)
{
	memset(t, 0, sizeof(*t));
	for (; fns[t->cfg.nfunctions] != NULL; t->cfg.nfunctions++)
		t->fn[t->cfg.nfunctions].name = (char *)fns[t->cfg.nfunctions];
	for (; routes[t->cfg.nroutes] != NULL; t->cfg.nroutes++)
		t->route[t->cfg.nroutes].key = (char *)routes[t->cfg.nroutes];
	t->cfg.functions = t->fn;
	t->cfg.routes = t->route;
	t->cfg.metrics_path = (char *)"/metrics";
	t->g.cfg = &t->cfg;
	CU_ASSERT_EQUAL_FATAL(lb_metrics_bind(m, &t->g), 0);
}

static char *
text_of(struct tgen *t)
{
	size_t len;
	char *s = lb_metrics_text(&t->g, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(strlen(s), len);
	return s;
}

/* Whether the text has `line` as a whole line. */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void
test_kept_by_name(void)
{
	static const char *const f1[] = { "a", "b", NULL };
	static const char *const r1[] = { "GET /x", NULL };
	static const char *const f2[] = { "c", "a", NULL };
	static const char *const r2[] = { "GET /y", "GET /x", NULL };
	static const char *const f3[] = { "a", NULL };
	static const char *const r3[] = { NULL };
	struct lb_metrics *m = lb_metrics_new();
	struct tgen *g1 = calloc(4, sizeof(*g1)), *g2 = g1 + 1, *g3 = g1 + 2,
	            *g4 = g1 + 3;
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
	tgen_init(g1, m, f1, r1);
	__atomic_add_fetch(
	    &g1->g.metrics->fns[0]->invocations, 3, __ATOMIC_RELAXED);
	__atomic_add_fetch(
	    &g1->g.metrics->fns[1]->errors[LB_FN_ERR_OOM], 1, __ATOMIC_RELAXED);
	lb_metrics_request(&g1->g, &g1->route[0], 200, 1500, 1000);
	lb_metrics_request(&g1->g, NULL, 404, 100, -1);
	lb_metrics_refused(&g1->g, &g1->route[0], 0);
	/* the next generation, functions and routes in another order, one
	 * of each new; the old one still counts */
	tgen_init(g2, m, f2, r2);
	CU_ASSERT_PTR_EQUAL(g2->g.metrics->fns[1], g1->g.metrics->fns[0]);
	CU_ASSERT_PTR_EQUAL(g2->g.metrics->routes[1], g1->g.metrics->routes[0]);
	CU_ASSERT_PTR_EQUAL(g2->g.metrics->none, g1->g.metrics->none);
	lb_metrics_request(&g1->g, &g1->route[0], 201, 10, 5);
	lb_metrics_request(&g2->g, &g2->route[1], 302, 10, 5);
	s = text_of(g2);
	CU_ASSERT(
	    has_line(s, "lambdabridge_invocations_total{function=\"a\"} 3"));
	CU_ASSERT(
	    has_line(s, "lambdabridge_invocations_total{function=\"c\"} 0"));
	/* b is not in this configuration: not written */
	CU_ASSERT_PTR_NULL(strstr(s, "function=\"b\""));
	CU_ASSERT(has_line(s,
	    "lambdabridge_requests_total{route=\"GET "
	    "/x\",status_class=\"2xx\"} "
	    "2"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_requests_total{route=\"GET "
	    "/x\",status_class=\"3xx\"} "
	    "1"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_requests_total{route=\"GET "
	    "/y\",status_class=\"2xx\"} "
	    "0"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_requests_total{route=\"(none)\",status_class=\"4xx\"}"
	    " "
	    "1"));
	CU_ASSERT(has_line(
	    s, "lambdabridge_throttled_requests_total{route=\"GET /x\"} 1"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_request_duration_seconds_bucket{route=\"GET "
	    "/x\",le=\"0.0025\"} 3"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_request_duration_seconds_bucket{route=\"GET "
	    "/x\",le=\"0.001\"} 2"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_integration_duration_seconds_count{route=\"(none)\"} "
	    "0"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_request_duration_seconds_sum{route=\"GET /x\"} "
	    "0.00152"));
	free(s);
	/* a removed function disappears; back, it goes on from its count */
	tgen_init(g3, m, f3, r3);
	tgen_init(g4, m, f1, r1);
	s = text_of(g3);
	CU_ASSERT_PTR_NULL(strstr(s, "route=\"GET /x\""));
	CU_ASSERT(has_line(s,
	    "lambdabridge_requests_total{route=\"(none)\",status_class=\"4xx\"}"
	    " "
	    "1"));
	free(s);
	s = text_of(g4);
	CU_ASSERT(has_line(s,
	    "lambdabridge_errors_total{function=\"b\",type=\"Runtime."
	    "OutOfMemory\"} 1"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_requests_total{route=\"GET "
	    "/x\",status_class=\"3xx\"} "
	    "1"));
	free(s);
	for (int i = 0; i < 4; i++)
		lb_metrics_unbind(&g1[i].g);
	free(g1);
	lb_metrics_free(m);
}

static void
test_status_classes(void)
{
	static const char *const fns[] = { NULL };
	static const char *const routes[] = { "GET /x", NULL };
	static const int statuses[] = { 200, 299, 301, 400, 429, 500, 599, 0,
		100, 600, 1000 };
	struct lb_metrics *m = lb_metrics_new();
	struct tgen t;
	uint64_t *req;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tgen_init(&t, m, fns, routes);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		lb_metrics_request(&t.g, &t.route[0], statuses[i], 1, -1);
	req = t.g.metrics->routes[0]->requests;
	/* 2xx 3xx 4xx 5xx: what leaves the FastCGI side (others as 500) */
	CU_ASSERT_EQUAL(req[0], 2);
	CU_ASSERT_EQUAL(req[1], 1);
	CU_ASSERT_EQUAL(req[2], 2);
	CU_ASSERT_EQUAL(req[3], 6);
	lb_metrics_unbind(&t.g);
	lb_metrics_free(m);
}

static void
test_families_once(void)
{
	static const char *const fns[] = { "f\"q", NULL };
	static const char *const routes[] = { "GET /a\\b", "$default", NULL };
	struct lb_metrics *m = lb_metrics_new();
	struct tgen t;
	char *s;
	size_t types = 0, helps = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tgen_init(&t, m, fns, routes);
	s = text_of(&t);
	for (const char *p = s; (p = strstr(p, "\n# TYPE ")) != NULL; p++)
		types++;
	for (const char *p = s; (p = strstr(p, "# HELP ")) != NULL; p++)
		helps++;
	/* one TYPE per HELP: build_info, 9 families of functions, 5 of
	 * routes, 2 of keys, 6 of the process */
	CU_ASSERT_EQUAL(types, helps);
	CU_ASSERT_EQUAL(helps, 1 + 9 + 5 + 2 + 6);
	CU_ASSERT_EQUAL(strncmp(s, "# HELP lambdabridge_build_info ", 31), 0);
	/* label values escaped */
	CU_ASSERT(has_line(
	    s, "lambdabridge_invocations_total{function=\"f\\\"q\"} 0"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_throttled_requests_total{route=\"GET /a\\\\b\"} 0"));
	CU_ASSERT(has_line(s,
	    "lambdabridge_environments{function=\"f\\\"q\",state=\"idle\"} 0"));
	CU_ASSERT(s[strlen(s) - 1] == '\n');
	free(s);
	lb_metrics_unbind(&t.g);
	lb_metrics_free(m);
}

static enum lb_metrics_outcome
serve(struct tgen *t, const char *method, const char *uri, const char *addr,
    struct lb_http_response *resp)
{
	struct lb_param p[2] = { { "REMOTE_ADDR", addr },
		{ "SERVER_PORT", "80" } };
	struct lb_http_request req = { method, uri, addr != NULL ? p : p + 1,
		addr != NULL ? 2 : 1, "", 0 };

	memset(resp, 0, sizeof(*resp));
	return lb_metrics_serve(&t->g, &req, resp);
}

static void
test_serve(void)
{
	static const char *const fns[] = { "a", NULL };
	static const char *const routes[] = { NULL };
	static const char *allow[] = { "10.0.0.0/8", "2001:db8::/32" };
	struct lb_metrics *m = lb_metrics_new();
	struct lb_http_response resp;
	struct tgen t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tgen_init(&t, m, fns, routes);
	CU_ASSERT_EQUAL(serve(&t, "GET", "/metrics", "127.0.0.1", &resp),
	    LB_METRICS_SERVED);
	CU_ASSERT_EQUAL(resp.status, 200);
	CU_ASSERT_STRING_EQUAL(lb_http_response_header(&resp, "Content-Type"),
	    LB_PROM_CONTENT_TYPE);
	CU_ASSERT(resp.body_len > 1000);
	lb_http_response_clear(&resp);
	CU_ASSERT_EQUAL(
	    serve(&t, "HEAD", "/metrics?x=1", "::1", &resp), LB_METRICS_SERVED);
	lb_http_response_clear(&resp);
	/* other methods and paths go to the routes */
	CU_ASSERT_EQUAL(
	    serve(&t, "POST", "/metrics", "127.0.0.1", &resp), LB_METRICS_PASS);
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metrics/", "127.0.0.1", &resp), LB_METRICS_PASS);
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metricsx", "127.0.0.1", &resp), LB_METRICS_PASS);
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metric", "127.0.0.1", &resp), LB_METRICS_PASS);
	/* the default allow list is loopback */
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metrics", "10.1.2.3", &resp), LB_METRICS_DENIED);
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metrics", NULL, &resp), LB_METRICS_DENIED);
	CU_ASSERT_EQUAL(resp.status, 0); /* untouched */
	lb_metrics_unbind(&t.g);
	/* a configured one replaces it */
	t.cfg.metrics_allow = (char **)allow;
	t.cfg.nmetrics_allow = 2;
	CU_ASSERT_EQUAL_FATAL(lb_metrics_bind(m, &t.g), 0);
	CU_ASSERT_EQUAL(serve(&t, "GET", "/metrics", "127.0.0.1", &resp),
	    LB_METRICS_DENIED);
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metrics", "10.1.2.3", &resp), LB_METRICS_SERVED);
	lb_http_response_clear(&resp);
	CU_ASSERT_EQUAL(serve(&t, "GET", "/metrics", "2001:db8::7", &resp),
	    LB_METRICS_SERVED);
	lb_http_response_clear(&resp);
	lb_metrics_unbind(&t.g);
	/* off */
	t.cfg.metrics_path = NULL;
	CU_ASSERT_EQUAL_FATAL(lb_metrics_bind(m, &t.g), 0);
	CU_ASSERT_EQUAL(
	    serve(&t, "GET", "/metrics", "127.0.0.1", &resp), LB_METRICS_PASS);
	lb_metrics_unbind(&t.g);
	lb_metrics_free(m);
}

void
lb_test_suite_metrics(void)
{
	static CU_TestInfo tests[] = {
		{ "kept by name", test_kept_by_name },
		{ "status classes", test_status_classes },
		{ "families once", test_families_once },
		{ "serve", test_serve },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("metrics", tests);
}
