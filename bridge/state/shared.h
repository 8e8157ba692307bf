/*
 * shared.h - what the bridges behind one nginx share through Redis
 * (docs/scale-out.md): where the store is (gateway.shared_state), the
 * names of the keys, the Lua scripts that admit a request and give a
 * concurrency lease back, and what their replies mean.  Pure: no I/O, no
 * globals.
 */
#ifndef LB_SHARED_H
#define LB_SHARED_H

#include <stddef.h>
#include <stdint.h>

/* Where Redis is: a TCP address or a unix socket, and the database. */
struct lb_shared_url {
	char host[256]; /* empty for a unix socket */
	int port;
	char path[108]; /* the unix socket, or empty */
	int db;
};

/*
 * Parses gateway.shared_state: "redis://HOST[:PORT][/DB]" (PORT 6379 and
 * DB 0 by default; HOST may be "[v6]") or "unix:/path" into u.  Returns
 * NULL, or the reason it is not one (a static string), as the
 * configuration's validators do.
 */
const char *lb_shared_url_parse(const char *s, struct lb_shared_url *u);

/*
 * The prefix of every key of one API's stage, "lb:API_ID:STAGE:", into
 * buf (len bytes).  Returns its length, or -1 when it does not fit.
 */
int lb_shared_prefix(
    char *buf, size_t len, const char *api_id, const char *stage);

/*
 * A key under `prefix`: prefix, `kind` and, when not NULL, ":" and
 * `name`.  Returns a new string (free it), or NULL when out of memory.
 */
char *lb_shared_key(const char *prefix, const char *kind, const char *name);

/*
 * The quota key of API key `name` for the period that ends at
 * `period_end_ms`: PREFIX "quota:" NAME ":" PERIOD_END.  A new string, or
 * NULL.
 */
char *lb_shared_quota_key(
    const char *prefix, const char *name, int64_t period_end_ms);

/* The scripts, by index (lb_shared_scripts). */
enum lb_shared_script {
	LB_SHARED_ADMIT, /* buckets, quota, then leases */
	LB_SHARED_NSCRIPTS,
};

/* The scripts' Lua sources, LB_SHARED_NSCRIPTS of them. */
extern const char *const lb_shared_scripts[LB_SHARED_NSCRIPTS];

/*
 * The admit script's ARGV after the instance id (which the client puts
 * first): ALIVE_PREFIX, NBUCKETS, HAS_QUOTA, HAS_LEASE, then RATE BURST per
 * bucket, then QUOTA_LIMIT QUOTA_EXPIRE_AT_MS if HAS_QUOTA, then LEASE_LIMIT
 * EXTRA KEEP_FREE if HAS_LEASE: one lease, plus EXTRA more to keep for the
 * instance's next requests when that leaves at least KEEP_FREE of the
 * limit unheld.  KEYS: the buckets, the quota, the lease hash, in that
 * order.  Leases go back with HINCRBY LEASE_HASH INSTANCE -N.
 */

/* What the admit script said. */
enum lb_shared_verdict {
	LB_SHARED_OK,         /* admitted (and the lease taken, if asked) */
	LB_SHARED_THROTTLED,  /* a bucket is empty: 429 */
	LB_SHARED_OVER_QUOTA, /* the quota is used up: 429 Limit Exceeded */
	LB_SHARED_NO_LEASE,   /* the concurrency cap is reached */
	LB_SHARED_FAILED,     /* no answer: down, late, or not understood */
};

/* A reply as the admit script gives it, taken from the client's reply. */
struct lb_shared_reply {
	int type;         /* LB_SHARED_R_* */
	int64_t integer;  /* an integer's value */
	const char *str;  /* an error's or a status's text */
	size_t nelements; /* an array's */
	const struct lb_shared_reply *elements;
};

enum {
	LB_SHARED_R_INTEGER,
	LB_SHARED_R_ARRAY,
	LB_SHARED_R_ERROR,
	LB_SHARED_R_OTHER,
};

/*
 * What the admit script's reply means: {0, used, granted, held} admitted,
 * {1, bucket} throttled, {2, used} over quota, {3, leases, 0, held} no
 * lease; anything else (an error, a nil, another shape) LB_SHARED_FAILED,
 * with `detail` (may be NULL) set to the second element when there is one.
 */
enum lb_shared_verdict lb_shared_verdict(
    const struct lb_shared_reply *r, int64_t *detail);

/*
 * An admitted reply's leases: how many it granted (0 when it asked for
 * none) and how many every live instance holds now.  0, or -1 when r is
 * not an admission of that shape.
 */
int lb_shared_lease(
    const struct lb_shared_reply *r, int64_t *granted, int64_t *total);

/* Whether an error reply says the script is not loaded (EVALSHA's
 * NOSCRIPT), so that it must be sent again with its source. */
int lb_shared_noscript(const char *err);

#endif /* LB_SHARED_H */
