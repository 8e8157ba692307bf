/*
 * sandbox.h - what keeps an execution environment in its box: every process
 * it starts ends with it, it runs as its function's user without
 * capabilities (optionally under a seccomp filter), and the gateway it
 * cannot reach.  docs/security.md says what holds and what does not.
 *
 * The lb_sandbox_child_* and lb_sandbox_end_descendants functions make
 * only async-signal-safe system calls: they run in a vfork child or a
 * signal handler.
 */
#ifndef LB_SANDBOX_H
#define LB_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

struct sock_fprog;

/*
 * The signal a worker gets when the gateway thread that started it dies
 * (PR_SET_PDEATHSIG); its handler ends the worker's descendants, then the
 * worker, unless its parent is still the gateway (only that thread ended;
 * the kernel gave the worker to another of its threads).  Not SIGTERM,
 * which handlers often take for themselves.
 */
#define LB_SANDBOX_DEATHSIG SIGPWR

/*
 * Remembers the uid that started the bridge (before any privilege drop):
 * the owner, besides root, that lb_sandbox_path_check trusts.  Call once,
 * first thing in main.
 */
void lb_sandbox_init(void);

/* Whether this process may start workers as other users (it is root, or
 * kept CAP_SETUID and CAP_SETGID after lb_sandbox_drop). */
int lb_sandbox_privileged(void);

/*
 * Resolves `user` (and `group`, or NULL for the user's primary group) to
 * ids.  0, or -1 with the reason in err.
 */
int lb_sandbox_ids(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen);

/*
 * The ids the calling thread's next module probes run as (set = 0: none
 * named).  config.c sets them for each function it probes; lb_probe_module
 * reads them.
 */
void lb_sandbox_probe_ids(int set, uid_t uid, gid_t gid);
int lb_sandbox_probe_ids_get(uid_t *uid, gid_t *gid);

/* Makes the calling process non-dumpable: its /proc files become root's
 * and it cannot be ptraced by its own uid. */
void lb_sandbox_nodump(void);

/*
 * The gateway started as root becomes uid/gid (supplementary groups: gid
 * only), keeping CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL to start,
 * confine and kill workers of other users.  Call before any thread exists
 * (capabilities are per thread).  0, or -1 with the reason in err.
 */
int lb_sandbox_drop(uid_t uid, gid_t gid, char *err, size_t errlen);

/*
 * Checks StrictModes-like ownership of `path` and of every directory above
 * it: each must be owned by root or the uid that started the bridge and be
 * writable by nobody else (no group or other write bit), except a sticky
 * directory owned by root (/tmp), where others cannot rename or remove
 * what is not theirs.  0, or -1 with the reason in err.
 */
int lb_sandbox_path_check(const char *path, char *err, size_t errlen);

/*
 * The "default" seccomp profile as a BPF program (built once, owned by this
 * module, never freed): every listed system call fails with EPERM.  NULL
 * with the reason in err when libseccomp cannot build it.
 */
const struct sock_fprog *lb_sandbox_filter(char *err, size_t errlen);

/* vfork child: switches to uid/gid (supplementary groups: gid only).  0,
 * or -1 with errno set. */
int lb_sandbox_child_ids(uid_t uid, gid_t gid);

/*
 * vfork child: dies with LB_SANDBOX_DEATHSIG when the spawning thread
 * dies, and exits at once if `parent` died already (the race the kernel
 * leaves); becomes a child subreaper, so that descendants orphaned inside
 * the environment stay its own.  Call after lb_sandbox_child_ids (a change
 * of ids clears the death signal).  0, or -1 with errno set.
 */
int lb_sandbox_child_contain(pid_t parent);

/*
 * vfork child: drops every capability from the bounding set (a worker
 * running as root gets none at execve), sets no_new_privs, and loads
 * `filter` unless it is NULL.  0, or -1 with errno set.
 */
int lb_sandbox_child_confine(const struct sock_fprog *filter);

/*
 * In a worker, first thing (once; later calls do nothing): makes it
 * non-dumpable, ends its descendants on exit() and, when the gateway has
 * died, on LB_SANDBOX_DEATHSIG (then exits).  Until it is called, that
 * signal ends the worker alone: a spawning thread must not end before its
 * worker is ready.
 */
void lb_sandbox_worker_guard(void);

/*
 * Kills every descendant of the calling process, which must be a child
 * subreaper (orphans come back to it and are killed in the next round),
 * and reaps them.  Async-signal-safe; bounded in rounds.
 */
void lb_sandbox_end_descendants(void);

/*
 * cgroup v2, where the bridge can create one (docs/security.md): removes
 * what bridges that died left under this process's cgroup, creates
 * "lambdabridge-PID" there, moves the calling process into its "gateway"
 * leaf, enables the memory and pids controllers where it can, and, with
 * owner other than (uid_t)-1, hands the subtree to owner/group (the user
 * the gateway drops to).  Call as the only thread.  0, or -1 with the
 * reason in err (environments are then contained without cgroups).
 */
int lb_sandbox_cgroup_init(uid_t owner, gid_t group, char *err, size_t errlen);

/* Kills and removes every environment's cgroup (the gateway exits). */
void lb_sandbox_cgroup_fini(void);

/*
 * A new cgroup for one environment (pids.max 1024 where that controller
 * is on): returns its directory open (close-on-exec; for lb_spawn's
 * cgroup_fd) and its id in *id, or -1 with *id = 0 when there is none.
 */
int lb_sandbox_cgroup_new(unsigned *id);

/* Sets memory.max of cgroup id (0: none) to mb plus the runtime's room,
 * where the memory controller is on. */
void lb_sandbox_cgroup_limit(unsigned id, int mb);

/* Kills every process in cgroup id (0: none) at once (cgroup.kill). */
void lb_sandbox_cgroup_kill(unsigned id);

/* Kills what is left in cgroup id (0: none) and removes it. */
void lb_sandbox_cgroup_free(unsigned id);

/* vfork child: moves itself into the cgroup whose directory is dirfd.
 * 0, or -1 with errno set. */
int lb_sandbox_child_cgroup(int dirfd);

/*
 * Starts fn(arg) as a child born in the cgroup whose directory is dirfd,
 * sharing memory with the caller, which waits until it calls execve or
 * exits (clone3 with CLONE_VM, CLONE_VFORK, CLONE_INTO_CGROUP, on a stack
 * of its own): as vfork, without the cost of moving a process between
 * cgroups (an RCU grace period, ~8 ms, when none happened lately).  fn
 * must not return.  Returns the pid, or -1 with errno set (ENOSYS where
 * this build or kernel cannot: use vfork).
 */
pid_t lb_sandbox_spawn_into(int dirfd, void (*fn)(void *), void *arg);

/*
 * Gateway side: stops `pid` and each of its descendants (SIGSTOP, so none
 * forks on), then SIGKILLs them all and pid's process group.  Does not
 * reap pid.
 */
void lb_sandbox_kill_tree(pid_t pid);

#endif /* LB_SANDBOX_H */
