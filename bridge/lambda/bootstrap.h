/*
 * bootstrap.h - the bootstrap process of a provided runtime as its worker
 * (provided.c) runs it: started as its child, its memory read from /proc,
 * reaped, and its end mirrored by the worker's own.
 */
#ifndef LB_BOOTSTRAP_H
#define LB_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One bootstrap; the worker has at most one. */
struct lb_bootstrap {
	pid_t pid;  /* 0 before the start and once reaped */
	int status; /* its wait status, once reaped */
	int wake;   /* readable when a child ended (a SIGCHLD self-pipe) */
	int wake_wr;
	int statm_fd; /* /proc/PID/statm and /status, kept open */
	int status_fd;
	uint64_t hwm_kb; /* the peak RSS as last read */
	uint64_t rss_kb; /* the RSS as last sampled */
};

/*
 * Starts argv (argv[0] an absolute path) in code_dir ("": ours) with our
 * environment: our process group, PR_SET_PDEATHSIG SIGKILL, signal
 * dispositions default and none blocked, fds 0-2 inherited.  Returns 0,
 * or -1 with Lambda's words in err (errlen) and its error type in *etype:
 * "Runtime.InvalidEntrypoint" for "fork/exec PATH: no such file or
 * directory" (or "permission denied", ...), "Runtime.InvalidWorkingDir"
 * for a code_dir it cannot enter, "Runtime.Unknown" for anything else.
 * SIGCHLD is ours from then on (it wakes b->wake).
 */
int lb_bootstrap_start(struct lb_bootstrap *b, const char *code_dir,
    char *const *argv, const char **etype, char *err, size_t errlen);

/* The bootstrap's resident set now, in kB (0 when unknown). */
uint64_t lb_bootstrap_rss_kb(struct lb_bootstrap *b);

/* Its peak resident set (VmHWM) in kB, read now (about 3 us). */
uint64_t lb_bootstrap_peak_kb(struct lb_bootstrap *b);

/*
 * Reaps every child that ended (orphans of the bootstrap's become ours),
 * once b->wake is readable.  Returns 1 when the bootstrap is among them
 * (b->status says how it ended), else 0.
 */
int lb_bootstrap_reap(struct lb_bootstrap *b);

/* Kills the bootstrap and everything it started, and reaps them. */
void lb_bootstrap_kill(struct lb_bootstrap *b);

/*
 * Ends as the bootstrap ended, once reaped: returns its exit status for
 * the worker to exit with, or kills the worker with its signal (core dumps
 * off) and does not return.  Everything else it started is killed first.
 */
int lb_bootstrap_mirror(struct lb_bootstrap *b);

/* Kills what is left and closes the descriptors. */
void lb_bootstrap_free(struct lb_bootstrap *b);

#endif /* LB_BOOTSTRAP_H */
