/*
 * server.c - the FastCGI server (see fcgi.h): the listener, and a sweep
 * timer that applies the limits (docs/configuration.md,
 * gateway.connection_timeout and max_buffered).
 *
 * Every armed connection has a deadline, renewed whenever it is armed
 * again; the sweep looks at the connections every FCGII_SWEEP_MS and shuts
 * down those past it, so that their owner's next event closes them.  Every
 * buffer is counted against its connection and the server: over the cap,
 * connections are not read (they wait on a paused list, which the sweep
 * re-arms or closes) and the listener is not armed.  Out of descriptors,
 * the listener waits for the next sweep too: a loop thread never sleeps.
 *
 * Shutdown: lb_fcgi_stop() stops accepting and waits for the requests in
 * progress; a request arriving after that on a kept connection is answered
 * 503 without touching the handler (conn.c).  lb_fcgi_release() closes the
 * connections once the loop has stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fastcgi/fcgi_int.h"
#include "base/ids.h"
#include "base/log.h"

#define ACCEPT_BURST 64

/* Whether a warning of this kind may be logged now: once a second. */
static int
may_warn(int64_t *last_log)
{
	int64_t now = lb_mono_ms(), last;

	last = __atomic_load_n(last_log, __ATOMIC_RELAXED);
	return now - last >= 1000 &&
	    __atomic_compare_exchange_n(
	        last_log, &last, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/*
 * Out of descriptors or memory (the listening socket stays readable):
 * the listener is left unarmed until the next sweep, logged once a second.
 */
static void
accept_failed(struct fcgii_state *st, int err)
{
	static int64_t last_log;

	if (may_warn(&last_log))
		lb_log(LB_LOG_ERROR, "accept: %s: not accepting for %d ms",
		    strerror(err), FCGII_SWEEP_MS);
	__atomic_add_fetch(&st->accept_paused, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&st->mu);
	st->accept_after = lb_mono_ms() + FCGII_SWEEP_MS;
	st->listen_paused = 1;
	pthread_mutex_unlock(&st->mu);
}

static int
total_over_cap(struct fcgii_state *st)
{
	size_t max = __atomic_load_n(&st->srv->max_buffered, __ATOMIC_RELAXED);

	return max > 0 &&
	    __atomic_load_n(&st->buffered, __ATOMIC_RELAXED) > max;
}

/* A new connection, on the server's list; NULL when out of memory. */
static struct lb_fcgi_req *
new_conn(struct fcgii_state *st, int fd)
{
	struct lb_fcgi_req *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->watch.ready = fcgii_conn_ready;
	c->st = st;
	c->fd = fd;
	pthread_mutex_lock(&st->mu);
	c->next = st->conns;
	if (st->conns != NULL)
		st->conns->prev = c;
	st->conns = c;
	st->nconns++;
	pthread_mutex_unlock(&st->mu);
	return c;
}

/*
 * Accepts what is waiting (up to ACCEPT_BURST), arms the listener again so
 * that another loop thread can accept meanwhile, then reads each new
 * connection at once instead of arming it: a web server that opens a
 * connection per request (nginx without fastcgi_keep_conn) has written
 * its request by the time it is accepted, so the first read usually finds
 * it, and the request goes to the handler without an epoll_ctl and a trip
 * through epoll_wait.  A connection with nothing to read yet is armed
 * (fcgii_conn_ready does both).
 */
static void
listen_ready(struct lb_watch *w, uint32_t events)
{
	struct fcgii_state *st = (struct fcgii_state *)w;
	struct lb_fcgi_server *srv = st->srv;
	struct lb_fcgi_req *fresh[ACCEPT_BURST];
	int stopped, paused = 0, n = 0;

	(void)events;
	if (total_over_cap(st)) {
		/* a new connection would only wait: leave it to the
		 * backlog until memory is released */
		pthread_mutex_lock(&st->mu);
		st->listen_paused = 1;
		pthread_mutex_unlock(&st->mu);
		__atomic_add_fetch(&st->accept_paused, 1, __ATOMIC_RELAXED);
		return;
	}
	while (n < ACCEPT_BURST) {
		int fd =
		    accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINVAL) {
				accept_failed(st, errno);
				paused = 1;
			}
			break;
		}
		if ((fresh[n] = new_conn(st, fd)) == NULL) {
			close(fd);
			break;
		}
		n++;
	}
	pthread_mutex_lock(&st->mu);
	stopped = st->stopping;
	pthread_mutex_unlock(&st->mu);
	if (!stopped && !paused &&
	    lb_loop_arm(srv->loop, srv->fd, &st->listen_watch, EPOLLIN) < 0)
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		fcgii_conn_ready(&fresh[i]->watch, EPOLLIN);
}

/* Whether the client of a paused connection has closed (its buffers can
 * go without reading the rest). */
static int
peer_gone(struct lb_fcgi_req *c)
{
	char ch;
	ssize_t r = recv(c->fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT);

	return r == 0 ||
	    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	        errno != EINTR);
}

/*
 * Every FCGII_SWEEP_MS on a loop thread: shuts down the connections past their
 * deadline (their owner's next event closes them; a paused one, which
 * nobody owns, is closed here, as is one whose client has gone), arms the
 * paused ones again once the buffers are under the cap (or, over it, the
 * one holding the most), and the listener once it may accept.
 */
static void
sweep(void *arg)
{
	static int64_t last_log, last_over_log;
	struct fcgii_state *st = arg;
	struct lb_fcgi_req *c, *p, *resume = NULL, *gone = NULL;
	int64_t now = lb_mono_ms();
	int over = total_over_cap(st), listen = 0;
	unsigned cut = 0;

	pthread_mutex_lock(&st->mu);
	for (c = st->conns; c != NULL; c = c->next) {
		int64_t e = __atomic_load_n(&c->expires, __ATOMIC_ACQUIRE);

		if (e <= 0 || e > now ||
		    !__atomic_compare_exchange_n(&c->expires, &e, FCGII_CUT, 0,
		        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		shutdown(c->fd, SHUT_RDWR);
		if (__atomic_load_n(&c->idle_wait, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(
			    &st->idle_closed, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_add_fetch(&st->timed_out, 1, __ATOMIC_RELAXED);
			cut++;
		}
	}
	while ((p = st->paused) != NULL) {
		st->paused = p->pnext;
		if (__atomic_load_n(&p->expires, __ATOMIC_RELAXED) ==
		        FCGII_CUT ||
		    peer_gone(p)) {
			p->pnext = gone;
			gone = p;
		} else {
			p->pnext = resume;
			resume = p;
		}
	}
	if (over) {
		/* still over: they wait, but the one holding the most reads
		 * on until its request is in, which releases memory when
		 * nothing else would */
		struct lb_fcgi_req **pp, **big = NULL;

		for (pp = &resume; st->pass == NULL && *pp != NULL;
		     pp = &(*pp)->pnext)
			if (big == NULL || (*pp)->held > (*big)->held)
				big = pp;
		p = NULL;
		if (big != NULL) {
			p = *big;
			*big = p->pnext;
			p->pnext = NULL;
			st->pass = p;
		}
		st->paused = resume;
		resume = p;
	}
	if (st->listen_paused && !st->stopping && !over &&
	    now >= st->accept_after) {
		st->listen_paused = 0;
		listen = 1;
	}
	pthread_mutex_unlock(&st->mu);
	if (cut > 0 && may_warn(&last_log))
		lb_log(LB_LOG_WARN,
		    "closed %u FastCGI connection(s) stalled for %d ms "
		    "(gateway.connection_timeout)",
		    cut,
		    __atomic_load_n(&st->srv->timeout_ms, __ATOMIC_RELAXED));
	if (over && may_warn(&last_over_log))
		lb_log(LB_LOG_WARN,
		    "FastCGI connections hold %zu bytes, over "
		    "gateway.max_buffered (%zu): reads and accepts wait",
		    __atomic_load_n(&st->buffered, __ATOMIC_RELAXED),
		    __atomic_load_n(&st->srv->max_buffered, __ATOMIC_RELAXED));
	while ((c = gone) != NULL) {
		gone = c->pnext;
		fcgii_cleanup_conn(c);
	}
	while ((c = resume) != NULL) {
		resume = c->pnext;
		fcgii_conn_arm(c);
	}
	if (listen &&
	    lb_loop_arm(
	        st->srv->loop, st->srv->fd, &st->listen_watch, EPOLLIN) < 0)
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
}

void
lb_fcgi_dump_stats(struct lb_fcgi_server *srv, FILE *out)
{
	struct fcgii_state *st = srv->state;
	size_t n;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	n = st->nconns;
	pthread_mutex_unlock(&st->mu);
	fprintf(out,
	    "fastcgi: connections=%zu buffered=%zu timed_out=%llu "
	    "idle_closed=%llu reads_paused=%llu accept_paused=%llu\n",
	    n, __atomic_load_n(&st->buffered, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(
	        &st->timed_out, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(
	        &st->idle_closed, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(
	        &st->reads_paused, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(
	        &st->accept_paused, __ATOMIC_RELAXED));
}

/*
 * The sweep timer starts before the listener is armed: a listener that
 * cannot be armed then leaves only the timer to the running loop, which
 * lb_fcgi_release stops once the loop has (no step leaks).
 */
int
lb_fcgi_start(struct lb_fcgi_server *srv)
{
	struct fcgii_state *st;
	int fl, err;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		err = errno;
		goto fail_alloc;
	}
	st->listen_watch.ready = listen_ready;
	st->srv = srv;
	if ((err = pthread_mutex_init(&st->mu, NULL)) != 0)
		goto fail_mutex;
	if ((err = pthread_cond_init(&st->idle, NULL)) != 0)
		goto fail_cond;
	fl = fcntl(srv->fd, F_GETFL);
	if (fl < 0 || fcntl(srv->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		err = errno;
		goto fail_nonblock;
	}
	if (lb_loop_timer_start(
	        srv->loop, &st->sweep, FCGII_SWEEP_MS, sweep, st) < 0) {
		err = errno;
		goto fail_sweep;
	}
	srv->state = st;
	if (lb_loop_arm(srv->loop, srv->fd, &st->listen_watch, EPOLLIN) < 0) {
		err = errno;
		goto fail_listen;
	}
	return 0;

fail_listen:
	/* the sweep may be running on a loop thread: it never arms the
	 * listener now, and it and st wait for lb_fcgi_release */
	pthread_mutex_lock(&st->mu);
	st->stopping = 1;
	pthread_mutex_unlock(&st->mu);
	lb_log(LB_LOG_ERROR, "cannot watch the listening socket: %s",
	    strerror(err));
	return -1;
fail_sweep:
fail_nonblock:
	pthread_cond_destroy(&st->idle);
fail_cond:
	pthread_mutex_destroy(&st->mu);
fail_mutex:
	free(st);
fail_alloc:
	lb_log(LB_LOG_ERROR, "cannot watch the listening socket: %s",
	    strerror(err));
	return -1;
}

void
lb_fcgi_stop(struct lb_fcgi_server *srv)
{
	struct fcgii_state *st = srv->state;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	st->stopping = 1;
	pthread_mutex_unlock(&st->mu);
	/* accept() fails with EINVAL from now on */
	shutdown(srv->fd, SHUT_RDWR);
	pthread_mutex_lock(&st->mu);
	while (st->busy > 0)
		pthread_cond_wait(&st->idle, &st->mu);
	st->closed = 1;
	pthread_mutex_unlock(&st->mu);
}

void
lb_fcgi_release(struct lb_fcgi_server *srv)
{
	struct fcgii_state *st = srv->state;

	if (st == NULL)
		return;
	srv->loop = NULL; /* freed: nothing to take the fds out of */
	lb_loop_timer_stop(&st->sweep);
	st->paused = NULL;
	while (st->conns != NULL)
		fcgii_cleanup_conn(st->conns);
	pthread_cond_destroy(&st->idle);
	pthread_mutex_destroy(&st->mu);
	free(st);
	srv->state = NULL;
}
