/*
 * test_authorizer.c - authorizers end to end without a process: the
 * `authorizers` configuration (defaults and every rejection, as
 * "FILE:LINE: SETTING: reason"), the identity sources, the methodArn, the
 * TOKEN and REQUEST events (REST, HTTP API 1.0 and 2.0), the cache key and
 * requestContext.authorizer as the integration sees it
 * (bridge/config_authorizers.c, bridge/apigw/authorizer.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "cli/dump.h"
#include "apigw/authorizer.h"
#include "apigw/event.h"
#include "apigw/request.h"
#include "apigw/router.h"
#include "test.h"

void lb_test_suite_authorizer(void);

static char cfg_path[PATH_MAX];

/* Loads `text` from a temporary directory holding mod.so and jwks.json;
 * NULL with err on failure.  cfg_path names the file (for messages). */
static struct lb_config *
load(const char *text, char *err, size_t errlen)
{
	char dir[] = "/tmp/lbauthzXXXXXX", p[PATH_MAX];
	struct lb_config *cfg;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/mod.so", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/jwks.json", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("{\"keys\":[]}", f);
	fclose(f);
	snprintf(cfg_path, sizeof(cfg_path), "%s/t.conf", dir);
	f = fopen(cfg_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	cfg = lb_config_load(cfg_path, NULL, err, errlen);
	unlink(cfg_path);
	snprintf(p, sizeof(p), "%s/mod.so", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/jwks.json", dir);
	unlink(p);
	rmdir(dir);
	return cfg;
}

#define FUNCS \
	"functions = ( { name = \"auth\"; module = \"mod.so\"; handler = " \
	"\"h\"; }, { name = \"app\"; module = \"mod.so\"; handler = " \
	"\"h\"; } );\n"
#define REST "gateway: { api = \"rest\"; stage = \"prod\"; };\n"
#define HTTP "gateway: { api = \"http\"; };\n"

/* `text` fails with "PATH:LINE: SETTING: ...REASON...". */
static void
expect_error(
    const char *text, int line, const char *setting, const char *reason)
{
	struct lb_config *cfg;
	char err[1024] = "", want[PATH_MAX + 300];
	int ok;

	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	lb_config_free(cfg);
	snprintf(want, sizeof(want), "%s:%d: %s: ", cfg_path, line, setting);
	ok = strncmp(err, want, strlen(want)) == 0 &&
	    strstr(err + strlen(want), reason) != NULL;
	if (!ok)
		fprintf(stderr, "\n  got:  %s\n  want: %s...%s...\n", err, want,
		    reason);
	CU_ASSERT(ok);
}

/* One authorizer (the body of its group) on line 4 of a config of `api`. */
static void
authorizer_error(
    const char *api, const char *body, const char *setting, const char *reason)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s" FUNCS "authorizers = (\n{ %s }\n);\n",
	    api, body);
	expect_error(text, 4, setting, reason);
}

#define TOK \
	"name = \"t\"; type = \"TOKEN\"; function = \"auth\"; " \
	"identity_source = [ \"method.request.header.Authorization\" ]; "
#define HREQ \
	"name = \"r\"; type = \"REQUEST\"; function = \"auth\"; " \
	"identity_source = [ \"$request.header.Authorization\" ]; "
#define JWT \
	"name = \"j\"; type = \"JWT\"; issuer = \"https://idp.example/r\"; " \
	"audience = [ \"app\" ]; "

static void
test_config_errors(void)
{
	authorizer_error(REST, "type = \"TOKEN\";", "authorizers[0].name",
	    "missing (required)");
	authorizer_error(REST, "name = \"a b\"; type = \"TOKEN\";",
	    "authorizers[0].name", "authorizer names are");
	authorizer_error(REST, "name = \"t\"; type = \"JWT\";",
	    "authorizers[0].type", "a REST API's types");
	authorizer_error(HTTP, "name = \"t\"; type = \"TOKEN\";",
	    "authorizers[0].type", "an HTTP API's types");
	authorizer_error(REST, "name = \"t\"; type = \"TOKEN\";",
	    "authorizers[0].function", "missing (required for a TOKEN");
	authorizer_error(REST,
	    "name = \"t\"; type = \"TOKEN\"; function = \"nope\";",
	    "authorizers[0].function", "no function named 'nope'");
	authorizer_error(REST,
	    "name = \"t\"; type = \"TOKEN\"; function = "
	    "\"auth\";",
	    "authorizers[0].identity_source",
	    "exactly one method.request.header.NAME");
	authorizer_error(REST,
	    "name = \"t\"; type = \"TOKEN\"; function = "
	    "\"auth\"; identity_source = [ "
	    "\"method.request.querystring.q\" ];",
	    "authorizers[0].identity_source",
	    "exactly one method.request.header.NAME");
	authorizer_error(REST,
	    "name = \"t\"; type = \"REQUEST\"; function = "
	    "\"auth\"; identity_source = [ "
	    "\"$request.header.X\" ];",
	    "authorizers[0].identity_source[0]",
	    "expected method.request.header.NAME");
	authorizer_error(HTTP,
	    "name = \"r\"; type = \"REQUEST\"; function = "
	    "\"auth\"; payload_format = \"2.0\"; "
	    "identity_source = [ "
	    "\"method.request.header.X\" ];",
	    "authorizers[0].identity_source[0]",
	    "expected $request.header.NAME");
	authorizer_error(REST,
	    "name = \"t\"; type = \"REQUEST\"; function = "
	    "\"auth\"; identity_source = [ "
	    "\"context.nope\" ];",
	    "authorizers[0].identity_source[0]", "unknown context variable");
	authorizer_error(REST,
	    "name = \"t\"; type = \"REQUEST\"; function = "
	    "\"auth\"; identity_source = [ "
	    "\"method.request.header.\" ];",
	    "authorizers[0].identity_source[0]", "the name is empty");
	/* REST REQUEST: ttl defaults to 300, so it needs its cache key */
	authorizer_error(REST,
	    "name = \"t\"; type = \"REQUEST\"; function = \"auth\";",
	    "authorizers[0].identity_source", "needs its cache key");
	authorizer_error(
	    REST, TOK "ttl = 3601;", "authorizers[0].ttl", "out of range");
	authorizer_error(REST, TOK "validation_expression = \"(\";",
	    "authorizers[0].validation_expression", "'('");
	authorizer_error(REST, TOK "payload_format = \"2.0\";",
	    "authorizers[0].payload_format", "only an HTTP API's");
	authorizer_error(REST, TOK "issuer = \"https://x.example\";",
	    "authorizers[0].issuer", "only JWT authorizers");
	authorizer_error(HTTP, HREQ, "authorizers[0].payload_format",
	    "missing (required for an HTTP API REQUEST");
	authorizer_error(HTTP,
	    HREQ "payload_format = \"1.0\"; simple_responses = true;",
	    "authorizers[0].simple_responses", "payload_format \"2.0\"");
	authorizer_error(HTTP,
	    HREQ "payload_format = \"2.0\"; validation_expression = \"x\";",
	    "authorizers[0].validation_expression", "only TOKEN");
	authorizer_error(HTTP,
	    "name = \"r\"; type = \"REQUEST\"; function = "
	    "\"auth\"; payload_format = \"2.0\"; ttl = 60; "
	    "identity_source = [];",
	    "authorizers[0].identity_source", "needs its cache key");
	authorizer_error(HTTP,
	    "name = \"j\"; type = \"JWT\"; audience = [ "
	    "\"a\" ];",
	    "authorizers[0].issuer", "missing");
	authorizer_error(HTTP,
	    "name = \"j\"; type = \"JWT\"; issuer = "
	    "\"ftp://x\"; audience = [ \"a\" ];",
	    "authorizers[0].issuer", "expected an https://");
	authorizer_error(HTTP,
	    "name = \"j\"; type = \"JWT\"; issuer = "
	    "\"https://x.example\";",
	    "authorizers[0].audience", "at least one audience");
	authorizer_error(HTTP, JWT "function = \"auth\";",
	    "authorizers[0].function", "no function");
	authorizer_error(
	    HTTP, JWT "ttl = 10;", "authorizers[0].ttl", "their keys");
	authorizer_error(HTTP, JWT "jwks_file = \"nope.json\";",
	    "authorizers[0].jwks_file", "cannot read");
	authorizer_error(HTTP,
	    JWT "jwks_file = \"jwks.json\"; jwks_uri = \"https://x/k\";",
	    "authorizers[0].jwks_uri", "exclude each other");
	authorizer_error(HTTP, JWT "identity_source = [ \"$context.stage\" ];",
	    "authorizers[0].identity_source", "exactly one $request.header");
	authorizer_error(HTTP, JWT "colour = 1;", "authorizers[0].colour",
	    "unknown setting");
	/* duplicates; the routes' side */
	expect_error(REST FUNCS "authorizers = (\n{ " TOK "},\n{ " TOK
	                        " }\n);\n",
	    5, "authorizers[1].name", "duplicate authorizer 't'");
	expect_error(REST FUNCS "authorizers = ( { " TOK "} );\nroutes = (\n"
	                        "{ route = \"GET /a\"; function = \"app\"; "
	                        "authorizer = \"nope\"; }\n);\n",
	    5, "routes[0].authorizer", "no authorizer named 'nope'");
	expect_error(REST FUNCS "authorizers = ( { " TOK "} );\nroutes = (\n"
	                        "{ route = \"GET /a\"; function = \"app\"; "
	                        "authorizer = \"t\"; authorization_scopes = "
	                        "[ \"read\" ]; }\n);\n",
	    5, "routes[0].authorization_scopes", "only routes with a JWT");
	expect_error("gateway: {\napi_key_source = \"HEADER\";\n};\n", 2,
	    "gateway.api_key_source", "only REST APIs");
	expect_error(
	    "gateway: {\napi = \"rest\"; api_key_source = \"X\";\n};\n", 2,
	    "gateway.api_key_source", "expected \"HEADER\" or");
	expect_error(HTTP FUNCS "routes = (\n{ route = \"GET /a\"; function = "
	                        "\"app\"; authorization_scopes = [ \"r\" ]; "
	                        "}\n);\n",
	    4, "routes[0].authorization_scopes", "need a JWT authorizer");
}

/* The example, and the defaults. */
static void
test_config_example(void)
{
	const char *text = REST FUNCS
	    "authorizers = (\n"
	    "  { name = \"tok\"; type = \"TOKEN\"; function = \"auth\";\n"
	    "    identity_source = [ \"method.request.header.Authorization\" "
	    "];\n"
	    "    validation_expression = \"^Bearer [-0-9a-zA-Z\\\\._]+$\";  "
	    "ttl = 300; },\n"
	    "  { name = \"req\"; type = \"REQUEST\"; function = \"auth\";\n"
	    "    identity_source = [ \"method.request.querystring.q\", "
	    "\"stageVariables.v\", \"context.identity.sourceIp\" ]; }\n"
	    ");\n"
	    "routes = ( { route = \"GET /items\"; function = \"app\"; "
	    "authorizer = \"tok\"; }, { route = \"GET /open\"; function = "
	    "\"app\"; } );\n";
	const char *http = HTTP FUNCS
	    "authorizers = (\n"
	    "  { name = \"simple\"; type = \"REQUEST\"; function = \"auth\";\n"
	    "    identity_source = [ \"$request.header.Authorization\" ];\n"
	    "    payload_format = \"2.0\"; simple_responses = true; ttl = 0; "
	    "},\n"
	    "  { name = \"jwt\"; type = \"JWT\"; identity_source = [ "
	    "\"$request.header.Authorization\" ];\n"
	    "    issuer = \"https://idp.example/realms/app\"; audience = [ "
	    "\"app\" ];\n"
	    "    jwks_file = \"jwks.json\"; },\n"
	    "  { name = \"j2\"; type = \"JWT\"; issuer = "
	    "\"https://idp.example\"; audience = [ \"a\", \"b\" ]; }\n"
	    ");\n"
	    "routes = ( { route = \"GET /items\"; function = \"app\"; "
	    "authorizer = \"simple\"; },\n"
	    "           { route = \"GET /me\"; function = \"app\"; authorizer "
	    "= \"jwt\"; authorization_scopes = [ \"read\" ]; } );\n";
	struct lb_config *cfg;
	const struct lb_authorizer *a;
	char err[1024] = "";

	cfg = load(text, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->nauthorizers, 2);
	a = &cfg->authorizers[0];
	CU_ASSERT_STRING_EQUAL(a->name, "tok");
	CU_ASSERT_EQUAL(a->type, LB_AUTHORIZER_TOKEN);
	CU_ASSERT_EQUAL(a->function, 0);
	CU_ASSERT_EQUAL(a->ttl, 300);
	CU_ASSERT_EQUAL(a->payload_format, 1);
	CU_ASSERT_PTR_NOT_NULL(a->validation_re);
	CU_ASSERT_EQUAL(a->nidentity, 1);
	CU_ASSERT_EQUAL(a->identity[0].kind, LB_IDENTITY_HEADER);
	CU_ASSERT_STRING_EQUAL(a->identity[0].name, "authorization");
	a = &cfg->authorizers[1];
	CU_ASSERT_EQUAL(a->ttl, 300); /* REST's default */
	CU_ASSERT_EQUAL(a->nidentity, 3);
	CU_ASSERT_EQUAL(a->identity[0].kind, LB_IDENTITY_QUERY);
	CU_ASSERT_STRING_EQUAL(a->identity[0].name, "q");
	CU_ASSERT_EQUAL(a->identity[1].kind, LB_IDENTITY_STAGE_VARIABLE);
	CU_ASSERT_EQUAL(a->identity[2].kind, LB_IDENTITY_CONTEXT);
	CU_ASSERT_STRING_EQUAL(a->identity[2].name, "identity.sourceIp");
	CU_ASSERT_PTR_EQUAL(cfg->routes[0].authorizer, &cfg->authorizers[0]);
	CU_ASSERT_EQUAL(cfg->api_key_from_authorizer, 0);
	CU_ASSERT_PTR_NULL(cfg->routes[1].authorizer);
	lb_config_free(cfg);

	cfg = load(http, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->nauthorizers, 3);
	a = &cfg->authorizers[0];
	CU_ASSERT_EQUAL(a->type, LB_AUTHORIZER_REQUEST);
	CU_ASSERT_EQUAL(a->payload_format, 2);
	CU_ASSERT_EQUAL(a->simple_responses, 1);
	CU_ASSERT_EQUAL(a->ttl, 0);
	a = &cfg->authorizers[1];
	CU_ASSERT_EQUAL(a->type, LB_AUTHORIZER_JWT);
	CU_ASSERT_STRING_EQUAL(a->issuer, "https://idp.example/realms/app");
	CU_ASSERT_EQUAL(a->naudience, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a->jwks_file);
	CU_ASSERT(a->jwks_file[0] == '/');
	CU_ASSERT_PTR_NOT_NULL(strstr(a->jwks_file, "/jwks.json"));
	CU_ASSERT_PTR_NULL(a->jwks_uri);
	a = &cfg->authorizers[2];
	CU_ASSERT_EQUAL(a->nidentity, 1); /* the default */
	CU_ASSERT_STRING_EQUAL(a->identity[0].name, "authorization");
	CU_ASSERT_PTR_NULL(a->jwks_file);
	CU_ASSERT_PTR_NULL(a->jwks_uri); /* OIDC discovery */
	CU_ASSERT_EQUAL(a->naudience, 2);
	CU_ASSERT_EQUAL(cfg->routes[1].nscopes, 1);
	CU_ASSERT_STRING_EQUAL(cfg->routes[1].scopes[0], "read");
	/* `lambdabridge check` shows them, and which routes use them */
	{
		char *dump = NULL;
		size_t dlen = 0;
		FILE *m = open_memstream(&dump, &dlen);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		lb_dump_config(cfg, m);
		fclose(m);
		CU_ASSERT_PTR_NOT_NULL(strstr(dump,
		    "  simple: REQUEST, function auth, identity "
		    "$request.header.Authorization, payload 2.0, simple "
		    "responses, not cached\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(dump,
		    "  j2: JWT, identity $request.header.Authorization, "
		    "issuer https://idp.example, audience a,b, keys by OIDC "
		    "discovery\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(dump, "; authorizer simple\n"));
		CU_ASSERT_PTR_NOT_NULL(
		    strstr(dump, "; authorizer jwt scopes read\n"));
		free(dump);
	}
	lb_config_free(cfg);
}

/* A loaded config, its router and a request routed on it. */
struct fx {
	struct lb_config *cfg;
	struct lb_router *router;
	struct lb_http_request req;
	struct lb_param params[8];
	struct lb_request q;
	struct lb_authorizer_input in;
};

static int
fx_init(struct fx *f, const char *text, const char *method, const char *uri,
    const char *auth)
{
	char err[1024] = "";
	size_t bad, n = 0;

	memset(f, 0, sizeof(*f));
	f->cfg = load(text, err, sizeof(err));
	if (f->cfg == NULL) {
		fprintf(stderr, "\n  %s\n", err);
		return -1;
	}
	f->router = lb_router_new(
	    f->cfg->routes, f->cfg->nroutes, &bad, err, sizeof(err));
	if (f->router == NULL)
		return -1;
	lb_router_set_rest(f->router, f->cfg->api == LB_API_REST);
	f->params[n++] = (struct lb_param){ "HTTP_HOST", "api.example" };
	f->params[n++] = (struct lb_param){ "REMOTE_ADDR", "203.0.113.9" };
	f->params[n++] = (struct lb_param){ "SERVER_PROTOCOL", "HTTP/1.1" };
	f->params[n++] = (struct lb_param){ "HTTP_USER_AGENT", "ua" };
	if (auth != NULL)
		f->params[n++] =
		    (struct lb_param){ "HTTP_AUTHORIZATION", auth };
	f->req.method = method;
	f->req.uri = uri;
	f->req.params = f->params;
	f->req.nparams = n;
	f->q.cfg = f->cfg;
	f->q.router = f->router;
	f->q.req = &f->req;
	f->q.request_id = "c0ffee00-0000-4000-8000-000000000001";
	f->q.short_id = "AbCdEfGhIjKlMnO=";
	f->q.trace_id = "Root=1-00000000-000000000000000000000001";
	f->q.time_ms = 1767225600000;
	if (lb_request_route(&f->q) != LB_GWERR_NONE)
		return -1;
	f->in.cfg = f->cfg;
	f->in.a = f->q.match.route->authorizer;
	f->in.req = &f->req;
	f->in.match = &f->q.match;
	f->in.path = f->q.path;
	f->in.path_len = f->q.path_len;
	f->in.query = f->q.query;
	f->in.request_id = f->q.request_id;
	f->in.short_id = f->q.short_id;
	f->in.trace_id = f->q.trace_id;
	f->in.time_ms = f->q.time_ms;
	return 0;
}

static void
fx_free(struct fx *f)
{
	lb_router_free(f->router);
	lb_config_free(f->cfg);
}

static json_object *
parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	CU_ASSERT_PTR_NOT_NULL(o);
	return o;
}

static void
expect_json(const char *got, const char *want)
{
	json_object *a = parse(got), *b = parse(want);

	if (!json_object_equal(a, b))
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", got, want);
	CU_ASSERT(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
}

#define REST_IDS \
	"gateway: { api = \"rest\"; stage = \"prod\"; region = " \
	"\"eu-west-1\"; account_id = \"111122223333\"; api_id = " \
	"\"abcdef1234\"; stage_variables = { v = \"sv\"; }; };\n"
#define ARN "arn:aws:execute-api:eu-west-1:111122223333:abcdef1234"

static void
test_token(void)
{
	const char *text = REST_IDS FUNCS
	    "authorizers = ( { " TOK
	    "validation_expression = \"^Bearer [a-z.]+$\"; } );\n"
	    "routes = ( { route = \"GET /items/{id}\"; function = \"app\"; "
	    "authorizer = \"t\"; } );\n";
	struct lb_authorizer_identity id;
	struct fx f;
	char err[256], *ev, *arn;
	size_t len;

	/* a token that fails the expression counts as missing */
	CU_ASSERT_EQUAL_FATAL(
	    fx_init(&f, text, "GET", "/prod/items/7?x=1", "Basic abc"), 0);
	memset(&id, 0, sizeof(id));
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 1);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);
	CU_ASSERT_EQUAL_FATAL(
	    fx_init(&f, text, "GET", "/prod/items/7?x=1", NULL), 0);
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 1);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);

	CU_ASSERT_EQUAL_FATAL(
	    fx_init(&f, text, "GET", "/prod/items/7?x=1", "Bearer a.b"), 0);
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 0);
	CU_ASSERT_EQUAL(id.n, 1);
	CU_ASSERT_STRING_EQUAL(id.values[0], "Bearer a.b");
	arn = lb_authorizer_arn(f.cfg, "GET", f.q.path, f.q.path_len);
	CU_ASSERT_STRING_EQUAL(arn, ARN "/prod/GET/items/7");
	ev = lb_authorizer_event(&f.in, &id, arn, &len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	/* exactly three keys */
	CU_ASSERT_STRING_EQUAL(ev,
	    "{\"type\":\"TOKEN\",\"authorizationToken\":\"Bearer a.b\","
	    "\"methodArn\":\"" ARN "/prod/GET/items/7\"}");
	free(ev);
	free(arn);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);
}

static void
test_rest_request(void)
{
	const char *text = REST_IDS FUNCS
	    "authorizers = ( { name = \"r\"; type = \"REQUEST\"; function = "
	    "\"auth\"; identity_source = [ "
	    "\"method.request.header.Authorization\", "
	    "\"method.request.querystring.q\", \"stageVariables.v\", "
	    "\"context.httpMethod\" ]; } );\n"
	    "routes = ( { route = \"GET /items/{id}\"; function = \"app\"; "
	    "authorizer = \"r\"; } );\n";
	struct lb_authorizer_identity id;
	json_object *ev, *v;
	struct fx f;
	char err[256], *s, *arn, *key, *key2;
	size_t len, klen;

	CU_ASSERT_EQUAL_FATAL(
	    fx_init(&f, text, "GET", "/prod/items/7?q=a&q=b+c", "tok"), 0);
	memset(&id, 0, sizeof(id));
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 0);
	CU_ASSERT_EQUAL_FATAL(id.n, 4);
	CU_ASSERT_STRING_EQUAL(id.values[0], "tok");
	CU_ASSERT_STRING_EQUAL(id.values[1], "b c"); /* the last, decoded */
	CU_ASSERT_STRING_EQUAL(id.values[2], "sv");
	CU_ASSERT_STRING_EQUAL(id.values[3], "GET");
	key = lb_authorizer_cache_key(&id, &klen);
	CU_ASSERT_STRING_EQUAL(key, "[\"tok\",\"b c\",\"sv\",\"GET\"]");
	arn = lb_authorizer_arn(f.cfg, "GET", f.q.path, f.q.path_len);
	s = lb_authorizer_event(&f.in, &id, arn, &len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	ev = parse(s);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "type")),
	    "REQUEST");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "methodArn")),
	    ARN "/prod/GET/items/7");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "resource")),
	    "/items/{id}");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "path")),
	    "/items/7");
	CU_ASSERT(!json_object_object_get_ex(ev, "body", NULL));
	CU_ASSERT(!json_object_object_get_ex(ev, "isBase64Encoded", NULL));
	CU_ASSERT(!json_object_object_get_ex(ev, "version", NULL));
	CU_ASSERT(!json_object_object_get_ex(ev, "identitySource", NULL));
	CU_ASSERT(json_object_object_get_ex(ev, "multiValueHeaders", &v));
	CU_ASSERT(json_object_object_get_ex(ev, "requestContext", &v));
	CU_ASSERT(!json_object_object_get_ex(v, "authorizer", NULL));
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(v, "resourcePath")),
	    "/items/{id}");
	json_object_put(ev);
	free(s);
	free(arn);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);

	/* other values, another key; a missing one stops at once */
	CU_ASSERT_EQUAL_FATAL(
	    fx_init(&f, text, "GET", "/prod/items/7?q=b%20c", "tok2"), 0);
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 0);
	key2 = lb_authorizer_cache_key(&id, &klen);
	CU_ASSERT(strcmp(key, key2) != 0);
	free(key);
	free(key2);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);
	CU_ASSERT_EQUAL_FATAL(
	    fx_init(&f, text, "GET", "/prod/items/7?q=", "tok"), 0);
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 1);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);
}

static void
test_http_events(void)
{
	const char *text =
	    "gateway: { api = \"http\"; region = \"eu-west-1\"; account_id = "
	    "\"111122223333\"; api_id = \"abcdef1234\"; };\n" FUNCS
	    "authorizers = (\n"
	    " { name = \"v2\"; type = \"REQUEST\"; function = \"auth\"; "
	    "identity_source = [ \"$request.header.Authorization\", "
	    "\"$request.querystring.q\" ]; payload_format = \"2.0\"; },\n"
	    " { name = \"v1\"; type = \"REQUEST\"; function = \"auth\"; "
	    "identity_source = [ \"$request.header.Authorization\", "
	    "\"$request.querystring.q\" ]; payload_format = \"1.0\"; }\n"
	    ");\n"
	    "routes = ( { route = \"GET /a/{x}\"; function = \"app\"; "
	    "authorizer = \"v2\"; }, { route = \"GET /b\"; function = "
	    "\"app\"; authorizer = \"v1\"; } );\n";
	struct lb_authorizer_identity id;
	json_object *ev, *v;
	struct fx f;
	char err[256], *s, *arn;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fx_init(&f, text, "GET", "/a/1?q=z", "u1"), 0);
	memset(&id, 0, sizeof(id));
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 0);
	arn = lb_authorizer_arn(f.cfg, "GET", f.q.path, f.q.path_len);
	CU_ASSERT_STRING_EQUAL(arn, ARN "/$default/GET/a/1");
	s = lb_authorizer_event(&f.in, &id, arn, &len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	ev = parse(s);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "version")),
	    "2.0");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "type")),
	    "REQUEST");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "routeArn")),
	    ARN "/$default/GET/a/1");
	v = parse("[\"u1\",\"z\"]");
	CU_ASSERT(
	    json_object_equal(json_object_object_get(ev, "identitySource"), v));
	json_object_put(v);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "routeKey")),
	    "GET /a/{x}");
	CU_ASSERT(json_object_object_get_ex(ev, "pathParameters", NULL));
	CU_ASSERT(!json_object_object_get_ex(ev, "body", NULL));
	CU_ASSERT(!json_object_object_get_ex(ev, "isBase64Encoded", NULL));
	CU_ASSERT(!json_object_object_get_ex(ev, "methodArn", NULL));
	json_object_put(ev);
	free(s);
	free(arn);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);

	CU_ASSERT_EQUAL_FATAL(fx_init(&f, text, "GET", "/b?q=z", "u1"), 0);
	CU_ASSERT_EQUAL(lb_authorizer_identity(&f.in, &id), 0);
	arn = lb_authorizer_arn(f.cfg, "GET", f.q.path, f.q.path_len);
	s = lb_authorizer_event(&f.in, &id, arn, &len, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	ev = parse(s);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "version")),
	    "1.0");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "methodArn")),
	    ARN "/$default/GET/b");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
	                           ev, "identitySource")),
	    "u1,z");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
	                           ev, "authorizationToken")),
	    "u1,z");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "resource")),
	    "/b");
	CU_ASSERT(!json_object_object_get_ex(ev, "body", NULL));
	json_object_put(ev);
	free(s);
	free(arn);
	lb_authorizer_identity_clear(&id);
	fx_free(&f);
}

/* requestContext.authorizer, and the integration's event carrying it. */
static void
test_integration_context(void)
{
	const char *answer =
	    "{\"principalId\":\"user\",\"policyDocument\":{\"Statement\":[]},"
	    "\"context\":{\"str\":\"hello\",\"num\":123,\"null\":null}}";
	const char *text = REST_IDS FUNCS
	    "authorizers = ( { " TOK "} );\n"
	    "routes = ( { route = \"GET /items\"; function = \"app\"; "
	    "authorizer = \"t\"; } );\n";
	struct lb_policy p;
	struct fx f;
	json_object *ev, *rc;
	char err[256], *s;
	size_t len;

	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(lb_policy_parse(answer, strlen(answer),
	                          LB_POLICY_IAM_REST, &p, err, sizeof(err)),
	    0);
	s = lb_authorizer_context(&p, 1, 236, &len);
	expect_json(s,
	    "{\"str\":\"hello\",\"num\":\"123\",\"null\":null,"
	    "\"principalId\":\"user\",\"integrationLatency\":236}");
	CU_ASSERT_EQUAL(len, strlen(s));

	/* through the event builder, as the gateway hands it on */
	CU_ASSERT_EQUAL_FATAL(fx_init(&f, text, "GET", "/prod/items", "x"), 0);
	f.q.authorizer = s;
	f.q.authorizer_len = len;
	CU_ASSERT_EQUAL_FATAL(
	    lb_request_finish(&f.q, NULL, NULL, err, sizeof(err)),
	    LB_GWERR_NONE);
	ev = parse(f.q.event);
	CU_ASSERT(json_object_object_get_ex(ev, "requestContext", &rc));
	expect_json(json_object_to_json_string(
	                json_object_object_get(rc, "authorizer")),
	    s);
	json_object_put(ev);
	lb_request_clear(&f.q);
	fx_free(&f);
	free(s);

	s = lb_authorizer_context(&p, 2, 5, &len);
	expect_json(s,
	    "{\"lambda\":{\"str\":\"hello\",\"num\":\"123\","
	    "\"null\":null}}");
	free(s);
	lb_policy_clear(&p);
	/* no context */
	s = lb_authorizer_context(&p, 2, 0, &len);
	expect_json(s, "{\"lambda\":{}}");
	free(s);
	s = lb_authorizer_context(&p, 1, 0, &len);
	expect_json(s, "{\"integrationLatency\":0}");
	free(s);
}

/* A REST event drops a SigV4 Authorization; other values and an HTTP
 * API's event keep it. */
static void
test_sigv4_dropped(void)
{
	static const struct {
		int rest;
		const char *auth;
		int kept;
	} rows[] = {
		{ 1,
		    "AWS4-HMAC-SHA256 Credential=AKID/20260101/"
		    "eu-west-1/execute-api/aws4_request, "
		    "SignedHeaders=host, Signature=ab",
		    0 },
		{ 1, "Bearer AWS4-HMAC-SHA256", 1 },
		{ 1, "AWS4-HMAC-SHA256", 1 },
		{ 0, "AWS4-HMAC-SHA256 Credential=AKID/x", 1 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[1024], err[256];
		json_object *ev, *hd;
		struct fx f;

		snprintf(text, sizeof(text),
		    "%s" FUNCS "routes = ( { route = \"GET /a\"; function = "
		    "\"app\"; } );\n",
		    rows[i].rest ? REST_IDS : HTTP);
		CU_ASSERT_EQUAL_FATAL(
		    fx_init(&f, text, "GET", !rows[i].rest ? "/a" : "/prod/a",
		        rows[i].auth),
		    0);
		CU_ASSERT_EQUAL_FATAL(
		    lb_request_finish(&f.q, NULL, NULL, err, sizeof(err)),
		    LB_GWERR_NONE);
		ev = parse(f.q.event);
		hd = json_object_object_get(ev, "headers");
		CU_ASSERT_EQUAL(
		    json_object_object_get_ex(hd,
		        !rows[i].rest ? "authorization" : "Authorization",
		        NULL),
		    rows[i].kept);
		if (rows[i].rest)
			CU_ASSERT_EQUAL(
			    json_object_object_get_ex(
			        json_object_object_get(ev, "multiValueHeaders"),
			        "Authorization", NULL),
			    rows[i].kept);
		json_object_put(ev);
		lb_request_clear(&f.q);
		fx_free(&f);
	}
}

/* `lambdabridge event ARGS` (stderr dropped): its exit status, stdout in
 * out. */
static int
run_event(const char *args, char *out, size_t outlen)
{
	char cmd[2048];
	size_t n = 0;
	FILE *f;
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

/* `lambdabridge event authorizer token|request|v1|v2 ...` */
static void
test_cli_event(void)
{
	static char out[65536];
	static const char *const bad[] = {
		"authorizer",
		"authorizer token GET",
		"authorizer jwt GET /",
		"authorizer token GET /", /* no Authorization: 401 */
		"authorizer token GET / -H 'Authorization: t' extra",
	};
	char dir[] = "/tmp/lb-authz-event-XXXXXX", p[256], args[512];
	json_object *ev, *v;
	FILE *f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run_event(bad[i], out, sizeof(out));

		if (rc != 1)
			fprintf(stderr, "\n'event %s' exited %d\n", bad[i], rc);
		CU_ASSERT_EQUAL(rc, 1);
	}
	CU_ASSERT_EQUAL_FATAL(run_event("authorizer token GET /items/1 -H "
	                                "'Authorization: Bearer x'",
	                          out, sizeof(out)),
	    0);
	expect_json(out,
	    "{\"type\":\"TOKEN\",\"authorizationToken\":\"Bearer x\","
	    "\"methodArn\":\"arn:aws:execute-api:us-east-1:123456789012:"
	    "1234567890/$default/GET/items/1\"}");
	CU_ASSERT_EQUAL_FATAL(
	    run_event("authorizer v2 GET '/a?b=1' -H 'Authorization: t'", out,
	        sizeof(out)),
	    0);
	ev = parse(out);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "routeArn")),
	    "arn:aws:execute-api:us-east-1:123456789012:1234567890/$default/"
	    "GET/a");
	v = parse("[\"t\"]");
	CU_ASSERT(
	    json_object_equal(json_object_object_get(ev, "identitySource"), v));
	json_object_put(v);
	json_object_put(ev);

	/* -c: the route's own authorizer, its identity sources */
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/mod.so", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/lb.conf", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(REST_IDS FUNCS
	    "authorizers = ( { name = \"r\"; type = \"REQUEST\"; function "
	    "= \"auth\"; identity_source = [ "
	    "\"method.request.querystring.q\" ]; } );\n"
	    "routes = ( { route = \"GET /items/{id}\"; function = \"app\"; "
	    "authorizer = \"r\"; }, { route = \"GET /open\"; function = "
	    "\"app\"; } );\n",
	    f);
	fclose(f);
	snprintf(args, sizeof(args),
	    "authorizer request GET '/prod/items/7?q=1' -c %s", p);
	CU_ASSERT_EQUAL(run_event(args, out, sizeof(out)), 0);
	ev = parse(out);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(ev, "methodArn")),
	    ARN "/prod/GET/items/7");
	CU_ASSERT(json_object_object_get_ex(ev, "pathParameters", &v));
	json_object_put(ev);
	snprintf(args, sizeof(args),
	    "authorizer request GET '/prod/items/7' -c %s", p);
	CU_ASSERT_EQUAL(run_event(args, out, sizeof(out)), 1); /* no q */
	snprintf(args, sizeof(args),
	    "authorizer token GET '/prod/items/7?q=1' "
	    "-c %s",
	    p);
	CU_ASSERT_EQUAL(run_event(args, out, sizeof(out)), 1); /* REQUEST */
	snprintf(
	    args, sizeof(args), "authorizer request GET /prod/open -c %s", p);
	CU_ASSERT_EQUAL(run_event(args, out, sizeof(out)), 1); /* none */
	unlink(p);
	snprintf(p, sizeof(p), "%s/mod.so", dir);
	unlink(p);
	rmdir(dir);
}

void
lb_test_suite_authorizer(void)
{
	static CU_TestInfo tests[] = {
		{ "config: rejections", test_config_errors },
		{ "config: the issue's example", test_config_example },
		{ "TOKEN: identity, ARN, event", test_token },
		{ "REST REQUEST: identity, key, event", test_rest_request },
		{ "HTTP API events 1.0 and 2.0", test_http_events },
		{ "requestContext.authorizer", test_integration_context },
		{ "SigV4 Authorization dropped (REST)", test_sigv4_dropped },
		{ "lambdabridge event authorizer", test_cli_event },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("authorizer", tests);
}
