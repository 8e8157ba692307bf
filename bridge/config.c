/*
 * config.c - loads and validates the configuration (docs/design.md section 4,
 * docs/configuration.md): the file, the `gateway` section, the sections in
 * order, and the tables of settings of every section, kept together here as
 * redis keeps its settings in one table.
 *
 * The loader is five files, the only ones that include libconfig.h (through
 * config_int.h): this one; config_table.c applies a table to a libconfig
 * group, rejecting unknown names and wrong types; config_check.c holds the
 * validators the tables name; config_functions.c and config_routes.c load
 * the `functions`, and the `routes`, `api_keys` and `gateway_responses`.
 * What depends on several settings (API type, concurrency sums, routes
 * naming functions, modules) is checked after the tables.  Every error is
 * "FILE:LINE: SETTING: reason".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"
#include "base/log.h"
#include "lambda/sandbox.h"

#define MAX_REQUEST_BODY_CAP (64u * 1024 * 1024)
#define MAX_BUFFERED_CAP     (64.0 * 1024 * 1024 * 1024)
#define THROTTLE_RATE_MAX    1e9 /* requests per second */
#define THROTTLE_BURST_MAX   1000000000

/*
 * Rewrites control characters in the message as the log writes them (\n,
 * \t, \xNN; lb_log_escape), cutting it to errlen: a quoted value (a
 * libconfig string may hold a newline) must not split the one line that
 * `check` and the log print.
 */
static void
escape_controls(char *err, size_t errlen)
{
	char *copy = strdup(err); /* an error path: no need to be quick */

	if (copy == NULL)
		return;
	lb_log_escape(err, errlen, copy, strlen(copy), 0);
	free(copy);
}

/* ---- the declarative tables ---- */

/*
 * One macro per kind, so that every row of a table has the same shape (as
 * nginx's ngx_command_t): the name, the struct and member it fills, then
 * what that kind takes.  `fl` is LB_CONFIG__REQUIRED and/or LB_CONFIG__MIN_EXCL.
 */
#define FIELD(n, k, t, m, ...) \
	{ \
		.name = (n), .kind = (k), .off = offsetof(t, m), __VA_ARGS__ \
	}
#define STR(n, t, m, fl, chk) \
	FIELD(n, LB_CONFIG__K_STR, t, m, .flags = (fl), .check = (chk))
#define INT(n, t, m, lo, hi) \
	FIELD(n, LB_CONFIG__K_INT, t, m, .min = (lo), .max = (hi))
#define SIZE(n, t, m, lo, hi) \
	FIELD(n, LB_CONFIG__K_SIZE, t, m, .min = (lo), .max = (hi))
#define NUM(n, t, m, fl, lo, hi) \
	FIELD(n, LB_CONFIG__K_NUM, t, m, .flags = (fl), .min = (lo), \
	    .max = (hi))
#define API(n, t, m)     FIELD(n, LB_CONFIG__K_API, t, m, .flags = 0)
#define PAYLOAD(n, t, m) FIELD(n, LB_CONFIG__K_PAYLOAD, t, m, .flags = 0)
#define BOOL(n, t, m)    FIELD(n, LB_CONFIG__K_BOOL, t, m, .flags = 0)
#define MODE(n, t, m, lo, hi) \
	FIELD(n, LB_CONFIG__K_MODE, t, m, .min = (lo), .max = (hi))
#define KV(n, t, m, cnt, most, kchk, vchk) \
	FIELD(n, LB_CONFIG__K_KV, t, m, .count_off = offsetof(t, cnt), \
	    .max = (most), .check = (kchk), .check_value = (vchk))
#define STRLIST(n, t, m, cnt, most, chk) \
	FIELD(n, LB_CONFIG__K_STRLIST, t, m, .count_off = offsetof(t, cnt), \
	    .max = (most), .check = (chk))
#define GROUP(n, t, m, setm, tbl) \
	FIELD(n, LB_CONFIG__K_GROUP, t, m, .count_off = offsetof(t, setm), \
	    .sub = (tbl), .nsub = NFIELDS(tbl))

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* gateway.cors: API Gateway's corsConfiguration (HTTP APIs) */
static const struct lb_config__field cors_fields[] = {
	STRLIST("allow_origins", struct lb_cors, allow_origins, nallow_origins,
	    100, lb_config__check_origin),
	STRLIST("allow_methods", struct lb_cors, allow_methods, nallow_methods,
	    100, lb_config__check_method),
	STRLIST("allow_headers", struct lb_cors, allow_headers, nallow_headers,
	    100, lb_config__check_header_name),
	STRLIST("expose_headers", struct lb_cors, expose_headers,
	    nexpose_headers, 100, lb_config__check_header_name),
	INT("max_age", struct lb_cors, max_age, -1, 86400),
	BOOL("allow_credentials", struct lb_cors, allow_credentials),
};

/* gateway.access_log: API Gateway's access log settings */
static const struct lb_config__field access_log_fields[] = {
	STR("path", struct lb_access_log, path, LB_CONFIG__REQUIRED,
	    lb_config__check_nonempty),
	STR("format", struct lb_access_log, format, LB_CONFIG__REQUIRED,
	    lb_config__check_nonempty),
};

static const struct lb_config__field gateway_fields[] = {
	API("api", struct lb_config, api),
	STR("listen", struct lb_config, listen, 0, lb_config__check_listen),
	MODE("listen_mode", struct lb_config, listen_mode, 0, 0777),
	STR("listen_owner", struct lb_config, listen_owner, 0,
	    lb_config__check_owner),
	STR("listen_group", struct lb_config, listen_group, 0,
	    lb_config__check_group),
	NUM("connection_timeout", struct lb_config, connection_timeout,
	    LB_CONFIG__MIN_EXCL, 0, 3600),
	SIZE("max_buffered", struct lb_config, max_buffered, 1048576,
	    MAX_BUFFERED_CAP),
	PAYLOAD("payload_format", struct lb_config, payload_format),
	STR("stage", struct lb_config, stage, 0, lb_config__check_stage),
	KV("stage_variables", struct lb_config, stage_variables,
	    nstage_variables, 100, lb_config__check_stage_var_key,
	    lb_config__check_stage_var_value),
	NUM("integration_timeout", struct lb_config, integration_timeout, 0,
	    0.05, 300),
	INT("account_concurrency", struct lb_config, account_concurrency, 1,
	    100000),
	SIZE("max_request_body", struct lb_config, max_request_body, 1,
	    MAX_REQUEST_BODY_CAP),
	STRLIST("binary_media_types", struct lb_config, binary_media_types,
	    nbinary_media_types, 100, lb_config__check_media_type),
	INT("threads", struct lb_config, threads, 1, 1024),
	INT("spare_workers", struct lb_config, spare_workers, 0, 16),
	STR("region", struct lb_config, region, 0, lb_config__check_region),
	STR("account_id", struct lb_config, account_id, 0,
	    lb_config__check_account_id),
	STR("api_id", struct lb_config, api_id, 0, lb_config__check_api_id),
	STR("domain_name", struct lb_config, domain_name, 0,
	    lb_config__check_domain),
	NUM("throttling_rate_limit", struct lb_config, throttle.rate, 0, 0,
	    THROTTLE_RATE_MAX),
	INT("throttling_burst_limit", struct lb_config, throttle.burst, 0,
	    THROTTLE_BURST_MAX),
	NUM("account_throttling_rate_limit", struct lb_config,
	    account_throttle.rate, 0, 0, THROTTLE_RATE_MAX),
	INT("account_throttling_burst_limit", struct lb_config,
	    account_throttle.burst, 0, THROTTLE_BURST_MAX),
	STR("user", struct lb_config, user, 0, lb_config__check_nonempty),
	STR("group", struct lb_config, group, 0, lb_config__check_nonempty),
	BOOL("strict_modes", struct lb_config, strict_modes),
	GROUP("cors", struct lb_config, cors, cors.set, cors_fields),
	GROUP("access_log", struct lb_config, access_log, access_log.set,
	    access_log_fields),
	STR("api_key_source", struct lb_config, api_key_source, 0,
	    lb_config__check_api_key_source),
	STR("state_dir", struct lb_config, state_dir, 0,
	    lb_config__check_state_dir),
	STR("metrics_path", struct lb_config, metrics_path, 0,
	    lb_config__check_metrics_path),
	STRLIST("metrics_allow", struct lb_config, metrics_allow,
	    nmetrics_allow, 1000, lb_config__check_cidr),
	STR("shared_state", struct lb_config, shared_state, 0,
	    lb_config__check_shared_state),
	NUM("shared_state_timeout", struct lb_config, shared_state_timeout,
	    LB_CONFIG__MIN_EXCL, 0, 10),
	STR("shared_state_failure", struct lb_config, shared_state_failure, 0,
	    lb_config__check_shared_failure),
	BOOL("shared_throttle", struct lb_config, shared_throttle),
	NUM("shared_lease_ttl", struct lb_config, shared_lease_ttl,
	    LB_CONFIG__MIN_EXCL, 0, 3600),
	BOOL("shared_lease_pool", struct lb_config, shared_lease_pool),
};

const struct lb_config__field lb_config__function_fields[] = {
	STR("name", struct lb_function, name, LB_CONFIG__REQUIRED,
	    lb_config__check_function_name),
	STR("runtime", struct lb_function, runtime_name, 0,
	    lb_config__check_runtime),
	STR("module", struct lb_function, module, 0, lb_config__check_nonempty),
	STR("handler", struct lb_function, handler, LB_CONFIG__REQUIRED,
	    lb_config__check_handler),
	STRLIST("bootstrap", struct lb_function, bootstrap, nbootstrap, 256,
	    lb_config__check_nonempty),
	STR("code_dir", struct lb_function, code_dir, 0,
	    lb_config__check_nonempty),
	NUM("timeout", struct lb_function, timeout, LB_CONFIG__MIN_EXCL, 0,
	    900),
	INT("memory", struct lb_function, memory, 128, 10240),
	INT("reserved_concurrency", struct lb_function, reserved_concurrency, 0,
	    100000),
	INT("provisioned", struct lb_function, provisioned, 0, 100000),
	KV("environment", struct lb_function, environment, nenvironment, 0,
	    lb_config__check_env_key, NULL),
	NUM("idle_timeout", struct lb_function, idle_timeout,
	    LB_CONFIG__MIN_EXCL, 0, 86400),
	INT("max_requests", struct lb_function, max_requests, 0, INT_MAX),
	STR("version", struct lb_function, version, 0,
	    lb_config__check_version),
	STR("user", struct lb_function, user, 0, lb_config__check_nonempty),
	STR("group", struct lb_function, group, 0, lb_config__check_nonempty),
	STR("seccomp", struct lb_function, seccomp, 0,
	    lb_config__check_seccomp),
	STR("log_format", struct lb_function, log_format, 0,
	    lb_config__check_log_format),
	STR("application_log_level", struct lb_function, app_level_name, 0,
	    lb_config__check_app_log_level),
	STR("system_log_level", struct lb_function, sys_level_name, 0,
	    lb_config__check_sys_log_level),
};
const size_t lb_config__nfunction_fields = NFIELDS(lb_config__function_fields);

const struct lb_config__field lb_config__route_fields[] = {
	STR("route", struct lb_config__route_src, route, LB_CONFIG__REQUIRED,
	    lb_config__check_nonempty),
	STR("function", struct lb_config__route_src, function,
	    LB_CONFIG__REQUIRED, lb_config__check_nonempty),
	PAYLOAD("payload_format", struct lb_config__route_src, payload_format),
	NUM("throttling_rate_limit", struct lb_config__route_src, throttle.rate,
	    0, 0, THROTTLE_RATE_MAX),
	INT("throttling_burst_limit", struct lb_config__route_src,
	    throttle.burst, 0, THROTTLE_BURST_MAX),
	BOOL("api_key_required", struct lb_config__route_src, api_key_required),
	STR("authorizer", struct lb_config__route_src, authorizer, 0,
	    lb_config__check_authorizer_name),
	STRLIST("authorization_scopes", struct lb_config__route_src, scopes,
	    nscopes, 10, lb_config__check_nonempty),
};
const size_t lb_config__nroute_fields = NFIELDS(lb_config__route_fields);

const struct lb_config__field lb_config__api_key_fields[] = {
	STR("name", struct lb_api_key, name, LB_CONFIG__REQUIRED,
	    lb_config__check_key_name),
	STR("value", struct lb_api_key, value, LB_CONFIG__REQUIRED,
	    lb_config__check_key_value),
	STR("id", struct lb_api_key, id, 0, lb_config__check_api_id),
	BOOL("enabled", struct lb_api_key, enabled),
	NUM("throttling_rate_limit", struct lb_api_key, throttle.rate, 0, 0,
	    THROTTLE_RATE_MAX),
	INT("throttling_burst_limit", struct lb_api_key, throttle.burst, 0,
	    THROTTLE_BURST_MAX),
	INT("quota_limit", struct lb_api_key, quota_limit, 0, INT_MAX),
	STR("quota_period", struct lb_api_key, quota_period_name, 0,
	    lb_config__check_quota_period),
};
const size_t lb_config__napi_key_fields = NFIELDS(lb_config__api_key_fields);

const struct lb_config__field lb_config__response_fields[] = {
	/* a final status only: a 1xx would reach the client as an interim
	 * response followed by the body */
	INT("status", struct lb_gateway_response, status, 200, 599),
	STR("body", struct lb_gateway_response, body, 0, NULL),
	KV("headers", struct lb_gateway_response, headers, nheaders, 0,
	    lb_config__check_header_name, lb_config__check_header_value),
};
const size_t lb_config__nresponse_fields = NFIELDS(lb_config__response_fields);

const struct lb_config__field lb_config__authorizer_fields[] = {
	STR("name", struct lb_config__authorizer_src, name, LB_CONFIG__REQUIRED,
	    lb_config__check_authorizer_name),
	STR("type", struct lb_config__authorizer_src, type, LB_CONFIG__REQUIRED,
	    NULL),
	STR("function", struct lb_config__authorizer_src, function, 0,
	    lb_config__check_nonempty),
	STRLIST("identity_source", struct lb_config__authorizer_src, identity,
	    nidentity, 10, lb_config__check_nonempty),
	STR("validation_expression", struct lb_config__authorizer_src,
	    validation_expression, 0, lb_config__check_nonempty),
	INT("ttl", struct lb_config__authorizer_src, ttl, 0, 3600),
	PAYLOAD(
	    "payload_format", struct lb_config__authorizer_src, payload_format),
	BOOL("simple_responses", struct lb_config__authorizer_src,
	    simple_responses),
	STR("issuer", struct lb_config__authorizer_src, issuer, 0,
	    lb_config__check_url),
	STRLIST("audience", struct lb_config__authorizer_src, audience,
	    naudience, 50, lb_config__check_nonempty),
	STR("jwks_file", struct lb_config__authorizer_src, jwks_file, 0,
	    lb_config__check_nonempty),
	STR("jwks_uri", struct lb_config__authorizer_src, jwks_uri, 0,
	    lb_config__check_url),
};
const size_t lb_config__nauthorizer_fields =
    NFIELDS(lb_config__authorizer_fields);

/* ---- helpers ---- */

static void
free_strlist(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void
free_kv(struct lb_kv *kv, size_t n)
{
	if (kv == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

char *
lb_config__dup_default(char **dst, const char *v)
{
	if (*dst == NULL)
		*dst = strdup(v);
	return *dst;
}

/* 10 lowercase alphanumerics from an FNV-1a hash of `s`. */
void
lb_config__derive_api_id(const char *s, char out[11])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	for (int i = 0; i < 10; i++) {
		out[i] = digits[h % 36];
		h /= 36;
	}
	out[10] = '\0';
}

/* The member `name` of group `g`, else `g` itself (for a line number). */
const config_setting_t *
lb_config__member_or(const config_setting_t *g, const char *name)
{
	const config_setting_t *s =
	    g != NULL ? config_setting_get_member(g, name) : NULL;

	return s != NULL ? s : g;
}

/* ---- sections ---- */

const struct lb_throttle_limits lb_config__no_throttle = { -1, -1 };

/*
 * Settings `a` and `b` of group s (whose path is `prefix`, "gateway.") come
 * together: one without the other is an error naming the missing one.
 */
int
lb_config__check_pair(struct lb_config__ctx *c, const config_setting_t *s,
    const char *prefix, const char *a, int has_a, const char *b, int has_b)
{
	char where[128];

	if (has_a == has_b)
		return 0;
	snprintf(where, sizeof(where), "%s%s", prefix, has_a ? b : a);
	return lb_config__fail(c, config_setting_get_member(s, has_a ? a : b),
	    where, "missing: %s and %s are set together", a, b);
}

/*
 * A rate limit needs its burst limit and the other way round (API
 * Gateway's throttling settings come in pairs).  `prefix` is the path of
 * group s ("gateway."), `kind` "" or "account_".
 */
int
lb_config__throttle_pair(struct lb_config__ctx *c, const config_setting_t *s,
    const char *prefix, const char *kind, struct lb_throttle_limits *lim)
{
	char rate[64], burst[64];

	snprintf(rate, sizeof(rate), "%sthrottling_rate_limit", kind);
	snprintf(burst, sizeof(burst), "%sthrottling_burst_limit", kind);
	return lb_config__check_pair(
	    c, s, prefix, rate, lim->rate >= 0, burst, lim->burst >= 0);
}

/* StrictModes (lb_sandbox_path_check) for `path`, named at `s`. */
int
lb_config__strict_path(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *path)
{
	char why[512];

	if (lb_sandbox_path_check(path, why, sizeof(why)) == 0)
		return 0;
	return lb_config__fail(
	    c, s, where, "%s (gateway.strict_modes = false allows it)", why);
}

/*
 * Resolves `prefix`user and `prefix`group of section s into ids; nothing
 * when user is NULL (group alone is an error).
 */
int
lb_config__resolve_ids(struct lb_config__ctx *c, const config_setting_t *s,
    const char *prefix, const char *user, const char *group, uid_t *uid,
    gid_t *gid)
{
	char where[80], why[128];

	if (user == NULL && group == NULL)
		return 0;
	lb_config__setpath(where, sizeof(where), "%s%s", prefix,
	    user == NULL || group != NULL ? "group" : "user");
	if (user == NULL)
		return lb_config__fail(c, lb_config__member_or(s, "group"),
		    where, "a group needs a user");
	if (lb_sandbox_ids(user, group, uid, gid, why, sizeof(why)) < 0)
		return lb_config__fail(c,
		    lb_config__member_or(s,
		        strncmp(why, "unknown user", 12) == 0 ? "user"
		                                              : "group"),
		    where, "%s", why);
	return 0;
}

static int
load_gateway(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg)
{
	/* defaults that do not depend on the API type */
	cfg->api = LB_API_HTTP;
	cfg->account_concurrency = 1000;
	cfg->max_request_body = 10485760;
	cfg->threads = 64;
	cfg->spare_workers = 1;
	cfg->strict_modes = 1;
	cfg->connection_timeout = 60;
	cfg->listen_mode = 0660;
	cfg->max_buffered = 64 * 1024 * 1024;
	cfg->throttle = cfg->account_throttle = lb_config__no_throttle;
	cfg->cors.max_age = LB_CORS_NO_MAX_AGE;
	cfg->shared_state_timeout = 0.005;
	cfg->shared_lease_ttl = 10;
	cfg->shared_lease_pool = 1;
	if (g != NULL &&
	    lb_config__parse_group(c, g, "gateway", gateway_fields,
	        NFIELDS(gateway_fields), cfg) < 0)
		return -1;
	if (lb_config__throttle_pair(c, g, "gateway.", "", &cfg->throttle) <
	        0 ||
	    lb_config__throttle_pair(
	        c, g, "gateway.", "account_", &cfg->account_throttle) < 0)
		return -1;
	if (cfg->payload_format == 0)
		cfg->payload_format = cfg->api == LB_API_REST ? 1 : 2;
	else if (cfg->api == LB_API_REST && cfg->payload_format != 1) {
		return lb_config__fail(c,
		    lb_config__member_or(g, "payload_format"),
		    "gateway.payload_format",
		    "REST APIs support only payload format \"1.0\"");
	}
	if (cfg->cors.set && lb_config__check_cors(c, g, cfg) < 0)
		return -1;
	if (cfg->access_log.set && lb_config__check_access_log(c, g, cfg) < 0)
		return -1;
	if (lb_config__resolve_ids(c, g, "gateway.", cfg->user, cfg->group,
	        &cfg->uid, &cfg->gid) < 0)
		return -1;
	if (cfg->strict_modes &&
	    lb_config__strict_path(c, lb_config__member_or(g, "strict_modes"),
	        "gateway.strict_modes", c->path) < 0)
		return -1;
	if (cfg->integration_timeout == 0)
		cfg->integration_timeout = cfg->api == LB_API_REST ? 29 : 30;
	else if (cfg->api == LB_API_HTTP && cfg->integration_timeout > 30) {
		return lb_config__fail(c,
		    lb_config__member_or(g, "integration_timeout"),
		    "gateway.integration_timeout",
		    "%g is out of range: must be from 0.05 to 30 for an HTTP "
		    "API",
		    cfg->integration_timeout);
	}
	if (cfg->api == LB_API_HTTP && cfg->nbinary_media_types > 0) {
		return lb_config__fail(c,
		    lb_config__member_or(g, "binary_media_types"),
		    "gateway.binary_media_types",
		    "only REST APIs have binary media types (an HTTP API "
		    "decides from the Content-Type)");
	}
	if (cfg->api_key_source != NULL) {
		if (cfg->api != LB_API_REST)
			return lb_config__fail(c,
			    lb_config__member_or(g, "api_key_source"),
			    "gateway.api_key_source",
			    "only REST APIs have API keys");
		cfg->api_key_from_authorizer =
		    strcmp(cfg->api_key_source, "AUTHORIZER") == 0;
	}
	if (cfg->metrics_allow != NULL && cfg->metrics_path == NULL)
		return lb_config__fail(c,
		    lb_config__member_or(g, "metrics_allow"),
		    "gateway.metrics_allow", "needs gateway.metrics_path");
	if (cfg->metrics_allow != NULL && cfg->nmetrics_allow == 0)
		return lb_config__fail(c,
		    lb_config__member_or(g, "metrics_allow"),
		    "gateway.metrics_allow",
		    "must not be empty (leave it out for loopback only)");
	cfg->shared_state_closed = cfg->shared_state_failure != NULL &&
	    strcmp(cfg->shared_state_failure, "closed") == 0;
	if (lb_config__dup_default(&cfg->stage, "$default") == NULL ||
	    lb_config__dup_default(&cfg->region, "us-east-1") == NULL ||
	    lb_config__dup_default(&cfg->account_id, "123456789012") == NULL)
		return lb_config__fail(c, g, "gateway", "out of memory");
	return 0;
}

/* The directory of the (real) config file, and the file's real path. */
static int
config_dir(struct lb_config__ctx *c, char **real, char **dir)
{
	char *slash;

	*real = realpath(c->path, NULL);
	if (*real == NULL) {
		snprintf(c->err, c->errlen, "cannot read '%s': %s", c->path,
		    strerror(errno));
		return -1;
	}
	*dir = strdup(*real);
	if (*dir == NULL) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	slash = strrchr(*dir, '/');
	if (slash == *dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/* Checks that `path` is a readable regular file, for a clear message. */
static int
check_readable(struct lb_config__ctx *c)
{
	struct stat st;
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(c->err, c->errlen, "cannot read '%s': %s", c->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		snprintf(c->err, c->errlen, "cannot read '%s': %s", c->path,
		    strerror(S_ISDIR(st.st_mode) ? EISDIR : errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The files libconfig read (the config and its @include'd ones) into
 * cfg->files: libconfig names an included file as written, relative to
 * `dir`.  0, or -1 when out of memory.
 */
static int
keep_files(const config_t *lc, const char *dir, struct lb_config *cfg)
{
	size_t n = 1 + lc->num_filenames;

	cfg->files = calloc(n, sizeof(*cfg->files));
	if (cfg->files == NULL || (cfg->files[0] = strdup(cfg->path)) == NULL)
		return -1;
	cfg->nfiles = 1;
	for (unsigned i = 0; i < lc->num_filenames; i++) {
		const char *f = lc->filenames[i];
		char *copy;

		if (f == NULL || strcmp(f, cfg->path) == 0)
			continue;
		if (f[0] != '/' && dir != NULL) {
			size_t len = strlen(dir) + strlen(f) + 2;

			if ((copy = malloc(len)) != NULL)
				snprintf(copy, len, "%s/%s", dir, f);
		} else {
			copy = strdup(f);
		}
		if (copy == NULL)
			return -1;
		cfg->files[cfg->nfiles++] = copy;
	}
	return 0;
}

/*
 * The sections after `gateway`, in order.  Collecting every error (c's
 * report set), a section with errors does not stop the others; what
 * refers to a section (API keys, authorizers and routes need the API
 * type, routes and authorizers name functions, probes load them) waits
 * for that section to be right, so that one mistake is reported once.
 * 0, or -1 when anything failed.
 */
static int
load_sections(struct lb_config__ctx *c, const config_setting_t *root,
    const char *dir, lb_config_probe *probe, int bad_gateway,
    struct lb_config *cfg)
{
	const config_setting_t *s, *fs;
	int collect = LB_CONFIG__COLLECTING(c), bad = 0, bad_fns = 0;

	s = config_setting_get_member(root, "gateway_responses");
	if (s != NULL && lb_config__load_responses(c, s, cfg) < 0) {
		if (!collect)
			return -1;
		bad = 1;
	}
	fs = config_setting_get_member(root, "functions");
	if (fs != NULL &&
	    (lb_config__load_functions(c, fs, dir, cfg) < 0 ||
	        lb_config__check_concurrency(c, fs, cfg) < 0)) {
		if (!collect)
			return -1;
		bad = bad_fns = 1;
	}
	/* API keys, authorizers and routes depend on the API type */
	if (bad_gateway)
		return -1;
	s = config_setting_get_member(root, "api_keys");
	if (s != NULL && lb_config__load_api_keys(c, s, cfg) < 0) {
		if (!collect)
			return -1;
		bad = 1;
	}
	if (bad_fns)
		return -1;
	s = config_setting_get_member(root, "authorizers");
	if (s != NULL && lb_config__load_authorizers(c, s, dir, cfg) < 0)
		return -1; /* routes name them */
	s = config_setting_get_member(root, "routes");
	if (s != NULL && lb_config__load_routes(c, s, cfg) < 0)
		return -1;
	if (bad)
		return -1;
	/* last: probing may start a process per function */
	if (fs != NULL && probe != NULL &&
	    lb_config__probe_modules(c, fs, probe, cfg) < 0)
		return -1;
	return 0;
}

struct lb_config *
lb_config_load(
    const char *path, lb_config_probe *probe, char *err, size_t errlen)
{
	return lb_config_load_all(path, probe, NULL, NULL, NULL, err, errlen);
}

struct lb_config *
lb_config_load_all(const char *path, lb_config_probe *probe,
    lb_config_report *report, void *arg, size_t *nerrors, char *err,
    size_t errlen)
{
	static const char *const sections[] = { "gateway", "gateway_responses",
		"functions", "authorizers", "routes", "api_keys" };
	struct lb_config__ctx c = { path, NULL, err, errlen, report, arg, 0 };
	struct lb_config *cfg = NULL;
	char *real = NULL, *dir = NULL;
	const config_setting_t *root;
	config_t lc;
	char api_id[11];
	int bad = 0;

	if (nerrors != NULL)
		*nerrors = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (check_readable(&c) < 0 || config_dir(&c, &real, &dir) < 0)
		goto fail_path;
	c.dir = dir;
	config_init(&lc);
	config_set_options(&lc, 0); /* no auto-conversion between types */
	config_set_include_dir(&lc, dir);
	if (!config_read_file(&lc, path)) {
		const char *file = config_error_file(&lc);

		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO &&
		    file == NULL)
			snprintf(err, errlen, "cannot read '%s': %s", path,
			    config_error_text(&lc));
		else
			snprintf(err, errlen, "%s:%d: %s%s",
			    file != NULL ? file : path, config_error_line(&lc),
			    strncmp(
			        config_error_text(&lc), "syntax error", 12) == 0
			        ? ""
			        : "syntax error: ",
			    config_error_text(&lc));
		goto fail_read;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail_read;
	}
	if (keep_files(&lc, dir, cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_read;
	}
	root = config_root_setting(&lc);
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *e = config_setting_get_elem(root, i);
		const char *name = config_setting_name(e);
		size_t j = 0;

		while (j < NFIELDS(sections) && strcmp(sections[j], name) != 0)
			j++;
		if (j < NFIELDS(sections))
			continue;
		lb_config__unknown(&c, e, name, name,
		    (const char *const *)sections, NFIELDS(sections),
		    " (sections are gateway, gateway_responses, functions, "
		    "authorizers, routes and api_keys)");
		if (!report)
			goto fail_read;
		bad = 1;
	}
	if (load_gateway(&c, config_setting_get_member(root, "gateway"), cfg) <
	    0) {
		if (!report)
			goto fail_read;
		bad = 1;
	}
	if (cfg->api_id == NULL) {
		lb_config__derive_api_id(real, api_id);
		if ((cfg->api_id = strdup(api_id)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail_read;
		}
	}
	if (load_sections(&c, root, dir, probe, bad, cfg) < 0 || bad)
		goto fail_read;
	config_destroy(&lc);
	free(real);
	free(dir);
	return cfg;
fail_read:
	config_destroy(&lc);
fail_path:
	if (errlen > 0)
		escape_controls(err, errlen);
	/* an error that did not go through lb_config__fail (the file cannot
	 * be read, its syntax, out of memory) is reported here */
	if (report != NULL && c.nerrors == 0 && errlen > 0 && err[0] != '\0')
		report(arg, err);
	if (nerrors != NULL)
		*nerrors = c.nerrors > 0 ? c.nerrors : 1;
	lb_config_free(cfg);
	free(real);
	free(dir);
	return NULL;
}

int
lb_config_check_users(
    const struct lb_config *cfg, int privileged, char *err, size_t errlen)
{
	if (!privileged)
		return 0;
	for (size_t i = 0; i < cfg->nfunctions; i++)
		if (cfg->functions[i].user == NULL) {
			snprintf(err, errlen,
			    "%s:%d: functions[%zu]: the bridge may switch "
			    "users (it runs as root): name the user its "
			    "environments run as (user, or gateway.user; "
			    "user = \"root\" to run them as root)",
			    cfg->path, cfg->functions[i].line, i);
			return -1;
		}
	return 0;
}

void
lb_config_free(struct lb_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free_strlist(cfg->files, cfg->nfiles);
	free(cfg->listen);
	free(cfg->listen_owner);
	free(cfg->listen_group);
	free(cfg->stage);
	free_kv(cfg->stage_variables, cfg->nstage_variables);
	free_strlist(cfg->binary_media_types, cfg->nbinary_media_types);
	free(cfg->region);
	free(cfg->account_id);
	free(cfg->api_id);
	free(cfg->domain_name);
	free(cfg->user);
	free(cfg->group);
	lb_cors_free(&cfg->cors);
	free(cfg->access_log.path);
	free(cfg->access_log.format);
	free(cfg->metrics_path);
	free_strlist(cfg->metrics_allow, cfg->nmetrics_allow);
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		struct lb_function *f = &cfg->functions[i];

		free(f->name);
		free(f->runtime_name);
		free(f->module);
		free(f->handler);
		free_strlist(f->bootstrap, f->nbootstrap);
		free(f->code_dir);
		free(f->version);
		free(f->user);
		free(f->group);
		free(f->seccomp);
		free(f->log_format);
		free(f->app_level_name);
		free(f->sys_level_name);
		free_kv(f->environment, f->nenvironment);
	}
	free(cfg->functions);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		free(cfg->routes[i].key);
		free(cfg->routes[i].method);
		free(cfg->routes[i].path);
		for (size_t j = 0; j < cfg->routes[i].nscopes; j++)
			free(cfg->routes[i].scopes[j]);
		free(cfg->routes[i].scopes);
	}
	free(cfg->routes);
	for (size_t i = 0; i < cfg->nauthorizers; i++)
		lb_config__free_authorizer(&cfg->authorizers[i]);
	free(cfg->authorizers);
	for (size_t i = 0; i < cfg->napi_keys; i++) {
		free(cfg->api_keys[i].name);
		free(cfg->api_keys[i].id);
		free(cfg->api_keys[i].value);
		free(cfg->api_keys[i].quota_period_name);
	}
	free(cfg->api_keys);
	free(cfg->api_key_source);
	free(cfg->state_dir);
	free(cfg->shared_state);
	free(cfg->shared_state_failure);
	for (size_t i = 0; i < LB_GWERR_COUNT; i++) {
		free(cfg->responses[i].body);
		free_kv(cfg->responses[i].headers, cfg->responses[i].nheaders);
	}
	free(cfg);
}

int
lb_config_function_index(const struct lb_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nfunctions; i++)
		if (cfg->functions[i].name != NULL &&
		    strcmp(cfg->functions[i].name, name) == 0)
			return (int)i;
	return -1;
}
