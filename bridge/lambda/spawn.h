/*
 * spawn.h - starting a process from the gateway: a worker, a spare or the
 * module probe (spawn.c).
 */
#ifndef LB_SPAWN_H
#define LB_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct sock_fprog;

/* How lb_spawn_start wires the child's descriptors. */
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
pid_t lb_spawn_start(const struct lb_spawn *sp, char *err, size_t errlen);

/* The path of the running binary (for exec in worker mode). */
const char *lb_self_exe(void);

/*
 * The program execution environments and probes run: `lambdabridge-worker`
 * next to the running binary when it is there and executable (it loads a
 * few libraries where the full binary loads some forty: milliseconds off
 * every cold start), else the running binary, which runs `__worker` too.
 */
const char *lb_worker_exe(void);

/*
 * Names the calling process (its comm, what ps and top show) after the
 * last part of argv0.  Workers call it first: they are exec'ed through a
 * descriptor (lb_spawn_start), which would name them after its number.
 */
void lb_spawn_name_self(const char *argv0);

#endif /* LB_SPAWN_H */
