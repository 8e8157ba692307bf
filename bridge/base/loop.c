/*
 * loop.c - the event loop (see loop.h).
 *
 * All loop threads wait on one epoll set.  With every fd one-shot, a burst
 * of ready fds is shared out among them, and a loop thread that finds more
 * work when it wakes serves it without sleeping again: under load a request
 * costs the gateway a fraction of a wake-up instead of one per step
 * (docs/performance.md).
 *
 * Stopping: an eventfd in the set stays readable (level-triggered, not
 * one-shot) once written, so every loop thread sees it and leaves.
 *
 * Timers are timerfds in the same set, armed one-shot like any fd and
 * re-armed after their callback: a loop thread never sleeps to wait.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/log.h"
#include "base/loop.h"

#define EVENTS_PER_WAIT  64
#define MAX_LOOP_THREADS 64

struct job {
	struct job *next;
	lb_job_fn *fn;
	void *arg;
};

struct lb_loop {
	int epfd;
	int stopfd;
	struct lb_watch stop_watch; /* a marker: never called */
	int nloop, npool;
	pthread_t *loop_tids;
	pthread_t *pool_tids;
	pthread_mutex_t mu; /* guards the job queue and stopping */
	pthread_cond_t cv;
	struct job *head, *tail;
	int stopping;
};

int
lb_loop_default_threads(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > MAX_LOOP_THREADS ? MAX_LOOP_THREADS : n;
}

static void *
loop_thread(void *arg)
{
	struct lb_loop *L = arg;
	struct epoll_event evs[EVENTS_PER_WAIT];

	lb_log_batch_begin();
	for (;;) {
		int n, stop = 0;

		/* the lines of the last round, before sleeping */
		lb_log_batch_flush();
		n = epoll_wait(L->epfd, evs, EVENTS_PER_WAIT, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			lb_log(LB_LOG_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct lb_watch *w = evs[i].data.ptr;

			if (w == &L->stop_watch) {
				stop = 1;
				continue;
			}
			(void)__atomic_load_n(&w->added, __ATOMIC_ACQUIRE);
			w->ready(w, evs[i].events);
		}
		if (stop)
			break;
	}
	lb_log_batch_end();
	return NULL;
}

static void *
pool_thread(void *arg)
{
	struct lb_loop *L = arg;

	pthread_mutex_lock(&L->mu);
	for (;;) {
		struct job *j = L->head;

		if (j == NULL) {
			if (L->stopping)
				break;
			pthread_cond_wait(&L->cv, &L->mu);
			continue;
		}
		L->head = j->next;
		if (L->head == NULL)
			L->tail = NULL;
		pthread_mutex_unlock(&L->mu);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&L->mu);
	}
	pthread_mutex_unlock(&L->mu);
	return NULL;
}

static void
stop_threads(struct lb_loop *L)
{
	uint64_t one = 1;

	if (L->stopfd >= 0 && write(L->stopfd, &one, sizeof(one)) < 0)
		lb_log(LB_LOG_ERROR, "eventfd: %s", strerror(errno));
	for (int i = 0; i < L->nloop; i++)
		pthread_join(L->loop_tids[i], NULL);
	pthread_mutex_lock(&L->mu);
	L->stopping = 1;
	pthread_cond_broadcast(&L->cv);
	pthread_mutex_unlock(&L->mu);
	for (int i = 0; i < L->npool; i++)
		pthread_join(L->pool_tids[i], NULL);
}

struct lb_loop *
lb_loop_new(int loop_threads, int pool_threads, char *err, size_t errlen)
{
	struct lb_loop *L;
	struct epoll_event ev;
	pthread_attr_t attr;

	L = calloc(1, sizeof(*L));
	if (L == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	L->epfd = L->stopfd = -1;
	pthread_mutex_init(&L->mu, NULL);
	pthread_cond_init(&L->cv, NULL);
	L->loop_tids = calloc((size_t)loop_threads, sizeof(pthread_t));
	L->pool_tids = calloc((size_t)pool_threads, sizeof(pthread_t));
	if (L->loop_tids == NULL || L->pool_tids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	L->epfd = epoll_create1(EPOLL_CLOEXEC);
	L->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (L->epfd < 0 || L->stopfd < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &L->stop_watch;
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->stopfd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	pthread_attr_init(&attr);
	/* the work happens in workers: little stack is needed */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (; L->nloop < loop_threads; L->nloop++)
		if (pthread_create(
		        &L->loop_tids[L->nloop], &attr, loop_thread, L) != 0)
			break;
	for (; L->npool < pool_threads; L->npool++)
		if (pthread_create(
		        &L->pool_tids[L->npool], &attr, pool_thread, L) != 0)
			break;
	pthread_attr_destroy(&attr);
	if (L->nloop < loop_threads || L->npool < pool_threads) {
		snprintf(err, errlen,
		    "started only %d of %d loop threads and %d of %d pool "
		    "threads",
		    L->nloop, loop_threads, L->npool, pool_threads);
		goto fail;
	}
	return L;
fail:
	lb_loop_free(L);
	return NULL;
}

int
lb_loop_arm(struct lb_loop *L, int fd, struct lb_watch *w, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events | EPOLLONESHOT;
	ev.data.ptr = w;
	/* added is set before the fd goes in: once in, its event may fire
	 * and be re-armed on another thread before epoll_ctl returns here.
	 * The release pairs with the loop thread's acquire: what the owner
	 * wrote before arming happens before its ready call (the kernel
	 * orders it anyway; this tells ThreadSanitizer). */
	if (__atomic_exchange_n(&w->added, 1, __ATOMIC_ACQ_REL)) {
		if (epoll_ctl(L->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->added = 0;
		return -1;
	}
	return 0;
}

void
lb_loop_forget(struct lb_loop *L, int fd, struct lb_watch *w)
{
	if (L == NULL || !w->added)
		return;
	(void)epoll_ctl(L->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->added = 0;
}

static void
timer_ready(struct lb_watch *w, uint32_t events)
{
	struct lb_timer *t = (struct lb_timer *)w;
	uint64_t n;

	(void)events;
	/* the count of expirations: one call covers them all */
	if (read(t->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		lb_log(LB_LOG_ERROR, "timerfd: %s", strerror(errno));
	t->fn(t->arg);
	if (t->fd >= 0 && lb_loop_arm(t->loop, t->fd, &t->watch, EPOLLIN) < 0)
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
}

int
lb_loop_timer_start(struct lb_loop *L, struct lb_timer *t, int period_ms,
    lb_timer_fn *fn, void *arg)
{
	struct itimerspec its;

	memset(t, 0, sizeof(*t));
	t->watch.ready = timer_ready;
	t->loop = L;
	t->fn = fn;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0)
		return -1;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = period_ms / 1000;
	its.it_interval.tv_nsec = (long)(period_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0 ||
	    lb_loop_arm(L, t->fd, &t->watch, EPOLLIN) < 0) {
		int saved = errno;

		close(t->fd);
		t->fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

void
lb_loop_timer_stop(struct lb_timer *t)
{
	if (t->watch.ready == NULL || t->fd < 0)
		return; /* zeroed, never started, or stopped */
	close(t->fd);
	t->fd = -1;
}

int
lb_loop_defer(struct lb_loop *L, lb_job_fn *fn, void *arg)
{
	struct job *j = malloc(sizeof(*j));

	if (j == NULL)
		return -1;
	j->next = NULL;
	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&L->mu);
	if (L->tail != NULL)
		L->tail->next = j;
	else
		L->head = j;
	L->tail = j;
	pthread_cond_signal(&L->cv);
	pthread_mutex_unlock(&L->mu);
	return 0;
}

void
lb_loop_free(struct lb_loop *L)
{
	if (L == NULL)
		return;
	stop_threads(L);
	if (L->stopfd >= 0)
		close(L->stopfd);
	if (L->epfd >= 0)
		close(L->epfd);
	free(L->loop_tids);
	free(L->pool_tids);
	pthread_cond_destroy(&L->cv);
	pthread_mutex_destroy(&L->mu);
	free(L);
}
