/*
 * config_int.h - internals shared by the files of the configuration loader
 * (config.c, config_table.c, config_check.c, config_functions.c,
 * config_routes.c), prefix lb_config__.  Only these files include
 * it: it includes libconfig.h.
 */
#ifndef LB_CONFIG_INT_H
#define LB_CONFIG_INT_H

#include <libconfig.h>
#include <stddef.h>

#include "config.h"
#include "apigw/throttle.h"

/* One load: where messages go and what they name. */
struct lb_config__ctx {
	const char *path; /* as given, for messages */
	const char *dir; /* the config's real directory, for @include'd files */
	char *err;
	size_t errlen;
	/* lb_config_load_all: go on after an error, each one reported */
	lb_config_report *report;
	void *report_arg;
	size_t nerrors;
};

/* Collecting every error (lb_config_load_all), not stopping at the first. */
#define LB_CONFIG__COLLECTING(c) ((c)->report != NULL)

/*
 * Writes "FILE:LINE: WHERE: reason" to c's error buffer, FILE and LINE
 * those of setting s (the file alone when s is NULL); returns -1.  When
 * collecting, the buffer keeps the first error and each one goes to
 * c->report as well.
 */
int lb_config__fail(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Gives msg, its control characters escaped, to c->report. */
void lb_config__report(struct lb_config__ctx *c, const char *msg);

/*
 * "unknown setting" for `name` at s, with "did you mean" the nearest of
 * names[0 .. n-1] when one is near, else followed by `known` (" (sections
 * are ...)"); returns -1.
 */
int lb_config__unknown(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *name, const char *const *names, size_t n,
    const char *known);

/* Formats a setting's dotted path into buf; cut when long (messages). */
void lb_config__setpath(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * What a table row stores, and from what.  KV and STRLIST store their count
 * at count_off and take at most `max` entries (0: no limit).
 */
enum lb_config__kind {
	LB_CONFIG__K_STR,     /* char *, copied */
	LB_CONFIG__K_INT,     /* int in [min, max] */
	LB_CONFIG__K_SIZE,    /* size_t in [min, max] */
	LB_CONFIG__K_NUM,     /* double in [min, max]; an integer too */
	LB_CONFIG__K_API,     /* enum lb_api from "http" / "rest" */
	LB_CONFIG__K_PAYLOAD, /* int 1 / 2 from "1.0" / "2.0" */
	LB_CONFIG__K_KV,      /* a group of strings -> struct lb_kv * */
	LB_CONFIG__K_STRLIST, /* an array or list of strings -> char ** */
	LB_CONFIG__K_BOOL,    /* int 0 / 1 from false / true */
	LB_CONFIG__K_MODE,    /* int permissions in [min, max], octal */
	LB_CONFIG__K_GROUP, /* a group, by the table `sub`; int 1 at count_off */
};

#define LB_CONFIG__REQUIRED 0x1
#define LB_CONFIG__MIN_EXCL 0x2 /* min itself is out of range */

/* One row of a table: a setting, where it goes in the struct, its rules. */
struct lb_config__field {
	const char *name;
	enum lb_config__kind kind;
	size_t off;
	size_t count_off;
	unsigned flags;
	double min, max; /* the range; KV, STRLIST: the most entries */
	const char *(*check)(const char *);       /* strings, KV keys */
	const char *(*check_value)(const char *); /* KV values */
	const struct lb_config__field *sub;       /* GROUP: its settings */
	size_t nsub;
};

/*
 * 0 when s has libconfig type `type` (CONFIG_TYPE_INT also takes INT64),
 * else -1 with "expected ..., not ..." (lb_config__fail).
 */
int lb_config__want_type(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, int type);

/*
 * Applies the table `fields` to group `s` (named `where` in messages),
 * storing into `dst`: unknown names, wrong types, bad values and missing
 * required settings are errors (-1 and lb_config__fail's message); 0 when
 * every setting is stored.  Strings and lists stored are malloc'ed and
 * belong to dst, also on failure.
 */
int lb_config__parse_group(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const struct lb_config__field *fields, size_t nfields,
    void *dst);

/*
 * The validators of string settings (config_check.c), one per kind of
 * value, named in the tables: NULL when `s` is fine, else the reason (a
 * static string) that lb_config__fail quotes after the value.
 */
const char *lb_config__check_nonempty(const char *s);
const char *lb_config__check_state_dir(const char *s);
const char *lb_config__check_listen(const char *s);
const char *lb_config__check_owner(const char *s);
const char *lb_config__check_group(const char *s);
const char *lb_config__check_stage(const char *s);
const char *lb_config__check_stage_var_key(const char *s);
const char *lb_config__check_stage_var_value(const char *s);
const char *lb_config__check_media_type(const char *s);
const char *lb_config__check_region(const char *s);
const char *lb_config__check_account_id(const char *s);
const char *lb_config__check_api_id(const char *s);
const char *lb_config__check_domain(const char *s);
const char *lb_config__check_key_name(const char *s);
const char *lb_config__check_key_value(const char *s);
const char *lb_config__check_quota_period(const char *s);
const char *lb_config__check_seccomp(const char *s);
const char *lb_config__check_runtime(const char *s);
const char *lb_config__check_log_format(const char *s);
const char *lb_config__check_app_log_level(const char *s);
const char *lb_config__check_sys_log_level(const char *s);
const char *lb_config__check_handler(const char *s);
const char *lb_config__check_handler_chars(const char *s);
const char *lb_config__check_function_name(const char *s);
const char *lb_config__check_symbol(const char *s);
const char *lb_config__check_version(const char *s);
const char *lb_config__check_env_key(const char *s);
const char *lb_config__check_header_name(const char *s);
const char *lb_config__check_header_value(const char *s);
const char *lb_config__check_method(const char *s);
const char *lb_config__check_origin(const char *s);
const char *lb_config__check_authorizer_name(const char *s);
const char *lb_config__check_api_key_source(const char *s);
const char *lb_config__check_shared_state(const char *s);
const char *lb_config__check_shared_failure(const char *s);
const char *lb_config__check_url(const char *s);
const char *lb_config__check_metrics_path(const char *s);
const char *lb_config__check_cidr(const char *s);

/* The tables of the sections in their own files (config.c holds them all,
 * as redis keeps its settings in one table), and their lengths. */
extern const struct lb_config__field lb_config__function_fields[];
extern const size_t lb_config__nfunction_fields;
extern const struct lb_config__field lb_config__route_fields[];
extern const size_t lb_config__nroute_fields;
extern const struct lb_config__field lb_config__api_key_fields[];
extern const size_t lb_config__napi_key_fields;
extern const struct lb_config__field lb_config__response_fields[];
extern const size_t lb_config__nresponse_fields;
extern const struct lb_config__field lb_config__authorizer_fields[];
extern const size_t lb_config__nauthorizer_fields;

/* A route as written, before the function name is resolved. */
struct lb_config__route_src {
	char *route;
	char *function;
	int payload_format;
	struct lb_throttle_limits throttle;
	int api_key_required;
	char *authorizer;
	char **scopes;
	size_t nscopes;
};

/* An authorizer as written, before its type and names are resolved;
 * ttl and simple_responses are -1 when not set. */
struct lb_config__authorizer_src {
	char *name;
	char *type;
	char *function;
	char **identity;
	size_t nidentity;
	char *validation_expression;
	int ttl;
	int payload_format;
	int simple_responses;
	char *issuer;
	char **audience;
	size_t naudience;
	char *jwks_file;
	char *jwks_uri;
};

/* Throttling limits that are off: { -1, -1 }. */
extern const struct lb_throttle_limits lb_config__no_throttle;

/* Sets *dst to a copy of v when it is NULL; returns *dst (NULL: out of
 * memory). */
char *lb_config__dup_default(char **dst, const char *v);

/* 10 lowercase alphanumerics from an FNV-1a hash of `s`, into out. */
void lb_config__derive_api_id(const char *s, char out[11]);

/* The member `name` of group `g`, else `g` itself (for a line number). */
const config_setting_t *lb_config__member_or(
    const config_setting_t *g, const char *name);

/*
 * Settings `a` and `b` of group s (whose path is `prefix`, "gateway.") come
 * together: 0, or -1 naming the one missing when only the other is there.
 */
int lb_config__check_pair(struct lb_config__ctx *c, const config_setting_t *s,
    const char *prefix, const char *a, int has_a, const char *b, int has_b);

/*
 * A rate limit needs its burst limit and the other way round: 0, or -1
 * naming the missing one.  `prefix` is the path of group s ("gateway."),
 * `kind` "" or "account_".
 */
int lb_config__throttle_pair(struct lb_config__ctx *c,
    const config_setting_t *s, const char *prefix, const char *kind,
    struct lb_throttle_limits *lim);

/* StrictModes (lb_sandbox_path_check) for `path`, named at `s`: 0 or -1. */
int lb_config__strict_path(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *path);

/*
 * Resolves `prefix`user and `prefix`group of section s into *uid and *gid;
 * nothing when user is NULL (a group alone is an error).  0 or -1.
 */
int lb_config__resolve_ids(struct lb_config__ctx *c, const config_setting_t *s,
    const char *prefix, const char *user, const char *group, uid_t *uid,
    gid_t *gid);

/*
 * The `functions` list into cfg->functions (config_functions.c), modules
 * resolved against `dir`; then the account's concurrency checked over
 * them; then each module probed with `probe`.  Each 0, or -1 with the
 * message.
 */
int lb_config__load_functions(struct lb_config__ctx *c,
    const config_setting_t *list, const char *dir, struct lb_config *cfg);
int lb_config__check_concurrency(struct lb_config__ctx *c,
    const config_setting_t *list, struct lb_config *cfg);
int lb_config__probe_modules(struct lb_config__ctx *c,
    const config_setting_t *list, lb_config_probe *probe,
    struct lb_config *cfg);

/*
 * The `gateway_responses` group, the `api_keys` list (REST only) and the
 * `routes` list into cfg (config_routes.c), the routes naming cfg's
 * functions.  Each 0, or -1 with the message.
 */
int lb_config__load_responses(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg);
int lb_config__load_api_keys(struct lb_config__ctx *c,
    const config_setting_t *list, struct lb_config *cfg);
int lb_config__load_routes(struct lb_config__ctx *c,
    const config_setting_t *list, struct lb_config *cfg);

/*
 * What gateway.cors needs beyond its table (config_routes.c): an HTTP API,
 * no credentials with the "*" origin; then the joined header values.  `g`
 * is the gateway group.  0, or -1 with the message.
 */
int lb_config__check_cors(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg);

/*
 * The logging settings (config_logs.c): a function's log_format and
 * levels, checked together into f->log_json and its levels (`fs` its
 * group, named `where`); gateway.access_log's format compiled and its
 * path made absolute, its folder there (`g` the gateway group).  Each 0,
 * or -1 with the message.
 */
int lb_config__function_logs(struct lb_config__ctx *c,
    const config_setting_t *fs, const char *where, struct lb_function *f);
int lb_config__check_access_log(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg);

/*
 * The `authorizers` list into cfg (config_authorizers.c), naming cfg's
 * functions, jwks_file resolved against `dir`; then a route's
 * `authorizer` and `authorization_scopes` (rs, the route's group, named
 * routes[i]) into r.  Each 0, or -1 with the message.
 */
int lb_config__load_authorizers(struct lb_config__ctx *c,
    const config_setting_t *list, const char *dir, struct lb_config *cfg);
int lb_config__route_authorizer(struct lb_config__ctx *c,
    const config_setting_t *rs, int i, struct lb_config__route_src *src,
    struct lb_config *cfg, struct lb_route *r);

/* Frees what an authorizer owns (not a itself). */
void lb_config__free_authorizer(struct lb_authorizer *a);

#endif /* LB_CONFIG_INT_H */
