/*
 * loop.h - the gateway's event loop: one epoll set served by a thread per
 * CPU, and a pool of threads for work that has to block.
 *
 * Every fd is armed one-shot (EPOLLONESHOT): an event goes to exactly one
 * loop thread, and the fd stays quiet until its owner arms it again, so
 * whoever handles an event owns the fd's state without a lock.  A watch is
 * the owner's struct; the loop only calls watch->ready.
 */
#ifndef LB_LOOP_H
#define LB_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct lb_loop;
struct lb_watch;

/* Called on a loop thread with the epoll events that fired. */
typedef void lb_watch_fn(struct lb_watch *w, uint32_t events);

/* Work for a pool thread. */
typedef void lb_job_fn(void *arg);

/* Embedded in the owner's struct; zero it before the first lb_loop_arm. */
struct lb_watch {
	lb_watch_fn *ready;
	int added; /* fd is in the epoll set (the loop's, not the owner's) */
};

/*
 * Starts `loop_threads` loop threads and `pool_threads` pool threads.
 * Returns the loop, or NULL with the reason in err.
 */
struct lb_loop *lb_loop_new(
    int loop_threads, int pool_threads, char *err, size_t errlen);

/*
 * Arms fd for `events` (EPOLLIN, EPOLLOUT) once: w->ready is called on a
 * loop thread when one of them fires.  Any thread.  Returns 0 or -1
 * (errno).
 */
int lb_loop_arm(
    struct lb_loop *loop, int fd, struct lb_watch *w, uint32_t events);

/* Takes fd out of the epoll set; call before closing an armed-once fd. */
void lb_loop_forget(struct lb_loop *loop, int fd, struct lb_watch *w);

/* Called on a loop thread when a timer fires. */
typedef void lb_timer_fn(void *arg);

/* A periodic timer (a timerfd in the epoll set); embedded in its owner. */
struct lb_timer {
	struct lb_watch watch; /* first */
	struct lb_loop *loop;
	int fd;
	lb_timer_fn *fn;
	void *arg;
};

/*
 * Calls fn(arg) on a loop thread every `period_ms` from now on, never twice
 * at once.  Returns 0, or -1 (errno).
 */
int lb_loop_timer_start(struct lb_loop *loop, struct lb_timer *t, int period_ms,
    lb_timer_fn *fn, void *arg);

/*
 * Closes the timer (a zeroed or stopped one is fine too).  Call it once the
 * loop has stopped (lb_loop_free), or from the timer's own fn.
 */
void lb_loop_timer_stop(struct lb_timer *t);

/*
 * Runs fn(arg) on a pool thread.  Any thread.  Returns 0, or -1 when out
 * of memory (fn is not called).
 */
int lb_loop_defer(struct lb_loop *loop, lb_job_fn *fn, void *arg);

/*
 * Stops the loop threads (after the events in hand), runs the jobs still
 * queued, joins every thread and frees the loop.  Watches still armed are
 * never called again; their fds stay with their owners.
 */
void lb_loop_free(struct lb_loop *loop);

/* Default number of loop threads: the CPUs this process may run on. */
int lb_loop_default_threads(void);

#endif /* LB_LOOP_H */
