/*
 * metrics.c - the metrics endpoint (metrics.h): the registry of counters
 * kept by function name and route key across reloads, the allow list,
 * and the text a scrape gets, written family by family with prom.h.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/env.h"
#include "apigw/admit.h"
#include "apigw/gateway_int.h"
#include "apigw/metrics.h"
#include "apigw/quota.h"
#include "base/ids.h"
#include "base/procstat.h"
#include "version.h"

/* Lambda runs a function up to 900 s; API Gateway waits up to 300 s. */
static const struct lb_prom_layout duration_layout = { 18,
	{ 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	    10, 30, 60, 120, 300, 900 } };

/* Lambda's init phase is capped at 10 s. */
static const struct lb_prom_layout init_layout = { 11,
	{ 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 } };

/* The label of requests that matched no route. */
#define NO_ROUTE "(none)"

static const char *const class_names[LB_METRICS_CLASSES] = { "2xx", "3xx",
	"4xx", "5xx" };

static const char *const error_names[LB_FN_ERR_COUNT] = {
	[LB_FN_ERR_UNHANDLED] = "Unhandled",
	[LB_FN_ERR_INIT] = "Runtime.InitError",
	[LB_FN_ERR_EXIT] = "Runtime.ExitError",
	[LB_FN_ERR_OOM] = "Runtime.OutOfMemory",
	[LB_FN_ERR_TIMEOUT] = "Sandbox.Timedout",
	[LB_FN_ERR_TOO_LARGE] = "Function.ResponseSizeTooLarge",
	[LB_FN_ERR_UNKNOWN] = "Runtime.Unknown",
};

/* One named set of counters in the registry. */
struct entry {
	struct entry *next;
	char *name;
	union {
		struct lb_fn_metrics fn;
		struct lb_route_metrics route;
	} u;
};

struct lb_metrics {
	pthread_mutex_t mu; /* guards the lists (bind only) */
	struct entry *fns, *routes;
	struct lb_route_metrics none;
};

static void
route_init(struct lb_route_metrics *r)
{
	memset(r, 0, sizeof(*r));
	lb_prom_hist_init(&r->latency, &duration_layout);
	lb_prom_hist_init(&r->integration, &duration_layout);
}

struct lb_metrics *
lb_metrics_new(void)
{
	struct lb_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	pthread_mutex_init(&m->mu, NULL);
	route_init(&m->none);
	return m;
}

static void
free_list(struct entry *e)
{
	while (e != NULL) {
		struct entry *next = e->next;

		free(e->name);
		free(e);
		e = next;
	}
}

void
lb_metrics_free(struct lb_metrics *m)
{
	if (m == NULL)
		return;
	free_list(m->fns);
	free_list(m->routes);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* The entry named `name` in *list, made when there is none.  Locked. */
static struct entry *
find(struct entry **list, const char *name, int is_fn)
{
	struct entry *e;

	for (e = *list; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->name = strdup(name)) == NULL) {
		free(e);
		return NULL;
	}
	if (is_fn) {
		lb_prom_hist_init(&e->u.fn.duration, &duration_layout);
		lb_prom_hist_init(&e->u.fn.init, &init_layout);
	} else {
		route_init(&e->u.route);
	}
	e->next = *list;
	*list = e;
	return e;
}

/* The allow list: metrics_allow, else loopback. */
static int
bind_allow(struct lb_gen_metrics *gm, const struct lb_config *cfg)
{
	static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };
	const char *const *src = (const char *const *)cfg->metrics_allow;
	size_t n = cfg->nmetrics_allow;

	if (src == NULL) {
		src = loopback;
		n = sizeof(loopback) / sizeof(loopback[0]);
	}
	gm->allow = calloc(n > 0 ? n : 1, sizeof(*gm->allow));
	if (gm->allow == NULL)
		return -1;
	/* checked by the config loader: nothing fails here */
	for (size_t i = 0; i < n; i++)
		if (lb_cidr_parse(src[i], &gm->allow[gm->nallow]) == NULL)
			gm->nallow++;
	return 0;
}

int
lb_metrics_bind(struct lb_metrics *m, struct lb_gen *g)
{
	const struct lb_config *cfg = g->cfg;
	struct lb_gen_metrics *gm = calloc(1, sizeof(*gm));
	int rc = 0;

	if (gm == NULL)
		return -1;
	g->metrics = gm;
	gm->reg = m;
	gm->none = &m->none;
	gm->fns = calloc(cfg->nfunctions + 1, sizeof(*gm->fns));
	gm->routes = calloc(cfg->nroutes + 1, sizeof(*gm->routes));
	if (gm->fns == NULL || gm->routes == NULL || bind_allow(gm, cfg) < 0)
		return -1;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < cfg->nfunctions && rc == 0; i++) {
		struct entry *e = find(&m->fns, cfg->functions[i].name, 1);

		rc = e != NULL ? 0 : -1;
		gm->fns[i] = e != NULL ? &e->u.fn : NULL;
	}
	for (size_t i = 0; i < cfg->nroutes && rc == 0; i++) {
		struct entry *e = find(&m->routes, cfg->routes[i].key, 0);

		rc = e != NULL ? 0 : -1;
		gm->routes[i] = e != NULL ? &e->u.route : NULL;
	}
	pthread_mutex_unlock(&m->mu);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < cfg->nfunctions; i++)
		lb_envs_set_metrics(g->envs, i, gm->fns[i]);
	return 0;
}

void
lb_metrics_unbind(struct lb_gen *g)
{
	struct lb_gen_metrics *gm = g->metrics;

	if (gm == NULL)
		return;
	free(gm->fns);
	free(gm->routes);
	free(gm->allow);
	free(gm);
	g->metrics = NULL;
}

/* The counters of `route` (NULL: none matched). */
static struct lb_route_metrics *
route_of(struct lb_gen *g, const struct lb_route *route)
{
	struct lb_gen_metrics *gm = g->metrics;

	if (route == NULL)
		return gm->none;
	return gm->routes[route - g->cfg->routes];
}

void
lb_metrics_request(struct lb_gen *g, const struct lb_route *route, int status,
    int64_t total_us, int64_t integ_us)
{
	struct lb_route_metrics *r;
	/* what the FastCGI layer sends: another status goes out as 500 */
	int cls = status >= 200 && status <= 599 ? status / 100 - 2 : 3;

	if (g->metrics == NULL)
		return;
	r = route_of(g, route);
	__atomic_add_fetch(&r->requests[cls], 1, __ATOMIC_RELAXED);
	lb_prom_hist_observe(&r->latency, total_us);
	if (integ_us >= 0)
		lb_prom_hist_observe(&r->integration, integ_us);
}

void
lb_metrics_refused(struct lb_gen *g, const struct lb_route *route, int quota)
{
	struct lb_route_metrics *r;

	if (g->metrics == NULL)
		return;
	r = route_of(g, route);
	__atomic_add_fetch(
	    quota ? &r->over_quota : &r->throttled, 1, __ATOMIC_RELAXED);
}

/* ---- the text ---- */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* A family of a sample or a histogram per function or per route: the
 * uint64_t or the lb_prom_hist at `off` in its counters. */
struct family {
	const char *name;
	const char *help;
	int hist;
	size_t off;
};

#define FN_COUNTER(n, m, h) \
	{ \
		n, h, 0, offsetof(struct lb_fn_metrics, m) \
	}
#define FN_HIST(n, m, h) \
	{ \
		n, h, 1, offsetof(struct lb_fn_metrics, m) \
	}
#define ROUTE_COUNTER(n, m, h) \
	{ \
		n, h, 0, offsetof(struct lb_route_metrics, m) \
	}
#define ROUTE_HIST(n, m, h) \
	{ \
		n, h, 1, offsetof(struct lb_route_metrics, m) \
	}

static const struct family fn_families[] = {
	FN_COUNTER("lambdabridge_throttles_total", throttles,
	    "Invocations refused at the function's reserved or the account's "
	    "concurrency (Lambda's Throttles)."),
	FN_COUNTER("lambdabridge_timeouts_total", timeouts,
	    "Invocations ended by the function's timeout (Sandbox.Timedout)."),
	FN_COUNTER("lambdabridge_cold_starts_total", cold_starts,
	    "Invocations that started a new execution environment."),
	FN_HIST("lambdabridge_invocation_duration_seconds", duration,
	    "The function's run time per invocation (REPORT's Duration)."),
	FN_HIST("lambdabridge_init_duration_seconds", init,
	    "The init phase of cold starts (REPORT's Init Duration)."),
};

static const struct family route_families[] = {
	ROUTE_HIST("lambdabridge_request_duration_seconds", latency,
	    "From the request's arrival to its response (API Gateway's "
	    "Latency)."),
	ROUTE_HIST("lambdabridge_integration_duration_seconds", integration,
	    "From the invocation's start to its result, cold starts included "
	    "(API Gateway's IntegrationLatency)."),
	ROUTE_COUNTER("lambdabridge_throttled_requests_total", throttled,
	    "Requests answered 429 by the gateway's throttling (the usage "
	    "plan's, the route's or the account's rate)."),
	ROUTE_COUNTER("lambdabridge_quota_exceeded_requests_total", over_quota,
	    "Requests answered 429 Limit Exceeded by a usage plan's quota."),
};

/* Family f, one sample or histogram per counters[i] labelled `label` =
 * values[i]. */
static void
write_family(struct lb_prom *p, const struct family *f, const char *label,
    const char *const *values, void *const *counters, size_t n)
{
	lb_prom_family(p, f->name, f->hist ? "histogram" : "counter", f->help);
	for (size_t i = 0; i < n; i++) {
		struct lb_prom_label l = { label, values[i] };
		const char *at = (const char *)counters[i] + f->off;

		if (f->hist)
			lb_prom_hist_write(
			    p, f->name, &l, 1, (const struct lb_prom_hist *)at);
		else
			lb_prom_sample_u64(
			    p, f->name, &l, 1, LOAD(*(const uint64_t *)at));
	}
}

static void
write_functions(struct lb_prom *p, struct lb_gen *g, const char *const *names)
{
	const struct lb_config *cfg = g->cfg;
	void *const *fns = (void *const *)g->metrics->fns;
	struct lb_envs_counts *per_fn;
	static const char *const states[] = { "starting", "idle", "busy" };
	static const struct family invocations = FN_COUNTER(
	    "lambdabridge_invocations_total", invocations,
	    "Invocations of the function let through its concurrency limits "
	    "(Lambda's Invocations, errors included).");

	write_family(p, &invocations, "function", names, fns, cfg->nfunctions);
	lb_prom_family(p, "lambdabridge_errors_total", "counter",
	    "Invocations that failed, by kind: Unhandled is the function's own "
	    "error (Lambda's Errors).");
	for (size_t i = 0; i < cfg->nfunctions; i++)
		for (int k = 0; k < LB_FN_ERR_COUNT; k++) {
			struct lb_prom_label l[2] = {
				{ "function", names[i] },
				{ "type", error_names[k] },
			};

			lb_prom_sample_u64(p, "lambdabridge_errors_total", l, 2,
			    LOAD(g->metrics->fns[i]->errors[k]));
		}
	for (size_t f = 0; f < sizeof(fn_families) / sizeof(fn_families[0]);
	     f++)
		write_family(p, &fn_families[f], "function", names, fns,
		    cfg->nfunctions);
	lb_prom_family(p, "lambdabridge_concurrent_executions", "gauge",
	    "Invocations of the function running now (Lambda's "
	    "ConcurrentExecutions).");
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		struct lb_prom_label l = { "function", names[i] };
		int64_t n = LOAD(g->metrics->fns[i]->concurrent);

		lb_prom_sample(p, "lambdabridge_concurrent_executions", &l, 1,
		    (double)(n < 0 ? 0 : n));
	}
	per_fn = calloc(cfg->nfunctions + 1, sizeof(*per_fn));
	if (per_fn == NULL) {
		p->oom = 1;
		return;
	}
	lb_envs_counts_by_function(g->envs, per_fn);
	lb_prom_family(p, "lambdabridge_environments", "gauge",
	    "The function's execution environments of the current "
	    "configuration, by state.");
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		int n[3] = { per_fn[i].starting, per_fn[i].idle,
			per_fn[i].busy };

		for (int s = 0; s < 3; s++) {
			struct lb_prom_label l[2] = {
				{ "function", names[i] },
				{ "state", states[s] },
			};

			lb_prom_sample(
			    p, "lambdabridge_environments", l, 2, n[s]);
		}
	}
	free(per_fn);
}

/* The routes of g's config, then the requests that matched none
 * (names[nroutes], counters[nroutes]). */
static void
write_routes(struct lb_prom *p, struct lb_gen *g, const char *const *names,
    void *const *counters)
{
	size_t n = g->cfg->nroutes + 1;

	lb_prom_family(p, "lambdabridge_requests_total", "counter",
	    "Requests the API answered, by route and status class (API "
	    "Gateway's Count, 4XXError, 5XXError).");
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < LB_METRICS_CLASSES; c++) {
			struct lb_prom_label l[2] = {
				{ "route", names[i] },
				{ "status_class", class_names[c] },
			};
			const struct lb_route_metrics *r = counters[i];

			lb_prom_sample_u64(p, "lambdabridge_requests_total", l,
			    2, LOAD(r->requests[c]));
		}
	for (size_t f = 0;
	     f < sizeof(route_families) / sizeof(route_families[0]); f++)
		write_family(
		    p, &route_families[f], "route", names, counters, n);
}

static void
write_keys(struct lb_prom *p, struct lb_gen *g)
{
	const struct lb_config *cfg = g->cfg;
	int64_t now = lb_now_ms();

	lb_prom_family(p, "lambdabridge_api_key_quota_used", "gauge",
	    "Requests counted against the API key's quota in its current "
	    "period.");
	for (size_t i = 0; i < cfg->napi_keys; i++) {
		struct lb_prom_label l = { "api_key", cfg->api_keys[i].name };

		if (cfg->api_keys[i].quota_limit >= 0)
			lb_prom_sample(p, "lambdabridge_api_key_quota_used", &l,
			    1,
			    (double)lb_quota_used(
			        g->keys[i].quota, &cfg->api_keys[i], now));
	}
	lb_prom_family(p, "lambdabridge_api_key_quota_limit", "gauge",
	    "The API key's quota: requests per period.");
	for (size_t i = 0; i < cfg->napi_keys; i++) {
		struct lb_prom_label l = { "api_key", cfg->api_keys[i].name };

		if (cfg->api_keys[i].quota_limit >= 0)
			lb_prom_sample(p, "lambdabridge_api_key_quota_limit",
			    &l, 1, cfg->api_keys[i].quota_limit);
	}
}

/* gateway.shared_state (docs/scale-out.md): whether Redis answers, and
 * the admissions and Redis calls of this configuration (they count from
 * its load, as the admission's own counters do). */
static void
write_shared(struct lb_prom *p, struct lb_gen *g)
{
	static const char *const results[] = { "admitted", "throttled",
		"over_quota", "no_lease", "failed_local", "failed_closed" };
	struct lb_admit_stats st;
	const uint64_t *by_result[] = { &st.admitted, &st.throttled,
		&st.over_quota, &st.no_lease, &st.failed_local,
		&st.failed_closed };
	static const struct {
		const char *name, *help;
		size_t off;
	} calls[] = {
		{ "lambdabridge_shared_state_commands_total",
		    "Calls sent to Redis.",
		    offsetof(struct lb_redis_stats, commands) },
		{ "lambdabridge_shared_state_failures_total",
		    "Calls to Redis that ended without a reply.",
		    offsetof(struct lb_redis_stats, failed) },
		{ "lambdabridge_shared_state_timeouts_total",
		    "Calls to Redis past shared_state_timeout.",
		    offsetof(struct lb_redis_stats, timeouts) },
		{ "lambdabridge_shared_state_downs_total",
		    "Times Redis stopped answering (the bridge went to its "
		    "shared_state_failure mode).",
		    offsetof(struct lb_redis_stats, downs) },
	};

	if (g->admit == NULL)
		return;
	lb_admit_stats(g->admit, &st);
	lb_prom_family(p, "lambdabridge_shared_state_up", "gauge",
	    "1 while Redis (gateway.shared_state) answers, else 0.");
	lb_prom_sample(
	    p, "lambdabridge_shared_state_up", NULL, 0, st.redis.up ? 1 : 0);
	lb_prom_family(p, "lambdabridge_shared_state_admissions_total",
	    "counter",
	    "Requests decided through the shared state, by result "
	    "(failed_*: Redis did not answer in time).");
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		struct lb_prom_label l = { "result", results[i] };

		lb_prom_sample_u64(p,
		    "lambdabridge_shared_state_admissions_total", &l, 1,
		    *by_result[i]);
	}
	lb_prom_family(p, "lambdabridge_shared_state_pooled_total", "counter",
	    "Admissions served by a concurrency lease this bridge held "
	    "already (shared_lease_pool).");
	lb_prom_sample_u64(
	    p, "lambdabridge_shared_state_pooled_total", NULL, 0, st.pooled);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		lb_prom_family(p, calls[i].name, "counter", calls[i].help);
		lb_prom_sample_u64(p, calls[i].name, NULL, 0,
		    *(const uint64_t *)(const void *)((const char *)&st.redis +
		        calls[i].off));
	}
}

/* As Prometheus's Go and Python clients name them. */
static void
write_process(struct lb_prom *p)
{
	struct lb_procstat st;

	if (lb_procstat_read(&st) < 0)
		return; /* no /proc: the clients leave them out too */
	lb_prom_family(p, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.");
	lb_prom_sample(p, "process_cpu_seconds_total", NULL, 0, st.cpu_seconds);
	lb_prom_family(p, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	lb_prom_sample_u64(
	    p, "process_resident_memory_bytes", NULL, 0, st.resident_bytes);
	lb_prom_family(p, "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.");
	lb_prom_sample_u64(
	    p, "process_virtual_memory_bytes", NULL, 0, st.virtual_bytes);
	lb_prom_family(
	    p, "process_open_fds", "gauge", "Number of open file descriptors.");
	lb_prom_sample(p, "process_open_fds", NULL, 0, (double)st.open_fds);
	lb_prom_family(p, "process_max_fds", "gauge",
	    "Maximum number of open file descriptors.");
	lb_prom_sample(p, "process_max_fds", NULL, 0, (double)st.max_fds);
	lb_prom_family(p, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	lb_prom_sample(p, "process_start_time_seconds", NULL, 0, st.start_time);
}

/* The labels and counters of g's functions and routes (the routes' with
 * NO_ROUTE's last), in new arrays; 0 or -1. */
static int
names_of(struct lb_gen *g, const char ***fn_names, const char ***route_names,
    void ***routes)
{
	const struct lb_config *cfg = g->cfg;

	*fn_names = calloc(cfg->nfunctions + 1, sizeof(**fn_names));
	*route_names = calloc(cfg->nroutes + 1, sizeof(**route_names));
	*routes = calloc(cfg->nroutes + 1, sizeof(**routes));
	if (*fn_names == NULL || *route_names == NULL || *routes == NULL) {
		free(*fn_names);
		free(*route_names);
		free(*routes);
		return -1;
	}
	for (size_t i = 0; i < cfg->nfunctions; i++)
		(*fn_names)[i] = cfg->functions[i].name;
	for (size_t i = 0; i < cfg->nroutes; i++) {
		(*route_names)[i] = cfg->routes[i].key;
		(*routes)[i] = g->metrics->routes[i];
	}
	(*route_names)[cfg->nroutes] = NO_ROUTE;
	(*routes)[cfg->nroutes] = g->metrics->none;
	return 0;
}

char *
lb_metrics_text(struct lb_gen *g, size_t *len)
{
	const char **fn_names, **route_names;
	void **routes;
	struct lb_prom p;
	struct lb_prom_label info[2] = { { "version", LB_VERSION },
		{ "commit", LB_COMMIT } };

	if (g->metrics == NULL)
		return NULL;
	lb_prom_init(&p);
	lb_prom_family(&p, "lambdabridge_build_info", "gauge",
	    "Always 1: the bridge's version and the commit it was built from.");
	lb_prom_sample(&p, "lambdabridge_build_info", info, 2, 1);
	if (names_of(g, &fn_names, &route_names, &routes) < 0) {
		lb_prom_free(&p);
		return NULL;
	}
	write_functions(&p, g, fn_names);
	write_routes(&p, g, route_names, routes);
	free(fn_names);
	free(route_names);
	free(routes);
	write_keys(&p, g);
	write_shared(&p, g);
	write_process(&p);
	return lb_prom_take(&p, len);
}

/* Whether req is for metrics_path: its REQUEST_URI's path is. */
static int
is_metrics_path(const char *path, const char *uri)
{
	size_t n = strlen(path);

	return strncmp(uri, path, n) == 0 && (uri[n] == '\0' || uri[n] == '?');
}

enum lb_metrics_outcome
lb_metrics_serve(struct lb_gen *g, const struct lb_http_request *req,
    struct lb_http_response *resp)
{
	const char *path = g->cfg->metrics_path;
	char *text;
	size_t len;

	if (path == NULL || g->metrics == NULL ||
	    (strcmp(req->method, "GET") != 0 &&
	        strcmp(req->method, "HEAD") != 0) ||
	    !is_metrics_path(path, req->uri))
		return LB_METRICS_PASS;
	if (!lb_cidr_match(g->metrics->allow, g->metrics->nallow,
	        lb_http_param(req, "REMOTE_ADDR")))
		return LB_METRICS_DENIED;
	text = lb_metrics_text(g, &len);
	if (text == NULL ||
	    lb_http_response_add_header(
	        resp, "Content-Type", LB_PROM_CONTENT_TYPE, (size_t)-1) < 0) {
		free(text);
		lb_http_response_clear(resp);
		resp->status = 500;
		return LB_METRICS_SERVED;
	}
	resp->status = 200;
	lb_http_response_take_body(resp, text, len);
	return LB_METRICS_SERVED;
}
