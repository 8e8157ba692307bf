/*
 * provided.c - the worker of a provided runtime ("the shim"): serves the
 * Runtime API (rapi.c) on 127.0.0.1 to the bootstrap it starts as its
 * child (bootstrap.c), and maps it onto the gateway's frames
 * (docs/design.md, "The worker of a provided runtime").
 *
 * One thread, one poll() over the gateway's frames, the listening socket,
 * the runtime's connections and a SIGCHLD self-pipe.  The bootstrap's
 * first `next` is READY; an INVOKE answers the pending (or the next)
 * `next`; its response or error becomes RESULT or ERROR, and the `next`
 * after it a READY with the same sequence number ("settled").  The shim
 * ends as the bootstrap ends, with its exit status or signal, so the
 * gateway sees it as it sees a native worker's crash.  Memory is the
 * bootstrap's RSS, sampled, not RLIMIT_AS: runtimes reserve far more
 * address space than they use.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/ids.h"
#include "lambda/bootstrap.h"
#include "lambda/frame.h"
#include "lambda/provided.h"
#include "lambda/rapi.h"
#include "lambda/worker.h"

/* Runtime connections served at once (a runtime uses one or two). */
#define CONN_MAX 16
/* Bytes read from a connection at a time. */
#define READ_CHUNK 65536
/* Unparsed input kept while a connection waits in `next`. */
#define INPUT_MAX (256 * 1024)
/* Answers queued on a connection before its requests wait. */
#define OUTPUT_MAX (256 * 1024)
/* How often the bootstrap's RSS is sampled while it runs (ms), and at
 * most (after frames and answers too). */
#define SAMPLE_MS     50
#define SAMPLE_MIN_MS 10

enum inv_state {
	INV_NONE,    /* no event: `next` waits */
	INV_PENDING, /* an INVOKE came, no `next` has taken it yet */
	INV_RUNNING, /* given to the runtime, not yet answered */
};

struct conn {
	int fd;
	struct lb_rapi_conn rc;
	char *in; /* read, not yet parsed: [in_off, in_len) */
	size_t in_off, in_len, in_cap;
	struct lb_rapi_out out;
	uint64_t waiting; /* in `next` since this tick, or 0 */
	int keep_alive;   /* of the waiting `next` */
	int closing;      /* close once out is written */
	int eof;          /* the runtime closed its side */
};

struct shim {
	const struct lb_provided *p;
	int64_t sampled_at; /* the last RSS sample (lb_mono_ms) */
	int lfd;
	char api[32]; /* 127.0.0.1:PORT */
	struct lb_bootstrap boot;
	int chan_in;
	struct lb_frame_reader rd;
	int ready; /* the first `next` came: READY sent */
	int done;  /* leave the loop with `rc` */
	int rc;
	uint64_t tick; /* orders the waiting `next`s */
	enum inv_state state;
	char *payload; /* the INVOKE's (owned), while PENDING or RUNNING */
	struct lb_frame_invoke iv;
	int64_t inv_started_us;
	char rid[256];       /* the invocation's request id */
	char last_rid[256];  /* the one answered last */
	uint64_t settle_seq; /* answered: READY with it at the next `next` */
	struct conn *conns[CONN_MAX];
};

/* ---- frames to the gateway -------------------------------------------------- */

static int
reply(struct shim *S, uint32_t type, uint64_t seq, int64_t since_us,
    const char *body, size_t len)
{
	struct lb_frame_meta m;
	int64_t d = lb_mono_us() - since_us;

	m.duration_us = d > 0 ? (uint64_t)d : 0;
	/* a settling READY follows its RESULT at once: the peak read for
	 * that serves (reading /proc/PID/status costs microseconds) */
	m.maxrss_kb = type == LB_FRAME_READY && seq != 0
	    ? S->boot.hwm_kb
	    : lb_bootstrap_peak_kb(&S->boot);
	m.cpu = sched_getcpu();
	m.seq = seq;
	if (lb_worker_reply(type, &m, body, len) < 0) {
		/* the gateway is gone: as when its pipe ends */
		S->done = 1;
		S->rc = 0;
		return -1;
	}
	return 0;
}

static int
reply_error(struct shim *S, uint32_t type, uint64_t seq, int64_t since_us,
    const char *etype, const char *msg)
{
	char buf[4096 + 256];
	size_t n = lb_worker_error_json(buf, sizeof(buf), etype, msg);

	return reply(S, type, seq, since_us, buf, n);
}

/*
 * Samples the bootstrap's RSS; over `memory`: kills it, says OOM for the
 * invocation running (or the init) and leaves with 137.  Returns -1 then.
 */
static int
check_memory(struct shim *S)
{
	uint64_t seq = S->state == INV_RUNNING ? S->iv.seq : 0;
	int64_t since =
	    S->state == INV_RUNNING ? S->inv_started_us : S->p->started_us;
	int64_t now = lb_mono_ms();

	/* a few samples per invocation are plenty: each is a /proc read */
	if (S->boot.pid <= 0 || now - S->sampled_at < SAMPLE_MIN_MS)
		return 0;
	S->sampled_at = now;
	if (lb_bootstrap_rss_kb(&S->boot) <= (uint64_t)S->p->memory_mb * 1024)
		return 0;
	lb_bootstrap_peak_kb(&S->boot);
	lb_bootstrap_kill(&S->boot);
	reply_error(S, LB_FRAME_OOM, seq, since, "Runtime.OutOfMemory",
	    "Runtime exited with error: out of memory");
	S->done = 1;
	S->rc = 137;
	return -1;
}

/* ---- the runtime's connections ------------------------------------------------ */

static void
conn_close(struct shim *S, int i)
{
	struct conn *c = S->conns[i];

	close(c->fd);
	lb_rapi_conn_free(&c->rc);
	lb_rapi_out_free(&c->out);
	free(c->in);
	free(c);
	S->conns[i] = NULL;
}

/* Writes what the connection has queued, without blocking. */
static void
conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->out.off < c->out.len) {
		n = send(c->fd, c->out.buf + c->out.off,
		    c->out.len - c->out.off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* the runtime is gone: drop what it will not read */
			c->eof = 1;
			c->closing = 1;
			c->out.off = c->out.len;
			break;
		}
		lb_rapi_out_consumed(&c->out, (size_t)n);
	}
	lb_rapi_out_consumed(&c->out, 0);
}

/* Queues one of the Runtime API's fixed answers. */
static void
answer(struct conn *c, int what, int close)
{
	if (lb_rapi_respond_status(&c->out, what, close) < 0)
		close = 1;
	if (close)
		c->closing = 1;
}

/* Gives the pending event to connection c, waiting in `next`. */
static void
deliver(struct shim *S, struct conn *c)
{
	char deadline[32];
	struct lb_rapi_header h[4];
	size_t nh = 0;
	char trace[256];
	size_t tl = S->iv.trace_id_len < 255 ? S->iv.trace_id_len : 255;

	snprintf(
	    deadline, sizeof(deadline), "%lld", (long long)S->iv.deadline_ms);
	if (tl > 0)
		memcpy(trace, S->iv.trace_id, tl);
	trace[tl] = '\0';
	h[nh++] =
	    (struct lb_rapi_header){ "Lambda-Runtime-Aws-Request-Id", S->rid };
	h[nh++] =
	    (struct lb_rapi_header){ "Lambda-Runtime-Deadline-Ms", deadline };
	h[nh++] =
	    (struct lb_rapi_header){ "Lambda-Runtime-Invoked-Function-Arn",
		    S->p->arn };
	if (tl > 0)
		h[nh++] =
		    (struct lb_rapi_header){ "Lambda-Runtime-Trace-Id", trace };
	c->waiting = 0;
	if (lb_rapi_respond(&c->out, 200, "application/json", h, nh,
	        S->iv.event, S->iv.event_len, !c->keep_alive) < 0) {
		/* the event stays pending for another `next` */
		c->closing = 1;
		return;
	}
	if (!c->keep_alive)
		c->closing = 1;
	S->state = INV_RUNNING;
}

/* The connection waiting longest in `next`, or NULL. */
static struct conn *
oldest_waiter(struct shim *S)
{
	struct conn *best = NULL;

	for (int i = 0; i < CONN_MAX; i++) {
		struct conn *c = S->conns[i];

		if (c != NULL && c->waiting != 0 &&
		    (best == NULL || c->waiting < best->waiting))
			best = c;
	}
	return best;
}

/*
 * The event goes to every `next` waiting: when it is running already, a
 * `next` gets it again, as RIE gives it (the Running state takes Ready as
 * a no-op; docs/runtime-api.md).
 */
static void
dispatch(struct shim *S)
{
	struct conn *c;

	if (S->state == INV_NONE)
		return;
	while ((c = oldest_waiter(S)) != NULL && !S->done)
		deliver(S, c);
}

/* The runtime's state as RIE names it in its 403 answers. */
static const char *
state_name(struct shim *S)
{
	if (!S->ready)
		return "Started";
	if (S->settle_seq != 0)
		return "RuntimeResponseSentState";
	if (S->state == INV_RUNNING)
		return "Running";
	return "Ready";
}

static void
on_next(struct shim *S, struct conn *c)
{
	if (!S->ready) {
		S->ready = 1;
		if (reply(S, LB_FRAME_READY, 0, S->p->started_us, "", 0) < 0)
			return;
	} else if (S->settle_seq != 0) {
		uint64_t seq = S->settle_seq;

		/* the answered id is not current any more */
		S->settle_seq = 0;
		S->last_rid[0] = '\0';
		if (reply(S, LB_FRAME_READY, seq, lb_mono_us(), "", 0) < 0)
			return;
	}
	c->waiting = ++S->tick;
	c->keep_alive = c->rc.req.keep_alive;
	dispatch(S);
}

/*
 * Whether id[0..len) names the invocation running; else answers c as RIE
 * does: 400 for an id that is not the current one, 403 for the current
 * one answered already (until the runtime's next `next`).  `to` names the
 * transition for the 403.
 */
static int
is_running(
    struct shim *S, struct conn *c, const char *id, size_t len, const char *to)
{
	int close = !c->rc.req.keep_alive;

	if (S->state == INV_RUNNING && strlen(S->rid) == len &&
	    memcmp(S->rid, id, len) == 0)
		return 1;
	if (S->settle_seq != 0 && strlen(S->last_rid) == len &&
	    memcmp(S->last_rid, id, len) == 0) {
		if (lb_rapi_respond_state(&c->out, state_name(S), to, close) <
		        0 ||
		    close)
			c->closing = 1;
	} else {
		answer(c, LB_RAPI_ST_BAD_ID, close);
	}
	return 0;
}

/* The running invocation is answered (its frame sent). */
static void
settle(struct shim *S)
{
	S->settle_seq = S->iv.seq;
	snprintf(S->last_rid, sizeof(S->last_rid), "%s", S->rid);
	S->rid[0] = '\0';
	S->state = INV_NONE;
	free(S->payload);
	S->payload = NULL;
	memset(&S->iv, 0, sizeof(S->iv));
}

static void
on_response(struct shim *S, struct conn *c, const char *id, size_t len)
{
	struct lb_rapi_request *r = &c->rc.req;

	if (!is_running(S, c, id, len, "InvocationResponse"))
		return;
	if (reply(S, LB_FRAME_RESULT, S->iv.seq, S->inv_started_us,
	        r->body != NULL ? r->body : "", r->body_len) < 0)
		return;
	settle(S);
	answer(c, LB_RAPI_ST_ACCEPTED, !r->keep_alive);
	check_memory(S);
}

static void
on_error(struct shim *S, struct conn *c, const char *id, size_t len)
{
	struct lb_rapi_request *r = &c->rc.req;
	size_t n;
	char *body;

	if (!is_running(S, c, id, len, "InvocationErrorResponse"))
		return;
	body = lb_rapi_error_body(r->body, r->body_len, r->error_type, &n);
	if (body == NULL) {
		answer(c, LB_RAPI_ST_BAD_REQUEST, 1);
		return;
	}
	if (reply(S, LB_FRAME_ERROR, S->iv.seq, S->inv_started_us, body, n) <
	    0) {
		free(body);
		return;
	}
	free(body);
	settle(S);
	answer(c, LB_RAPI_ST_ACCEPTED, !r->keep_alive);
	check_memory(S);
}

static void
on_init_error(struct shim *S, struct conn *c)
{
	struct lb_rapi_request *r = &c->rc.req;
	size_t n;
	char *body;

	if (S->ready) {
		if (lb_rapi_respond_state(&c->out, state_name(S), "InitError",
		        !r->keep_alive) < 0 ||
		    !r->keep_alive)
			c->closing = 1;
		return;
	}
	body = lb_rapi_error_body(r->body, r->body_len, r->error_type, &n);
	if (body == NULL) {
		answer(c, LB_RAPI_ST_BAD_REQUEST, 1);
		return;
	}
	answer(c, LB_RAPI_ST_ACCEPTED, 1);
	conn_flush(c);
	reply(S, LB_FRAME_INIT_ERROR, 0, S->p->started_us, body, n);
	free(body);
	lb_bootstrap_kill(&S->boot);
	S->done = 1;
	S->rc = 1;
}

/*
 * A body over the cap (read to its end when it came): the running
 * invocation's response fails it with Function.ResponseSizeTooLarge, as
 * Lambda fails it, and the runtime is told 413.  The id is checked first.
 */
static void
on_too_big(struct shim *S, struct conn *c, int close)
{
	struct lb_rapi_request *r = &c->rc.req;
	enum lb_rapi_route route;
	const char *id;
	size_t len;
	char msg[256];

	route = lb_rapi_route(r->method, r->url, r->url_len, &id, &len);
	if (route == LB_RAPI_RESPONSE || route == LB_RAPI_ERROR) {
		if (!is_running(S, c, id, len,
		        route == LB_RAPI_RESPONSE
		            ? "InvocationResponse"
		            : "InvocationErrorResponse")) {
			if (close)
				c->closing = 1;
			return;
		}
	}
	if (route == LB_RAPI_RESPONSE) {
		snprintf(msg, sizeof(msg),
		    "Response payload size (%llu bytes) exceeded maximum "
		    "allowed payload size (%d bytes).",
		    (unsigned long long)(r->content_length > r->body_total
		            ? r->content_length
		            : r->body_total),
		    LB_RAPI_BODY_MAX);
		if (reply_error(S, LB_FRAME_ERROR, S->iv.seq, S->inv_started_us,
		        "Function.ResponseSizeTooLarge", msg) < 0)
			return;
		settle(S);
	}
	answer(c, LB_RAPI_ST_TOO_LARGE, close || !r->keep_alive);
}

static void
on_request(struct shim *S, struct conn *c)
{
	struct lb_rapi_request *r = &c->rc.req;
	const char *id;
	size_t len;

	switch (lb_rapi_route(r->method, r->url, r->url_len, &id, &len)) {
	case LB_RAPI_NEXT: on_next(S, c); break;
	case LB_RAPI_RESPONSE: on_response(S, c, id, len); break;
	case LB_RAPI_ERROR: on_error(S, c, id, len); break;
	case LB_RAPI_INIT_ERROR: on_init_error(S, c); break;
	case LB_RAPI_WANTS_GET:
		answer(c, LB_RAPI_ST_WANTS_GET, !r->keep_alive);
		break;
	case LB_RAPI_WANTS_POST:
		answer(c, LB_RAPI_ST_WANTS_POST, !r->keep_alive);
		break;
	default: answer(c, LB_RAPI_ST_NOT_FOUND, !r->keep_alive); break;
	}
}

/* Parses and serves what the connection has read, request by request. */
static void
conn_process(struct shim *S, struct conn *c)
{
	size_t used;
	int rc;

	/* a runtime that does not read its answers gets no more */
	while (!S->done && c->waiting == 0 && !c->closing &&
	    c->out.len - c->out.off < OUTPUT_MAX) {
		rc = lb_rapi_feed(
		    &c->rc, c->in + c->in_off, c->in_len - c->in_off, &used);
		c->in_off += used;
		if (rc == LB_RAPI_AGAIN)
			break;
		if (rc == LB_RAPI_REQUEST) {
			on_request(S, c);
			lb_rapi_next(&c->rc);
		} else if (rc == LB_RAPI_CONTINUE) {
			answer(c, LB_RAPI_ST_CONTINUE, 0);
		} else if (rc == LB_RAPI_TOOBIG) {
			/* read to its end, or stopped after its headers */
			on_too_big(S, c, !c->rc.done);
			lb_rapi_next(&c->rc);
		} else {
			answer(c, LB_RAPI_ST_BAD_REQUEST, 1);
		}
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

/* Reads what the runtime sent; -1 when the connection ends. */
static int
conn_read(struct conn *c)
{
	ssize_t n;
	char *nb;

	if (c->in_off > 0 && c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (c->in_cap - c->in_len < READ_CHUNK) {
		if (c->in_off > 0) {
			memmove(
			    c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (c->in_cap - c->in_len < READ_CHUNK) {
			nb = realloc(c->in, c->in_len + READ_CHUNK);
			if (nb == NULL) {
				c->eof = 1;
				return -1;
			}
			c->in = nb;
			c->in_cap = c->in_len + READ_CHUNK;
		}
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		c->eof = 1;
		return n < 0 ? -1 : 0;
	}
	c->in_len += (size_t)n;
	return 0;
}

static void
accept_conns(struct shim *S)
{
	int fd, one = 1, i;
	struct conn *c;

	while ((fd = accept4(
	            S->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < CONN_MAX && S->conns[i] != NULL; i++)
			;
		c = i < CONN_MAX ? calloc(1, sizeof(*c)) : NULL;
		if (c == NULL) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		lb_rapi_conn_init(&c->rc, LB_RAPI_BODY_MAX);
		S->conns[i] = c;
	}
}

/* ---- frames from the gateway --------------------------------------------------- */

static void
on_invoke(struct shim *S, char *payload, size_t len)
{
	if (S->state != INV_NONE ||
	    lb_frame_invoke_decode(payload, len, &S->iv) < 0) {
		fprintf(stderr, "lambdabridge worker: %s INVOKE frame\n",
		    S->state != INV_NONE ? "unexpected" : "malformed");
		free(payload);
		S->done = 1;
		S->rc = 2;
		return;
	}
	S->payload = payload;
	S->inv_started_us = lb_mono_us();
	snprintf(S->rid, sizeof(S->rid), "%.*s", (int)S->iv.request_id_len,
	    S->iv.request_id);
	S->state = INV_PENDING;
	dispatch(S);
}

static void
read_frames(struct shim *S)
{
	char *payload;
	size_t len;
	int rc;

	while (!S->done) {
		/* chan_in is non-blocking (lb_provided_main): no poll first */
		rc = lb_frame_reader_pump(&S->rd, S->chan_in);
		if (rc == LB_FRAME_AGAIN)
			return;
		if (rc == LB_FRAME_EOF) {
			S->done = 1;
			S->rc = 0;
			return;
		}
		if (rc != LB_FRAME_DONE || S->rd.type != LB_FRAME_INVOKE) {
			fprintf(stderr,
			    "lambdabridge worker: bad frame from the "
			    "gateway (%d, type %u)\n",
			    rc, (unsigned)S->rd.type);
			S->done = 1;
			S->rc = 2;
			return;
		}
		payload = lb_frame_reader_take(&S->rd, &len);
		on_invoke(S, payload, len);
		check_memory(S);
		/* the gateway sends one INVOKE at a time: ask the pipe again
		 * only for bytes already read with this one; the rest, if
		 * any, makes poll() return */
		if (S->rd.ahead_len == 0)
			return;
	}
}

/* ---- the loop --------------------------------------------------------------- */

static int
open_listener(struct shim *S)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	S->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (S->lfd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(S->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(S->lfd, 64) < 0 ||
	    getsockname(S->lfd, (struct sockaddr *)&sin, &sl) < 0)
		return -1;
	snprintf(
	    S->api, sizeof(S->api), "127.0.0.1:%d", (int)ntohs(sin.sin_port));
	return 0;
}

/* Serves the connections that poll() found ready, then the rest. */
static void
serve_conns(struct shim *S, const struct pollfd *pfd, const int *slot, int n)
{
	for (int k = 0; k < n; k++) {
		struct conn *c = S->conns[slot[k]];

		if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(c);
	}
	for (int i = 0; i < CONN_MAX && !S->done; i++) {
		struct conn *c = S->conns[i];

		if (c == NULL)
			continue;
		conn_process(S, c);
		conn_flush(c);
		if ((c->closing && c->out.off == c->out.len) ||
		    (c->eof && c->waiting == 0 && c->out.off == c->out.len) ||
		    (c->eof && c->waiting != 0)) {
			conn_close(S, i);
		}
	}
	if (!S->done)
		dispatch(S);
}

/*
 * The bootstrap is gone: serves what its connections still hold (it may
 * have answered and exited at once), reading each until it is empty.
 */
static void
drain_conns(struct shim *S)
{
	accept_conns(S);
	for (int round = 0; round < 1024 && !S->done; round++) {
		int more = 0;

		for (int i = 0; i < CONN_MAX; i++) {
			struct conn *c = S->conns[i];
			size_t had;

			if (c == NULL || c->eof || c->closing)
				continue;
			had = c->in_len;
			conn_read(c);
			more |= c->in_len != had;
		}
		serve_conns(S, NULL, NULL, 0);
		if (!more)
			break;
	}
}

/* Whether the bootstrap waits in `next` with nothing to do: its memory
 * cannot grow, so it is not sampled. */
static int
bootstrap_idle(struct shim *S)
{
	return S->ready && S->state == INV_NONE && S->settle_seq == 0 &&
	    oldest_waiter(S) != NULL;
}

static void
loop(struct shim *S)
{
	struct pollfd pfd[3 + CONN_MAX];
	int slot[CONN_MAX];
	int n, nc, timeout;

	while (!S->done) {
		n = 0;
		pfd[n++] = (struct pollfd){ S->chan_in, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ S->lfd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ S->boot.wake, POLLIN, 0 };
		nc = 0;
		for (int i = 0; i < CONN_MAX; i++) {
			struct conn *c = S->conns[i];
			short ev = 0;

			if (c == NULL)
				continue;
			if (!c->eof && c->in_len - c->in_off < INPUT_MAX)
				ev |= POLLIN;
			if (c->out.off < c->out.len)
				ev |= POLLOUT;
			slot[nc++] = i;
			pfd[n++] = (struct pollfd){ c->fd, ev, 0 };
		}
		/* sampled while the bootstrap works */
		timeout = bootstrap_idle(S) ? -1 : SAMPLE_MS;
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			S->done = 1;
			S->rc = 2;
			break;
		}
		if (pfd[0].revents)
			read_frames(S);
		if (!S->done && pfd[1].revents)
			accept_conns(S);
		if (!S->done)
			serve_conns(S, pfd + 3, slot, nc);
		if (!S->done && pfd[2].revents && lb_bootstrap_reap(&S->boot)) {
			/* what it said before it went still counts */
			drain_conns(S);
			if (!S->done) {
				S->done = 1;
				S->rc = lb_bootstrap_mirror(&S->boot);
			}
		}
		if (!S->done && timeout >= 0)
			check_memory(S);
	}
}

int
lb_provided_main(const struct lb_provided *p)
{
	struct shim S;
	const char *etype;
	char err[1024];
	int fl;

	memset(&S, 0, sizeof(S));
	S.p = p;
	S.boot.wake = -1;
	S.chan_in = lb_worker_chan_in();
	lb_frame_reader_init(&S.rd, LB_FRAME_MAX, 0);
	/* read when poll() says so, until EAGAIN: no poll before each read */
	fl = fcntl(S.chan_in, F_GETFL);
	if (fl < 0 || fcntl(S.chan_in, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    open_listener(&S) < 0 ||
	    setenv("AWS_LAMBDA_RUNTIME_API", S.api, 1) < 0) {
		reply_error(&S, LB_FRAME_INIT_ERROR, 0, p->started_us,
		    "Runtime.Unknown", "cannot open the Runtime API socket");
		return 1;
	}
	if (lb_bootstrap_start(
	        &S.boot, p->code_dir, p->argv, &etype, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		reply_error(
		    &S, LB_FRAME_INIT_ERROR, 0, p->started_us, etype, err);
		return 1;
	}
	loop(&S);
	for (int i = 0; i < CONN_MAX; i++)
		if (S.conns[i] != NULL)
			conn_close(&S, i);
	lb_frame_reader_reset(&S.rd);
	free(S.payload);
	lb_bootstrap_free(&S.boot);
	fflush(stdout);
	fflush(stderr);
	return S.rc;
}
