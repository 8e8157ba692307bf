/*
 * invoke.c - invocations, the blocking way (lb_envs_invoke, and the pool
 * threads of lb_envs_invoke_async): concurrency slots, sending the event,
 * reading the reply or handing it to the supervisor at the integration
 * deadline, and completing an invocation with its result, END and REPORT.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <json-c/json.h>

#include "base/fmt.h"
#include "base/ids.h"
#include "base/log.h"
#include "lambda/env_int.h"
#include "lambda/frame.h"

/* A {"errorMessage","errorType"} document (malloc'ed) into res->payload. */
static void
set_error_payload(struct lb_invoke_result *res)
{
	json_object *o = json_object_new_object();
	const char *s;

	if (o == NULL)
		return;
	json_object_object_add(
	    o, "errorMessage", json_object_new_string(res->error_message));
	json_object_object_add(
	    o, "errorType", json_object_new_string(res->error_type));
	s = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	free(res->payload);
	res->payload = s != NULL ? strdup(s) : NULL;
	res->payload_len = res->payload != NULL ? strlen(res->payload) : 0;
	json_object_put(o);
}

void
envi_set_error(struct lb_invoke_result *res, enum lb_invoke_status st,
    const char *type, const char *fmt, ...)
{
	va_list ap;

	res->status = st;
	snprintf(res->error_type, sizeof(res->error_type), "%s", type);
	va_start(ap, fmt);
	vsnprintf(res->error_message, sizeof(res->error_message), fmt, ap);
	va_end(ap);
	set_error_payload(res);
}

/* Takes `body` (an error JSON from the worker) as res's payload and copies
 * its errorType and errorMessage; `deftype` when it has none. */
void
envi_take_error_body(
    struct lb_invoke_result *res, char *body, size_t len, const char *deftype)
{
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *o = NULL, *v;

	snprintf(res->error_type, sizeof(res->error_type), "%s", deftype);
	res->error_message[0] = '\0';
	if (tok != NULL && body != NULL)
		o = json_tokener_parse_ex(tok, body, (int)len);
	if (tok != NULL)
		json_tokener_free(tok);
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "errorType", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) > 0)
			snprintf(res->error_type, sizeof(res->error_type), "%s",
			    json_object_get_string(v));
		if (json_object_object_get_ex(o, "errorMessage", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(res->error_message, sizeof(res->error_message),
			    "%s", json_object_get_string(v));
		free(res->payload);
		res->payload = body;
		res->payload_len = len;
	} else {
		if (body != NULL && len > 0)
			snprintf(res->error_message, sizeof(res->error_message),
			    "%.*s", (int)(len > 200 ? 200 : len), body);
		free(body);
		set_error_payload(res);
	}
	json_object_put(o);
}

/* Takes a concurrency slot for pool p; 0, or -1 when at a cap.  Locked. */
static int
slot_acquire(struct lb_envs *E, struct pool *p)
{
	if (p->fn->reserved_concurrency >= 0) {
		if (p->active >= p->fn->reserved_concurrency)
			return -1;
	} else {
		if (E->unreserved_active >= E->unreserved_cap)
			return -1;
		E->unreserved_active++;
	}
	p->active++;
	envi_metrics_slot(p, 1);
	if (p->active > p->max_active)
		p->max_active = p->active;
	return 0;
}

static void
slot_release(struct lb_envs *E, struct pool *p)
{
	p->active--;
	envi_metrics_slot(p, -1);
	if (p->fn->reserved_concurrency < 0)
		E->unreserved_active--;
}

static void
inv_free(struct inv *inv)
{
	pthread_cond_destroy(&inv->cond);
	free(inv->res.payload);
	free(inv);
}

/*
 * Finishes inv (its res is filled): logs END and REPORT (after START, if
 * the function logged nothing) when it started,
 * counts it, frees its concurrency slot and detaches it from its
 * environment; then wakes its caller, or frees it when the caller left.
 * Locked.
 */
void
envi_inv_complete(struct lb_envs *E, struct inv *inv, uint64_t maxrss_kb)
{
	struct pool *p = inv->pool;
	struct lb_invoke_result *res = &inv->res;
	struct env *env = inv->env;

	if (inv->env != NULL) {
		res->env_pid = inv->env->pid;
		if (inv->env->inv == inv)
			inv->env->inv = NULL;
		inv->env = NULL;
	}
	res->cold = inv->cold;
	if (inv->start_mono > 0) {
		double d = res->duration_ms;
		struct lb_fmt f;

		lb_fmt_init(&f, inv->tail, sizeof(inv->tail));
		if (env != NULL) {
			pthread_mutex_lock(&env->logmu);
			if (env->start[0] != '\0') {
				lb_fmt_str(&f, env->start);
				env->start[0] = '\0';
			}
			pthread_mutex_unlock(&env->logmu);
		}
		envi_log_end(p, inv, maxrss_kb, &f, inv->tail);
		lb_fmt_done(&f, inv->tail);
		p->total_ms += d;
		if (d > p->max_ms)
			p->max_ms = d;
	}
	if (res->status != LB_INVOKE_OK &&
	    res->status != LB_INVOKE_INTEGRATION_TIMEOUT)
		p->errors++;
	if (res->status == LB_INVOKE_TIMEOUT)
		p->timeouts++;
	envi_metrics_complete(p, inv);
	slot_release(E, p);
	if (--E->ninflight == 0)
		pthread_cond_broadcast(&E->drained);
	if (inv->abandoned) {
		if (inv->tail[0] != '\0')
			lb_log_raw(inv->tail);
		inv_free(inv);
		return;
	}
	/* the caller logs inv->tail (or returns it in res->report) once it
	 * dropped the lock */
	inv->phase = INV_DONE;
	pthread_cond_signal(&inv->cond);
}

void
envi_abandon(struct inv *inv, struct lb_invoke_result *res)
{
	inv->abandoned = 1;
	memset(res, 0, sizeof(*res));
	res->status = LB_INVOKE_INTEGRATION_TIMEOUT;
	res->cold = inv->cold;
	res->env_pid = inv->env != NULL ? inv->env->pid : 0;
	snprintf(
	    res->error_type, sizeof(res->error_type), "IntegrationTimeout");
	snprintf(res->error_message, sizeof(res->error_message),
	    "integration timeout reached before the function returned");
}

/*
 * inv is about to be sent to env (owned by the caller): starts the
 * function's clock.  Returns the function's deadline.  Locked.
 */
static int64_t
mark_sent(struct lb_envs *E, struct env *env, struct inv *inv)
{
	memcpy(env->reqid, inv->request_id, sizeof(env->reqid));
	if (++env->seq == 0) /* 0 is READY's */
		env->seq = 1;
	pthread_mutex_lock(&env->logmu);
	envi_log_start(env, inv);
	pthread_mutex_unlock(&env->logmu);
	inv->phase = INV_SENT;
	inv->start_mono = lb_mono_ms();
	env->deadline =
	    inv->start_mono + (int64_t)(env->pool->fn->timeout * 1000.0);
	envi_sup_due(E, env->deadline);
	return env->deadline;
}

/*
 * Handles what the owner of env read for inv (`rc`, from
 * lb_frame_reader_pump*), taking the lock, and gives env up.  Returns with
 * the lock held: REPLY_DONE when inv is done, REPLY_ABANDON when the
 * integration deadline came first (rc is LB_FRAME_AGAIN; the supervisor
 * takes env over), REPLY_REAP when inv completes once env is reaped.
 */
int
envi_reply_taken(struct lb_envs *E, struct env *env, struct inv *inv, int rc)
{
	/* the function's output precedes its reply; read it unlocked */
	if (rc == LB_FRAME_DONE)
		envi_read_logs(env, env->reqid, LOG_READ_MAX, 1);
	pthread_mutex_lock(&E->mu);
	env->owned = 0;
	if (inv->phase == INV_DONE) {
		/* the supervisor finished it first (function timeout) */
		if (rc == LB_FRAME_DONE)
			free(lb_frame_reader_take(&env->rd, NULL));
		envi_sup_wake(E); /* to reap env */
		return REPLY_DONE;
	}
	if (rc == LB_FRAME_AGAIN) {
		/* integration deadline: the supervisor takes over */
		envi_sup_wake(E);
		return REPLY_ABANDON;
	}
	envi_rx_event(E, env, rc, 1);
	/* else env is closing (envi_env_close woke the supervisor, which may reap
	 * it now that it is not owned): inv completes on reap */
	return inv->phase == INV_DONE ? REPLY_DONE : REPLY_REAP;
}

/* Waits, locked, until inv completes on reap or the integration deadline
 * `integ` comes.  1 when it completed. */
int
envi_await_reap(struct lb_envs *E, struct inv *inv, int64_t integ)
{
	while (inv->phase != INV_DONE)
		if (envi_cond_wait_until(&inv->cond, &E->mu, integ) ==
		    ETIMEDOUT)
			break;
	return inv->phase == INV_DONE;
}

/* The caller takes idle env (off its stack) for inv and sends at once:
 * returns the function's deadline.  Locked. */
int64_t
envi_take_idle(struct lb_envs *E, struct env *env, struct inv *inv)
{
	env->state = ENV_BUSY;
	env->owned = 1;
	env->inv = inv;
	inv->env = env;
	return mark_sent(E, env, inv);
}

/*
 * Reads env's reply as its owner and handles it, or hands env to the
 * supervisor at the integration deadline.  `fn_deadline` is when the
 * supervisor kills the worker, which ends a blocking read with EOF.
 * Returns with the lock held: 1 when inv is done, 0 when the caller must
 * abandon it.
 */
int
envi_await_reply(struct lb_envs *E, struct env *env, struct inv *inv,
    int64_t integ, int64_t fn_deadline)
{
	int rc;

	if (integ == 0 || integ >= fn_deadline) {
		/* one blocking read */
		rc = lb_frame_reader_pump(&env->rd, env->rx);
	} else {
		for (;;) {
			struct pollfd pf = { .fd = env->rx, .events = POLLIN };
			int64_t left = integ - lb_mono_ms();

			rc = LB_FRAME_AGAIN;
			if (left <= 0 ||
			    poll(&pf, 1,
			        left > INT_MAX ? INT_MAX : (int)left) == 0)
				break;
			rc = lb_frame_reader_pump_nb(&env->rd, env->rx);
			if (rc != LB_FRAME_AGAIN)
				break;
		}
	}
	switch (envi_reply_taken(E, env, inv, rc)) {
	case REPLY_DONE: return 1;
	case REPLY_ABANDON: return 0;
	default: return envi_await_reap(E, inv, integ);
	}
}

/*
 * Sends inv's INVOKE frame to env (owned by the caller, inv marked sent),
 * waiting for room in the pipe until `deadline` at most.  0, or -1 (errno).
 */
int
envi_send_invoke(struct env *env, struct inv *inv,
    const struct lb_invoke_request *rq, int64_t deadline)
{
	unsigned char prefix[LB_FRAME_INVOKE_MAX];
	struct lb_frame_invoke fi;
	struct iovec iov[2];
	size_t plen;

	memset(&fi, 0, sizeof(fi));
	fi.deadline_ms =
	    lb_now_ms() + (int64_t)(inv->pool->fn->timeout * 1000.0);
	fi.seq = env->seq;
	fi.request_id = inv->request_id;
	fi.request_id_len = strlen(inv->request_id);
	fi.trace_id = rq->trace_id;
	fi.trace_id_len = rq->trace_id != NULL ? strlen(rq->trace_id) : 0;
	if (fi.trace_id_len > 255)
		fi.trace_id_len = 255;
	if (fi.request_id_len > 255)
		fi.request_id_len = 255;
	plen = lb_frame_invoke_encode(prefix, &fi);
	iov[0].iov_base = prefix;
	iov[0].iov_len = plen;
	iov[1].iov_base = (void *)rq->event;
	iov[1].iov_len = rq->event_len;
	return lb_frame_write(env->tx, LB_FRAME_INVOKE, iov, 2, deadline);
}

/*
 * EPIPE from a warm environment: its worker died while idle (killed from
 * outside, its pidfd not seen yet) and got nothing of the event, so the
 * request may go to another environment.  Takes env back from inv and
 * closes it.  Locked.
 */
void
envi_send_failed(struct lb_envs *E, struct env *env, struct inv *inv)
{
	env->owned = 0;
	env->inv = NULL;
	inv->env = NULL;
	inv->start_mono = 0;
	envi_env_close(E, env, 1);
}

/*
 * Begins an invocation of `function`: its concurrency slot and counters.
 * Returns inv (unlocked), or NULL with res filled (throttled, out of
 * memory; res is zeroed by the caller).  *integ is the integration deadline (lb_mono_ms), or 0.
 */
struct inv *
envi_inv_begin(struct lb_envs *E, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res,
    int64_t *integ)
{
	struct pool *p;
	struct inv *inv;
	pthread_condattr_t ca;

	p = &E->pools[function];
	*integ = 0;
	if (rq->integration_deadline_ms > 0) {
		*integ =
		    lb_mono_ms() + (rq->integration_deadline_ms - lb_now_ms());
		if (*integ <= 0)
			*integ = 1;
	}
	inv = calloc(1, sizeof(*inv));
	if (inv == NULL) {
		envi_set_error(
		    res, LB_INVOKE_CRASH, "Runtime.Unknown", "out of memory");
		return NULL;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&inv->cond, &ca);
	pthread_condattr_destroy(&ca);
	inv->pool = p;
	snprintf(
	    inv->request_id, sizeof(inv->request_id), "%s", rq->request_id);

	pthread_mutex_lock(&E->mu);
	if (E->closing || slot_acquire(E, p) < 0) {
		p->throttles++;
		envi_metrics_begin(p, 0);
		pthread_mutex_unlock(&E->mu);
		inv_free(inv);
		envi_set_error(res, LB_INVOKE_THROTTLED,
		    "TooManyRequestsException", "Rate Exceeded.");
		return NULL;
	}
	E->ninflight++;
	p->invocations++;
	envi_metrics_begin(p, 1);
	pthread_mutex_unlock(&E->mu);
	return inv;
}

/* The caller's end of a completed inv: its result goes to res, and inv is
 * freed.  Unlocked. */
void
envi_inv_finish(struct inv *inv, const struct lb_invoke_request *rq,
    struct lb_invoke_result *res)
{
	*res = inv->res;
	if (inv->tail[0] != '\0' && rq->defer_report)
		memcpy(res->report, inv->tail, sizeof(res->report));
	else if (inv->tail[0] != '\0')
		lb_log_raw(inv->tail);
	inv->res.payload = NULL;
	inv_free(inv);
}

/*
 * Runs a begun inv to its end, blocking: takes an idle environment or
 * starts one, sends the event and waits for the reply or the integration
 * deadline.  Fills res; inv is freed (or left to the supervisor).
 */
/*
 * Nothing is idle, but environments of p are settling: their runtimes'
 * next call is usually microseconds away, a cold start milliseconds (and
 * a client on loopback asks again sooner than a runtime calls `next`).
 * Waits up to SETTLE_WAIT_MS, unlocked, for one of them to ask; the
 * caller looks again.  Locked.  1 when it waited.
 */
static int
settle_wait(struct lb_envs *E, struct pool *p)
{
	struct pollfd pfd[IDLE_SCAN];
	nfds_t n = 0;

	for (struct env *env = p->settle_head; env != NULL && n < IDLE_SCAN;
	     env = env->settle_next)
		pfd[n++] = (struct pollfd){ env->rx, POLLIN, 0 };
	if (n == 0)
		return 0;
	/* only fds are kept: an environment may go meanwhile */
	pthread_mutex_unlock(&E->mu);
	if (poll(pfd, n, SETTLE_WAIT_MS) < 0) {
		/* EINTR: looking again is all there is to do */
	}
	pthread_mutex_lock(&E->mu);
	return 1;
}

void
envi_inv_run(struct lb_envs *E, struct inv *inv,
    const struct lb_invoke_request *rq, int64_t integ,
    struct lb_invoke_result *res)
{
	struct pool *p = inv->pool;
	struct env *env;
	int64_t send_deadline, fn_deadline = 0;
	int waited = 0;

	pthread_mutex_lock(&E->mu);
again:
	env = envi_pick_idle(p);
	if (env == NULL && !waited)
		waited = settle_wait(E, p);
	if (env == NULL && waited == 1) {
		waited = 2;
		goto again;
	}
	if (env != NULL)
		fn_deadline = envi_take_idle(E, env, inv);
	pthread_mutex_unlock(&E->mu);

	if (env == NULL) {
		char err[256];

		env = envi_env_spawn(p, 0, err, sizeof(err));
		pthread_mutex_lock(&E->mu);
		inv->cold = 1;
		p->cold_starts++;
		envi_metrics_cold(p);
		if (env == NULL) {
			lb_log(LB_LOG_ERROR,
			    "%s function '%s': cannot start an environment: "
			    "%s",
			    inv->request_id, p->fn->name, err);
			envi_set_error(&inv->res, LB_INVOKE_INIT_ERROR,
			    "Runtime.Unknown",
			    "RequestId: %s Error: cannot start the runtime: %s",
			    inv->request_id, err);
			envi_inv_complete(E, inv, 0);
			goto done;
		}
		env->inv = inv;
		inv->env = env;
		inv->phase = INV_WAIT_READY;
		envi_env_link(E, env);
		envi_sup_wake(E);
		while (inv->phase == INV_WAIT_READY)
			if (envi_cond_wait_until(&inv->cond, &E->mu, integ) ==
			    ETIMEDOUT)
				break;
		if (inv->phase == INV_WAIT_READY) {
			envi_abandon(inv, res);
			pthread_mutex_unlock(&E->mu);
			return;
		}
		if (inv->phase == INV_DONE)
			goto done;
		/* INV_READY: env is BUSY, owned, with inv attached */
		fn_deadline = mark_sent(E, env, inv);
		pthread_mutex_unlock(&E->mu);
	}

	send_deadline = fn_deadline;
	if (integ > 0 && integ < send_deadline)
		send_deadline = integ;
	/* any failure but a warm EPIPE needs nothing here: a half-sent
	 * frame leaves the worker waiting until the function timeout kills
	 * it, and a dead one gives EOF */
	if (envi_send_invoke(env, inv, rq, send_deadline) < 0 &&
	    errno == EPIPE && !inv->cold) {
		pthread_mutex_lock(&E->mu);
		envi_send_failed(E, env, inv);
		goto again;
	}
	if (!envi_await_reply(E, env, inv, integ, fn_deadline)) {
		envi_abandon(inv, res);
		pthread_mutex_unlock(&E->mu);
		return;
	}
done:
	pthread_mutex_unlock(&E->mu);
	envi_inv_finish(inv, rq, res);
}

int
lb_envs_invoke(struct lb_envs *E, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res)
{
	struct inv *inv;
	int64_t integ;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (E == NULL || rq == NULL || function >= E->npools ||
	    rq->request_id == NULL || rq->event == NULL)
		return -1;
	inv = envi_inv_begin(E, function, rq, res, &integ);
	if (inv != NULL)
		envi_inv_run(E, inv, rq, integ, res);
	return 0;
}

void
lb_invoke_result_clear(struct lb_invoke_result *res)
{
	if (res == NULL)
		return;
	free(res->payload);
	res->payload = NULL;
	res->payload_len = 0;
}
