/*
 * redis.h - the bridge's Redis client (the only module that includes
 * hiredis): one connection served by a thread of its own, so that no loop
 * thread ever waits on Redis.  Callers queue commands from any thread; the
 * thread writes every queued command at once (pipelined), reads the
 * replies in order and calls each command's done function on itself.
 *
 * Every command has a deadline (timeout_ms from when it was queued): a
 * command whose reply has not come by then fails (its caller decides
 * without Redis) and its reply is dropped when it comes, a late admission
 * giving its lease back at once.  Nothing answered for 20 deadlines (1 s
 * at least), a connection error, or the server closing: the connection is
 * over and every command in flight fails.  While it is down, commands fail at once
 * (lb_redis_script returns -1); the thread connects again with a backoff
 * (100 ms doubling to 2 s) and the client is back by itself.  The change
 * of state is logged once each way and counted (lb_redis_stats).
 */
#ifndef LB_REDIS_H
#define LB_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "state/shared.h"

struct lb_redis;

struct lb_redis_opts {
	struct lb_shared_url url;
	int timeout_ms;   /* every command's deadline */
	int lease_ttl_ms; /* the alive key's expiry (renewed every third) */
	const char *alive_prefix; /* the alive key: this + the instance id */
	const char *on_failure;   /* said in the log: "local" or "closed" */
	/* called on the client's thread each time the alive key is renewed
	 * (every third of lease_ttl_ms), with the connection's epoch; may be
	 * NULL */
	void (*heartbeat)(void *arg, struct lb_redis *R, uint64_t epoch);
	void *heartbeat_arg;
};

/*
 * A command's end, on the client's thread: `reply` (borrowed, valid
 * during the call) or NULL when it failed (down, late, lost).  `epoch`
 * names the connection that answered (lb_redis_release takes it back).
 */
typedef void lb_redis_done_fn(
    void *arg, const struct lb_shared_reply *reply, uint64_t epoch);

/*
 * Starts the client and its thread, which connects at once.  Returns the
 * client (free it with lb_redis_free), or NULL with the reason in err.
 */
struct lb_redis *lb_redis_new(
    const struct lb_redis_opts *o, char *err, size_t errlen);

/*
 * Queues EVALSHA of script `script` (lb_shared_scripts) with `nkeys` keys
 * and `nargs` arguments (borrowed: copied), the client's instance id put
 * first in ARGV.  Returns 0 when queued (done is called once, later, on
 * the client's thread), or -1 when the client is down (done is never
 * called; the caller decides without Redis).  Any thread.
 */
int lb_redis_script(struct lb_redis *R, enum lb_shared_script script,
    const char *const *keys, size_t nkeys, const char *const *args,
    size_t nargs, lb_redis_done_fn *done, void *arg);

/*
 * Gives back `n` leases taken on connection `epoch` from hash `key`
 * (borrowed), without waiting.  Leases of an earlier connection are not
 * given back: that instance's leases expire with its alive key.  Any
 * thread.
 */
void lb_redis_release(
    struct lb_redis *R, const char *key, uint64_t epoch, int64_t n);

/* The connection's epoch while it is up (leases taken on it are good), 0
 * while it is not.  Any thread. */
uint64_t lb_redis_epoch(struct lb_redis *R);

/* What the client has done, for SIGUSR1 and the metrics. */
struct lb_redis_stats {
	int up;            /* connected now */
	uint64_t commands; /* queued */
	uint64_t failed;   /* ended without a reply (or refused while down) */
	uint64_t timeouts; /* commands past their deadline */
	uint64_t downs;    /* up -> down changes */
	uint64_t ups;      /* connections made (the first included) */
	uint64_t noscript; /* scripts sent again with their source */
};

/* A snapshot of R's counters.  Any thread. */
void lb_redis_stats(struct lb_redis *R, struct lb_redis_stats *st);

/* Stops the thread (commands still queued or in flight fail), closes the
 * connection and frees R.  NULL is fine. */
void lb_redis_free(struct lb_redis *R);

#endif /* LB_REDIS_H */
