/*
 * worker.h - the worker side of an execution environment (`lambdabridge
 * __worker`), the process-spawning helper shared with env.c and the probe,
 * and the per-invocation state behind the handler runtime helpers
 * (lb_error, lb_remaining_time_ms in runtime.c).
 *
 * lb_worker_main, lb_worker_probe and lb_self_exe are declared in env.h.
 */
#ifndef LB_WORKER_H
#define LB_WORKER_H

#include <stddef.h>
#include <sys/types.h>

struct sock_fprog;

/* The fds on which a worker is started with its channel: frames from the
 * gateway (a pipe) and its own (a socket); env.c says why.  Both may be one
 * socket (the unit tests' workers).  The worker moves them to high
 * close-on-exec numbers before it loads the module. */
#define LB_WORKER_FD     3
#define LB_WORKER_OUT_FD 4

/*
 * Worker argv after "__worker": the frame version, then these in order.
 * All of them are strings; env.c builds them, lb_worker_main parses them.
 */
enum lb_worker_arg {
	LB_WARG_VERSION,  /* LB_FRAME_VERSION */
	LB_WARG_MODULE,   /* absolute path of the .so */
	LB_WARG_HANDLER,  /* symbol */
	LB_WARG_FUNCTION, /* function name */
	LB_WARG_FVERSION, /* "$LATEST" */
	LB_WARG_MEMORY,   /* MB */
	LB_WARG_ARN,      /* invoked_function_arn */
	LB_WARG_GROUP,    /* log group */
	LB_WARG_STREAM,   /* log stream */
	LB_WARG_COUNT,
};

/* How lb_worker_spawn wires the child's descriptors. */
struct lb_spawn {
	const char *exe;   /* path to execve */
	char *const *argv; /* NULL-terminated */
	char *const *envp; /* NULL-terminated: the child's whole environment */
	int fd3;           /* becomes fd 3 in the child, or -1 */
	int fd4;           /* becomes fd 4 (only with fd3), or -1 */
	int out_fd;        /* becomes fds 1 and 2, or -1 for /dev/null */
	int err_fd;        /* becomes fd 2 instead when >= 0 */
	/* sandbox.h: the child dies with the spawning thread and keeps its
	 * descendants (the spawning thread must live as long as it does) */
	int contain;
	int set_ids; /* becomes uid/gid (needs CAP_SETUID/CAP_SETGID) */
	uid_t uid;
	gid_t gid;
	int join_cgroup; /* joins the cgroup of cgroup_fd, its cgroup.procs */
	int cgroup_fd;
	int confine; /* no capabilities, no_new_privs, and `filter` */
	const struct sock_fprog *filter; /* seccomp, or NULL */
};

/*
 * Starts `sp->exe` by vfork+exec.  Safe in a multithreaded process: the
 * child only makes async-signal-safe calls (reset signal mask and
 * dispositions, dup2 the given fds onto 0-4, close every other fd, no core
 * dumps, then what `join_cgroup`, `contain`, `set_ids` and `confine` ask,
 * execve).  stdin is /dev/null.  Returns the pid, or -1 with the
 * reason in err.
 */
pid_t lb_worker_spawn(const struct lb_spawn *sp, char *err, size_t errlen);

/*
 * Loads `path` (its pinned copy, or NULL for the file `module` itself) with
 * dlopen(RTLD_NOW | RTLD_LOCAL), checks its ABI stamp (lb_abi_version ==
 * LB_ABI_VERSION) and looks up `symbol` into *fn, which must be a function.
 * Returns the dlopen handle (never closed: the module may be running), or
 * NULL with the reason in err (naming `module`) and the Lambda error type
 * ("Runtime.ImportModuleError", "Runtime.HandlerNotFound") in *errtype.
 * Used by the worker and the probe.
 */
void *lb_worker_load(const char *path, const char *module, const char *symbol,
    void **fn, const char **errtype, char *err, size_t errlen);

/*
 * Per-invocation runtime state (the worker is single-threaded): starts an
 * invocation whose context lb_remaining_time_ms will see, clearing any
 * recorded lb_error.
 */
void lb_runtime_begin(void);

/*
 * The error the handler recorded with lb_error during this invocation:
 * returns 1 and sets the borrowed strings, or 0 when there was none.
 */
int lb_runtime_error(const char **type, const char **message);

#endif /* LB_WORKER_H */
