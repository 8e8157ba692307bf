/*
 * authcache.h - the Lambda authorizers' result cache (docs/authorizers.md
 * section 5): an authorizer's answer kept under the values of its identity
 * sources until its ttl runs out, in a bounded amount of memory (the
 * oldest entries go first).  Thread-safe; no I/O, no logging, no globals:
 * the caller passes the time.
 */
#ifndef LB_AUTHCACHE_H
#define LB_AUTHCACHE_H

#include <stddef.h>
#include <stdint.h>

struct lb_authcache;

/* Default bound of a generation's cache: keys, answers and bookkeeping. */
#define LB_AUTHCACHE_MAX_BYTES (16u * 1024 * 1024)

/* A new, empty cache holding at most max_bytes, or NULL (out of memory). */
struct lb_authcache *lb_authcache_new(size_t max_bytes);

/*
 * The answer stored for (`authorizer`, key) that has not expired at
 * now_ms: a malloc'ed, NUL-terminated copy (the caller frees it) with its
 * length in *len; NULL when there is none (an expired one is dropped) or
 * out of memory.
 */
char *lb_authcache_get(struct lb_authcache *c, size_t authorizer,
    const char *key, size_t keylen, int64_t now_ms, size_t *len);

/*
 * Stores a copy of the answer `value` for (`authorizer`, key) until
 * expires_ms, replacing any entry there, then drops the oldest entries
 * until the cache is within its bound.  Returns 0, or -1 when the entry
 * alone is over the bound or out of memory (nothing stored).
 */
int lb_authcache_put(struct lb_authcache *c, size_t authorizer, const char *key,
    size_t keylen, const char *value, size_t vlen, int64_t expires_ms);

/* Entries and bytes held now (tests, stats). */
size_t lb_authcache_count(struct lb_authcache *c);
size_t lb_authcache_bytes(struct lb_authcache *c);

/* Frees the cache and everything in it; NULL is fine. */
void lb_authcache_free(struct lb_authcache *c);

#endif /* LB_AUTHCACHE_H */
