/*
 * test_router.c - route keys and matching (docs/apigw-facts.md sections 1.4
 * and 2.5): static beats {var} beats {proxy+}, ANY, greedy rules, $default,
 * stages (through lb_event_locate), method mismatch, parameters pointing into
 * the path, and a table with many routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "apigw/event.h"
#include "apigw/router.h"
#include "test.h"

void lb_test_suite_router(void);

#define MAX_ROUTES 600

/* A table of routes built from keys, each routed to function i. */
struct table {
	struct lb_route routes[MAX_ROUTES];
	size_t n;
	struct lb_router *router;
};

static void
table_free(struct table *t)
{
	lb_router_free(t->router);
	for (size_t i = 0; i < t->n; i++) {
		free(t->routes[i].key);
		free(t->routes[i].method);
		free(t->routes[i].path);
	}
	t->n = 0;
	t->router = NULL;
}

/* Adds `key`; returns 0, or -1 when the key does not parse. */
static int
table_add(struct table *t, const char *key)
{
	struct lb_route *r = &t->routes[t->n];
	char err[256];

	memset(r, 0, sizeof(*r));
	if (lb_router_parse_key(key, &r->method, &r->path, err, sizeof(err)) <
	    0)
		return -1;
	r->key = strdup(key);
	if (r->key == NULL)
		abort();
	r->function = t->n;
	r->payload_format = 2;
	t->n++;
	return 0;
}

/* Builds a router over the keys (NULL-terminated); asserts it works. */
static void
table_build(struct table *t, const char *const *keys)
{
	char err[256];
	size_t bad = 99;

	t->n = 0;
	t->router = NULL;
	for (; *keys != NULL; keys++)
		CU_ASSERT_EQUAL_FATAL(table_add(t, *keys), 0);
	t->router = lb_router_new(t->routes, t->n, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->router);
}

/* The key of the route matching METHOD PATH, or NULL when none does. */
static const char *
route_for(struct table *t, const char *method, const char *path,
    struct lb_router_match *m)
{
	struct lb_router_match local;

	if (m == NULL)
		m = &local;
	if (lb_router_match(t->router, method, path, strlen(path), m) < 0) {
		CU_ASSERT_PTR_NULL(m->route);
		return NULL;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->route);
	return m->route->key;
}

#define ASSERT_ROUTE(t, method, path, want) \
	do { \
		const char *got_ = route_for(t, method, path, NULL); \
		CU_ASSERT_PTR_NOT_NULL(got_); \
		if (got_ != NULL) \
			CU_ASSERT_STRING_EQUAL(got_, want); \
	} while (0)

#define ASSERT_NO_ROUTE(t, method, path) \
	CU_ASSERT_PTR_NULL(route_for(t, method, path, NULL))

/* Parameter i of m is NAME=VALUE and its value points into `path`. */
static void
check_param(const struct lb_router_match *m, size_t i, const char *path,
    const char *name, const char *value)
{
	CU_ASSERT_FATAL(i < m->nparams);
	CU_ASSERT_EQUAL(m->params[i].name_len, strlen(name));
	CU_ASSERT(strncmp(m->params[i].name, name, m->params[i].name_len) == 0);
	CU_ASSERT_EQUAL(m->params[i].value_len, strlen(value));
	CU_ASSERT(
	    memcmp(m->params[i].value, value, m->params[i].value_len) == 0);
	CU_ASSERT(m->params[i].value >= path &&
	    m->params[i].value + m->params[i].value_len <= path + strlen(path));
}

static void
test_parse_key(void)
{
	static const char *const good[] = {
		"GET /",
		"GET /hello",
		"POST /users/{id}",
		"ANY /{proxy+}",
		"DELETE /a/{b}/c/{d}",
		"PATCH /files/{path+}",
		"OPTIONS /x.y/z-w/%20",
		"HEAD /{a.b-c_d}",
		"PUT /a/{id}/{rest+}",
	};
	static const struct {
		const char *key;
		const char *why; /* part of the reason */
	} bad[] = {
		{ "", "expected \"METHOD /path\"" },
		{ "GET", "expected \"METHOD /path\"" },
		{ "/hello", "expected \"METHOD /path\"" },
		{ " /hello", "expected \"METHOD /path\"" },
		{ "FETCH /x", "unknown method 'FETCH'" },
		{ "get /x", "unknown method 'get'" },
		{ "GET x", "must start with '/'" },
		{ "GET  /x", "must start with '/'" },
		{ "GET /a//b", "empty path segment" },
		{ "GET /a/", "empty path segment" },
		{ "GET /a/{proxy+}/b", "must be the last segment" },
		{ "GET /{a}/{a}", "duplicate variable 'a'" },
		{ "GET /{}", "empty variable name" },
		{ "GET /{+}", "empty variable name" },
		{ "GET /a{b}", "whole {variable}" },
		{ "GET /{a}b", "whole {variable}" },
		{ "GET /{a", "whole {variable}" },
		{ "GET /a}", "whole {variable}" },
		{ "GET /{a b}", "invalid variable name" },
		{ "GET /a b", "invalid character 0x20" },
		{ "GET /a?b", "invalid character" },
		{ "$DEFAULT", "expected \"METHOD /path\"" },
	};
	char *method, *path, err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		CU_ASSERT_EQUAL(lb_router_parse_key(
		                    good[i], &method, &path, err, sizeof(err)),
		    0);
		CU_ASSERT_PTR_NOT_NULL(method);
		CU_ASSERT_PTR_NOT_NULL(path);
		if (method != NULL && path != NULL) {
			size_t ml = strlen(method);

			CU_ASSERT(strncmp(good[i], method, ml) == 0);
			CU_ASSERT_STRING_EQUAL(path, good[i] + ml + 1);
		}
		free(method);
		free(path);
	}
	CU_ASSERT_EQUAL(
	    lb_router_parse_key("$default", &method, &path, err, sizeof(err)),
	    0);
	CU_ASSERT_PTR_NULL(method);
	CU_ASSERT_PTR_NULL(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(lb_router_parse_key(bad[i].key, &method, &path,
		                    err, sizeof(err)),
		    -1);
		CU_ASSERT_PTR_NULL(method);
		CU_ASSERT_PTR_NULL(path);
		if (strstr(err, bad[i].why) == NULL)
			fprintf(stderr, "\n  key '%s': got '%s', want '%s'\n",
			    bad[i].key, err, bad[i].why);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
		/* the message quotes the key */
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid route '"));
	}
}

static void
test_too_many_params(void)
{
	char key[512], *method, *path, err[256];
	size_t n = (size_t)snprintf(key, sizeof(key), "GET ");

	for (int i = 0; i <= LB_ROUTER_MAX_PARAMS; i++)
		n += (size_t)snprintf(key + n, sizeof(key) - n, "/{v%d}", i);
	CU_ASSERT_EQUAL(
	    lb_router_parse_key(key, &method, &path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 16 path variables"));
}

/* The worked example of the HTTP API developer guide
 * (docs/apigw-facts.md 2.5). */
static void
test_priority_docs_example(void)
{
	static const char *const keys[] = { "GET /pets/dog/1",
		"GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}",
		"$default", NULL };
	struct table t;

	table_build(&t, keys);
	ASSERT_ROUTE(&t, "GET", "/pets/dog/1", "GET /pets/dog/1");
	ASSERT_ROUTE(&t, "GET", "/pets/dog/2", "GET /pets/dog/{id}");
	ASSERT_ROUTE(&t, "GET", "/pets/cat/1", "GET /pets/{proxy+}");
	ASSERT_ROUTE(&t, "POST", "/test/5", "ANY /{proxy+}");
	/* POST has no route under /pets: falls to the less specific ANY */
	ASSERT_ROUTE(&t, "POST", "/pets/dog/1", "ANY /{proxy+}");
	/* {proxy+} does not match its parent; "/" falls to $default */
	ASSERT_ROUTE(&t, "GET", "/", "$default");
	ASSERT_ROUTE(&t, "GET", "/pets", "ANY /{proxy+}");
	table_free(&t);
}

static void
test_static_var_greedy(void)
{
	static const char *const keys[] = { "GET /a/b/c", "GET /a/{x}/c",
		"GET /a/{x}/{y}", "GET /a/{proxy+}", "GET /{first}/b/c", NULL };
	struct table t;
	struct lb_router_match m;
	const char *p;

	table_build(&t, keys);
	ASSERT_ROUTE(&t, "GET", "/a/b/c", "GET /a/b/c");
	ASSERT_ROUTE(&t, "GET", "/a/z/c", "GET /a/{x}/c");
	ASSERT_ROUTE(&t, "GET", "/a/z/q", "GET /a/{x}/{y}");
	ASSERT_ROUTE(&t, "GET", "/a/z/q/r", "GET /a/{proxy+}");
	ASSERT_ROUTE(&t, "GET", "/a/z", "GET /a/{proxy+}");
	/* a static first segment beats {first} even deeper down */
	ASSERT_ROUTE(&t, "GET", "/a/b/q", "GET /a/{x}/{y}");
	ASSERT_ROUTE(&t, "GET", "/z/b/c", "GET /{first}/b/c");
	ASSERT_NO_ROUTE(&t, "GET", "/z/b/d");
	ASSERT_NO_ROUTE(&t, "GET", "/a");
	ASSERT_NO_ROUTE(&t, "GET", "/");
	/* backtracking: the static branch fails deeper, {x} takes over */
	p = "/a/b/q";
	CU_ASSERT_STRING_EQUAL(route_for(&t, "GET", p, &m), "GET /a/{x}/{y}");
	CU_ASSERT_EQUAL(m.nparams, 2);
	check_param(&m, 0, p, "x", "b");
	check_param(&m, 1, p, "y", "q");
	table_free(&t);
}

static void
test_any_and_methods(void)
{
	static const char *const keys[] = { "GET /r", "POST /r", "ANY /r",
		"DELETE /only", "GET /", NULL };
	struct table t;

	table_build(&t, keys);
	ASSERT_ROUTE(&t, "GET", "/r", "GET /r");
	ASSERT_ROUTE(&t, "POST", "/r", "POST /r");
	ASSERT_ROUTE(&t, "PUT", "/r", "ANY /r");
	ASSERT_ROUTE(&t, "PATCH", "/r", "ANY /r");
	ASSERT_ROUTE(&t, "HEAD", "/r", "ANY /r");
	ASSERT_ROUTE(&t, "OPTIONS", "/r", "ANY /r");
	/* a method the router does not know still matches ANY */
	ASSERT_ROUTE(&t, "PROPFIND", "/r", "ANY /r");
	/* methods are case-sensitive, as in HTTP */
	ASSERT_ROUTE(&t, "get", "/r", "ANY /r");
	/* method mismatch without ANY and without $default: no route */
	ASSERT_ROUTE(&t, "DELETE", "/only", "DELETE /only");
	ASSERT_NO_ROUTE(&t, "GET", "/only");
	ASSERT_NO_ROUTE(&t, "HEAD", "/only");
	ASSERT_NO_ROUTE(&t, "delete", "/only");
	ASSERT_ROUTE(&t, "GET", "/", "GET /");
	ASSERT_NO_ROUTE(&t, "POST", "/");
	ASSERT_NO_ROUTE(&t, "GET", "/r/x");
	table_free(&t);
}

static void
test_greedy(void)
{
	static const char *const keys[] = { "ANY /proxy-value/{proxy+}",
		"GET /files/{dir}/{rest+}", "GET /payment", NULL };
	struct table t;
	struct lb_router_match m;
	const char *p;

	table_build(&t, keys);
	/* no parent match, with or without the trailing slash */
	ASSERT_NO_ROUTE(&t, "GET", "/proxy-value");
	ASSERT_NO_ROUTE(&t, "GET", "/proxy-value/");
	ASSERT_NO_ROUTE(&t, "GET", "/proxy-value//");

	p = "/proxy-value/a";
	CU_ASSERT_STRING_EQUAL(
	    route_for(&t, "GET", p, &m), "ANY /proxy-value/{proxy+}");
	CU_ASSERT_EQUAL(m.nparams, 1);
	check_param(&m, 0, p, "proxy", "a");

	/* several segments, joined, without the leading slash */
	p = "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias";
	CU_ASSERT_STRING_EQUAL(
	    route_for(&t, "POST", p, &m), "ANY /proxy-value/{proxy+}");
	check_param(&m, 0, p, "proxy",
	    "api/user/test%2Balias@gmail.com/plus/test+alias");

	/* a trailing slash is stripped from the parameter only */
	p = "/proxy-value/capture/space%20value/";
	CU_ASSERT_STRING_EQUAL(
	    route_for(&t, "GET", p, &m), "ANY /proxy-value/{proxy+}");
	check_param(&m, 0, p, "proxy", "capture/space%20value");

	/* a double slash inside is kept */
	p = "/proxy-value/x//double-slash";
	CU_ASSERT_STRING_EQUAL(
	    route_for(&t, "GET", p, &m), "ANY /proxy-value/{proxy+}");
	check_param(&m, 0, p, "proxy", "x//double-slash");
	p = "/proxy-value//double-slash";
	CU_ASSERT_STRING_EQUAL(
	    route_for(&t, "GET", p, &m), "ANY /proxy-value/{proxy+}");
	check_param(&m, 0, p, "proxy", "/double-slash");

	/* {var} then {rest+}: both parameters, in template order */
	p = "/files/docs/a/b.txt";
	CU_ASSERT_STRING_EQUAL(
	    route_for(&t, "GET", p, &m), "GET /files/{dir}/{rest+}");
	CU_ASSERT_EQUAL(m.nparams, 2);
	check_param(&m, 0, p, "dir", "docs");
	check_param(&m, 1, p, "rest", "a/b.txt");
	ASSERT_NO_ROUTE(&t, "GET", "/files/docs");
	ASSERT_NO_ROUTE(&t, "GET", "/files/docs/");
	/* {var} never matches an empty segment */
	ASSERT_NO_ROUTE(&t, "GET", "/files//a");

	/* a static resource matches with a trailing slash too */
	ASSERT_ROUTE(&t, "GET", "/payment", "GET /payment");
	p = "/payment/";
	CU_ASSERT_STRING_EQUAL(route_for(&t, "GET", p, &m), "GET /payment");
	CU_ASSERT_EQUAL(m.nparams, 0);
	ASSERT_NO_ROUTE(&t, "GET", "/payment//");
	table_free(&t);
}

static void
test_params_point_into_path(void)
{
	static const char *const keys[] = { "GET /users/{id}/posts/{post}",
		NULL };
	struct table t;
	struct lb_router_match m;
	/* not NUL-terminated at path_len: the router must honour the length */
	const char buf[] = "/users/42/posts/abc%2Fdef?x=1";
	size_t len = strlen("/users/42/posts/abc%2Fdef");

	table_build(&t, keys);
	CU_ASSERT_EQUAL_FATAL(
	    lb_router_match(t.router, "GET", buf, len, &m), 0);
	CU_ASSERT_STRING_EQUAL(m.route->key, "GET /users/{id}/posts/{post}");
	CU_ASSERT_EQUAL_FATAL(m.nparams, 2);
	CU_ASSERT_PTR_EQUAL(m.params[0].value, buf + 7);
	CU_ASSERT_EQUAL(m.params[0].value_len, 2);
	CU_ASSERT_PTR_EQUAL(m.params[1].value, buf + 16);
	CU_ASSERT_EQUAL(m.params[1].value_len, strlen("abc%2Fdef"));
	/* names point into the route's path template */
	CU_ASSERT(m.params[0].name >= m.route->path &&
	    m.params[0].name < m.route->path + strlen(m.route->path));
	CU_ASSERT(strncmp(m.params[0].name, "id", 2) == 0);
	CU_ASSERT(strncmp(m.params[1].name, "post", 4) == 0);
	/* shorter lengths of the same buffer */
	CU_ASSERT_EQUAL(lb_router_match(t.router, "GET", buf, 9, &m), -1);
	CU_ASSERT_EQUAL(lb_router_match(t.router, "GET", buf, 0, &m), -1);
	/* a path not starting with '/' matches nothing */
	CU_ASSERT_EQUAL(lb_router_match(t.router, "GET", "users/1/posts/2",
	                    strlen("users/1/posts/2"), &m),
	    -1);
	table_free(&t);
}

static void
test_default(void)
{
	static const char *const keys[] = { "GET /x", "$default", NULL };
	static const char *const none[] = { NULL };
	struct table t;
	struct lb_router_match m;

	table_build(&t, keys);
	ASSERT_ROUTE(&t, "GET", "/x", "GET /x");
	ASSERT_ROUTE(&t, "POST", "/x", "$default");
	ASSERT_ROUTE(&t, "GET", "/", "$default");
	ASSERT_ROUTE(&t, "GET", "/y/z", "$default");
	/* $default even for an unusable path, with no parameters */
	CU_ASSERT_EQUAL(lb_router_match(t.router, "GET", "", 0, &m), 0);
	CU_ASSERT_STRING_EQUAL(m.route->key, "$default");
	CU_ASSERT_EQUAL(m.nparams, 0);
	CU_ASSERT_PTR_NULL(m.route->method);
	table_free(&t);

	/* an empty table matches nothing */
	table_build(&t, none);
	ASSERT_NO_ROUTE(&t, "GET", "/");
	ASSERT_NO_ROUTE(&t, "GET", "/x");
	table_free(&t);
}

static void
test_conflicts(void)
{
	static const struct {
		const char *a, *b;
	} pairs[] = {
		{ "GET /a/{id}", "GET /a/{name}" },
		{ "GET /a/{p+}", "GET /a/{proxy+}" },
		{ "ANY /x", "ANY /x" },
		{ "$default", "$default" },
		{ "GET /", "GET /" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
		struct table t;
		char err[256];
		size_t bad = 99;

		t.n = 0;
		CU_ASSERT_EQUAL_FATAL(table_add(&t, "GET /other"), 0);
		CU_ASSERT_EQUAL_FATAL(table_add(&t, pairs[i].a), 0);
		CU_ASSERT_EQUAL_FATAL(table_add(&t, pairs[i].b), 0);
		t.routes[1].line = 7;
		t.router = lb_router_new(t.routes, t.n, &bad, err, sizeof(err));
		CU_ASSERT_PTR_NULL(t.router);
		CU_ASSERT_EQUAL(bad, 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "same method and path"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "(line 7)"));
		table_free(&t);
	}
	/* different methods, or {var} against static, are no conflict */
	{
		static const char *const ok[] = { "GET /a/{id}", "POST /a/{x}",
			"GET /a/b", "ANY /a/{id}", "GET /a/{p+}", NULL };
		struct table t;

		table_build(&t, ok);
		table_free(&t);
	}
}

/* Stages: lb_event_locate removes "/dev" before the router sees the path. */
static void
test_stages(void)
{
	static const char *const keys[] = { "GET /agents/{proxy+}", "GET /",
		NULL };
	struct lb_config cfg;
	struct table t;
	struct lb_router_match m;
	const char *path, *query;
	size_t len;

	memset(&cfg, 0, sizeof(cfg));
	cfg.api = LB_API_HTTP;
	cfg.stage = (char *)"dev";
	table_build(&t, keys);

	CU_ASSERT_EQUAL_FATAL(
	    lb_event_locate(&cfg, "/dev/agents/1234?a=b", &path, &len, &query),
	    0);
	CU_ASSERT_EQUAL(len, strlen("/agents/1234"));
	CU_ASSERT_EQUAL_FATAL(
	    lb_router_match(t.router, "GET", path, len, &m), 0);
	CU_ASSERT_STRING_EQUAL(m.route->key, "GET /agents/{proxy+}");
	CU_ASSERT_EQUAL(m.params[0].value_len, 4);
	CU_ASSERT(strncmp(m.params[0].value, "1234", 4) == 0);

	/* the stage root is "/" */
	CU_ASSERT_EQUAL_FATAL(
	    lb_event_locate(&cfg, "/dev", &path, &len, &query), 0);
	CU_ASSERT_EQUAL_FATAL(
	    lb_router_match(t.router, "GET", path, len, &m), 0);
	CU_ASSERT_STRING_EQUAL(m.route->key, "GET /");

	/* outside the stage: no route at all */
	CU_ASSERT_EQUAL(
	    lb_event_locate(&cfg, "/agents/1234", &path, &len, &query), -1);
	CU_ASSERT_EQUAL(
	    lb_event_locate(&cfg, "/devx/agents/1", &path, &len, &query), -1);

	/* $default stage: the path is used as it is */
	cfg.stage = (char *)"$default";
	CU_ASSERT_EQUAL_FATAL(
	    lb_event_locate(&cfg, "/agents/7", &path, &len, &query), 0);
	CU_ASSERT_EQUAL_FATAL(
	    lb_router_match(t.router, "GET", path, len, &m), 0);
	CU_ASSERT_STRING_EQUAL(m.route->key, "GET /agents/{proxy+}");
	table_free(&t);
}

/* Many routes: every one is found, with its parameter. */
static void
test_many_routes(void)
{
	struct table t;
	char key[64], path[64], err[256];
	size_t bad;
	int i;

	t.n = 0;
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "GET /svc%03d/items/{id}", i);
		CU_ASSERT_EQUAL_FATAL(table_add(&t, key), 0);
		snprintf(key, sizeof(key), "POST /svc%03d/items", i);
		CU_ASSERT_EQUAL_FATAL(table_add(&t, key), 0);
		snprintf(key, sizeof(key), "ANY /svc%03d/{proxy+}", i);
		CU_ASSERT_EQUAL_FATAL(table_add(&t, key), 0);
	}
	t.router = lb_router_new(t.routes, t.n, &bad, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.router);
	for (i = 199; i >= 0; i--) {
		struct lb_router_match m;
		const char *got;

		snprintf(path, sizeof(path), "/svc%03d/items/x%d", i, i);
		got = route_for(&t, "GET", path, &m);
		snprintf(key, sizeof(key), "GET /svc%03d/items/{id}", i);
		CU_ASSERT(got != NULL && strcmp(got, key) == 0);
		CU_ASSERT_EQUAL(m.route->function, (size_t)i * 3);
		snprintf(key, sizeof(key), "x%d", i);
		check_param(&m, 0, path, "id", key);

		snprintf(path, sizeof(path), "/svc%03d/items", i);
		snprintf(key, sizeof(key), "POST /svc%03d/items", i);
		got = route_for(&t, "POST", path, NULL);
		CU_ASSERT(got != NULL && strcmp(got, key) == 0);

		/* GET on the collection: ANY {proxy+} of the same service */
		snprintf(key, sizeof(key), "ANY /svc%03d/{proxy+}", i);
		got = route_for(&t, "GET", path, NULL);
		CU_ASSERT(got != NULL && strcmp(got, key) == 0);
	}
	ASSERT_NO_ROUTE(&t, "GET", "/svc200/items/1");
	ASSERT_NO_ROUTE(&t, "GET", "/svc00/items/1");
	ASSERT_NO_ROUTE(&t, "GET", "/svc000");
	table_free(&t);
}

/* REST: the resource is chosen by path; a method it lacks is no route. */
static void
test_rest_wrong_method(void)
{
	static const char *const keys[] = { "GET /pets/{id}", "POST /pets",
		"ANY /{proxy+}", "GET /shop/{proxy+}", "GET /", NULL };
	struct table t;

	table_build(&t, keys);
	/* HTTP API rules: fall through to the less specific ANY route */
	ASSERT_ROUTE(&t, "DELETE", "/pets/7", "ANY /{proxy+}");
	ASSERT_ROUTE(&t, "GET", "/pets", "ANY /{proxy+}");
	ASSERT_ROUTE(&t, "POST", "/shop/a/b", "ANY /{proxy+}");

	lb_router_set_rest(t.router, 1);
	ASSERT_ROUTE(&t, "GET", "/pets/7", "GET /pets/{id}");
	ASSERT_ROUTE(&t, "POST", "/pets", "POST /pets");
	ASSERT_ROUTE(&t, "GET", "/other/x", "ANY /{proxy+}");
	ASSERT_ROUTE(&t, "GET", "/shop/a/b", "GET /shop/{proxy+}");
	ASSERT_ROUTE(&t, "GET", "/", "GET /");
	ASSERT_NO_ROUTE(&t, "DELETE", "/pets/7");
	ASSERT_NO_ROUTE(&t, "GET", "/pets");
	ASSERT_NO_ROUTE(&t, "POST", "/shop/a/b");
	ASSERT_NO_ROUTE(&t, "POST", "/");
	table_free(&t);
}

void
lb_test_suite_router(void)
{
	static CU_TestInfo tests[] = {
		{ "parse keys", test_parse_key },
		{ "too many params", test_too_many_params },
		{ "docs priority example", test_priority_docs_example },
		{ "static > var > greedy", test_static_var_greedy },
		{ "ANY and methods", test_any_and_methods },
		{ "greedy rules", test_greedy },
		{ "params point into path", test_params_point_into_path },
		{ "$default", test_default },
		{ "conflicts", test_conflicts },
		{ "stages", test_stages },
		{ "many routes", test_many_routes },
		{ "REST wrong method", test_rest_wrong_method },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("router", tests);
}
