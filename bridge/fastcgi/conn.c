/*
 * conn.c - the FastCGI connections (see fcgi.h), on the event loop: each is
 * armed one-shot, so one loop thread at a time handles it.
 *
 * Records are parsed (fcgi_proto.h) as they are read, one parse_* function
 * per type: BEGIN_REQUEST (role responder, keep_conn), PARAMS (every pair,
 * in arrival order: nginx repeats HTTP_* params for repeated headers),
 * STDIN to its empty record whatever CONTENT_LENGTH says (a body over the
 * cap is read and dropped), ABORT_REQUEST; management records get
 * GET_VALUES_RESULT or UNKNOWN_TYPE, a second request on a connection
 * CANT_MPX_CONN, another role UNKNOWN_ROLE.
 *
 * A complete request goes to the handler, which owns the connection from
 * then on: the connection is not armed again until lb_fcgi_respond (any
 * thread, exactly once) has written the response.  The response is sent as
 * STDOUT records and END_REQUEST; a slow reader gets the rest when the
 * socket is writable.  Then the connection reads its next request, or is
 * closed when the web server did not ask to keep it.  A connection over
 * the memory cap waits, unarmed, on the server's paused list (server.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fastcgi/fcgi_int.h"
#include "fastcgi/fcgi_proto.h"
#include "base/ids.h"
#include "base/log.h"

#define PARAMS_MAX (1024 * 1024) /* a request's PARAMS stream */
#define READ_CHUNK (16 * 1024)
#define READ_BURST (1024 * 1024) /* per wake-up, then others get a turn */
#define SLICE_MIN  (8 * 1024)    /* a response body from here is not copied */

static const char busy_response[] = "Status: 503 Service Unavailable\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 33\r\n\r\n"
                                    "{\"message\":\"Service Unavailable\"}";

/* Appends one record with `len` (<= LB_FCGI_MAX_CONTENT) bytes of data. */
static int
out_record(
    struct lb_fcgi_req *c, int type, unsigned rid, const void *data, size_t len)
{
	if (fcgii_reserve(c, &c->out, &c->out_cap,
	        c->out_len + LB_FCGI_HEADER_LEN + len) < 0)
		return -1;
	lb_fcgi_header_put(
	    (unsigned char *)c->out + c->out_len, type, rid, len);
	if (len > 0)
		memcpy(c->out + c->out_len + LB_FCGI_HEADER_LEN, data, len);
	c->out_len += LB_FCGI_HEADER_LEN + len;
	return 0;
}

static int
out_end(struct lb_fcgi_req *c, unsigned rid, int protocol_status)
{
	unsigned char body[8];

	lb_fcgi_end_put(body, protocol_status);
	return out_record(c, LB_FCGI_END_REQUEST, rid, body, sizeof(body));
}

/* Makes room for n more entries in c->iov.  0, or -1 out of memory. */
static int
iov_reserve(struct lb_fcgi_req *c, size_t n)
{
	size_t cap = c->iov_cap ? c->iov_cap : 8;
	struct iovec *v;

	if (c->niov + n <= c->iov_cap)
		return 0;
	while (cap < c->niov + n)
		cap *= 2;
	v = realloc(c->iov, cap * sizeof(*v));
	if (v == NULL)
		return -1;
	fcgii_held(c, c->iov_cap * sizeof(*v), cap * sizeof(*v));
	c->iov = v;
	c->iov_cap = cap;
	return 0;
}

static void
iov_push(struct lb_fcgi_req *c, const char *p, size_t len)
{
	if (len == 0)
		return;
	c->iov[c->niov].iov_base = (void *)p;
	c->iov[c->niov].iov_len = len;
	c->niov++;
}

/* Forgets the output not written yet, and frees a body written in place. */
static void
out_clear(struct lb_fcgi_req *c)
{
	c->out_len = c->out_off = 0;
	c->niov = c->iov_i = 0;
	if (c->out_body != NULL) {
		fcgii_held(c, c->out_body_len, 0);
		free(c->out_body);
		c->out_body = NULL;
		c->out_body_len = 0;
	}
}

/*
 * Appends the STDOUT stream of a response, `a` then `b`, in records of at
 * most LB_FCGI_MAX_CONTENT bytes, its empty closing record and END_REQUEST.
 * With `slice`, b is not copied: c->iov then lists the output from
 * c->out_off on, c->out's pieces (record headers, `a`) around b's, and b
 * must stay where it is until the output is written.
 */
static int
out_response(struct lb_fcgi_req *c, const char *a, size_t alen, const char *b,
    size_t blen, int slice)
{
	size_t total = alen + blen;
	size_t nrec = (total + LB_FCGI_MAX_CONTENT - 1) / LB_FCGI_MAX_CONTENT;
	size_t need = c->out_len + (slice ? alen : total) +
	    (nrec + 2) * LB_FCGI_HEADER_LEN + 8;
	char *o, *from;

	/* all the room first: the iovecs point into c->out */
	if (fcgii_reserve(c, &c->out, &c->out_cap, need) < 0)
		return -1;
	c->niov = c->iov_i = 0;
	if (slice && iov_reserve(c, 2 * nrec + 1) < 0)
		return -1;
	o = c->out + c->out_len;
	from = c->out + c->out_off;
	while (alen + blen > 0) {
		size_t n = alen + blen, fa;

		if (n > LB_FCGI_MAX_CONTENT)
			n = LB_FCGI_MAX_CONTENT;
		lb_fcgi_header_put(
		    (unsigned char *)o, LB_FCGI_STDOUT, c->rid, n);
		o += LB_FCGI_HEADER_LEN;
		fa = n < alen ? n : alen;
		memcpy(o, a, fa);
		a += fa;
		alen -= fa;
		o += fa;
		if (n > fa && slice) {
			iov_push(c, from, (size_t)(o - from));
			iov_push(c, b, n - fa);
			from = o;
		} else if (n > fa) {
			memcpy(o, b, n - fa);
			o += n - fa;
		}
		b += n - fa;
		blen -= n - fa;
	}
	lb_fcgi_header_put((unsigned char *)o, LB_FCGI_STDOUT, c->rid, 0);
	o += LB_FCGI_HEADER_LEN;
	lb_fcgi_header_put((unsigned char *)o, LB_FCGI_END_REQUEST, c->rid, 8);
	lb_fcgi_end_put(
	    (unsigned char *)o + LB_FCGI_HEADER_LEN, LB_FCGI_REQUEST_COMPLETE);
	o += LB_FCGI_HEADER_LEN + 8;
	c->out_len = (size_t)(o - c->out);
	if (slice)
		iov_push(c, from, (size_t)(o - from));
	return 0;
}

void
fcgii_cleanup_conn(struct lb_fcgi_req *c)
{
	struct fcgii_state *st = c->st;

	pthread_mutex_lock(&st->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		st->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (st->pass == c)
		st->pass = NULL;
	st->nconns--;
	pthread_mutex_unlock(&st->mu);
	fcgii_held(c, c->held, 0);
	/* No EPOLL_CTL_DEL: whoever cleans up owns c, so its one-shot event
	 * has fired and it is not armed (server.c's sweep only shuts
	 * sockets down), and close() takes the fd out of the set (a worker
	 * being spawned holds a copy only until its exec closes it, and a
	 * disarmed entry reports nothing meanwhile).  One system call fewer
	 * per connection when the web server opens one per request. */
	close(c->fd);
	free(c->out_body);
	free(c->iov);
	free(c->in);
	free(c->params_raw);
	free(c->params);
	free(c->body);
	free(c->out);
	free(c->head);
	free(c->after_log);
	free(c);
}

/* Whether c->in holds a whole record (or a bad header) to act on now. */
static int
record_in_hand(const struct lb_fcgi_req *c)
{
	struct lb_fcgi_record r;

	return lb_fcgi_record_parse((const unsigned char *)c->in + c->in_off,
	           c->in_len - c->in_off, &r) != 0;
}

/*
 * Arms c for `ev` with a deadline: the timeout, or twice it for a kept
 * connection between requests (above the web servers' own 60 s keep-alive
 * of idle upstream connections, so that they close theirs first).
 */
static int
arm(struct lb_fcgi_req *c, uint32_t ev)
{
	int64_t t = __atomic_load_n(&c->st->srv->timeout_ms, __ATOMIC_RELAXED);
	int idle = c->state == FCGII_IDLE && c->in_len == 0 &&
	    c->out_off == c->out_len;

	if (t > 0 && idle)
		t *= 2;
	__atomic_store_n(&c->idle_wait, idle, __ATOMIC_RELAXED);
	__atomic_store_n(
	    &c->expires, t > 0 ? lb_mono_ms() + t : 0, __ATOMIC_RELEASE);
	return lb_loop_arm(c->st->srv->loop, c->fd, &c->watch, ev);
}

/*
 * Waits for the connection's next bytes.  Output to write, or a whole
 * record left by the last request, also asks for write-readiness, which
 * comes at once.  A partial record must not: a unix socket is always
 * writable, and the one-shot event would fire again and again.
 */
void
fcgii_conn_arm(struct lb_fcgi_req *c)
{
	uint32_t ev = EPOLLIN;

	if (c->out_off < c->out_len || record_in_hand(c))
		ev |= EPOLLOUT;
	if (arm(c, ev) < 0) {
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
		fcgii_cleanup_conn(c);
	}
}

/* The response is written: the connection is ready for the next request. */
static void
request_done(struct lb_fcgi_req *c)
{
	struct fcgii_state *st = c->st;
	int counted = c->counted;

	/* the access line and END/REPORT: off the response's path */
	if (c->after_log != NULL) {
		lb_log_raw(c->after_log);
		free(c->after_log);
		c->after_log = NULL;
	}
	c->state = FCGII_IDLE;
	c->counted = 0;
	c->params_len = c->nparams = c->body_len = 0;
	c->too_large = 0;
	fcgii_shrink(c, &c->params_raw, &c->params_cap);
	fcgii_shrink(c, &c->body, &c->body_cap);
	fcgii_shrink(c, &c->out, &c->out_cap);
	fcgii_shrink(c, &c->head, &c->head_cap);
	if (c->keep)
		fcgii_conn_arm(c);
	else
		fcgii_cleanup_conn(c);
	/* c may be gone or another thread's now */
	if (counted) {
		pthread_mutex_lock(&st->mu);
		if (--st->busy == 0)
			pthread_cond_broadcast(&st->idle);
		pthread_mutex_unlock(&st->mu);
	}
}

/* Writes what c->iov lists (flush_out). */
static int
flush_iov(struct lb_fcgi_req *c)
{
	while (c->iov_i < c->niov) {
		struct msghdr m = { 0 };
		size_t n = c->niov - c->iov_i;
		ssize_t w;

		m.msg_iov = c->iov + c->iov_i;
		m.msg_iovlen = n < IOV_MAX ? n : IOV_MAX;
		w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		while (w > 0) {
			struct iovec *v = &c->iov[c->iov_i];

			if ((size_t)w < v->iov_len) {
				v->iov_base = (char *)v->iov_base + w;
				v->iov_len -= (size_t)w;
				break;
			}
			w -= (ssize_t)v->iov_len;
			c->iov_i++;
		}
	}
	out_clear(c);
	return 1;
}

/* Writes what c->out holds (or c->iov lists): 1 when all of it is
 * written, 0 when the socket is full, -1 on an error. */
static int
flush_out(struct lb_fcgi_req *c)
{
	if (c->niov > 0)
		return flush_iov(c);
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off,
		    c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->out_off += (size_t)w;
	}
	c->out_len = c->out_off = 0;
	return 1;
}

/* Writes the response; the rest follows when the socket is writable. */
static void
send_response(struct lb_fcgi_req *c)
{
	int rc = flush_out(c);

	if (rc == 0) {
		if (arm(c, EPOLLOUT) == 0)
			return;
		rc = -1;
	}
	if (rc < 0) {
		lb_log(LB_LOG_DEBUG,
		    "client went away before the response was written: %s",
		    strerror(errno));
		out_clear(c);
		c->keep = 0;
	}
	request_done(c);
}

void
lb_fcgi_respond(struct lb_fcgi_req *c, struct lb_http_response *resp)
{
	long head = fcgii_format_head(c, resp);
	int slice = resp->body_len >= SLICE_MIN;

	c->after_log = resp->log;
	resp->log = NULL;
	if (c->cgi) {
		c->head_len = head;
		c->cgi_body = resp->body;
		c->cgi_body_len = resp->body_len;
		resp->body = NULL;
		resp->body_len = 0;
		lb_http_response_clear(resp);
		return;
	}
	if (head < 0 ||
	    out_response(c, c->head, (size_t)head,
	        resp->body != NULL ? resp->body : "", resp->body_len,
	        slice) < 0) {
		/* out of memory: the shortest answer that keeps the
		 * connection in step */
		out_clear(c);
		c->keep = 0;
		(void)out_response(
		    c, busy_response, sizeof(busy_response) - 1, "", 0, 0);
	} else if (slice) {
		/* written where it lies: c's until then */
		c->out_body = resp->body;
		c->out_body_len = resp->body_len;
		fcgii_held(c, 0, c->out_body_len);
		resp->body = NULL;
		resp->body_len = 0;
	}
	lb_http_response_clear(resp);
	c->state = FCGII_WRITING;
	send_response(c);
}

struct lb_loop *
lb_fcgi_loop(const struct lb_fcgi_req *c)
{
	return c->cgi ? NULL : c->st->srv->loop;
}

/* A whole request is in: hands it to the handler (or answers 503 after
 * lb_fcgi_stop).  c is the handler's from here on. */
static void
dispatch(struct lb_fcgi_req *c)
{
	struct fcgii_state *st = c->st;
	struct lb_fcgi_server *srv = st->srv;
	int closed;

	pthread_mutex_lock(&st->mu);
	closed = st->closed;
	if (!closed)
		st->busy++;
	if (st->pass == c)
		st->pass = NULL;
	pthread_mutex_unlock(&st->mu);
	c->state = FCGII_HANDLER;
	if (closed) {
		if (out_response(c, busy_response, sizeof(busy_response) - 1,
		        "", 0, 0) < 0)
			c->keep = 0;
		c->state = FCGII_WRITING;
		send_response(c);
		return;
	}
	c->counted = 1;
	fcgii_request_fill(c);
	srv->handler(srv->arg, c, &c->req, c->too_large);
}

/* Splits the PARAMS stream into NUL-terminated names and values in place
 * (each pair loses at least the two bytes its terminators take). */
static int
decode_params(struct lb_fcgi_req *c)
{
	const unsigned char *r = (const unsigned char *)c->params_raw;
	const unsigned char *end = r + c->params_len;
	char *w = c->params_raw;
	struct lb_fcgi_pair p;
	int rc;

	c->nparams = 0;
	while ((rc = lb_fcgi_pair_next(&r, end, &p)) == 1) {
		memmove(w, p.name, p.name_len);
		w[p.name_len] = '\0';
		memmove(w + p.name_len + 1, p.value, p.value_len);
		w[p.name_len + 1 + p.value_len] = '\0';
		if (fcgii_add_param(c, w, w + p.name_len + 1) < 0)
			return -1;
		w += p.name_len + p.value_len + 2;
	}
	return rc;
}

/*
 * The parse_* functions handle one record each: 1 when the request is
 * complete, 0 to go on, -1 to close the connection.  Records of another
 * request id, or out of turn, are ignored.
 */

/* BEGIN_REQUEST: a responder's request starts, one at a time. */
static int
parse_begin_request(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	unsigned role, flags;

	if (lb_fcgi_begin_parse(r->content, r->clen, &role, &flags) < 0)
		return -1;
	if (c->state != FCGII_IDLE)
		return out_end(c, r->rid, LB_FCGI_CANT_MPX_CONN);
	if (role != LB_FCGI_RESPONDER)
		return out_end(c, r->rid, LB_FCGI_UNKNOWN_ROLE);
	c->rid = r->rid;
	c->keep = (flags & LB_FCGI_KEEP_CONN) != 0;
	c->state = FCGII_PARAMS;
	c->params_len = c->nparams = c->body_len = 0;
	c->too_large = 0;
	c->max_body = __atomic_load_n(&c->st->srv->max_body, __ATOMIC_RELAXED);
	return 0;
}

/* ABORT_REQUEST: a request still being read ends here. */
static int
parse_abort_request(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	if (r->rid != c->rid ||
	    (c->state != FCGII_PARAMS && c->state != FCGII_STDIN))
		return 0;
	c->state = FCGII_IDLE;
	return out_end(c, r->rid, LB_FCGI_REQUEST_COMPLETE);
}

/* PARAMS: the stream is kept whole, and decoded at its empty record. */
static int
parse_params(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	size_t len = r->clen;

	if (c->state != FCGII_PARAMS || r->rid != c->rid)
		return 0;
	if (len == 0) {
		if (decode_params(c) < 0) {
			lb_log(LB_LOG_WARN,
			    "malformed FastCGI params: connection closed");
			return -1;
		}
		c->state = FCGII_STDIN;
		fcgii_check_length(c);
		return 0;
	}
	if (c->params_len + len > PARAMS_MAX) {
		lb_log(LB_LOG_WARN,
		    "FastCGI params over %d bytes: connection closed",
		    PARAMS_MAX);
		return -1;
	}
	if (fcgii_reserve(
	        c, &c->params_raw, &c->params_cap, c->params_len + len) < 0)
		return -1;
	memcpy(c->params_raw + c->params_len, r->content, len);
	c->params_len += len;
	return 0;
}

/* Whether r is STDIN content of the request being read. */
static int
stdin_content(const struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	return r->type == LB_FCGI_STDIN && c->state == FCGII_STDIN &&
	    r->rid == c->rid && r->clen > 0;
}

/* Makes room in the body for a STDIN record of len bytes, or drops the
 * body when it goes over the cap.  0, or -1 out of memory. */
static int
stdin_room(struct lb_fcgi_req *c, size_t len)
{
	if (c->too_large)
		return 0;
	if (c->body_len + len > c->max_body) {
		c->too_large = 1;
		c->body_len = 0;
		return 0;
	}
	return fcgii_reserve(c, &c->body, &c->body_cap, c->body_len + len + 1);
}

/* Appends STDIN content that stdin_room made room for. */
static void
stdin_bytes(struct lb_fcgi_req *c, const char *p, size_t len)
{
	if (c->too_large)
		return;
	memcpy(c->body + c->body_len, p, len);
	c->body_len += len;
}

/* STDIN: the body, to its empty record; over the cap it is dropped. */
static int
parse_stdin(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	if (c->state != FCGII_STDIN || r->rid != c->rid)
		return 0;
	if (r->clen == 0)
		return 1;
	if (stdin_room(c, r->clen) < 0)
		return -1;
	stdin_bytes(c, (const char *)r->content, r->clen);
	return 0;
}

/*
 * A STDIN record of the request that is not all in yet: its content goes
 * to the body as it comes, so that the input buffer is not kept (and
 * moved) for it.  Returns the header's length when it starts one, 0 when
 * p[0..len) is something else, -1 out of memory.
 */
static long
stdin_start(struct lb_fcgi_req *c, const unsigned char *p, size_t len)
{
	struct lb_fcgi_record r;
	size_t pad;

	if (lb_fcgi_record_head(p, len, &r, &pad) != 1 || !stdin_content(c, &r))
		return 0;
	if (stdin_room(c, r.clen) < 0)
		return -1;
	c->stdin_left = r.clen;
	c->stdin_pad = pad;
	return LB_FCGI_HEADER_LEN;
}

/* The next part of a STDIN record that stdin_start began: the bytes of
 * p[0..len) it takes. */
static size_t
stdin_more(struct lb_fcgi_req *c, const char *p, size_t len)
{
	size_t n = len < c->stdin_left ? len : c->stdin_left, k;

	stdin_bytes(c, p, n);
	c->stdin_left -= n;
	k = len - n < c->stdin_pad ? len - n : c->stdin_pad;
	c->stdin_pad -= k;
	return n + k;
}

/* GET_VALUES (a management record, request id 0): what is supported. */
static int
parse_get_values(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	static const struct {
		const char *name, *value;
	} known[] = {
		{ "FCGI_MAX_CONNS", "1024" },
		{ "FCGI_MAX_REQS", "1024" },
		{ "FCGI_MPXS_CONNS", "0" },
	};
	const unsigned char *p = r->content, *end = p + r->clen;
	unsigned char out[256];
	struct lb_fcgi_pair q;
	size_t o = 0;

	if (r->rid != 0)
		return 0;
	/* what is asked for ends where the pairs stop making sense */
	while (lb_fcgi_pair_next(&p, end, &q) == 1)
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (q.name_len == strlen(known[i].name) &&
			    memcmp(q.name, known[i].name, q.name_len) == 0)
				o += lb_fcgi_pair_put(out + o, sizeof(out) - o,
				    known[i].name, q.name_len, known[i].value,
				    strlen(known[i].value));
	return out_record(c, LB_FCGI_GET_VALUES_RESULT, 0, out, o);
}

/*
 * Any other type: a management record (request id 0) gets UNKNOWN_TYPE;
 * FCGI_DATA and the like, not for a responder, are ignored.
 */
static int
parse_unknown(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	unsigned char body[8];

	if (r->rid != 0)
		return 0;
	lb_fcgi_unknown_type_put(body, r->type);
	return out_record(c, LB_FCGI_UNKNOWN_TYPE, 0, body, sizeof(body));
}

/* Handles one record by its type (the parse_* functions' returns). */
static int
record(struct lb_fcgi_req *c, const struct lb_fcgi_record *r)
{
	switch (r->type) {
	case LB_FCGI_BEGIN_REQUEST: return parse_begin_request(c, r);
	case LB_FCGI_ABORT_REQUEST: return parse_abort_request(c, r);
	case LB_FCGI_PARAMS: return parse_params(c, r);
	case LB_FCGI_STDIN: return parse_stdin(c, r);
	case LB_FCGI_GET_VALUES: return parse_get_values(c, r);
	default: return parse_unknown(c, r);
	}
}

/*
 * Handles the whole records in c->in from c->in_off on, and leaves a
 * partial one where it is (recv_more moves it when room runs out).  1
 * when a request went to the handler (c is not ours any more), 0 to wait
 * for more, -1 to close.
 */
static int
parse(struct lb_fcgi_req *c)
{
	size_t off = c->in_off;
	int rc = 0;

	for (;;) {
		struct lb_fcgi_record r;
		long n;

		if (c->stdin_left + c->stdin_pad > 0) {
			off += stdin_more(c, c->in + off, c->in_len - off);
			if (c->stdin_left + c->stdin_pad > 0)
				break;
			continue;
		}
		n = lb_fcgi_record_parse(
		    (const unsigned char *)c->in + off, c->in_len - off, &r);
		if (n == 0) {
			n = stdin_start(c, (const unsigned char *)c->in + off,
			    c->in_len - off);
			if (n < 0) {
				rc = -1;
				break;
			}
			if (n == 0)
				break;
			off += (size_t)n;
			continue;
		}
		if (n < 0) {
			lb_log(LB_LOG_WARN,
			    "FastCGI record of version %d: connection closed",
			    (unsigned char)c->in[off]);
			rc = -1;
			break;
		}
		rc = record(c, &r);
		off += (size_t)n;
		if (rc != 0)
			break;
	}
	c->in_off = off;
	if (c->in_off == c->in_len) {
		c->in_off = c->in_len = 0;
		/* an idle or half-open connection keeps no read buffer;
		 * one in the middle of a body keeps it for the next read */
		if (c->stdin_left == 0)
			fcgii_drop(c, &c->in, &c->in_cap);
	}
	if (rc == 1) {
		/* the sweep shut it down: not worth a handler's time */
		if (__atomic_exchange_n(&c->expires, 0, __ATOMIC_ACQ_REL) ==
		    FCGII_CUT)
			return -1;
		dispatch(c);
	}
	return rc;
}

/*
 * Whether c must wait for memory: the others' buffers are over the cap
 * (so the one large request goes on), and c does not hold the pass the
 * sweep gives to one waiting connection at a time.
 */
static int
over_cap(struct lb_fcgi_req *c)
{
	struct fcgii_state *st = c->st;
	size_t max = __atomic_load_n(&st->srv->max_buffered, __ATOMIC_RELAXED);
	int pass;

	if (max == 0 ||
	    __atomic_load_n(&st->buffered, __ATOMIC_RELAXED) - c->held <= max)
		return 0;
	pthread_mutex_lock(&st->mu);
	pass = st->pass == c;
	pthread_mutex_unlock(&st->mu);
	return !pass;
}

/* Leaves c unarmed on the paused list, for the sweep to arm again or
 * close. */
static void
pause_reading(struct lb_fcgi_req *c)
{
	struct fcgii_state *st = c->st;

	pthread_mutex_lock(&st->mu);
	c->pnext = st->paused;
	st->paused = c;
	pthread_mutex_unlock(&st->mu);
	__atomic_add_fetch(&st->reads_paused, 1, __ATOMIC_RELAXED);
}

void
fcgii_conn_ready(struct lb_watch *w, uint32_t events)
{
	struct lb_fcgi_req *c = (struct lb_fcgi_req *)w;
	size_t got = 0;
	int eof = 0, rc;

	(void)events;
	if (c->state == FCGII_WRITING) {
		/* the rest of a response */
		send_response(c);
		return;
	}
	if (c->out_off < c->out_len) {
		/* answers to management records */
		rc = flush_out(c);
		if (rc == 0 && arm(c, EPOLLOUT) == 0)
			return;
		if (rc != 1) {
			fcgii_cleanup_conn(c);
			return;
		}
	}
	if (over_cap(c)) {
		pause_reading(c);
		return;
	}
	/* records are parsed as they come, so that the input buffer holds
	 * at most a record and a read: an idle connection keeps none */
	rc = 0;
	while (got < READ_BURST) {
		size_t room;
		ssize_t r;

		if (c->stdin_left > 0 && !c->too_large &&
		    c->in_off == c->in_len) {
			/* the rest of a STDIN record, straight into the body
			 * (stdin_start made room for all of it) */
			r = recv(
			    c->fd, c->body + c->body_len, c->stdin_left, 0);
			if (r > 0) {
				room = c->stdin_left;
				c->body_len += (size_t)r;
				c->stdin_left -= (size_t)r;
				got += (size_t)r;
				if ((size_t)r < room)
					break; /* drained */
				continue;
			}
			goto recv_failed;
		}
		if (c->in_off > 0 && c->in_cap - c->in_len < READ_CHUNK) {
			/* the partial record to the front, once per
			 * buffer's worth rather than once per read */
			memmove(
			    c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (fcgii_reserve(
		        c, &c->in, &c->in_cap, c->in_len + READ_CHUNK) < 0) {
			eof = 1;
			break;
		}
		room = c->in_cap - c->in_len;
		r = recv(c->fd, c->in + c->in_len, room, 0);
		if (r > 0) {
			c->in_len += (size_t)r;
			got += (size_t)r;
			rc = parse(c);
			if (rc == 1)
				return; /* the handler's now */
			if (rc < 0 || (size_t)r < room)
				break; /* an error, or drained */
			continue;
		}
	recv_failed:
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		eof = 1; /* closed, or an error */
		break;
	}
	/* input read before (pipelined, or left by the last request) */
	if (got == 0 && rc == 0 && c->in_len > 0 && (rc = parse(c)) == 1)
		return;
	if (rc < 0 || eof) {
		fcgii_cleanup_conn(c);
		return;
	}
	if (c->out_off < c->out_len && flush_out(c) < 0) {
		fcgii_cleanup_conn(c);
		return;
	}
	fcgii_conn_arm(c);
}
