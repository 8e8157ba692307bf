/*
 * import_int.h - the importer's model, shared by its files (prefix
 * lb_imp_): what a template declares, as the configuration will say it.
 * Everything lives in the import's arena.
 */
#ifndef LB_IMPORT_INT_H
#define LB_IMPORT_INT_H

#include <stdbool.h>

#include "import/import.h"
#include "import/ynode.h"

#define LB_IMP_UNSET (-1.0)

struct lb_imp_strs {
	const char **v;
	size_t n;
};

struct lb_imp_func {
	const char *name;
	int line;
	const char *runtime, *handler, *code_uri; /* as the template says */
	const char *module, *symbol;              /* a native module */
	double timeout, memory, reserved, provisioned; /* LB_IMP_UNSET */
	struct lb_ynode *env;         /* map of resolved strings, or NULL */
	struct lb_imp_strs bootstrap; /* a --runtime mapping */
	const char *unmapped;         /* why it is commented out, or NULL */
	struct lb_imp_strs notes;
	const char *cors_key; /* a preflight function's CORS values */
	const char *ric;      /* a built-in runtime: "node", "python" */
};

struct lb_imp_auth {
	const char *name;
	int line;
	const char *type; /* TOKEN, REQUEST, JWT */
	const char *function;
	struct lb_imp_strs identity;
	const char *validation, *payload, *issuer;
	struct lb_imp_strs audience, scopes; /* scopes: the routes' default */
	double ttl;
	int simple; /* -1 unset */
	const char *unmapped;
};

struct lb_imp_cors;

struct lb_imp_route {
	const char *key;                /* "GET /x" or "$default" */
	const struct lb_imp_cors *cors; /* a REST route's own (serverless) */
	const char *function, *authorizer, *payload;
	int line;
	bool api_key;
	struct lb_imp_strs scopes;
	double rate, burst;
	const char *unmapped;
};

struct lb_imp_cors {
	bool set;
	struct lb_imp_strs origins, methods, headers, expose;
	double max_age;
	int credentials;
	bool auth, api_key; /* REST: preflights get the API's defaults */
};

struct lb_imp_gwresp {
	const char *type, *body;
	double status;
	struct lb_ynode *headers; /* map of strings */
};

struct lb_imp_api {
	const char *name;
	int line;
	bool http;
	bool implicit;
	const char *stage, *key_source;
	struct lb_ynode *stage_vars;
	struct lb_imp_cors cors;
	struct lb_imp_strs binary;
	double rate, burst;
	double quota_limit, plan_rate, plan_burst;
	const char *quota_period;
	bool usage_plan;
	struct lb_imp_strs key_names, key_values; /* known API keys */
	const char *default_auth;
	struct lb_ynode *settings; /* MethodSettings / RouteSettings */
	bool default_key;
	struct lb_imp_auth **auths;
	size_t nauths;
	struct lb_imp_route **routes;
	size_t nroutes;
	struct lb_imp_gwresp **gwresps;
	size_t ngwresps;
	struct lb_imp_strs notes;
};

struct lb_imp {
	struct lb_arena a;
	const struct lb_import_opts *o;
	const char *format; /* "SAM", "OpenAPI", "serverless.yml" */
	struct lb_ynode *root;
	struct lb_imp_api **apis;
	size_t napis;
	struct lb_imp_func **funcs;
	size_t nfuncs;
	struct lb_imp_strs warnings; /* "LINE: reason" */
	struct lb_imp_strs notes;    /* comments only */
	/* the intrinsics' symbols (SAM) */
	struct lb_ynode *params, *conditions, *mappings, *resources;
	const char *region, *account;
	bool any_arn_is_function; /* OpenAPI: ${X.Arn} names function X */
	bool preflight_checked;   /* o->installed asked for the preflight */
	char err[1024];
};

/* warnings become `FILE:LINE: reason` lines and comments */
void lb_imp_warn(struct lb_imp *imp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* a comment in the output that is no warning (AutoPublishAlias ...) */
void lb_imp_note(struct lb_imp *imp, struct lb_imp_strs *to, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
int lb_imp_strs_add(struct lb_imp *imp, struct lb_imp_strs *s, const char *v);
/* appends p to the array *v of *n pointers; -1 when out of memory */
int lb_imp_push(struct lb_imp *imp, void *arrp, size_t *n, void *p);

struct lb_imp_api *lb_imp_api_new(
    struct lb_imp *imp, const char *name, bool http, int line);
struct lb_imp_api *lb_imp_api_find(struct lb_imp *imp, const char *name);
/* a new authorizer of api (its settings unset); NULL out of memory */
struct lb_imp_auth *lb_imp_auth_new(
    struct lb_imp *imp, struct lb_imp_api *api, const char *name, int line);
/* api's authorizer named `name`, or NULL */
struct lb_imp_auth *lb_imp_auth_find(struct lb_imp_api *api, const char *name);
struct lb_imp_func *lb_imp_func_get(
    struct lb_imp *imp, const char *name, int line);
struct lb_imp_func *lb_imp_func_find(struct lb_imp *imp, const char *name);
/* a function named by an ARN or an integration URI ("...:function:NAME
 * ...", ".../functions/ARN/invocations"); NULL with a warning */
const char *lb_imp_arn_function(struct lb_imp *imp, const char *uri, int line);

/* intrinsic.c: a copy of n with every intrinsic resolved, or NULL (with
 * a warning at its line) when one cannot be */
struct lb_ynode *lb_imp_eval(struct lb_imp *imp, struct lb_ynode *n);
/* lb_imp_eval of map[key] read as a string (numbers and booleans are
 * strings too); NULL when absent or unresolvable */
const char *lb_imp_sv(
    struct lb_imp *imp, struct lb_ynode *map, const char *key);
/* ... as a number: 0, or -1 when absent, unresolvable or not a number */
int lb_imp_nv(
    struct lb_imp *imp, struct lb_ynode *map, const char *key, double *v);
/* ... as a boolean: 1/0, or -1 */
int lb_imp_bv(struct lb_imp *imp, struct lb_ynode *map, const char *key);
/* ... a string or a list of strings into *out (appended) */
void lb_imp_lv(struct lb_imp *imp, struct lb_ynode *map, const char *key,
    struct lb_imp_strs *out);
bool lb_imp_condition(struct lb_imp *imp, const char *name, int line);

/* the formats */
int lb_imp_sam(struct lb_imp *imp);
/* doc's routes into api, or into a new API (api NULL: the whole file) */
int lb_imp_openapi(
    struct lb_imp *imp, struct lb_ynode *doc, struct lb_imp_api *api);
int lb_imp_serverless(struct lb_imp *imp);
void lb_imp_gateway_responses(
    struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *m, bool sam);
void lb_imp_http_cors(
    struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *c, bool sam);
/* a route of api (method upper-cased; "" or NULL path: $default);
 * NULL when out of memory or a duplicate (warned) */
struct lb_imp_route *lb_imp_route_add(struct lb_imp *imp,
    struct lb_imp_api *api, const char *method, const char *path,
    const char *function, int line);
/* a rate and a burst set together, else a warning */
void lb_imp_throttle(struct lb_imp *imp, struct lb_ynode *m,
    const char *rate_key, const char *burst_key, double *rate, double *burst);
/* restcors.c: SAM's Cors of a REST API (c) into api->cors, with what its
 * Auth (auth) says of preflights */
void lb_imp_sam_rest_cors(struct lb_imp *imp, struct lb_imp_api *api,
    struct lb_ynode *c, struct lb_ynode *auth);
/* a REST API's CORS (the API's or its routes') as OPTIONS routes to
 * preflight functions, after the routes are read */
void lb_imp_rest_cors(struct lb_imp *imp, struct lb_imp_api *api);
/* An OPTIONS method of path whose mock integration `in` answers static
 * Access-Control-* headers (API Gateway's console and SAM write them) as
 * a route to a preflight function: 0, or -1 when it is no such thing or
 * there is no preflight handler (nothing added). */
int lb_imp_mock_preflight(struct lb_imp *imp, struct lb_imp_api *api,
    const char *path, struct lb_ynode *in);
/* API Gateway's static '...' value without its quotes; NULL with a
 * warning naming `name` for anything else */
const char *lb_imp_literal(
    struct lb_imp *imp, const char *v, int line, const char *name);
/* runtimes.c: f's Lambda runtime through AWS's runtime interface client
 * (nodejs*.x, python3.*) under o->ric_dir into f->bootstrap; false for
 * other runtimes */
bool lb_imp_builtin_runtime(struct lb_imp *imp, struct lb_imp_func *f);
/* a warning for each program or file mapped function f needs that
 * o->installed does not find, saying what to install */
void lb_imp_check_installed(struct lb_imp *imp, struct lb_imp_func *f);
/* the functions' runtimes: native, provided, --runtime, or unmapped */
void lb_imp_map_functions(struct lb_imp *imp);

/* emit.c: one API (or none) as configuration text; NULL out of memory */
char *lb_imp_emit(struct lb_imp *imp, struct lb_imp_api *api);

#endif /* LB_IMPORT_INT_H */
