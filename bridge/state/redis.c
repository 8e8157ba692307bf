/*
 * redis.c - the Redis client (redis.h): a poll() loop on a thread of its
 * own that drives hiredis's asynchronous API (redis_conn.c), the queue
 * callers put their commands in, and the deadlines (redis_op.c).
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

#include "base/ids.h"
#include "state/redis_int.h"

static void
wake(struct lb_redis *R)
{
	uint64_t one = 1;

	while (write(R->wakefd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
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

/* Takes the queue; while UP, writes it; else fails what is late. */
static void
drain_queue(struct lb_redis *R, int64_t now)
{
	struct op *q, *keep = NULL, *ktail = NULL;
	int st = lb_redis__state_of(R);

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
			if (lb_redis__send_op(R, op) < 0)
				lb_redis__op_fail(R, op);
		} else if (st == DOWN || op->deadline_ms <= now) {
			lb_redis__op_fail(R, op);
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
	int bye = 0;

	lb_redis__conn_start(R);
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
		/* the releases queued before it, then the alive key goes */
		if (stop && !bye && lb_redis__state_of(R) == UP) {
			lb_redis__say_bye(R, stop_at);
			bye = 1;
		}
		if (stop && (R->fhead == NULL || now >= stop_at))
			break;
		if (lb_redis__state_of(R) == DOWN && now >= R->reconnect_at &&
		    !stop)
			lb_redis__conn_start(R);
		if (lb_redis__state_of(R) == UP && now >= R->heartbeat_at) {
			lb_redis__set_alive(R, now + R->dead_ms);
			R->heartbeat_at = now + R->o.lease_ttl_ms / 3;
			if (R->o.heartbeat != NULL)
				R->o.heartbeat(R->o.heartbeat_arg, R, R->epoch);
		}
		until = lb_redis__flight_deadline(R);
		if (queue_deadline(R) < until)
			until = queue_deadline(R);
		if (lb_redis__state_of(R) == DOWN && R->reconnect_at < until)
			until = R->reconnect_at;
		if (lb_redis__state_of(R) == UP && R->heartbeat_at < until)
			until = R->heartbeat_at;
		if (stop && stop_at < until)
			until = stop_at;
		if (R->ac != NULL && lb_redis__flight_deadline(R) <= now &&
		    lb_redis__flight_expire(R, now)) {
			lb_redis__conn_fail(R,
			    lb_redis__state_of(R) == UP
			        ? "no reply for a while"
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
	lb_redis__set_state(R, DOWN);
	drain_queue(R, INT64_MAX);
	if (R->ac != NULL) {
		R->freeing = 1;
		redisAsyncFree(R->ac);
		R->ac = NULL;
	}
	while (R->fhead != NULL) {
		struct op *op = R->fhead;

		R->fhead = op->next;
		lb_redis__op_fail(R, op);
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
	lb_redis__set_state(R, CONNECTING);
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

	if (lb_redis__state_of(R) == DOWN || nkeys + nargs > MAX_ARGS) {
		lb_redis__count(&R->st.failed);
		return -1;
	}
	op = lb_redis__op_new(OP_SCRIPT, keys, nkeys, args, nargs);
	if (op == NULL) {
		lb_redis__count(&R->st.failed);
		return -1;
	}
	op->script = (int)script;
	op->done = done;
	op->arg = arg;
	lb_redis__count(&R->st.commands);
	enqueue(R, op);
	return 0;
}

void
lb_redis_release(struct lb_redis *R, const char *key, uint64_t epoch, int64_t n)
{
	struct op *op;

	if (n <= 0 || epoch != lb_redis_epoch(R))
		return;
	op = lb_redis__release_op(key, n);
	if (op == NULL)
		return;
	op->epoch = epoch;
	enqueue(R, op);
}

uint64_t
lb_redis_epoch(struct lb_redis *R)
{
	return lb_redis__state_of(R) == UP
	    ? __atomic_load_n(&R->epoch, __ATOMIC_RELAXED)
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
