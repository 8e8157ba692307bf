/*
 * gateway_int.h - internals shared by the gateway's files: the request
 * pipeline (gateway.c) and the configuration generations it runs on
 * (generation.c).  Prefix lb_gen_.  Included by nothing outside apigw/.
 */
#ifndef LB_GATEWAY_INT_H
#define LB_GATEWAY_INT_H

#include <stdint.h>

#include "config.h"
#include "apigw/throttle.h"

struct lb_accesslog;
struct lb_admit_gen;
struct lb_authcache;
struct lb_logfile;
struct lb_envs;
struct lb_gateway;
struct lb_gen_metrics;
struct lb_router;

struct lb_quota_count;

/* An API key's usage plan: its bucket and its quota's count (quota.h,
 * shared by every generation; NULL: no quota). */
struct lb_gen_key {
	struct lb_throttle bucket;
	struct lb_quota_count *quota;
};

/* An authorizer's counters (atomic), written by SIGUSR1. */
struct lb_gen_authz {
	uint64_t invoked;      /* its function invoked */
	uint64_t cache_hits;   /* answered from the cache */
	uint64_t allowed;      /* requests let on */
	uint64_t denied;       /* 403 */
	uint64_t unauthorized; /* 401 */
	uint64_t failed;       /* 500 */
};

/*
 * One configuration generation: what a request runs on from start to end.
 * The buckets start afresh with each generation, as they do with a new
 * deployment; the quota counts carry over (quota.h).
 */
struct lb_jwks_store;

struct lb_gen {
	struct lb_config *cfg;
	struct lb_router *router;
	struct lb_envs *envs;
	struct lb_throttle *route_buckets; /* one per route */
	struct lb_throttle account_bucket; /* all routes together */
	struct lb_gen_key *keys;           /* one per API key */
	struct lb_authcache *authcache; /* authorizers' results; NULL: none */
	struct lb_gen_authz *authz;     /* one per authorizer */
	/* JWT authorizers' signing keys, one per authorizer (NULL for the
	 * others); NULL when there is no JWT authorizer */
	struct lb_jwks_store **jwks;
	/* gateway.access_log: its compiled format and file; NULL: none */
	struct lb_accesslog *access_fmt;
	struct lb_logfile *access_file;
	struct lb_admit_gen *admit; /* shared state (admit.h); NULL: none */
	uint64_t throttled;  /* requests answered 429 THROTTLED (atomic) */
	uint64_t over_quota; /* ... and 429 QUOTA_EXCEEDED (atomic) */
	struct lb_gen_metrics *metrics; /* its counters (apigw/metrics.h) */
	int refs; /* requests in flight, +1 while current */
};

/* The current generation, with a reference the caller must drop with
 * lb_gen_release. */
struct lb_gen *lb_gen_acquire(struct lb_gateway *gw);

/* Drops a reference on g; the last one frees an old generation on a
 * thread of its own. */
void lb_gen_release(struct lb_gateway *gw, struct lb_gen *g);

#endif /* LB_GATEWAY_INT_H */
