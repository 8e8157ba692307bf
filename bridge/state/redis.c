/*
 * redis.c - the Redis client (redis.h): hiredis's asynchronous API driven
 * by a poll() loop on a thread of its own.  The hooks hiredis calls to
 * start and stop reading and writing only set flags that the next poll()
 * reads (as hiredis's own adapters do for libev or libuv).
 *
 * States: CONNECTING (commands wait in the queue, each until its
 * deadline), UP (queued commands are written at once, pipelined) and DOWN
 * (commands are refused at once until the next attempt).  A connection is
 * UP once its scripts are loaded (SCRIPT LOAD) and its alive key is set.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "base/ids.h"
#include "base/log.h"
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

static void
count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static int
state_of(struct lb_redis *R)
{
	return __atomic_load_n(&R->state, __ATOMIC_ACQUIRE);
}

static void
set_state(struct lb_redis *R, int s)
{
	__atomic_store_n(&R->state, s, __ATOMIC_RELEASE);
	__atomic_store_n(&R->st.up, s == UP, __ATOMIC_RELAXED);
}

static void
wake(struct lb_redis *R)
{
	uint64_t one = 1;

	while (write(R->wakefd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* hiredis's hooks: what the next poll() waits for. */
static void
ev_add_read(void *p)
{
	((struct lb_redis *)p)->want_read = 1;
}

static void
ev_del_read(void *p)
{
	((struct lb_redis *)p)->want_read = 0;
}

static void
ev_add_write(void *p)
{
	((struct lb_redis *)p)->want_write = 1;
}

static void
ev_del_write(void *p)
{
	((struct lb_redis *)p)->want_write = 0;
}

static void
ev_cleanup(void *p)
{
	struct lb_redis *R = p;

	R->want_read = R->want_write = 0;
}

/* A new op: keys then args copied into one allocation. */
static struct op *
op_new(enum op_kind kind, const char *const *keys, size_t nkeys,
    const char *const *args, size_t nargs)
{
	size_t n = nkeys + nargs, bytes = 0, off;
	struct op *op;
	char *p;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(i < nkeys ? keys[i] : args[i - nkeys]) + 1;
	off = sizeof(*op) + n * (sizeof(char *) + sizeof(size_t));
	op = calloc(1, off + bytes);
	if (op == NULL)
		return NULL;
	op->kind = kind;
	op->nkeys = nkeys;
	op->nargs = nargs;
	op->v = (char **)(op + 1);
	op->len = (size_t *)(op->v + n);
	p = (char *)op + off;
	for (size_t i = 0; i < n; i++) {
		const char *s = i < nkeys ? keys[i] : args[i - nkeys];

		op->len[i] = strlen(s);
		memcpy(p, s, op->len[i] + 1);
		op->v[i] = p;
		p += op->len[i] + 1;
	}
	return op;
}

/* Ends op without a reply (a caller's done is told NULL). */
static void
op_fail(struct lb_redis *R, struct op *op)
{
	if (op->kind == OP_SCRIPT && !op->abandoned) {
		count(&R->st.failed);
		op->done(op->arg, NULL, 0);
	}
	free(op);
}

static void
enqueue(struct lb_redis *R, struct op *op)
{
	int was_empty;

	op->queued_ms = lb_mono_ms();
	op->deadline_ms = op->queued_ms + R->o.timeout_ms;
	pthread_mutex_lock(&R->mu);
	was_empty = R->qhead == NULL;
	if (R->qtail != NULL)
		R->qtail->next = op;
	else
		R->qhead = op;
	R->qtail = op;
	pthread_mutex_unlock(&R->mu);
	/* the thread takes the whole queue at once: one wake-up for all */
	if (was_empty)
		wake(R);
}

static void
flight_push(struct lb_redis *R, struct op *op)
{
	op->next = NULL;
	if (R->ftail != NULL)
		R->ftail->next = op;
	else
		R->fhead = op;
	R->ftail = op;
}

static void
flight_remove(struct lb_redis *R, struct op *op)
{
	struct op **pp = &R->fhead, *prev = NULL;

	while (*pp != NULL && *pp != op) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL)
		return;
	*pp = op->next;
	if (R->ftail == op)
		R->ftail = prev;
}

/* hiredis's reply into the form shared.c reads (arrays of at most
 * MAX_ELEMENTS, one level deep). */
static void
convert(const redisReply *r, struct lb_shared_reply *out,
    struct lb_shared_reply *el)
{
	memset(out, 0, sizeof(*out));
	switch (r->type) {
	case REDIS_REPLY_INTEGER:
		out->type = LB_SHARED_R_INTEGER;
		out->integer = r->integer;
		break;
	case REDIS_REPLY_ERROR:
		out->type = LB_SHARED_R_ERROR;
		out->str = r->str;
		break;
	case REDIS_REPLY_ARRAY:
		if (r->elements > MAX_ELEMENTS) {
			out->type = LB_SHARED_R_OTHER;
			break;
		}
		out->type = LB_SHARED_R_ARRAY;
		out->nelements = r->elements;
		out->elements = el;
		for (size_t i = 0; i < r->elements; i++)
			convert(r->element[i], &el[i], NULL);
		break;
	default:
		out->type = LB_SHARED_R_OTHER;
		out->str = r->type == REDIS_REPLY_STATUS ||
		        r->type == REDIS_REPLY_STRING
		    ? r->str
		    : NULL;
	}
	if (el == NULL && out->type == LB_SHARED_R_ARRAY)
		out->type = LB_SHARED_R_OTHER; /* nested: not ours */
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata);

/* Writes op on the connection; 0, or -1 (op is not in flight then). */
static int
send_op(struct lb_redis *R, struct op *op)
{
	const char *argv[MAX_ARGS + 5];
	size_t lens[MAX_ARGS + 5];
	char nkeys[16];
	int argc = 0;

	switch (op->kind) {
	case OP_RELEASE:
		/* no script: while this connection lasts, its alive key
		 * stands, so the admit script has not dropped its field */
		argv[argc++] = "HINCRBY";
		argv[argc++] = op->v[0];
		argv[argc++] = R->inst;
		argv[argc++] = op->v[1]; /* "-N" */
		break;
	case OP_SCRIPT:
		if (op->as_eval) {
			argv[argc] = "EVAL";
			argv[argc + 1] = lb_shared_scripts[op->script];
		} else {
			argv[argc] = "EVALSHA";
			argv[argc + 1] = R->sha[op->script];
		}
		argc += 2;
		snprintf(nkeys, sizeof(nkeys), "%zu", op->nkeys);
		argv[argc++] = nkeys;
		for (size_t i = 0; i < op->nkeys; i++)
			argv[argc++] = op->v[i];
		argv[argc++] = R->inst;
		for (size_t i = 0; i < op->nargs; i++)
			argv[argc++] = op->v[op->nkeys + i];
		break;
	default:
		for (size_t i = 0; i < op->nargs; i++)
			argv[argc++] = op->v[i];
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	op->epoch = __atomic_load_n(&R->epoch, __ATOMIC_RELAXED);
	if (redisAsyncCommandArgv(R->ac, on_reply, op, argc, argv, lens) !=
	    REDIS_OK)
		return -1;
	flight_push(R, op);
	return 0;
}

/* An internal command of the connection's set-up or heartbeat. */
static int
send_internal(struct lb_redis *R, enum op_kind kind, const char *const *args,
    size_t nargs, int64_t deadline_ms)
{
	struct op *op = op_new(kind, NULL, 0, args, nargs);

	if (op == NULL)
		return -1;
	op->deadline_ms = deadline_ms;
	if (send_op(R, op) < 0) {
		free(op);
		return -1;
	}
	return 0;
}

static void
log_down(struct lb_redis *R, const char *why)
{
	if (R->logged_down)
		return;
	R->logged_down = 1;
	lb_log(LB_LOG_WARN,
	    "shared state: redis at %s: %s; %s until it is back", R->where, why,
	    strcmp(R->o.on_failure, "closed") == 0
	        ? "refusing requests with the throttle response"
	        : "serving with local limits");
}

/* The connection is over (why): everything in flight fails, and the next
 * attempt is put off by the backoff. */
static void
conn_fail(struct lb_redis *R, const char *why)
{
	if (state_of(R) == UP)
		count(&R->st.downs);
	set_state(R, DOWN); /* before the callbacks: they decide locally */
	log_down(R, why);
	if (R->ac != NULL) {
		redisAsyncContext *ac = R->ac;

		R->freeing = 1;
		redisAsyncFree(ac); /* on_reply(NULL) for each in flight */
		R->freeing = 0;
		R->ac = NULL;
	}
	/* called from hiredis (R->ac NULL already), it fails what is in
	 * flight itself, after this */
	R->want_read = R->want_write = 0;
	R->reconnect_at = lb_mono_ms() + R->backoff;
	R->backoff =
	    R->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : R->backoff * 2;
}

/* hiredis ended the connection itself (the server closed it, a read
 * error): the context is being freed. */
static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct lb_redis *R = ac->data;

	(void)status;
	if (R->freeing)
		return;
	R->ac = NULL;
	conn_fail(R, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct lb_redis *R = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this */
		R->ac = NULL;
		conn_fail(R, ac->errstr[0] ? ac->errstr : "cannot connect");
	}
}

/* The set-up's last reply is in: the connection is UP. */
static void
conn_up(struct lb_redis *R)
{
	set_state(R, UP);
	count(&R->st.ups);
	R->backoff = BACKOFF_MIN_MS;
	R->heartbeat_at = lb_mono_ms() + R->o.lease_ttl_ms / 3;
	if (R->ever_up && R->logged_down)
		lb_log(LB_LOG_WARN,
		    "shared state: redis at %s is back: shared limits resume",
		    R->where);
	else if (!R->ever_up)
		lb_log(LB_LOG_INFO, "shared state: connected to redis at %s",
		    R->where);
	R->ever_up = 1;
	R->logged_down = 0;
}

/* A release of n leases of hash `key` (kept, not sent); NULL when out of
 * memory. */
static struct op *
release_op(const char *key, int64_t n)
{
	char neg[24];
	const char *k[] = { key }, *a[] = { neg };
	struct op *op;

	snprintf(neg, sizeof(neg), "-%lld", (long long)n);
	op = op_new(OP_RELEASE, k, 1, a, 1);
	return op;
}

/*
 * The reply to a script whose caller went on without it: an admission
 * that took leases (in the last of its keys) gives them back at once;
 * what it counted in buckets and quotas stays counted.
 */
static void
late_reply(struct lb_redis *R, struct op *op, const redisReply *r)
{
	struct lb_shared_reply out, el[MAX_ELEMENTS];
	int64_t granted, total;
	struct op *rel;

	if (op->kind != OP_SCRIPT || op->script != LB_SHARED_ADMIT ||
	    op->nkeys == 0)
		return;
	convert(r, &out, el);
	if (lb_shared_lease(&out, &granted, &total) < 0 || granted <= 0)
		return;
	rel = release_op(op->v[op->nkeys - 1], granted);
	if (rel == NULL)
		return;
	rel->queued_ms = lb_mono_ms();
	rel->deadline_ms = rel->queued_ms + R->dead_ms;
	if (send_op(R, rel) < 0)
		free(rel);
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct lb_redis *R = ac->data;
	struct op *op = privdata;
	const redisReply *r = reply;
	struct lb_shared_reply out, el[MAX_ELEMENTS];

	flight_remove(R, op);
	if (r == NULL) {
		op_fail(R, op);
		return;
	}
	if (op->abandoned) {
		late_reply(R, op, r);
		free(op);
		return;
	}
	switch (op->kind) {
	case OP_RELEASE: break;
	case OP_SCRIPT:
		if (r->type == REDIS_REPLY_ERROR &&
		    lb_shared_noscript(r->str) && !op->as_eval) {
			/* the server lost its scripts (a restart, SCRIPT
			 * FLUSH): once more with the source, which loads it */
			count(&R->st.noscript);
			op->as_eval = 1;
			if (send_op(R, op) == 0)
				return;
		}
		convert(r, &out, el);
		op->done(op->arg, &out, op->epoch);
		break;
	case OP_LOAD:
		if (r->type == REDIS_REPLY_STRING && r->len == 40)
			memcpy(R->sha[op->script], r->str, 41);
		/* FALLTHROUGH */
	case OP_SELECT:
	case OP_ALIVE:
		if (r->type == REDIS_REPLY_ERROR) {
			lb_log(LB_LOG_ERROR, "shared state: redis at %s: %s",
			    R->where, r->str);
		} else if (state_of(R) == CONNECTING && --R->loading == 0) {
			conn_up(R);
		}
		break;
	}
	free(op);
}

static void
set_alive(struct lb_redis *R, int64_t deadline_ms)
{
	char key[sizeof(R->alive_prefix) + sizeof(R->inst)], ttl[24];
	const char *a[] = { "SET", key, "1", "PX", ttl };

	snprintf(key, sizeof(key), "%s%s", R->alive_prefix, R->inst);
	snprintf(ttl, sizeof(ttl), "%d", R->o.lease_ttl_ms);
	if (send_internal(R, OP_ALIVE, a, 5, deadline_ms) == 0)
		R->loading += state_of(R) == CONNECTING;
}

/* Starts a connection: SELECT, the scripts and the alive key are queued
 * behind the connect, pipelined. */
static void
conn_start(struct lb_redis *R)
{
	const struct lb_shared_url *u = &R->o.url;
	int64_t deadline;
	char db[16], rnd[LB_IDS_SHORT_LEN + 1];
	uint64_t epoch;

	R->ac = u->path[0] ? redisAsyncConnectUnix(u->path)
	                   : redisAsyncConnect(u->host, u->port);
	if (R->ac == NULL || R->ac->err) {
		char why[128];

		snprintf(why, sizeof(why), "%s",
		    R->ac != NULL ? R->ac->errstr : "out of memory");
		if (R->ac != NULL)
			redisAsyncFree(R->ac);
		R->ac = NULL;
		conn_fail(R, why);
		return;
	}
	R->ac->data = R;
	R->ac->ev.data = R;
	R->ac->ev.addRead = ev_add_read;
	R->ac->ev.delRead = ev_del_read;
	R->ac->ev.addWrite = ev_add_write;
	R->ac->ev.delWrite = ev_del_write;
	R->ac->ev.cleanup = ev_cleanup;
	R->want_read = R->want_write = 1; /* hiredis waits for the connect */
	redisAsyncSetConnectCallback(R->ac, on_connect);
	redisAsyncSetDisconnectCallback(R->ac, on_disconnect);
	set_state(R, CONNECTING);
	epoch = __atomic_add_fetch(&R->epoch, 1, __ATOMIC_RELAXED);
	lb_ids_short(rnd);
	snprintf(R->inst, sizeof(R->inst), "%s.%d.%llu", rnd, (int)getpid(),
	    (unsigned long long)epoch);
	deadline = lb_mono_ms() + R->dead_ms;
	R->loading = 0;
	if (u->db != 0) {
		const char *a[] = { "SELECT", db };

		snprintf(db, sizeof(db), "%d", u->db);
		if (send_internal(R, OP_SELECT, a, 2, deadline) == 0)
			R->loading++;
	}
	for (int i = 0; i < LB_SHARED_NSCRIPTS; i++) {
		const char *a[] = { "SCRIPT", "LOAD", lb_shared_scripts[i] };
		struct op *op = op_new(OP_LOAD, NULL, 0, a, 3);

		if (op == NULL)
			continue;
		op->script = i;
		op->deadline_ms = deadline;
		if (send_op(R, op) < 0)
			free(op);
		else
			R->loading++;
	}
	set_alive(R, deadline);
}

/* Takes the queue; while UP, writes it; else fails what is late. */
static void
drain_queue(struct lb_redis *R, int64_t now)
{
	struct op *q, *keep = NULL, *ktail = NULL;
	int st = state_of(R);

	pthread_mutex_lock(&R->mu);
	q = R->qhead;
	R->qhead = R->qtail = NULL;
	pthread_mutex_unlock(&R->mu);
	while (q != NULL) {
		struct op *op = q;

		q = op->next;
		op->next = NULL;
		if (op->kind == OP_RELEASE &&
		    (st != UP || op->epoch != R->epoch)) {
			free(op); /* expires with its instance */
			continue;
		}
		if (st == UP) {
			if (send_op(R, op) < 0)
				op_fail(R, op);
		} else if (st == DOWN || op->deadline_ms <= now) {
			op_fail(R, op);
		} else {
			/* waits for the connection */
			if (ktail != NULL)
				ktail->next = op;
			else
				keep = op;
			ktail = op;
		}
	}
	if (keep != NULL) {
		pthread_mutex_lock(&R->mu);
		ktail->next = R->qhead;
		if (R->qhead == NULL)
			R->qtail = ktail;
		R->qhead = keep;
		pthread_mutex_unlock(&R->mu);
	}
}

/* When op's wait ends: its deadline, or, once its caller went on
 * without it, the point where the connection is given up. */
static int64_t
op_until(const struct lb_redis *R, const struct op *op)
{
	return op->abandoned ? op->queued_ms + R->dead_ms : op->deadline_ms;
}

/* The earliest end of a wait in flight, or INT64_MAX. */
static int64_t
flight_deadline(struct lb_redis *R)
{
	int64_t d = INT64_MAX;

	for (struct op *op = R->fhead; op != NULL; op = op->next)
		if (op_until(R, op) < d)
			d = op_until(R, op);
	return d;
}

/*
 * A caller's command past its deadline fails now (the caller goes on with
 * local limits) and its reply, when it comes, is dropped (late_reply).
 * Returns 1 when the connection must be given up: a set-up command past
 * its deadline, or nothing answered for dead_ms.
 */
static int
flight_expire(struct lb_redis *R, int64_t now)
{
	for (struct op *op = R->fhead; op != NULL; op = op->next) {
		if (op_until(R, op) > now)
			continue;
		if (op->abandoned ||
		    (op->kind != OP_SCRIPT && op->kind != OP_RELEASE))
			return 1;
		op->abandoned = 1;
		count(&R->st.timeouts);
		if (op->kind == OP_SCRIPT) {
			count(&R->st.failed);
			op->done(op->arg, NULL, 0);
		}
	}
	return 0;
}

/* ... and of what waits in the queue. */
static int64_t
queue_deadline(struct lb_redis *R)
{
	int64_t d = INT64_MAX;

	pthread_mutex_lock(&R->mu);
	for (struct op *op = R->qhead; op != NULL; op = op->next)
		if (op->deadline_ms < d)
			d = op->deadline_ms;
	pthread_mutex_unlock(&R->mu);
	return d;
}

static void *
client_thread(void *p)
{
	struct lb_redis *R = p;
	int64_t stop_at = 0;

	conn_start(R);
	for (;;) {
		struct pollfd pfd[2];
		int64_t now = lb_mono_ms(), until, d;
		int stop, n = 1, tmo;

		pthread_mutex_lock(&R->mu);
		stop = R->stop;
		pthread_mutex_unlock(&R->mu);
		if (stop && stop_at == 0)
			stop_at = now + STOP_DRAIN_MS;
		drain_queue(R, now);
		if (stop && (R->fhead == NULL || now >= stop_at))
			break;
		if (state_of(R) == DOWN && now >= R->reconnect_at && !stop)
			conn_start(R);
		if (state_of(R) == UP && now >= R->heartbeat_at) {
			set_alive(R, now + R->dead_ms);
			R->heartbeat_at = now + R->o.lease_ttl_ms / 3;
			if (R->o.heartbeat != NULL)
				R->o.heartbeat(R->o.heartbeat_arg, R, R->epoch);
		}
		until = flight_deadline(R);
		if (queue_deadline(R) < until)
			until = queue_deadline(R);
		if (state_of(R) == DOWN && R->reconnect_at < until)
			until = R->reconnect_at;
		if (state_of(R) == UP && R->heartbeat_at < until)
			until = R->heartbeat_at;
		if (stop && stop_at < until)
			until = stop_at;
		if (R->ac != NULL && flight_deadline(R) <= now &&
		    flight_expire(R, now)) {
			conn_fail(R,
			    state_of(R) == UP ? "no reply for a while"
			                      : "cannot connect in time");
			continue;
		}
		d = until == INT64_MAX ? 1000 : until - now;
		tmo = d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
		pfd[0].fd = R->wakefd;
		pfd[0].events = POLLIN;
		if (R->ac != NULL && (R->want_read || R->want_write)) {
			pfd[1].fd = R->ac->c.fd;
			pfd[1].events = (short)((R->want_read ? POLLIN : 0) |
			    (R->want_write ? POLLOUT : 0));
			n = 2;
		}
		if (poll(pfd, (nfds_t)n, tmo) < 0)
			continue; /* EINTR */
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			while (read(R->wakefd, &v, sizeof(v)) < 0 &&
			    errno == EINTR)
				;
		}
		if (n == 2 && R->ac != NULL &&
		    (pfd[1].revents & (POLLIN | POLLERR | POLLHUP)))
			redisAsyncHandleRead(R->ac);
		if (n == 2 && R->ac != NULL && (pfd[1].revents & POLLOUT))
			redisAsyncHandleWrite(R->ac);
	}
	/* what is left fails */
	set_state(R, DOWN);
	drain_queue(R, INT64_MAX);
	if (R->ac != NULL) {
		R->freeing = 1;
		redisAsyncFree(R->ac);
		R->ac = NULL;
	}
	while (R->fhead != NULL) {
		struct op *op = R->fhead;

		R->fhead = op->next;
		op_fail(R, op);
	}
	return NULL;
}

struct lb_redis *
lb_redis_new(const struct lb_redis_opts *o, char *err, size_t errlen)
{
	struct lb_redis *R = calloc(1, sizeof(*R));
	int rc;

	if (R == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	R->o = *o;
	snprintf(
	    R->alive_prefix, sizeof(R->alive_prefix), "%s", o->alive_prefix);
	R->o.alive_prefix = R->alive_prefix;
	if (o->url.path[0])
		snprintf(R->where, sizeof(R->where), "unix:%s", o->url.path);
	else
		snprintf(R->where, sizeof(R->where), "%s:%d", o->url.host,
		    o->url.port);
	R->backoff = BACKOFF_MIN_MS;
	R->dead_ms = o->timeout_ms * 20 > CONNECT_MIN_MS ? o->timeout_ms * 20
	                                                 : CONNECT_MIN_MS;
	R->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (R->wakefd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail_eventfd;
	}
	pthread_mutex_init(&R->mu, NULL);
	set_state(R, CONNECTING);
	rc = pthread_create(&R->thread, NULL, client_thread, R);
	if (rc != 0) {
		snprintf(
		    err, errlen, "cannot start a thread: %s", strerror(rc));
		goto fail_thread;
	}
	return R;
fail_thread:
	pthread_mutex_destroy(&R->mu);
	close(R->wakefd);
fail_eventfd:
	free(R);
	return NULL;
}

int
lb_redis_script(struct lb_redis *R, enum lb_shared_script script,
    const char *const *keys, size_t nkeys, const char *const *args,
    size_t nargs, lb_redis_done_fn *done, void *arg)
{
	struct op *op;

	if (state_of(R) == DOWN || nkeys + nargs > MAX_ARGS) {
		count(&R->st.failed);
		return -1;
	}
	op = op_new(OP_SCRIPT, keys, nkeys, args, nargs);
	if (op == NULL) {
		count(&R->st.failed);
		return -1;
	}
	op->script = (int)script;
	op->done = done;
	op->arg = arg;
	count(&R->st.commands);
	enqueue(R, op);
	return 0;
}

void
lb_redis_release(struct lb_redis *R, const char *key, uint64_t epoch, int64_t n)
{
	struct op *op;

	if (n <= 0 || epoch != lb_redis_epoch(R))
		return;
	op = release_op(key, n);
	if (op == NULL)
		return;
	op->epoch = epoch;
	enqueue(R, op);
}

uint64_t
lb_redis_epoch(struct lb_redis *R)
{
	return state_of(R) == UP ? __atomic_load_n(&R->epoch, __ATOMIC_RELAXED)
	                         : 0;
}

void
lb_redis_stats(struct lb_redis *R, struct lb_redis_stats *st)
{
	st->up = __atomic_load_n(&R->st.up, __ATOMIC_RELAXED);
	st->commands = __atomic_load_n(&R->st.commands, __ATOMIC_RELAXED);
	st->failed = __atomic_load_n(&R->st.failed, __ATOMIC_RELAXED);
	st->timeouts = __atomic_load_n(&R->st.timeouts, __ATOMIC_RELAXED);
	st->downs = __atomic_load_n(&R->st.downs, __ATOMIC_RELAXED);
	st->ups = __atomic_load_n(&R->st.ups, __ATOMIC_RELAXED);
	st->noscript = __atomic_load_n(&R->st.noscript, __ATOMIC_RELAXED);
}

void
lb_redis_free(struct lb_redis *R)
{
	if (R == NULL)
		return;
	pthread_mutex_lock(&R->mu);
	R->stop = 1;
	pthread_mutex_unlock(&R->mu);
	wake(R);
	pthread_join(R->thread, NULL);
	pthread_mutex_destroy(&R->mu);
	close(R->wakefd);
	free(R);
}
