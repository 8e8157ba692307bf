/*
 * redis_conn.c - the Redis client's connection (redis_int.h): hiredis's
 * asynchronous API, whose hooks to start and stop reading and writing
 * only set flags that the client thread's next poll() reads (as hiredis's
 * own adapters do for libev or libuv); the set-up of a connection
 * (SELECT, SCRIPT LOAD, the alive key), its end, and the replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/log.h"
#include "state/redis_int.h"

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata);

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

/* Writes op on the connection; 0, or -1 (op is not in flight then). */
int
lb_redis__send_op(struct lb_redis *R, struct op *op)
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
	lb_redis__flight_push(R, op);
	return 0;
}

/* An internal command of the connection's set-up or heartbeat. */
static int
send_internal(struct lb_redis *R, enum op_kind kind, const char *const *args,
    size_t nargs, int64_t deadline_ms)
{
	struct op *op = lb_redis__op_new(kind, NULL, 0, args, nargs);

	if (op == NULL)
		return -1;
	op->deadline_ms = deadline_ms;
	if (lb_redis__send_op(R, op) < 0) {
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
void
lb_redis__conn_fail(struct lb_redis *R, const char *why)
{
	if (lb_redis__state_of(R) == UP)
		lb_redis__count(&R->st.downs);
	lb_redis__set_state(
	    R, DOWN); /* before the callbacks: they decide locally */
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
	lb_redis__conn_fail(
	    R, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct lb_redis *R = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this */
		R->ac = NULL;
		lb_redis__conn_fail(
		    R, ac->errstr[0] ? ac->errstr : "cannot connect");
	}
}

/* The set-up's last reply is in: the connection is UP. */
static void
conn_up(struct lb_redis *R)
{
	lb_redis__set_state(R, UP);
	lb_redis__count(&R->st.ups);
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
	lb_redis__convert(r, &out, el);
	if (lb_shared_lease(&out, &granted, &total) < 0 || granted <= 0)
		return;
	rel = lb_redis__release_op(op->v[op->nkeys - 1], granted);
	if (rel == NULL)
		return;
	rel->queued_ms = lb_mono_ms();
	rel->deadline_ms = rel->queued_ms + R->dead_ms;
	if (lb_redis__send_op(R, rel) < 0)
		free(rel);
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct lb_redis *R = ac->data;
	struct op *op = privdata;
	const redisReply *r = reply;
	struct lb_shared_reply out, el[MAX_ELEMENTS];

	lb_redis__flight_remove(R, op);
	if (r == NULL) {
		lb_redis__op_fail(R, op);
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
			lb_redis__count(&R->st.noscript);
			op->as_eval = 1;
			if (lb_redis__send_op(R, op) == 0)
				return;
		}
		lb_redis__convert(r, &out, el);
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
		} else if (lb_redis__state_of(R) == CONNECTING &&
		    --R->loading == 0) {
			conn_up(R);
		}
		break;
	}
	free(op);
}

void
lb_redis__set_alive(struct lb_redis *R, int64_t deadline_ms)
{
	char key[sizeof(R->alive_prefix) + sizeof(R->inst)], ttl[24];
	const char *a[] = { "SET", key, "1", "PX", ttl };

	snprintf(key, sizeof(key), "%s%s", R->alive_prefix, R->inst);
	snprintf(ttl, sizeof(ttl), "%d", R->o.lease_ttl_ms);
	if (send_internal(R, OP_ALIVE, a, 5, deadline_ms) == 0)
		R->loading += lb_redis__state_of(R) == CONNECTING;
}

void
lb_redis__say_bye(struct lb_redis *R, int64_t deadline_ms)
{
	char key[sizeof(R->alive_prefix) + sizeof(R->inst)];
	const char *a[] = { "DEL", key };

	snprintf(key, sizeof(key), "%s%s", R->alive_prefix, R->inst);
	send_internal(R, OP_ALIVE, a, 2, deadline_ms);
}

/* Starts a connection: SELECT, the scripts and the alive key are queued
 * behind the connect, pipelined. */
void
lb_redis__conn_start(struct lb_redis *R)
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
		lb_redis__conn_fail(R, why);
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
	lb_redis__set_state(R, CONNECTING);
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
		struct op *op = lb_redis__op_new(OP_LOAD, NULL, 0, a, 3);

		if (op == NULL)
			continue;
		op->script = i;
		op->deadline_ms = deadline;
		if (lb_redis__send_op(R, op) < 0)
			free(op);
		else
			R->loading++;
	}
	lb_redis__set_alive(R, deadline);
}
