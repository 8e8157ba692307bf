/*
 * env_int.h - the internals shared by the files of the execution
 * environments module (env.h): env.c (lifecycle, lb_envs_new/free),
 * pool.c, spare.c, supervisor.c, invoke.c, invoke_async.c, envvars.c,
 * envlog.c and envcount.c.
 * Cross-file functions carry the envi_ prefix.  Never included from outside
 * bridge/lambda/.
 *
 * Locking: one mutex (lb_envs.mu) guards the lists, states, invocations and
 * counters.  Only the supervisor frees an environment, so it may use an
 * environment pointer without the lock.  env->rx, env->tx and env->rd belong
 * to the caller while env->owned is set (from taking the environment to
 * handling its reply, or handing it to the supervisor at the integration
 * deadline), and to the supervisor otherwise; the supervisor never reaps an
 * owned environment.  The log line buffer is guarded by env->logmu (taken
 * after lb_envs.mu, never before).  "Locked" below: called with lb_envs.mu
 * held.
 */
#ifndef LB_ENV_INT_H
#define LB_ENV_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/loop.h"
#include "lambda/env.h"
#include "lambda/frame.h"

struct sock_fprog;

#define INIT_TIMEOUT_MS    10000 /* Lambda's init phase limit */
#define REAP_GRACE_MS      1000  /* after EOF or a retire, before SIGKILL */
#define REAP_POLL_MS       5     /* waitpid retry period while reaping */
#define RESPAWN_BACKOFF_MS 5000  /* provisioned restart after a failure */
#define LOG_LINE_MAX       8000  /* longer lines are split */
#define LOG_READ_MAX       (256 * 1024) /* per pipe per poll round */
#define ID_MAX             256
/* "START RequestId: ... Version: ...", or platform.initStart and
 * platform.start in the JSON log format */
#define START_MAX      1536
#define NO_DEADLINE    INT64_MAX
#define IDLE_SCAN      16 /* idle environments envi_pick_idle sees */
#define SPARE_DELAY_MS 10 /* a taken spare is replaced this much later */
#define SETTLE_WAIT_MS \
	10                     /* for a settling environment, before a cold
				* start (invoke.c) */
#define PIPE_ROOM (256 * 1024) /* bytes the pipe to a worker holds */

enum env_state {
	ENV_STARTING, /* spawned, waiting for READY */
	ENV_IDLE,     /* on its pool's idle stack */
	ENV_BUSY,     /* an invocation is attached */
	ENV_SETTLING, /* a provided runtime answered; idle at its next `next`
		       * (its READY carries the answered sequence), read
		       * when an environment is wanted (envi_pick_idle) */
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
	struct env *prev, *next;               /* lb_envs.all */
	struct env *idle_next;                 /* pool->idle stack */
	struct env *settle_prev, *settle_next; /* pool->settling, FIFO */
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
	/* SETTLING environments, oldest first: the likeliest to have asked
	 * for their next event */
	struct env *settle_head, *settle_tail;
	int nlive;  /* environments not CLOSING */
	int nenvs;  /* all of them, until reaped */
	int active; /* invocations holding a concurrency slot */
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
	struct lb_fn_metrics *metrics; /* lb_envs_set_metrics's, or NULL */
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

/* ---- env.c: lifecycle ---- */

/* pthread_cond_(timed)wait until `until_mono` (lb_mono_ms; 0 = no limit):
 * 0, or ETIMEDOUT. */
int envi_cond_wait_until(
    pthread_cond_t *c, pthread_mutex_t *m, int64_t until_mono);

/* A new environment record for pool p (NULL for a spare), no process yet. */
struct env *envi_env_new(struct pool *p);

/* Closes what env holds (fds, watch, cgroup) and frees it. */
void envi_env_free(struct env *env);

/* SIGKILLs a worker that never served, and what it started, and waits
 * for it. */
void envi_kill_reap(pid_t pid);

/*
 * Starts env's worker process: `argv` and `envp` for lb_spawn_start, and
 * the channels.  0, or -1 with the reason in err.
 */
int envi_env_start(struct lb_envs *E, struct env *env, char **argv, char **envp,
    char *err, size_t errlen);

/*
 * Starts a worker for pool p (no lock needed), from a spare when there is
 * one, and passes it the pinned module.  Returns a new STARTING environment
 * not yet on any list, or NULL with the reason in err.
 */
struct env *envi_env_spawn(
    struct pool *p, int provisioned, char *err, size_t errlen);

/* Adds a new environment to the lists.  Locked. */
void envi_env_link(struct lb_envs *E, struct env *env);

/* Takes a reaped environment off the lists.  Locked. */
void envi_env_unlink(struct lb_envs *E, struct env *env);

/* Takes an idle environment off p's stack, preferring one whose worker
 * last ran on the caller's CPU; when none is idle, first looks whether a
 * settling one asked for its next event.  NULL when none is idle.
 * Locked. */
struct env *envi_pick_idle(struct pool *p);

/* env answered (a provided runtime): SETTLING until its READY.  Locked. */
void envi_settle_begin(struct env *env);

/* env's READY came, or it closes: off the settling list.  Locked. */
void envi_settle_end(struct env *env);

/*
 * Starts shutting env down: with `kill_it` by SIGKILL, else by closing our
 * pipe to it so that the worker runs lb_shutdown and exits.  Locked.
 */
void envi_env_close(struct lb_envs *E, struct env *env, int kill_it);

/* Returns env to its pool's idle stack, or retires it.  Locked. */
void envi_env_release(struct lb_envs *E, struct env *env);

/* ---- pool.c: pools ---- */

/*
 * One pool per function of E->cfg (who its workers run as, their
 * environment, the pinned module), the spares' environment and the
 * unreserved concurrency.  0, or -1 with the reason in err (nothing kept).
 */
int envi_pools_new(struct lb_envs *E, char *err, size_t errlen);

/* Frees what envi_pools_new made (also what a failed one had made). */
void envi_pools_free(struct lb_envs *E);

/* Whether pool p would start its environments as `old` does: the same
 * pinned bytes, handler, memory and environment block. */
int envi_pool_same(const struct pool *p, const struct pool *old);

/* ---- envlog.c: the function's output ---- */

struct lb_fmt;

/*
 * inv is sent to env: its START line into env->start, or in the JSON log
 * format the platform.initStart (a cold start) and platform.start records
 * that the function's system_log_level lets through.  Holds env->logmu.
 */
void envi_log_start(struct env *env, const struct inv *inv);

/*
 * inv's END and REPORT lines (JSON: platform.runtimeDone and
 * platform.report, as the system_log_level lets them through) appended to
 * f, which writes into buf, '\n' between lines.  Its result is filled.
 */
void envi_log_end(const struct pool *p, const struct inv *inv,
    uint64_t maxrss_kb, struct lb_fmt *f, const char *buf);

/* Logs one line of env's invocation, after its START.  Takes env->logmu. */
void envi_log_line(struct env *env, const char *reqid, const char *msg);

/*
 * Reads what env's log pipe has (at most `cap` bytes) and logs whole lines
 * tagged with `reqid`; `flush` also logs a trailing partial line.  Any
 * thread; takes env->logmu.
 */
void envi_read_logs(struct env *env, const char *reqid, size_t cap, int flush);

/* ---- envvars.c: the workers' environment variables ---- */

/* vasprintf into a new string, or NULL. */
char *envi_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Builds p->envp, the pool's constant environment block (all but the
 * per-environment stream name and initialization type), and p->spare_ok.
 * 0, or -1 out of memory (what was built is freed with the pools). */
int envi_pool_env_build(struct lb_envs *E, struct pool *p);

/* Builds E->spare_envp, the spares' environment until START replaces it.
 * 0, or -1 out of memory (what was built is freed with the pools). */
int envi_spare_env_build(struct lb_envs *E);

/* ---- spare.c: spare workers ---- */

/* Kills and reaps a spare that will not be used, and frees it. */
void envi_spare_discard(struct env *env);

/*
 * Takes a spare worker and makes it start as args/envp say (args without
 * the program name).  NULL when there is none or it failed (it is then
 * discarded); the caller starts a worker itself.
 */
struct env *envi_spare_take(
    struct lb_envs *E, char **args, size_t nargs, char **envp);

/* The spawner thread (arg: the lb_envs): keeps E->spares at
 * gateway.spare_workers until E->closing. */
void *envi_spawner(void *arg);

/* ---- supervisor.c ---- */

/* The supervisor thread (arg: the lb_envs), until E->stop and every
 * environment is reaped. */
void *envi_supervisor(void *arg);

/* Interrupts the supervisor's poll. */
void envi_sup_wake(struct lb_envs *E);

/* Makes sure the supervisor runs its timers at `when` (lb_mono_ms) at the
 * latest.  Locked. */
void envi_sup_due(struct lb_envs *E, int64_t when);

/*
 * Handles what lb_frame_reader_pump returned for env when it is not
 * LB_FRAME_AGAIN: a whole frame, or the end of the environment.  Called by
 * whoever reads env's rx, with the lock held; `logs_read` when the
 * function's output was read already.
 */
void envi_rx_event(struct lb_envs *E, struct env *env, int rc, int logs_read);

/* ---- invoke.c: invocations ---- */

/* Fills res as an error: status, type, message and its JSON payload. */
void envi_set_error(struct lb_invoke_result *res, enum lb_invoke_status st,
    const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Takes `body` (an error JSON from the worker) as res's payload and copies
 * its errorType and errorMessage; `deftype` when it has none. */
void envi_take_error_body(
    struct lb_invoke_result *res, char *body, size_t len, const char *deftype);

/*
 * Finishes inv (its res is filled): END and REPORT, counters, its
 * concurrency slot; then wakes its caller, or frees it when the caller
 * left.  Locked.
 */
void envi_inv_complete(struct lb_envs *E, struct inv *inv, uint64_t maxrss_kb);

/* What envi_reply_taken returns. */
enum { REPLY_DONE, REPLY_ABANDON, REPLY_REAP };

/*
 * Begins an invocation of `function`: its concurrency slot and counters.
 * Returns inv (unlocked), or NULL with res filled (throttled, out of
 * memory).  *integ is the integration deadline (lb_mono_ms), or 0.
 */
struct inv *envi_inv_begin(struct lb_envs *E, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res,
    int64_t *integ);

/*
 * Runs a begun inv to its end, blocking: takes an idle environment or
 * starts one, sends the event and waits for the reply or the integration
 * deadline.  Fills res; inv is freed (or left to the supervisor).
 */
void envi_inv_run(struct lb_envs *E, struct inv *inv,
    const struct lb_invoke_request *rq, int64_t integ,
    struct lb_invoke_result *res);

/* The caller's end of a completed inv: its result goes to res, and inv is
 * freed.  Unlocked. */
void envi_inv_finish(struct inv *inv, const struct lb_invoke_request *rq,
    struct lb_invoke_result *res);

/* The caller gives up at its integration deadline.  Locked. */
void envi_abandon(struct inv *inv, struct lb_invoke_result *res);

/* The caller takes idle env (off its stack) for inv and sends at once:
 * returns the function's deadline.  Locked. */
int64_t envi_take_idle(struct lb_envs *E, struct env *env, struct inv *inv);

/*
 * Sends inv's INVOKE frame to env (owned by the caller, inv marked sent),
 * waiting for room in the pipe until `deadline` at most.  0, or -1 (errno).
 */
int envi_send_invoke(struct env *env, struct inv *inv,
    const struct lb_invoke_request *rq, int64_t deadline);

/* EPIPE from a warm environment: takes env back from inv and closes it;
 * the request may go to another environment.  Locked. */
void envi_send_failed(struct lb_envs *E, struct env *env, struct inv *inv);

/*
 * Handles what the owner of env read for inv (`rc`), taking the lock, and
 * gives env up.  Returns with the lock held: REPLY_DONE, REPLY_ABANDON or
 * REPLY_REAP.
 */
int envi_reply_taken(
    struct lb_envs *E, struct env *env, struct inv *inv, int rc);

/* Waits, locked, until inv completes on reap or the integration deadline
 * `integ` comes.  1 when it completed. */
int envi_await_reap(struct lb_envs *E, struct inv *inv, int64_t integ);

/*
 * Reads env's reply as its owner and handles it, or hands env to the
 * supervisor at the integration deadline.  Returns with the lock held: 1
 * when inv is done, 0 when the caller must abandon it.
 */
int envi_await_reply(struct lb_envs *E, struct env *env, struct inv *inv,
    int64_t integ, int64_t fn_deadline);

/* ---- envmetrics.c: the metrics' counters (pool->metrics) ---- */

/* An invocation of p let through (`ok`) or throttled.  Locked. */
void envi_metrics_begin(struct pool *p, int ok);

/* An invocation of p took (+1) or gave back (-1) its slot.  Locked. */
void envi_metrics_slot(struct pool *p, int delta);

/* An invocation of p starts an environment.  Locked. */
void envi_metrics_cold(struct pool *p);

/* inv completed: its error kind, durations.  Locked. */
void envi_metrics_complete(struct pool *p, const struct inv *inv);

#endif /* LB_ENV_INT_H */
