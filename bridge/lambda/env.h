/*
 * env.h - execution environments: per-function pools of worker processes
 * (docs/design.md section 1), their concurrency caps, cold and warm starts,
 * deadlines, crash isolation, log capture and counters.
 *
 * An environment is a `lambdabridge` process started by vfork+exec in worker
 * mode (or a spare worker started ahead), fed frames through a pipe and
 * answering through a socket; it loads the generation's pinned copy of the
 * function's module once and then runs one event at a time.
 */
#ifndef LB_ENV_H
#define LB_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/prom.h"
#include "config.h"
/* lb_self_exe, the binary lb_envs_new execs in worker mode */
#include "lambda/spawn.h"

/* All pools of one configuration generation. */
struct lb_envs;

enum lb_invoke_status {
	LB_INVOKE_OK, /* payload is the function's result JSON */
	LB_INVOKE_FUNCTION_ERROR, /* handler returned NULL / lb_error; payload is the error JSON */
	LB_INVOKE_CRASH,   /* environment died: exit, signal, out of memory */
	LB_INVOKE_TIMEOUT, /* the function's own timeout; environment killed */
	LB_INVOKE_INIT_ERROR, /* module failed to load or lb_init failed */
	LB_INVOKE_TOO_LARGE,  /* result over 6 MB */
	LB_INVOKE_INTEGRATION_TIMEOUT, /* integration deadline came first */
	LB_INVOKE_THROTTLED, /* reserved or account concurrency reached */
};

struct lb_invoke_request {
	const char *request_id; /* the aws_request_id the handler sees */
	const char *trace_id; /* _X_AMZN_TRACE_ID for the invocation, or NULL */
	const char *event;    /* JSON text */
	size_t event_len;
	int64_t integration_deadline_ms; /* wall clock; 0 = none */
	int defer_report; /* END and REPORT go to res->report, not the log */
};

#define LB_INVOKE_REPORT_MAX 3072

struct lb_invoke_result {
	enum lb_invoke_status status;
	char *payload; /* malloc'ed, NUL-terminated JSON, or NULL */
	size_t payload_len;
	char error_type
	    [64]; /* "Runtime.ExitError", "Sandbox.Timedout", ... or "" */
	char error_message[256];
	int cold; /* a new environment was started for it */
	double duration_ms;
	int64_t env_pid; /* the worker that ran it, for tests and logs */
	char report[LB_INVOKE_REPORT_MAX]; /* [START,] END and REPORT, with
					    * defer_report; else "" */
};

/*
 * Creates the pools for `cfg` (borrowed: it must outlive the result) and
 * starts each function's provisioned environments.  `self_exe` is the path
 * of the lambdabridge binary to exec in worker mode.  Sets SIGPIPE to
 * ignored if it is at its default (a write to a dead worker must fail, not
 * kill the process).  Returns NULL with the reason in err.
 */
struct lb_envs *lb_envs_new(const struct lb_config *cfg, const char *self_exe,
    char *err, size_t errlen);

/*
 * Runs one event through function `function` (an index into cfg->functions):
 * takes an idle environment or starts one under the function's and the
 * account's concurrency caps (over either: LB_INVOKE_THROTTLED at once),
 * sends the event, waits until the result, the function's timeout or the
 * integration deadline.  On an integration timeout the call returns at that
 * moment while the invocation keeps its environment and concurrency slot
 * until it ends or its own timeout kills it.  Always fills *res (release
 * with lb_invoke_result_clear) and returns 0; -1 only for bad arguments.
 * Thread-safe.
 */
int lb_envs_invoke(struct lb_envs *envs, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res);

struct lb_loop;

/* Told that an lb_envs_invoke_async result is in. */
typedef void lb_invoke_done(void *arg);

/*
 * lb_envs_invoke without blocking the calling loop thread: fills *res and
 * calls done(arg) exactly once, before returning (throttled, bad
 * arguments) or later on a thread of `loop`.  A warm environment is served
 * on the loop itself; a cold start, an event over the pipe's room or an
 * integration deadline before the function's own run the blocking path on
 * a pool thread.  rq, what it points to and res must stay valid until
 * done.  Thread-safe.
 */
void lb_envs_invoke_async(struct lb_envs *envs, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res,
    struct lb_loop *loop, lb_invoke_done *done, void *arg);

/*
 * Before a reload switches to E: starts one environment of every function
 * that `old` (the running generation, or NULL) does not run alike (other
 * module bytes, handler, memory or environment) and waits until each is
 * ready, bounded by the init timeout.  The ready ones stay, warm.  Returns
 * 0, or -1 with "function 'x' cannot initialise: reason" in err (then free
 * E and keep `old`).
 */
int lb_envs_prime(
    struct lb_envs *E, struct lb_envs *old, char *err, size_t errlen);

/* Frees what a result owns. */
void lb_invoke_result_clear(struct lb_invoke_result *res);

/*
 * Stops accepting invocations, waits for those in flight (each bounded by its
 * own deadline), shuts every environment down and frees everything.
 */
void lb_envs_free(struct lb_envs *envs);

/* What the environments of one generation amount to now. */
struct lb_envs_counts {
	int starting; /* environments in their init */
	int idle;
	int busy;        /* running an invocation (or just done with one) */
	int provisioned; /* provisioned environments configured */
	int provisioned_ready; /* ... of them past their init */
	uint64_t invocations, errors, throttles;
};

/* Fills *c (all zero for a NULL envs).  Thread-safe. */
void lb_envs_counts(struct lb_envs *envs, struct lb_envs_counts *c);

/*
 * Waits until every function has its provisioned environments past their
 * init, or until `until_mono` (lb_mono_ms).  A function whose provisioned
 * environment failed to start or to initialise is not waited for.  Returns
 * 0 when all are ready, 1 when some failed (the failure is logged), -1 on
 * the timeout.
 */
int lb_envs_wait_provisioned(struct lb_envs *envs, int64_t until_mono);

/* Writes the per-function counters, one line per function, to `out`. */
void lb_envs_dump_stats(struct lb_envs *envs, FILE *out);

/* What a failed invocation counts as (lb_fn_metrics.errors). */
enum lb_fn_error {
	LB_FN_ERR_UNHANDLED, /* the handler's error (any errorType) */
	LB_FN_ERR_INIT,      /* Runtime.InitError: load, lb_init, init crash */
	LB_FN_ERR_EXIT,      /* Runtime.ExitError: the worker died */
	LB_FN_ERR_OOM,       /* Runtime.OutOfMemory */
	LB_FN_ERR_TIMEOUT,   /* Sandbox.Timedout: the function's timeout */
	LB_FN_ERR_TOO_LARGE, /* Function.ResponseSizeTooLarge */
	LB_FN_ERR_UNKNOWN,   /* Runtime.Unknown: could not start, ... */
	LB_FN_ERR_COUNT,
};

/*
 * A function's counters for the metrics endpoint (apigw/metrics.c).  They
 * belong to whoever set them (lb_envs_set_metrics) and outlive
 * generations, so every field is updated with relaxed atomics.
 */
struct lb_fn_metrics {
	uint64_t invocations; /* let through its concurrency caps */
	uint64_t throttles;   /* refused at a cap */
	uint64_t timeouts;    /* ended by the function's own timeout */
	uint64_t cold_starts; /* invocations that started an environment */
	uint64_t errors[LB_FN_ERR_COUNT];
	int64_t concurrent;           /* invocations holding a slot now */
	struct lb_prom_hist duration; /* REPORT's Duration */
	struct lb_prom_hist init;     /* REPORT's Init Duration */
};

/*
 * Counts function `function`'s invocations into m (borrowed: it must
 * outlive envs) from now on.  Call before envs serves an invocation.
 */
void lb_envs_set_metrics(
    struct lb_envs *envs, size_t function, struct lb_fn_metrics *m);

/* Fills per_fn[i] (one per function of the config) with function i's
 * environments now (starting, idle, busy; the rest zero).  Thread-safe. */
void lb_envs_counts_by_function(
    struct lb_envs *envs, struct lb_envs_counts *per_fn);

#endif /* LB_ENV_H */
