/*
 * metrics.h - the gateway's metrics in Prometheus's text format, served
 * at gateway.metrics_path to the networks of gateway.metrics_allow
 * (docs/operations.md section 3).  Counters of functions and routes live
 * in a registry the gateway keeps across reloads, found by the function's
 * name and the route's key, so that they only ever grow; each generation
 * binds its functions and routes to them (lb_metrics_bind).
 */
#ifndef LB_METRICS_H
#define LB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/cidr.h"
#include "base/prom.h"
#include "config.h"
#include "fastcgi/http.h"

struct lb_gen;
struct lb_fn_metrics;

/* Status classes counted per route: 2xx .. 5xx (the FastCGI layer sends
 * any other status as a 500). */
#define LB_METRICS_CLASSES 4

/* A route's counters (relaxed atomics: any thread, any generation). */
struct lb_route_metrics {
	uint64_t requests[LB_METRICS_CLASSES]; /* by status class */
	uint64_t throttled;                    /* 429 THROTTLED */
	uint64_t over_quota;                   /* 429 QUOTA_EXCEEDED */
	struct lb_prom_hist latency;           /* request in to response out */
	struct lb_prom_hist integration; /* invocation sent to result in */
};

/* The registry, one per gateway. */
struct lb_metrics;

/* A generation's bindings (lb_gen.metrics). */
struct lb_gen_metrics {
	struct lb_metrics *reg;
	struct lb_fn_metrics **fns;       /* one per function */
	struct lb_route_metrics **routes; /* one per route */
	struct lb_route_metrics *none;    /* requests that matched none */
	struct lb_cidr *allow;            /* who may read metrics_path */
	size_t nallow;
};

/* A new, empty registry, or NULL when out of memory. */
struct lb_metrics *lb_metrics_new(void);

/* Frees the registry, once no generation is bound to it.  NULL is fine. */
void lb_metrics_free(struct lb_metrics *m);

/*
 * Binds generation g (its config and environments) to m: the counters of
 * its functions and routes (found by name, created at zero), which its
 * environments then count into, and its allow list (the loopback networks
 * when metrics_allow is not set).  Sets g->metrics; 0, or -1 when out of
 * memory.
 */
int lb_metrics_bind(struct lb_metrics *m, struct lb_gen *g);

/* Frees g->metrics (not the counters: they stay in the registry). */
void lb_metrics_unbind(struct lb_gen *g);

/* What lb_metrics_serve did with a request. */
enum lb_metrics_outcome {
	LB_METRICS_PASS,   /* not for metrics_path: the API's routes take it */
	LB_METRICS_SERVED, /* resp holds the metrics */
	LB_METRICS_DENIED, /* from outside metrics_allow: answer as a missing
			    * route */
};

/*
 * Takes GET and HEAD requests for g's metrics_path: from an allowed
 * REMOTE_ADDR, the text in resp (200, Content-Type LB_PROM_CONTENT_TYPE;
 * a 500 when out of memory); from elsewhere, DENIED and resp untouched.
 */
enum lb_metrics_outcome lb_metrics_serve(struct lb_gen *g,
    const struct lb_http_request *req, struct lb_http_response *resp);

/*
 * Counts a request the API answered: `route` (NULL when none matched) by
 * the class of `status`, its latency and, when it invoked its function
 * (`integ_us` >= 0), the integration latency.  Microseconds.
 */
void lb_metrics_request(struct lb_gen *g, const struct lb_route *route,
    int status, int64_t total_us, int64_t integ_us);

/* A request to `route` answered 429 by the gateway's throttling
 * (`quota` 0) or its usage plan's quota (1). */
void lb_metrics_refused(
    struct lb_gen *g, const struct lb_route *route, int quota);

/*
 * The text of the metrics of g and its registry (what lb_metrics_serve
 * answers), malloc'ed with its length in *len, or NULL when out of
 * memory.
 */
char *lb_metrics_text(struct lb_gen *g, size_t *len);

#endif /* LB_METRICS_H */
