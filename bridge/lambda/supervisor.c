/*
 * supervisor.c - the supervisor thread of an lb_envs: one poll() over the
 * environments it watches.  It reads READY frames of starting
 * environments, watches idle workers through pidfds, logs the functions'
 * output, enforces the function timeouts (SIGKILL; the caller then sees
 * EOF), init timeouts and idle timeouts, reaps the children, starts the
 * provisioned environments, and completes invocations whose caller left at
 * its integration deadline or whose environment died.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/log.h"
#include "lambda/env_int.h"
#include "lambda/frame.h"
#include "lambda/sandbox.h"

void
envi_sup_wake(struct lb_envs *E)
{
	char c = 1;
	ssize_t r;

	do
		r = write(E->wake[1], &c, 1);
	while (r < 0 && errno == EINTR);
}

/*
 * Makes sure the supervisor runs its timers at `when` (lb_mono_ms) at the
 * latest: wakes it only when it plans to sleep past that.  Locked.
 */
void
envi_sup_due(struct lb_envs *E, int64_t when)
{
	if (when < E->sup_next) {
		E->sup_next = when;
		envi_sup_wake(E);
	}
}

/* "signal: segmentation fault", "exit status 1", as Lambda (Go) says it. */
static void
describe_exit(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st)) {
		const char *d = sigdescr_np(WTERMSIG(st));
		char low[64];
		size_t i;

		if (d == NULL)
			d = "unknown signal";
		for (i = 0; d[i] != '\0' && i < sizeof(low) - 1; i++)
			low[i] = i == 0 && d[i] >= 'A' && d[i] <= 'Z'
			    ? (char)(d[i] - 'A' + 'a')
			    : d[i];
		low[i] = '\0';
		snprintf(buf, len, "signal: %s", low);
	} else if (WIFEXITED(st)) {
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
	} else {
		snprintf(buf, len, "unknown status %d", st);
	}
}

/*
 * A priming environment (lb_envs_prime) is ready (`why` NULL) or failed;
 * the first failure is kept.  Locked.
 */
static void
prime_done(struct lb_envs *E, struct env *env, const char *why)
{
	env->priming = 0;
	if (why != NULL && E->prime_err[0] == '\0')
		snprintf(E->prime_err, sizeof(E->prime_err),
		    "function '%s' cannot initialise: %s", env->pool->fn->name,
		    why);
	E->npriming--;
	pthread_cond_broadcast(&E->primed);
}

static void prime_fail(struct lb_envs *E, struct env *env, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
prime_fail(struct lb_envs *E, struct env *env, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	prime_done(E, env, why);
}

/* Handles one complete reply frame from env.  Locked; takes body. */
static void
handle_frame(struct lb_envs *E, struct env *env, uint32_t type,
    const struct lb_frame_meta *meta, char *body, size_t len)
{
	struct inv *inv = env->inv;
	struct lb_invoke_result *res = inv != NULL ? &inv->res : NULL;
	/* bytes read after the reply: a handler wrote to the channel (a
	 * provided runtime's shim may send its READY right after) */
	int stray = env->rd.ahead_len > 0;
	int provided = env->pool->fn->runtime == LB_RUNTIME_PROVIDED;

	if (meta->maxrss_kb > env->maxrss_kb)
		env->maxrss_kb = meta->maxrss_kb;
	env->cpu = meta->cpu;
	if (meta->seq != (env->state == ENV_STARTING ? 0 : env->seq))
		goto unexpected;
	if (env->state == ENV_STARTING && type == LB_FRAME_READY && stray)
		goto unexpected;
	if (env->state == ENV_STARTING && type == LB_FRAME_READY) {
		free(body);
		env->init_ms = (double)meta->duration_us / 1000.0;
		if (env->priming)
			prime_done(E, env, NULL);
		if (inv == NULL) {
			envi_env_release(E, env);
		} else if (inv->abandoned) {
			/* its caller left during init: the event is gone */
			inv->res.status = LB_INVOKE_INTEGRATION_TIMEOUT;
			envi_inv_complete(E, inv, env->maxrss_kb);
			envi_env_release(E, env);
		} else {
			env->state = ENV_BUSY;
			env->deadline = NO_DEADLINE;
			env->owned = 1; /* the caller's from now on */
			inv->init_ms = env->init_ms;
			inv->phase = INV_READY;
			pthread_cond_signal(&inv->cond);
		}
		return;
	}
	if (env->state == ENV_SETTLING && type == LB_FRAME_READY && !stray) {
		/* the runtime asked for its next event: now it is idle */
		free(body);
		envi_settle_end(env);
		envi_env_release(E, env);
		return;
	}
	if (env->state == ENV_STARTING && type == LB_FRAME_INIT_ERROR) {
		if (inv != NULL) {
			res->status = LB_INVOKE_INIT_ERROR;
			envi_take_error_body(
			    res, body, len, "Runtime.InitError");
			envi_inv_complete(E, inv, env->maxrss_kb);
		} else {
			lb_log(LB_LOG_ERROR, "function '%s': init failed: %.*s",
			    env->pool->fn->name, (int)(len > 300 ? 300 : len),
			    body != NULL ? body : "");
			if (env->priming) {
				struct lb_invoke_result r;

				memset(&r, 0, sizeof(r));
				envi_take_error_body(
				    &r, body, len, "Runtime.InitError");
				body = NULL;
				prime_fail(E, env, "%s: %s", r.error_type,
				    r.error_message);
				lb_invoke_result_clear(&r);
			}
			free(body);
			env->pool->respawn_after =
			    lb_mono_ms() + RESPAWN_BACKOFF_MS;
		}
		envi_env_close(E, env, 0);
		return;
	}
	if (env->state == ENV_BUSY && inv != NULL && inv->phase == INV_SENT &&
	    (type == LB_FRAME_RESULT || type == LB_FRAME_ERROR ||
	        type == LB_FRAME_OOM)) {
		res->duration_ms = (double)meta->duration_us / 1000.0;
		env->requests++;
		if (type == LB_FRAME_RESULT && len > LB_FRAME_RESULT_LIMIT) {
			free(body);
			envi_set_error(res, LB_INVOKE_TOO_LARGE,
			    "Function.ResponseSizeTooLarge",
			    "Response payload size (%zu bytes) exceeded "
			    "maximum allowed payload size (%d bytes).",
			    len, LB_FRAME_RESULT_LIMIT);
		} else if (type == LB_FRAME_RESULT) {
			res->status = LB_INVOKE_OK;
			res->payload = body;
			res->payload_len = len;
		} else if (type == LB_FRAME_ERROR) {
			envi_take_error_body(res, body, len, "Unhandled");
			res->status = strcmp(res->error_type,
			                  "Function.ResponseSizeTooLarge") == 0
			    ? LB_INVOKE_TOO_LARGE
			    : LB_INVOKE_FUNCTION_ERROR;
		} else {
			free(body);
			env->oom = 1;
			envi_set_error(res, LB_INVOKE_CRASH,
			    "Runtime.OutOfMemory",
			    "RequestId: %s Error: Runtime exited with error: "
			    "out of memory (limit %d MB)",
			    inv->request_id, env->pool->fn->memory);
		}
		envi_inv_complete(E, inv, env->maxrss_kb);
		if (provided && type != LB_FRAME_OOM) {
			/* Lambda reuses it only once it calls `next`: its
			 * READY is read when an environment is wanted */
			env->inv = NULL;
			env->reqid[0] = '\0';
			envi_settle_begin(env);
		} else if (type == LB_FRAME_OOM || stray) {
			if (stray)
				lb_log(LB_LOG_ERROR,
				    "function '%s': environment %ld wrote "
				    "to its channel after its reply",
				    env->pool->fn->name, (long)env->pid);
			envi_env_close(E, env, 1);
		} else {
			envi_env_release(E, env);
		}
		return;
	}
unexpected:
	/*
	 * Anything else breaks the protocol (a frame of another invocation,
	 * one nobody asked for): the environment is unusable, and only the
	 * invocation it runs fails.
	 */
	free(body);
	lb_log(LB_LOG_ERROR,
	    "function '%s': environment %ld sent an unexpected frame "
	    "(type %u, sequence %llu)",
	    env->pool->fn->name, (long)env->pid, type,
	    (unsigned long long)meta->seq);
	if (inv != NULL && inv->phase == INV_SENT) {
		envi_set_error(res, LB_INVOKE_CRASH, "Runtime.ExitError",
		    "RequestId: %s Error: Runtime sent an invalid response",
		    inv->request_id);
		envi_inv_complete(E, inv, env->maxrss_kb);
	}
	envi_env_close(E, env, 1);
}

/* The function's own timeout: kill, report.  Locked. */
static void
env_timeout(struct lb_envs *E, struct env *env)
{
	struct inv *inv = env->inv;
	double t = env->pool->fn->timeout;
	char msg[128];

	envi_env_close(E, env, 1);
	if (inv == NULL)
		return;
	envi_read_logs(env, env->reqid, LOG_READ_MAX, 1);
	snprintf(msg, sizeof(msg), "Task timed out after %.2f seconds", t);
	envi_log_line(env, inv->request_id, msg);
	inv->res.duration_ms = t * 1000.0;
	envi_set_error(&inv->res, LB_INVOKE_TIMEOUT, "Sandbox.Timedout",
	    "RequestId: %s Error: %s", inv->request_id, msg);
	envi_inv_complete(E, inv, env->maxrss_kb);
}

/* Init took too long.  Locked. */
static void
env_init_timeout(struct lb_envs *E, struct env *env)
{
	struct inv *inv = env->inv;

	envi_env_close(E, env, 1);
	lb_log(LB_LOG_ERROR, "function '%s': init timed out after %d ms",
	    env->pool->fn->name, INIT_TIMEOUT_MS);
	if (env->priming)
		prime_fail(
		    E, env, "init timed out after %d ms", INIT_TIMEOUT_MS);
	if (inv == NULL) {
		env->pool->respawn_after = lb_mono_ms() + RESPAWN_BACKOFF_MS;
		return;
	}
	envi_set_error(&inv->res, LB_INVOKE_INIT_ERROR, "Runtime.InitError",
	    "RequestId: %s Error: init timed out after %.2f seconds",
	    inv->request_id, INIT_TIMEOUT_MS / 1000.0);
	envi_inv_complete(E, inv, env->maxrss_kb);
}

/*
 * Tries to reap a CLOSING environment; when it is gone, completes the
 * invocation still attached (a crash), closes its fds and frees it.
 * Returns 1 when env was freed.  Locked.
 */
static int
env_try_reap(struct lb_envs *E, struct env *env, int64_t now)
{
	struct rusage ru;
	siginfo_t si;
	int st = 0, rc;
	pid_t r;

	/* a request thread still uses rx, tx and rd */
	if (env->owned)
		return 0;
	memset(&si, 0, sizeof(si));
	do
		rc = waitid(
		    P_PID, (id_t)env->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	while (rc < 0 && errno == EINTR);
	if (rc == 0 && si.si_pid == 0) {
		if (now >= env->deadline && !env->killed) {
			lb_sandbox_kill_tree(env->pid);
			lb_sandbox_cgroup_kill(env->cg);
			env->killed = 1;
		}
		return 0;
	}
	r = -1;
	if (rc == 0) {
		/* what it left in its group (it crashed): its pid is not
		 * reused while it is a zombie */
		kill(-env->pid, SIGKILL);
		do
			r = wait4(env->pid, &st, 0, &ru);
		while (r < 0 && errno == EINTR);
	}
	if (r > 0 && (uint64_t)ru.ru_maxrss > env->maxrss_kb)
		env->maxrss_kb = (uint64_t)ru.ru_maxrss;
	envi_read_logs(env, env->reqid, LOG_READ_MAX, 1);
	if (env->priming) {
		char why[96] = "unknown status";

		if (r > 0)
			describe_exit(st, why, sizeof(why));
		prime_fail(E, env, "Runtime.ExitError: %s", why);
	}
	if (env->inv != NULL) {
		struct inv *inv = env->inv;
		uint64_t limit_kb = (uint64_t)env->pool->fn->memory * 1024;
		int oom = env->oom || env->maxrss_kb * 100 >= limit_kb * 95;
		char why[96];

		if (r < 0)
			snprintf(why, sizeof(why), "unknown status");
		else
			describe_exit(st, why, sizeof(why));
		if (r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !oom)
			envi_set_error(&inv->res,
			    inv->phase == INV_WAIT_READY ? LB_INVOKE_INIT_ERROR
			                                 : LB_INVOKE_CRASH,
			    "Runtime.ExitError",
			    "RequestId: %s Error: Runtime exited without "
			    "providing a reason",
			    inv->request_id);
		else
			envi_set_error(&inv->res,
			    inv->phase == INV_WAIT_READY ? LB_INVOKE_INIT_ERROR
			                                 : LB_INVOKE_CRASH,
			    oom ? "Runtime.OutOfMemory" : "Runtime.ExitError",
			    "RequestId: %s Error: Runtime exited with error: "
			    "%s",
			    inv->request_id, why);
		if (inv->start_mono > 0)
			inv->res.duration_ms = (double)(now - inv->start_mono);
		if (inv->phase != INV_WAIT_READY)
			envi_log_line(
			    env, inv->request_id, inv->res.error_message);
		envi_inv_complete(E, inv, env->maxrss_kb);
	}
	envi_env_unlink(E, env);
	envi_env_free(env);
	return 1;
}

/*
 * When the poll set cannot be built (out of memory) or poll fails, the
 * supervisor waits this long on its wake fd alone before it tries again:
 * it never spins, and never sleeps where a wake-up cannot reach it.
 */
#define RETRY_NOMEM_MS 10
#define RETRY_POLL_MS  1

enum watch_kind { W_WAKE, W_RX, W_LOG, W_PID };

struct watch {
	struct env *env;
	enum watch_kind kind;
};

/* What the supervisor polls: fds[i] is what ws[i] says. */
struct pollset {
	struct pollfd *fds; /* pfd, or &one */
	struct watch *ws;   /* w, or &one_w */
	size_t n;
	struct pollfd *pfd; /* grown as environments come */
	struct watch *w;
	size_t cap;
	struct pollfd one; /* the wake fd alone */
	struct watch one_w;
};

static void
watch_add(struct pollset *ps, int fd, struct env *env, enum watch_kind kind)
{
	ps->fds[ps->n].fd = fd;
	ps->fds[ps->n].events = POLLIN;
	ps->fds[ps->n].revents = 0;
	ps->ws[ps->n].env = env;
	ps->ws[ps->n].kind = kind;
	ps->n++;
}

/* Makes ps the wake fd alone. */
static void
pollset_wake_only(struct lb_envs *E, struct pollset *ps)
{
	ps->fds = &ps->one;
	ps->ws = &ps->one_w;
	ps->n = 0;
	watch_add(ps, E->wake[0], NULL, W_WAKE);
}

/*
 * Fills ps with what the supervisor waits on: the wake fd, and for each
 * environment its rx (while the supervisor reads it), its pidfd and its log
 * pipe.  Locked.  0, or -1 when ps cannot grow (out of memory): then it
 * holds the wake fd alone.
 */
static int
pollset_build(struct lb_envs *E, struct pollset *ps)
{
	size_t nenv = 0;

	for (struct env *env = E->all; env != NULL; env = env->next)
		nenv++;
	if (3 * nenv + 1 > ps->cap) {
		size_t ncap = 3 * nenv + 16;
		struct pollfd *np = realloc(ps->pfd, ncap * sizeof(*np));
		struct watch *nw;

		if (np != NULL)
			ps->pfd = np;
		nw = realloc(ps->w, ncap * sizeof(*nw));
		if (nw != NULL)
			ps->w = nw;
		if (np == NULL || nw == NULL) {
			pollset_wake_only(E, ps);
			return -1;
		}
		ps->cap = ncap;
	}
	ps->fds = ps->pfd;
	ps->ws = ps->w;
	ps->n = 0;
	watch_add(ps, E->wake[0], NULL, W_WAKE);
	for (struct env *env = E->all; env != NULL; env = env->next) {
		int live = env->state == ENV_STARTING || env->state == ENV_BUSY;

		/* never an rx a request thread is reading, nor a settling
		 * one's (read when it is wanted, or at its deadline) */
		if (live && !env->owned && env->rx >= 0)
			watch_add(ps, env->rx, env, W_RX);
		live |= env->state == ENV_SETTLING;
		/* the worker's exit, even when a child of the handler keeps
		 * its end of rx open (no EOF then) */
		if (env->pidfd >= 0 &&
		    (env->state == ENV_IDLE || (live && !env->exited)))
			watch_add(ps, env->pidfd, env, W_PID);
		if (env->logfd >= 0 &&
		    !__atomic_load_n(&env->log_eof, __ATOMIC_RELAXED))
			watch_add(ps, env->logfd, env, W_LOG);
	}
	return 0;
}

/* Runs the timers: deadlines, reaping, idle timeouts.  Locked.  Returns the
 * next time it must run again. */
static int64_t
run_timers(struct lb_envs *E, int64_t now)
{
	int64_t next = NO_DEADLINE;
	struct env *env, *nx;
	int rc;

	for (env = E->all; env != NULL; env = nx) {
		const struct lb_function *fn = env->pool->fn;

		nx = env->next;
		if (E->stop && env->state != ENV_CLOSING && env->inv == NULL)
			envi_env_close(E, env, 0);
		switch (env->state) {
		case ENV_CLOSING:
			if (env_try_reap(E, env, now))
				continue;
			if (now + REAP_POLL_MS < next)
				next = now + REAP_POLL_MS;
			continue;
		case ENV_STARTING:
			if (now >= env->deadline) {
				env_init_timeout(E, env);
				next = now;
				continue;
			}
			break;
		case ENV_BUSY:
			if (now >= env->deadline) {
				env_timeout(E, env);
				next = now;
				continue;
			}
			break;
		case ENV_SETTLING:
			if (now >= env->deadline &&
			    (rc = lb_frame_reader_pump_nb(&env->rd, env->rx)) !=
			        LB_FRAME_AGAIN) {
				/* its READY (or its end), unread so far */
				envi_rx_event(E, env, rc, 0);
				next = now;
				continue;
			}
			if (now >= env->deadline) {
				lb_log(LB_LOG_ERROR,
				    "function '%s': environment %ld did not "
				    "ask for its next event within the "
				    "timeout",
				    fn->name, (long)env->pid);
				envi_env_close(E, env, 1);
				next = now;
				continue;
			}
			break;
		case ENV_IDLE: {
			int64_t exp = env->idle_since +
			    (int64_t)(fn->idle_timeout * 1000.0);

			if (env->pool->nlive > fn->provisioned) {
				if (now >= exp) {
					envi_env_close(E, env, 0);
					next = now;
					continue;
				}
				if (exp < next)
					next = exp;
			}
			continue;
		}
		}
		if (env->deadline < next)
			next = env->deadline;
	}
	return next;
}

/* Starts missing provisioned environments.  Locked; drops the lock while
 * it spawns. */
static void
replenish(struct lb_envs *E, int64_t now)
{
	for (size_t i = 0; i < E->npools && !E->stop; i++) {
		struct pool *p = &E->pools[i];

		while (p->nlive < p->fn->provisioned &&
		    now >= p->respawn_after && !E->stop) {
			char err[256];
			struct env *env;

			pthread_mutex_unlock(&E->mu);
			env = envi_env_spawn(p, 1, err, sizeof(err));
			pthread_mutex_lock(&E->mu);
			if (env == NULL) {
				lb_log(LB_LOG_ERROR,
				    "function '%s': cannot start a provisioned "
				    "environment: %s",
				    p->fn->name, err);
				p->respawn_after = now + RESPAWN_BACKOFF_MS;
				break;
			}
			envi_env_link(E, env);
		}
	}
}

/*
 * Handles what lb_frame_reader_pump returned for env when it is not
 * LB_FRAME_AGAIN: a whole frame, or the end of the environment.  Called by
 * whoever reads env's rx, with the lock held.
 */
void
envi_rx_event(struct lb_envs *E, struct env *env, int rc, int logs_read)
{
	if (rc == LB_FRAME_DONE) {
		uint32_t type = env->rd.type;
		struct lb_frame_meta meta = env->rd.meta;
		size_t len;
		char *body = lb_frame_reader_take(&env->rd, &len);

		/* the function's output precedes its reply */
		if (!logs_read)
			envi_read_logs(env, env->reqid, LOG_READ_MAX, 1);
		handle_frame(E, env, type, &meta, body, len);
		/* a provided runtime's READY read together with its reply:
		 * no poll reports it any more */
		if (env->state == ENV_SETTLING && env->rd.ahead_len > 0 &&
		    (rc = lb_frame_reader_pump_nb(&env->rd, env->rx)) !=
		        LB_FRAME_AGAIN)
			envi_rx_event(E, env, rc, 1);
	} else if (rc == LB_FRAME_TOOBIG && env->inv != NULL &&
	    env->inv->phase == INV_SENT) {
		struct inv *inv = env->inv;

		/* too big to drain: the environment goes */
		envi_set_error(&inv->res, LB_INVOKE_TOO_LARGE,
		    "Function.ResponseSizeTooLarge",
		    "Response payload size (%lu bytes) exceeded maximum "
		    "allowed payload size (%d bytes).",
		    (unsigned long)(env->rd.len > LB_FRAME_META_LEN
		            ? env->rd.len - LB_FRAME_META_LEN
		            : env->rd.len),
		    LB_FRAME_RESULT_LIMIT);
		inv->res.duration_ms = (double)(lb_mono_ms() - inv->start_mono);
		envi_read_logs(env, env->reqid, LOG_READ_MAX, 1);
		envi_inv_complete(E, inv, env->maxrss_kb);
		envi_env_close(E, env, 1);
	} else if (rc != LB_FRAME_EOF) {
		lb_log(LB_LOG_ERROR,
		    "function '%s': bad frame from environment %ld (%d)",
		    env->pool->fn->name, (long)env->pid, rc);
		envi_env_close(E, env, 1);
	} else {
		/* EOF: the invocation, if any, completes on reap */
		envi_env_close(E, env, 0);
	}
}

/*
 * The supervisor reads env's rx only while env is starting or its
 * invocation was handed over; a starting environment becomes its caller's
 * only through handle_frame, called here, so one frame is handled per call.
 */
static void
service_rx(struct lb_envs *E, struct env *env)
{
	int rc, mine;

	pthread_mutex_lock(&E->mu);
	mine = !env->owned &&
	    (env->state == ENV_STARTING || env->state == ENV_BUSY);
	pthread_mutex_unlock(&E->mu);
	if (!mine)
		return;
	rc = lb_frame_reader_pump_nb(&env->rd, env->rx);
	if (rc == LB_FRAME_AGAIN)
		return;
	pthread_mutex_lock(&E->mu);
	envi_rx_event(E, env, rc, 0);
	pthread_mutex_unlock(&E->mu);
}

/* An environment's pidfd fired: its worker exited.  Takes the lock. */
static void
service_pid(struct lb_envs *E, struct env *env)
{
	pthread_mutex_lock(&E->mu);
	if (env->state == ENV_IDLE || env->state == ENV_SETTLING) {
		/* killed from outside, or a runtime that ended after its
		 * answer */
		envi_env_close(E, env, 0);
	} else if ((env->state == ENV_STARTING || env->state == ENV_BUSY) &&
	    !env->exited) {
		/* whoever reads rx sees EOF now: the crash is reported at
		 * once */
		env->exited = 1;
		shutdown(env->rx, SHUT_RDWR);
	}
	pthread_mutex_unlock(&E->mu);
}

/* Handles what poll found ready in ps.  Unlocked. */
static void
pollset_dispatch(struct lb_envs *E, const struct pollset *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct env *env = ps->ws[i].env;

		if (ps->fds[i].revents == 0)
			continue;
		switch (ps->ws[i].kind) {
		case W_WAKE: {
			char buf[256];

			while (read(E->wake[0], buf, sizeof(buf)) > 0)
				;
			break;
		}
		case W_LOG: {
			char reqid[ID_MAX];

			pthread_mutex_lock(&E->mu);
			memcpy(reqid, env->reqid, sizeof(reqid));
			pthread_mutex_unlock(&E->mu);
			envi_read_logs(env, reqid, LOG_READ_MAX, 0);
			break;
		}
		case W_PID: service_pid(E, env); break;
		case W_RX: service_rx(E, env); break;
		}
	}
}

void *
envi_supervisor(void *arg)
{
	struct lb_envs *E = arg;
	struct pollset ps;
	int retry_ms = 0;

	memset(&ps, 0, sizeof(ps));
	pthread_mutex_lock(&E->mu);
	for (;;) {
		int64_t now = lb_mono_ms(), next;
		int timeout, r;

		replenish(E, now);
		next = run_timers(E, now);
		if (E->stop && E->all == NULL)
			break;
		/* after a failure, the wake fd alone for a while */
		if (retry_ms > 0)
			pollset_wake_only(E, &ps);
		else if (pollset_build(E, &ps) < 0)
			retry_ms = RETRY_NOMEM_MS;
		now = lb_mono_ms();
		if (retry_ms > 0 && next > now + retry_ms)
			next = now + retry_ms;
		retry_ms = 0;
		if (next == NO_DEADLINE)
			timeout = -1;
		else if (next <= now)
			timeout = 0;
		else
			timeout =
			    next - now > INT_MAX ? INT_MAX : (int)(next - now);
		E->sup_next = next;
		pthread_mutex_unlock(&E->mu);

		r = poll(ps.fds, ps.n, timeout);
		if (r < 0 && errno != EINTR)
			retry_ms = RETRY_POLL_MS;
		if (r > 0)
			pollset_dispatch(E, &ps);
		pthread_mutex_lock(&E->mu);
	}
	pthread_mutex_unlock(&E->mu);
	free(ps.pfd);
	free(ps.w);
	return NULL;
}
