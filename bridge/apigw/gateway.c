/*
 * gateway.c - the request pipeline, one stage after another:
 *
 *	route (or the CORS preflight) -> gateway checks -> event -> invoke
 *	-> map
 *
 * Each stage either passes the request on or ends it with one gateway error
 * (enum lb_gwerr), which is rendered once at the end with the API type's
 * exact bytes (a configured gateway response filled as a template) and the
 * request-id headers; with gateway.cors, the access-control-* headers go on
 * every response last.  Future gateway features (authorizers) slot in as
 * further checks.  A request runs on the configuration generation it
 * started on (generation.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/env.h"
#include "fastcgi/fcgi.h"
#include "base/fmt.h"
#include "apigw/cors.h"
#include "apigw/event.h"
#include "apigw/gateway.h"
#include "apigw/gateway_int.h"
#include "apigw/gwerror.h"
#include "base/ids.h"
#include "base/log.h"
#include "apigw/request.h"
#include "apigw/response.h"
#include "apigw/router.h"
#include "apigw/throttle.h"

/* Lambda's synchronous invocation payload limit. */
#define LB_EVENT_MAX (6 * 1024 * 1024)

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
	struct lb_invoke_request rq;
	struct lb_invoke_result res;
	int invoked;
	int preflight; /* answered by the gateway (gateway.cors) */
	struct lb_http_response resp;
};

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
	struct lb_gen_key *key = NULL;
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
		if ((key != NULL && !lb_throttle_take(&key->bucket, now)) ||
		    !lb_throttle_take(&g->route_buckets[route], now) ||
		    !lb_throttle_take(&g->account_bucket, now)) {
			__atomic_add_fetch(&g->throttled, 1, __ATOMIC_RELAXED);
			return LB_GWERR_THROTTLED;
		}
	}
	/* last, so that only requests let through count */
	if (key != NULL && !lb_quota_take(&key->quota, lb_now_ms())) {
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
		    c->request_id, c->q.fn->name);
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
	lb_fmt_str(&f, c->q.fn != NULL ? c->q.fn->name : "-");
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

/* Renders gateway error e into c->resp, the configured template filled
 * with the request's values. */
static void
render_error(struct lb_call *c, enum lb_gwerr e)
{
	const struct lb_config *cfg = c->gen->cfg;
	struct lb_gwerror_vars v;

	memset(&v, 0, sizeof(v));
	v.request_id = c->rest ? c->request_id : c->short_id;
	v.source_ip = lb_http_param(c->req, "REMOTE_ADDR");
	v.stage = cfg->stage;
	v.stage_variables = cfg->stage_variables;
	v.nstage_variables = cfg->nstage_variables;
	lb_http_response_clear(&c->resp);
	if (lb_gwerror_render(e, c->rest, cfg->responses, &v, &c->resp) < 0) {
		lb_http_response_clear(&c->resp);
		c->resp.status = 500;
	}
}

/*
 * An HTTP API with gateway.cors answers a preflight for a path that has
 * routes, but none for OPTIONS, itself (cors.h): 1 when it did.
 */
static int
stage_preflight(struct lb_call *c, enum lb_gwerr e)
{
	const struct lb_cors *cors = &c->gen->cfg->cors;
	const char *path, *query;
	size_t len;
	int rc;

	/* the stage-less path; none outside the stage */
	if (!cors->set || e != LB_GWERR_RESOURCE_NOT_FOUND ||
	    lb_event_locate(c->gen->cfg, c->req->uri, &path, &len, &query) < 0)
		return 0;
	rc = lb_cors_preflight(
	    cors, c->gen->router, c->req, path, len, &c->resp);
	if (rc < 0)
		c->resp.status = 500;
	c->preflight = rc != 0;
	return c->preflight;
}

/* The end of every request: the error, if any, the id headers, CORS and
 * the access line; then the response goes out and the call is freed. */
static void
call_end(struct lb_call *c, enum lb_gwerr e)
{
	struct lb_http_response *resp = &c->resp;
	const struct lb_cors *cors = &c->gen->cfg->cors;

	if (e != LB_GWERR_NONE)
		render_error(c, e);
	/* gateway errors too (docs/configuration.md, gateway.cors) */
	if (cors->set && !c->preflight &&
	    lb_cors_apply(cors, c->req, resp) < 0) {
		lb_http_response_clear(resp);
		resp->status = 500;
	}
	add_id_headers(c, resp);
	access_log(c, resp);
	lb_fcgi_respond(c->r, resp);
	if (c->invoked)
		lb_invoke_result_clear(&c->res);
	lb_request_clear(&c->q);
	lb_gen_release(c->gw, c->gen);
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
	c->gen = lb_gen_acquire(gw);
	c->req = req;
	c->body_too_large = body_too_large;
	c->rest = c->gen->cfg->api == LB_API_REST;
	c->time_ms = lb_now_ms();
	c->start_mono = lb_mono_ms();
	lb_ids_uuid(c->request_id);
	lb_ids_short(c->short_id);
	lb_ids_trace(c->trace_id, c->time_ms);

	if ((e = stage_prepare(c)) != LB_GWERR_NONE) {
		if (stage_preflight(c, e))
			e = LB_GWERR_NONE;
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
