/*
 * test_event.c - the API Gateway event builder (bridge/apigw/event.c, headers.c,
 * url.c) against docs/apigw-facts.md sections 1 and 2.
 *
 * Each case builds a request as nginx would send it (CGI params), routes it
 * with lb_event_locate + lb_router_match exactly as request.c does, builds
 * the event, checks the volatile fields (ids, times, trace id) by FORMAT,
 * replaces them with placeholders and compares the rest structurally with
 * tests/fixtures/events/NAME.json (json_object_equal).
 *
 * LB_WRITE_FIXTURES=1 build/unit-tests event rewrites the fixtures from the
 * current output (then review every change by hand against
 * docs/apigw-facts.md).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "apigw/event.h"
#include "../handlers/handler_util.h" /* th_field */
#include "apigw/headers.h"
#include "fastcgi/http.h"
#include "base/ids.h"
#include "apigw/router.h"
#include "test.h"
#include "base/url.h"

void lb_test_suite_event(void);

/* --- an in-memory configuration ------------------------------------------ */

struct troute {
	const char *key;
	int fmt; /* payload format; 0 = the API's default */
};

struct tconf {
	struct lb_config cfg;
	struct lb_function fn;
	struct lb_route routes[8];
	struct lb_kv sv[4];
	char *bin[4];
	struct lb_router *router;
};

/*
 * A config for `api` with `stage`, the routes (NULL-terminated keys) and
 * optional stage variables ("k", "v", ..., NULL) and binary media types.
 */
static int
tconf_init(struct tconf *t, enum lb_api api, const char *stage,
    const struct troute *routes, const char *const *stagevars,
    const char *const *binary)
{
	char err[256];
	size_t bad, n = 0;

	memset(t, 0, sizeof(*t));
	t->cfg.api = api;
	t->cfg.payload_format = api == LB_API_REST ? 1 : 2;
	t->cfg.stage = (char *)stage;
	t->cfg.account_id = (char *)"123456789012";
	t->cfg.api_id = (char *)"a1b2c3d4e5";
	t->cfg.region = (char *)"us-east-1";
	t->fn.name = (char *)"fn";
	t->cfg.functions = &t->fn;
	t->cfg.nfunctions = 1;
	for (; routes[n].key != NULL && n < 8; n++) {
		struct lb_route *r = &t->routes[n];

		r->key = (char *)routes[n].key;
		r->payload_format =
		    routes[n].fmt != 0 ? routes[n].fmt : t->cfg.payload_format;
		if (lb_router_parse_key(
		        r->key, &r->method, &r->path, err, sizeof(err)) != 0)
			return -1;
	}
	t->cfg.routes = t->routes;
	t->cfg.nroutes = n;
	for (size_t i = 0; stagevars != NULL && stagevars[i] != NULL; i += 2) {
		t->sv[i / 2].key = (char *)stagevars[i];
		t->sv[i / 2].value = (char *)stagevars[i + 1];
		t->cfg.nstage_variables++;
	}
	t->cfg.stage_variables = t->sv;
	for (size_t i = 0; binary != NULL && binary[i] != NULL; i++)
		t->bin[t->cfg.nbinary_media_types++] = (char *)binary[i];
	t->cfg.binary_media_types = t->bin;
	t->router =
	    lb_router_new(t->routes, t->cfg.nroutes, &bad, err, sizeof(err));
	return t->router != NULL ? 0 : -1;
}

static void
tconf_free(struct tconf *t)
{
	lb_router_free(t->router);
	for (size_t i = 0; i < t->cfg.nroutes; i++) {
		free(t->routes[i].method);
		free(t->routes[i].path);
	}
}

/* --- requests as nginx sends them ----------------------------------------- */

#define MAXP 4200

struct treq {
	struct lb_param p[MAXP];
	size_t n;
};

static void
treq_add(struct treq *r, const char *name, const char *value)
{
	if (r->n < MAXP) {
		r->p[r->n].name = name;
		r->p[r->n].value = value;
		r->n++;
	}
}

/*
 * nginx N1 params for METHOD URI plus `extra` ("NAME", "value", ..., NULL):
 * the HTTP_* headers and CONTENT_TYPE/LENGTH the test wants.
 */
static void
treq_nginx(struct treq *r, const char *method, const char *uri,
    const char *const *extra)
{
	const char *q = strchr(uri, '?');

	r->n = 0;
	treq_add(r, "QUERY_STRING", q != NULL ? q + 1 : "");
	treq_add(r, "REQUEST_METHOD", method);
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
		treq_add(r, extra[i], extra[i + 1]);
	treq_add(r, "REQUEST_URI", uri);
	treq_add(r, "SERVER_PROTOCOL", "HTTP/1.1");
	treq_add(r, "REQUEST_SCHEME", "https");
	treq_add(r, "HTTPS", "on");
	treq_add(r, "REMOTE_ADDR", "203.0.113.9");
	treq_add(r, "REMOTE_PORT", "50432");
	treq_add(r, "SERVER_PORT", "443");
	treq_add(r, "SERVER_NAME", "");
	treq_add(r, "REMOTE_USER", "");
}

/* What the gateway would have for the request. */
struct tcall {
	int64_t time_ms;
	char request_id[LB_IDS_UUID_LEN + 1];
	char short_id[LB_IDS_SHORT_LEN + 1];
	char trace_id[LB_IDS_TRACE_LEN + 1];
};

/*
 * lb_event_build, checked against lb_event_build_text: the gateway sends
 * the text, the tests read the objects, so both must be the same JSON to
 * the byte.
 */
static json_object *
build_checked(const struct lb_event_input *in, char *err, size_t errlen)
{
	json_object *ev = lb_event_build(in, err, errlen);
	size_t len = 0;
	char *text = lb_event_build_text(in, &len, err, errlen);

	CU_ASSERT_EQUAL(ev == NULL, text == NULL);
	if (ev != NULL && text != NULL) {
		const char *ref = json_object_to_json_string_ext(ev,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

		CU_ASSERT_STRING_EQUAL(text, ref);
		CU_ASSERT_EQUAL(len, strlen(ref));
	}
	free(text);
	return ev;
}

/* The API key the next tbuild passes, as gateway.c does for a route with
 * api_key_required (NULL: none). */
static const struct lb_api_key *tbuild_key;

/*
 * Routes and builds like lb_request_prepare (apigw/request.c, the gateway's
 * stages 1 to 3).  Returns the event, or NULL when there is no route or the
 * build failed.
 */
static json_object *
tbuild(const struct tconf *t, const struct treq *r, const char *method,
    const char *uri, const char *body, size_t body_len, struct tcall *c)
{
	struct lb_http_request req;
	struct lb_router_match m;
	struct lb_event_input in;
	const char *path, *query;
	size_t path_len;
	char err[256];
	json_object *ev;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.uri = uri;
	req.params = r->p;
	req.nparams = r->n;
	req.body = body;
	req.body_len = body_len;
	if (lb_event_locate(&t->cfg, uri, &path, &path_len, &query) < 0 ||
	    method[0] == '\0' ||
	    lb_router_match(t->router, method, path, path_len, &m) < 0)
		return NULL;
	c->time_ms = lb_now_ms();
	lb_ids_uuid(c->request_id);
	lb_ids_short(c->short_id);
	lb_ids_trace(c->trace_id, c->time_ms);
	memset(&in, 0, sizeof(in));
	in.cfg = &t->cfg;
	in.req = &req;
	in.match = &m;
	in.path = path;
	in.path_len = path_len;
	in.query = query;
	in.request_id = c->request_id;
	in.short_id = c->short_id;
	in.trace_id = c->trace_id;
	in.time_ms = c->time_ms;
	in.api_key = tbuild_key;
	ev = build_checked(&in, err, sizeof(err));
	if (ev == NULL)
		fprintf(stderr, "\nlb_event_build: %s\n", err);
	return ev;
}

/* --- volatile fields: checked by format, then replaced -------------------- */

static int
matches(const char *re, const char *s)
{
	regex_t rx;
	int ok;

	if (s == NULL || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

#define RE_UUID4 \
	"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}" \
	"$"
#define RE_SHORT "^[A-Za-z0-9+/_-]{15}=$"
#define RE_TIME \
	"^[0-3][0-9]/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/" \
	"[0-9]{4}:[0-2][0-9]:[0-5][0-9]:[0-5][0-9] \\+0000$"
#define RE_TRACE "^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$"

/* Does "dd/Mon/yyyy:HH:MM:SS +0000" name the second of `ms`? */
static int
time_matches(const char *s, int64_t ms)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, y, hh, mm, ss;
	struct tm tm;
	const char *f;

	if (s == NULL ||
	    sscanf(s, "%2d/%3s/%4d:%2d:%2d:%2d", &d, mon, &y, &hh, &mm, &ss) !=
	        6 ||
	    (f = strstr(months, mon)) == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = d;
	tm.tm_mon = (int)(f - months) / 3;
	tm.tm_year = y - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return (int64_t)timegm(&tm) == ms / 1000;
}

static void
replace(json_object *o, const char *key, json_object *v)
{
	CU_ASSERT_FATAL(json_object_object_add(o, key, v) == 0);
}

/* The trace header in headers (and multiValueHeaders) under `name`. */
static void
norm_trace(json_object *ev, const char *name, const struct tcall *c)
{
	json_object *h, *mv, *arr;

	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "headers", &h));
	CU_ASSERT(matches(RE_TRACE, th_field(h, name)));
	CU_ASSERT_STRING_EQUAL(th_field(h, name), c->trace_id);
	replace(h, name, json_object_new_string("<trace-id>"));
	if (json_object_object_get_ex(ev, "multiValueHeaders", &mv)) {
		CU_ASSERT_FATAL(json_object_object_get_ex(mv, name, &arr));
		CU_ASSERT_FATAL(json_object_array_length(arr) == 1);
		CU_ASSERT_STRING_EQUAL(
		    json_object_get_string(json_object_array_get_idx(arr, 0)),
		    c->trace_id);
		json_object_array_put_idx(
		    arr, 0, json_object_new_string("<trace-id>"));
	}
}

static void
normalize(json_object *ev, const struct tcall *c)
{
	json_object *rc, *ep;
	const char *ver = th_field(ev, "version");
	int v2 = ver != NULL && strcmp(ver, "2.0") == 0;
	int rest = ver == NULL; /* only REST omits version */

	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "requestContext", &rc));
	if (v2) {
		CU_ASSERT(matches(RE_SHORT, th_field(rc, "requestId")));
		CU_ASSERT(matches(RE_TIME, th_field(rc, "time")));
		CU_ASSERT(time_matches(th_field(rc, "time"), c->time_ms));
		CU_ASSERT_FATAL(
		    json_object_object_get_ex(rc, "timeEpoch", &ep));
		CU_ASSERT(json_object_is_type(ep, json_type_int));
		CU_ASSERT(json_object_get_int64(ep) == c->time_ms);
		CU_ASSERT(json_object_get_int64(ep) >= 1000000000000LL &&
		    json_object_get_int64(ep) < 10000000000000LL);
		replace(
		    rc, "requestId", json_object_new_string("<request-id>"));
		replace(rc, "time", json_object_new_string("<time>"));
		replace(rc, "timeEpoch", json_object_new_int64(0));
		norm_trace(ev, "x-amzn-trace-id", c);
		return;
	}
	/* REST: a UUID v4; HTTP API 1.0: the short form */
	CU_ASSERT(
	    matches(rest ? RE_UUID4 : RE_SHORT, th_field(rc, "requestId")));
	CU_ASSERT_STRING_EQUAL(
	    th_field(rc, "requestId"), rest ? c->request_id : c->short_id);
	CU_ASSERT(matches(RE_SHORT, th_field(rc, "extendedRequestId")));
	CU_ASSERT(matches(RE_TIME, th_field(rc, "requestTime")));
	CU_ASSERT(time_matches(th_field(rc, "requestTime"), c->time_ms));
	CU_ASSERT_FATAL(json_object_object_get_ex(rc, "requestTimeEpoch", &ep));
	CU_ASSERT(json_object_is_type(ep, json_type_int));
	CU_ASSERT(json_object_get_int64(ep) == c->time_ms);
	CU_ASSERT(json_object_get_int64(ep) >= 1000000000000LL &&
	    json_object_get_int64(ep) < 10000000000000LL);
	replace(rc, "requestId", json_object_new_string("<request-id>"));
	replace(rc, "extendedRequestId",
	    json_object_new_string("<extended-request-id>"));
	replace(rc, "requestTime", json_object_new_string("<time>"));
	replace(rc, "requestTimeEpoch", json_object_new_int64(0));
	norm_trace(ev, rest ? "X-Amzn-Trace-Id" : "x-amzn-trace-id", c);
}

/* Compares the normalised event with tests/fixtures/events/NAME.json. */
static void
check_fixture(json_object *ev, const char *name)
{
	char path[512];
	const char *dir = getenv("LB_TEST_FIXTURES");
	json_object *want;

	snprintf(path, sizeof(path), "%s/%s.json",
	    dir != NULL && *dir != '\0' ? dir : "tests/fixtures/events", name);
	if (getenv("LB_WRITE_FIXTURES") != NULL)
		json_object_to_file_ext(path, ev,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		        JSON_C_TO_STRING_NOSLASHESCAPE);
	want = json_object_from_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	if (!json_object_equal(ev, want)) {
		fprintf(stderr, "\n%s differs; got:\n%s\n", name,
		    json_object_to_json_string_ext(ev,
		        JSON_C_TO_STRING_PRETTY |
		            JSON_C_TO_STRING_NOSLASHESCAPE));
		CU_FAIL("event differs from its fixture");
	}
	json_object_put(want);
}

/* Builds, normalises and compares one case. */
static void
fixture_case(const struct tconf *t, const char *method, const char *uri,
    const char *const *extra, const char *body, size_t body_len,
    const char *name)
{
	static struct treq r; /* big: not on the stack */
	struct tcall c;
	json_object *ev;

	treq_nginx(&r, method, uri, extra);
	ev = tbuild(t, &r, method, uri, body, body_len, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	normalize(ev, &c);
	check_fixture(ev, name);
	json_object_put(ev);
}

/* --- payload 1.0, REST API -------------------------------------------------- */

static const struct troute rest_routes[] = {
	{ "GET /users/{id}", 0 },
	{ "ANY /files/{proxy+}", 0 },
	{ "ANY /{proxy+}", 0 },
	{ "ANY /", 0 },
	{ NULL, 0 },
};
static const char *const rest_sv[] = { "env", "dev", "table", "users", NULL };
static const char *const rest_bin[] = { "application/octet-stream", "image/*",
	NULL };

/*
 * GET with a named stage: duplicate headers (last wins, all in
 * multiValueHeaders), a comma inside one value (not split), Title-Case
 * names, the Cookie header untouched, query decoding ('+' is a space, %2B a
 * plus, repeats: last value / every value, "empty=" and a bare key),
 * pathParameters, stageVariables, body null, identity's 12 keys.
 */
static void
test_v1_rest_get(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com",
		"HTTP_USER_AGENT", "curl/8.5.0", "HTTP_ACCEPT", "*/*",
		"HTTP_X_DUP", "first", "HTTP_X_DUP", "second", "HTTP_X_COMMA",
		"a, b", "HTTP_COOKIE", "session=abc123; theme=dark",
		"CONTENT_TYPE", "", "CONTENT_LENGTH", "", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "live", rest_routes,
	                    rest_sv, rest_bin) == 0);
	fixture_case(&t, "GET",
	    "/live/users/42?a=1&a=2&plus=test+alias@gmail.com"
	    "&email=test%2Balias@gmail.com&redirect=https%3A%2F%2Fexample.com"
	    "%2Fa%2Fb&empty=&flag",
	    h, NULL, 0, "v1_rest_get");
	tconf_free(&t);
}

/*
 * Encoded path and greedy {proxy+}: path and pathParameters stay encoded,
 * a trailing slash stays in path but not in the parameter, requestContext
 * path carries the stage and the raw request path, no query -> nulls, no
 * stage variables -> null, no User-Agent -> identity.userAgent null, the
 * client's X-Forwarded-For is kept in front of the client address.
 */
static void
test_v1_rest_encoded_path(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com",
		"HTTP_X_FORWARDED_FOR", "198.51.100.7", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "live", rest_routes, NULL,
	                    rest_bin) == 0);
	fixture_case(&t, "DELETE", "/live/files/space%20value/a%2Fb//c/", h,
	    NULL, 0, "v1_rest_encoded_path");
	tconf_free(&t);
}

/* The identity's keys, in order, as "k1,k2,...". */
static void
keys_of(json_object *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
		    "%s%s", off > 0 ? "," : "", k);
	}
}

/* A route with api_key_required: identity gains apiKey and apiKeyId, in
 * their alphabetical place (docs/apigw-facts.md 1.8); without one they are
 * absent. */
static void
test_v1_rest_api_key(void)
{
	struct tconf t;
	struct treq r;
	struct tcall c;
	struct lb_api_key key;
	static const char *const h[] = { "HTTP_HOST", "api.example.com",
		"HTTP_X_API_KEY", "0123456789abcdefghijKEY", NULL };
	json_object *ev, *rc, *id;
	char keys[1024];

	memset(&key, 0, sizeof(key));
	key.name = "partner";
	key.id = "k3y1d00001";
	key.value = "0123456789abcdefghijKEY";
	key.enabled = 1;
	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "live", rest_routes, NULL,
	                    rest_bin) == 0);
	treq_nginx(&r, "GET", "/live/users/7", h);
	tbuild_key = &key;
	ev = tbuild(&t, &r, "GET", "/live/users/7", NULL, 0, &c);
	tbuild_key = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "requestContext", &rc) &&
	    json_object_object_get_ex(rc, "identity", &id));
	keys_of(id, keys, sizeof(keys));
	CU_ASSERT_STRING_EQUAL(keys,
	    "accessKey,accountId,apiKey,apiKeyId,caller,"
	    "cognitoAuthenticationProvider,cognitoAuthenticationType,"
	    "cognitoIdentityId,cognitoIdentityPoolId,principalOrgId,sourceIp,"
	    "user,userAgent,userArn");
	CU_ASSERT_STRING_EQUAL(
	    th_field(id, "apiKey"), "0123456789abcdefghijKEY");
	CU_ASSERT_STRING_EQUAL(th_field(id, "apiKeyId"), "k3y1d00001");
	json_object_put(ev);
	/* no key required: no key fields */
	ev = tbuild(&t, &r, "GET", "/live/users/7", NULL, 0, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "requestContext", &rc) &&
	    json_object_object_get_ex(rc, "identity", &id));
	CU_ASSERT(!json_object_object_get_ex(id, "apiKey", NULL));
	CU_ASSERT(!json_object_object_get_ex(id, "apiKeyId", NULL));
	json_object_put(ev);
	tconf_free(&t);
}

/* "/stage//x": path collapsed, requestContext.path raw; "?" alone = null. */
static void
test_v1_rest_double_slash(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com", NULL };

	CU_ASSERT_FATAL(
	    tconf_init(&t, LB_API_REST, "live", rest_routes, NULL, NULL) == 0);
	fixture_case(&t, "GET", "/live//proxy-value?", h, NULL, 0,
	    "v1_rest_double_slash");
	tconf_free(&t);
}

/*
 * POST of a binary type: base64 and isBase64Encoded; Content-Length (and
 * nginx's HTTP_CONTENT_* copies) handled: content-type once, no
 * content-length in 1.0; hop-by-hop headers and Proxy dropped.
 */
static void
test_v1_rest_binary(void)
{
	struct tconf t;
	static const char body[] = { (char)0x89, 'P', 'N', 'G', 0, (char)0xff,
		'\r', '\n' };
	static const char *const h[] = { "CONTENT_TYPE", "image/png",
		"CONTENT_LENGTH", "8", "HTTP_HOST", "api.example.com",
		"HTTP_CONTENT_TYPE", "image/png", "HTTP_CONTENT_LENGTH", "8",
		"HTTP_CONNECTION", "keep-alive", "HTTP_EXPECT", "100-continue",
		"HTTP_PROXY", "http://evil.example", "HTTP_TRANSFER_ENCODING",
		"chunked", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "live", rest_routes, NULL,
	                    rest_bin) == 0);
	fixture_case(&t, "POST", "/live/upload", h, body, sizeof(body),
	    "v1_rest_binary");
	tconf_free(&t);
}

/*
 * Text that is not binary per binaryMediaTypes: JSON as a string; a NUL
 * byte stays (JSON "\u0000"); bytes that are not UTF-8 go base64 instead
 * (docs/events.md: the event never alters a byte).
 */
static void
test_v1_rest_text_bodies(void)
{
	struct tconf t;
	static struct treq r;
	struct tcall c;
	json_object *ev, *v;
	static const char *const h[] = { "CONTENT_TYPE",
		"text/plain; charset=utf-8", "HTTP_HOST", "api.example.com",
		NULL };
	static const char nul[] = "a\0b";
	static const char latin1[] = "caf\xe9";

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "live", rest_routes, NULL,
	                    rest_bin) == 0);
	fixture_case(
	    &t, "PUT", "/live/x", h, "{\"k\":\"v\"}", 9, "v1_rest_text");
	treq_nginx(&r, "PUT", "/live/x", h);
	ev = tbuild(&t, &r, "PUT", "/live/x", nul, 3, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "body", &v));
	CU_ASSERT(json_object_get_string_len(v) == 3);
	CU_ASSERT(memcmp(json_object_get_string(v), nul, 3) == 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "isBase64Encoded", &v));
	CU_ASSERT(!json_object_get_boolean(v));
	json_object_put(ev);
	ev = tbuild(&t, &r, "PUT", "/live/x", latin1, 4, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(th_field(ev, "body"), "Y2Fm6Q==");
	CU_ASSERT_FATAL(json_object_object_get_ex(ev, "isBase64Encoded", &v));
	CU_ASSERT(json_object_get_boolean(v));
	json_object_put(ev);
	tconf_free(&t);
}

/* HEAD with an empty body (CONTENT_LENGTH 0): body null, not "". */
static void
test_v1_rest_head(void)
{
	struct tconf t;
	static const char *const h[] = { "CONTENT_LENGTH", "0", "HTTP_HOST",
		"api.example.com:8443", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "live", rest_routes, NULL,
	                    rest_bin) == 0);
	fixture_case(&t, "HEAD", "/live/", h, "", 0, "v1_rest_head");
	tconf_free(&t);
}

/*
 * HTTP API with a payload 1.0 route: "version": "1.0", lowercase names,
 * decoded path, short requestId, resourceId null, no deploymentId;
 * content-length kept (HTTP API header rules).
 */
static void
test_v1_http(void)
{
	struct tconf t;
	static const struct troute routes[] = {
		{ "ANY /items/{id}", 1 },
		{ "$default", 0 },
		{ NULL, 0 },
	};
	static const char *const h[] = { "CONTENT_TYPE", "application/json",
		"CONTENT_LENGTH", "2", "HTTP_HOST", "abc.example.com",
		"HTTP_USER_AGENT", "ua/1", "HTTP_X_DUP", "one", "HTTP_X_DUP",
		"two", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", routes, rest_sv,
	                    NULL) == 0);
	fixture_case(
	    &t, "PATCH", "/items/a%20b?x=1&x=2", h, "{}", 2, "v1_http");
	tconf_free(&t);
}

/* --- payload 2.0, HTTP API -------------------------------------------------- */

static const struct troute http_routes[] = {
	{ "GET /users/{id}", 0 },
	{ "ANY /files/{proxy+}", 0 },
	{ "$default", 0 },
	{ NULL, 0 },
};

/*
 * The voker probe shape: named stage in rawPath, decoded rawPath,
 * rawQueryString byte-exact, comma-joined repeats in headers and query,
 * cookies from two Cookie headers (and not in headers), content-length "0"
 * added on a body-less GET, stageVariables, pathParameters.
 */
static void
test_v2_get(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com",
		"HTTP_USER_AGENT", "curl/8.5.0", "HTTP_X_VOKER_PROBE", "first",
		"HTTP_X_VOKER_PROBE", "second", "HTTP_COOKIE",
		"session=abc123; theme=dark", "HTTP_COOKIE", "lang=en",
		"CONTENT_TYPE", "", "CONTENT_LENGTH", "", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "dev", http_routes, rest_sv,
	                    NULL) == 0);
	fixture_case(&t, "GET",
	    "/dev/users/space%20value?repeat=one&repeat=two&redirect=https%3A"
	    "%2F%2Fexample.com%2Fa%2Fb&literalPlus=a+b&encodedPlus=a%2Bb"
	    "&empty=&flag",
	    h, NULL, 0, "v2_get");
	tconf_free(&t);
}

/* $default route, no query, no body: keys omitted, rawQueryString "". */
static void
test_v2_minimal(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com", NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	fixture_case(&t, "GET", "/", h, NULL, 0, "v2_minimal");
	tconf_free(&t);
}

/* Greedy {proxy+} in 2.0: the parameter comes from the decoded path. */
static void
test_v2_greedy(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com",
		"CONTENT_TYPE", "application/json", "CONTENT_LENGTH", "11",
		NULL };

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	fixture_case(&t, "POST", "/files/a%20b/c.txt?q=%E2%9C%93", h,
	    "{\"ok\":true}", 11, "v2_greedy");
	tconf_free(&t);
}

/* isBase64Encoded in 2.0 (docs/apigw-facts.md 2.6), by Content-Type. */
static void
test_v2_base64_rule(void)
{
	static const struct {
		const char *ct;
		int b64;
	} cases[] = {
		{ "text/plain", 0 }, { "text/csv; charset=utf-8", 0 },
		{ "application/json", 0 },
		{ "Application/JSON;charset=UTF-8", 0 },
		{ "application/xml", 0 }, { "application/javascript", 0 },
		{ "application/x-www-form-urlencoded", 1 },
		{ "multipart/form-data; boundary=x", 1 },
		{ "application/octet-stream", 1 },
		{ "application/vnd.api+json", 1 }, { "image/png", 1 },
		{ "", 1 }, /* missing Content-Type */
	};
	struct tconf t;
	static struct treq r;
	struct tcall c;

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *h[] = { "CONTENT_TYPE", cases[i].ct, NULL };
		json_object *ev, *v;

		treq_nginx(&r, "POST", "/x", h);
		ev = tbuild(&t, &r, "POST", "/x", "a=b", 3, &c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		CU_ASSERT_FATAL(
		    json_object_object_get_ex(ev, "isBase64Encoded", &v));
		if (json_object_get_boolean(v) != cases[i].b64)
			fprintf(stderr, "\ncontent type '%s'\n", cases[i].ct);
		CU_ASSERT(json_object_get_boolean(v) == cases[i].b64);
		CU_ASSERT_STRING_EQUAL(
		    th_field(ev, "body"), cases[i].b64 ? "YT1i" : "a=b");
		json_object_put(ev);
	}
	tconf_free(&t);
}

/*
 * Malformed input never breaks the event: bad percent-encoding is kept
 * literally, %00 in a path or a query key keeps the raw text, %00 in a
 * value is a NUL in the JSON string, invalid UTF-8 becomes U+FFFD, and
 * Apache's pre-joined "a=1, b=2" Cookie still splits.
 */
static void
test_v2_malformed(void)
{
	struct tconf t;
	static const char *const h[] = { "HTTP_HOST", "api.example.com",
		"HTTP_COOKIE", "a=1, b=2", "HTTP_X_BYTES", "caf\xe9",
		"CONTENT_TYPE", "text/plain", NULL };
	static const char body[] = "nul\0byte";

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	fixture_case(&t, "POST",
	    "/files/%zz/%00/%e9/end%?k%00=1&v=%00x&bad=%4&pct=100%&u=%ff", h,
	    body, sizeof(body) - 1, "v2_malformed");
	tconf_free(&t);
}

/* --- robustness -------------------------------------------------------------- */

/* Thousands of headers, a huge value, repeated names: no crash, all kept. */
static void
test_many_headers(void)
{
	static struct treq r;
	static char names[4000][24];
	struct tconf t;
	struct tcall c;
	char *big;
	json_object *ev, *hd, *v;
	size_t bigsz = 1 << 20;

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "$default", rest_routes,
	                    NULL, NULL) == 0);
	big = malloc(bigsz + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', bigsz);
	big[bigsz] = '\0';
	treq_nginx(&r, "GET", "/a", NULL);
	for (size_t i = 0; i < 4000; i++) {
		snprintf(names[i], sizeof(names[i]), "HTTP_X_H%zu", i % 2000);
		treq_add(&r, names[i], i == 7 ? big : "v");
	}
	ev = tbuild(&t, &r, "GET", "/a", NULL, 0, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_FATAL(
	    json_object_object_get_ex(ev, "multiValueHeaders", &hd));
	CU_ASSERT_FATAL(json_object_object_get_ex(hd, "X-H7", &v));
	CU_ASSERT(json_object_array_length(v) == 2);
	CU_ASSERT(json_object_get_string_len(json_object_array_get_idx(v, 0)) ==
	    (int)bigsz);
	CU_ASSERT_FATAL(json_object_object_get_ex(hd, "X-H1999", &v));
	json_object_put(ev);
	free(big);
	tconf_free(&t);
}

/*
 * Thousands of query keys, distinct and repeated (the builder indexes big
 * objects): the last value wins, every value is kept in order, and the
 * text is json-c's to the byte.
 */
static void
test_many_query_keys(void)
{
	struct tconf t;
	struct lb_http_request req;
	struct lb_router_match m;
	struct lb_event_input in;
	char err[128], *q, *o;
	json_object *ev, *single, *multi, *v;
	const size_t n = 3000;

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	q = malloc(n * 16);
	CU_ASSERT_FATAL(q != NULL);
	o = q;
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "%sk%zu=v%zu", i ? "&" : "", i % 1000, i);
	memset(&req, 0, sizeof(req));
	memset(&m, 0, sizeof(m));
	memset(&in, 0, sizeof(in));
	req.method = "GET";
	req.uri = "/any";
	m.route = &t.routes[2];
	in.cfg = &t.cfg;
	in.req = &req;
	in.match = &m;
	in.path = "/any";
	in.path_len = 4;
	in.query = q;
	in.request_id = "00000000-0000-4000-8000-000000000000";
	in.short_id = "AAAAAAAAAAAAAAA=";
	for (int fmt = 1; fmt <= 2; fmt++) {
		t.routes[2].payload_format = fmt;
		ev = build_checked(&in, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		CU_ASSERT(json_object_object_get_ex(
		    ev, "queryStringParameters", &single));
		CU_ASSERT_EQUAL(json_object_object_length(single), 1000);
		CU_ASSERT(json_object_object_get_ex(single, "k7", &v));
		if (fmt == 1) {
			/* 1.0: the last value, and all three in multiValue */
			CU_ASSERT_STRING_EQUAL(
			    json_object_get_string(v), "v2007");
			CU_ASSERT(json_object_object_get_ex(
			    ev, "multiValueQueryStringParameters", &multi));
			CU_ASSERT(json_object_object_get_ex(multi, "k7", &v));
			CU_ASSERT_EQUAL(json_object_array_length(v), 3);
		} else {
			/* 2.0: the values joined with commas */
			CU_ASSERT_STRING_EQUAL(
			    json_object_get_string(v), "v7,v1007,v2007");
		}
		json_object_put(ev);
	}
	free(q);
	tconf_free(&t);
}

/*
 * Odd requests straight into lb_event_build: empty method, no params, NULL
 * body and URI, every byte value in the URI.  They must build or fail
 * cleanly.
 */
static void
test_odd_inputs(void)
{
	struct tconf t;
	struct lb_http_request req;
	struct lb_router_match m;
	struct lb_event_input in;
	char err[128], uri[300];
	json_object *ev;

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	memset(&req, 0, sizeof(req));
	memset(&m, 0, sizeof(m));
	memset(&in, 0, sizeof(in));
	req.method = "";
	m.route = &t.routes[2];
	in.cfg = &t.cfg;
	in.req = &req;
	in.match = &m;
	in.request_id = "00000000-0000-4000-8000-000000000000";
	in.short_id = "AAAAAAAAAAAAAAA=";
	for (int v = 1; v <= 2; v++) {
		t.routes[2].payload_format = v;
		ev = build_checked(&in, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(ev);
		json_object_put(ev);
	}
	/* every byte 1..255 in a URI */
	uri[0] = '/';
	for (int i = 1; i < 256; i++)
		uri[i] = (char)i;
	uri[256] = '\0';
	req.uri = uri;
	req.method = "GET";
	for (int v = 1; v <= 2; v++) {
		const char *p, *q;
		size_t len;

		t.routes[2].payload_format = v;
		CU_ASSERT(lb_event_split_uri(uri, &p, &len, &q) == 0);
		in.path = p;
		in.path_len = len;
		in.query = q;
		ev = build_checked(&in, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(ev);
		/* whatever came in, the output is valid JSON text */
		if (ev != NULL) {
			json_object *back =
			    json_tokener_parse(json_object_to_json_string(ev));

			CU_ASSERT_PTR_NOT_NULL(back);
			json_object_put(back);
		}
		json_object_put(ev);
	}
	/* incomplete input */
	in.request_id = NULL;
	CU_ASSERT_PTR_NULL(lb_event_build(&in, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(lb_event_build(NULL, err, sizeof(err)));
	t.routes[2].payload_format = 2;
	tconf_free(&t);
}

/* --- lb_event_split_uri / lb_event_locate ---------------------------------- */

static void
test_split_locate(void)
{
	struct tconf t;
	const char *p, *q;
	size_t len;

	CU_ASSERT(lb_event_split_uri("/a/b?x=1", &p, &len, &q) == 0);
	CU_ASSERT(len == 4 && memcmp(p, "/a/b", 4) == 0);
	CU_ASSERT_STRING_EQUAL(q, "x=1");
	CU_ASSERT(lb_event_split_uri("/?", &p, &len, &q) == 0);
	CU_ASSERT(len == 1 && q == NULL);
	CU_ASSERT(lb_event_split_uri(
	              "http://example.com/api/abs?x=1", &p, &len, &q) == 0);
	CU_ASSERT(len == 8 && memcmp(p, "/api/abs", 8) == 0);
	CU_ASSERT_STRING_EQUAL(q, "x=1");
	CU_ASSERT(lb_event_split_uri("", &p, &len, &q) < 0);
	CU_ASSERT(lb_event_split_uri("*", &p, &len, &q) < 0);
	CU_ASSERT(lb_event_split_uri("http://example.com", &p, &len, &q) < 0);
	CU_ASSERT(lb_event_split_uri("://x/y", &p, &len, &q) < 0);

	CU_ASSERT_FATAL(
	    tconf_init(&t, LB_API_REST, "live", rest_routes, NULL, NULL) == 0);
	CU_ASSERT(lb_event_locate(&t.cfg, "/live/a?b", &p, &len, &q) == 0);
	CU_ASSERT(len == 2 && memcmp(p, "/a", 2) == 0);
	CU_ASSERT(lb_event_locate(&t.cfg, "/live", &p, &len, &q) == 0);
	CU_ASSERT(len == 1 && *p == '/');
	CU_ASSERT(lb_event_locate(&t.cfg, "/live//x", &p, &len, &q) == 0);
	CU_ASSERT(len == 2 && memcmp(p, "/x", 2) == 0);
	CU_ASSERT(lb_event_locate(&t.cfg, "/lively/a", &p, &len, &q) < 0);
	CU_ASSERT(lb_event_locate(&t.cfg, "/other/a", &p, &len, &q) < 0);
	CU_ASSERT(lb_event_locate(&t.cfg, "/", &p, &len, &q) < 0);
	tconf_free(&t);
}

/* --- headers.c ------------------------------------------------------------------ */

static void
test_title_case(void)
{
	static const char *const cases[][2] = {
		{ "x-forwarded-for", "X-Forwarded-For" },
		{ "content-type", "Content-Type" },
		{ "x-amzn-trace-id", "X-Amzn-Trace-Id" },
		{ "dnt", "DNT" },
		{ "cloudfront-is-desktop-viewer",
		    "CloudFront-Is-Desktop-Viewer" },
		{ "a--b-", "A--B-" },
		{ "1x-2y", "1x-2y" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lb_headers_title_case(cases[i][0], strlen(cases[i][0]), out);
		CU_ASSERT_STRING_EQUAL(out, cases[i][1]);
	}
}

/* Apache pre-joins repeated headers: kept as one value, never split. */
static void
test_headers_apache(void)
{
	struct lb_headers h;
	struct lb_http_request req;
	static const struct lb_param p[] = {
		{ "CONTENT_TYPE", "text/plain" },
		{ "CONTENT_LENGTH", "5" },
		{ "HTTP_X_DUP", "one, two" },
		{ "HTTP_X_FORWARDED_FOR", "1.1.1.1, 2.2.2.2" },
		{ "HTTP_X_AMZN_TRACE_ID",
		    "Root=1-00000000-000000000000000000000000" },
		{ "REMOTE_ADDR", "10.0.0.1" },
		{ "SERVER_PORT", "8080" },
		{ "REQUEST_SCHEME", "http" },
	};
	size_t i;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.uri = "/";
	req.params = p;
	req.nparams = sizeof(p) / sizeof(p[0]);
	CU_ASSERT_FATAL(
	    lb_headers_collect(&h, &req, LB_HEADERS_V2,
	        "Root=1-11111111-111111111111111111111111", NULL) == 0);
	i = lb_headers_find(&h, "x-dup");
	CU_ASSERT_FATAL(i != LB_HEADERS_NONE);
	CU_ASSERT(h.v[i].count == 1);
	CU_ASSERT_STRING_EQUAL(h.v[i].value, "one, two");
	i = lb_headers_find(&h, "x-forwarded-for");
	CU_ASSERT_FATAL(i != LB_HEADERS_NONE);
	CU_ASSERT_STRING_EQUAL(h.v[i].value, "1.1.1.1, 2.2.2.2, 10.0.0.1");
	i = lb_headers_find(&h, "x-amzn-trace-id");
	CU_ASSERT_FATAL(i != LB_HEADERS_NONE);
	CU_ASSERT_STRING_EQUAL(
	    h.v[i].value, "Root=1-00000000-000000000000000000000000");
	i = lb_headers_find(&h, "x-forwarded-port");
	CU_ASSERT(i != LB_HEADERS_NONE && strcmp(h.v[i].value, "8080") == 0);
	i = lb_headers_find(&h, "x-forwarded-proto");
	CU_ASSERT(i != LB_HEADERS_NONE && strcmp(h.v[i].value, "http") == 0);
	i = lb_headers_find(&h, "content-length");
	CU_ASSERT(i != LB_HEADERS_NONE && h.v[i].count == 1 &&
	    strcmp(h.v[i].value, "5") == 0);
	lb_headers_free(&h);
	CU_ASSERT_FATAL(lb_headers_collect(&h, &req, LB_HEADERS_V1, NULL,
	                    "configured.example.com") == 0);
	CU_ASSERT(lb_headers_find(&h, "content-length") == LB_HEADERS_NONE);
	i = lb_headers_find(&h, "host");
	CU_ASSERT(i != LB_HEADERS_NONE &&
	    strcmp(h.v[i].value, "configured.example.com") == 0);
	lb_headers_free(&h);
}

/* --- the `lambdabridge event` subcommand ------------------------------------ */

/* Runs the binary with a shell command line; returns the exit status. */
static int
run_cli(const char *args, char *out, size_t outlen)
{
	char cmd[1024];
	FILE *f;
	size_t n = 0;
	int st;

	snprintf(cmd, sizeof(cmd), "timeout 20 %s event %s 2>/dev/null",
	    lb_test_bin(), args);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	while (n + 1 < outlen) {
		size_t r = fread(out + n, 1, outlen - 1 - n, f);

		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_cli(void)
{
	static char out[65536];
	json_object *ev, *v;
	static const char *const bad[] = {
		"",
		"v3 GET /",
		"v2 GET",
		"v2 '' /",
		"v2 'G T' /",
		"v2 GET nopath",
		"v2 GET / -H 'NoColon'",
		"v2 GET / -H ': empty'",
		"v2 GET / -d",
		"v2 GET / -x",
		"v2 GET / extra",
		"v2 GET / -c /nonexistent/lb.conf",
		"v2 GET / -d @/nonexistent/body",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run_cli(bad[i], out, sizeof(out));

		if (rc != 1)
			fprintf(stderr, "\n'event %s' exited %d\n", bad[i], rc);
		CU_ASSERT(rc == 1);
	}
	CU_ASSERT(run_cli("--help", out, sizeof(out)) == 0);

	CU_ASSERT_FATAL(run_cli("v2 POST '/a%20b?x=1&x=2' -H 'Cookie: a=1' "
	                        "-H 'Cookie: b=2' -H 'Content-Type: "
	                        "application/json' -d '{\"k\":1}'",
	                    out, sizeof(out)) == 0);
	ev = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(th_field(ev, "version"), "2.0");
	CU_ASSERT_STRING_EQUAL(th_field(ev, "routeKey"), "$default");
	CU_ASSERT_STRING_EQUAL(th_field(ev, "rawPath"), "/a b");
	CU_ASSERT_STRING_EQUAL(th_field(ev, "rawQueryString"), "x=1&x=2");
	CU_ASSERT_STRING_EQUAL(th_field(ev, "body"), "{\"k\":1}");
	CU_ASSERT(json_object_object_get_ex(ev, "cookies", &v) &&
	    json_object_array_length(v) == 2);
	CU_ASSERT(json_object_object_get_ex(ev, "headers", &v) &&
	    strcmp(th_field(v, "content-length"), "7") == 0 &&
	    strcmp(th_field(v, "content-type"), "application/json") == 0);
	json_object_put(ev);

	CU_ASSERT_FATAL(run_cli("v1 GET '/x/y?a=1' -H 'X-Dup: 1' -H 'X-Dup: 2'",
	                    out, sizeof(out)) == 0);
	ev = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT(!json_object_object_get_ex(ev, "version", NULL));
	CU_ASSERT_STRING_EQUAL(th_field(ev, "resource"), "/{proxy+}");
	CU_ASSERT_STRING_EQUAL(th_field(ev, "path"), "/x/y");
	CU_ASSERT(json_object_object_get_ex(ev, "headers", &v) &&
	    strcmp(th_field(v, "X-Dup"), "2") == 0);
	CU_ASSERT(json_object_object_get_ex(ev, "requestContext", &v) &&
	    matches(RE_UUID4, th_field(v, "requestId")));
	json_object_put(ev);
}

/* -c FILE: the file's API, stage and routes; v1 forced on an HTTP API. */
static void
test_cli_config(void)
{
	static char out[65536];
	char dir[] = "/tmp/lb-event-test-XXXXXX", mod[128], conf[128],
	     args[512];
	json_object *ev, *rc, *v;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(mod, sizeof(mod), "%s/m.so", dir);
	snprintf(conf, sizeof(conf), "%s/lb.conf", dir);
	f = fopen(mod, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	f = fopen(conf, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f,
	    "gateway: { api = \"http\"; stage = \"dev\";\n"
	    "  stage_variables = { env = \"dev\"; }; };\n"
	    "functions = ( { name = \"f\"; module = \"m.so\"; "
	    "handler = \"h\"; } );\n"
	    "routes = ( { route = \"ANY /items/{id}\"; function = \"f\"; } "
	    ");\n");
	fclose(f);

	snprintf(
	    args, sizeof(args), "v1 GET '/dev/items/a%%20b?x=1' -c %s", conf);
	CU_ASSERT(run_cli(args, out, sizeof(out)) == 0);
	ev = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL(ev);
	if (ev != NULL) {
		CU_ASSERT_STRING_EQUAL(th_field(ev, "version"), "1.0");
		CU_ASSERT_STRING_EQUAL(th_field(ev, "path"), "/dev/items/a b");
		CU_ASSERT(json_object_object_get_ex(ev, "pathParameters", &v) &&
		    strcmp(th_field(v, "id"), "a b") == 0);
		CU_ASSERT(json_object_object_get_ex(ev, "stageVariables", &v) &&
		    strcmp(th_field(v, "env"), "dev") == 0);
		CU_ASSERT(json_object_object_get_ex(ev, "requestContext", &rc));
		CU_ASSERT(matches(RE_SHORT, th_field(rc, "requestId")));
		CU_ASSERT(json_object_object_get_ex(rc, "resourceId", &v) &&
		    v == NULL);
		json_object_put(ev);
	}
	/* not under the stage, and no such route: exit 1 */
	snprintf(args, sizeof(args), "v2 GET /items/a -c %s", conf);
	CU_ASSERT(run_cli(args, out, sizeof(out)) == 1);
	snprintf(args, sizeof(args), "v2 GET /dev/other -c %s", conf);
	CU_ASSERT(run_cli(args, out, sizeof(out)) == 1);
	remove(conf);
	remove(mod);
	rmdir(dir);
}

/* REST splits the query on ';' too; the HTTP API does not. */
static void
test_semicolon(void)
{
	struct tconf t;
	static struct treq r;
	struct tcall c;
	json_object *ev, *q;

	CU_ASSERT_FATAL(tconf_init(&t, LB_API_REST, "$default", rest_routes,
	                    NULL, NULL) == 0);
	treq_nginx(&r, "GET", "/a?x=1;y=2", NULL);
	ev = tbuild(&t, &r, "GET", "/a?x=1;y=2", NULL, 0, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_FATAL(
	    json_object_object_get_ex(ev, "queryStringParameters", &q));
	CU_ASSERT_STRING_EQUAL(th_field(q, "x"), "1");
	CU_ASSERT_STRING_EQUAL(th_field(q, "y"), "2");
	json_object_put(ev);
	tconf_free(&t);
	CU_ASSERT_FATAL(tconf_init(&t, LB_API_HTTP, "$default", http_routes,
	                    NULL, NULL) == 0);
	ev = tbuild(&t, &r, "GET", "/a?x=1;y=2", NULL, 0, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_FATAL(
	    json_object_object_get_ex(ev, "queryStringParameters", &q));
	CU_ASSERT_STRING_EQUAL(th_field(q, "x"), "1;y=2");
	json_object_put(ev);
	tconf_free(&t);
}

void
lb_test_suite_event(void)
{
	static CU_TestInfo tests[] = {
		{ "v1 rest get", test_v1_rest_get },
		{ "v1 rest encoded path", test_v1_rest_encoded_path },
		{ "v1 rest double slash", test_v1_rest_double_slash },
		{ "v1 rest api key", test_v1_rest_api_key },
		{ "v1 rest binary body", test_v1_rest_binary },
		{ "v1 rest text bodies", test_v1_rest_text_bodies },
		{ "v1 rest head", test_v1_rest_head },
		{ "v1 on http api", test_v1_http },
		{ "v2 get", test_v2_get },
		{ "v2 minimal", test_v2_minimal },
		{ "v2 greedy", test_v2_greedy },
		{ "v2 base64 rule", test_v2_base64_rule },
		{ "v2 malformed", test_v2_malformed },
		{ "many headers", test_many_headers },
		{ "odd inputs", test_odd_inputs },
		{ "many query keys", test_many_query_keys },
		{ "split and locate", test_split_locate },
		{ "title case", test_title_case },
		{ "headers apache", test_headers_apache },
		{ "cli", test_cli },
		{ "cli with a config", test_cli_config },
		{ "semicolon in query", test_semicolon },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("event", tests);
}
