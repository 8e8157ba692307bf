/*
 * sandbox.h - what keeps an execution environment in its box: every process
 * it starts ends with it.  docs/security.md says what holds and what does
 * not.
 *
 * The lb_sandbox_child_* and lb_sandbox_end_descendants functions make
 * only async-signal-safe system calls: they run in a vfork child or a
 * signal handler.
 */
#ifndef LB_SANDBOX_H
#define LB_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The signal a worker gets when the gateway thread that started it dies
 * (PR_SET_PDEATHSIG); its handler ends the worker's descendants, then the
 * worker, unless its parent is still the gateway (only that thread ended;
 * the kernel gave the worker to another of its threads).  Not SIGTERM,
 * which handlers often take for themselves.
 */
#define LB_SANDBOX_DEATHSIG SIGPWR

/*
 * vfork child: dies with LB_SANDBOX_DEATHSIG when the spawning thread
 * dies, and exits at once if `parent` died already (the race the kernel
 * leaves); becomes a child subreaper, so that descendants orphaned inside
 * the environment stay its own.  Call after any change of ids (which
 * clears the death signal).  0, or -1 with errno set.
 */
int lb_sandbox_child_contain(pid_t parent);

/*
 * In a worker, first thing (once; later calls do nothing): ends its
 * descendants on exit() and, when the gateway has died, on
 * LB_SANDBOX_DEATHSIG (then exits).  Until it is called, that signal ends
 * the worker alone: a spawning thread must not end before its worker is
 * ready.
 */
void lb_sandbox_worker_guard(void);

/*
 * Kills every descendant of the calling process, which must be a child
 * subreaper (orphans come back to it and are killed in the next round),
 * and reaps them.  Async-signal-safe; bounded in rounds.
 */
void lb_sandbox_end_descendants(void);

/*
 * Gateway side: stops `pid` and each of its descendants (SIGSTOP, so none
 * forks on), then SIGKILLs them all and pid's process group.  Does not
 * reap pid.
 */
void lb_sandbox_kill_tree(pid_t pid);

#endif /* LB_SANDBOX_H */
