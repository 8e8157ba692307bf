/*
 * env.c - execution environments, the gateway's side (docs/design.md
 * section 1): the life of one environment (its record, worker process,
 * channels, lists and idle stack, closing) and of an lb_envs (lb_envs_new,
 * _free, _prime, _dump_stats).
 *
 * Each function has a pool of worker processes (pool.c).  A caller takes an
 * idle environment (LIFO, preferring one whose worker last ran on the
 * caller's CPU: envi_pick_idle) or starts one under the function's and the
 * account's concurrency caps (invoke.c, invoke_async.c).  Spare workers
 * started ahead are in spare.c, the workers' environment variables in
 * envvars.c, their output in envlog.c.  One supervisor thread per lb_envs
 * (supervisor.c) owns everything else.  The shared structs and the locking
 * rules are in env_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/loop.h"
#include "lambda/env.h"
#include "lambda/env_int.h"
#include "lambda/frame.h"
#include "lambda/sandbox.h"
#include "lambda/spawn.h"
#include "lambda/worker.h"

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

static void
mono_to_timespec(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

int
envi_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t until_mono)
{
	struct timespec ts;

	if (until_mono == 0)
		return pthread_cond_wait(c, m);
	mono_to_timespec(until_mono, &ts);
	return pthread_cond_timedwait(c, m, &ts);
}

void
envi_env_free(struct env *env)
{
	lb_frame_reader_reset(&env->rd);
	if (env->rx >= 0) {
		lb_loop_forget(env->loop, env->rx, &env->watch);
		close(env->rx);
	}
	if (env->tx >= 0)
		close(env->tx);
	if (env->logfd >= 0)
		close(env->logfd);
	if (env->pidfd >= 0)
		close(env->pidfd);
	lb_sandbox_cgroup_free(env->cg);
	pthread_mutex_destroy(&env->logmu);
	free(env);
}

/* SIGKILLs a worker that never served, and what it started, and waits
 * for it. */
void
envi_kill_reap(pid_t pid)
{
	lb_sandbox_kill_tree(pid);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

struct env *
envi_env_new(struct pool *p)
{
	struct env *env = calloc(1, sizeof(*env));

	if (env == NULL)
		return NULL;
	env->pool = p;
	env->rx = env->tx = env->logfd = env->pidfd = -1;
	env->pid = -1;
	env->cpu = -1;
	/* a random start: a frame a handler writes cannot match by chance */
	if (getrandom(&env->seq, sizeof(env->seq), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(env->seq))
		env->seq =
		    (uint64_t)lb_mono_ms() * 2654435761u ^ (uintptr_t)env;
	pthread_mutex_init(&env->logmu, NULL);
	lb_frame_reader_init(&env->rd, LB_FRAME_MAX, 1);
	return env;
}

/*
 * Starts env's worker process: `argv` and `envp` for lb_spawn_start, and
 * the channels.  0, or -1 with the reason in err.
 */
int
envi_env_start(struct lb_envs *E, struct env *env, char **argv, char **envp,
    char *err, size_t errlen)
{
	int rq[2] = { -1, -1 }, rp[2] = { -1, -1 }, lp[2] = { -1, -1 };
	struct lb_spawn sp;

	/*
	 * One way each.  A unix socket wakes whoever sleeps on it each time
	 * its peer consumes what it sent (write space): over one socketpair
	 * both ways, a request thread waiting for the reply and an idle worker
	 * waiting for work were each woken for nothing once per request.  So
	 * frames to the worker go through a pipe, and the worker's replies
	 * through a socket nobody waits on at the worker's end; a socket
	 * because shutdown() ends our blocking read even when a child of the
	 * handler still holds the worker's end.
	 */
	if (pipe2(rq, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rp) < 0 ||
	    pipe2(lp, O_CLOEXEC) < 0) {
		snprintf(err, errlen,
		    "cannot create the environment's "
		    "channels: %s",
		    strerror(errno));
		goto fail;
	}
	memset(&sp, 0, sizeof(sp));
	sp.exe = E->self_exe;
	sp.argv = argv;
	sp.envp = envp;
	sp.fd3 = rq[0];
	sp.fd4 = rp[1];
	sp.out_fd = lp[1];
	sp.err_fd = -1;
	sp.contain = sp.confine = 1;
	sp.cgroup_fd = lb_sandbox_cgroup_new(&env->cg);
	sp.join_cgroup = sp.cgroup_fd >= 0;
	if (env->pool != NULL) {
		sp.set_ids = env->pool->set_ids;
		sp.uid = env->pool->fn->uid;
		sp.gid = env->pool->fn->gid;
		sp.filter = env->pool->filter;
	}
	env->pid = lb_spawn_start(&sp, err, errlen);
	if (sp.join_cgroup)
		close(sp.cgroup_fd);
	close(rq[0]);
	close(rp[1]);
	close(lp[1]);
	rq[0] = rp[1] = lp[1] = -1;
	if (env->pid < 0)
		goto fail;
	env->rx = rp[0];
	env->tx = rq[1];
	env->logfd = lp[0];
	/* without pidfds (Linux < 5.3) an idle worker's death is seen when
	 * the environment is next used */
	env->pidfd = pidfd_open(env->pid, 0); /* close-on-exec */
	/* rx stays blocking: its owner's reads block (the caller's) or pass
	 * MSG_DONTWAIT (the supervisor's); tx waits for room only until a
	 * deadline.  Room for a large event at once, where the system allows
	 * it. */
	(void)fcntl(env->tx, F_SETPIPE_SZ, PIPE_ROOM);
	env->tx_room = fcntl(env->tx, F_GETPIPE_SZ);
	if (set_nonblock(env->logfd) < 0 || set_nonblock(env->tx) < 0) {
		/* cannot happen on fresh fds; keep going blocking is unsafe */
		envi_kill_reap(env->pid);
		env->pid = -1;
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		return -1;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (rq[i] >= 0)
			close(rq[i]);
		if (rp[i] >= 0)
			close(rp[i]);
		if (lp[i] >= 0)
			close(lp[i]);
	}
	return -1;
}

/*
 * Starts a worker for pool p (no lock needed: reads only immutable pool
 * fields), from a spare when there is one, and passes it the pinned
 * module.  Returns a new STARTING environment not yet on any list, or NULL
 * with the reason in err.
 */
struct env *
envi_env_spawn(struct pool *p, int provisioned, char *err, size_t errlen)
{
	struct lb_envs *E = p->envs;
	struct env *env = NULL;
	char uuid[LB_IDS_UUID_LEN + 1], stream[128], day[16];
	char **argv, **envp = NULL;
	char *stream_env = NULL, *init_env = NULL, version[16];
	struct tm tm;
	time_t now = time(NULL);
	size_t n = 0;

	lb_ids_uuid(uuid);
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y/%m/%d", &tm);
	/* Lambda's stream name: date, [version], 32 hex digits */
	{
		char hex[33];
		size_t h = 0;

		for (size_t i = 0; uuid[i] != '\0' && h < 32; i++)
			if (uuid[i] != '-')
				hex[h++] = uuid[i];
		hex[h] = '\0';
		snprintf(stream, sizeof(stream), "%s/[%s]%s", day,
		    p->fn->version, hex);
	}
	snprintf(version, sizeof(version), "%d", LB_FRAME_VERSION);
	/* a provided function's bootstrap argv follows the arguments */
	argv = calloc(LB_WARG_COUNT + 3 + p->fn->nbootstrap, sizeof(*argv));
	if (argv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	argv[0] = E->self_exe;
	argv[1] = "__worker";
	argv[2 + LB_WARG_VERSION] = version;
	argv[2 + LB_WARG_MODULE] = p->fn->module != NULL ? p->fn->module : "";
	argv[2 + LB_WARG_HANDLER] = p->fn->handler;
	argv[2 + LB_WARG_FUNCTION] = p->fn->name;
	argv[2 + LB_WARG_FVERSION] = p->fn->version;
	argv[2 + LB_WARG_MEMORY] = p->memory;
	argv[2 + LB_WARG_ARN] = p->arn;
	argv[2 + LB_WARG_GROUP] = p->group;
	argv[2 + LB_WARG_STREAM] = stream;
	argv[2 + LB_WARG_RUNTIME] =
	    p->fn->runtime == LB_RUNTIME_PROVIDED ? "provided" : "native";
	argv[2 + LB_WARG_CODE_DIR] =
	    p->fn->code_dir != NULL ? p->fn->code_dir : "";
	for (size_t i = 0; i < p->fn->nbootstrap; i++)
		argv[2 + LB_WARG_COUNT + i] = p->fn->bootstrap[i];

	stream_env = envi_asprintf("AWS_LAMBDA_LOG_STREAM_NAME=%s", stream);
	init_env = envi_asprintf("AWS_LAMBDA_INITIALIZATION_TYPE=%s",
	    provisioned ? "provisioned-concurrency" : "on-demand");
	envp = calloc(p->nenvp + 3, sizeof(*envp));
	if (stream_env == NULL || init_env == NULL || envp == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->nenvp; i++)
		envp[n++] = p->envp[i];
	envp[n++] = stream_env;
	envp[n++] = init_env;
	envp[n] = NULL;

	if (p->spare_ok)
		env = envi_spare_take(E, argv + 1, 1 + LB_WARG_COUNT, envp);
	if (env != NULL && lb_frame_send_fd(env->rx, p->code_fd) < 0) {
		envi_spare_discard(env); /* it died while waiting */
		env = NULL;
	}
	if (env != NULL) {
		env->pool = p;
		pthread_mutex_lock(&E->mu);
		p->spare_starts++;
		pthread_mutex_unlock(&E->mu);
	} else {
		env = envi_env_new(p);
		if (env == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (envi_env_start(E, env, argv, envp, err, errlen) < 0) {
			envi_env_free(env);
			env = NULL;
			goto out;
		}
		/* a provided function's code is its bootstrap, run from its
		 * file: nothing is pinned */
		if (p->code_fd >= 0 &&
		    lb_frame_send_fd(env->rx, p->code_fd) < 0) {
			snprintf(err, errlen, "cannot pass the module: %s",
			    strerror(errno));
			envi_kill_reap(env->pid);
			envi_env_free(env);
			env = NULL;
			goto out;
		}
	}
	lb_sandbox_cgroup_limit(env->cg, p->fn->memory);
	env->state = ENV_STARTING;
	env->deadline = lb_mono_ms() + INIT_TIMEOUT_MS;
out:
	free(stream_env);
	free(init_env);
	free(envp);
	free(argv);
	return env;
}

void
envi_env_link(struct lb_envs *E, struct env *env)
{
	env->prev = NULL;
	env->next = E->all;
	if (E->all != NULL)
		E->all->prev = env;
	E->all = env;
	env->pool->nenvs++;
	env->pool->nlive++;
}

void
envi_env_unlink(struct lb_envs *E, struct env *env)
{
	if (env->prev != NULL)
		env->prev->next = env->next;
	else
		E->all = env->next;
	if (env->next != NULL)
		env->next->prev = env->prev;
	env->pool->nenvs--;
}

/*
 * Takes an idle environment off p's stack: among the IDLE_SCAN most recently
 * used, the first whose worker last ran on the caller's CPU, else the most
 * recently used.  Writing the event wakes the worker; woken on the CPU it
 * last ran on, which is the waking thread's, it needs no inter-processor
 * interrupt and finds its caches warm (docs/performance.md).  Nothing is
 * pinned, so the scheduler still balances.  NULL when none is idle.
 * Locked.
 */
void
envi_settle_begin(struct env *env)
{
	struct pool *p = env->pool;

	env->state = ENV_SETTLING;
	env->settle_next = NULL;
	env->settle_prev = p->settle_tail;
	if (p->settle_tail != NULL)
		p->settle_tail->settle_next = env;
	else
		p->settle_head = env;
	p->settle_tail = env;
}

void
envi_settle_end(struct env *env)
{
	struct pool *p = env->pool;

	if (env->settle_prev != NULL)
		env->settle_prev->settle_next = env->settle_next;
	else
		p->settle_head = env->settle_next;
	if (env->settle_next != NULL)
		env->settle_next->settle_prev = env->settle_prev;
	else
		p->settle_tail = env->settle_prev;
	env->settle_prev = env->settle_next = NULL;
}

/*
 * Reads the READY of settling environments, oldest first, until one is
 * idle: a runtime's next call makes its environment idle only when one is
 * wanted, with no thread woken for it.  Locked.
 */
static void
settled_pick(struct pool *p)
{
	struct env *env, *nx;
	int n = 0;

	for (env = p->settle_head;
	     env != NULL && p->idle == NULL && n < IDLE_SCAN; env = nx, n++) {
		int rc = lb_frame_reader_pump_nb(&env->rd, env->rx);

		nx = env->settle_next;
		if (rc != LB_FRAME_AGAIN)
			envi_rx_event(p->envs, env, rc, 0);
	}
}

struct env *
envi_pick_idle(struct pool *p)
{
	struct env **pp, **best = &p->idle, *env;
	int cpu = sched_getcpu(), n = 0;

	if (p->idle == NULL && p->settle_head != NULL)
		settled_pick(p);
	if (p->idle == NULL)
		return NULL;
	for (pp = &p->idle; *pp != NULL && n < IDLE_SCAN;
	     pp = &(*pp)->idle_next, n++)
		if (cpu >= 0 && (*pp)->cpu == cpu) {
			best = pp;
			break;
		}
	env = *best;
	*best = env->idle_next;
	env->idle_next = NULL;
	return env;
}

static void
idle_remove(struct pool *p, struct env *env)
{
	for (struct env **pp = &p->idle; *pp != NULL; pp = &(*pp)->idle_next)
		if (*pp == env) {
			*pp = env->idle_next;
			env->idle_next = NULL;
			return;
		}
}

/*
 * Starts shutting env down: with `kill` by SIGKILL, else by closing our
 * pipe to it so that the worker runs lb_shutdown and exits.  Locked.
 */
void
envi_env_close(struct lb_envs *E, struct env *env, int kill_it)
{
	if (env->state == ENV_IDLE)
		idle_remove(env->pool, env);
	if (env->state == ENV_SETTLING)
		envi_settle_end(env);
	if (env->state != ENV_CLOSING) {
		env->pool->nlive--;
		env->state = ENV_CLOSING;
		env->deadline = lb_mono_ms() + REAP_GRACE_MS;
		/* ends a blocking read of rx, whoever holds the other end */
		if (env->rx >= 0)
			shutdown(env->rx, SHUT_RDWR);
		/* EOF for the worker; an owned one is killed after the
		 * grace if its owner's invocation keeps it (env_try_reap) */
		if (env->tx >= 0 && !env->owned) {
			close(env->tx);
			env->tx = -1;
		}
		envi_sup_wake(E); /* to reap it */
	}
	if (kill_it && !env->killed) {
		lb_sandbox_kill_tree(env->pid);
		lb_sandbox_cgroup_kill(env->cg);
		env->killed = 1;
	}
}

void
envi_env_release(struct lb_envs *E, struct env *env)
{
	struct pool *p = env->pool;

	env->inv = NULL;
	env->reqid[0] = '\0';
	if (E->stop ||
	    (p->fn->max_requests > 0 && env->requests >= p->fn->max_requests)) {
		envi_env_close(E, env, 0);
		return;
	}
	env->state = ENV_IDLE;
	env->idle_since = lb_mono_ms();
	env->deadline = NO_DEADLINE;
	env->idle_next = p->idle;
	p->idle = env;
	if (p->nlive > p->fn->provisioned)
		envi_sup_due(E,
		    env->idle_since + (int64_t)(p->fn->idle_timeout * 1000.0));
}

/*
 * Frames go to a worker through a pipe: when the worker is dead (killed
 * while idle, before the supervisor saw it), the write must fail with
 * EPIPE, not kill the process that embeds us.  Only a default disposition
 * is changed: a handler the program set stays.
 */
static void
ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
	    !(sa.sa_flags & SA_SIGINFO)) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

/* E->self_exe, and E->runtime_dir: the folder it is in.  0, or -1 out of
 * memory (nothing kept). */
static int
envs_paths(struct lb_envs *E, const char *self_exe)
{
	char *slash;

	E->self_exe = strdup(self_exe);
	E->runtime_dir = strdup(self_exe);
	if (E->self_exe == NULL || E->runtime_dir == NULL) {
		free(E->self_exe);
		free(E->runtime_dir);
		return -1;
	}
	slash = strrchr(E->runtime_dir, '/');
	if (slash != NULL)
		*(slash == E->runtime_dir ? slash + 1 : slash) = '\0';
	else
		snprintf(E->runtime_dir, strlen(E->runtime_dir) + 1, ".");
	return 0;
}

/* A condition variable on the monotonic clock (envi_cond_wait_until). */
static int
cond_init(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	int rc;

	if ((rc = pthread_condattr_init(&ca)) != 0)
		return rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
	return rc;
}

struct lb_envs *
lb_envs_new(
    const struct lb_config *cfg, const char *self_exe, char *err, size_t errlen)
{
	struct lb_envs *E;
	int rc;

	if (cfg == NULL || self_exe == NULL) {
		snprintf(err, errlen, "no configuration or binary");
		return NULL;
	}
	ignore_sigpipe();
	E = calloc(1, sizeof(*E));
	if (E == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	E->cfg = cfg;
	E->wake[0] = E->wake[1] = -1;
	if (envs_paths(E, self_exe) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_paths;
	}
	if (envi_pools_new(E, err, errlen) < 0)
		goto fail_pools;
	if (pipe2(E->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail_wake;
	}
	if ((rc = pthread_mutex_init(&E->mu, NULL)) != 0)
		goto fail_mutex;
	if ((rc = cond_init(&E->drained)) != 0)
		goto fail_drained;
	if ((rc = cond_init(&E->spare_cond)) != 0)
		goto fail_spare_cond;
	if ((rc = cond_init(&E->primed)) != 0)
		goto fail_primed;
	/* provisioned environments: the supervisor starts them at once */
	if (pthread_create(&E->sup, NULL, envi_supervisor, E) != 0) {
		snprintf(err, errlen, "cannot start the supervisor thread");
		goto fail_supervisor;
	}
	E->sup_started = 1;
	/* without it, environments start the slow way: no error */
	if (cfg->spare_workers > 0 &&
	    pthread_create(&E->spawner, NULL, envi_spawner, E) == 0)
		E->spawner_started = 1;
	return E;

fail_supervisor:
	pthread_cond_destroy(&E->primed);
fail_primed:
	pthread_cond_destroy(&E->spare_cond);
fail_spare_cond:
	pthread_cond_destroy(&E->drained);
fail_drained:
	pthread_mutex_destroy(&E->mu);
fail_mutex:
	/* rc is 0 when the supervisor failed, which said why */
	if (rc != 0)
		snprintf(err, errlen, "cannot create a lock: %s", strerror(rc));
	close(E->wake[0]);
	close(E->wake[1]);
fail_wake:
	envi_pools_free(E);
fail_pools:
	free(E->self_exe);
	free(E->runtime_dir);
fail_paths:
	free(E);
	return NULL;
}

void
lb_envs_free(struct lb_envs *E)
{
	if (E == NULL)
		return;
	pthread_mutex_lock(&E->mu);
	E->closing = 1;
	pthread_cond_signal(&E->spare_cond);
	while (E->ninflight > 0)
		pthread_cond_wait(&E->drained, &E->mu);
	E->stop = 1;
	envi_sup_wake(E);
	pthread_mutex_unlock(&E->mu);
	if (E->spawner_started)
		pthread_join(E->spawner, NULL);
	while (E->spares != NULL) {
		struct env *env = E->spares;

		E->spares = env->idle_next;
		envi_spare_discard(env);
	}
	pthread_join(E->sup, NULL);
	pthread_cond_destroy(&E->drained);
	pthread_cond_destroy(&E->spare_cond);
	pthread_cond_destroy(&E->primed);
	pthread_mutex_destroy(&E->mu);
	close(E->wake[0]);
	close(E->wake[1]);
	envi_pools_free(E);
	free(E->self_exe);
	free(E->runtime_dir);
	free(E);
}

int
lb_envs_prime(struct lb_envs *E, struct lb_envs *old, char *err, size_t errlen)
{
	int64_t until = lb_mono_ms() + INIT_TIMEOUT_MS + 2 * REAP_GRACE_MS;
	int rc = 0;

	for (size_t i = 0; i < E->npools; i++) {
		struct pool *p = &E->pools[i];
		char why[256];
		struct env *env;
		size_t j;

		for (j = 0; old != NULL && j < old->npools; j++)
			if (strcmp(old->pools[j].fn->name, p->fn->name) == 0)
				break;
		if (old != NULL && j < old->npools &&
		    envi_pool_same(p, &old->pools[j]))
			continue;
		env = envi_env_spawn(p, 0, why, sizeof(why));
		pthread_mutex_lock(&E->mu);
		if (env == NULL) {
			if (E->prime_err[0] == '\0')
				snprintf(E->prime_err, sizeof(E->prime_err),
				    "function '%s' cannot start: %s",
				    p->fn->name, why);
		} else {
			env->priming = 1;
			E->npriming++;
			envi_env_link(E, env);
			envi_sup_wake(E);
		}
		pthread_mutex_unlock(&E->mu);
	}
	pthread_mutex_lock(&E->mu);
	while (E->npriming > 0)
		if (envi_cond_wait_until(&E->primed, &E->mu, until) ==
		    ETIMEDOUT)
			break;
	if (E->npriming > 0 && E->prime_err[0] == '\0')
		snprintf(E->prime_err, sizeof(E->prime_err),
		    "an environment did not start in time");
	if (E->prime_err[0] != '\0') {
		snprintf(err, errlen, "%s", E->prime_err);
		rc = -1;
	}
	pthread_mutex_unlock(&E->mu);
	return rc;
}

void
lb_envs_dump_stats(struct lb_envs *E, FILE *out)
{
	if (E == NULL || out == NULL)
		return;
	pthread_mutex_lock(&E->mu);
	for (size_t i = 0; i < E->npools; i++) {
		const struct pool *p = &E->pools[i];
		uint64_t ran = p->invocations;
		int nidle = 0;

		for (const struct env *e = p->idle; e != NULL; e = e->idle_next)
			nidle++;
		fprintf(out,
		    "function %s: invocations=%llu errors=%llu throttles=%llu "
		    "timeouts=%llu cold_starts=%llu concurrent=%d "
		    "max_concurrent=%d avg_duration_ms=%.2f "
		    "max_duration_ms=%.2f total_duration_ms=%.2f "
		    "environments=%d idle=%d spare_starts=%llu\n",
		    p->fn->name, (unsigned long long)p->invocations,
		    (unsigned long long)p->errors,
		    (unsigned long long)p->throttles,
		    (unsigned long long)p->timeouts,
		    (unsigned long long)p->cold_starts, p->active,
		    p->max_active, ran > 0 ? p->total_ms / (double)ran : 0.0,
		    p->max_ms, p->total_ms, p->nlive, nidle,
		    (unsigned long long)p->spare_starts);
	}
	fprintf(out, "spare workers: ready=%d\n", E->nspares);
	pthread_mutex_unlock(&E->mu);
}
