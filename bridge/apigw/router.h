/*
 * router.h - route table and matching with API Gateway's rules
 * (docs/apigw-facts.md sections 1.4 and 2.5): static segments beat {var} beat
 * {proxy+}, ANY matches any method not routed explicitly, {proxy+} is greedy
 * and never matches its parent, $default catches the rest.  Pure: no I/O, no
 * globals.
 */
#ifndef LB_ROUTER_H
#define LB_ROUTER_H

#include <stddef.h>

#define LB_ROUTER_MAX_PARAMS 16

/* The router borrows the configuration's route table (config.h) and
 * includes nothing above it: config.c builds a router to check routes. */
struct lb_route;
struct lb_router;

/* A path parameter; name and value point into the route and the path. */
struct lb_router_param {
	const char *name; /* without braces or '+' */
	size_t name_len;
	const char *value; /* raw (as in the matched path) */
	size_t value_len;
};

struct lb_router_match {
	const struct lb_route *route; /* borrowed from the config */
	size_t nparams;
	struct lb_router_param params[LB_ROUTER_MAX_PARAMS];
};

/*
 * Splits a route key ("GET /users/{id}", "ANY /{proxy+}", "$default") into
 * a new method and path (both NULL for $default) after checking its syntax
 * (method token, path starting with '/', well-formed {var}, {proxy+} only
 * last, no duplicate variable names).  Returns 0, or -1 with the reason in
 * err.  The caller frees *method and *path.
 */
int lb_router_parse_key(
    const char *key, char **method, char **path, char *err, size_t errlen);

/*
 * Builds a router over `routes` (borrowed: they must outlive the router).
 * Returns NULL with the reason in err, and the index of the offending route
 * in *bad (two routes with the same method and template are a conflict).
 */
struct lb_router *lb_router_new(const struct lb_route *routes, size_t nroutes,
    size_t *bad, char *err, size_t errlen);

/*
 * REST API rules (docs/apigw-facts.md section 1.4): the most specific resource
 * is chosen by path alone, and a method it does not define (without ANY) is
 * "no route" rather than a fall-through to a less specific resource.  Off
 * by default (HTTP API rules).
 */
void lb_router_set_rest(struct lb_router *r, int rest);

/* Frees a router; NULL is fine. */
void lb_router_free(struct lb_router *r);

/*
 * Matches `method` and the raw request `path` (percent-encoded, stage
 * removed, path_len bytes, starting with '/').  Fills *m and returns 0, or
 * returns -1 when no route matches (the API's 403/404).  Parameter values
 * point into `path`.
 */
int lb_router_match(const struct lb_router *r, const char *method,
    const char *path, size_t path_len, struct lb_router_match *m);

#endif /* LB_ROUTER_H */
