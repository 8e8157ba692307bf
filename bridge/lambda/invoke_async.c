/*
 * invoke_async.c - lb_envs_invoke_async: invocations on the event loop.
 * On the hot path (a warm environment) the caller is a loop thread, which
 * sends and returns to its loop; the reply's rx is armed on the loop and
 * read by whichever loop thread it wakes (under load one that is awake
 * anyway).  Everything that must wait (cold starts, long integration
 * waits) runs invoke.c's blocking path on a pool thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/ids.h"
#include "base/loop.h"
#include "lambda/env_int.h"
#include "lambda/frame.h"

/*
 * Under ThreadSanitizer only: the arm of env's rx is made under the lock,
 * so that the supervisor's close of that fd, later and under the lock,
 * follows it in TSan's eyes too.  Otherwise only epoll_wait orders them,
 * which libtsan does not model for EPOLL_CTL_MOD (tests/tsan.supp), and a
 * reply read on another loop thread made it report a race.  Free in the
 * real build.
 */
static void
tsan_order(struct lb_envs *E, int lock)
{
#ifdef __SANITIZE_THREAD__
	if (lock)
		pthread_mutex_lock(&E->mu);
	else
		pthread_mutex_unlock(&E->mu);
#else
	(void)E;
	(void)lock;
#endif
}

/* The blocking path on a pool thread: cold starts, large events, long
 * functions. */
static void
async_run(void *arg)
{
	struct inv *inv = arg;
	lb_invoke_done *done = inv->done;
	void *done_arg = inv->done_arg;

	envi_inv_run(inv->pool->envs, inv, inv->rq, inv->integ, inv->out);
	done(done_arg);
}

/* Tells the caller; inv is done.  Unlocked. */
static void
async_finish(struct inv *inv)
{
	lb_invoke_done *done = inv->done;
	void *done_arg = inv->done_arg;

	envi_inv_finish(inv, inv->rq, inv->out);
	done(done_arg);
}

/* Ends a blocking wait for inv, locked: `completed` or abandoned at the
 * integration deadline.  Unlocks and tells the caller. */
static void
async_end(struct lb_envs *E, struct inv *inv, int completed)
{
	if (!completed) {
		lb_invoke_done *done = inv->done;
		void *done_arg = inv->done_arg;

		envi_abandon(inv, inv->out);
		pthread_mutex_unlock(&E->mu);
		done(done_arg);
		return;
	}
	pthread_mutex_unlock(&E->mu);
	async_finish(inv);
}

/* On a pool thread: inv completes once its environment is reaped. */
static void
async_reap(void *arg)
{
	struct inv *inv = arg;
	struct lb_envs *E = inv->pool->envs;

	pthread_mutex_lock(&E->mu);
	async_end(E, inv, envi_await_reap(E, inv, inv->integ));
}

/* On a pool thread: the loop could not watch env, so the reply is read
 * blocking. */
static void
async_await(void *arg)
{
	struct inv *inv = arg;
	struct lb_envs *E = inv->pool->envs;

	async_end(E, inv,
	    envi_await_reply(E, inv->env, inv, inv->integ, NO_DEADLINE));
}

/* Runs fn(inv) on a pool thread, or here when the queue is out of memory. */
static void
async_defer(struct inv *inv, lb_job_fn *fn)
{
	if (lb_loop_defer(inv->loop, fn, inv) < 0)
		fn(inv);
}

/* env's rx is readable (or closed): its reply, on a loop thread. */
static void
env_ready(struct lb_watch *w, uint32_t events)
{
	struct env *env =
	    (struct env *)((char *)w - offsetof(struct env, watch));
	struct inv *inv = env->ainv;
	struct lb_envs *E = env->pool->envs;
	int rc = lb_frame_reader_pump_nb(&env->rd, env->rx), done;

	(void)events;
	if (rc == LB_FRAME_AGAIN) {
		if (lb_loop_arm(env->loop, env->rx, &env->watch, EPOLLIN) < 0)
			async_defer(inv, async_await);
		return;
	}
	env->ainv = NULL;
	/* REPLY_DONE or REPLY_REAP: never ABANDON without a deadline here */
	done = envi_reply_taken(E, env, inv, rc) == REPLY_DONE;
	pthread_mutex_unlock(&E->mu);
	if (done)
		async_finish(inv);
	else
		async_defer(inv, async_reap);
}

void
lb_envs_invoke_async(struct lb_envs *E, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res,
    struct lb_loop *loop, lb_invoke_done *done, void *arg)
{
	struct inv *inv;
	struct env *env = NULL;
	int64_t integ, fn_deadline;
	int armed;

	memset(res, 0, sizeof(*res));
	if (E == NULL || rq == NULL || function >= E->npools ||
	    rq->request_id == NULL || rq->event == NULL) {
		envi_set_error(
		    res, LB_INVOKE_CRASH, "Runtime.Unknown", "bad invocation");
		done(arg);
		return;
	}
	inv = envi_inv_begin(E, function, rq, res, &integ);
	if (inv == NULL) {
		done(arg);
		return;
	}
	inv->rq = rq;
	inv->out = res;
	inv->done = done;
	inv->done_arg = arg;
	inv->loop = loop;
	inv->integ = integ;
	/*
	 * The loop's path: a warm environment, an event the pipe takes at
	 * once, and no integration deadline before the function's own (the
	 * supervisor's kill then ends every wait).  Anything else blocks
	 * somewhere: a pool thread runs it.
	 */
	pthread_mutex_lock(&E->mu);
	if (rq->event_len + LB_FRAME_INVOKE_MAX <= PIPE_ROOM &&
	    (integ == 0 ||
	        integ >=
	            lb_mono_ms() + (int64_t)(inv->pool->fn->timeout * 1000.0)))
		env = envi_pick_idle(inv->pool);
	if (env != NULL &&
	    (size_t)env->tx_room < rq->event_len + LB_FRAME_INVOKE_MAX) {
		/* a pipe smaller than asked for: back on the stack */
		env->idle_next = inv->pool->idle;
		inv->pool->idle = env;
		env = NULL;
	}
	if (env == NULL) {
		pthread_mutex_unlock(&E->mu);
		async_defer(inv, async_run);
		return;
	}
	fn_deadline = envi_take_idle(E, env, inv);
	pthread_mutex_unlock(&E->mu);
	if (envi_send_invoke(env, inv, rq, fn_deadline) < 0 && errno == EPIPE) {
		pthread_mutex_lock(&E->mu);
		envi_send_failed(E, env, inv);
		pthread_mutex_unlock(&E->mu);
		async_defer(inv, async_run);
		return;
	}
	env->ainv = inv;
	env->loop = loop;
	env->watch.ready = env_ready;
	tsan_order(E, 1);
	armed = lb_loop_arm(loop, env->rx, &env->watch, EPOLLIN);
	tsan_order(E, 0);
	if (armed < 0) {
		env->ainv = NULL;
		async_defer(inv, async_await);
	}
}
