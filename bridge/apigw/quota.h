/*
 * quota.h - usage-plan quota counts (docs/operations.md section 5): one
 * count per API key id for the gateway's whole life, which every
 * configuration generation shares, so that a reload carries the counts
 * over as API Gateway keeps them for the whole period.  With
 * gateway.state_dir the counts are loaded at start and written to its
 * file (qstore.h) by a thread of their own, once a second when they
 * changed and at the end: a crash loses at most the last second's.
 * Counting itself never waits for the disk.  The request pipeline knows
 * only lb_quota_take, so a count kept elsewhere (shared by several
 * bridges) can take the place of this one behind it.
 */
#ifndef LB_QUOTA_H
#define LB_QUOTA_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* How often the counts are written to the state file. */
#define LB_QUOTA_FLUSH_MS 1000

struct lb_quotas;      /* every key's count */
struct lb_quota_count; /* one key's */

/*
 * The counts, in memory only when state_dir is NULL; else read from
 * state_dir's file, which a thread then keeps up to date.  `reset`
 * (--reset-state) moves an unreadable or corrupt file aside and starts
 * with no counts (logged with both paths).  Returns NULL with the reason,
 * naming the file, in err.  Free with lb_quotas_free.
 */
struct lb_quotas *lb_quotas_new(
    const char *state_dir, int reset, char *err, size_t errlen);

/*
 * The count of the API key whose id is `id`, created empty when there is
 * none yet; it lives as long as qs.  NULL when out of memory.  Thread-safe.
 */
struct lb_quota_count *lb_quotas_get(struct lb_quotas *qs, const char *id);

/*
 * Counts a request of key k (its quota_limit and quota_period) at now_ms
 * (ms since the epoch): 1 when it fits in the period's quota, 0 when the
 * quota is used up (the request is not counted then).  A period that
 * ended, or a key whose quota_period changed, starts again from zero; a
 * changed quota_limit keeps the count.  c NULL (a key without a quota):
 * 1.  Thread-safe, no I/O.
 */
int lb_quota_take(
    struct lb_quota_count *c, const struct lb_api_key *k, int64_t now_ms);

/* Requests of key k counted in the period that contains now_ms. */
int64_t lb_quota_used(
    struct lb_quota_count *c, const struct lb_api_key *k, int64_t now_ms);

/*
 * Writes the counts that changed since the last write to the state file
 * now (the flush thread does it every LB_QUOTA_FLUSH_MS).  0 (also without
 * a state file), or -1 with the reason in err.
 */
int lb_quotas_flush(struct lb_quotas *qs, char *err, size_t errlen);

/* One "state: ..." line for SIGUSR1: where the counts are kept, how many,
 * the writes and failures, the age of the last write. */
void lb_quotas_dump(struct lb_quotas *qs, FILE *out);

/* Stops the flush thread, writes the counts a last time (a failure is
 * logged) and frees everything; NULL is fine. */
void lb_quotas_free(struct lb_quotas *qs);

#endif /* LB_QUOTA_H */
