/*
 * gateway.c - the request pipeline, one stage after another:
 *
 *	route -> gateway checks -> event -> invoke -> map
 *
 * Each stage either passes the request on or ends it with one gateway error
 * (enum lb_gwerr), which is rendered once at the end with the API type's
 * exact bytes and the request-id headers.  Future gateway features
 * (throttling, API keys, authorizers, CORS) slot in as further checks.
 *
 * Configuration generations: a request holds a reference on the generation
 * (config, router, environments) it started on; a reload swaps the current
 * generation and the old one is freed, on a thread of its own, once its last
 * request has finished.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/env.h"
#include "fastcgi/fcgi.h"
#include "base/fmt.h"
#include "apigw/gateway.h"
#include "apigw/gwerror.h"
#include "base/ids.h"
#include "base/log.h"
#include "apigw/request.h"
#include "apigw/response.h"
#include "apigw/router.h"
#include "apigw/throttle.h"

/* Lambda's synchronous invocation payload limit. */
#define LB_EVENT_MAX (6 * 1024 * 1024)

/* A token bucket that may be off (no limits configured). */
struct bucket {
	int on;
	struct lb_throttle t;
};

/* An API key's usage plan: its bucket and its quota's count. */
struct key_state {
	struct bucket bucket;
	pthread_mutex_t mu; /* guards used and period_end */
	int64_t used;       /* requests admitted in this period */
	int64_t period_end; /* ms since the epoch; 0 before the first */
};

struct lb_gen {
	struct lb_config *cfg;
	struct lb_router *router;
	struct lb_envs *envs;
	struct bucket *route_buckets; /* one per route */
	struct bucket account_bucket; /* all routes together */
	struct key_state *keys;       /* one per API key */
	uint64_t throttled;  /* requests answered 429 THROTTLED (atomic) */
	uint64_t over_quota; /* ... and 429 QUOTA_EXCEEDED (atomic) */
	int refs;            /* requests in flight, +1 while current */
};

struct lb_gateway {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lb_gen *cur;
	int retiring; /* old generations not yet freed */
};

/* Everything one request carries through the stages. */
struct lb_call {
	struct lb_gateway *gw;
	struct lb_fcgi_req *r;
	struct lb_gen *gen;
	const struct lb_http_request *req;
	int rest;
	char request_id[LB_IDS_UUID_LEN + 1];
	char short_id[LB_IDS_SHORT_LEN + 1];
	char trace_id[LB_IDS_TRACE_LEN + 1];
	int64_t time_ms;
	int64_t start_mono;
	int body_too_large;
	struct lb_request q; /* route, API key, the serialised event */
	const struct lb_function *fn;
	struct lb_invoke_request rq;
	struct lb_invoke_result res;
	int invoked;
	struct lb_http_response resp;
};

/* A full bucket for `lim`, or one that is off when no limit is set. */
static void
bucket_init(struct bucket *b, struct lb_throttle_limits lim, int64_t now)
{
	b->on = lim.rate >= 0;
	if (b->on)
		lb_throttle_init(&b->t, lim, now);
}

static void
bucket_destroy(struct bucket *b)
{
	if (b->on)
		lb_throttle_destroy(&b->t);
}

static void
gen_free(struct lb_gen *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; g->route_buckets != NULL && i < g->cfg->nroutes; i++)
		bucket_destroy(&g->route_buckets[i]);
	free(g->route_buckets);
	bucket_destroy(&g->account_bucket);
	for (size_t i = 0; g->keys != NULL && i < g->cfg->napi_keys; i++) {
		bucket_destroy(&g->keys[i].bucket);
		pthread_mutex_destroy(&g->keys[i].mu);
	}
	free(g->keys);
	lb_envs_free(g->envs);
	lb_router_free(g->router);
	lb_config_free(g->cfg);
	free(g);
}

/* Full buckets for the routes' and the account's throttling: a reload
 * starts them afresh, as a new deployment does. */
static int
buckets_init(struct lb_gen *g)
{
	const struct lb_config *cfg = g->cfg;
	int64_t now = lb_mono_us();

	g->route_buckets = calloc(
	    cfg->nroutes > 0 ? cfg->nroutes : 1, sizeof(*g->route_buckets));
	if (g->route_buckets == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nroutes; i++)
		bucket_init(&g->route_buckets[i], cfg->routes[i].throttle, now);
	bucket_init(&g->account_bucket, cfg->account_throttle, now);
	g->keys =
	    calloc(cfg->napi_keys > 0 ? cfg->napi_keys : 1, sizeof(*g->keys));
	if (g->keys == NULL)
		return -1;
	for (size_t i = 0; i < cfg->napi_keys; i++) {
		pthread_mutex_init(&g->keys[i].mu, NULL);
		bucket_init(&g->keys[i].bucket, cfg->api_keys[i].throttle, now);
	}
	return 0;
}

/* Counts a request against key k's quota: 0 when the period's quota is
 * used up (the request is not counted then). */
static int
quota_take(struct key_state *ks, const struct lb_api_key *k)
{
	int64_t now = lb_now_ms();
	int ok;

	if (k->quota_limit < 0)
		return 1;
	pthread_mutex_lock(&ks->mu);
	if (now >= ks->period_end) {
		ks->used = 0;
		ks->period_end = lb_quota_period_end(k->quota_period, now);
	}
	ok = ks->used < k->quota_limit;
	if (ok)
		ks->used++;
	pthread_mutex_unlock(&ks->mu);
	return ok;
}

/* Builds a generation over cfg (taking it); NULL with err on failure. */
static struct lb_gen *
gen_new(struct lb_config *cfg, char *err, size_t errlen)
{
	struct lb_gen *g = calloc(1, sizeof(*g));
	char why[512];
	size_t bad = 0;

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		lb_config_free(cfg);
		return NULL;
	}
	g->cfg = cfg;
	g->refs = 1;
	g->router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, why, sizeof(why));
	if (g->router != NULL)
		lb_router_set_rest(g->router, cfg->api == LB_API_REST);
	if (g->router == NULL) {
		if (bad < cfg->nroutes)
			snprintf(err, errlen, "%s:%d: routes[%zu]: %s",
			    cfg->path, cfg->routes[bad].line, bad, why);
		else
			snprintf(err, errlen, "%s: routes: %s", cfg->path, why);
		gen_free(g);
		return NULL;
	}
	g->envs = lb_envs_new(cfg, lb_self_exe(), err, errlen);
	if (g->envs == NULL) {
		gen_free(g);
		return NULL;
	}
	if (buckets_init(g) < 0) {
		snprintf(err, errlen, "out of memory");
		gen_free(g);
		return NULL;
	}
	return g;
}

struct lb_gateway *
lb_gateway_new(struct lb_config *cfg, char *err, size_t errlen)
{
	struct lb_gateway *gw = calloc(1, sizeof(*gw));

	if (gw == NULL) {
		snprintf(err, errlen, "out of memory");
		lb_config_free(cfg);
		return NULL;
	}
	gw->cur = gen_new(cfg, err, errlen);
	if (gw->cur == NULL) {
		free(gw);
		return NULL;
	}
	pthread_mutex_init(&gw->mu, NULL);
	pthread_cond_init(&gw->cv, NULL);
	return gw;
}

static struct lb_gen *
gen_acquire(struct lb_gateway *gw)
{
	struct lb_gen *g;

	pthread_mutex_lock(&gw->mu);
	g = gw->cur;
	g->refs++;
	pthread_mutex_unlock(&gw->mu);
	return g;
}

struct retire_arg {
	struct lb_gateway *gw;
	struct lb_gen *gen;
};

static void *
retire_thread(void *p)
{
	struct retire_arg *ra = p;
	struct lb_gateway *gw = ra->gw;

	gen_free(ra->gen);
	free(ra);
	pthread_mutex_lock(&gw->mu);
	if (--gw->retiring == 0)
		pthread_cond_broadcast(&gw->cv);
	pthread_mutex_unlock(&gw->mu);
	return NULL;
}

/* Drops a reference; the last one frees an old generation off-thread. */
static void
gen_release(struct lb_gateway *gw, struct lb_gen *g)
{
	struct retire_arg *ra;
	pthread_t t;
	int last;

	pthread_mutex_lock(&gw->mu);
	last = --g->refs == 0;
	if (last)
		gw->retiring++;
	pthread_mutex_unlock(&gw->mu);
	if (!last)
		return;
	ra = malloc(sizeof(*ra));
	if (ra != NULL) {
		ra->gw = gw;
		ra->gen = g;
		if (pthread_create(&t, NULL, retire_thread, ra) == 0) {
			pthread_detach(t);
			return;
		}
		free(ra);
	}
	/* no thread: free it here, late but correct */
	ra = malloc(sizeof(*ra));
	if (ra == NULL) {
		gen_free(g);
		pthread_mutex_lock(&gw->mu);
		if (--gw->retiring == 0)
			pthread_cond_broadcast(&gw->cv);
		pthread_mutex_unlock(&gw->mu);
		return;
	}
	ra->gw = gw;
	ra->gen = g;
	retire_thread(ra);
}

int
lb_gateway_reload(
    struct lb_gateway *gw, struct lb_config *cfg, char *err, size_t errlen)
{
	struct lb_gen *g = gen_new(cfg, err, errlen), *old;

	if (g == NULL)
		return -1;
	/*
	 * A changed function must start before the switch: a new module
	 * whose lb_init fails would otherwise answer every request with an
	 * init error.  gw->cur changes only here (one reloading thread).
	 */
	if (lb_envs_prime(g->envs, gw->cur->envs, err, errlen) < 0) {
		gen_free(g);
		return -1;
	}
	pthread_mutex_lock(&gw->mu);
	old = gw->cur;
	gw->cur = g;
	pthread_mutex_unlock(&gw->mu);
	gen_release(gw, old);
	return 0;
}

size_t
lb_gateway_max_body(struct lb_gateway *gw)
{
	size_t max;

	pthread_mutex_lock(&gw->mu);
	max = gw->cur->cfg->max_request_body;
	pthread_mutex_unlock(&gw->mu);
	return max;
}

void
lb_gateway_dump_stats(struct lb_gateway *gw, FILE *out)
{
	struct lb_gen *g = gen_acquire(gw);

	lb_envs_dump_stats(g->envs, out);
	fprintf(out, "gateway: throttled=%llu over_quota=%llu\n",
	    (unsigned long long)__atomic_load_n(
	        &g->throttled, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(
	        &g->over_quota, __ATOMIC_RELAXED));
	for (size_t i = 0; i < g->cfg->napi_keys; i++) {
		const struct lb_api_key *k = &g->cfg->api_keys[i];
		long long used;

		if (k->quota_limit < 0)
			continue;
		pthread_mutex_lock(&g->keys[i].mu);
		used =
		    lb_now_ms() < g->keys[i].period_end ? g->keys[i].used : 0;
		pthread_mutex_unlock(&g->keys[i].mu);
		fprintf(out, "api key %s: quota_used=%lld quota_limit=%d\n",
		    k->name, used, k->quota_limit);
	}
	gen_release(gw, g);
}

void
lb_gateway_free(struct lb_gateway *gw)
{
	if (gw == NULL)
		return;
	gen_release(gw, gw->cur);
	pthread_mutex_lock(&gw->mu);
	while (gw->retiring > 0)
		pthread_cond_wait(&gw->cv, &gw->mu);
	pthread_mutex_unlock(&gw->mu);
	pthread_mutex_destroy(&gw->mu);
	pthread_cond_destroy(&gw->cv);
	free(gw);
}

/* Whether a bucket lets the request through (a bucket that is off does). */
static int
bucket_take(struct bucket *b, int64_t now)
{
	return !b->on || lb_throttle_take(&b->t, now);
}

/* The enabled key whose value clients send in x-api-key, or NULL. */
static const struct lb_api_key *
find_api_key(const struct lb_config *cfg, const char *value)
{
	if (value == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->napi_keys; i++)
		if (cfg->api_keys[i].enabled &&
		    strcmp(cfg->api_keys[i].value, value) == 0)
			return &cfg->api_keys[i];
	return NULL;
}

/* Stage 2 (lb_request_check): gateway checks: the body's size, the API key
 * (REST routes with api_key_required), then throttling (the route's bucket,
 * then the account's); authorizers come here next. */
static enum lb_gwerr
stage_checks(struct lb_request *q, void *arg)
{
	struct lb_call *c = arg;
	struct lb_gen *g = c->gen;
	size_t route = (size_t)(q->match.route - g->cfg->routes);
	struct key_state *key = NULL;
	int64_t now;

	if (c->body_too_large)
		return LB_GWERR_REQUEST_TOO_LARGE;
	if (q->match.route->api_key_required) {
		q->api_key = find_api_key(
		    g->cfg, lb_http_param(c->req, "HTTP_X_API_KEY"));
		if (q->api_key == NULL)
			return LB_GWERR_INVALID_API_KEY;
		key = &g->keys[q->api_key - g->cfg->api_keys];
	}
	if ((key != NULL && key->bucket.on) || g->route_buckets[route].on ||
	    g->account_bucket.on) {
		now = lb_mono_us();
		/* the usage plan's limit first, then the stage's, then the
		 * account's, as API Gateway applies them */
		if ((key != NULL && !bucket_take(&key->bucket, now)) ||
		    !bucket_take(&g->route_buckets[route], now) ||
		    !bucket_take(&g->account_bucket, now)) {
			__atomic_add_fetch(&g->throttled, 1, __ATOMIC_RELAXED);
			return LB_GWERR_THROTTLED;
		}
	}
	/* last, so that only requests let through count */
	if (key != NULL && !quota_take(key, q->api_key)) {
		__atomic_add_fetch(&g->over_quota, 1, __ATOMIC_RELAXED);
		return LB_GWERR_QUOTA_EXCEEDED;
	}
	return LB_GWERR_NONE;
}

/* Stages 1 to 3, shared with `lambdabridge event` (request.h): find the
 * route, run the gateway checks (stage_checks), build the event. */
static enum lb_gwerr
stage_prepare(struct lb_call *c)
{
	struct lb_request *q = &c->q;
	enum lb_gwerr e;
	char err[256];

	q->cfg = c->gen->cfg;
	q->router = c->gen->router;
	q->req = c->req;
	q->request_id = c->request_id;
	q->short_id = c->short_id;
	q->trace_id = c->trace_id;
	q->time_ms = c->time_ms;
	q->event_max = LB_EVENT_MAX;
	e = lb_request_prepare(q, stage_checks, c, err, sizeof(err));
	c->fn = q->fn;
	if (err[0] != '\0')
		lb_log(LB_LOG_ERROR, "%s cannot build the event: %s",
		    c->request_id, err);
	else if (e == LB_GWERR_EVENT_TOO_LARGE)
		lb_log(LB_LOG_WARN,
		    "%s event of %zu bytes is over Lambda's "
		    "6 MB payload limit",
		    c->request_id, q->event_len);
	return e;
}

/* Stage 4: the invocation request (the invocation itself runs on the
 * loop, or blocks on a pool thread: env.h). */
static void
stage_invoke(struct lb_call *c)
{
	const struct lb_config *cfg = c->gen->cfg;

	c->rq.request_id = c->request_id;
	c->rq.trace_id = c->trace_id;
	c->rq.event = c->q.event;
	c->rq.event_len = c->q.event_len;
	c->rq.defer_report = 1; /* logged with the access line (access_log) */
	c->rq.integration_deadline_ms =
	    c->time_ms + (int64_t)(cfg->integration_timeout * 1000.0);
}

/* ... and its outcome. */
static enum lb_gwerr
stage_invoked(struct lb_call *c)
{
	const struct lb_config *cfg = c->gen->cfg;

	c->invoked = 1;
	switch (c->res.status) {
	case LB_INVOKE_OK: return LB_GWERR_NONE;
	case LB_INVOKE_THROTTLED:
		lb_log(LB_LOG_WARN,
		    "%s function '%s' throttled: "
		    "concurrency limit reached",
		    c->request_id, c->fn->name);
		return LB_GWERR_INTEGRATION_FAILURE;
	case LB_INVOKE_INTEGRATION_TIMEOUT:
		lb_log(LB_LOG_WARN,
		    "%s Execution failed due to a timeout "
		    "error: integration timeout of %.3f s reached",
		    c->request_id, cfg->integration_timeout);
		return LB_GWERR_INTEGRATION_TIMEOUT;
	default:
		lb_log(LB_LOG_WARN,
		    "%s Lambda execution failed due to "
		    "customer function error: %s%s%s",
		    c->request_id,
		    c->res.error_type[0] ? c->res.error_type : "Unhandled",
		    c->res.error_message[0] ? ": " : "", c->res.error_message);
		return LB_GWERR_FUNCTION_ERROR;
	}
}

/* Stage 5: map the function's output to the HTTP response. */
static enum lb_gwerr
stage_map(struct lb_call *c, struct lb_http_response *resp)
{
	const struct lb_config *cfg = c->gen->cfg;
	struct lb_response_input in;
	char err[256];
	int rc;

	memset(&in, 0, sizeof(in));
	in.rest = c->rest;
	in.payload_format = c->q.match.route->payload_format;
	in.output = c->res.payload != NULL ? c->res.payload : "";
	in.output_len = c->res.payload_len;
	in.accept = lb_http_param(c->req, "HTTP_ACCEPT");
	in.binary_media_types = cfg->binary_media_types;
	in.nbinary_media_types = cfg->nbinary_media_types;
	rc = lb_response_map(&in, resp, err, sizeof(err));
	if (rc < 0) {
		lb_log(LB_LOG_WARN,
		    "%s Execution failed due to configuration "
		    "error: %s",
		    c->request_id, err);
		return rc == LB_RESPONSE_ECONFIG
		    ? LB_GWERR_API_CONFIGURATION_ERROR
		    : LB_GWERR_FUNCTION_ERROR;
	}
	return LB_GWERR_NONE;
}

static void
add_id_headers(struct lb_call *c, struct lb_http_response *resp)
{
	if (c->rest) {
		lb_http_response_add_header(
		    resp, "x-amzn-RequestId", c->request_id, (size_t)-1);
		lb_http_response_add_header(
		    resp, "x-amz-apigw-id", c->short_id, (size_t)-1);
		lb_http_response_add_header(
		    resp, "X-Amzn-Trace-Id", c->trace_id, (size_t)-1);
	} else {
		lb_http_response_add_header(
		    resp, "apigw-requestid", c->short_id, (size_t)-1);
	}
}

/*
 * A field of the access line that the client (or a raw FastCGI peer) chose,
 * escaped so that it cannot end the line or the quoted request (log.h), in
 * at most `max` (<= 1024) bytes.
 */
static void
put_field(struct lb_fmt *f, const char *s, size_t max)
{
	char esc[1024 + 1];
	size_t cap = max < sizeof(esc) ? max + 1 : sizeof(esc);

	lb_fmt_mem(f, esc,
	    lb_log_escape(esc, cap, s, strnlen(s, cap - 1), LB_LOG_ESC_QUOTE));
}

/*
 * The access line, after the invocation's END and REPORT lines: handed to
 * the FastCGI layer in resp->log, which writes them in one go once the
 * response is on its way.
 */
static void
access_log(struct lb_call *c, struct lb_http_response *resp)
{
	const char *ip = lb_http_param(c->req, "REMOTE_ADDR");
	const char *proto = lb_http_param(c->req, "SERVER_PROTOCOL");
	const char *uri = c->req->uri[0] ? c->req->uri : "-";
	char line[2048];
	struct lb_fmt f;
	size_t n;

	lb_fmt_init(&f, line, sizeof(line));
	put_field(&f, ip ? ip : "-", 64);
	lb_fmt_str(&f, " - - \"");
	put_field(&f, c->req->method[0] ? c->req->method : "-", 64);
	lb_fmt_str(&f, " ");
	put_field(&f, uri, 1024);
	lb_fmt_str(&f, " ");
	put_field(&f, proto ? proto : "-", 64);
	lb_fmt_str(&f, "\" ");
	lb_fmt_i64(&f, resp->status);
	lb_fmt_str(&f, " ");
	lb_fmt_u64(&f, resp->body_len);
	lb_fmt_str(&f, " ");
	lb_fmt_i64(&f, lb_mono_ms() - c->start_mono);
	lb_fmt_str(&f, " ms ");
	lb_fmt_str(&f, c->rest ? c->request_id : c->short_id);
	lb_fmt_str(&f, " ");
	lb_fmt_str(&f, c->fn != NULL ? c->fn->name : "-");
	n = lb_fmt_done(&f, line);
	if (c->invoked && c->res.report[0] != '\0') {
		size_t r = strlen(c->res.report);

		resp->log = malloc(r + 1 + n + 1);
		if (resp->log == NULL) {
			lb_log_raw(c->res.report);
		} else {
			memcpy(resp->log, c->res.report, r);
			resp->log[r] = '\n';
			memcpy(resp->log + r + 1, line, n + 1);
			return;
		}
	}
	resp->log = strdup(line);
	if (resp->log == NULL)
		lb_log_raw(line);
}

/* The end of every request: the error, if any, the id headers and the
 * access line; then the response goes out and the call is freed. */
static void
call_end(struct lb_call *c, enum lb_gwerr e)
{
	struct lb_http_response *resp = &c->resp;

	if (e != LB_GWERR_NONE) {
		lb_http_response_clear(resp);
		if (lb_gwerror_render(
		        e, c->rest, c->gen->cfg->responses, resp) < 0) {
			lb_http_response_clear(resp);
			resp->status = 500;
		}
	}
	add_id_headers(c, resp);
	access_log(c, resp);
	lb_fcgi_respond(c->r, resp);
	if (c->invoked)
		lb_invoke_result_clear(&c->res);
	lb_request_clear(&c->q);
	gen_release(c->gw, c->gen);
	free(c);
}

/* lb_invoke_done: the function's result is in. */
static void
call_invoked(void *arg)
{
	struct lb_call *c = arg;
	enum lb_gwerr e = stage_invoked(c);

	if (e == LB_GWERR_NONE)
		e = stage_map(c, &c->resp);
	call_end(c, e);
}

void
lb_gateway_handle(void *arg, struct lb_fcgi_req *r,
    const struct lb_http_request *req, int body_too_large)
{
	struct lb_gateway *gw = arg;
	struct lb_loop *loop = lb_fcgi_loop(r);
	enum lb_gwerr e;
	struct lb_call *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		struct lb_http_response resp;

		memset(&resp, 0, sizeof(resp));
		resp.status = 500;
		lb_log(LB_LOG_ERROR, "out of memory");
		lb_fcgi_respond(r, &resp);
		return;
	}
	c->gw = gw;
	c->r = r;
	c->gen = gen_acquire(gw);
	c->req = req;
	c->body_too_large = body_too_large;
	c->rest = c->gen->cfg->api == LB_API_REST;
	c->time_ms = lb_now_ms();
	c->start_mono = lb_mono_ms();
	lb_ids_uuid(c->request_id);
	lb_ids_short(c->short_id);
	lb_ids_trace(c->trace_id, c->time_ms);

	if ((e = stage_prepare(c)) != LB_GWERR_NONE) {
		call_end(c, e);
		return;
	}
	stage_invoke(c);
	if (loop != NULL) {
		lb_envs_invoke_async(c->gen->envs, c->q.match.route->function,
		    &c->rq, &c->res, loop, call_invoked, c);
		return;
	}
	lb_envs_invoke(
	    c->gen->envs, c->q.match.route->function, &c->rq, &c->res);
	call_invoked(c);
}
