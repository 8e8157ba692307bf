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
 * every response last.  A route with an authorizer runs it between the
 * route and the checks (docs/authorizers.md section 7):
 *
 *	route -> body size -> authorizer -> API key, throttling, quota -> ...
 *
 * A Lambda authorizer is an ordinary invocation of its function, on the
 * loop like the integration's.  A request runs on the configuration
 * generation it started on (generation.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/env.h"
#include "apigw/accesslog.h"
#include "apigw/admit.h"
#include "apigw/authcache.h"
#include "apigw/authorizer.h"
#include "fastcgi/fcgi.h"
#include "base/fmt.h"
#include "apigw/cors.h"
#include "apigw/event.h"
#include "apigw/gateway.h"
#include "apigw/gateway_int.h"
#include "apigw/gwerror.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/log.h"
#include "base/logfile.h"
#include "apigw/jwks.h"
#include "apigw/jwt.h"
#include "apigw/metrics.h"
#include "apigw/policy.h"
#include "apigw/quota.h"
#include "apigw/request.h"
#include "apigw/response.h"
#include "apigw/router.h"
#include "apigw/throttle.h"

/* Lambda's synchronous invocation payload limit. */
#define LB_EVENT_MAX (6 * 1024 * 1024)

/* An HTTP API's Lambda authorizers get 10 s to answer (a REST API's, its
 * integration timeout). */
#define AUTHORIZER_TIMEOUT_HTTP_MS 10000

/* The implicit deny's message (the explicit one is ACCESS_DENIED's own). */
#define IMPLICIT_DENY "User is not authorized to access this resource"

/* A Lambda authorizer's run for one request. */
struct lb_auth {
	const struct lb_authorizer *a;
	struct lb_authorizer_identity id;
	char *arn;
	char *key; /* the result cache's key, when cached */
	size_t key_len;
	char request_id[LB_IDS_UUID_LEN + 1]; /* its own invocation's */
	char *event;
	struct lb_invoke_request rq;
	struct lb_invoke_result res;
	int invoked;
	int64_t start_mono;
	struct lb_jwt jwt;   /* a JWT authorizer's token, taken apart */
	struct lb_admit adm; /* its function's shared lease (admit.h) */
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
	/* lb_mono_us at arrival; at the invocation's start, then (once
	 * invoked) the integration latency */
	int64_t start_us, invoke_us;
	int metrics; /* served (or refused) by metrics.c: not counted */
	int body_too_large;
	struct lb_request q; /* route, API key, the serialised event */
	struct lb_invoke_request rq;
	struct lb_invoke_result res;
	int invoked;
	int preflight; /* answered by the gateway (gateway.cors) */
	struct lb_http_response resp;
	struct lb_auth *auth;   /* the route's authorizer's run, or NULL */
	char *auth_context;     /* requestContext.authorizer (q.authorizer) */
	const char *error_msg;  /* an error's message when not its type's */
	char *www_authenticate; /* JWT: sent with its 401 / 403 */
	char *usage_key;     /* the authorizer's usageIdentifierKey, or NULL */
	int auth_failed;     /* the authorizer refused or failed */
	struct lb_admit adm; /* the shared state's verdict (admit.h) */
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

/* Stage 3 (lb_request_check): gateway checks after the authorizer: the API
 * key (REST routes with api_key_required), then throttling (the usage
 * plan's, the route's bucket, then the account's), then the quota. */
static enum lb_gwerr
stage_checks(struct lb_request *q, void *arg)
{
	struct lb_call *c = arg;
	struct lb_gen *g = c->gen;
	size_t route = (size_t)(q->match.route - g->cfg->routes);
	struct lb_gen_key *key = NULL;
	int64_t now;

	if (q->match.route->api_key_required) {
		/* api_key_source = "AUTHORIZER": the authorizer's key */
		q->api_key = find_api_key(g->cfg,
		    g->cfg->api_key_from_authorizer
		        ? c->usage_key
		        : lb_http_param(c->req, "HTTP_X_API_KEY"));
		if (q->api_key == NULL)
			return LB_GWERR_INVALID_API_KEY;
		key = &g->keys[q->api_key - g->cfg->api_keys];
	}
	/* the shared state's verdict first, when there is one (admit.h) */
	switch (lb_admit_check(&c->adm)) {
	case LB_GWERR_THROTTLED:
		__atomic_add_fetch(&g->throttled, 1, __ATOMIC_RELAXED);
		return LB_GWERR_THROTTLED;
	case LB_GWERR_QUOTA_EXCEEDED:
		__atomic_add_fetch(&g->over_quota, 1, __ATOMIC_RELAXED);
		return LB_GWERR_QUOTA_EXCEEDED;
	default: break;
	}
	if (lb_admit_local(&c->adm, LB_ADMIT_BUCKETS) &&
	    ((key != NULL && key->bucket.on) || g->route_buckets[route].on ||
	        g->account_bucket.on)) {
		now = lb_mono_us();
		/* the usage plan's limit first, then the stage's, then the
		 * account's, as API Gateway applies them */
		if ((key != NULL && !lb_throttle_take(&key->bucket, now)) ||
		    !lb_throttle_take(&g->route_buckets[route], now) ||
		    !lb_throttle_take(&g->account_bucket, now)) {
			__atomic_add_fetch(&g->throttled, 1, __ATOMIC_RELAXED);
			lb_metrics_refused(g, q->match.route, 0);
			return LB_GWERR_THROTTLED;
		}
	}
	/* last, so that only requests let through count */
	if (key != NULL && lb_admit_local(&c->adm, LB_ADMIT_QUOTA) &&
	    !lb_quota_take(key->quota, q->api_key, lb_now_ms())) {
		__atomic_add_fetch(&g->over_quota, 1, __ATOMIC_RELAXED);
		lb_metrics_refused(g, q->match.route, 1);
		return LB_GWERR_QUOTA_EXCEEDED;
	}
	return LB_GWERR_NONE;
}

/* Stage 1 (request.h, shared with `lambdabridge event`): find the route;
 * then the body's size. */
static enum lb_gwerr
stage_route(struct lb_call *c)
{
	struct lb_request *q = &c->q;
	enum lb_gwerr e;

	q->cfg = c->gen->cfg;
	q->router = c->gen->router;
	q->req = c->req;
	q->request_id = c->request_id;
	q->short_id = c->short_id;
	q->trace_id = c->trace_id;
	q->time_ms = c->time_ms;
	q->event_max = LB_EVENT_MAX;
	if ((e = lb_request_route(q)) != LB_GWERR_NONE)
		return e;
	return c->body_too_large ? LB_GWERR_REQUEST_TOO_LARGE : LB_GWERR_NONE;
}

/* Stage 3: the gateway checks (stage_checks), then the event. */
static enum lb_gwerr
stage_prepare(struct lb_call *c)
{
	struct lb_request *q = &c->q;
	enum lb_gwerr e;
	char err[256];

	e = lb_request_finish(q, stage_checks, c, err, sizeof(err));
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
	c->invoke_us = lb_mono_us();
	c->rq.integration_deadline_ms =
	    c->time_ms + (int64_t)(cfg->integration_timeout * 1000.0);
}

/* ... and its outcome. */
static enum lb_gwerr
stage_invoked(struct lb_call *c)
{
	const struct lb_config *cfg = c->gen->cfg;

	c->invoked = 1;
	c->invoke_us = lb_mono_us() - c->invoke_us;
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
	/* the Lambda request id (START/END/REPORT's), "-" when not invoked */
	lb_fmt_str(&f, " ");
	lb_fmt_str(&f, c->invoked ? c->rq.request_id : "-");
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

/* The status Lambda's Invoke API answered ($context.integrationStatus):
 * 200 also for a function error; -1 when it did not answer. */
static int
invoke_status(const struct lb_call *c)
{
	if (!c->invoked || c->res.status == LB_INVOKE_INTEGRATION_TIMEOUT)
		return -1;
	return c->res.status == LB_INVOKE_THROTTLED ? 429 : 200;
}

/*
 * gateway.access_log's line (docs/operations.md section 4), in addition
 * to the access line, into line[0..cap): its length.  Written once the
 * response is on its way (call_end).
 */
static size_t
access_file_line(struct lb_call *c, enum lb_gwerr e,
    const struct lb_http_response *resp, char *line, size_t cap)
{
	const struct lb_config *cfg = c->gen->cfg;
	const struct lb_route *route = c->q.match.route;
	struct lb_accesslog_values v;
	struct lb_gwerror_info info;
	char path[2048];
	const char *msg = NULL;

	lb_accesslog_values_init(&v);
	v.str[LB_ACCESSLOG_REQUEST_ID] = c->rest ? c->request_id : c->short_id;
	v.str[LB_ACCESSLOG_EXTENDED_REQUEST_ID] = c->short_id;
	v.str[LB_ACCESSLOG_SOURCE_IP] = lb_http_param(c->req, "REMOTE_ADDR");
	v.str[LB_ACCESSLOG_USER_AGENT] =
	    lb_http_param(c->req, "HTTP_USER_AGENT");
	v.str[LB_ACCESSLOG_HTTP_METHOD] = c->req->method;
	if (route != NULL && !c->preflight) {
		v.str[LB_ACCESSLOG_ROUTE_KEY] = c->rest ? NULL : route->key;
		v.str[LB_ACCESSLOG_RESOURCE_PATH] = route->path;
	}
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(c->req->uri, "?"),
	    c->req->uri);
	v.str[LB_ACCESSLOG_PATH] = path;
	v.str[LB_ACCESSLOG_PROTOCOL] = lb_http_param(c->req, "SERVER_PROTOCOL");
	v.num[LB_ACCESSLOG_STATUS] = resp->status;
	v.num[LB_ACCESSLOG_RESPONSE_LENGTH] = (int64_t)resp->body_len;
	v.time_ms = c->time_ms;
	v.num[LB_ACCESSLOG_RESPONSE_LATENCY] = lb_mono_ms() - c->start_mono;
	v.num[LB_ACCESSLOG_INTEGRATION_STATUS] = invoke_status(c);
	if (c->invoked) {
		v.num[LB_ACCESSLOG_INTEGRATION_LATENCY] = c->invoke_us / 1000;
		v.str[LB_ACCESSLOG_AWS_REQUEST_ID] = c->request_id;
		if (c->res.status != LB_INVOKE_OK)
			v.str[LB_ACCESSLOG_INTEGRATION_ERROR] =
			    c->res.error_message[0] ? c->res.error_message
			                            : c->res.error_type;
		else if (e == LB_GWERR_NONE)
			v.num[LB_ACCESSLOG_INTEGRATION_FN_STATUS] =
			    resp->status;
	}
	if (e != LB_GWERR_NONE) {
		if (lb_gwerror_info(e, c->rest, &info) == 0)
			msg = info.message;
		if (c->error_msg != NULL)
			msg = c->error_msg;
		v.str[LB_ACCESSLOG_ERROR_MESSAGE] = msg;
		/* a function's error is DEFAULT_5XX's on API Gateway */
		v.str[LB_ACCESSLOG_ERROR_RESPONSE_TYPE] = lb_gwerror_name(
		    e == LB_GWERR_FUNCTION_ERROR ? LB_GWERR_DEFAULT_5XX : e);
		if (c->auth_failed)
			v.str[LB_ACCESSLOG_AUTHORIZER_ERROR] = msg;
	}
	v.str[LB_ACCESSLOG_API_ID] = cfg->api_id;
	v.str[LB_ACCESSLOG_STAGE] = cfg->stage;
	v.str[LB_ACCESSLOG_DOMAIN_NAME] = cfg->domain_name != NULL
	    ? cfg->domain_name
	    : lb_http_param(c->req, "HTTP_HOST");
	if (c->q.api_key != NULL)
		v.str[LB_ACCESSLOG_API_KEY_ID] = c->q.api_key->id;
	return lb_accesslog_render(c->gen->access_fmt, &v, line, cap);
}

/* A line the access log could not take: logged at the 1st, 2nd, 4th, 8th...
 * (a full disk must not flood the log too). */
static void
access_file_failed(const struct lb_logfile *lf)
{
	int err = errno;
	unsigned long lost = lb_logfile_lost(lf);

	if ((lost & (lost - 1)) == 0)
		lb_log(LB_LOG_ERROR, "access log '%s': %lu line(s) lost: %s",
		    lb_logfile_path(lf), lost, strerror(err));
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
	v.message = c->error_msg;
	lb_http_response_clear(&c->resp);
	if (lb_gwerror_render(e, c->rest, cfg->responses, &v, &c->resp) < 0) {
		lb_http_response_clear(&c->resp);
		c->resp.status = 500;
	}
	/* a JWT authorizer's reason */
	if (c->www_authenticate != NULL &&
	    lb_http_response_add_header(&c->resp, "www-authenticate",
	        c->www_authenticate, (size_t)-1) < 0)
		lb_log(LB_LOG_ERROR, "%s out of memory", c->request_id);
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

/* Counts an authorizer's outcome (gateway_int.h). */
static void
auth_count(struct lb_call *c, enum lb_gwerr e)
{
	struct lb_gen_authz *n;

	if (c->auth == NULL)
		return;
	n = &c->gen->authz[c->auth->a - c->gen->cfg->authorizers];
	__atomic_add_fetch(e == LB_GWERR_NONE ? &n->allowed
	        : e == LB_GWERR_ACCESS_DENIED ? &n->denied
	        : e == LB_GWERR_UNAUTHORIZED  ? &n->unauthorized
	                                      : &n->failed,
	    1, __ATOMIC_RELAXED);
}

static void
auth_free(struct lb_auth *au)
{
	if (au == NULL)
		return;
	lb_admit_end(&au->adm);
	lb_authorizer_identity_clear(&au->id);
	free(au->arn);
	free(au->key);
	free(au->event);
	if (au->invoked)
		lb_invoke_result_clear(&au->res);
	lb_jwt_clear(&au->jwt);
	free(au);
}

/* The end of every request: the error, if any, the id headers, CORS and
 * the access line; then the response goes out and the call is freed. */
static void
call_end(struct lb_call *c, enum lb_gwerr e)
{
	struct lb_http_response *resp = &c->resp;
	const struct lb_cors *cors = &c->gen->cfg->cors;
	char line[8192];
	size_t n = 0;

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
	if (c->gen->access_file != NULL)
		n = access_file_line(c, e, resp, line, sizeof(line));
	if (!c->metrics)
		lb_metrics_request(c->gen, c->q.match.route, resp->status,
		    lb_mono_us() - c->start_us, c->invoked ? c->invoke_us : -1);
	lb_admit_end(&c->adm); /* the shared lease back */
	lb_fcgi_respond(c->r, resp);
	if (n > 0 && lb_logfile_write(c->gen->access_file, line, n) < 0)
		access_file_failed(c->gen->access_file);
	if (c->invoked)
		lb_invoke_result_clear(&c->res);
	auth_free(c->auth);
	free(c->auth_context);
	free(c->www_authenticate);
	free(c->usage_key);
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

static void call_continue(struct lb_call *c);

/* lb_admit_fn: the shared state's verdict is in. */
static void
call_admitted(void *arg)
{
	call_continue(arg);
}

/* The index of the request's API key, -1 for none or a key the checks
 * will refuse (stage_checks). */
static long
call_key(const struct lb_call *c)
{
	const struct lb_config *cfg = c->gen->cfg;
	const struct lb_api_key *k;

	if (!c->q.match.route->api_key_required)
		return -1;
	k = find_api_key(cfg,
	    cfg->api_key_from_authorizer
	        ? c->usage_key
	        : lb_http_param(c->req, "HTTP_X_API_KEY"));
	return k != NULL ? k - cfg->api_keys : -1;
}

/* The request goes on from the checks to the integration; with shared
 * state, once Redis has answered (or failed to). */
static void
call_continue(struct lb_call *c)
{
	struct lb_loop *loop = lb_fcgi_loop(c->r);
	enum lb_gwerr e;

	if (c->gen->admit != NULL && c->adm.ag == NULL && loop != NULL &&
	    lb_admit_start(&c->adm, c->gen->admit,
	        (size_t)(c->q.match.route - c->gen->cfg->routes), call_key(c),
	        lb_now_ms(), call_admitted, c))
		return; /* c belongs to call_admitted now */
	if ((e = stage_prepare(c)) != LB_GWERR_NONE) {
		call_end(c, e);
		return;
	}
	if (lb_admit_no_lease(&c->adm)) {
		lb_log(LB_LOG_WARN,
		    "%s function '%s' throttled: shared concurrency "
		    "limit reached",
		    c->request_id, c->q.fn->name);
		call_end(c, LB_GWERR_INTEGRATION_FAILURE);
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

/* The request ends with the authorizer's refusal or failure, counted. */
static void
auth_end(struct lb_call *c, enum lb_gwerr e)
{
	c->auth_failed = e != LB_GWERR_NONE;
	auth_count(c, e);
	call_end(c, e);
}

/* The authorizer allowed the request: its context (c->auth_context, n
 * bytes; NULL when it could not be made) goes into the event. */
static void
auth_allow(struct lb_call *c, size_t n)
{
	if (c->auth_context == NULL) {
		lb_log(LB_LOG_ERROR, "%s out of memory", c->request_id);
		auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
		return;
	}
	c->q.authorizer = c->auth_context;
	c->q.authorizer_len = n;
	auth_count(c, LB_GWERR_NONE);
	call_continue(c);
}

/*
 * Stage 2, the authorizer's decision on its answer (`text`, from the
 * function or the cache): the policy evaluated against this request's
 * ARN; on Allow, requestContext.authorizer for the integration, and on.
 */
static void
auth_decide(
    struct lb_call *c, const char *text, size_t len, int64_t latency, int fresh)
{
	struct lb_auth *au = c->auth;
	const struct lb_config *cfg = c->gen->cfg;
	struct lb_policy p;
	enum lb_policy_decision d;
	char err[256];
	size_t n;

	memset(&p, 0, sizeof(p));
	if (lb_policy_parse(text, len, lb_authorizer_mode(cfg, au->a), &p, err,
	        sizeof(err)) < 0) {
		lb_log(LB_LOG_WARN,
		    "%s Execution failed due to configuration error: "
		    "authorizer '%s' gave an invalid response: %s",
		    c->request_id, au->a->name, err);
		auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
		return;
	}
	/* denies are cached like allows; failures never are */
	if (fresh && au->key != NULL &&
	    lb_authcache_put(c->gen->authcache,
	        (size_t)(au->a - cfg->authorizers), au->key, au->key_len, text,
	        len, lb_mono_ms() + (int64_t)au->a->ttl * 1000) < 0)
		lb_log(LB_LOG_WARN, "%s authorizer '%s': result not cached",
		    c->request_id, au->a->name);
	d = lb_policy_evaluate(&p, au->arn);
	if (d != LB_POLICY_ALLOW) {
		lb_policy_clear(&p);
		if (d == LB_POLICY_DENY_IMPLICIT && c->rest)
			c->error_msg = IMPLICIT_DENY;
		auth_end(c, LB_GWERR_ACCESS_DENIED);
		return;
	}
	c->auth_context = lb_authorizer_context(
	    &p, c->q.match.route->payload_format, latency, &n);
	c->usage_key = p.usage_identifier_key; /* taken */
	p.usage_identifier_key = NULL;
	lb_policy_clear(&p);
	auth_allow(c, n);
}

/* lb_invoke_done: the authorizer function has answered. */
static void
call_authorized(void *arg)
{
	struct lb_call *c = arg;
	struct lb_auth *au = c->auth;
	struct lb_invoke_result *res = &au->res;

	au->invoked = 1;
	lb_admit_end(&au->adm);
	switch (res->status) {
	case LB_INVOKE_OK:
		auth_decide(c, res->payload != NULL ? res->payload : "",
		    res->payload_len, lb_mono_ms() - au->start_mono, 1);
		return;
	case LB_INVOKE_FUNCTION_ERROR:
		/* the authorizer's way of saying 401 */
		if (strcmp(res->error_message, "Unauthorized") == 0) {
			auth_end(c, LB_GWERR_UNAUTHORIZED);
			return;
		}
		/* FALLTHROUGH */
	default:
		lb_log(LB_LOG_WARN,
		    "%s Execution failed due to configuration error: "
		    "authorizer '%s' failed: %s%s%s",
		    c->request_id, au->a->name,
		    res->status == LB_INVOKE_THROTTLED ? "throttled"
		        : res->status == LB_INVOKE_INTEGRATION_TIMEOUT
		        ? "timed out"
		        : res->error_type[0] ? res->error_type
		                             : "Unhandled",
		    res->error_message[0] ? ": " : "", res->error_message);
		auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
		return;
	}
}

/* A JWT authorizer refuses the request: 401 (invalid token) or 403 (no
 * scope it needs), with the www-authenticate API Gateway sends. */
static void
jwt_refuse(struct lb_call *c, const struct lb_jwt_rules *r,
    enum lb_jwt_status st, const char *why)
{
	char www[1024];

	lb_log(LB_LOG_DEBUG, "%s authorizer '%s': %s", c->request_id,
	    c->auth->a->name, why);
	c->www_authenticate =
	    strdup(lb_jwt_challenge(www, sizeof(www), r, st, why));
	auth_end(c,
	    st == LB_JWT_FORBIDDEN ? LB_GWERR_ACCESS_DENIED
	                           : LB_GWERR_UNAUTHORIZED);
}

/* The rules a JWT authorizer checks for this request's route. */
static void
jwt_rules(const struct lb_call *c, struct lb_jwt_rules *r)
{
	const struct lb_authorizer *a = c->auth->a;
	const struct lb_route *route = c->q.match.route;

	r->issuer = a->issuer;
	r->audiences = (const char *const *)a->audience;
	r->naudiences = a->naudience;
	r->scopes = (const char *const *)route->scopes;
	r->nscopes = route->nscopes;
}

/* The token checked against `keys` (taken): on to the integration with
 * requestContext.authorizer, or refused. */
static void
jwt_decide(struct lb_call *c, struct lb_jwks *keys)
{
	struct lb_auth *au = c->auth;
	struct lb_jwt_rules r;
	enum lb_jwt_status st;
	json_object *jwt, *ctx;
	const char *why;
	size_t n;

	jwt_rules(c, &r);
	st = lb_jwt_check(&au->jwt, keys, &r, lb_now_ms(), &why);
	lb_jwks_unref(keys);
	if (st != LB_JWT_OK) {
		jwt_refuse(c, &r, st, why);
		return;
	}
	/* 2.0: {"jwt": {"claims", "scopes"}}; 1.0: {"claims", "scopes"} */
	jwt = lb_jwt_authorizer(&au->jwt, &r);
	ctx = jwt;
	if (jwt != NULL && c->q.match.route->payload_format == 2 &&
	    ((ctx = json_object_new_object()) == NULL ||
	        json_object_object_add(ctx, "jwt", jwt) != 0)) {
		json_object_put(ctx);
		json_object_put(jwt);
		ctx = NULL;
	}
	c->auth_context = ctx != NULL ? lb_json_serialize(ctx, &n) : NULL;
	json_object_put(ctx);
	auth_allow(c, n);
}

/* lb_jwks_ready_fn: the key fetch this request waited for has ended (on
 * the pool thread that fetched): the keys it left. */
static void
jwt_keys_ready(void *arg)
{
	struct lb_call *c = arg;

	jwt_decide(c,
	    lb_jwks_store_keys(
	        c->gen->jwks[c->auth->a - c->gen->cfg->authorizers]));
}

/*
 * Stage 2 for a JWT authorizer (docs/apigw-facts.md 9): the token from
 * the identity source taken apart, the signing keys asked for -- a loop
 * thread never waits for them: when they must be fetched, the fetch runs
 * on a pool thread and the request goes on from jwt_keys_ready -- then
 * the signature and the claims checked (jwt_decide).
 */
static void
stage_jwt(struct lb_call *c)
{
	struct lb_auth *au = c->auth;
	struct lb_jwks *keys = NULL;
	struct lb_jwt_rules r;
	enum lb_jwt_status st;
	const char *tok, *why;
	size_t len;

	tok = lb_jwt_from_identity(au->id.values[0], &len);
	st = lb_jwt_decode(tok, len, &au->jwt, &why);
	if (st != LB_JWT_OK) {
		jwt_rules(c, &r);
		jwt_refuse(c, &r, st, why);
		return;
	}
	if (lb_jwks_store_get(c->gen->jwks[au->a - c->gen->cfg->authorizers],
	        au->jwt.kid, lb_now_ms(), lb_fcgi_loop(c->r), jwt_keys_ready, c,
	        &keys) == LB_JWKS_PENDING)
		return; /* c belongs to jwt_keys_ready now */
	jwt_decide(c, keys);
}

/* lb_admit_fn: the authorizer's function may run (or not: a Lambda
 * throttle of the authorizer, 500). */
static void
auth_leased(void *arg)
{
	struct lb_call *c = arg;
	struct lb_auth *au = c->auth;

	if (lb_admit_lease_refused(&au->adm)) {
		lb_log(LB_LOG_WARN,
		    "%s Execution failed due to configuration error: "
		    "authorizer '%s' failed: throttled (shared concurrency "
		    "limit reached)",
		    c->request_id, au->a->name);
		auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
		return;
	}
	lb_envs_invoke_async(c->gen->envs, au->a->function, &au->rq, &au->res,
	    lb_fcgi_loop(c->r), call_authorized, c);
}

/*
 * Stage 2: the route's authorizer.  Its identity sources are read first
 * (one missing or empty, or a TOKEN that fails the validation expression:
 * 401, nothing invoked); then the cache; then the function.
 */
static void
stage_authorize(struct lb_call *c)
{
	const struct lb_config *cfg = c->gen->cfg;
	const struct lb_authorizer *a = c->q.match.route->authorizer;
	struct lb_loop *loop = lb_fcgi_loop(c->r);
	struct lb_authorizer_input in;
	struct lb_auth *au;
	char err[256];
	size_t len;
	char *hit;
	int rc;

	if ((au = c->auth = calloc(1, sizeof(*au))) == NULL) {
		lb_log(LB_LOG_ERROR, "%s out of memory", c->request_id);
		auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
		return;
	}
	au->a = a;
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.a = a;
	in.req = c->req;
	in.match = &c->q.match;
	in.path = c->q.path;
	in.path_len = c->q.path_len;
	in.query = c->q.query;
	in.request_id = c->request_id;
	in.short_id = c->short_id;
	in.trace_id = c->trace_id;
	in.time_ms = c->time_ms;
	rc = lb_authorizer_identity(&in, &au->id);
	if (rc != 0) {
		if (rc < 0)
			lb_log(LB_LOG_ERROR, "%s out of memory", c->request_id);
		/* a JWT authorizer's challenge names the scheme alone */
		if (rc > 0 && a->type == LB_AUTHORIZER_JWT)
			c->www_authenticate = strdup("Bearer");
		auth_end(c,
		    rc < 0 ? LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR
		           : LB_GWERR_UNAUTHORIZED);
		return;
	}
	if (a->type == LB_AUTHORIZER_JWT) {
		stage_jwt(c);
		return;
	}
	au->arn =
	    lb_authorizer_arn(cfg, c->req->method, c->q.path, c->q.path_len);
	if (au->arn == NULL)
		goto oom;
	if (a->ttl > 0 && c->gen->authcache != NULL) {
		au->key = lb_authorizer_cache_key(&au->id, &au->key_len);
		if (au->key == NULL)
			goto oom;
		hit = lb_authcache_get(c->gen->authcache,
		    (size_t)(a - cfg->authorizers), au->key, au->key_len,
		    lb_mono_ms(), &len);
		if (hit != NULL) {
			__atomic_add_fetch(
			    &c->gen->authz[a - cfg->authorizers].cache_hits, 1,
			    __ATOMIC_RELAXED);
			auth_decide(c, hit, len, 0, 0);
			free(hit);
			return;
		}
	}
	au->event =
	    lb_authorizer_event(&in, &au->id, au->arn, &len, err, sizeof(err));
	if (au->event == NULL) {
		lb_log(LB_LOG_ERROR,
		    "%s cannot build the authorizer's event: %s", c->request_id,
		    err);
		auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
		return;
	}
	lb_ids_uuid(au->request_id);
	au->rq.request_id = au->request_id;
	au->rq.trace_id = c->trace_id;
	au->rq.event = au->event;
	au->rq.event_len = len;
	au->rq.integration_deadline_ms = c->time_ms +
	    (c->rest ? (int64_t)(cfg->integration_timeout * 1000.0)
	             : AUTHORIZER_TIMEOUT_HTTP_MS);
	au->start_mono = lb_mono_ms();
	__atomic_add_fetch(
	    &c->gen->authz[a - cfg->authorizers].invoked, 1, __ATOMIC_RELAXED);
	if (loop != NULL) {
		/* with shared state, its function's lease first */
		if (c->gen->admit == NULL ||
		    !lb_admit_lease(
		        &au->adm, c->gen->admit, a->function, auth_leased, c))
			auth_leased(c);
		return;
	}
	lb_envs_invoke(c->gen->envs, a->function, &au->rq, &au->res);
	call_authorized(c);
	return;
oom:
	lb_log(LB_LOG_ERROR, "%s out of memory", c->request_id);
	auth_end(c, LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR);
}

void
lb_gateway_handle(void *arg, struct lb_fcgi_req *r,
    const struct lb_http_request *req, int body_too_large)
{
	struct lb_gateway *gw = arg;
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
	c->start_us = lb_mono_us(); /* one clock read for both */
	c->start_mono = c->start_us / 1000;
	lb_ids_uuid(c->request_id);
	lb_ids_short(c->short_id);
	lb_ids_trace(c->trace_id, c->time_ms);

	/* gateway.metrics_path comes before the API's routes */
	switch (lb_metrics_serve(c->gen, req, &c->resp)) {
	case LB_METRICS_PASS: break;
	case LB_METRICS_SERVED:
		c->metrics = 1;
		call_end(c, LB_GWERR_NONE);
		return;
	case LB_METRICS_DENIED:
		c->metrics = 1;
		call_end(c,
		    c->rest ? LB_GWERR_MISSING_AUTHENTICATION_TOKEN
		            : LB_GWERR_RESOURCE_NOT_FOUND);
		return;
	}
	if ((e = stage_route(c)) != LB_GWERR_NONE) {
		if (stage_preflight(c, e))
			e = LB_GWERR_NONE;
		call_end(c, e);
		return;
	}
	if (c->q.match.route->authorizer != NULL) {
		stage_authorize(c);
		return;
	}
	call_continue(c);
}
