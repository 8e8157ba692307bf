/*
 * test_config.c - lb_config_load: defaults (Lambda's and API Gateway's),
 * every rejection with its "FILE:LINE: SETTING: reason" message, module
 * resolution and probing (with a fake probe, no real modules), and
 * lb_dump_config (cli/dump.c).  Each load writes its config to a fresh
 * temporary directory (mkdtemp + mkstemps) holding empty "modules", removed
 * after.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cli/dump.h"
#include "apigw/gwerror.h"
#include "test.h"

void lb_test_suite_config(void);

/* The last load's config file and the real path of its directory. */
static char cfg_path[PATH_MAX];
static char cfg_dir[PATH_MAX];
static char cfg_dir_sub[PATH_MAX];

/* An extra file load() writes next to the config (for @include). */
static const char *extra_name, *extra_text;

/* The message of the last expected error. */
static char last_err[1024];
/* load() as `check` loads (lb_config_load_all): what it reported */
static int load_all_mode;
static char reported[8][512];
static size_t nreported, load_all_nerrors;

/* What the fake probe saw. */
static int probe_calls;
static char probe_module[PATH_MAX];
static char probe_symbol[256];

/* Accepts everything but the handler "missing_symbol" and "bad.so". */
static int
fake_probe(const char *module, const char *symbol, char *err, size_t errlen)
{
	size_t n = strlen(module);

	probe_calls++;
	snprintf(probe_module, sizeof(probe_module), "%s", module);
	snprintf(probe_symbol, sizeof(probe_symbol), "%s", symbol);
	if (n >= 7 && strcmp(module + n - 7, "/bad.so") == 0) {
		snprintf(err, errlen, "%s: invalid ELF header", module);
		return -1;
	}
	if (strcmp(symbol, "missing_symbol") == 0) {
		snprintf(err, errlen, "undefined symbol: %s", symbol);
		return -1;
	}
	return 0;
}

/* A probe that fails without saying why. */
static int
mute_probe(const char *module, const char *symbol, char *err, size_t errlen)
{
	(void)module;
	(void)symbol;
	(void)err;
	(void)errlen;
	return -1;
}

static void
touch(const char *dir, const char *name)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
}

static void
rm(const char *dir, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

/* lb_config_load_all's report: keeps what follows "PATH:" */
static void
report_error(void *arg, const char *msg)
{
	size_t n = strlen(cfg_path);

	(void)arg;
	CU_ASSERT(strncmp(msg, cfg_path, n) == 0 && msg[n] == ':');
	if (nreported < 8)
		snprintf(reported[nreported], sizeof(reported[0]), "%s",
		    msg + n + 1);
	nreported++;
}

/*
 * Writes `text` to a new temporary config file next to empty modules
 * mod.so, other.so and bad.so and a directory sub/, loads it and removes
 * them all.  The config's path stays in cfg_path for messages.
 */
static struct lb_config *
load(const char *text, lb_config_probe *probe, char *err, size_t errlen)
{
	char tmpl[] = "/tmp/lbcfgXXXXXX";
	struct lb_config *cfg;
	char *dir;
	FILE *f;
	int fd;

	dir = mkdtemp(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(dir, cfg_dir));
	touch(dir, "mod.so");
	touch(dir, "other.so");
	touch(dir, "bad.so");
	touch(dir, "noexec");
	snprintf(cfg_path, sizeof(cfg_path), "%s/sub", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(cfg_path, 0700), 0);
	touch(cfg_path, "bootstrap"); /* provided runtimes' default */
	strcat(cfg_path, "/bootstrap");
	CU_ASSERT_EQUAL_FATAL(chmod(cfg_path, 0755), 0);
	if (extra_name != NULL) {
		snprintf(cfg_path, sizeof(cfg_path), "%s/%s", dir, extra_name);
		f = fopen(cfg_path, "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fputs(extra_text, f);
		fclose(f);
	}
	snprintf(cfg_path, sizeof(cfg_path), "%s/testXXXXXX.conf", dir);
	fd = mkstemps(cfg_path, 5);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);

	if (load_all_mode)
		cfg = lb_config_load_all(cfg_path, probe, report_error, NULL,
		    &load_all_nerrors, err, errlen);
	else
		cfg = lb_config_load(cfg_path, probe, err, errlen);

	unlink(cfg_path);
	rm(dir, "mod.so");
	rm(dir, "other.so");
	rm(dir, "bad.so");
	rm(dir, "noexec");
	if (extra_name != NULL)
		rm(dir, extra_name);
	snprintf(cfg_dir_sub, sizeof(cfg_dir_sub), "%s/sub", dir);
	rm(cfg_dir_sub, "bootstrap");
	CU_ASSERT_EQUAL(rmdir(cfg_dir_sub), 0);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
	return cfg;
}

/* Loads `text` and expects "PATH:LINE: SETTING: ...REASON...". */
static void
expect_error_probe(const char *text, lb_config_probe *probe, int line,
    const char *setting, const char *reason)
{
	struct lb_config *cfg;
	char err[1024], want[PATH_MAX + 300];
	int ok;

	err[0] = '\0';
	cfg = load(text, probe, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	lb_config_free(cfg);
	if (setting != NULL)
		snprintf(
		    want, sizeof(want), "%s:%d: %s: ", cfg_path, line, setting);
	else
		snprintf(want, sizeof(want), "%s:%d: ", cfg_path, line);
	ok = strncmp(err, want, strlen(want)) == 0 &&
	    strstr(err + strlen(want), reason) != NULL;
	if (!ok)
		fprintf(stderr,
		    "\n  got:  %s\n  want: %s...%s...\n  config:\n%s\n", err,
		    want, reason, text);
	CU_ASSERT(ok);
	snprintf(last_err, sizeof(last_err), "%s", err);
}

static void
expect_error(
    const char *text, int line, const char *setting, const char *reason)
{
	expect_error_probe(text, NULL, line, setting, reason);
}

/* One line inside gateway: { ... } (line 2). */
static void
gateway_error(const char *body, const char *setting, const char *reason)
{
	char text[8192];

	snprintf(text, sizeof(text), "gateway: {\n%s\n};\n", body);
	expect_error(text, 2, setting, reason);
}

/* One line inside a REST gateway (line 3). */
static void
rest_gateway_error(const char *body, const char *setting, const char *reason)
{
	char text[8192];

	snprintf(
	    text, sizeof(text), "gateway: {\napi = \"rest\";\n%s\n};\n", body);
	expect_error(text, 3, setting, reason);
}

/* One line inside the first function (line 3). */
static void
function_error(const char *body, const char *setting, const char *reason)
{
	char text[8192];

	snprintf(text, sizeof(text),
	    "functions = (\n"
	    "  { name = \"a\"; module = \"mod.so\"; handler = \"h\";\n"
	    "%s\n"
	    "  }\n"
	    ");\n",
	    body);
	expect_error(text, 3, setting, reason);
}

#define FUNCS \
	"functions = ( { name = \"a\"; module = \"mod.so\"; handler = " \
	"\"h\"; }, { name = \"b\"; module = \"other.so\"; handler = " \
	"\"h2\"; } );\n"

/* One route on line 3 (functions a and b exist). */
static void
route_error(const char *route, const char *setting, const char *reason)
{
	char text[8192];

	snprintf(text, sizeof(text),
	    FUNCS "routes = (\n"
	          "%s\n"
	          ");\n",
	    route);
	expect_error(text, 3, setting, reason);
}

/* One entry of gateway_responses on line 2. */
static void
response_error(const char *body, const char *setting, const char *reason)
{
	char text[8192];

	snprintf(text, sizeof(text), "gateway_responses = {\n%s\n};\n", body);
	expect_error(text, 2, setting, reason);
}

/* ---- defaults ---- */

static void
test_defaults_empty(void)
{
	struct lb_config *cfg;
	char err[1024];

	cfg = load("# nothing\n", fake_probe, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->path, cfg_path);
	CU_ASSERT_EQUAL(cfg->api, LB_API_HTTP);
	CU_ASSERT_PTR_NULL(cfg->listen);
	CU_ASSERT_EQUAL(cfg->payload_format, 2);
	CU_ASSERT_STRING_EQUAL(cfg->stage, "$default");
	CU_ASSERT_EQUAL(cfg->nstage_variables, 0);
	CU_ASSERT_DOUBLE_EQUAL(cfg->integration_timeout, 30.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->account_concurrency, 1000);
	CU_ASSERT_EQUAL(cfg->max_request_body, 10485760);
	CU_ASSERT_EQUAL(cfg->nbinary_media_types, 0);
	CU_ASSERT_EQUAL(cfg->threads, 64);
	CU_ASSERT_EQUAL(cfg->spare_workers, 1);
	CU_ASSERT_STRING_EQUAL(cfg->region, "us-east-1");
	CU_ASSERT_STRING_EQUAL(cfg->account_id, "123456789012");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg->api_id);
	CU_ASSERT_EQUAL(strlen(cfg->api_id), 10);
	CU_ASSERT_EQUAL(
	    strspn(cfg->api_id, "abcdefghijklmnopqrstuvwxyz0123456789"), 10);
	CU_ASSERT_PTR_NULL(cfg->domain_name);
	CU_ASSERT(cfg->throttle.rate < 0 && cfg->throttle.burst < 0);
	CU_ASSERT(
	    cfg->account_throttle.rate < 0 && cfg->account_throttle.burst < 0);
	CU_ASSERT_EQUAL(cfg->nfunctions, 0);
	CU_ASSERT_EQUAL(cfg->nroutes, 0);
	for (int i = 0; i < LB_GWERR_COUNT; i++)
		CU_ASSERT_EQUAL(cfg->responses[i].set, 0);
	CU_ASSERT_EQUAL(lb_config_function_index(cfg, "a"), -1);
	lb_config_free(cfg);
	lb_config_free(NULL);
}

static void
test_defaults_rest(void)
{
	struct lb_config *cfg;
	char err[1024];

	cfg = load("gateway: { api = \"rest\"; };\n" FUNCS
	           "routes = ( { route = \"GET /x\"; function = \"b\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->api, LB_API_REST);
	CU_ASSERT_EQUAL(cfg->payload_format, 1);
	CU_ASSERT_DOUBLE_EQUAL(cfg->integration_timeout, 29.0, 1e-9);
	CU_ASSERT_EQUAL_FATAL(cfg->nroutes, 1);
	CU_ASSERT_EQUAL(cfg->routes[0].payload_format, 1);
	CU_ASSERT_EQUAL(cfg->routes[0].function, 1);
	lb_config_free(cfg);
}

static void
test_defaults_function(void)
{
	struct lb_config *cfg;
	char err[1024], want[PATH_MAX + 64];

	probe_calls = 0;
	cfg = load(FUNCS, fake_probe, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->nfunctions, 2);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].name, "a");
	snprintf(want, sizeof(want), "%s/mod.so", cfg_dir);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].module, want);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].handler, "h");
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].version, "$LATEST");
	CU_ASSERT_DOUBLE_EQUAL(cfg->functions[0].timeout, 3.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->functions[0].memory, 128);
	CU_ASSERT_EQUAL(cfg->functions[0].reserved_concurrency, -1);
	CU_ASSERT_EQUAL(cfg->functions[0].provisioned, 0);
	CU_ASSERT_DOUBLE_EQUAL(cfg->functions[0].idle_timeout, 300.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->functions[0].max_requests, 0);
	CU_ASSERT_EQUAL(cfg->functions[0].nenvironment, 0);
	CU_ASSERT_EQUAL(cfg->functions[0].line, 1);
	/* the probe saw every function, with the resolved path */
	CU_ASSERT_EQUAL(probe_calls, 2);
	snprintf(want, sizeof(want), "%s/other.so", cfg_dir);
	CU_ASSERT_STRING_EQUAL(probe_module, want);
	CU_ASSERT_STRING_EQUAL(probe_symbol, "h2");
	CU_ASSERT_EQUAL(lb_config_function_index(cfg, "a"), 0);
	CU_ASSERT_EQUAL(lb_config_function_index(cfg, "b"), 1);
	CU_ASSERT_EQUAL(lb_config_function_index(cfg, "c"), -1);
	lb_config_free(cfg);
}

/* Functions that share a module, handler and ids are probed once. */
static void
test_probe_once_per_module(void)
{
	struct lb_config *cfg;
	char err[1024];

	probe_calls = 0;
	cfg =
	    load("functions = (\n"
	         "{ name = \"a\"; module = \"mod.so\"; handler = \"h\"; },\n"
	         "{ name = \"b\"; module = \"mod.so\"; handler = \"h\"; },\n"
	         "{ name = \"c\"; module = \"mod.so\"; handler = \"h2\"; },\n"
	         "{ name = \"d\"; module = \"other.so\"; handler = \"h\"; },\n"
	         "{ name = \"e\"; module = \"mod.so\"; handler = \"h\"; } );\n",
	        fake_probe, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->nfunctions, 5);
	/* a (b and e share its probe), c, d */
	CU_ASSERT_EQUAL(probe_calls, 3);
	lb_config_free(cfg);
}

/* Everything set, at the edges of the ranges. */
static void
test_full(void)
{
	static const char text[] =
	    "gateway: {\n"
	    "  api = \"rest\";\n"
	    "  listen = \"127.0.0.1:9000\";\n"
	    "  payload_format = \"1.0\";\n"
	    "  stage = \"prod\";\n"
	    "  stage_variables = { env = \"dev\"; url = \"http://x/y?a=b\"; "
	    "empty = \"\"; };\n"
	    "  integration_timeout = 300;\n"
	    "  account_concurrency = 100000;\n"
	    "  max_request_body = 67108864;\n"
	    "  binary_media_types = [ \"application/octet-stream\", "
	    "\"image/*\", \"*/*\" ];\n"
	    "  threads = 1024;\n"
	    "  spare_workers = 16;\n"
	    "  region = \"eu-west-3\";\n"
	    "  account_id = \"000000000042\";\n"
	    "  api_id = \"abc123def4\";\n"
	    "  domain_name = \"api.example.com\";\n"
	    "};\n"
	    "gateway_responses = {\n"
	    "  INTEGRATION_FAILURE = { status = 429; body = "
	    "\"{\\\"message\\\":\\\"Too Many Requests\\\"}\"; };\n"
	    "  DEFAULT_4XX = { headers = { X-Why = \"because\"; }; };\n"
	    "};\n"
	    "functions = (\n"
	    "  { name = \"f-1_x\"; module = \"sub/../mod.so\"; handler = "
	    "\"_h1\";\n"
	    "    timeout = 900; memory = 10240; reserved_concurrency = 10;\n"
	    "    provisioned = 10; idle_timeout = 0.5; max_requests = 7;\n"
	    "    version = \"12\"; environment = { GREETING = \"hi\"; X_ = "
	    "\"\"; }; },\n"
	    "  { name = \"g\"; module = \"MODPATH\"; handler = \"g\"; timeout "
	    "= 0.001; memory = 128; }\n"
	    ");\n"
	    "routes = (\n"
	    "  { route = \"GET /hello\"; function = \"g\"; },\n"
	    "  { route = \"ANY /users/{id}\"; function = \"f-1_x\"; "
	    "payload_format = \"1.0\"; },\n"
	    "  { route = \"$default\"; function = \"g\"; }\n"
	    ");\n";
	struct lb_config *cfg;
	char err[1024], buf[4096], want[PATH_MAX + 64];
	size_t pre;

	/* an absolute module path that is not a regular file */
	pre = (size_t)(strstr(text, "MODPATH") - text);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)pre, text, "/dev/null",
	    text + pre + strlen("MODPATH"));
	cfg = load(buf, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "module '/dev/null' is not a regular file"));

	/* an absolute path that is one: used as it is (symlinks resolved) */
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)pre, text, "/bin/sh",
	    text + pre + strlen("MODPATH"));
	err[0] = '\0';
	cfg = load(buf, fake_probe, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->api, LB_API_REST);
	CU_ASSERT_STRING_EQUAL(cfg->listen, "127.0.0.1:9000");
	CU_ASSERT_EQUAL(cfg->payload_format, 1);
	CU_ASSERT_STRING_EQUAL(cfg->stage, "prod");
	CU_ASSERT_EQUAL_FATAL(cfg->nstage_variables, 3);
	CU_ASSERT_STRING_EQUAL(cfg->stage_variables[0].key, "env");
	CU_ASSERT_STRING_EQUAL(cfg->stage_variables[0].value, "dev");
	CU_ASSERT_STRING_EQUAL(cfg->stage_variables[1].value, "http://x/y?a=b");
	CU_ASSERT_STRING_EQUAL(cfg->stage_variables[2].value, "");
	CU_ASSERT_DOUBLE_EQUAL(cfg->integration_timeout, 300.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->account_concurrency, 100000);
	CU_ASSERT_EQUAL(cfg->max_request_body, 67108864);
	CU_ASSERT_EQUAL_FATAL(cfg->nbinary_media_types, 3);
	CU_ASSERT_STRING_EQUAL(cfg->binary_media_types[1], "image/*");
	CU_ASSERT_EQUAL(cfg->threads, 1024);
	CU_ASSERT_EQUAL(cfg->spare_workers, 16);
	CU_ASSERT_STRING_EQUAL(cfg->region, "eu-west-3");
	CU_ASSERT_STRING_EQUAL(cfg->account_id, "000000000042");
	CU_ASSERT_STRING_EQUAL(cfg->api_id, "abc123def4");
	CU_ASSERT_STRING_EQUAL(cfg->domain_name, "api.example.com");

	CU_ASSERT_EQUAL(cfg->responses[LB_GWERR_INTEGRATION_FAILURE].set, 1);
	CU_ASSERT_EQUAL(
	    cfg->responses[LB_GWERR_INTEGRATION_FAILURE].status, 429);
	CU_ASSERT_STRING_EQUAL(
	    cfg->responses[LB_GWERR_INTEGRATION_FAILURE].body,
	    "{\"message\":\"Too Many Requests\"}");
	CU_ASSERT_EQUAL(cfg->responses[LB_GWERR_DEFAULT_4XX].set, 1);
	CU_ASSERT_EQUAL(cfg->responses[LB_GWERR_DEFAULT_4XX].status, 0);
	CU_ASSERT_PTR_NULL(cfg->responses[LB_GWERR_DEFAULT_4XX].body);
	CU_ASSERT_EQUAL_FATAL(cfg->responses[LB_GWERR_DEFAULT_4XX].nheaders, 1);
	CU_ASSERT_STRING_EQUAL(
	    cfg->responses[LB_GWERR_DEFAULT_4XX].headers[0].key, "X-Why");
	CU_ASSERT_EQUAL(cfg->responses[LB_GWERR_THROTTLED].set, 0);

	CU_ASSERT_EQUAL_FATAL(cfg->nfunctions, 2);
	snprintf(want, sizeof(want), "%s/mod.so", cfg_dir);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].module, want);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].handler, "_h1");
	CU_ASSERT_DOUBLE_EQUAL(cfg->functions[0].timeout, 900.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->functions[0].memory, 10240);
	CU_ASSERT_EQUAL(cfg->functions[0].reserved_concurrency, 10);
	CU_ASSERT_EQUAL(cfg->functions[0].provisioned, 10);
	CU_ASSERT_DOUBLE_EQUAL(cfg->functions[0].idle_timeout, 0.5, 1e-9);
	CU_ASSERT_EQUAL(cfg->functions[0].max_requests, 7);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].version, "12");
	CU_ASSERT_EQUAL_FATAL(cfg->functions[0].nenvironment, 2);
	CU_ASSERT_STRING_EQUAL(
	    cfg->functions[0].environment[0].key, "GREETING");
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].environment[0].value, "hi");
	CU_ASSERT_EQUAL(cfg->functions[0].line, 23);
	CU_ASSERT_PTR_NOT_NULL(realpath("/bin/sh", want));
	CU_ASSERT_STRING_EQUAL(cfg->functions[1].module, want);
	CU_ASSERT_DOUBLE_EQUAL(cfg->functions[1].timeout, 0.001, 1e-9);

	CU_ASSERT_EQUAL_FATAL(cfg->nroutes, 3);
	CU_ASSERT_STRING_EQUAL(cfg->routes[0].key, "GET /hello");
	CU_ASSERT_STRING_EQUAL(cfg->routes[0].method, "GET");
	CU_ASSERT_STRING_EQUAL(cfg->routes[0].path, "/hello");
	CU_ASSERT_EQUAL(cfg->routes[0].function, 1);
	CU_ASSERT_EQUAL(cfg->routes[0].payload_format, 1);
	CU_ASSERT_EQUAL(cfg->routes[0].line, 30);
	CU_ASSERT_EQUAL(cfg->routes[1].function, 0);
	CU_ASSERT_PTR_NULL(cfg->routes[2].method);
	CU_ASSERT_PTR_NULL(cfg->routes[2].path);
	lb_config_free(cfg);
}

/* An empty binary_media_types is fine for an HTTP API. */
static void
test_empty_lists(void)
{
	struct lb_config *cfg;
	char err[1024];

	cfg = load("gateway: { binary_media_types = [ ]; stage_variables = "
	           "{ }; };\nfunctions = ( );\nroutes = ( );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->nbinary_media_types, 0);
	CU_ASSERT_EQUAL(cfg->nstage_variables, 0);
	CU_ASSERT_EQUAL(cfg->nfunctions, 0);
	CU_ASSERT_EQUAL(cfg->nroutes, 0);
	lb_config_free(cfg);
}

static void
test_payload_formats_http(void)
{
	static const char text[] =
	    "gateway: { payload_format = \"1.0\"; };\n" FUNCS "routes = (\n"
	    "  { route = \"GET /a\"; function = \"a\"; },\n"
	    "  { route = \"GET /b\"; function = \"b\"; payload_format = "
	    "\"2.0\"; }\n"
	    ");\n";
	struct lb_config *cfg;
	char err[1024];

	cfg = load(text, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->api, LB_API_HTTP);
	CU_ASSERT_EQUAL(cfg->payload_format, 1);
	CU_ASSERT_DOUBLE_EQUAL(cfg->integration_timeout, 30.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->routes[0].payload_format, 1);
	CU_ASSERT_EQUAL(cfg->routes[1].payload_format, 2);
	lb_config_free(cfg);
}

/* ---- rejections ---- */

static void
test_reject_syntax(void)
{
	struct lb_config *cfg;
	char err[1024];

	expect_error("gateway: {\n  api = \"http\"\n  x = ;\n};\n", 3, NULL,
	    "syntax error");
	expect_error(
	    "gateway: {\n  api = \"http\";\n", 3, NULL, "syntax error");
	expect_error("functions = (\n{ name = \"a\"; name = \"b\"; }\n);\n", 2,
	    NULL, "duplicate setting name");
	expect_error("gateway = { timeout = 3s; };\n", 1, NULL, "syntax error");
	/* unterminated string: libconfig reports the end of the file */
	expect_error(
	    "\n\ngateway = { api = \"http; };\n", 4, NULL, "syntax error");

	/* a file that is not there, and a directory */
	err[0] = '\0';
	cfg = lb_config_load("/nonexistent/lb.conf", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "cannot read '/nonexistent/lb.conf': "));
	err[0] = '\0';
	cfg = lb_config_load("/tmp", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read '/tmp': "));
}

static void
test_reject_root(void)
{
	expect_error("# c\nfoo = 1;\n", 2, "foo", "unknown setting");
	expect_error("function = ();\n", 1, "function", "unknown setting");
	expect_error("gateway = 5;\n", 1, "gateway",
	    "expected a group { ... }, not an integer");
	expect_error("functions = { };\n", 1, "functions",
	    "expected a list ( ... ), not a group { ... }");
	expect_error("routes = [ \"GET /\" ];\n", 1, "routes",
	    "expected a list ( ... ), not an array [ ... ]");
	expect_error("gateway_responses = ( );\n", 1, "gateway_responses",
	    "expected a group { ... }, not a list ( ... )");
}

static void
test_reject_gateway(void)
{
	gateway_error("x = 1;", "gateway.x", "unknown setting");
	gateway_error("API = \"http\";", "gateway.API", "unknown setting");
	gateway_error("api = \"soap\";", "gateway.api",
	    "'soap': expected \"http\" or \"rest\"");
	gateway_error(
	    "api = 1;", "gateway.api", "expected a string, not an integer");
	gateway_error(
	    "api = true;", "gateway.api", "expected a string, not a boolean");
	gateway_error("listen = \"nohost\";", "gateway.listen",
	    "expected \"unix:/path\"");
	gateway_error(
	    "listen = \":80\";", "gateway.listen", "expected \"unix:/path\"");
	gateway_error("listen = \"127.0.0.1:0\";", "gateway.listen",
	    "the port must be a number from 1 to 65535");
	gateway_error("listen = \"127.0.0.1:65536\";", "gateway.listen",
	    "the port must be a number from 1 to 65535");
	gateway_error("listen = \"127.0.0.1:http\";", "gateway.listen",
	    "the port must be");
	gateway_error(
	    "listen = \"unix:\";", "gateway.listen", "needs a socket path");
	gateway_error(
	    "listen = \"unix:/tmp/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";",
	    "gateway.listen", "longer than 107 bytes");
	gateway_error("listen = 9000;", "gateway.listen",
	    "expected a string, not an integer");
	gateway_error("payload_format = \"3.0\";", "gateway.payload_format",
	    "'3.0': expected \"1.0\" or \"2.0\"");
	gateway_error("payload_format = 2.0;", "gateway.payload_format",
	    "expected a string, not a number");
	gateway_error("stage = \"a b\";", "gateway.stage",
	    "'a b': must be \"$default\" or 1 to 128 characters");
	gateway_error("stage = \"\";", "gateway.stage", "must be \"$default\"");
	gateway_error("stage_variables = { a-b = \"x\"; };",
	    "gateway.stage_variables.a-b",
	    "stage variable names are 1 to 64 characters");
	gateway_error("stage_variables = { v = 1; };",
	    "gateway.stage_variables.v", "expected a string, not an integer");
	gateway_error("stage_variables = { v = \"a b\"; };",
	    "gateway.stage_variables.v", "stage variable values are");
	gateway_error("stage_variables = \"x\";", "gateway.stage_variables",
	    "expected a group { ... }, not a string");
	gateway_error("integration_timeout = 0;", "gateway.integration_timeout",
	    "0 is out of range: must be at least 0.05 and at most 300");
	gateway_error("integration_timeout = 0.01;",
	    "gateway.integration_timeout", "0.01 is out of range");
	gateway_error("integration_timeout = -1.0;",
	    "gateway.integration_timeout", "-1 is out of range");
	gateway_error("integration_timeout = 30.5;",
	    "gateway.integration_timeout",
	    "30.5 is out of range: must be from 0.05 to 30 for an HTTP API");
	gateway_error("integration_timeout = \"30\";",
	    "gateway.integration_timeout", "expected a number, not a string");
	rest_gateway_error("integration_timeout = 301;",
	    "gateway.integration_timeout", "301 is out of range");
	rest_gateway_error("payload_format = \"2.0\";",
	    "gateway.payload_format",
	    "REST APIs support only payload format \"1.0\"");
	gateway_error("account_concurrency = 0;", "gateway.account_concurrency",
	    "0 is out of range: must be from 1 to 100000");
	gateway_error("account_concurrency = 100001;",
	    "gateway.account_concurrency", "100001 is out of range");
	gateway_error("account_concurrency = 10.0;",
	    "gateway.account_concurrency", "expected an integer, not a number");
	/* libconfig 1.5 wraps an integer literal over 2^31 without 'L' */
	gateway_error("account_concurrency = 10000000000L;",
	    "gateway.account_concurrency", "10000000000 is out of range");
	gateway_error("max_request_body = 0;", "gateway.max_request_body",
	    "0 is out of range: must be from 1 to 67108864");
	gateway_error("max_request_body = 67108865;",
	    "gateway.max_request_body", "67108865 is out of range");
	gateway_error("binary_media_types = [ \"image/png\" ];",
	    "gateway.binary_media_types", "only REST APIs have binary media");
	rest_gateway_error("binary_media_types = [ \"image\" ];",
	    "gateway.binary_media_types[0]", "'image': expected a media type");
	rest_gateway_error("binary_media_types = [ \"a/b\", \"a/b/c\" ];",
	    "gateway.binary_media_types[1]", "expected a media type");
	rest_gateway_error("binary_media_types = \"image/png\";",
	    "gateway.binary_media_types", "expected an array [ ... ]");
	rest_gateway_error("binary_media_types = [ 1 ];",
	    "gateway.binary_media_types[0]", "expected a string");
	gateway_error(
	    "threads = 0;", "gateway.threads", "must be from 1 to 1024");
	gateway_error(
	    "threads = 1025;", "gateway.threads", "must be from 1 to 1024");
	gateway_error("spare_workers = -1;", "gateway.spare_workers",
	    "must be from 0 to 16");
	gateway_error("spare_workers = 17;", "gateway.spare_workers",
	    "must be from 0 to 16");
	gateway_error("region = \"us east\";", "gateway.region",
	    "expected a region name");
	gateway_error("account_id = \"1234\";", "gateway.account_id",
	    "expected 12 digits");
	gateway_error("account_id = \"12345678901x\";", "gateway.account_id",
	    "expected 12 digits");
	gateway_error("api_id = \"ABCDEFGHIJ\";", "gateway.api_id",
	    "expected 10 characters from a-z 0-9");
	gateway_error(
	    "api_id = \"abc\";", "gateway.api_id", "expected 10 characters");
	gateway_error("domain_name = \"a b\";", "gateway.domain_name",
	    "expected a host name");
}

static void
test_reject_responses(void)
{
	response_error("NOT_A_TYPE = { status = 500; };",
	    "gateway_responses.NOT_A_TYPE", "unknown gateway response type");
	/* internal kinds are not gateway response types */
	response_error("FUNCTION_ERROR = { status = 500; };",
	    "gateway_responses.FUNCTION_ERROR",
	    "unknown gateway response type");
	response_error("NONE = { status = 500; };", "gateway_responses.NONE",
	    "unknown gateway response type");
	response_error("THROTTLED = { status = 99; };",
	    "gateway_responses.THROTTLED.status",
	    "99 is out of range: must be from 200 to 599");
	/* a 1xx is no final response (the client would read the body as a
	 * second one) */
	response_error("DEFAULT_5XX = { status = 100; };",
	    "gateway_responses.DEFAULT_5XX.status",
	    "100 is out of range: must be from 200 to 599");
	response_error("THROTTLED = { status = 199; };",
	    "gateway_responses.THROTTLED.status", "199 is out of range");
	response_error("THROTTLED = { status = 600; };",
	    "gateway_responses.THROTTLED.status", "600 is out of range");
	response_error("THROTTLED = { status = \"429\"; };",
	    "gateway_responses.THROTTLED.status",
	    "expected an integer, not a string");
	response_error("THROTTLED = { code = 429; };",
	    "gateway_responses.THROTTLED.code", "unknown setting");
	response_error("THROTTLED = { body = 1; };",
	    "gateway_responses.THROTTLED.body", "expected a string");
	response_error("THROTTLED = { headers = { X = \"a\\nb\"; }; };",
	    "gateway_responses.THROTTLED.headers.X",
	    "header values may not contain control characters");
	response_error("THROTTLED = { headers = { X = \"a\\x7fb\"; }; };",
	    "gateway_responses.THROTTLED.headers.X",
	    "header values may not contain control characters");
	response_error("THROTTLED = 429;", "gateway_responses.THROTTLED",
	    "expected a group { ... }, not an integer");
}

static void
test_reject_functions(void)
{
	function_error("x = 1;", "functions[0].x", "unknown setting");
	function_error("timeout = 0;", "functions[0].timeout",
	    "0 is out of range: must be greater than 0 and at most 900");
	function_error("timeout = 900.5;", "functions[0].timeout",
	    "900.5 is out of range");
	function_error(
	    "timeout = 901;", "functions[0].timeout", "901 is out of range");
	function_error("timeout = \"3\";", "functions[0].timeout",
	    "expected a number, not a string");
	function_error("memory = 127;", "functions[0].memory",
	    "127 is out of range: must be from 128 to 10240");
	function_error("memory = 10241;", "functions[0].memory",
	    "10241 is out of range: must be from 128 to 10240");
	function_error("memory = 256.0;", "functions[0].memory",
	    "expected an integer, not a number");
	function_error("reserved_concurrency = -1;",
	    "functions[0].reserved_concurrency",
	    "-1 is out of range: must be from 0 to 100000");
	function_error("provisioned = -1;", "functions[0].provisioned",
	    "-1 is out of range");
	function_error("idle_timeout = 0;", "functions[0].idle_timeout",
	    "0 is out of range: must be greater than 0");
	function_error("idle_timeout = 86401;", "functions[0].idle_timeout",
	    "86401 is out of range");
	function_error("max_requests = -1;", "functions[0].max_requests",
	    "-1 is out of range");
	function_error("version = \"0\";", "functions[0].version",
	    "'0': expected \"$LATEST\" or a version number");
	function_error("version = \"v1\";", "functions[0].version",
	    "expected \"$LATEST\" or a version number");
	function_error("version = 1;", "functions[0].version",
	    "expected a string, not an integer");
	function_error("environment = { AWS_REGION = \"x\"; };",
	    "functions[0].environment.AWS_REGION",
	    "reserved: Lambda sets this variable itself");
	function_error("environment = { AWS_LAMBDA_FUNCTION_NAME = \"x\"; };",
	    "functions[0].environment.AWS_LAMBDA_FUNCTION_NAME", "reserved");
	function_error("environment = { A-B = \"x\"; };",
	    "functions[0].environment.A-B",
	    "environment variable names are letters, digits and _");
	function_error("environment = { A = 1; };",
	    "functions[0].environment.A", "expected a string, not an integer");
	function_error("environment = [ \"A=1\" ];", "functions[0].environment",
	    "expected a group { ... }, not an array [ ... ]");
	{
		/* Lambda's 4 KB of environment variables */
		char body[6000];
		size_t n =
		    (size_t)snprintf(body, sizeof(body), "environment = { ");

		for (int i = 0; i < 50; i++)
			n += (size_t)snprintf(body + n, sizeof(body) - n,
			    "V%02d = \"%080d\"; ", i, i);
		snprintf(body + n, sizeof(body) - n, "};");
		function_error(body, "functions[0].environment",
		    "4150 bytes of variables: Lambda allows at most 4096");
	}

	/* the required settings and the checks of name and handler */
	expect_error("functions = (\n"
	             "  { module = \"mod.so\"; handler = \"h\"; }\n"
	             ");\n",
	    2, "functions[0].name", "missing (required)");
	expect_error("functions = (\n"
	             "  { name = \"a\"; handler = \"h\"; }\n"
	             ");\n",
	    2, "functions[0].module", "missing (required)");
	expect_error("functions = (\n"
	             "  { name = \"a\"; module = \"mod.so\"; }\n"
	             ");\n",
	    2, "functions[0].handler", "missing (required)");
	expect_error(
	    FUNCS "functions2 = 1;\n", 2, "functions2", "unknown setting");
	expect_error("functions = (\n"
	             "  { name = \"a b\"; module = \"mod.so\"; handler = "
	             "\"h\"; }\n"
	             ");\n",
	    2, "functions[0].name", "function names are 1 to 64 characters");
	expect_error("functions = (\n"
	             "  { name = \"\"; module = \"mod.so\"; handler = \"h\"; "
	             "}\n"
	             ");\n",
	    2, "functions[0].name", "function names are");
	expect_error("functions = (\n"
	             "  { name = \"a\"; module = \"mod.so\"; handler = "
	             "\"1h\"; }\n"
	             ");\n",
	    2, "functions[0].handler", "'1h': expected a C symbol name");
	expect_error("functions = (\n"
	             "  { name = \"a\"; module = \"\"; handler = \"h\"; }\n"
	             ");\n",
	    2, "functions[0].module", "must not be empty");
	expect_error("functions = ( \"a\" );\n", 1, "functions[0]",
	    "expected a group { ... }, not a string");

	/* duplicate names */
	expect_error("functions = (\n"
	             "  { name = \"a\"; module = \"mod.so\"; handler = \"h\"; "
	             "},\n"
	             "  { name = \"b\"; module = \"mod.so\"; handler = \"h\"; "
	             "},\n"
	             "  { name = \"a\"; module = \"other.so\"; handler = "
	             "\"h\"; }\n"
	             ");\n",
	    4, "functions[2].name",
	    "duplicate function 'a' (first defined at line 2)");
}

static void
test_reject_modules(void)
{
	char why[PATH_MAX + 64];

	expect_error("functions = (\n"
	             "  { name = \"a\"; handler = \"h\";\n"
	             "    module = \"nope.so\"; }\n"
	             ");\n",
	    3, "functions[0].module", "cannot find module '");
	/* relative to the config's directory, not the working directory */
	expect_error("functions = (\n"
	             "  { name = \"a\"; handler = \"h\";\n"
	             "    module = \"nope.so\"; }\n"
	             ");\n",
	    3, "functions[0].module", "/nope.so': No such file or directory");
	snprintf(why, sizeof(why), "cannot find module '%s/nope.so'", cfg_dir);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_err, why));
	expect_error("functions = (\n"
	             "  { name = \"a\"; handler = \"h\";\n"
	             "    module = \"sub/../../nope.so\"; }\n"
	             ");\n",
	    3, "functions[0].module", "/sub/../../nope.so': No such");
	expect_error("functions = (\n"
	             "  { name = \"a\"; handler = \"h\";\n"
	             "    module = \"/nonexistent/x.so\"; }\n"
	             ");\n",
	    3, "functions[0].module",
	    "cannot find module '/nonexistent/x.so': No such file");
	expect_error("functions = (\n"
	             "  { name = \"a\"; handler = \"h\";\n"
	             "    module = \"sub\"; }\n"
	             ");\n",
	    3, "functions[0].module", "is not a regular file");

	/* the probe: a missing symbol, an unloadable module */
	expect_error_probe(FUNCS "functions2 = 1;\n", fake_probe, 2,
	    "functions2", "unknown setting");
	expect_error_probe("functions = (\n"
	                   "  { name = \"a\"; module = \"mod.so\"; handler = "
	                   "\"h\"; },\n"
	                   "  { name = \"b\"; module = \"mod.so\";\n"
	                   "    handler = \"missing_symbol\"; }\n"
	                   ");\n",
	    fake_probe, 4, "functions[1].handler",
	    "cannot use 'missing_symbol' from module '");
	expect_error_probe("functions = (\n"
	                   "  { name = \"b\"; module = \"mod.so\";\n"
	                   "    handler = \"missing_symbol\"; }\n"
	                   ");\n",
	    fake_probe, 3, "functions[0].handler",
	    "/mod.so': undefined symbol: missing_symbol");
	expect_error_probe("functions = (\n"
	                   "  { name = \"b\"; module = \"bad.so\";\n"
	                   "    handler = \"h\"; }\n"
	                   ");\n",
	    fake_probe, 3, "functions[0].handler", "invalid ELF header");
	expect_error_probe("functions = (\n"
	                   "  { name = \"b\"; module = \"mod.so\";\n"
	                   "    handler = \"h\"; }\n"
	                   ");\n",
	    mute_probe, 3, "functions[0].handler", "probe failed");
	/* the probe comes last: a bad route is reported first */
	probe_calls = 0;
	expect_error_probe(FUNCS "routes = (\n"
	                         "  { route = \"GET /x\"; function = \"c\"; }\n"
	                         ");\n",
	    fake_probe, 3, "routes[0].function", "no function named 'c'");
	CU_ASSERT_EQUAL(probe_calls, 0);
}

static void
test_reject_concurrency(void)
{
	expect_error(
	    "gateway: { account_concurrency = 10; };\n"
	    "functions = (\n"
	    "  { name = \"a\"; module = \"mod.so\"; handler = \"h\"; "
	    "reserved_concurrency = 5; },\n"
	    "  { name = \"b\"; module = \"mod.so\"; handler = \"h\";\n"
	    "    reserved_concurrency = 5; },\n"
	    "  { name = \"c\"; module = \"mod.so\"; handler = \"h\"; }\n"
	    ");\n",
	    5, "functions[1].reserved_concurrency",
	    "10 reserved in total, over the 9 the account can reserve");
	expect_error("functions = (\n"
	             "  { name = \"a\"; module = \"mod.so\"; handler = \"h\";\n"
	             "    reserved_concurrency = 2;\n"
	             "    provisioned = 3; }\n"
	             ");\n",
	    4, "functions[0].provisioned",
	    "3 is more than the function's reserved_concurrency (2)");
	expect_error("gateway: { account_concurrency = 10; };\n"
	             "functions = (\n"
	             "  { name = \"a\"; module = \"mod.so\"; handler = \"h\"; "
	             "reserved_concurrency = 4; },\n"
	             "  { name = \"b\"; module = \"mod.so\"; handler = \"h\";\n"
	             "    provisioned = 7; }\n"
	             ");\n",
	    5, "functions[1].provisioned",
	    "7 provisioned in total for unreserved functions, over the 6");
	{
		/* all reserved, exactly the account: fine */
		struct lb_config *cfg;
		char err[1024];

		cfg = load("gateway: { account_concurrency = 10; };\n"
		           "functions = (\n"
		           "  { name = \"a\"; module = \"mod.so\"; handler = "
		           "\"h\"; reserved_concurrency = 4; provisioned = 4; "
		           "},\n"
		           "  { name = \"b\"; module = \"mod.so\"; handler = "
		           "\"h\"; reserved_concurrency = 6; }\n"
		           ");\n",
		    NULL, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(cfg);
		lb_config_free(cfg);
	}
}

static void
test_throttling(void)
{
	struct lb_config *cfg;
	char err[1024];

	cfg = load("gateway: { throttling_rate_limit = 2.5; "
	           "throttling_burst_limit = 5;\n"
	           "  account_throttling_rate_limit = 100; "
	           "account_throttling_burst_limit = 0; };\n" FUNCS
	           "routes = ( { route = \"GET /x\"; function = \"a\"; },\n"
	           "  { route = \"GET /y\"; function = \"a\";\n"
	           "    throttling_rate_limit = 0; throttling_burst_limit = "
	           "1; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_DOUBLE_EQUAL(cfg->throttle.rate, 2.5, 1e-9);
	CU_ASSERT_EQUAL(cfg->throttle.burst, 5);
	CU_ASSERT_DOUBLE_EQUAL(cfg->account_throttle.rate, 100, 1e-9);
	CU_ASSERT_EQUAL(cfg->account_throttle.burst, 0);
	CU_ASSERT_EQUAL_FATAL(cfg->nroutes, 2);
	/* the gateway's default, and a route's own */
	CU_ASSERT_DOUBLE_EQUAL(cfg->routes[0].throttle.rate, 2.5, 1e-9);
	CU_ASSERT_EQUAL(cfg->routes[0].throttle.burst, 5);
	CU_ASSERT_DOUBLE_EQUAL(cfg->routes[1].throttle.rate, 0, 1e-9);
	CU_ASSERT_EQUAL(cfg->routes[1].throttle.burst, 1);
	lb_config_free(cfg);
	/* without a gateway default, routes without their own are free */
	cfg = load(FUNCS "routes = ( { route = \"GET /x\"; function = "
	                 "\"a\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT(cfg->routes[0].throttle.rate < 0);
	lb_config_free(cfg);

	gateway_error("throttling_rate_limit = 10.0;",
	    "gateway.throttling_burst_limit",
	    "missing: throttling_rate_limit and throttling_burst_limit are set "
	    "together");
	gateway_error("account_throttling_burst_limit = 10;",
	    "gateway.account_throttling_rate_limit", "are set together");
	gateway_error("throttling_rate_limit = -1.0; throttling_burst_limit "
	              "= 1;",
	    "gateway.throttling_rate_limit", "out of range");
	gateway_error("throttling_rate_limit = 1.0; throttling_burst_limit "
	              "= -1;",
	    "gateway.throttling_burst_limit", "out of range");
	gateway_error("throttling_rate_limit = \"fast\"; "
	              "throttling_burst_limit = 1;",
	    "gateway.throttling_rate_limit", "expected a number");
	route_error("{ route = \"GET /x\"; function = \"a\"; "
	            "throttling_burst_limit = 3; }",
	    "routes[0].throttling_rate_limit", "are set together");
	route_error(
	    "{ route = \"GET /x\"; function = \"a\"; "
	    "throttling_rate_limit = 3; throttling_burst_limit = 1.5; }",
	    "routes[0].throttling_burst_limit", "expected an integer");
}

static void
test_api_keys(void)
{
	struct lb_config *cfg;
	char err[1024], text[2048];
	static const char keys[] =
	    "api_keys = (\n"
	    "  { name = \"partner\"; value = \"0123456789abcdefghij\"; },\n"
	    "  { name = \"old one\"; value = \"ABCDEFGHIJ0123456789-_\"; "
	    "id = \"k3y1d00001\"; enabled = false;\n"
	    "    throttling_rate_limit = 5.0; throttling_burst_limit = 10;\n"
	    "    quota_limit = 1000; quota_period = \"WEEK\"; }\n"
	    ");\n";

	snprintf(text, sizeof(text),
	    "gateway: { api = \"rest\"; };\n" FUNCS "%s"
	    "routes = ( { route = \"GET /x\"; function = \"a\"; "
	    "api_key_required = true; },\n"
	    "  { route = \"GET /y\"; function = \"a\"; } );\n",
	    keys);
	cfg = load(text, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(cfg->napi_keys, 2);
	CU_ASSERT_STRING_EQUAL(cfg->api_keys[0].name, "partner");
	CU_ASSERT_STRING_EQUAL(cfg->api_keys[0].value, "0123456789abcdefghij");
	CU_ASSERT(cfg->api_keys[0].enabled);
	/* an id derived from the name: 10 lowercase alphanumerics */
	CU_ASSERT_EQUAL(strlen(cfg->api_keys[0].id), 10);
	CU_ASSERT_EQUAL(
	    strspn(cfg->api_keys[0].id, "abcdefghijklmnopqrstuvwxyz0123456789"),
	    10);
	CU_ASSERT_STRING_EQUAL(cfg->api_keys[1].id, "k3y1d00001");
	CU_ASSERT(!cfg->api_keys[1].enabled);
	/* usage plan limits: none by default */
	CU_ASSERT(cfg->api_keys[0].throttle.rate < 0);
	CU_ASSERT_EQUAL(cfg->api_keys[0].quota_limit, -1);
	CU_ASSERT_DOUBLE_EQUAL(cfg->api_keys[1].throttle.rate, 5.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->api_keys[1].throttle.burst, 10);
	CU_ASSERT_EQUAL(cfg->api_keys[1].quota_limit, 1000);
	CU_ASSERT_EQUAL(cfg->api_keys[1].quota_period, LB_QUOTA_WEEK);
	CU_ASSERT_EQUAL(cfg->api_keys[1].line, 5);
	CU_ASSERT(cfg->routes[0].api_key_required);
	CU_ASSERT(!cfg->routes[1].api_key_required);
	lb_config_free(cfg);

	/* HTTP APIs have no API keys */
	expect_error("api_keys = (\n{ name = \"k\"; value = "
	             "\"0123456789abcdefghij\"; } );\n",
	    1, "api_keys", "only REST APIs have API keys");
	route_error("{ route = \"GET /x\"; function = \"a\"; "
	            "api_key_required = true; }",
	    "routes[0].api_key_required", "only REST APIs have API keys");
	/* the keys themselves */
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"k\"; value = \"short\"; } );\n",
	    3, "api_keys[0].value", "expected 20 to 128 characters");
	expect_error(
	    "gateway: { api = \"rest\"; };\napi_keys = (\n"
	    "{ name = \"k\"; value = \"0123456789 abcdefghij\"; } );\n",
	    3, "api_keys[0].value", "printable ASCII without spaces");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ value = \"0123456789abcdefghij\"; } );\n",
	    3, "api_keys[0].name", "missing (required)");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"k\"; value = \"0123456789abcdefghij\"; "
	             "enabled = 1; } );\n",
	    3, "api_keys[0].enabled", "expected a boolean");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghij\"; },\n"
	             "{ name = \"b\"; value = \"0123456789abcdefghij\"; } );\n",
	    4, "api_keys[1].value", "the same as api_keys[0]'s (line 3)");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghij\"; },\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghik\"; } );\n",
	    4, "api_keys[1].name", "the same as api_keys[0]'s");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghij\"; "
	             "id = \"UPPER12345\"; } );\n",
	    3, "api_keys[0].id", "expected 10 characters");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghij\"; "
	             "quota_limit = 10; } );\n",
	    3, "api_keys[0].quota_period",
	    "missing: quota_limit and quota_period are set together");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghij\"; "
	             "quota_limit = 10; quota_period = \"HOUR\"; } );\n",
	    3, "api_keys[0].quota_period",
	    "expected \"DAY\", \"WEEK\" or \"MONTH\"");
	expect_error("gateway: { api = \"rest\"; };\napi_keys = (\n"
	             "{ name = \"a\"; value = \"0123456789abcdefghij\"; "
	             "throttling_burst_limit = 10; } );\n",
	    3, "api_keys[0].throttling_rate_limit", "are set together");
	/* the quota counts' directory (docs/operations.md section 5) */
	expect_error(
	    "gateway: {\n api = \"rest\";\n state_dir = \"state\";\n};\n", 3,
	    "gateway.state_dir", "must be an absolute path");
	cfg = load("gateway: { state_dir = \"/var/lib/lambdabridge\"; };\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->state_dir, "/var/lib/lambdabridge");
	lb_config_free(cfg);
	cfg = load("gateway: { api = \"rest\"; };\n", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NULL(cfg->state_dir); /* in memory */
	lb_config_free(cfg);
}

static void
test_reject_routes(void)
{
	route_error("{ route = \"GET /x\"; function = \"c\"; }",
	    "routes[0].function", "no function named 'c'");
	route_error("{ route = \"GET /x\"; }", "routes[0].function",
	    "missing (required)");
	route_error(
	    "{ function = \"a\"; }", "routes[0].route", "missing (required)");
	route_error("{ route = \"GET /x\"; function = \"a\"; fn = 1; }",
	    "routes[0].fn", "unknown setting");
	route_error("{ route = \"GET /x\"; function = 1; }",
	    "routes[0].function", "expected a string, not an integer");
	route_error("{ route = \"GET /x\"; function = \"a\"; payload_format = "
	            "\"3\"; }",
	    "routes[0].payload_format", "'3': expected \"1.0\" or \"2.0\"");
	route_error("{ route = \"GETX /x\"; function = \"a\"; }",
	    "routes[0].route",
	    "invalid route 'GETX /x': unknown method 'GETX'");
	route_error("{ route = \"/x\"; function = \"a\"; }", "routes[0].route",
	    "invalid route '/x': expected \"METHOD /path\" or \"$default\"");
	route_error("{ route = \"GET /a/{proxy+}/b\"; function = \"a\"; }",
	    "routes[0].route", "must be the last segment");
	route_error("{ route = \"GET /{a}/{a}\"; function = \"a\"; }",
	    "routes[0].route", "duplicate variable 'a'");
	route_error("{ route = \"GET x\"; function = \"a\"; }",
	    "routes[0].route", "the path must start with '/'");
	route_error("{ route = \"\"; function = \"a\"; }", "routes[0].route",
	    "must not be empty");
	/* libconfig dates the last scalar of a list by the token after it,
	 * so the ')' stays on the same line here */
	expect_error(FUNCS "routes = (\n"
	                   "  \"GET /x\" );\n",
	    3, "routes[0]", "expected a group { ... }, not a string");
	/* the second of two routes with the same method and template */
	expect_error(FUNCS
	    "routes = (\n"
	    "  { route = \"GET /u/{id}\"; function = \"a\"; },\n"
	    "  { route = \"GET /u/{name}\"; function = \"b\"; }\n"
	    ");\n",
	    4, "routes[1].route",
	    "route 'GET /u/{name}' has the same method and path template as "
	    "'GET /u/{id}' (line 3)");
	expect_error(FUNCS "routes = (\n"
	                   "  { route = \"$default\"; function = \"a\"; },\n"
	                   "  { route = \"GET /\"; function = \"a\"; },\n"
	                   "  { route = \"$default\"; function = \"b\"; }\n"
	                   ");\n",
	    5, "routes[2].route", "same method and path template");
	/* REST: payload 1.0 only */
	expect_error("gateway: { api = \"rest\"; };\n" FUNCS "routes = (\n"
	             "  { route = \"GET /x\"; function = \"a\";\n"
	             "    payload_format = \"2.0\"; }\n"
	             ");\n",
	    5, "routes[0].payload_format",
	    "REST APIs support only payload format \"1.0\"");
}

static void
test_dump(void)
{
	static const char text[] =
	    "gateway: { listen = \"unix:/tmp/x.sock\"; stage = \"dev\"; };\n"
	    "functions = (\n"
	    "  { name = \"hello\"; module = \"mod.so\"; handler = "
	    "\"hello_handler\"; reserved_concurrency = 3; provisioned = 1; },\n"
	    "  { name = \"b\"; module = \"other.so\"; handler = \"h2\"; "
	    "timeout = 10; memory = 512; }\n"
	    ");\n"
	    "routes = (\n"
	    "  { route = \"GET /hello\"; function = \"hello\"; },\n"
	    "  { route = \"ANY /b/{proxy+}\"; function = \"b\"; payload_format "
	    "= \"1.0\"; throttling_rate_limit = 0.5; throttling_burst_limit = "
	    "2; }\n"
	    ");\n";
	struct lb_config *cfg;
	char err[1024], *out = NULL, want[PATH_MAX + 64];
	size_t len = 0;
	FILE *f;

	cfg = load(text, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	lb_dump_config(cfg, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "api:    http (payload 2.0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "listen: unix:/tmp/x.sock\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "stage:  dev\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "integration timeout 30s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ROUTE"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "GET /hello"));
	snprintf(want, sizeof(want), "%s/mod.so:hello_handler", cfg_dir);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "reserved 3, provisioned 1"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(out, "throttling: no stage default; no account limit\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(out, "unreserved; throttled 0.5/s, burst 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "512 MB"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "10s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "unreserved"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ANY /b/{proxy+}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1.0"));
	free(out);
	lb_config_free(cfg);

	/* no routes */
	cfg = load("", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	out = NULL;
	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	lb_dump_config(cfg, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "(inherited socket)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "(none"));
	free(out);
	lb_config_free(cfg);
}

/* @include is relative to the config's directory; errors name its file. */
static void
test_include(void)
{
	struct lb_config *cfg;
	char err[1024], want[PATH_MAX + 64];

	extra_name = "inc.conf";
	extra_text = "functions = (\n"
	             "  { name = \"a\"; module = \"mod.so\"; handler = "
	             "\"h\"; }\n"
	             ");\n";
	cfg = load("@include \"inc.conf\"\n"
	           "routes = ( { route = \"GET /\"; function = \"a\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(cfg);
	if (cfg != NULL)
		CU_ASSERT_EQUAL(cfg->nfunctions, 1);
	lb_config_free(cfg);

	extra_text = "gateway: {\n"
	             "  memory = 128;\n"
	             "};\n";
	err[0] = '\0';
	cfg = load(
	    "# first line\n@include \"inc.conf\"\n", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	snprintf(want, sizeof(want),
	    "%s/inc.conf:2: gateway.memory: unknown "
	    "setting",
	    cfg_dir);
	if (strcmp(err, want) != 0)
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", err, want);
	CU_ASSERT_STRING_EQUAL(err, want);
	extra_name = NULL;
	extra_text = NULL;
}

/* A short error buffer is cut, never overrun. */
static void
test_short_err(void)
{
	char err[16];
	struct lb_config *cfg;

	memset(err, 'x', sizeof(err));
	cfg = load("foo = 1;\n", NULL, err, 12);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT(memchr(err, '\0', 12) != NULL);
	CU_ASSERT_EQUAL(err[12], 'x');
}

/* A quoted value cannot split its message: a libconfig string may hold a
 * newline (found by tests/fuzz/fuzz_config.c). */
static void
test_one_line_errors(void)
{
	struct lb_config *cfg;
	char err[1024];

	cfg = load("functions = ( { name = \"a\"; module = \"mod.so\";\n"
	           "  handler = \"x\\ny\tz\n\x7f\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NULL(strpbrk(err, "\n\t\x7f"));
	if (strstr(err, "'x\\ny\\tz\\n\\x7f': expected a C symbol") == NULL)
		fprintf(stderr, "\n  got: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "'x\\ny\\tz\\n\\x7f': expected a C symbol"));
}

/* gateway.user/group, functions' user/group/seccomp (docs/security.md). */
static void
test_users(void)
{
	struct lb_config *cfg;
	char err[1024];

	gateway_error("user = \"lb-no-such-user\";", "gateway.user",
	    "unknown user 'lb-no-such-user'");
	gateway_error(
	    "group = \"nogroup\";", "gateway.group", "a group needs a user");
	gateway_error("user = \"nobody\"; group = \"lb-no-such-group\";",
	    "gateway.group", "unknown group 'lb-no-such-group'");
	function_error("user = \"lb-no-such-user\";", "functions[0].user",
	    "unknown user 'lb-no-such-user'");
	function_error("seccomp = \"strict\";", "functions[0].seccomp",
	    "must be \"default\" or \"none\"");

	/* functions default to gateway.user; root only when named */
	cfg = load("gateway: { user = \"nobody\"; group = \"nogroup\"; };\n"
	           "functions = ( { name = \"a\"; module = \"mod.so\"; "
	           "handler = \"h\"; },\n"
	           "  { name = \"b\"; module = \"other.so\"; handler = "
	           "\"h\"; user = \"root\"; seccomp = \"default\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->functions[0].user, "nobody");
	CU_ASSERT_EQUAL(cfg->functions[0].uid, cfg->uid);
	CU_ASSERT_EQUAL(cfg->functions[0].gid, cfg->gid);
	CU_ASSERT_NOT_EQUAL(cfg->uid, 0);
	CU_ASSERT_PTR_NULL(cfg->functions[0].seccomp);
	CU_ASSERT_EQUAL(cfg->functions[1].uid, 0);
	CU_ASSERT_STRING_EQUAL(cfg->functions[1].seccomp, "default");
	CU_ASSERT_EQUAL(lb_config_check_users(cfg, 1, err, sizeof(err)), 0);
	lb_config_free(cfg);

	/* a bridge that may switch users needs one for every function */
	cfg = load("functions = ( { name = \"a\"; module = \"mod.so\"; "
	           "handler = \"h\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_PTR_NULL(cfg->functions[0].user);
	CU_ASSERT_EQUAL(lb_config_check_users(cfg, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(lb_config_check_users(cfg, 1, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(strncmp(err, cfg_path, strlen(cfg_path)), 0);
	CU_ASSERT_EQUAL(
	    strncmp(err + strlen(cfg_path), ":1: functions[0]: ", 18), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "user = \"root\""));
	lb_config_free(cfg);
}

/* gateway's socket and FastCGI connection settings: defaults, values,
 * ranges */
/* One provided function whose settings are `body` (line 2). */
static void
provided_error(const char *body, const char *setting, const char *reason)
{
	char text[8192];

	snprintf(text, sizeof(text),
	    "functions = (\n"
	    "  { name = \"p\"; handler = \"index.handler\"; %s }\n"
	    ");\n",
	    body);
	expect_error(text, 2, setting, reason);
}

static void
test_provided(void)
{
	struct lb_config *cfg;
	const struct lb_function *f;
	char err[1024], want[PATH_MAX + 32];
	int calls = probe_calls;

	/* bootstrap defaults to CODE_DIR/bootstrap; never probed */
	cfg = load("functions = ( { name = \"p\"; runtime = \"provided\";\n"
	           "  handler = \"index.handler\"; code_dir = \"sub\";\n"
	           "  memory = 256; } );\n",
	    fake_probe, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	f = &cfg->functions[0];
	CU_ASSERT_EQUAL(f->runtime, LB_RUNTIME_PROVIDED);
	CU_ASSERT_PTR_NULL(f->module);
	CU_ASSERT_STRING_EQUAL(f->handler, "index.handler");
	CU_ASSERT_STRING_EQUAL(f->code_dir, cfg_dir_sub);
	CU_ASSERT_EQUAL_FATAL(f->nbootstrap, 1);
	snprintf(want, sizeof(want), "%s/bootstrap", cfg_dir_sub);
	CU_ASSERT_STRING_EQUAL(f->bootstrap[0], want);
	CU_ASSERT_EQUAL(probe_calls, calls);
	lb_config_free(cfg);

	/* an argv: code_dir defaults to its program's folder; a bare name
	 * is found in $PATH */
	cfg = load("functions = ( { name = \"p\"; runtime = \"provided\";\n"
	           "  handler = \"h\"; bootstrap = [ \"sub/bootstrap\", "
	           "\"-v\" ]; },\n"
	           "  { name = \"q\"; runtime = \"provided\"; handler = "
	           "\"h\";\n"
	           "  bootstrap = [ \"sh\", \"-c\", \"exit 0\" ]; code_dir = "
	           "\".\"; } );\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	f = &cfg->functions[0];
	CU_ASSERT_EQUAL_FATAL(f->nbootstrap, 2);
	snprintf(want, sizeof(want), "%s/bootstrap", cfg_dir_sub);
	CU_ASSERT_STRING_EQUAL(f->bootstrap[0], want);
	CU_ASSERT_STRING_EQUAL(f->bootstrap[1], "-v");
	CU_ASSERT_STRING_EQUAL(f->code_dir, cfg_dir_sub);
	f = &cfg->functions[1];
	CU_ASSERT_EQUAL_FATAL(f->nbootstrap, 3);
	CU_ASSERT_EQUAL(f->bootstrap[0][0], '/');
	CU_ASSERT_PTR_NOT_NULL(strstr(f->bootstrap[0], "/sh"));
	CU_ASSERT_STRING_EQUAL(f->code_dir, cfg_dir);
	lb_config_free(cfg);

	provided_error("runtime = \"java11\";", "functions[0].runtime",
	    "must be \"native\" or \"provided\"");
	provided_error("runtime = \"provided\"; code_dir = \"sub\"; module = "
	               "\"mod.so\";",
	    "functions[0].module", "only for runtime = \"native\"");
	provided_error("module = \"mod.so\"; bootstrap = [ \"/bin/true\" ];",
	    "functions[0].bootstrap", "only for runtime = \"provided\"");
	provided_error("runtime = \"native\"; module = \"mod.so\"; code_dir = "
	               "\"sub\";",
	    "functions[0].code_dir", "only for runtime = \"provided\"");
	provided_error("runtime = \"provided\";", "functions[0]",
	    "needs code_dir or bootstrap");
	provided_error("runtime = \"provided\"; code_dir = \"nosuch\";",
	    "functions[0].code_dir", "cannot find");
	provided_error("runtime = \"provided\"; code_dir = \"mod.so\";",
	    "functions[0].code_dir", "is not a folder");
	provided_error("runtime = \"provided\"; code_dir = \".\";",
	    "functions[0].bootstrap", "/bootstrap': No such file");
	provided_error("runtime = \"provided\"; bootstrap = [ \"./noexec\" ];",
	    "functions[0].bootstrap", "noexec': Permission denied");
	provided_error("runtime = \"provided\"; bootstrap = [ \"./sub\" ];",
	    "functions[0].bootstrap", "is not a regular file");
	provided_error("runtime = \"provided\"; bootstrap = [ ];",
	    "functions[0].bootstrap", "not an empty list");
	provided_error("runtime = \"provided\"; bootstrap = [ "
	               "\"lb-no-such-program\" ];",
	    "functions[0].bootstrap",
	    "cannot find 'lb-no-such-program' in $PATH");
	expect_error("functions = (\n"
	             "  { name = \"p\"; handler = \"a b\"; runtime = "
	             "\"provided\"; code_dir = \"sub\"; }\n"
	             ");\n",
	    2, "functions[0].handler", "'a b': no spaces");
}

static void
test_gateway_connections(void)
{
	struct lb_config *cfg;
	char err[1024];

	cfg = load("", fake_probe, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_DOUBLE_EQUAL(cfg->connection_timeout, 60.0, 1e-9);
	CU_ASSERT_EQUAL(cfg->max_buffered, 64 * 1024 * 1024);
	CU_ASSERT_EQUAL(cfg->listen_mode, 0660);
	CU_ASSERT_PTR_NULL(cfg->listen_owner);
	CU_ASSERT_PTR_NULL(cfg->listen_group);
	lb_config_free(cfg);
	cfg = load("gateway: { connection_timeout = 2.5; "
	           "max_buffered = 1048576; listen_mode = \"0640\"; "
	           "listen_owner = \"0\"; listen_group = \"root\"; };\n",
	    fake_probe, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_DOUBLE_EQUAL(cfg->connection_timeout, 2.5, 1e-9);
	CU_ASSERT_EQUAL(cfg->max_buffered, 1048576);
	CU_ASSERT_EQUAL(cfg->listen_mode, 0640);
	CU_ASSERT_STRING_EQUAL(cfg->listen_owner, "0");
	CU_ASSERT_STRING_EQUAL(cfg->listen_group, "root");
	lb_config_free(cfg);
	/* an integer is read as octal digits, as chmod does */
	cfg = load("gateway: { listen_mode = 0600; };\n", fake_probe, err,
	    sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->listen_mode, 0600);
	lb_config_free(cfg);
	gateway_error("listen_mode = \"0999\";", "gateway.listen_mode",
	    "'0999': expected octal permissions from 0 to 0777");
	gateway_error("listen_mode = 1777;", "gateway.listen_mode",
	    "'1777': expected octal permissions");
	gateway_error("listen_mode = 0.5;", "gateway.listen_mode",
	    "expected a string or an integer, not a number");
	gateway_error("listen_owner = \"no-such-user-here\";",
	    "gateway.listen_owner", "'no-such-user-here': no such user");
	gateway_error("listen_group = \"no-such-group-here\";",
	    "gateway.listen_group", "'no-such-group-here': no such group");
	gateway_error("listen = \"*:9000\";", "gateway.listen", "not '*'");
	gateway_error("connection_timeout = 0;", "gateway.connection_timeout",
	    "0 is out of range");
	gateway_error("connection_timeout = 3601;",
	    "gateway.connection_timeout", "3601 is out of range");
	gateway_error("max_buffered = 1048575;", "gateway.max_buffered",
	    "1048575 is out of range");
}

/* gateway.cors: the contract's names, defaults, and every rejection as
 * "FILE:LINE: setting: reason" */
static void
test_cors(void)
{
	static const char want[] = "cors:   origins https://a.b,http://*; "
	                           "methods GET; headers (none); credentials\n";
	struct lb_config *cfg;
	char err[1024], *out = NULL;
	size_t len = 0;
	FILE *f;

	cfg = load("", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cors.set, 0);
	lb_config_free(cfg);

	cfg = load("gateway: { cors = { allow_origins = [ "
	           "\"https://app.example\", \"https://*\", "
	           "\"http://*.dev.example:8080\" ];\n"
	           "  allow_methods = [ \"GET\", \"POST\" ];\n"
	           "  allow_headers = [ \"content-type\", \"x-api-key\" ];\n"
	           "  expose_headers = [ ]; max_age = 300;\n"
	           "  allow_credentials = false; }; };\n",
	    NULL, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cors.set, 1);
	CU_ASSERT_EQUAL_FATAL(cfg->cors.nallow_origins, 3);
	CU_ASSERT_STRING_EQUAL(cfg->cors.allow_origins[1], "https://*");
	CU_ASSERT_STRING_EQUAL(cfg->cors.methods, "GET,POST");
	CU_ASSERT_STRING_EQUAL(cfg->cors.headers, "content-type,x-api-key");
	CU_ASSERT_PTR_NULL(cfg->cors.expose);
	CU_ASSERT_EQUAL(cfg->cors.max_age, 300);
	CU_ASSERT_EQUAL(cfg->cors.allow_credentials, 0);
	CU_ASSERT_EQUAL(cfg->cors.any_method, 0);
	lb_config_free(cfg);

	/* an empty group is CORS with nothing allowed; max_age unset */
	cfg = load("gateway: { cors = { }; };\n", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->cors.set, 1);
	CU_ASSERT_EQUAL(cfg->cors.max_age, LB_CORS_NO_MAX_AGE);
	CU_ASSERT_PTR_NULL(cfg->cors.methods);
	lb_config_free(cfg);

	/* `check` shows it */
	cfg = load("gateway: { cors = { allow_origins = [ \"https://a.b\", "
	           "\"http://*\" ]; allow_methods = [ \"GET\" ]; "
	           "allow_credentials = true; }; };\n",
	    NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	lb_dump_config(cfg, f);
	fclose(f);
	if (strstr(out, want) == NULL)
		fprintf(stderr, "\n%s\n", out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	free(out);
	lb_config_free(cfg);

	gateway_error("cors = { allow_origin = [ \"*\" ]; };",
	    "gateway.cors.allow_origin", "unknown setting");
	gateway_error("cors = { allow_origins = \"*\"; };",
	    "gateway.cors.allow_origins", "expected an array");
	gateway_error("cors = { allow_origins = [ \"https://a.example/\" ]; };",
	    "gateway.cors.allow_origins[0]",
	    "'https://a.example/': an origin has no path");
	gateway_error("cors = { allow_origins = [ \"a.example\" ]; };",
	    "gateway.cors.allow_origins[0]",
	    "'a.example': expected \"*\" or an origin");
	gateway_error(
	    "cors = { allow_origins = [ \"*\", \"https://a.*.example\" ]; };",
	    "gateway.cors.allow_origins[1]", "a wildcard is allowed only as");
	gateway_error("cors = { allow_origins = [ \"https://a:x\" ]; };",
	    "gateway.cors.allow_origins[0]", "expected scheme://host");
	gateway_error("cors = { allow_methods = [ \"GE T\" ]; };",
	    "gateway.cors.allow_methods[0]", "'GE T': invalid method");
	gateway_error("cors = { allow_headers = [ \"a b\" ]; };",
	    "gateway.cors.allow_headers[0]", "'a b': invalid header name");
	gateway_error("cors = { expose_headers = [ \"\" ]; };",
	    "gateway.cors.expose_headers[0]", "invalid header name");
	gateway_error("cors = { max_age = 86401; };", "gateway.cors.max_age",
	    "86401 is out of range: must be from -1 to 86400");
	gateway_error("cors = { max_age = \"300\"; };", "gateway.cors.max_age",
	    "expected an integer, not a string");
	gateway_error("cors = { allow_credentials = 1; };",
	    "gateway.cors.allow_credentials", "expected a boolean");
	gateway_error("cors = [ ];", "gateway.cors",
	    "expected a group { ... }, not an array");
	gateway_error("cors = { allow_origins = [ \"*\" ]; "
	              "allow_credentials = true; };",
	    "gateway.cors.allow_credentials",
	    "allow-credentials is not supported if 'allow-origin' is *");
	rest_gateway_error("cors = { allow_origins = [ \"*\" ]; };",
	    "gateway.cors", "only HTTP APIs have a CORS configuration");
}

/* Loads text as check does; expects the reports want[0 .. n-1]. */
static void
expect_all(const char *text, const char *const *want, size_t n)
{
	struct lb_config *cfg;
	char err[1024];

	load_all_mode = 1;
	nreported = 0;
	cfg = load(text, NULL, err, sizeof(err));
	load_all_mode = 0;
	CU_ASSERT_EQUAL(nreported, n);
	CU_ASSERT_EQUAL(load_all_nerrors, n);
	CU_ASSERT_EQUAL(cfg == NULL, n > 0);
	for (size_t i = 0; i < n && i < nreported && i < 8; i++) {
		if (strcmp(reported[i], want[i]) != 0)
			fprintf(stderr, "\n  got:  %s\n  want: %s\n",
			    reported[i], want[i]);
		CU_ASSERT_STRING_EQUAL(reported[i], want[i]);
	}
	/* the caller's buffer has the first, as lb_config_load gives it */
	if (n > 0)
		CU_ASSERT(strstr(err, want[0]) != NULL);
	lb_config_free(cfg);
}

/* check's load: every error, did-you-mean, dependent sections wait. */
static void
test_every_error(void)
{
	/* the top-level names first, then each section in order */
	static const char *const many[] = {
		"2: fucntions: unknown setting: did you mean 'functions'?",
		"1: gateway.intgration_timeout: unknown setting: did you mean "
		"'integration_timeout'?",
		"1: gateway.api: 'htp': expected \"http\" or \"rest\"",
		"4: functions[0].timout: unknown setting: did you mean "
		"'timeout'?",
		"4: functions[0].memory: 1 is out of range: must be from 128 "
		"to 10240",
		"5: functions[1].hnadler: unknown setting: did you mean "
		"'handler'?",
	};
	static const char *const routes[] = {
		"3: routes[0].function: no function named 'nosuch'",
		"4: routes[1].fucntion: unknown setting: did you mean "
		"'function'?",
	};

	expect_all(
	    "gateway: { intgration_timeout = 1.0; api = \"htp\"; };\n"
	    "fucntions = ();\n"
	    "functions = (\n"
	    "{ name = \"a\"; module = \"mod.so\"; handler = \"h\"; "
	    "timout = 1.0; memory = 1; },\n"
	    "{ name = \"b\"; module = \"mod.so\"; hnadler = \"h\"; } );\n"
	    "routes = ( { route = \"GET /x\"; function = \"zz\"; } );\n",
	    many, 6);
	expect_all(FUNCS "\n"
	                 "routes = ( { route = \"GET /a\"; function = "
	                 "\"nosuch\"; },\n"
	                 "{ route = \"GET /b\"; fucntion = \"a\"; } );\n",
	    routes, 2);
	expect_all(FUNCS, NULL, 0);
}

/* gateway.shared_state and its settings (docs/scale-out.md). */
static void
test_shared_state(void)
{
	gateway_error("shared_state = \"http://cache:6379\";",
	    "gateway.shared_state", "\"redis://HOST:PORT/DB\" or");
	gateway_error("shared_state = \"redis://cache:99999\";",
	    "gateway.shared_state", "port must be a number");
	gateway_error("shared_state = \"unix:redis.sock\";",
	    "gateway.shared_state", "must be absolute");
	gateway_error("shared_state_failure = \"open\";",
	    "gateway.shared_state_failure", "\"local\" or \"closed\"");
	gateway_error("shared_state_timeout = 0.0;",
	    "gateway.shared_state_timeout", "out of range");
	gateway_error("shared_lease_ttl = -1.0;", "gateway.shared_lease_ttl",
	    "out of range");
	gateway_error("shared_throttle = 1;", "gateway.shared_throttle", "");
}

void
lb_test_suite_config(void)
{
	static CU_TestInfo tests[] = {
		{ "defaults: empty file", test_defaults_empty },
		{ "defaults: rest", test_defaults_rest },
		{ "defaults: function", test_defaults_function },
		{ "every setting", test_full },
		{ "payload formats", test_payload_formats_http },
		{ "empty lists", test_empty_lists },
		{ "reject: syntax", test_reject_syntax },
		{ "reject: root", test_reject_root },
		{ "reject: gateway", test_reject_gateway },
		{ "reject: gateway_responses", test_reject_responses },
		{ "reject: functions", test_reject_functions },
		{ "reject: modules and probe", test_reject_modules },
		{ "reject: concurrency", test_reject_concurrency },
		{ "reject: routes", test_reject_routes },
		{ "throttling", test_throttling },
		{ "api keys", test_api_keys },
		{ "dump", test_dump },
		{ "short error buffer", test_short_err },
		{ "@include", test_include },
		{ "users, groups, seccomp", test_users },
		{ "one-line errors", test_one_line_errors },
		{ "gateway: socket and connections", test_gateway_connections },
		{ "provided runtimes", test_provided },
		{ "gateway.cors", test_cors },
		{ "check: every error", test_every_error },
		{ "one probe per module and handler",
		    test_probe_once_per_module },
		{ "gateway.shared_state", test_shared_state },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("config", tests);
}
