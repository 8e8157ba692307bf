/*
 * fcgi.c - the FastCGI side of the gateway.
 *
 * FastCGI is spoken here, on the event loop (loop.h): the listening socket
 * and every connection are armed one-shot, so a connection is handled by one
 * loop thread at a time.  Records are parsed (fcgi_proto.h) from what a
 * connection has read: BEGIN_REQUEST (role responder, keep_conn),
 * PARAMS (every pair, in arrival order: nginx repeats HTTP_* params for
 * repeated headers), STDIN to its empty record whatever CONTENT_LENGTH says
 * (a body over the cap is read and dropped), ABORT_REQUEST; management
 * records get GET_VALUES_RESULT or UNKNOWN_TYPE, a second request on a
 * connection CANT_MPX_CONN, another role UNKNOWN_ROLE.
 *
 * A complete request goes to the handler, which owns the connection from
 * then on: the connection is not armed again until lb_fcgi_respond (any
 * thread, exactly once) has written the response.  The response is sent as
 * STDOUT records and END_REQUEST; a slow reader gets the rest when the
 * socket is writable.  Then the connection reads its next request, or is
 * closed when the web server did not ask to keep it.
 *
 * Limits (docs/configuration.md, gateway.connection_timeout and
 * max_buffered): every armed connection has a deadline, renewed whenever it
 * is armed again; a timer sweeps the connections every SWEEP_MS and shuts
 * down those past it, so that their owner's next event closes them.  Every
 * buffer is counted against its connection and the server: over the cap,
 * connections are not read (they wait on a paused list, which the sweep
 * re-arms or closes) and the listener is not armed.  Out of descriptors,
 * the listener waits for the next sweep too: a loop thread never sleeps.
 *
 * Shutdown: lb_fcgi_stop() stops accepting and waits for the requests in
 * progress; a request arriving after that on a kept connection is answered
 * 503 without touching the handler.  lb_fcgi_release() closes the
 * connections once the loop has stopped.
 *
 * Plain CGI (lb_fcgi_serve_cgi) reads the environment and stdin and is the
 * only user of libfcgi left: FCGX_IsCGI tells the two apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fastcgi/fcgi.h"
#include "fastcgi/fcgi_proto.h"
#include "base/fmt.h"
#include "base/ids.h"
#include "base/log.h"

extern char **environ;

#define PARAMS_MAX   (1024 * 1024) /* a request's PARAMS stream */
#define READ_CHUNK   (16 * 1024)
#define READ_BURST   (1024 * 1024) /* per wake-up, then others get a turn */
#define KEEP_BUFFER  (32 * 1024)   /* larger buffers are freed after use */
#define ACCEPT_BURST 64
#define SWEEP_MS     250  /* deadlines and paused reads are looked at */
#define CUT          (-1) /* c->expires: the sweep shut the socket down */

enum conn_state {
	CONN_IDLE,    /* between requests */
	CONN_PARAMS,  /* BEGIN_REQUEST seen, reading PARAMS */
	CONN_STDIN,   /* reading STDIN */
	CONN_HANDLER, /* the handler has the request */
	CONN_WRITING, /* the response is being written */
};

struct lb_fcgi_state {
	struct lb_watch listen_watch;
	struct lb_fcgi_server *srv;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int stopping; /* lb_fcgi_stop called: no more accepting */
	int busy;     /* requests being handled */
	int closed;   /* no request may enter the handler any more */
	struct lb_fcgi_req *conns;  /* every open connection */
	struct lb_fcgi_req *paused; /* not read while over the memory cap */
	struct lb_fcgi_req *pass;   /* read anyway, until its request is in */
	size_t nconns;
	int listen_paused;    /* not armed: the sweep arms it again */
	int64_t accept_after; /* mono ms: out of descriptors until then */
	struct lb_timer sweep;
	/* atomic */
	size_t buffered; /* bytes the connections' buffers hold */
	uint64_t timed_out, idle_closed, reads_paused, accept_paused;
};

/* A connection, and the request it carries (one at a time). */
struct lb_fcgi_req {
	struct lb_watch watch; /* first */
	struct lb_fcgi_state *st;
	struct lb_fcgi_req *prev, *next; /* st->conns */
	int fd;
	int cgi; /* lb_fcgi_serve_cgi's: responds on stdout */
	enum conn_state state;
	int64_t expires; /* atomic: mono ms; 0 none, CUT when shut down */
	int idle_wait;   /* atomic: expires is the idle timeout's */
	size_t held;     /* bytes its buffers hold */
	struct lb_fcgi_req *pnext; /* st->paused */
	/* input not yet parsed */
	char *in;
	size_t in_len, in_cap;
	/* the current request */
	unsigned rid;
	int keep;
	int counted; /* holds one of st->busy */
	int too_large;
	size_t max_body;
	char *params_raw; /* the PARAMS stream, decoded in place at its end */
	size_t params_len, params_cap;
	struct lb_param *params;
	size_t nparams, cap_params;
	char *body;
	size_t body_len, body_cap;
	struct lb_http_request req;
	/* output not yet written */
	char *out;
	size_t out_len, out_off, out_cap;
	char *head; /* the response head, formatted */
	size_t head_cap;
	char *after_log; /* the response's log lines, written after it */
	/* lb_fcgi_serve_cgi's response, written by it */
	long head_len;
	char *cgi_body;
	size_t cgi_body_len;
};

int
lb_fcgi_is_cgi(void)
{
	return FCGX_IsCGI();
}

static const char busy_response[] = "Status: 503 Service Unavailable\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 33\r\n\r\n"
                                    "{\"message\":\"Service Unavailable\"}";

/* ---- buffers ---- */

/* Counts a buffer going from `from` to `to` bytes against c and its
 * server (lb_fcgi_serve_cgi's connection has none). */
static void
held(struct lb_fcgi_req *c, size_t from, size_t to)
{
	c->held += to - from;
	if (c->st != NULL)
		__atomic_add_fetch(
		    &c->st->buffered, to - from, __ATOMIC_RELAXED);
}

/* Makes *buf hold at least `need` bytes.  Returns 0 or -1. */
static int
reserve(struct lb_fcgi_req *c, char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *b;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	b = realloc(*buf, n);
	if (b == NULL)
		return -1;
	held(c, *cap, n);
	*buf = b;
	*cap = n;
	return 0;
}

static void
drop(struct lb_fcgi_req *c, char **buf, size_t *cap)
{
	free(*buf);
	held(c, *cap, 0);
	*buf = NULL;
	*cap = 0;
}

/* Frees an empty buffer that a large request grew. */
static void
shrink(struct lb_fcgi_req *c, char **buf, size_t *cap)
{
	if (*cap > KEEP_BUFFER)
		drop(c, buf, cap);
}

static const char *
find_param(const struct lb_param *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

static int
add_param(struct lb_fcgi_req *c, const char *name, const char *value)
{
	if (c->nparams == c->cap_params) {
		size_t n = c->cap_params ? c->cap_params * 2 : 64;
		struct lb_param *p = realloc(c->params, n * sizeof(*p));

		if (p == NULL)
			return -1;
		held(c, c->cap_params * sizeof(*p), n * sizeof(*p));
		c->params = p;
		c->cap_params = n;
	}
	c->params[c->nparams].name = name;
	c->params[c->nparams].value = value;
	c->nparams++;
	return 0;
}

/* Fills c->req from c->params and c->body. */
static void
request_fill(struct lb_fcgi_req *c)
{
	struct lb_http_request *r = &c->req;

	memset(r, 0, sizeof(*r));
	r->params = c->params;
	r->nparams = c->nparams;
	r->method = find_param(c->params, c->nparams, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "";
	r->uri = find_param(c->params, c->nparams, "REQUEST_URI");
	if (r->uri == NULL)
		r->uri = "";
	if (c->too_large)
		c->body_len = 0;
	if (c->body != NULL)
		c->body[c->body_len] = '\0';
	r->body = c->body_len > 0 ? c->body : "";
	r->body_len = c->body_len;
}

/* A body announced over the cap is dropped as it arrives; one within it
 * gets its buffer at once. */
static void
check_length(struct lb_fcgi_req *c)
{
	const char *clen = find_param(c->params, c->nparams, "CONTENT_LENGTH");
	unsigned long long n;

	if (clen == NULL || *clen == '\0')
		return;
	n = strtoull(clen, NULL, 10);
	if (n > c->max_body)
		c->too_large = 1;
	else if (n > 0)
		(void)reserve(c, &c->body, &c->body_cap, (size_t)n + 1);
}

/*
 * Formats the CGI response head ("Status: 200 OK" and the headers) into
 * c->head.  Header values are written verbatim: response.c has already
 * rejected control characters.  A status outside 200..599 (unset, or a 1xx
 * the web server would send as an interim response followed by the body)
 * becomes 500.  Returns its length, or -1.
 */
static long
format_head(struct lb_fcgi_req *c, const struct lb_http_response *resp)
{
	char **buf = &c->head;
	size_t need = 96;
	int status =
	    resp->status >= 200 && resp->status <= 599 ? resp->status : 500;
	struct lb_fmt f;

	for (size_t i = 0; i < resp->nheaders; i++)
		need += strlen(resp->headers[i].name) +
		    strlen(resp->headers[i].value) + 4;
	if (reserve(c, buf, &c->head_cap, need) < 0)
		return -1;
	lb_fmt_init(&f, *buf, c->head_cap);
	lb_fmt_str(&f, "Status: ");
	lb_fmt_i64(&f, status);
	lb_fmt_str(&f, " ");
	lb_fmt_str(&f, lb_http_reason(status));
	lb_fmt_str(&f, "\r\n");
	for (size_t i = 0; i < resp->nheaders; i++) {
		lb_fmt_str(&f, resp->headers[i].name);
		lb_fmt_str(&f, ": ");
		lb_fmt_str(&f, resp->headers[i].value);
		lb_fmt_str(&f, "\r\n");
	}
	/* always say how long the body is, so keep-alive needs no chunking */
	lb_fmt_str(&f, "Content-Length: ");
	lb_fmt_u64(&f, resp->body_len);
	lb_fmt_str(&f, "\r\n\r\n");
	return (long)lb_fmt_done(&f, *buf);
}

/* ---- FastCGI records out ---- */

/* Appends one record with `len` (<= LB_FCGI_MAX_CONTENT) bytes of data. */
static int
out_record(
    struct lb_fcgi_req *c, int type, unsigned rid, const void *data, size_t len)
{
	if (reserve(c, &c->out, &c->out_cap,
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

/*
 * Appends the STDOUT stream of a response, `a` then `b`, in records of at
 * most LB_FCGI_MAX_CONTENT bytes, its empty closing record and END_REQUEST.
 */
static int
out_response(struct lb_fcgi_req *c, const char *a, size_t alen, const char *b,
    size_t blen)
{
	size_t total = alen + blen;
	size_t nrec = (total + LB_FCGI_MAX_CONTENT - 1) / LB_FCGI_MAX_CONTENT;
	size_t need = c->out_len + total + (nrec + 2) * LB_FCGI_HEADER_LEN + 8;
	char *o;

	if (reserve(c, &c->out, &c->out_cap, need) < 0)
		return -1;
	o = c->out + c->out_len;
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
		if (n > fa) {
			memcpy(o, b, n - fa);
			b += n - fa;
			blen -= n - fa;
			o += n - fa;
		}
	}
	lb_fcgi_header_put((unsigned char *)o, LB_FCGI_STDOUT, c->rid, 0);
	c->out_len = (size_t)(o - c->out) + LB_FCGI_HEADER_LEN;
	return out_end(c, c->rid, LB_FCGI_REQUEST_COMPLETE);
}

/* ---- connections ---- */

static void
conn_close(struct lb_fcgi_req *c)
{
	struct lb_fcgi_state *st = c->st;

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
	held(c, c->held, 0);
	lb_loop_forget(st->srv->loop, c->fd, &c->watch);
	close(c->fd);
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

	return lb_fcgi_record_parse(
	           (const unsigned char *)c->in, c->in_len, &r) != 0;
}

/*
 * Waits for the connection's next bytes.  Output to write, or a whole
 * record left by the last request, also asks for write-readiness, which
 * comes at once.  A partial record must not: a unix socket is always
 * writable, and the one-shot event would fire again and again.
 */
/*
 * Arms c for `ev` with a deadline: the timeout, or twice it for a kept
 * connection between requests (above the web servers' own 60 s keep-alive
 * of idle upstream connections, so that they close theirs first).
 */
static int
arm(struct lb_fcgi_req *c, uint32_t ev)
{
	int64_t t = __atomic_load_n(&c->st->srv->timeout_ms, __ATOMIC_RELAXED);
	int idle =
	    c->state == CONN_IDLE && c->in_len == 0 && c->out_off == c->out_len;

	if (t > 0 && idle)
		t *= 2;
	__atomic_store_n(&c->idle_wait, idle, __ATOMIC_RELAXED);
	__atomic_store_n(
	    &c->expires, t > 0 ? lb_mono_ms() + t : 0, __ATOMIC_RELEASE);
	return lb_loop_arm(c->st->srv->loop, c->fd, &c->watch, ev);
}

static void
conn_arm(struct lb_fcgi_req *c)
{
	uint32_t ev = EPOLLIN;

	if (c->out_off < c->out_len || record_in_hand(c))
		ev |= EPOLLOUT;
	if (arm(c, ev) < 0) {
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
		conn_close(c);
	}
}

/* The response is written: the connection is ready for the next request. */
static void
request_done(struct lb_fcgi_req *c)
{
	struct lb_fcgi_state *st = c->st;
	int counted = c->counted;

	/* the access line and END/REPORT: off the response's path */
	if (c->after_log != NULL) {
		lb_log_raw(c->after_log);
		free(c->after_log);
		c->after_log = NULL;
	}
	c->state = CONN_IDLE;
	c->counted = 0;
	c->params_len = c->nparams = c->body_len = 0;
	c->too_large = 0;
	shrink(c, &c->params_raw, &c->params_cap);
	shrink(c, &c->body, &c->body_cap);
	shrink(c, &c->out, &c->out_cap);
	shrink(c, &c->head, &c->head_cap);
	if (c->keep)
		conn_arm(c);
	else
		conn_close(c);
	/* c may be gone or another thread's now */
	if (counted) {
		pthread_mutex_lock(&st->mu);
		if (--st->busy == 0)
			pthread_cond_broadcast(&st->idle);
		pthread_mutex_unlock(&st->mu);
	}
}

/* Writes what c->out holds: 1 when all of it is written, 0 when the socket
 * is full, -1 on an error. */
static int
flush_out(struct lb_fcgi_req *c)
{
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
		c->out_len = c->out_off = 0;
		c->keep = 0;
	}
	request_done(c);
}

void
lb_fcgi_respond(struct lb_fcgi_req *c, struct lb_http_response *resp)
{
	long head = format_head(c, resp);

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
	        resp->body != NULL ? resp->body : "", resp->body_len) < 0) {
		/* out of memory: the shortest answer that keeps the
		 * connection in step */
		c->out_len = c->out_off = 0;
		c->keep = 0;
		(void)out_response(
		    c, busy_response, sizeof(busy_response) - 1, "", 0);
	}
	lb_http_response_clear(resp);
	c->state = CONN_WRITING;
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
	struct lb_fcgi_state *st = c->st;
	struct lb_fcgi_server *srv = st->srv;
	int closed;

	pthread_mutex_lock(&st->mu);
	closed = st->closed;
	if (!closed)
		st->busy++;
	if (st->pass == c)
		st->pass = NULL;
	pthread_mutex_unlock(&st->mu);
	c->state = CONN_HANDLER;
	if (closed) {
		if (out_response(
		        c, busy_response, sizeof(busy_response) - 1, "", 0) < 0)
			c->keep = 0;
		c->state = CONN_WRITING;
		send_response(c);
		return;
	}
	c->counted = 1;
	request_fill(c);
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
		if (add_param(c, w, w + p.name_len + 1) < 0)
			return -1;
		w += p.name_len + p.value_len + 2;
	}
	return rc;
}

/* LB_FCGI_GET_VALUES: what this application supports. */
static int
get_values(struct lb_fcgi_req *c, const unsigned char *p, size_t len)
{
	static const struct {
		const char *name, *value;
	} known[] = {
		{ "FCGI_MAX_CONNS", "1024" },
		{ "FCGI_MAX_REQS", "1024" },
		{ "FCGI_MPXS_CONNS", "0" },
	};
	const unsigned char *end = p + len;
	unsigned char out[256];
	struct lb_fcgi_pair q;
	size_t o = 0;

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

/* Handles one record.  1 when the request is complete, 0 to go on, -1 to
 * close the connection. */
static int
record(
    struct lb_fcgi_req *c, int type, unsigned rid, const char *data, size_t len)
{
	const unsigned char *u = (const unsigned char *)data;
	unsigned role, flags;

	switch (type) {
	case LB_FCGI_BEGIN_REQUEST:
		if (lb_fcgi_begin_parse(u, len, &role, &flags) < 0)
			return -1;
		if (c->state != CONN_IDLE)
			return out_end(c, rid, LB_FCGI_CANT_MPX_CONN);
		if (role != LB_FCGI_RESPONDER)
			return out_end(c, rid, LB_FCGI_UNKNOWN_ROLE);
		c->rid = rid;
		c->keep = (flags & LB_FCGI_KEEP_CONN) != 0;
		c->state = CONN_PARAMS;
		c->params_len = c->nparams = c->body_len = 0;
		c->too_large = 0;
		c->max_body =
		    __atomic_load_n(&c->st->srv->max_body, __ATOMIC_RELAXED);
		return 0;
	case LB_FCGI_ABORT_REQUEST:
		if (rid != c->rid ||
		    (c->state != CONN_PARAMS && c->state != CONN_STDIN))
			return 0;
		c->state = CONN_IDLE;
		return out_end(c, rid, LB_FCGI_REQUEST_COMPLETE);
	case LB_FCGI_PARAMS:
		if (c->state != CONN_PARAMS || rid != c->rid)
			return 0;
		if (len == 0) {
			if (decode_params(c) < 0) {
				lb_log(LB_LOG_WARN,
				    "malformed FastCGI params: connection "
				    "closed");
				return -1;
			}
			c->state = CONN_STDIN;
			check_length(c);
			return 0;
		}
		if (c->params_len + len > PARAMS_MAX) {
			lb_log(LB_LOG_WARN,
			    "FastCGI params over %d bytes: connection closed",
			    PARAMS_MAX);
			return -1;
		}
		if (reserve(c, &c->params_raw, &c->params_cap,
		        c->params_len + len) < 0)
			return -1;
		memcpy(c->params_raw + c->params_len, data, len);
		c->params_len += len;
		return 0;
	case LB_FCGI_STDIN:
		if (c->state != CONN_STDIN || rid != c->rid)
			return 0;
		if (len == 0)
			return 1;
		if (c->too_large)
			return 0;
		if (c->body_len + len > c->max_body) {
			c->too_large = 1;
			c->body_len = 0;
			return 0;
		}
		if (reserve(c, &c->body, &c->body_cap, c->body_len + len + 1) <
		    0)
			return -1;
		memcpy(c->body + c->body_len, data, len);
		c->body_len += len;
		return 0;
	case LB_FCGI_GET_VALUES: return rid == 0 ? get_values(c, u, len) : 0;
	default:
		if (rid == 0) {
			unsigned char body[8] = { (unsigned char)type };

			return out_record(
			    c, LB_FCGI_UNKNOWN_TYPE, 0, body, sizeof(body));
		}
		return 0; /* FCGI_DATA and the like: not for a responder */
	}
}

/* Handles the whole records in c->in.  1 when a request went to the
 * handler (c is not ours any more), 0 to wait for more, -1 to close. */
static int
parse(struct lb_fcgi_req *c)
{
	size_t off = 0;
	int rc = 0;

	for (;;) {
		struct lb_fcgi_record r;
		long n = lb_fcgi_record_parse(
		    (const unsigned char *)c->in + off, c->in_len - off, &r);

		if (n < 0) {
			lb_log(LB_LOG_WARN,
			    "FastCGI record of version %d: connection closed",
			    (unsigned char)c->in[off]);
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		rc = record(c, r.type, r.rid, (const char *)r.content, r.clen);
		off += (size_t)n;
		if (rc != 0)
			break;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	/* an idle or half-open connection keeps no read buffer */
	if (c->in_len == 0)
		drop(c, &c->in, &c->in_cap);
	if (rc == 1) {
		/* the sweep shut it down: not worth a handler's time */
		if (__atomic_exchange_n(&c->expires, 0, __ATOMIC_ACQ_REL) ==
		    CUT)
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
	struct lb_fcgi_state *st = c->st;
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
	struct lb_fcgi_state *st = c->st;

	pthread_mutex_lock(&st->mu);
	c->pnext = st->paused;
	st->paused = c;
	pthread_mutex_unlock(&st->mu);
	__atomic_add_fetch(&st->reads_paused, 1, __ATOMIC_RELAXED);
}

static void
conn_ready(struct lb_watch *w, uint32_t events)
{
	struct lb_fcgi_req *c = (struct lb_fcgi_req *)w;
	size_t got = 0;
	int eof = 0, rc;

	(void)events;
	if (c->state == CONN_WRITING) {
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
			conn_close(c);
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

		if (reserve(c, &c->in, &c->in_cap, c->in_len + READ_CHUNK) <
		    0) {
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
		conn_close(c);
		return;
	}
	if (c->out_off < c->out_len && flush_out(c) < 0) {
		conn_close(c);
		return;
	}
	conn_arm(c);
}

/* ---- the server ---- */

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
accept_failed(struct lb_fcgi_state *st, int err)
{
	static int64_t last_log;

	if (may_warn(&last_log))
		lb_log(LB_LOG_ERROR, "accept: %s: not accepting for %d ms",
		    strerror(err), SWEEP_MS);
	__atomic_add_fetch(&st->accept_paused, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&st->mu);
	st->accept_after = lb_mono_ms() + SWEEP_MS;
	st->listen_paused = 1;
	pthread_mutex_unlock(&st->mu);
}

static int
total_over_cap(struct lb_fcgi_state *st)
{
	size_t max = __atomic_load_n(&st->srv->max_buffered, __ATOMIC_RELAXED);

	return max > 0 &&
	    __atomic_load_n(&st->buffered, __ATOMIC_RELAXED) > max;
}

static void
listen_ready(struct lb_watch *w, uint32_t events)
{
	struct lb_fcgi_state *st = (struct lb_fcgi_state *)w;
	struct lb_fcgi_server *srv = st->srv;
	int stopped, paused = 0;

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
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct lb_fcgi_req *c;
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
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->watch.ready = conn_ready;
		c->st = st;
		c->fd = fd;
		pthread_mutex_lock(&st->mu);
		c->next = st->conns;
		if (st->conns != NULL)
			st->conns->prev = c;
		st->conns = c;
		st->nconns++;
		pthread_mutex_unlock(&st->mu);
		conn_arm(c);
	}
	pthread_mutex_lock(&st->mu);
	stopped = st->stopping;
	pthread_mutex_unlock(&st->mu);
	if (!stopped && !paused &&
	    lb_loop_arm(srv->loop, srv->fd, &st->listen_watch, EPOLLIN) < 0)
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
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
 * Every SWEEP_MS on a loop thread: shuts down the connections past their
 * deadline (their owner's next event closes them; a paused one, which
 * nobody owns, is closed here, as is one whose client has gone), arms the
 * paused ones again once the buffers are under the cap (or, over it, the
 * one holding the most), and the listener once it may accept.
 */
static void
sweep(void *arg)
{
	static int64_t last_log, last_over_log;
	struct lb_fcgi_state *st = arg;
	struct lb_fcgi_req *c, *p, *resume = NULL, *gone = NULL;
	int64_t now = lb_mono_ms();
	int over = total_over_cap(st), listen = 0;
	unsigned cut = 0;

	pthread_mutex_lock(&st->mu);
	for (c = st->conns; c != NULL; c = c->next) {
		int64_t e = __atomic_load_n(&c->expires, __ATOMIC_ACQUIRE);

		if (e <= 0 || e > now ||
		    !__atomic_compare_exchange_n(&c->expires, &e, CUT, 0,
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
		if (__atomic_load_n(&p->expires, __ATOMIC_RELAXED) == CUT ||
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
		conn_close(c);
	}
	while ((c = resume) != NULL) {
		resume = c->pnext;
		conn_arm(c);
	}
	if (listen &&
	    lb_loop_arm(
	        st->srv->loop, st->srv->fd, &st->listen_watch, EPOLLIN) < 0)
		lb_log(LB_LOG_ERROR, "epoll_ctl: %s", strerror(errno));
}

void
lb_fcgi_dump_stats(struct lb_fcgi_server *srv, FILE *out)
{
	struct lb_fcgi_state *st = srv->state;
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

int
lb_fcgi_start(struct lb_fcgi_server *srv)
{
	struct lb_fcgi_state *st;
	int fl;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -1;
	st->listen_watch.ready = listen_ready;
	st->srv = srv;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->idle, NULL);
	srv->state = st;
	fl = fcntl(srv->fd, F_GETFL);
	if (fl < 0 || fcntl(srv->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    lb_loop_arm(srv->loop, srv->fd, &st->listen_watch, EPOLLIN) < 0 ||
	    lb_loop_timer_start(srv->loop, &st->sweep, SWEEP_MS, sweep, st) <
	        0) {
		lb_log(LB_LOG_ERROR, "cannot watch the listening socket: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
lb_fcgi_stop(struct lb_fcgi_server *srv)
{
	struct lb_fcgi_state *st = srv->state;

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
	struct lb_fcgi_state *st = srv->state;

	if (st == NULL)
		return;
	srv->loop = NULL; /* freed: nothing to take the fds out of */
	lb_loop_timer_stop(&st->sweep);
	st->paused = NULL;
	while (st->conns != NULL)
		conn_close(st->conns);
	pthread_cond_destroy(&st->idle);
	pthread_mutex_destroy(&st->mu);
	free(st);
	srv->state = NULL;
}

/* ---- plain CGI ---- */

static int
cgi_write(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDOUT_FILENO, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads stdin to its end into c->body, keeping at most c->max_body. */
static int
cgi_read_body(struct lb_fcgi_req *c)
{
	char trash[16384];

	for (;;) {
		char *dst = trash;
		size_t room = sizeof(trash);
		ssize_t r;

		if (!c->too_large) {
			if (reserve(c, &c->body, &c->body_cap,
			        c->body_len + 16384 + 1) < 0)
				return -1;
			dst = c->body + c->body_len;
			room = c->body_cap - c->body_len - 1;
		}
		r = read(STDIN_FILENO, dst, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c->too_large)
			continue;
		c->body_len += (size_t)r;
		if (c->body_len > c->max_body) {
			c->too_large = 1;
			c->body_len = 0;
		}
	}
	return 0;
}

int
lb_fcgi_serve_cgi(struct lb_fcgi_server *srv)
{
	struct lb_fcgi_req c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.cgi = 1;
	c.head_len = -1;
	c.max_body = srv->max_body;
	/* work on copies: the environment stays as it is */
	for (char **e = environ; *e != NULL; e++) {
		char *eq = strchr(*e, '=');
		char *name;

		if (eq == NULL)
			continue;
		name = strdup(*e);
		if (name == NULL ||
		    add_param(&c, name, name + (eq - *e) + 1) < 0) {
			free(name);
			goto out;
		}
		name[eq - *e] = '\0';
	}
	check_length(&c);
	if (cgi_read_body(&c) < 0)
		goto out;
	request_fill(&c);
	srv->handler(srv->arg, &c, &c.req, c.too_large);
	if (c.head_len >= 0 && cgi_write(c.head, (size_t)c.head_len) == 0 &&
	    cgi_write(c.cgi_body != NULL ? c.cgi_body : "", c.cgi_body_len) ==
	        0)
		rc = 0;
	if (c.after_log != NULL)
		lb_log_raw(c.after_log);
out:
	for (size_t i = 0; i < c.nparams; i++)
		free((char *)c.params[i].name);
	free(c.params);
	free(c.body);
	free(c.head);
	free(c.cgi_body);
	free(c.after_log);
	return rc;
}
