/*
 * redis_int.h - what the files of the Redis client share (redis.c: the
 * thread, its queue and the public functions; redis_conn.c: the
 * connection, its set-up and its replies; redis_op.c: the commands).
 * Prefix lb_redis__.  Included by nothing outside state/.
 */
#ifndef LB_REDIS_INT_H
#define LB_REDIS_INT_H

#include <pthread.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "state/redis.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define CONNECT_MIN_MS 1000 /* a connection's own deadline, at least */
#define STOP_DRAIN_MS  200  /* what lb_redis_free waits for releases */
#define MAX_ARGS       32
#define MAX_ELEMENTS   8

enum { DOWN, CONNECTING, UP };

enum op_kind {
	OP_SCRIPT,  /* a caller's EVALSHA */
	OP_RELEASE, /* a lease given back (no caller waits) */
	OP_SELECT,  /* the connection's own set-up: SELECT, SCRIPT LOAD, */
	OP_LOAD,    /* the alive key */
	OP_ALIVE,
};

struct op {
	struct op *next;
	enum op_kind kind;
	int script;
	int as_eval;   /* sent again with the source after NOSCRIPT */
	int abandoned; /* its caller was told it failed (late) */
	uint64_t epoch;
	int64_t queued_ms, deadline_ms;
	lb_redis_done_fn *done;
	void *arg;
	size_t nkeys, nargs;
	char **v; /* keys then args, in the same allocation */
	size_t *len;
};

struct lb_redis {
	struct lb_redis_opts o;
	char where[300]; /* host:port or the socket, for the log */
	char alive_prefix[256];
	pthread_t thread;
	int wakefd;

	pthread_mutex_t mu; /* guards the queue and stop */
	struct op *qhead, *qtail;
	int stop;

	/* the thread's own */
	redisAsyncContext *ac;
	int want_read, want_write;
	int freeing;              /* inside our own redisAsyncFree */
	struct op *fhead, *ftail; /* in flight, in the order sent */
	int loading;              /* set-up replies still to come */
	char sha[LB_SHARED_NSCRIPTS][41];
	char inst[48]; /* this connection's instance id */
	int64_t reconnect_at, backoff, heartbeat_at;
	int64_t dead_ms; /* no reply for that long: the connection is over */
	int ever_up, logged_down;

	int state;                /* atomic: DOWN, CONNECTING, UP */
	uint64_t epoch;           /* atomic: the connection's number, from 1 */
	struct lb_redis_stats st; /* atomic fields */
};

static inline void
lb_redis__count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static inline int
lb_redis__state_of(struct lb_redis *R)
{
	return __atomic_load_n(&R->state, __ATOMIC_ACQUIRE);
}

static inline void
lb_redis__set_state(struct lb_redis *R, int s)
{
	__atomic_store_n(&R->state, s, __ATOMIC_RELEASE);
	__atomic_store_n(&R->st.up, s == UP, __ATOMIC_RELAXED);
}

/* op.c: the commands, queued and in flight */
struct op *lb_redis__op_new(enum op_kind kind, const char *const *keys,
    size_t nkeys, const char *const *args, size_t nargs);
struct op *lb_redis__release_op(const char *key, int64_t n);
void lb_redis__op_fail(struct lb_redis *R, struct op *op);
void lb_redis__flight_push(struct lb_redis *R, struct op *op);
void lb_redis__flight_remove(struct lb_redis *R, struct op *op);
void lb_redis__convert(const redisReply *r, struct lb_shared_reply *out,
    struct lb_shared_reply *el);
int64_t lb_redis__flight_deadline(struct lb_redis *R);
int lb_redis__flight_expire(struct lb_redis *R, int64_t now);

/* redis_conn.c: the connection */
int lb_redis__send_op(struct lb_redis *R, struct op *op);
void lb_redis__conn_start(struct lb_redis *R);
void lb_redis__conn_fail(struct lb_redis *R, const char *why);
void lb_redis__set_alive(struct lb_redis *R, int64_t deadline_ms);
/* Deletes the alive key: what this instance still holds is free at once
 * (the client is stopping). */
void lb_redis__say_bye(struct lb_redis *R, int64_t deadline_ms);

#endif /* LB_REDIS_INT_H */
