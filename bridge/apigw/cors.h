/*
 * cors.h - an HTTP API's CORS configuration as API Gateway applies it
 * (docs/apigw-facts.md section 5): which origins it allows, the preflight
 * the gateway answers itself, and the access-control-* headers it puts on
 * every response to an allowed origin.  Pure: no I/O, no logging, no
 * globals.
 */
#ifndef LB_CORS_H
#define LB_CORS_H

#include <stddef.h>

#include "fastcgi/http.h"

struct lb_router;

#define LB_CORS_NO_MAX_AGE (-2) /* max_age not configured */

/* gateway.cors (config.h); owned by the configuration. */
struct lb_cors {
	int set; /* 0: not configured, nothing below applies */
	char **allow_origins;
	size_t nallow_origins;
	char **allow_methods;
	size_t nallow_methods;
	char **allow_headers;
	size_t nallow_headers;
	char **expose_headers;
	size_t nexpose_headers;
	int max_age; /* seconds, -1..86400, or LB_CORS_NO_MAX_AGE */
	int allow_credentials;
	/* the lists joined with "," for the headers (lb_cors_prepare); NULL
	 * when the list is empty */
	char *methods;
	char *headers;
	char *expose;
	int any_method; /* allow_methods holds "*" */
	int any_header; /* allow_headers holds "*" */
};

/*
 * Whether `s` may be an entry of allow_origins: NULL when it is "*", an
 * "null", an origin "scheme://host[:port]" (no path, no trailing slash),
 * the prefix form: the scheme, "://" and "*" (any origin of that scheme),
 * or the subdomain form: the scheme, "://", "*." and a domain with an
 * optional port; else the reason (a static string).
 */
const char *lb_cors_check_origin(const char *s);

/*
 * Joins the lists into c->methods, c->headers and c->expose and sets the
 * "*" flags.  Returns 0, or -1 when out of memory.
 */
int lb_cors_prepare(struct lb_cors *c);

/* Frees what c owns (the lists and the joined strings) and zeroes it. */
void lb_cors_free(struct lb_cors *c);

/*
 * The access-control-allow-origin value for a request from `origin` (may
 * be NULL): "*" when only a "*" entry allows it, `origin` itself when an
 * exact, prefix or subdomain entry does (scheme and host compared without
 * regard to case), NULL when the origin is absent, empty or not allowed.
 * The result is borrowed from c or is `origin`.
 */
const char *lb_cors_allow_origin(const struct lb_cors *c, const char *origin);

/*
 * Answers `req` when it is a preflight that the gateway answers itself:
 * an OPTIONS request with an Origin and an Access-Control-Request-Method
 * header, whose stage-less `path` (path_len bytes) has a route for some
 * method in `router` (the caller found none for OPTIONS itself).  Fills
 * the empty `resp` with 204, no body, and the allow headers (origin,
 * methods, headers, max-age, credentials; none when the origin is not
 * allowed).  Returns 1 when answered, 0 when `req` is not such a
 * preflight (resp untouched), -1 when out of memory (resp cleared).
 */
int lb_cors_preflight(const struct lb_cors *c, const struct lb_router *router,
    const struct lb_http_request *req, const char *path, size_t path_len,
    struct lb_http_response *resp);

/*
 * Puts the configuration's headers on the response to `req`: removes
 * every access-control-* header resp has (API Gateway ignores a
 * function's), then, when the request's Origin is allowed, adds
 * access-control-allow-origin, access-control-allow-credentials (when
 * set) and access-control-expose-headers (when configured).  Returns 0,
 * or -1 when out of memory.
 */
int lb_cors_apply(const struct lb_cors *c, const struct lb_http_request *req,
    struct lb_http_response *resp);

#endif /* LB_CORS_H */
