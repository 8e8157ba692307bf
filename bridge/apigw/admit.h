/*
 * admit.h - a request's admission through the shared state of the
 * bridges behind one nginx (gateway.shared_state, docs/scale-out.md): the
 * usage plan's quota, with gateway.shared_throttle the buckets, then a
 * concurrency lease for the route's function, asked of Redis in one
 * script call that the loop never waits for.
 *
 * The gateway asks before its checks (lb_admit_start) and goes on from
 * the callback; the checks then read the verdict (lb_admit_check,
 * lb_admit_local), and the request's end gives the lease back
 * (lb_admit_end).  Without an answer in time the verdict is "failed":
 * local limits (gateway.shared_state_failure = "local") or the throttle
 * response ("closed").
 */
#ifndef LB_ADMIT_H
#define LB_ADMIT_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "apigw/gwerror.h"
#include "state/redis.h"

struct lb_admit_gen;

/* Called once the verdict is in, on the shared-state client's thread. */
typedef void lb_admit_fn(void *arg);

/* One request's admission; zero it (calloc) before lb_admit_start. */
struct lb_admit {
	struct lb_admit_gen *ag; /* NULL: not asked (no shared state) */
	enum lb_shared_verdict verdict;
	size_t fn;      /* the function the lease is for */
	uint64_t epoch; /* the connection that gave the lease */
	int leased;
	lb_admit_fn *cb;
	void *arg;
};

/* What the local checks still do (lb_admit_local). */
enum lb_admit_scope {
	LB_ADMIT_BUCKETS,
	LB_ADMIT_QUOTA,
};

/*
 * A generation's shared state over cfg (borrowed: it must outlive the
 * result): its Redis client, started now, and every key name.  Returns
 * it (free with lb_admit_gen_free), NULL when cfg has no shared_state
 * (err empty), or NULL with the reason in err.
 */
struct lb_admit_gen *lb_admit_gen_new(
    const struct lb_config *cfg, char *err, size_t errlen);

/* Stops the client (the leases given back first) and frees ag.  NULL is
 * fine. */
void lb_admit_gen_free(struct lb_admit_gen *ag);

/*
 * Asks Redis to admit a request to route `route` (an index into
 * cfg->routes) with API key `key` (an index into cfg->api_keys, or -1) at
 * `now_ms` (ms since the epoch).  Returns 1 when the answer is pending (cb
 * is called once, later, on another thread), or 0 when the verdict is
 * decided now (the client is down: LB_SHARED_FAILED; cb is not called).
 */
int lb_admit_start(struct lb_admit *a, struct lb_admit_gen *ag, size_t route,
    long key, int64_t now_ms, lb_admit_fn *cb, void *arg);

/*
 * Asks Redis for a lease of function `fn` (an index into cfg->functions)
 * alone: a Lambda authorizer's invocation.  Returns as lb_admit_start.
 */
int lb_admit_lease(struct lb_admit *a, struct lb_admit_gen *ag, size_t fn,
    lb_admit_fn *cb, void *arg);

/* After lb_admit_lease: whether the invocation must not run (no lease,
 * or no answer with shared_state_failure = "closed").  Counts it. */
int lb_admit_lease_refused(const struct lb_admit *a);

/* The gateway error the verdict means for the checks (THROTTLED,
 * QUOTA_EXCEEDED), or LB_GWERR_NONE.  Counts it. */
enum lb_gwerr lb_admit_check(const struct lb_admit *a);

/* Whether the local `scope` still applies: yes without shared state, or
 * when Redis did not answer (local mode), or for the buckets when they
 * are not shared. */
int lb_admit_local(const struct lb_admit *a, enum lb_admit_scope scope);

/* Whether Redis refused the function a concurrency lease (the request is
 * then throttled as Lambda throttles).  Counts it. */
int lb_admit_no_lease(const struct lb_admit *a);

/* Gives the request's lease back, if it holds one.  Any thread. */
void lb_admit_end(struct lb_admit *a);

/* The shared state's counters: verdicts, and the client's (redis.h). */
struct lb_admit_stats {
	uint64_t admitted, throttled, over_quota, no_lease;
	uint64_t failed_local;  /* no answer: decided with local limits */
	uint64_t failed_closed; /* no answer: refused (closed mode) */
	uint64_t pooled; /* admitted with a lease this bridge held already */
	struct lb_redis_stats redis;
};

/* A snapshot of ag's counters (zeros for NULL).  Any thread: what the
 * metrics read. */
void lb_admit_stats(struct lb_admit_gen *ag, struct lb_admit_stats *st);

/* Writes the counters as SIGUSR1 does ("shared state: ..."); nothing for
 * NULL. */
void lb_admit_dump(struct lb_admit_gen *ag, FILE *out);

#endif /* LB_ADMIT_H */
