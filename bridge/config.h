/*
 * config.h - the lambdabridge configuration (docs/design.md section 4), loaded
 * from a libconfig file into an immutable struct.  Only the loader's files
 * (config*.c, through config_int.h) include libconfig.h.
 */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

#include <regex.h>
#include <stddef.h>
#include <sys/types.h>

#include "apigw/cors.h"
#include "apigw/gwerror.h"
#include "base/kv.h"
#include "apigw/throttle.h"

enum lb_api {
	LB_API_REST, /* REST API: payload 1.0, binary media types, REST bodies */
	LB_API_HTTP, /* HTTP API: payload 2.0 by default, HTTP API bodies */
};

/* How a function's code runs (docs/runtimes.md). */
enum lb_runtime {
	LB_RUNTIME_NATIVE,   /* a module's handler symbol, dlopen'ed */
	LB_RUNTIME_PROVIDED, /* a bootstrap on the Lambda Runtime API */
};

struct lb_function {
	char *name;
	enum lb_runtime runtime;
	char *runtime_name; /* as configured, until checked; NULL: native */
	char *module;       /* native: absolute path of the .so, else NULL */
	char *handler;      /* native: symbol name; provided: _HANDLER */
	/* provided: the bootstrap's argv (the first an absolute path) and
	 * its folder, LAMBDA_TASK_ROOT and working directory */
	char **bootstrap;
	size_t nbootstrap;
	char *code_dir;
	char *version;            /* "$LATEST" unless configured */
	double timeout;           /* seconds, default 3, (0, 900] */
	int memory;               /* MB, default 128, 128..10240 */
	int reserved_concurrency; /* -1 when unreserved (the default) */
	int provisioned;          /* environments started at boot, default 0 */
	double
	    idle_timeout; /* seconds an idle environment lives, default 300 */
	int max_requests; /* recycle after this many invocations, 0 = never */
	struct lb_kv *environment;
	size_t nenvironment;
	/* who its environments run as (docs/security.md): user is NULL when
	 * neither it nor gateway.user names one; uid/gid resolved */
	char *user;
	char *group;
	uid_t uid;
	gid_t gid;
	char *seccomp; /* "default" or "none" (NULL: none) */
	/* Lambda's advanced logging controls (docs/operations.md section 4):
	 * as configured, then checked into log_json and the levels */
	char *log_format;     /* "Text" (NULL: Text) or "JSON" */
	char *app_level_name; /* application_log_level, JSON only */
	char *sys_level_name; /* system_log_level, JSON only */
	int log_json;         /* log_format = "JSON" */
	int app_log_level;    /* enum lb_jsonlog_level, default INFO */
	int sys_log_level;    /* enum lb_jsonlog_level, default INFO */
	int line;             /* where it was defined, for messages */
};

/* gateway.access_log (docs/operations.md section 4): .set == 0: none */
struct lb_access_log {
	int set;
	char *path;   /* absolute once loaded */
	char *format; /* checked by lb_accesslog_parse */
};

struct lb_authorizer;

struct lb_route {
	char *key;          /* as configured: "GET /users/{id}" or "$default" */
	char *method;       /* "GET", "ANY", ...; NULL for $default */
	char *path;         /* "/users/{id}"; NULL for $default */
	size_t function;    /* index into lb_config.functions */
	int payload_format; /* 1 or 2 (the route's, or the gateway default) */
	/* the route's own throttling, else the gateway's default; rate < 0
	 * when neither is set */
	struct lb_throttle_limits throttle;
	int api_key_required; /* REST: a valid x-api-key header is needed */
	/* its authorizer (in lb_config.authorizers), NULL: none */
	const struct lb_authorizer *authorizer;
	char **scopes; /* authorization_scopes (JWT authorizers) */
	size_t nscopes;
	int line;
};

/* Authorizer types: REST has TOKEN and REQUEST, an HTTP API REQUEST and
 * JWT (docs/authorizers.md). */
enum lb_authorizer_type {
	LB_AUTHORIZER_TOKEN,
	LB_AUTHORIZER_REQUEST,
	LB_AUTHORIZER_JWT,
};

/* Where an identity source is read from. */
enum lb_identity_kind {
	LB_IDENTITY_HEADER,         /* name: lowercase ("authorization") */
	LB_IDENTITY_QUERY,          /* name: as written, case-sensitive */
	LB_IDENTITY_STAGE_VARIABLE, /* name: the stage variable */
	LB_IDENTITY_CONTEXT,        /* name: "identity.sourceIp", ... */
};

struct lb_identity_source {
	char *source; /* as configured: "method.request.header.Auth" */
	enum lb_identity_kind kind;
	char *name;
};

/* An authorizer (the `authorizers` list). */
struct lb_authorizer {
	char *name;
	enum lb_authorizer_type type;
	size_t function; /* TOKEN, REQUEST: index into lb_config.functions */
	struct lb_identity_source *identity; /* in configured order */
	size_t nidentity;
	char *validation_expression; /* TOKEN; NULL: none */
	regex_t *validation_re;      /* ... compiled (POSIX ERE) */
	int ttl;              /* result cache, seconds; 0: off (not JWT) */
	int payload_format;   /* 1 or 2: the event's (REST: 1) */
	int simple_responses; /* HTTP API, payload 2.0: isAuthorized */
	/* JWT */
	char *issuer;
	char **audience;
	size_t naudience;
	char *jwks_file; /* absolute path, or NULL */
	char *jwks_uri;  /* or NULL: both NULL is OIDC discovery */
	int line;
};

/* A REST API key (api_keys), with its usage plan's limits. */
struct lb_api_key {
	char *name;
	char *id;    /* requestContext.identity.apiKeyId */
	char *value; /* what clients send in x-api-key */
	int enabled;
	struct lb_throttle_limits throttle; /* rate < 0: none */
	int quota_limit;                    /* requests per period; -1: none */
	enum lb_quota_period quota_period;
	char *quota_period_name; /* as configured, until checked */
	int line;
};

struct lb_config {
	char *path; /* the file it was loaded from */
	/* every file read: path first, then each @include'd one (with the
	 * config's directory in front of a relative name), for --watch */
	char **files;
	size_t nfiles;

	/* gateway: */
	enum lb_api api;
	char *listen;       /* "unix:/path", "127.0.0.1:9000", or NULL = fd 0 */
	int listen_mode;    /* a unix socket's permissions, default 0660 */
	char *listen_owner; /* its user and group (names or ids), or NULL */
	char *listen_group;
	/* FastCGI connections: seconds a request may stall (twice that idle
	 * between requests), default 60; bytes all may buffer, default 64 MB */
	double connection_timeout;
	size_t max_buffered;
	int payload_format; /* default for routes: 1 (REST) or 2 (HTTP) */
	char *stage;        /* "$default" unless configured */
	struct lb_kv *stage_variables;
	size_t nstage_variables;
	double integration_timeout; /* seconds: default 29 REST, 30 HTTP */
	int account_concurrency;    /* default 1000 */
	size_t max_request_body;    /* bytes, default 10485760 */
	char **binary_media_types;  /* REST only */
	size_t nbinary_media_types;
	int threads;       /* pool threads (loop.h), default 64 */
	int spare_workers; /* workers started ahead for cold starts, default 1 */
	char *region;      /* AWS_REGION, default "us-east-1" */
	char *account_id;  /* 12 digits, default "123456789012" */
	char *api_id;      /* 10 lowercase alnum, default derived from path */
	char *domain_name; /* requestContext.domainName; NULL = from Host */
	/* throttling: each route's default, and all routes together; rate <
	 * 0 when not set */
	struct lb_throttle_limits throttle;
	struct lb_throttle_limits account_throttle;
	struct lb_cors cors; /* gateway.cors (HTTP API); .set == 0: none */
	struct lb_access_log access_log;
	/* shared state (docs/scale-out.md): Redis's address, NULL when off;
	 * every call's deadline and the leases' expiry (seconds); on failure
	 * "local" (the default) or "closed"; whether the buckets are shared */
	char *shared_state;
	double shared_state_timeout;
	double shared_lease_ttl;
	char *shared_state_failure;
	int shared_state_closed;
	int shared_throttle;
	int shared_lease_pool; /* spare leases kept per bridge, default 1 */
	/* privileges (docs/security.md): gateway.user (NULL: none), its
	 * resolved ids, and StrictModes for modules and this file */
	char *user;
	char *group;
	uid_t uid;
	gid_t gid;
	int strict_modes; /* default 1 */
	/* where quota counts survive restarts (apigw/quota.h); NULL: in
	 * memory only.  Read at start: a reload does not move it */
	char *state_dir;
	/* the metrics endpoint (docs/operations.md section 3): its path, or
	 * NULL when off; who may read it (CIDRs), NULL for loopback only */
	char *metrics_path;
	char **metrics_allow;
	size_t nmetrics_allow;

	struct lb_function *functions;
	size_t nfunctions;
	struct lb_route *routes;
	size_t nroutes;
	struct lb_api_key *api_keys;
	size_t napi_keys;
	/* REST: "HEADER" (x-api-key, the default) or "AUTHORIZER" (the
	 * authorizer's usageIdentifierKey); NULL until set */
	char *api_key_source;
	int api_key_from_authorizer;
	struct lb_authorizer *authorizers;
	size_t nauthorizers;
	/* gateway_responses overrides, indexed by type; .set == 0 when none */
	struct lb_gateway_response responses[LB_GWERR_COUNT];
};

/*
 * Checks that `module` can be loaded and exports `symbol`; writes the reason
 * to err and returns -1 if not.  config.c calls it for every function when
 * given one (the daemon passes a probe that runs in a child process, so a
 * module's constructors never run inside the gateway).
 */
typedef int lb_config_probe(
    const char *module, const char *symbol, char *err, size_t errlen);

/*
 * Loads and validates `path`.  Returns a new config (free it with
 * lb_config_free), or NULL with "file:line: setting: reason" in err.
 * Relative module paths are resolved against the config file's directory.
 * `probe` may be NULL (modules are then only checked to exist).
 */
struct lb_config *lb_config_load(
    const char *path, lb_config_probe *probe, char *err, size_t errlen);

/* Receives one error of lb_config_load_all: "FILE:LINE: setting: reason",
 * one line (borrowed: copy what you keep). */
typedef void lb_config_report(void *arg, const char *msg);

/*
 * Like lb_config_load, but goes on after an error to find the others, as
 * `lambdabridge check` reports them: every setting of every section is
 * checked, and each error goes to report(arg, msg) as it is found (err
 * gets the first).  What depends on a section with an error (the routes'
 * functions when a function is wrong, module probes) is checked only
 * when nothing before it failed.  Returns the config when there was no
 * error, else NULL; *nerrors (may be NULL) is the count.
 */
struct lb_config *lb_config_load_all(const char *path, lb_config_probe *probe,
    lb_config_report *report, void *arg, size_t *nerrors, char *err,
    size_t errlen);

/*
 * Checks what only a bridge that may switch users needs (`privileged`, see
 * lb_sandbox_privileged): every function names its user, directly or by
 * gateway.user.  0, or -1 with "file:line: setting: reason" in err.
 */
int lb_config_check_users(
    const struct lb_config *cfg, int privileged, char *err, size_t errlen);

/* Frees a config from lb_config_load; NULL is fine. */
void lb_config_free(struct lb_config *cfg);

/* Index of the function named `name`, or -1. */
int lb_config_function_index(const struct lb_config *cfg, const char *name);

/* Index of the authorizer named `name`, or -1. */
int lb_config_authorizer_index(const struct lb_config *cfg, const char *name);

/* "TOKEN", "REQUEST" or "JWT". */
const char *lb_config_authorizer_type_name(enum lb_authorizer_type type);

#endif /* LB_CONFIG_H */
