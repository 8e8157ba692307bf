/*
 * test_cors.c - gateway.cors (apigw/cors.c): which origins match, the
 * preflight the gateway answers itself, and the headers put on responses
 * (docs/apigw-facts.md section 5, docs/configuration.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/cors.h"
#include "apigw/router.h"
#include "config.h"
#include "fastcgi/http.h"
#include "test.h"

void lb_test_suite_cors(void);

/* A configuration over string literals (lb_cors_prepare joins them). */
static struct lb_cors
make(char **origins, size_t no, char **methods, size_t nm, char **headers,
    size_t nh, char **expose, size_t ne, int max_age, int creds)
{
	struct lb_cors c;

	memset(&c, 0, sizeof(c));
	c.set = 1;
	c.allow_origins = origins;
	c.nallow_origins = no;
	c.allow_methods = methods;
	c.nallow_methods = nm;
	c.allow_headers = headers;
	c.nallow_headers = nh;
	c.expose_headers = expose;
	c.nexpose_headers = ne;
	c.max_age = max_age;
	c.allow_credentials = creds;
	CU_ASSERT_EQUAL_FATAL(lb_cors_prepare(&c), 0);
	return c;
}

/* Frees what lb_cors_prepare made, not the literals. */
static void
unmake(struct lb_cors *c)
{
	free(c->methods);
	free(c->headers);
	free(c->expose);
}

#define N(a) (sizeof(a) / sizeof(*(a)))

/* The matching table: entry, origin, the allow-origin value or NULL. */
static void
test_origin_table(void)
{
	static const struct {
		const char *entry, *origin, *want;
	} rows[] = {
		/* exact, scheme and host without regard to case */
		{ "https://app.example", "https://app.example",
		    "https://app.example" },
		{ "https://app.example", "HTTPS://App.Example",
		    "HTTPS://App.Example" },
		{ "https://app.example", "http://app.example", NULL },
		{ "https://app.example", "https://app.example:8443", NULL },
		{ "https://app.example", "https://app.example.evil", NULL },
		{ "https://app.example", "https://xapp.example", NULL },
		{ "https://app.example:8443", "https://app.example:8443",
		    "https://app.example:8443" },
		/* "*": any origin, answered with "*" */
		{ "*", "https://anything.example", "*" },
		{ "*", "null", "*" },
		/* the prefix form: any origin of the scheme */
		{ "https://*", "https://a.example", "https://a.example" },
		{ "https://*", "https://a.example:1", "https://a.example:1" },
		{ "https://*", "http://a.example", NULL },
		{ "https://*", "https://", NULL },
		{ "http://*", "http://localhost:3000",
		    "http://localhost:3000" },
		/* the subdomain form: one label or more before the domain */
		{ "https://*.app.example", "https://x.app.example",
		    "https://x.app.example" },
		{ "https://*.app.example", "https://a.b.app.example",
		    "https://a.b.app.example" },
		{ "https://*.app.example", "https://app.example", NULL },
		{ "https://*.app.example", "https://.app.example", NULL },
		{ "https://*.app.example", "https://xapp.example", NULL },
		{ "https://*.app.example", "http://x.app.example", NULL },
		{ "https://*.app.example", "https://x.app.example:8443", NULL },
		{ "https://*.app.example:8443", "https://x.app.example:8443",
		    "https://x.app.example:8443" },
		/* "null" only when configured */
		{ "null", "null", "null" },
		{ "https://app.example", "null", NULL },
		/* absent or empty Origin: never */
		{ "*", "", NULL },
		{ "*", NULL, NULL },
	};

	for (size_t i = 0; i < N(rows); i++) {
		char *e[] = { (char *)rows[i].entry };
		struct lb_cors c = make(
		    e, 1, NULL, 0, NULL, 0, NULL, 0, LB_CORS_NO_MAX_AGE, 0);
		const char *got = lb_cors_allow_origin(&c, rows[i].origin);
		const char *want = rows[i].want;
		int ok = (got == NULL && want == NULL) ||
		    (got != NULL && want != NULL && strcmp(got, want) == 0);
		if (!ok)
			fprintf(stderr, "\n  '%s' vs '%s': got '%s'\n",
			    rows[i].entry, rows[i].origin ? rows[i].origin : "",
			    got ? got : "(none)");
		CU_ASSERT(ok);
		unmake(&c);
	}
}

/* A specific entry wins over "*" (the origin is echoed). */
static void
test_origin_list(void)
{
	char *e[] = { "*", "https://app.example" };
	struct lb_cors c =
	    make(e, 2, NULL, 0, NULL, 0, NULL, 0, LB_CORS_NO_MAX_AGE, 0);

	CU_ASSERT_STRING_EQUAL(lb_cors_allow_origin(&c, "https://app.example"),
	    "https://app.example");
	CU_ASSERT_STRING_EQUAL(
	    lb_cors_allow_origin(&c, "https://other.example"), "*");
	unmake(&c);
}

static void
test_check_origin(void)
{
	static const char *const good[] = { "*", "null", "https://a.example",
		"http://localhost:3000", "https://*", "http://*",
		"https://*.a.example", "https://*.a.example:8443",
		"http://127.0.0.1:8080", "http://[::1]:8080", "app+x://a" };
	static const char *const bad[] = { "", "a.example", "https://",
		"https://a.example/", "https://a.example/x", "https://a.*.b",
		"https://*a.example", "*.a.example",
		"https://a:", "https://:80", "https://a b", "https://a:8x",
		"://a" };

	for (size_t i = 0; i < N(good); i++) {
		if (lb_cors_check_origin(good[i]) != NULL)
			fprintf(stderr, "\n  '%s' rejected\n", good[i]);
		CU_ASSERT_PTR_NULL(lb_cors_check_origin(good[i]));
	}
	for (size_t i = 0; i < N(bad); i++) {
		if (lb_cors_check_origin(bad[i]) == NULL)
			fprintf(stderr, "\n  '%s' accepted\n", bad[i]);
		CU_ASSERT_PTR_NOT_NULL(lb_cors_check_origin(bad[i]));
	}
}

/* ---- requests and responses ---- */

static struct lb_http_request
request(const char *method, const struct lb_param *params, size_t n)
{
	struct lb_http_request r;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.uri = "/";
	r.params = params;
	r.nparams = n;
	return r;
}

/* Are resp's headers exactly `want` ("name: value", in order)? */
static int
headers_are(const struct lb_http_response *r, const char *const *want)
{
	size_t n = 0;
	char line[512];

	while (want[n] != NULL)
		n++;
	if (n != r->nheaders)
		goto diff;
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s: %s", r->headers[i].name,
		    r->headers[i].value);
		if (strcmp(line, want[i]) != 0)
			goto diff;
	}
	return 1;
diff:
	fprintf(stderr, "\nheaders differ; got:\n");
	for (size_t i = 0; i < r->nheaders; i++)
		fprintf(stderr, "  '%s: %s'\n", r->headers[i].name,
		    r->headers[i].value);
	return 0;
}

#define HEADERS(r, ...) \
	headers_are(r, (const char *const[]){ __VA_ARGS__, NULL })
#define NO_HEADERS(r) headers_are(r, (const char *const[]){ NULL })

/* Routes GET /items, POST /items/{id}, ANY /any/{proxy+}. */
struct fixture {
	struct lb_route routes[3];
	struct lb_router *router;
};

static void
fixture_init(struct fixture *f)
{
	static const char *const keys[] = { "GET /items", "POST /items/{id}",
		"ANY /any/{proxy+}" };
	char err[256];
	size_t bad;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < N(keys); i++) {
		f->routes[i].key = (char *)keys[i];
		CU_ASSERT_EQUAL_FATAL(
		    lb_router_parse_key(keys[i], &f->routes[i].method,
		        &f->routes[i].path, err, sizeof(err)),
		    0);
	}
	f->router = lb_router_new(f->routes, N(keys), &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->router);
}

static void
fixture_free(struct fixture *f)
{
	lb_router_free(f->router);
	for (size_t i = 0; i < N(f->routes); i++) {
		free(f->routes[i].method);
		free(f->routes[i].path);
	}
}

/* lb_cors_preflight on `path`: its return value, resp filled. */
static int
preflight(const struct lb_cors *c, const struct fixture *f, const char *method,
    const struct lb_param *p, size_t np, const char *path,
    struct lb_http_response *resp)
{
	struct lb_http_request req = request(method, p, np);

	memset(resp, 0, sizeof(*resp));
	return lb_cors_preflight(
	    c, f->router, &req, path, path ? strlen(path) : 0, resp);
}

static void
test_preflight(void)
{
	char *o[] = { "https://app.example" };
	char *m[] = { "GET", "POST" };
	char *h[] = { "content-type", "x-api-key" };
	char *x[] = { "x-total" };
	struct lb_cors c = make(o, 1, m, 2, h, 2, x, 1, 300, 1);
	struct fixture f;
	struct lb_http_response r;
	const struct lb_param full[] = {
		{ "HTTP_ORIGIN", "https://app.example" },
		{ "HTTP_ACCESS_CONTROL_REQUEST_METHOD", "POST" },
		{ "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "content-type" },
	};
	const struct lb_param other[] = {
		{ "HTTP_ORIGIN", "https://evil.example" },
		{ "HTTP_ACCESS_CONTROL_REQUEST_METHOD", "GET" },
	};

	fixture_init(&f);
	/* a path with a route for another method: 204 and every header;
	 * no expose-headers on a preflight */
	CU_ASSERT_EQUAL(preflight(&c, &f, "OPTIONS", full, 3, "/items", &r), 1);
	CU_ASSERT_EQUAL(r.status, 204);
	CU_ASSERT_EQUAL(r.body_len, 0);
	CU_ASSERT_TRUE(
	    HEADERS(&r, "access-control-allow-origin: https://app.example",
	        "access-control-allow-methods: GET,POST",
	        "access-control-allow-headers: content-type,x-api-key",
	        "access-control-max-age: 300",
	        "access-control-allow-credentials: true"));
	lb_http_response_clear(&r);
	/* path parameters and a trailing slash route as usual */
	CU_ASSERT_EQUAL(
	    preflight(&c, &f, "OPTIONS", full, 3, "/items/42/", &r), 1);
	CU_ASSERT_EQUAL(r.status, 204);
	lb_http_response_clear(&r);
	/* an origin not allowed: still answered, without the headers */
	CU_ASSERT_EQUAL(
	    preflight(&c, &f, "OPTIONS", other, 2, "/items", &r), 1);
	CU_ASSERT_EQUAL(r.status, 204);
	CU_ASSERT_TRUE(NO_HEADERS(&r));
	lb_http_response_clear(&r);

	/* not preflights: left to routing (404 or a route) */
	CU_ASSERT_EQUAL(
	    preflight(&c, &f, "OPTIONS", full, 3, "/nowhere", &r), 0);
	CU_ASSERT_EQUAL(preflight(&c, &f, "OPTIONS", full, 3, NULL, &r), 0);
	CU_ASSERT_EQUAL(preflight(&c, &f, "GET", full, 3, "/items", &r), 0);
	CU_ASSERT_EQUAL(preflight(&c, &f, "OPTIONS", full, 1, "/items", &r),
	    0); /* no Access-Control-Request-Method */
	CU_ASSERT_EQUAL(
	    preflight(&c, &f, "OPTIONS", full + 1, 2, "/items", &r), 0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.nheaders, 0);
	c.set = 0;
	CU_ASSERT_EQUAL(preflight(&c, &f, "OPTIONS", full, 3, "/items", &r), 0);
	unmake(&c);
	fixture_free(&f);
}

/* "*" methods and headers answer with what was asked; without lists or
 * max_age those headers are left out. */
static void
test_preflight_stars(void)
{
	char *o[] = { "*" };
	char *star[] = { "*" };
	struct lb_cors c = make(o, 1, star, 1, star, 1, NULL, 0, -1, 0);
	struct lb_cors bare =
	    make(o, 1, NULL, 0, NULL, 0, NULL, 0, LB_CORS_NO_MAX_AGE, 0);
	struct fixture f;
	struct lb_http_response r;
	const struct lb_param p[] = {
		{ "HTTP_ORIGIN", "https://a.example" },
		{ "HTTP_ACCESS_CONTROL_REQUEST_METHOD", "DELETE" },
		{ "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "x-a, x-b" },
	};

	fixture_init(&f);
	CU_ASSERT_EQUAL(preflight(&c, &f, "OPTIONS", p, 3, "/items", &r), 1);
	CU_ASSERT_TRUE(HEADERS(&r, "access-control-allow-origin: *",
	    "access-control-allow-methods: DELETE",
	    "access-control-allow-headers: x-a, x-b",
	    "access-control-max-age: -1"));
	lb_http_response_clear(&r);
	/* no headers asked: none allowed */
	CU_ASSERT_EQUAL(preflight(&c, &f, "OPTIONS", p, 2, "/items", &r), 1);
	CU_ASSERT_TRUE(HEADERS(&r, "access-control-allow-origin: *",
	    "access-control-allow-methods: DELETE",
	    "access-control-max-age: -1"));
	lb_http_response_clear(&r);
	CU_ASSERT_EQUAL(
	    preflight(&bare, &f, "OPTIONS", p, 3, "/any/x/y", &r), 1);
	CU_ASSERT_TRUE(HEADERS(&r, "access-control-allow-origin: *"));
	lb_http_response_clear(&r);
	unmake(&c);
	unmake(&bare);
	fixture_free(&f);
}

/* The function's access-control-* headers go; the configuration's come
 * when the origin is allowed. */
static void
test_apply(void)
{
	char *o[] = { "https://app.example" };
	char *x[] = { "x-total", "x-page" };
	struct lb_cors c = make(o, 1, NULL, 0, NULL, 0, x, 2, 10, 1);
	const struct lb_param ok[] = { { "HTTP_ORIGIN",
	    "https://app.example" } };
	const struct lb_param no[] = { { "HTTP_ORIGIN",
	    "https://evil.example" } };
	struct lb_http_request req;
	struct lb_http_response r;

	memset(&r, 0, sizeof(r));
	r.status = 200;
	lb_http_response_add_header(&r, "Content-Type", "text/plain", -1);
	lb_http_response_add_header(&r, "Access-Control-Allow-Origin", "*", -1);
	lb_http_response_add_header(&r, "X-Other", "1", -1);
	lb_http_response_add_header(
	    &r, "access-control-allow-methods", "PUT", -1);
	req = request("GET", ok, 1);
	CU_ASSERT_EQUAL(lb_cors_apply(&c, &req, &r), 0);
	CU_ASSERT_TRUE(HEADERS(&r, "Content-Type: text/plain", "X-Other: 1",
	    "access-control-allow-origin: https://app.example",
	    "access-control-allow-credentials: true",
	    "access-control-expose-headers: x-total,x-page"));
	lb_http_response_clear(&r);

	/* another origin, or none: the function's are gone all the same */
	lb_http_response_add_header(&r, "Access-Control-Allow-Origin", "*", -1);
	lb_http_response_add_header(&r, "X-Other", "1", -1);
	req = request("GET", no, 1);
	CU_ASSERT_EQUAL(lb_cors_apply(&c, &req, &r), 0);
	CU_ASSERT_TRUE(HEADERS(&r, "X-Other: 1"));
	req = request("GET", NULL, 0);
	CU_ASSERT_EQUAL(lb_cors_apply(&c, &req, &r), 0);
	CU_ASSERT_TRUE(HEADERS(&r, "X-Other: 1"));
	lb_http_response_clear(&r);
	unmake(&c);
}

void
lb_test_suite_cors(void)
{
	static CU_TestInfo tests[] = {
		{ "origin matching table", test_origin_table },
		{ "origin list: specific beats *", test_origin_list },
		{ "allow_origins syntax", test_check_origin },
		{ "preflight", test_preflight },
		{ "preflight: * lists, bare config", test_preflight_stars },
		{ "headers on responses", test_apply },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("cors", tests);
}
