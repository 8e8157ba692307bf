/*
 * jwks.h - a JWT authorizer's signing keys, fetched and cached: from a
 * file (`jwks_file`), a URL (`jwks_uri`) or the issuer's OpenID Connect
 * discovery document (`{issuer}/.well-known/openid-configuration`).
 *
 * A loop thread never waits for keys: lb_jwks_store_get answers at once
 * with the keys it has, or starts a fetch on a pool thread and calls the
 * caller back when it ends.  Keys are kept for at most two hours, fetched
 * again once when a token names a kid the set does not have (at most once
 * in LB_JWKS_RETRY_MS), and a failed fetch is logged and leaves the keys in hand in
 * use.
 */
#ifndef LB_JWKS_H
#define LB_JWKS_H

#include <stddef.h>
#include <stdint.h>

#include "apigw/jwk.h"
#include "base/loop.h"

/* How long fetched keys are used before they are fetched again (API
 * Gateway caches them for up to two hours). */
#define LB_JWKS_TTL_MS (2 * 3600 * 1000)
/* At most one fetch in this long for an unknown kid or after a failure:
 * the "penalty box" of AWS's own verifier (aws-jwt-verify), so that tokens
 * with made-up kids cannot make the gateway hammer the issuer. */
#define LB_JWKS_RETRY_MS (10 * 1000)

struct lb_jwks_store;

/* Where the keys come from; strings borrowed, copied by the store.  The
 * first one set wins: file, then uri, then discovery from issuer. */
struct lb_jwks_source {
	const char *name; /* the authorizer's, for log lines */
	const char *file;
	const char *uri;
	const char *issuer;
};

/*
 * A store for `src`.  A file is read now (a reload reads it again; so does
 * the store itself every LB_JWKS_TTL_MS); a URL is fetched on first use.
 * Returns the store, or NULL with the reason in err (the file cannot be
 * read or is no JWKS, no source at all, out of memory).
 */
struct lb_jwks_store *lb_jwks_store_new(
    const struct lb_jwks_source *src, char *err, size_t errlen);

/*
 * Releases the owner's reference; a fetch still running keeps the store
 * until it ends (its waiters are called back as usual).  NULL is fine.
 */
void lb_jwks_store_free(struct lb_jwks_store *s);

/* Called back when a fetch the caller waited for has ended (on the thread
 * that fetched, never the caller's). */
typedef void lb_jwks_ready_fn(void *arg);

enum lb_jwks_answer {
	LB_JWKS_READY,   /* *keys is set (a reference, or NULL: no keys) */
	LB_JWKS_PENDING, /* a fetch runs; ready(arg) is called once after */
};

/*
 * The keys to check a token naming `kid` with, at `now_ms` (wall clock).
 * READY with *keys a new reference (lb_jwks_unref it) when the keys in
 * hand are fresh and hold kid, or when fetching again is not allowed yet;
 * *keys is NULL when there are no keys at all (every fetch failed).
 * PENDING when a fetch is needed (no keys yet, keys older than
 * LB_JWKS_TTL_MS, or kid unknown and the last fetch more than
 * LB_JWKS_RETRY_MS ago): the fetch runs on a pool thread of `loop` and
 * ready(arg) is called when it ends, possibly before this call returns
 * (so after PENDING the caller leaves `arg` to the callback), which then
 * takes lb_jwks_store_keys.  With
 * `loop` NULL (no event loop: plain CGI) the fetch runs on the calling thread and the answer is
 * READY.  With a loop, nothing is fetched on the calling thread, not even
 * when out of memory (READY with the keys in hand).  Thread-safe.
 */
enum lb_jwks_answer lb_jwks_store_get(struct lb_jwks_store *s, const char *kid,
    int64_t now_ms, struct lb_loop *loop, lb_jwks_ready_fn *ready, void *arg,
    struct lb_jwks **keys);

/*
 * The keys in hand, without fetching: a new reference, or NULL when there
 * are none.  What a `ready` callback asks for.  Thread-safe.
 */
struct lb_jwks *lb_jwks_store_keys(struct lb_jwks_store *s);

/* Counters for the SIGUSR1 dump and the tests. */
struct lb_jwks_stats {
	uint64_t fetches;  /* started */
	uint64_t failures; /* of those, failed */
};
void lb_jwks_store_stats(struct lb_jwks_store *s, struct lb_jwks_stats *out);

#endif /* LB_JWKS_H */
