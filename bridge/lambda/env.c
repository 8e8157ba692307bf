/*
 * env.c - execution environments, the gateway's side (docs/design.md
 * section 1).
 *
 * Each function has a pool of worker processes.  A caller takes an idle
 * environment (LIFO, preferring one whose worker last ran on the caller's
 * CPU: pick_idle) or starts one under the function's and the account's
 * concurrency caps, sends the INVOKE frame and reads the reply itself.  On
 * the hot path (lb_envs_invoke_async, a warm environment) the caller is a
 * loop thread, which sends and returns to its loop; the reply's rx is
 * armed on the loop and read by whichever loop thread it wakes (under load
 * one that is awake anyway).  Everything that must wait (cold starts, long
 * integration waits) blocks a pool thread (lb_envs_invoke).  One supervisor thread per lb_envs owns
 * everything else: it reads READY frames of starting environments, watches
 * idle workers through pidfds, logs the functions' output line by line,
 * enforces the function timeouts (SIGKILL; the caller then sees EOF), init
 * timeouts and idle timeouts, reaps the children, and completes
 * invocations whose caller left at its integration deadline or whose
 * environment died.
 *
 * Locking: one mutex (lb_envs.mu) guards the lists, states, invocations and
 * counters.  Only the supervisor frees an environment, so it may use an
 * environment pointer without the lock.  env->rx, env->tx and env->rd belong
 * to the caller while env->owned is set (from taking the environment to
 * handling its reply, or handing it to the supervisor at the integration
 * deadline), and to the supervisor otherwise; the supervisor never reaps an
 * owned environment.  The log line buffer is guarded by env->logmu (taken
 * after lb_envs.mu, never before).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lambda/code.h"
#include "lambda/env.h"
#include "base/fmt.h"
#include "lambda/frame.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/loop.h"
#include "lambda/sandbox.h"
#include "lambda/worker.h"

#define INIT_TIMEOUT_MS    10000 /* Lambda's init phase limit */
#define REAP_GRACE_MS      1000  /* after EOF or a retire, before SIGKILL */
#define REAP_POLL_MS       5     /* waitpid retry period while reaping */
#define RESPAWN_BACKOFF_MS 5000  /* provisioned restart after a failure */
#define LOG_LINE_MAX       8000  /* longer lines are split */
#define LOG_READ_MAX       (256 * 1024) /* per pipe per poll round */
#define ID_MAX             256
#define START_MAX          (ID_MAX + 64) /* "START RequestId: ... Version: ..." */
#define NO_DEADLINE        INT64_MAX
#define IDLE_SCAN          16 /* idle environments pick_idle looks at */
#define SPARE_DELAY_MS     10 /* a taken spare is replaced this much later */
#define PIPE_ROOM          (256 * 1024) /* bytes the pipe to a worker holds */

enum env_state {
	ENV_STARTING, /* spawned, waiting for READY */
	ENV_IDLE,     /* on its pool's idle stack */
	ENV_BUSY,     /* an invocation is attached */
	ENV_CLOSING,  /* being shut down or dead, waiting to be reaped */
};

enum inv_phase {
	INV_WAIT_READY, /* cold start: waiting for the environment's READY */
	INV_READY,      /* the caller may send INVOKE */
	INV_SENT,       /* INVOKE sent (or being sent): the function runs */
	INV_DONE,       /* res is filled */
};

struct pool;

/* One invocation; owned by its caller until abandoned, then by the
 * supervisor, which frees it when it completes. */
struct inv {
	pthread_cond_t cond;
	struct pool *pool;
	struct env *env;
	enum inv_phase phase;
	int abandoned;
	int cold;
	double init_ms;
	int64_t start_mono; /* INVOKE sent; 0 before */
	char request_id[ID_MAX];
	char tail[LB_INVOKE_REPORT_MAX]; /* [START,] END, REPORT to be logged */
	struct lb_invoke_result res;
	/* lb_envs_invoke_async's: where the result goes, and who is told */
	const struct lb_invoke_request *rq;
	struct lb_invoke_result *out;
	lb_invoke_done *done;
	void *done_arg;
	struct lb_loop *loop;
	int64_t integ; /* the integration deadline (lb_mono_ms), or 0 */
};

struct env {
	struct pool *pool;
	struct env *prev, *next; /* lb_envs.all */
	struct env *idle_next;   /* pool->idle stack */
	pid_t pid;
	int rx;      /* the worker's frames: a socket, blocking */
	int tx;      /* ours to the worker: a pipe, non-blocking */
	int logfd;   /* read end of the stdout/stderr pipe, non-blocking */
	int log_eof; /* the pipe reached EOF (atomic; the fd is closed with
		      * the environment) */
	int pidfd;   /* readable when the worker exits; -1 without pidfds */
	enum env_state state;
	int killed;   /* SIGKILL sent */
	int owned;    /* a request thread holds rx, tx and rd (see the top) */
	int oom;      /* the worker reported OOM */
	int exited;   /* its pidfd fired while it was starting or busy */
	int priming;  /* lb_envs_prime waits for its READY */
	int cpu;      /* the CPU its worker last replied from, or -1 */
	uint64_t seq; /* the last INVOKE's sequence number (frame.h) */
	unsigned cg;  /* its cgroup (lb_sandbox_cgroup_new), or 0 */
	struct inv *inv;
	int64_t deadline; /* lb_mono_ms: init, function or reap deadline */
	int64_t idle_since;
	int requests;
	double init_ms;
	uint64_t maxrss_kb;
	char reqid[ID_MAX];        /* tags the function's log lines */
	struct lb_frame_reader rd; /* the owner's: see the top */
	/* rx on the event loop (lb_envs_invoke_async): armed while ainv
	 * waits for its reply */
	struct lb_watch watch;
	struct lb_loop *loop; /* whose epoll set rx is in, or NULL */
	struct inv *ainv;
	int tx_room;           /* what the pipe to the worker holds */
	pthread_mutex_t logmu; /* guards line, linelen and start */
	char line[LOG_LINE_MAX];
	size_t linelen;
	/* the invocation's START line until it is logged: before the
	 * function's first line, else together with END and REPORT (one
	 * write fewer per request) */
	char start[START_MAX];
};

struct pool {
	struct lb_envs *envs;
	const struct lb_function *fn;
	char **envp; /* "K=V" strings, NULL-terminated; owned */
	size_t nenvp;
	char arn[256];
	char group[256];
	char memory[16];
	char version[16];
	struct env *idle; /* LIFO */
	int nlive;        /* environments not CLOSING */
	int nenvs;        /* all of them, until reaped */
	int active;       /* invocations holding a concurrency slot */
	int64_t respawn_after;
	int spare_ok; /* its workers may start from spares (see there) */
	int set_ids;  /* its workers switch to fn->uid/gid */
	const struct sock_fprog *filter; /* seccomp, or NULL */
	int code_fd; /* the module's pinned copy (code.h); owned */
	/* counters */
	uint64_t invocations, errors, throttles, timeouts, cold_starts;
	uint64_t spare_starts; /* cold starts from a spare worker */
	int max_active;
	double total_ms, max_ms;
};

struct lb_envs {
	const struct lb_config *cfg;
	char *self_exe;
	char *runtime_dir;
	struct pool *pools;
	size_t npools;
	pthread_mutex_t mu;
	pthread_cond_t drained;
	int unreserved_cap;
	int unreserved_active;
	int ninflight; /* invocations not yet completed */
	int closing;   /* lb_envs_free started: no new invocations */
	int stop;      /* the supervisor shuts everything down and exits */
	struct env *all;
	int wake[2];      /* self-pipe to interrupt the supervisor's poll */
	int64_t sup_next; /* when the supervisor's poll ends at the latest */
	pthread_t sup;
	int sup_started;
	/* spare workers (see there) */
	struct env *spares; /* linked by idle_next */
	int nspares;
	pthread_cond_t spare_cond; /* the spawner waits on it */
	char **spare_envp;         /* their environment: the passthrough */
	int64_t spare_after;       /* no spare is started before (lb_mono_ms) */
	pthread_t spawner;
	int spawner_started;
	/* lb_envs_prime: environments still starting, and the first failure */
	int npriming;
	pthread_cond_t primed;
	char prime_err[512];
};

/* ---- small helpers ---- */

static void
wake_supervisor(struct lb_envs *E)
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
static void
supervisor_due(struct lb_envs *E, int64_t when)
{
	if (when < E->sup_next) {
		E->sup_next = when;
		wake_supervisor(E);
	}
}

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

static char *xstrdup_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xstrdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

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

static void set_error(struct lb_invoke_result *res, enum lb_invoke_status st,
    const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
set_error(struct lb_invoke_result *res, enum lb_invoke_status st,
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
static void
take_error_body(
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

/* ---- concurrency ---- */

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
	if (p->active > p->max_active)
		p->max_active = p->active;
	return 0;
}

static void
slot_release(struct lb_envs *E, struct pool *p)
{
	p->active--;
	if (p->fn->reserved_concurrency < 0)
		E->unreserved_active--;
}

/* ---- logging of the function's output ---- */

/* Logs env's pending START line, if any.  Holds env->logmu. */
static void
start_flush(struct env *env)
{
	if (env->start[0] != '\0') {
		lb_log_raw(env->start);
		env->start[0] = '\0';
	}
}

/* Logs one line of env's invocation, after its START.  Takes env->logmu. */
static void
log_inv_line(struct env *env, const char *reqid, const char *msg)
{
	pthread_mutex_lock(&env->logmu);
	start_flush(env);
	lb_log_function(env->pool->fn->name, reqid, msg, strlen(msg));
	pthread_mutex_unlock(&env->logmu);
}

static void
emit_line(struct env *env, const char *reqid)
{
	size_t n = env->linelen;

	start_flush(env);
	if (n > 0 && env->line[n - 1] == '\r')
		n--;
	lb_log_function(
	    env->pool->fn->name, reqid[0] ? reqid : "-", env->line, n);
	env->linelen = 0;
}

/*
 * Reads what the log pipe has (at most `cap` bytes) and logs whole lines;
 * `flush` also logs a trailing partial line.  Any thread; takes env->logmu.
 */
static void
read_logs(struct env *env, const char *reqid, size_t cap, int flush)
{
	char buf[16384];
	size_t total = 0;

	pthread_mutex_lock(&env->logmu);
	while (env->logfd >= 0 &&
	    !__atomic_load_n(&env->log_eof, __ATOMIC_RELAXED) && total < cap) {
		ssize_t n = read(env->logfd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				__atomic_store_n(
				    &env->log_eof, 1, __ATOMIC_RELAXED);
			break;
		}
		total += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				emit_line(env, reqid);
				continue;
			}
			env->line[env->linelen++] = buf[i];
			if (env->linelen == sizeof(env->line))
				emit_line(env, reqid);
		}
	}
	if (flush && env->linelen > 0)
		emit_line(env, reqid);
	pthread_mutex_unlock(&env->logmu);
}

/* ---- environments ---- */

static void
env_free(struct env *env)
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
static void
kill_reap(pid_t pid)
{
	lb_sandbox_kill_tree(pid);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A new environment record for pool p (NULL for a spare), no process yet. */
static struct env *
env_new(struct pool *p)
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
 * Starts env's worker process: `argv` and `envp` for lb_worker_spawn, and
 * the channels.  0, or -1 with the reason in err.
 */
static int
env_start_process(struct lb_envs *E, struct env *env, char **argv, char **envp,
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
	env->pid = lb_worker_spawn(&sp, err, errlen);
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
		kill_reap(env->pid);
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

/* ---- spare workers ----
 *
 * Starting a process (vfork, execve, the dynamic linker) is most of a cold
 * start on this kind of machine: ~3 ms of ~5.  With gateway.spare_workers
 * set, the spawner thread keeps that many workers started ahead, in
 * `lambdabridge __spare` mode; a new environment takes one and sends it a
 * START frame with the arguments and environment it would have been
 * started with, and the spare loads the function from there.  The spare is
 * the gateway's child like any worker.  Not for a function whose
 * environment sets what only a process start reads (spare_ok).
 */

/* Kills and reaps a spare that will not be used. */
static void
spare_discard(struct env *env)
{
	kill_reap(env->pid);
	env_free(env);
}

/* Starts a spare worker.  NULL on failure (logged). */
static struct env *
spare_spawn(struct lb_envs *E)
{
	/* room for the arguments the spare will show (show_args); blank in
	 * ps meanwhile */
	char pad[1024];
	char version[16], err[256], *argv[5];
	char **envp = E->spare_envp;
	struct env *env = env_new(NULL);

	if (env == NULL)
		return NULL;
	memset(pad, ' ', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(version, sizeof(version), "%d", LB_FRAME_VERSION);
	argv[0] = E->self_exe;
	argv[1] = "__spare";
	argv[2] = version;
	argv[3] = pad;
	argv[4] = NULL;
	if (env_start_process(E, env, argv, envp, err, sizeof(err)) < 0) {
		lb_log(LB_LOG_ERROR, "cannot start a spare worker: %s", err);
		env_free(env);
		return NULL;
	}
	return env;
}

/*
 * Takes a spare worker and makes it start as args/envp say (args without
 * the program name).  NULL when there is none or it failed (it is then
 * discarded); the caller starts a worker itself.
 */
static struct env *
spare_take(struct lb_envs *E, char **args, size_t nargs, char **envp)
{
	struct env *env;
	struct iovec iov;
	char *payload;
	size_t len;
	int rc;

	pthread_mutex_lock(&E->mu);
	env = E->spares;
	if (env != NULL) {
		E->spares = env->idle_next;
		env->idle_next = NULL;
		E->nspares--;
		/*
		 * Start another, but not at once: starting a process takes
		 * ~3 ms of CPU, which would compete with the cold start this
		 * spare is for (measured: +1.3 ms instead of +3.1 ms).
		 */
		E->spare_after = lb_mono_ms() + SPARE_DELAY_MS;
		pthread_cond_signal(&E->spare_cond);
	}
	pthread_mutex_unlock(&E->mu);
	if (env == NULL)
		return NULL;
	payload = lb_frame_start_encode(args, nargs, envp, &len);
	if (payload == NULL) {
		spare_discard(env);
		return NULL;
	}
	iov.iov_base = payload;
	iov.iov_len = len;
	/* the pipe is empty and has room: this does not wait */
	rc = lb_frame_write(
	    env->tx, LB_FRAME_START, &iov, 1, lb_mono_ms() + INIT_TIMEOUT_MS);
	free(payload);
	if (rc < 0) {
		/* it died while waiting (EPIPE) */
		spare_discard(env);
		return NULL;
	}
	return env;
}

/* Keeps E->spares at gateway.spare_workers. */
static void *
spawner(void *arg)
{
	struct lb_envs *E = arg;

	pthread_mutex_lock(&E->mu);
	while (!E->closing) {
		struct env *env;
		struct timespec ts;

		if (E->nspares >= E->cfg->spare_workers) {
			pthread_cond_wait(&E->spare_cond, &E->mu);
			continue;
		}
		if (lb_mono_ms() < E->spare_after) {
			mono_to_timespec(E->spare_after, &ts);
			pthread_cond_timedwait(&E->spare_cond, &E->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&E->mu);
		env = spare_spawn(E);
		pthread_mutex_lock(&E->mu);
		if (env == NULL) {
			/* do not spin on a failing spawn */
			mono_to_timespec(
			    lb_mono_ms() + RESPAWN_BACKOFF_MS, &ts);
			pthread_cond_timedwait(&E->spare_cond, &E->mu, &ts);
			continue;
		}
		env->idle_next = E->spares;
		E->spares = env;
		E->nspares++;
	}
	pthread_mutex_unlock(&E->mu);
	return NULL;
}

/*
 * Starts a worker for pool p (no lock needed: reads only immutable pool
 * fields), from a spare when there is one, and passes it the pinned
 * module.  Returns a new STARTING environment not yet on any list, or NULL
 * with the reason in err.
 */
static struct env *
env_spawn(struct pool *p, int provisioned, char *err, size_t errlen)
{
	struct lb_envs *E = p->envs;
	struct env *env = NULL;
	char uuid[LB_IDS_UUID_LEN + 1], stream[128], day[16];
	char *argv[LB_WARG_COUNT + 3], **envp = NULL;
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
	argv[0] = E->self_exe;
	argv[1] = "__worker";
	argv[2 + LB_WARG_VERSION] = version;
	argv[2 + LB_WARG_MODULE] = p->fn->module;
	argv[2 + LB_WARG_HANDLER] = p->fn->handler;
	argv[2 + LB_WARG_FUNCTION] = p->fn->name;
	argv[2 + LB_WARG_FVERSION] = p->fn->version;
	argv[2 + LB_WARG_MEMORY] = p->memory;
	argv[2 + LB_WARG_ARN] = p->arn;
	argv[2 + LB_WARG_GROUP] = p->group;
	argv[2 + LB_WARG_STREAM] = stream;
	argv[2 + LB_WARG_COUNT] = NULL;

	stream_env = xstrdup_printf("AWS_LAMBDA_LOG_STREAM_NAME=%s", stream);
	init_env = xstrdup_printf("AWS_LAMBDA_INITIALIZATION_TYPE=%s",
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
		env = spare_take(E, argv + 1, 1 + LB_WARG_COUNT, envp);
	if (env != NULL && lb_frame_send_fd(env->rx, p->code_fd) < 0) {
		spare_discard(env); /* it died while waiting */
		env = NULL;
	}
	if (env != NULL) {
		env->pool = p;
		pthread_mutex_lock(&E->mu);
		p->spare_starts++;
		pthread_mutex_unlock(&E->mu);
	} else {
		env = env_new(p);
		if (env == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (env_start_process(E, env, argv, envp, err, errlen) < 0) {
			env_free(env);
			env = NULL;
			goto out;
		}
		if (lb_frame_send_fd(env->rx, p->code_fd) < 0) {
			snprintf(err, errlen, "cannot pass the module: %s",
			    strerror(errno));
			kill_reap(env->pid);
			env_free(env);
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
	return env;
}

/* Adds a new environment to the lists.  Locked. */
static void
env_link(struct lb_envs *E, struct env *env)
{
	env->prev = NULL;
	env->next = E->all;
	if (E->all != NULL)
		E->all->prev = env;
	E->all = env;
	env->pool->nenvs++;
	env->pool->nlive++;
}

static void
env_unlink(struct lb_envs *E, struct env *env)
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
static struct env *
pick_idle(struct pool *p)
{
	struct env **pp, **best = &p->idle, *env;
	int cpu = sched_getcpu(), n = 0;

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
static void
env_close(struct lb_envs *E, struct env *env, int kill_it)
{
	if (env->state == ENV_IDLE)
		idle_remove(env->pool, env);
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
		wake_supervisor(E); /* to reap it */
	}
	if (kill_it && !env->killed) {
		lb_sandbox_kill_tree(env->pid);
		lb_sandbox_cgroup_kill(env->cg);
		env->killed = 1;
	}
}

/* Returns env to its pool's idle stack, or retires it.  Locked. */
static void
env_release(struct lb_envs *E, struct env *env)
{
	struct pool *p = env->pool;

	env->inv = NULL;
	env->reqid[0] = '\0';
	if (E->stop ||
	    (p->fn->max_requests > 0 && env->requests >= p->fn->max_requests)) {
		env_close(E, env, 0);
		return;
	}
	env->state = ENV_IDLE;
	env->idle_since = lb_mono_ms();
	env->deadline = NO_DEADLINE;
	env->idle_next = p->idle;
	p->idle = env;
	if (p->nlive > p->fn->provisioned)
		supervisor_due(E,
		    env->idle_since + (int64_t)(p->fn->idle_timeout * 1000.0));
}

/* ---- completing invocations ---- */

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
static void
inv_complete(struct lb_envs *E, struct inv *inv, uint64_t maxrss_kb)
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
				lb_fmt_str(&f, "\n");
				env->start[0] = '\0';
			}
			pthread_mutex_unlock(&env->logmu);
		}
		lb_fmt_str(&f, "END RequestId: ");
		lb_fmt_str(&f, inv->request_id);
		lb_fmt_str(&f, "\nREPORT RequestId: ");
		lb_fmt_str(&f, inv->request_id);
		lb_fmt_str(&f, "\tDuration: ");
		lb_fmt_fixed2(&f, d);
		lb_fmt_str(&f, " ms\tBilled Duration: ");
		lb_fmt_i64(&f, (int64_t)(d + 0.999999));
		lb_fmt_str(&f, " ms\tMemory Size: ");
		lb_fmt_i64(&f, p->fn->memory);
		lb_fmt_str(&f, " MB\tMax Memory Used: ");
		lb_fmt_u64(&f, (maxrss_kb + 1023) / 1024);
		lb_fmt_str(&f, " MB");
		if (inv->cold) {
			lb_fmt_str(&f, "\tInit Duration: ");
			lb_fmt_fixed2(&f, inv->init_ms);
			lb_fmt_str(&f, " ms");
		}
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
	/* bytes read after the reply: a handler wrote to the channel */
	int stray = env->rd.ahead_len > 0;

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
			env_release(E, env);
		} else if (inv->abandoned) {
			/* its caller left during init: the event is gone */
			inv->res.status = LB_INVOKE_INTEGRATION_TIMEOUT;
			inv_complete(E, inv, env->maxrss_kb);
			env_release(E, env);
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
	if (env->state == ENV_STARTING && type == LB_FRAME_INIT_ERROR) {
		if (inv != NULL) {
			res->status = LB_INVOKE_INIT_ERROR;
			take_error_body(res, body, len, "Runtime.InitError");
			inv_complete(E, inv, env->maxrss_kb);
		} else {
			lb_log(LB_LOG_ERROR, "function '%s': init failed: %.*s",
			    env->pool->fn->name, (int)(len > 300 ? 300 : len),
			    body != NULL ? body : "");
			if (env->priming) {
				struct lb_invoke_result r;

				memset(&r, 0, sizeof(r));
				take_error_body(
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
		env_close(E, env, 0);
		return;
	}
	if (env->state == ENV_BUSY && inv != NULL && inv->phase == INV_SENT &&
	    (type == LB_FRAME_RESULT || type == LB_FRAME_ERROR ||
	        type == LB_FRAME_OOM)) {
		res->duration_ms = (double)meta->duration_us / 1000.0;
		env->requests++;
		if (type == LB_FRAME_RESULT && len > LB_FRAME_PAYLOAD_LIMIT) {
			free(body);
			set_error(res, LB_INVOKE_TOO_LARGE,
			    "Function.ResponseSizeTooLarge",
			    "Response payload size exceeded maximum allowed "
			    "payload size (%d bytes).",
			    LB_FRAME_PAYLOAD_LIMIT);
		} else if (type == LB_FRAME_RESULT) {
			res->status = LB_INVOKE_OK;
			res->payload = body;
			res->payload_len = len;
		} else if (type == LB_FRAME_ERROR) {
			take_error_body(res, body, len, "Unhandled");
			res->status = strcmp(res->error_type,
			                  "Function.ResponseSizeTooLarge") == 0
			    ? LB_INVOKE_TOO_LARGE
			    : LB_INVOKE_FUNCTION_ERROR;
		} else {
			free(body);
			env->oom = 1;
			set_error(res, LB_INVOKE_CRASH, "Runtime.OutOfMemory",
			    "RequestId: %s Error: Runtime exited with error: "
			    "out of memory (limit %d MB)",
			    inv->request_id, env->pool->fn->memory);
		}
		inv_complete(E, inv, env->maxrss_kb);
		if (type == LB_FRAME_OOM || stray) {
			if (stray)
				lb_log(LB_LOG_ERROR,
				    "function '%s': environment %ld wrote "
				    "to its channel after its reply",
				    env->pool->fn->name, (long)env->pid);
			env_close(E, env, 1);
		} else {
			env_release(E, env);
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
		set_error(res, LB_INVOKE_CRASH, "Runtime.ExitError",
		    "RequestId: %s Error: Runtime sent an invalid response",
		    inv->request_id);
		inv_complete(E, inv, env->maxrss_kb);
	}
	env_close(E, env, 1);
}

/* The function's own timeout: kill, report.  Locked. */
static void
env_timeout(struct lb_envs *E, struct env *env)
{
	struct inv *inv = env->inv;
	double t = env->pool->fn->timeout;
	char msg[128];

	env_close(E, env, 1);
	if (inv == NULL)
		return;
	read_logs(env, env->reqid, LOG_READ_MAX, 1);
	snprintf(msg, sizeof(msg), "Task timed out after %.2f seconds", t);
	log_inv_line(env, inv->request_id, msg);
	inv->res.duration_ms = t * 1000.0;
	set_error(&inv->res, LB_INVOKE_TIMEOUT, "Sandbox.Timedout",
	    "RequestId: %s Error: %s", inv->request_id, msg);
	inv_complete(E, inv, env->maxrss_kb);
}

/* Init took too long.  Locked. */
static void
env_init_timeout(struct lb_envs *E, struct env *env)
{
	struct inv *inv = env->inv;

	env_close(E, env, 1);
	lb_log(LB_LOG_ERROR, "function '%s': init timed out after %d ms",
	    env->pool->fn->name, INIT_TIMEOUT_MS);
	if (env->priming)
		prime_fail(
		    E, env, "init timed out after %d ms", INIT_TIMEOUT_MS);
	if (inv == NULL) {
		env->pool->respawn_after = lb_mono_ms() + RESPAWN_BACKOFF_MS;
		return;
	}
	set_error(&inv->res, LB_INVOKE_INIT_ERROR, "Runtime.InitError",
	    "RequestId: %s Error: init timed out after %.2f seconds",
	    inv->request_id, INIT_TIMEOUT_MS / 1000.0);
	inv_complete(E, inv, env->maxrss_kb);
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
	read_logs(env, env->reqid, LOG_READ_MAX, 1);
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
			set_error(&inv->res,
			    inv->phase == INV_WAIT_READY ? LB_INVOKE_INIT_ERROR
			                                 : LB_INVOKE_CRASH,
			    "Runtime.ExitError",
			    "RequestId: %s Error: Runtime exited without "
			    "providing a reason",
			    inv->request_id);
		else
			set_error(&inv->res,
			    inv->phase == INV_WAIT_READY ? LB_INVOKE_INIT_ERROR
			                                 : LB_INVOKE_CRASH,
			    oom ? "Runtime.OutOfMemory" : "Runtime.ExitError",
			    "RequestId: %s Error: Runtime exited with error: "
			    "%s",
			    inv->request_id, why);
		if (inv->start_mono > 0)
			inv->res.duration_ms = (double)(now - inv->start_mono);
		if (inv->phase != INV_WAIT_READY)
			log_inv_line(
			    env, inv->request_id, inv->res.error_message);
		inv_complete(E, inv, env->maxrss_kb);
	}
	env_unlink(E, env);
	env_free(env);
	return 1;
}

/* ---- the supervisor ---- */

enum watch_kind { W_WAKE, W_RX, W_LOG, W_PID };

struct watch {
	struct env *env;
	enum watch_kind kind;
};

static void
watch_add(struct pollfd *pfd, struct watch *w, size_t *n, int fd,
    struct env *env, enum watch_kind kind)
{
	pfd[*n].fd = fd;
	pfd[*n].events = POLLIN;
	pfd[*n].revents = 0;
	w[*n].env = env;
	w[*n].kind = kind;
	(*n)++;
}

/* Runs the timers: deadlines, reaping, idle timeouts.  Locked.  Returns the
 * next time it must run again. */
static int64_t
run_timers(struct lb_envs *E, int64_t now)
{
	int64_t next = NO_DEADLINE;
	struct env *env, *nx;

	for (env = E->all; env != NULL; env = nx) {
		const struct lb_function *fn = env->pool->fn;

		nx = env->next;
		if (E->stop && env->state != ENV_CLOSING && env->inv == NULL)
			env_close(E, env, 0);
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
		case ENV_IDLE: {
			int64_t exp = env->idle_since +
			    (int64_t)(fn->idle_timeout * 1000.0);

			if (env->pool->nlive > fn->provisioned) {
				if (now >= exp) {
					env_close(E, env, 0);
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
			env = env_spawn(p, 1, err, sizeof(err));
			pthread_mutex_lock(&E->mu);
			if (env == NULL) {
				lb_log(LB_LOG_ERROR,
				    "function '%s': cannot start a provisioned "
				    "environment: %s",
				    p->fn->name, err);
				p->respawn_after = now + RESPAWN_BACKOFF_MS;
				break;
			}
			env_link(E, env);
		}
	}
}

/*
 * Handles what lb_frame_reader_pump returned for env when it is not
 * LB_FRAME_AGAIN: a whole frame, or the end of the environment.  Called by
 * whoever reads env's rx, with the lock held.
 */
static void
rx_event(struct lb_envs *E, struct env *env, int rc, int logs_read)
{
	if (rc == LB_FRAME_DONE) {
		uint32_t type = env->rd.type;
		struct lb_frame_meta meta = env->rd.meta;
		size_t len;
		char *body = lb_frame_reader_take(&env->rd, &len);

		/* the function's output precedes its reply */
		if (!logs_read)
			read_logs(env, env->reqid, LOG_READ_MAX, 1);
		handle_frame(E, env, type, &meta, body, len);
	} else if (rc == LB_FRAME_TOOBIG && env->inv != NULL &&
	    env->inv->phase == INV_SENT) {
		struct inv *inv = env->inv;

		/* too big to drain: the environment goes */
		set_error(&inv->res, LB_INVOKE_TOO_LARGE,
		    "Function.ResponseSizeTooLarge",
		    "Response payload size exceeded maximum allowed "
		    "payload size (%d bytes).",
		    LB_FRAME_PAYLOAD_LIMIT);
		inv->res.duration_ms = (double)(lb_mono_ms() - inv->start_mono);
		read_logs(env, env->reqid, LOG_READ_MAX, 1);
		inv_complete(E, inv, env->maxrss_kb);
		env_close(E, env, 1);
	} else if (rc != LB_FRAME_EOF) {
		lb_log(LB_LOG_ERROR,
		    "function '%s': bad frame from environment %ld (%d)",
		    env->pool->fn->name, (long)env->pid, rc);
		env_close(E, env, 1);
	} else {
		/* EOF: the invocation, if any, completes on reap */
		env_close(E, env, 0);
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
	rx_event(E, env, rc, 0);
	pthread_mutex_unlock(&E->mu);
}

static void *
supervisor(void *arg)
{
	struct lb_envs *E = arg;
	struct pollfd *pfd = NULL;
	struct watch *w = NULL;
	size_t cap = 0;

	pthread_mutex_lock(&E->mu);
	for (;;) {
		int64_t now = lb_mono_ms(), next;
		size_t n = 0, nenv = 0;
		int timeout, r;

		replenish(E, now);
		next = run_timers(E, now);
		if (E->stop && E->all == NULL)
			break;
		for (struct env *env = E->all; env != NULL; env = env->next)
			nenv++;
		if (3 * nenv + 1 > cap) {
			size_t ncap = 3 * nenv + 16;
			struct pollfd *np = realloc(pfd, ncap * sizeof(*np));
			struct watch *nw;

			if (np != NULL)
				pfd = np;
			nw = realloc(w, ncap * sizeof(*nw));
			if (nw != NULL)
				w = nw;
			if (np == NULL || nw == NULL) {
				/* retry shortly rather than die */
				pthread_mutex_unlock(&E->mu);
				usleep(10000);
				pthread_mutex_lock(&E->mu);
				continue;
			}
			cap = ncap;
		}
		watch_add(pfd, w, &n, E->wake[0], NULL, W_WAKE);
		for (struct env *env = E->all; env != NULL; env = env->next) {
			int live = env->state == ENV_STARTING ||
			    env->state == ENV_BUSY;

			/* never an rx a request thread is reading */
			if (live && !env->owned && env->rx >= 0)
				watch_add(pfd, w, &n, env->rx, env, W_RX);
			/* the worker's exit, even when a child of the handler
			 * keeps its end of rx open (no EOF then) */
			if (env->pidfd >= 0 &&
			    (env->state == ENV_IDLE || (live && !env->exited)))
				watch_add(pfd, w, &n, env->pidfd, env, W_PID);
			if (env->logfd >= 0 &&
			    !__atomic_load_n(&env->log_eof, __ATOMIC_RELAXED))
				watch_add(pfd, w, &n, env->logfd, env, W_LOG);
		}
		now = lb_mono_ms();
		if (next == NO_DEADLINE)
			timeout = -1;
		else if (next <= now)
			timeout = 0;
		else
			timeout =
			    next - now > INT_MAX ? INT_MAX : (int)(next - now);
		E->sup_next = next;
		pthread_mutex_unlock(&E->mu);

		r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR)
			usleep(1000);
		for (size_t i = 0; r > 0 && i < n; i++) {
			struct env *env = w[i].env;

			if (pfd[i].revents == 0)
				continue;
			if (w[i].kind == W_WAKE) {
				char buf[256];

				while (read(E->wake[0], buf, sizeof(buf)) > 0)
					;
			} else if (w[i].kind == W_LOG) {
				char reqid[ID_MAX];

				pthread_mutex_lock(&E->mu);
				memcpy(reqid, env->reqid, sizeof(reqid));
				pthread_mutex_unlock(&E->mu);
				read_logs(env, reqid, LOG_READ_MAX, 0);
			} else if (w[i].kind == W_PID) {
				pthread_mutex_lock(&E->mu);
				if (env->state == ENV_IDLE) {
					/* killed from outside */
					env_close(E, env, 0);
				} else if ((env->state == ENV_STARTING ||
				               env->state == ENV_BUSY) &&
				    !env->exited) {
					/* whoever reads rx sees EOF now: the
					 * crash is reported at once */
					env->exited = 1;
					shutdown(env->rx, SHUT_RDWR);
				}
				pthread_mutex_unlock(&E->mu);
			} else {
				service_rx(E, env);
			}
		}
		pthread_mutex_lock(&E->mu);
	}
	pthread_mutex_unlock(&E->mu);
	free(pfd);
	free(w);
	return NULL;
}

/* ---- pools ---- */

static int
is_reserved(const char *key)
{
	static const char *const names[] = { "_HANDLER", "_X_AMZN_TRACE_ID",
		"AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
		"LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_ACCESS_KEY",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN" };

	if (strncmp(key, "AWS_LAMBDA_", 11) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

static int
envp_add(struct pool *p, size_t cap, char *s)
{
	if (s == NULL || p->nenvp + 1 >= cap) {
		free(s);
		return -1;
	}
	p->envp[p->nenvp++] = s;
	p->envp[p->nenvp] = NULL;
	return 0;
}

/* Whether the function's own environment sets `key`. */
static int
fn_sets(const struct lb_function *fn, const char *key)
{
	for (size_t i = 0; i < fn->nenvironment; i++)
		if (strcmp(fn->environment[i].key, key) == 0)
			return 1;
	return 0;
}

/*
 * Whether the function's environment sets a variable that only a process
 * start reads (the dynamic linker's, glibc's tunables and malloc settings,
 * the sanitizers'): its workers then never start from a spare.
 */
static int
sets_startup_var(const struct lb_function *fn)
{
	for (size_t i = 0; i < fn->nenvironment; i++) {
		const char *k = fn->environment[i].key;
		size_t n = strlen(k);

		if (strncmp(k, "LD_", 3) == 0 || strncmp(k, "GLIBC_", 6) == 0 ||
		    strncmp(k, "MALLOC_", 7) == 0 ||
		    (n >= 11 && strcmp(k + n - 11, "SAN_OPTIONS") == 0))
			return 1;
	}
	return 0;
}

/* The gateway's variables its workers get (pool_env_build, spares). */
static const char *const passthrough[] = { "LD_LIBRARY_PATH", "ASAN_OPTIONS",
	"UBSAN_OPTIONS", "LSAN_OPTIONS" };
#define NPASSTHROUGH (sizeof(passthrough) / sizeof(*passthrough))

/*
 * Builds the spares' environment until START replaces it: the passthrough
 * variables, which the dynamic linker and the sanitizers read at the
 * process start.
 */
static int
spare_env_build(struct lb_envs *E)
{
	size_t n = 0;
	const char *v;

	E->spare_envp = calloc(NPASSTHROUGH + 1, sizeof(*E->spare_envp));
	if (E->spare_envp == NULL)
		return -1;
	for (size_t i = 0; i < NPASSTHROUGH; i++)
		if ((v = getenv(passthrough[i])) != NULL &&
		    (E->spare_envp[n++] =
		            xstrdup_printf("%s=%s", passthrough[i], v)) == NULL)
			return -1;
	return 0;
}

/* Builds the pool's constant environment block (everything but the
 * per-environment stream name and initialization type). */
static int
pool_env_build(struct lb_envs *E, struct pool *p)
{
	const struct lb_config *cfg = E->cfg;
	const struct lb_function *fn = p->fn;
	size_t cap = 32 + fn->nenvironment;
	const char *path = getenv("PATH");
	char *root, *slash;
	int rc = 0;

	p->envp = calloc(cap, sizeof(*p->envp));
	if (p->envp == NULL)
		return -1;
	root = strdup(fn->module);
	if (root == NULL)
		return -1;
	slash = strrchr(root, '/');
	if (slash != NULL)
		*(slash == root ? slash + 1 : slash) = '\0';
	rc |= envp_add(
	    p, cap, xstrdup_printf("AWS_LAMBDA_FUNCTION_NAME=%s", fn->name));
	rc |= envp_add(p, cap,
	    xstrdup_printf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", fn->memory));
	rc |= envp_add(p, cap,
	    xstrdup_printf("AWS_LAMBDA_FUNCTION_VERSION=%s", fn->version));
	rc |= envp_add(
	    p, cap, xstrdup_printf("AWS_LAMBDA_LOG_GROUP_NAME=%s", p->group));
	rc |= envp_add(p, cap, xstrdup_printf("AWS_REGION=%s", cfg->region));
	rc |= envp_add(
	    p, cap, xstrdup_printf("AWS_DEFAULT_REGION=%s", cfg->region));
	rc |= envp_add(p, cap, strdup("AWS_EXECUTION_ENV=lambdabridge"));
	rc |= envp_add(p, cap, xstrdup_printf("_HANDLER=%s", fn->handler));
	rc |= envp_add(p, cap, xstrdup_printf("LAMBDA_TASK_ROOT=%s", root));
	rc |= envp_add(
	    p, cap, xstrdup_printf("LAMBDA_RUNTIME_DIR=%s", E->runtime_dir));
	free(root);
	if (!fn_sets(fn, "TZ"))
		rc |= envp_add(p, cap, strdup("TZ=UTC"));
	if (!fn_sets(fn, "LANG"))
		rc |= envp_add(p, cap, strdup("LANG=en_US.UTF-8"));
	if (!fn_sets(fn, "PATH"))
		rc |= envp_add(p, cap,
		    xstrdup_printf("PATH=%s",
		        path != NULL ? path : "/usr/local/bin:/usr/bin:/bin"));
	p->spare_ok = !sets_startup_var(fn) && p->filter == NULL &&
	    (!p->set_ids || (fn->uid == geteuid() && fn->gid == getegid()));
	for (size_t i = 0; i < NPASSTHROUGH; i++) {
		const char *v = getenv(passthrough[i]);

		if (v != NULL && !fn_sets(fn, passthrough[i]))
			rc |= envp_add(
			    p, cap, xstrdup_printf("%s=%s", passthrough[i], v));
	}
	for (size_t i = 0; i < fn->nenvironment; i++)
		if (!is_reserved(fn->environment[i].key))
			rc |= envp_add(p, cap,
			    xstrdup_printf("%s=%s", fn->environment[i].key,
			        fn->environment[i].value));
	return rc != 0 ? -1 : 0;
}

/*
 * Who p's workers run as and under which filter.  Without the privilege to
 * switch users, a function's user is ignored (logged), as php-fpm does.
 */
static int
pool_sandbox(struct pool *p, char *err, size_t errlen)
{
	const struct lb_function *fn = p->fn;

	if (fn->user != NULL && lb_sandbox_privileged())
		p->set_ids = 1;
	else if (fn->user != NULL &&
	    (fn->uid != geteuid() || fn->gid != getegid()))
		lb_log(LB_LOG_WARN,
		    "function '%s': not running as user '%s' (only a bridge "
		    "started as root switches users)",
		    fn->name, fn->user);
	if (fn->seccomp != NULL && strcmp(fn->seccomp, "default") == 0) {
		char why[256];

		p->filter = lb_sandbox_filter(why, sizeof(why));
		if (p->filter == NULL) {
			snprintf(
			    err, errlen, "function '%s': %s", fn->name, why);
			return -1;
		}
	}
	return 0;
}

/*
 * Pins pool i's module (code.h), or shares the copy of an earlier pool
 * with the same module.  0, or -1 with "FILE:LINE: setting: reason".
 */
static int
pool_pin(struct lb_envs *E, size_t i, char *err, size_t errlen)
{
	struct pool *p = &E->pools[i];
	char why[256];

	for (size_t j = 0; j < i && p->code_fd < 0; j++)
		if (strcmp(E->pools[j].fn->module, p->fn->module) == 0)
			p->code_fd =
			    fcntl(E->pools[j].code_fd, F_DUPFD_CLOEXEC, 0);
	if (p->code_fd < 0)
		p->code_fd = lb_code_pin(p->fn->module, why, sizeof(why));
	else
		return 0;
	if (p->code_fd < 0) {
		snprintf(err, errlen,
		    "%s:%d: functions[%zu].module: "
		    "cannot use '%s': %s",
		    E->cfg->path, p->fn->line, i, p->fn->module, why);
		return -1;
	}
	return 0;
}

static void
pools_free(struct lb_envs *E)
{
	for (size_t i = 0; i < E->npools; i++) {
		struct pool *p = &E->pools[i];

		for (size_t j = 0; p->envp != NULL && j < p->nenvp; j++)
			free(p->envp[j]);
		free(p->envp);
		if (p->code_fd >= 0)
			close(p->code_fd);
	}
	free(E->pools);
	for (size_t j = 0; E->spare_envp != NULL && E->spare_envp[j] != NULL;
	     j++)
		free(E->spare_envp[j]);
	free(E->spare_envp);
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

struct lb_envs *
lb_envs_new(
    const struct lb_config *cfg, const char *self_exe, char *err, size_t errlen)
{
	struct lb_envs *E;
	pthread_condattr_t ca;
	long reserved = 0;
	char *slash;

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
	E->self_exe = strdup(self_exe);
	E->runtime_dir = strdup(self_exe);
	E->pools = calloc(cfg->nfunctions + 1, sizeof(*E->pools));
	if (E->self_exe == NULL || E->runtime_dir == NULL || E->pools == NULL)
		goto fail_mem;
	for (size_t i = 0; i < cfg->nfunctions; i++)
		E->pools[i].code_fd = -1;
	slash = strrchr(E->runtime_dir, '/');
	if (slash != NULL)
		*(slash == E->runtime_dir ? slash + 1 : slash) = '\0';
	else
		snprintf(E->runtime_dir, strlen(E->runtime_dir) + 1, ".");
	E->npools = cfg->nfunctions;
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		struct pool *p = &E->pools[i];
		const struct lb_function *fn = &cfg->functions[i];

		p->envs = E;
		p->fn = fn;
		snprintf(p->arn, sizeof(p->arn),
		    "arn:aws:lambda:%s:%s:function:%s", cfg->region,
		    cfg->account_id, fn->name);
		snprintf(
		    p->group, sizeof(p->group), "/aws/lambda/%s", fn->name);
		snprintf(p->memory, sizeof(p->memory), "%d", fn->memory);
		if (pool_sandbox(p, err, errlen) < 0)
			goto fail;
		if (pool_env_build(E, p) < 0)
			goto fail_mem;
		if (pool_pin(E, i, err, errlen) < 0)
			goto fail;
		if (fn->reserved_concurrency >= 0)
			reserved += fn->reserved_concurrency;
	}
	if (spare_env_build(E) < 0)
		goto fail_mem;
	E->unreserved_cap = cfg->account_concurrency - (int)reserved;
	if (E->unreserved_cap < 0)
		E->unreserved_cap = 0;
	if (pipe2(E->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&E->drained, &ca);
	pthread_cond_init(&E->spare_cond, &ca);
	pthread_cond_init(&E->primed, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&E->mu, NULL);
	/* provisioned environments: the supervisor starts them at once */
	if (pthread_create(&E->sup, NULL, supervisor, E) != 0) {
		snprintf(err, errlen, "cannot start the supervisor thread");
		pthread_cond_destroy(&E->drained);
		pthread_cond_destroy(&E->spare_cond);
		pthread_cond_destroy(&E->primed);
		pthread_mutex_destroy(&E->mu);
		goto fail;
	}
	E->sup_started = 1;
	/* without it, environments start the slow way: no error */
	if (cfg->spare_workers > 0 &&
	    pthread_create(&E->spawner, NULL, spawner, E) == 0)
		E->spawner_started = 1;
	return E;
fail_mem:
	snprintf(err, errlen, "out of memory");
fail:
	if (E->wake[0] >= 0) {
		close(E->wake[0]);
		close(E->wake[1]);
	}
	if (E->pools != NULL)
		pools_free(E);
	free(E->self_exe);
	free(E->runtime_dir);
	free(E);
	return NULL;
}

/* ---- invoking ---- */

static int
cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t until_mono)
{
	struct timespec ts;

	if (until_mono == 0)
		return pthread_cond_wait(c, m);
	mono_to_timespec(until_mono, &ts);
	return pthread_cond_timedwait(c, m, &ts);
}

/* The caller gives up at its integration deadline.  Locked. */
static void
abandon(struct inv *inv, struct lb_invoke_result *res)
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
	struct lb_fmt f;

	memcpy(env->reqid, inv->request_id, sizeof(env->reqid));
	if (++env->seq == 0) /* 0 is READY's */
		env->seq = 1;
	pthread_mutex_lock(&env->logmu);
	lb_fmt_init(&f, env->start, sizeof(env->start));
	lb_fmt_str(&f, "START RequestId: ");
	lb_fmt_str(&f, inv->request_id);
	lb_fmt_str(&f, " Version: ");
	lb_fmt_str(&f, env->pool->fn->version);
	lb_fmt_done(&f, env->start);
	pthread_mutex_unlock(&env->logmu);
	inv->phase = INV_SENT;
	inv->start_mono = lb_mono_ms();
	env->deadline =
	    inv->start_mono + (int64_t)(env->pool->fn->timeout * 1000.0);
	supervisor_due(E, env->deadline);
	return env->deadline;
}

/*
 * Handles what the owner of env read for inv (`rc`, from
 * lb_frame_reader_pump*), taking the lock, and gives env up.  Returns with
 * the lock held: REPLY_DONE when inv is done, REPLY_ABANDON when the
 * integration deadline came first (rc is LB_FRAME_AGAIN; the supervisor
 * takes env over), REPLY_REAP when inv completes once env is reaped.
 */
enum { REPLY_DONE, REPLY_ABANDON, REPLY_REAP };

static int
reply_taken(struct lb_envs *E, struct env *env, struct inv *inv, int rc)
{
	/* the function's output precedes its reply; read it unlocked */
	if (rc == LB_FRAME_DONE)
		read_logs(env, env->reqid, LOG_READ_MAX, 1);
	pthread_mutex_lock(&E->mu);
	env->owned = 0;
	if (inv->phase == INV_DONE) {
		/* the supervisor finished it first (function timeout) */
		if (rc == LB_FRAME_DONE)
			free(lb_frame_reader_take(&env->rd, NULL));
		wake_supervisor(E); /* to reap env */
		return REPLY_DONE;
	}
	if (rc == LB_FRAME_AGAIN) {
		/* integration deadline: the supervisor takes over */
		wake_supervisor(E);
		return REPLY_ABANDON;
	}
	rx_event(E, env, rc, 1);
	/* else env is closing (env_close woke the supervisor, which may reap
	 * it now that it is not owned): inv completes on reap */
	return inv->phase == INV_DONE ? REPLY_DONE : REPLY_REAP;
}

/* Waits, locked, until inv completes on reap or the integration deadline
 * `integ` comes.  1 when it completed. */
static int
await_reap(struct lb_envs *E, struct inv *inv, int64_t integ)
{
	while (inv->phase != INV_DONE)
		if (cond_wait_until(&inv->cond, &E->mu, integ) == ETIMEDOUT)
			break;
	return inv->phase == INV_DONE;
}

/* The caller takes idle env (off its stack) for inv and sends at once:
 * returns the function's deadline.  Locked. */
static int64_t
take_idle(struct lb_envs *E, struct env *env, struct inv *inv)
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
static int
await_reply(struct lb_envs *E, struct env *env, struct inv *inv, int64_t integ,
    int64_t fn_deadline)
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
	switch (reply_taken(E, env, inv, rc)) {
	case REPLY_DONE: return 1;
	case REPLY_ABANDON: return 0;
	default: return await_reap(E, inv, integ);
	}
}

/*
 * Sends inv's INVOKE frame to env (owned by the caller, inv marked sent),
 * waiting for room in the pipe until `deadline` at most.  0, or -1 (errno).
 */
static int
send_invoke(struct env *env, struct inv *inv,
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
static void
send_failed(struct lb_envs *E, struct env *env, struct inv *inv)
{
	env->owned = 0;
	env->inv = NULL;
	inv->env = NULL;
	inv->start_mono = 0;
	env_close(E, env, 1);
}

/*
 * Begins an invocation of `function`: its concurrency slot and counters.
 * Returns inv (unlocked), or NULL with res filled (throttled, out of
 * memory; res is zeroed by the caller).  *integ is the integration deadline (lb_mono_ms), or 0.
 */
static struct inv *
inv_begin(struct lb_envs *E, size_t function,
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
		set_error(
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
		pthread_mutex_unlock(&E->mu);
		inv_free(inv);
		set_error(res, LB_INVOKE_THROTTLED, "TooManyRequestsException",
		    "Rate Exceeded.");
		return NULL;
	}
	E->ninflight++;
	p->invocations++;
	pthread_mutex_unlock(&E->mu);
	return inv;
}

/* The caller's end of a completed inv: its result goes to res, and inv is
 * freed.  Unlocked. */
static void
inv_finish(struct inv *inv, const struct lb_invoke_request *rq,
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
static void
inv_run(struct lb_envs *E, struct inv *inv, const struct lb_invoke_request *rq,
    int64_t integ, struct lb_invoke_result *res)
{
	struct pool *p = inv->pool;
	struct env *env;
	int64_t send_deadline, fn_deadline = 0;

	pthread_mutex_lock(&E->mu);
again:
	env = pick_idle(p);
	if (env != NULL)
		fn_deadline = take_idle(E, env, inv);
	pthread_mutex_unlock(&E->mu);

	if (env == NULL) {
		char err[256];

		env = env_spawn(p, 0, err, sizeof(err));
		pthread_mutex_lock(&E->mu);
		inv->cold = 1;
		p->cold_starts++;
		if (env == NULL) {
			lb_log(LB_LOG_ERROR,
			    "%s function '%s': cannot start an environment: "
			    "%s",
			    inv->request_id, p->fn->name, err);
			set_error(&inv->res, LB_INVOKE_INIT_ERROR,
			    "Runtime.Unknown",
			    "RequestId: %s Error: cannot start the runtime: %s",
			    inv->request_id, err);
			inv_complete(E, inv, 0);
			goto done;
		}
		env->inv = inv;
		inv->env = env;
		inv->phase = INV_WAIT_READY;
		env_link(E, env);
		wake_supervisor(E);
		while (inv->phase == INV_WAIT_READY)
			if (cond_wait_until(&inv->cond, &E->mu, integ) ==
			    ETIMEDOUT)
				break;
		if (inv->phase == INV_WAIT_READY) {
			abandon(inv, res);
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
	if (send_invoke(env, inv, rq, send_deadline) < 0 && errno == EPIPE &&
	    !inv->cold) {
		pthread_mutex_lock(&E->mu);
		send_failed(E, env, inv);
		goto again;
	}
	if (!await_reply(E, env, inv, integ, fn_deadline)) {
		abandon(inv, res);
		pthread_mutex_unlock(&E->mu);
		return;
	}
done:
	pthread_mutex_unlock(&E->mu);
	inv_finish(inv, rq, res);
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
	inv = inv_begin(E, function, rq, res, &integ);
	if (inv != NULL)
		inv_run(E, inv, rq, integ, res);
	return 0;
}

/* ---- invocations on the event loop ---- */

/* The blocking path on a pool thread: cold starts, large events, long
 * functions. */
static void
async_run(void *arg)
{
	struct inv *inv = arg;
	lb_invoke_done *done = inv->done;
	void *done_arg = inv->done_arg;

	inv_run(inv->pool->envs, inv, inv->rq, inv->integ, inv->out);
	done(done_arg);
}

/* Tells the caller; inv is done.  Unlocked. */
static void
async_finish(struct inv *inv)
{
	lb_invoke_done *done = inv->done;
	void *done_arg = inv->done_arg;

	inv_finish(inv, inv->rq, inv->out);
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

		abandon(inv, inv->out);
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
	async_end(E, inv, await_reap(E, inv, inv->integ));
}

/* On a pool thread: the loop could not watch env, so the reply is read
 * blocking. */
static void
async_await(void *arg)
{
	struct inv *inv = arg;
	struct lb_envs *E = inv->pool->envs;

	async_end(
	    E, inv, await_reply(E, inv->env, inv, inv->integ, NO_DEADLINE));
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
	done = reply_taken(E, env, inv, rc) == REPLY_DONE;
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

	memset(res, 0, sizeof(*res));
	if (E == NULL || rq == NULL || function >= E->npools ||
	    rq->request_id == NULL || rq->event == NULL) {
		set_error(
		    res, LB_INVOKE_CRASH, "Runtime.Unknown", "bad invocation");
		done(arg);
		return;
	}
	inv = inv_begin(E, function, rq, res, &integ);
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
		env = pick_idle(inv->pool);
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
	fn_deadline = take_idle(E, env, inv);
	pthread_mutex_unlock(&E->mu);
	if (send_invoke(env, inv, rq, fn_deadline) < 0 && errno == EPIPE) {
		pthread_mutex_lock(&E->mu);
		send_failed(E, env, inv);
		pthread_mutex_unlock(&E->mu);
		async_defer(inv, async_run);
		return;
	}
	env->ainv = inv;
	env->loop = loop;
	env->watch.ready = env_ready;
	if (lb_loop_arm(loop, env->rx, &env->watch, EPOLLIN) < 0) {
		env->ainv = NULL;
		async_defer(inv, async_await);
	}
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
	wake_supervisor(E);
	pthread_mutex_unlock(&E->mu);
	if (E->spawner_started)
		pthread_join(E->spawner, NULL);
	while (E->spares != NULL) {
		struct env *env = E->spares;

		E->spares = env->idle_next;
		spare_discard(env);
	}
	pthread_join(E->sup, NULL);
	pthread_cond_destroy(&E->drained);
	pthread_cond_destroy(&E->spare_cond);
	pthread_cond_destroy(&E->primed);
	pthread_mutex_destroy(&E->mu);
	close(E->wake[0]);
	close(E->wake[1]);
	pools_free(E);
	free(E->self_exe);
	free(E->runtime_dir);
	free(E);
}

/*
 * Whether pool p would start its environments as `old` does: the same
 * pinned bytes, handler, memory and environment block.
 */
static int
pool_same(const struct pool *p, const struct pool *old)
{
	if (strcmp(p->fn->handler, old->fn->handler) != 0 ||
	    p->fn->memory != old->fn->memory || p->nenvp != old->nenvp ||
	    !lb_code_same(p->code_fd, old->code_fd))
		return 0;
	for (size_t i = 0; i < p->nenvp; i++)
		if (strcmp(p->envp[i], old->envp[i]) != 0)
			return 0;
	return 1;
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
		    pool_same(p, &old->pools[j]))
			continue;
		env = env_spawn(p, 0, why, sizeof(why));
		pthread_mutex_lock(&E->mu);
		if (env == NULL) {
			if (E->prime_err[0] == '\0')
				snprintf(E->prime_err, sizeof(E->prime_err),
				    "function '%s' cannot start: %s",
				    p->fn->name, why);
		} else {
			env->priming = 1;
			E->npriming++;
			env_link(E, env);
			wake_supervisor(E);
		}
		pthread_mutex_unlock(&E->mu);
	}
	pthread_mutex_lock(&E->mu);
	while (E->npriming > 0)
		if (cond_wait_until(&E->primed, &E->mu, until) == ETIMEDOUT)
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
