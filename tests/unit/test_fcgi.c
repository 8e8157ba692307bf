/*
 * test_fcgi.c - the FastCGI server (server.c, conn.c) on a real event
 * loop, driven by a raw FastCGI client over a unix socket: records split
 * anywhere, params with long lengths and repeats, bodies over the cap,
 * management records, answers from another thread, a slow reader of a
 * large answer, protocol errors and the drain on stop.  Every socket read
 * has a 5 s timeout.  The codec alone is test_fcgi_proto.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fastcgi/fcgi.h"
#include "fastcgi/listen.h"
#include "base/loop.h"
#include "test.h"

void lb_test_suite_fcgi(void);

enum { ANSWER_NOW, ANSWER_FROM_POOL, ANSWER_HELD };

/* The server under test and what its handler saw. */
struct server {
	char path[64];
	struct lb_fcgi_server srv;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int mode;
	size_t answer_size; /* 0: "ok <uri>"; else that many pattern bytes */
	int calls;
	char method[16];
	char uri[256];
	char params[8192]; /* "NAME=value\n" in arrival order */
	char *body;
	size_t body_len;
	int too_large;
	struct lb_fcgi_req *held;
};

struct answer_job {
	struct server *s;
	struct lb_fcgi_req *r;
	char uri[256];
};

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static char
pattern(size_t i)
{
	return (char)('a' + i % 26);
}

static void
answer(struct server *s, struct lb_fcgi_req *r, const char *uri)
{
	struct lb_http_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.status = strncmp(uri, "/status/", 8) == 0 ? atoi(uri + 8) : 200;
	lb_http_response_add_header(&resp, "X-Test", "yes", (size_t)-1);
	if (s->answer_size > 0) {
		char *b = malloc(s->answer_size);

		CU_ASSERT_FATAL(b != NULL);
		for (size_t i = 0; i < s->answer_size; i++)
			b[i] = pattern(i);
		lb_http_response_take_body(&resp, b, s->answer_size);
	} else {
		char b[300];

		snprintf(b, sizeof(b), "ok %s", uri);
		lb_http_response_set_body(&resp, b, strlen(b));
	}
	lb_fcgi_respond(r, &resp);
}

static void
answer_job(void *arg)
{
	struct answer_job *j = arg;

	answer(j->s, j->r, j->uri);
	free(j);
}

static void
handler(void *arg, struct lb_fcgi_req *r, const struct lb_http_request *req,
    int body_too_large)
{
	struct server *s = arg;
	struct answer_job *j;
	size_t off = 0;

	pthread_mutex_lock(&s->mu);
	s->calls++;
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->uri, sizeof(s->uri), "%s", req->uri);
	s->params[0] = '\0';
	for (size_t i = 0; i < req->nparams && off < sizeof(s->params); i++)
		off +=
		    (size_t)snprintf(s->params + off, sizeof(s->params) - off,
		        "%s=%s\n", req->params[i].name, req->params[i].value);
	free(s->body);
	s->body = malloc(req->body_len + 1);
	memcpy(s->body, req->body, req->body_len);
	s->body[req->body_len] = '\0';
	s->body_len = req->body_len;
	s->too_large = body_too_large;
	if (s->mode == ANSWER_HELD) {
		s->held = r;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		return;
	}
	pthread_mutex_unlock(&s->mu);
	if (s->mode == ANSWER_NOW) {
		answer(s, r, req->uri);
		return;
	}
	j = malloc(sizeof(*j));
	CU_ASSERT_FATAL(j != NULL);
	j->s = s;
	j->r = r;
	snprintf(j->uri, sizeof(j->uri), "%s", req->uri);
	CU_ASSERT_FATAL(lb_loop_defer(s->srv.loop, answer_job, j) == 0);
}

static void
server_start_n(struct server *s, size_t max_body, int mode, int nloop)
{
	char addr[80], err[256];

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->mode = mode;
	snprintf(s->path, sizeof(s->path), "/tmp/lb-test-fcgi-%d.sock",
	    (int)getpid());
	snprintf(addr, sizeof(addr), "unix:%s", s->path);
	s->srv.fd = lb_listen_open(addr, NULL, err, sizeof(err));
	CU_ASSERT_FATAL(s->srv.fd >= 0);
	s->srv.loop = lb_loop_new(nloop, 2, err, sizeof(err));
	CU_ASSERT_FATAL(s->srv.loop != NULL);
	s->srv.max_body = max_body;
	s->srv.handler = handler;
	s->srv.arg = s;
	CU_ASSERT_FATAL(lb_fcgi_start(&s->srv) == 0);
}

static void
server_start(struct server *s, size_t max_body, int mode)
{
	server_start_n(s, max_body, mode, 2);
}

static void
server_stop(struct server *s)
{
	lb_fcgi_stop(&s->srv);
	lb_loop_free(s->srv.loop);
	lb_fcgi_release(&s->srv);
	close(s->srv.fd);
	unlink(s->path);
	free(s->body);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

static int
calls(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->calls;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- the client ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		CU_ASSERT_FATAL(b->p != NULL);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void
record(struct buf *b, int type, unsigned rid, const void *data, size_t len,
    int padding)
{
	unsigned char h[8] = { 1, (unsigned char)type,
		(unsigned char)(rid >> 8), (unsigned char)rid,
		(unsigned char)(len >> 8), (unsigned char)len,
		(unsigned char)padding, 0 };
	unsigned char pad[255] = { 0 };

	put(b, h, sizeof(h));
	put(b, data, len);
	put(b, pad, (size_t)padding);
}

static void
put_len(struct buf *b, size_t n)
{
	unsigned char l[4] = { (unsigned char)(0x80 | (n >> 24)),
		(unsigned char)(n >> 16), (unsigned char)(n >> 8),
		(unsigned char)n };

	if (n < 128) {
		l[0] = (unsigned char)n;
		put(b, l, 1);
	} else {
		put(b, l, 4);
	}
}

static void
pair(struct buf *b, const char *name, const char *value)
{
	put_len(b, strlen(name));
	put_len(b, strlen(value));
	put(b, name, strlen(name));
	put(b, value, strlen(value));
}

static void
begin(struct buf *b, unsigned rid, int role, int keep)
{
	unsigned char body[8] = { 0, (unsigned char)role, (unsigned char)keep };

	record(b, 1, rid, body, sizeof(body), 0);
}

/* A whole request: params in one record, the body in one STDIN record. */
static void
request(struct buf *b, unsigned rid, int keep, const char *method,
    const char *uri, const char *body)
{
	struct buf p = { 0 };
	char clen[32];

	begin(b, rid, 1, keep);
	pair(&p, "REQUEST_METHOD", method);
	pair(&p, "REQUEST_URI", uri);
	snprintf(clen, sizeof(clen), "%zu", strlen(body));
	pair(&p, "CONTENT_LENGTH", clen);
	record(b, 4, rid, p.p, p.len, 0);
	record(b, 4, rid, "", 0, 0);
	if (*body != '\0')
		record(b, 5, rid, body, strlen(body), 0);
	record(b, 5, rid, "", 0, 0);
	free(p.p);
}

static int
client(struct server *s)
{
	struct sockaddr_un sun;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends b in pieces of `piece` bytes (0: at once), pausing now and then
 * so that the server reads partial records. */
static void
send_buf(int fd, struct buf *b, size_t piece)
{
	size_t off = 0;

	while (off < b->len) {
		size_t n =
		    piece == 0 || b->len - off < piece ? b->len - off : piece;
		ssize_t w = send(fd, b->p + off, n, MSG_NOSIGNAL);

		CU_ASSERT_FATAL(w > 0);
		off += (size_t)w;
		if (piece > 0 && off % (piece * 16) == 0)
			usleep(500);
	}
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
read_full(int fd, void *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = recv(fd, (char *)p + got, len - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

struct rec {
	int type;
	unsigned rid;
	size_t len;
	unsigned char data[65536];
};

/* One record; -1 when the server closed (or 5 s passed). */
static int
read_record(int fd, struct rec *r)
{
	unsigned char h[8], pad[256];

	if (read_full(fd, h, 8) < 0)
		return -1;
	CU_ASSERT_EQUAL(h[0], 1);
	r->type = h[1];
	r->rid = ((unsigned)h[2] << 8) | h[3];
	r->len = ((size_t)h[4] << 8) | h[5];
	if (read_full(fd, r->data, r->len) < 0 || read_full(fd, pad, h[6]) < 0)
		return -1;
	return 0;
}

/*
 * Reads records until END_REQUEST for rid: the STDOUT stream goes to out
 * (malloc'ed, NUL-terminated).  Returns the protocol status, or -1.
 */
static int
read_response(int fd, unsigned rid, char **out, size_t *out_len)
{
	struct rec *r = malloc(sizeof(*r));
	struct buf b = { 0 };
	int st = -1, stdout_closed = 0;

	CU_ASSERT_FATAL(r != NULL);
	while (read_record(fd, r) == 0) {
		CU_ASSERT_EQUAL(r->rid, rid);
		if (r->type == 6) {
			CU_ASSERT(!stdout_closed);
			if (r->len == 0)
				stdout_closed = 1;
			put(&b, r->data, r->len);
		} else if (r->type == 3) {
			CU_ASSERT(stdout_closed || r->data[4] != 0);
			st = r->data[4];
			break;
		}
	}
	put(&b, "", 1);
	if (out != NULL) {
		*out = (char *)b.p;
		*out_len = b.len - 1;
	} else {
		free(b.p);
	}
	free(r);
	return st;
}

/* Reads one record: END_REQUEST for rid with protocol status `status`. */
static void
expect_end(int fd, struct rec *r, unsigned rid, int status)
{
	CU_ASSERT_FATAL(read_record(fd, r) == 0);
	CU_ASSERT_EQUAL(r->type, 3);
	CU_ASSERT_EQUAL(r->rid, rid);
	CU_ASSERT_EQUAL(r->data[4], status);
}

/* Whether the server closed fd (EOF within 5 s). */
static int
closed_by_server(int fd)
{
	char c;

	return recv(fd, &c, 1, 0) == 0;
}

/* A counter of lb_fcgi_dump_stats ("name=N"). */
static unsigned long long
stat_of(struct server *s, const char *name)
{
	char *text = NULL, *at, key[64];
	size_t len = 0;
	unsigned long long v = 0;
	FILE *f = open_memstream(&text, &len);

	CU_ASSERT_FATAL(f != NULL);
	lb_fcgi_dump_stats(&s->srv, f);
	fclose(f);
	snprintf(key, sizeof(key), " %s=", name);
	at = strstr(text, key);
	CU_ASSERT_FATAL(at != NULL);
	v = strtoull(at + strlen(key), NULL, 10);
	free(text);
	return v;
}

/* Waits up to 5 s for stat_of(name) to reach at least (or, with below,
 * at most) v; returns the last value. */
static unsigned long long
wait_stat(struct server *s, const char *name, unsigned long long v, int below)
{
	unsigned long long got = 0;

	for (int i = 0; i < 500; i++) {
		got = stat_of(s, name);
		if (below ? got <= v : got >= v)
			break;
		sleep_ms(10);
	}
	return got;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *
body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b != NULL ? b + 4 : "";
}

/* ---- tests ---- */

static void
test_split_records(void)
{
	struct server s;
	struct buf b = { 0 }, p = { 0 };
	char long_value[301], long_name[201], *out, want[1024];
	size_t out_len;
	int fd;

	server_start(&s, 1024, ANSWER_NOW);
	memset(long_value, 'v', 300);
	long_value[300] = '\0';
	memset(long_name, 'N', 200);
	long_name[200] = '\0';
	fd = client(&s);
	begin(&b, 1, 1, 1);
	pair(&p, "REQUEST_METHOD", "POST");
	pair(&p, "REQUEST_URI", "/a?b=1");
	pair(&p, "CONTENT_LENGTH", "5");
	pair(&p, "HTTP_X_DUP", "one");
	pair(&p, "HTTP_X_DUP", "two");
	pair(&p, "HTTP_LONG", long_value); /* a 4-byte value length */
	pair(&p, long_name, "x");          /* a 4-byte name length */
	pair(&p, "EMPTY", "");
	/* params over two records, one of them padded */
	record(&b, 4, 1, p.p, 20, 3);
	record(&b, 4, 1, p.p + 20, p.len - 20, 0);
	record(&b, 4, 1, "", 0, 0);
	record(&b, 5, 1, "hel", 3, 5);
	record(&b, 5, 1, "lo", 2, 0);
	record(&b, 5, 1, "", 0, 0);
	free(p.p);
	send_buf(fd, &b, 1); /* a byte at a time */
	CU_ASSERT_EQUAL(read_response(fd, 1, &out, &out_len), 0);
	CU_ASSERT(strncmp(out, "Status: 200 OK\r\n", 16) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\r\nX-Test: yes\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\r\nContent-Length: 9\r\n\r\n"));
	CU_ASSERT_STRING_EQUAL(body_of(out), "ok /a?b=1");
	free(out);
	CU_ASSERT_EQUAL(calls(&s), 1);
	CU_ASSERT_STRING_EQUAL(s.method, "POST");
	CU_ASSERT_STRING_EQUAL(s.uri, "/a?b=1");
	snprintf(want, sizeof(want),
	    "REQUEST_METHOD=POST\nREQUEST_URI=/a?b=1\nCONTENT_LENGTH=5\n"
	    "HTTP_X_DUP=one\nHTTP_X_DUP=two\nHTTP_LONG=%s\n%s=x\nEMPTY=\n",
	    long_value, long_name);
	CU_ASSERT_STRING_EQUAL(s.params, want);
	CU_ASSERT_STRING_EQUAL(s.body, "hello");
	CU_ASSERT_EQUAL(s.body_len, 5);
	CU_ASSERT(!s.too_large);

	/* the kept connection serves the next request; two requests sent
	 * at once are answered in turn */
	request(&b, 2, 1, "GET", "/second", "");
	request(&b, 3, 1, "GET", "/third", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 2, &out, &out_len), 0);
	CU_ASSERT_STRING_EQUAL(body_of(out), "ok /second");
	free(out);
	CU_ASSERT_EQUAL(read_response(fd, 3, &out, &out_len), 0);
	CU_ASSERT_STRING_EQUAL(body_of(out), "ok /third");
	free(out);
	CU_ASSERT_EQUAL(calls(&s), 3);
	CU_ASSERT_STRING_EQUAL(s.body, "");

	/* without keep_conn the server closes after the answer */
	request(&b, 4, 0, "GET", "/last", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 4, NULL, NULL), 0);
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	server_stop(&s);
}

/*
 * A connection per request, as nginx without fastcgi_keep_conn opens them:
 * a request written before the connection is accepted (read at once by
 * the accepting thread), one written after a pause (the connection is
 * armed and read when it arrives), and a burst of each; every one is
 * answered and closed, and no connection is left on the server's list.
 */
static void
test_connection_per_request(void)
{
	enum { BURST = 40 };
	struct server s;
	struct buf b = { 0 };
	char *out, uri[32];
	size_t out_len;
	int fds[BURST];

	server_start(&s, 1024, ANSWER_NOW);
	for (int late = 0; late <= 1; late++) {
		for (int i = 0; i < BURST; i++) {
			fds[i] = client(&s);
			if (late)
				continue;
			snprintf(uri, sizeof(uri), "/early/%d", i);
			request(&b, 1, 0, "GET", uri, "");
			send_buf(fds[i], &b, 0);
		}
		if (late) {
			sleep_ms(50); /* accepted, found empty, armed */
			for (int i = 0; i < BURST; i++) {
				snprintf(uri, sizeof(uri), "/late/%d", i);
				request(&b, 1, 0, "GET", uri, "");
				send_buf(fds[i], &b, 0);
			}
		}
		for (int i = 0; i < BURST; i++) {
			char want[40];

			CU_ASSERT_EQUAL(
			    read_response(fds[i], 1, &out, &out_len), 0);
			snprintf(want, sizeof(want), "ok /%s/%d",
			    late ? "late" : "early", i);
			CU_ASSERT_STRING_EQUAL(body_of(out), want);
			free(out);
			CU_ASSERT(closed_by_server(fds[i]));
			close(fds[i]);
		}
	}
	CU_ASSERT_EQUAL(calls(&s), 2 * BURST);
	CU_ASSERT_EQUAL(wait_stat(&s, "connections", 0, 1), 0);
	free(b.p);
	server_stop(&s);
}

/* Only a final status (200..599) reaches the Status line; a 1xx there made
 * nginx send an interim response and then the body as another one. */
static void
test_status_line(void)
{
	static const char *const uris[] = { "/status/100", "/status/101",
		"/status/199", "/status/0", "/status/600", "/status/-1" };
	struct server s;
	struct buf b = { 0 };
	char *out;
	size_t out_len;
	int fd;

	server_start(&s, 1024, ANSWER_NOW);
	fd = client(&s);
	for (unsigned i = 0; i < sizeof(uris) / sizeof(*uris); i++) {
		request(&b, 1, 1, "GET", uris[i], "");
		send_buf(fd, &b, 0);
		CU_ASSERT_EQUAL(read_response(fd, 1, &out, &out_len), 0);
		CU_ASSERT(strncmp(out, "Status: 500 ", 12) == 0);
		free(out);
	}
	request(&b, 1, 1, "GET", "/status/204", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 1, &out, &out_len), 0);
	CU_ASSERT(strncmp(out, "Status: 204 ", 12) == 0);
	free(out);
	close(fd);
	server_stop(&s);
}

static void
test_management_records(void)
{
	struct server s;
	struct buf b = { 0 }, p = { 0 };
	struct rec *r = malloc(sizeof(*r));
	char *out;
	size_t out_len;
	unsigned char abort_body[1] = { 0 };
	int fd;

	CU_ASSERT_FATAL(r != NULL);
	server_start(&s, 1024, ANSWER_NOW);
	fd = client(&s);
	/* GET_VALUES: what is asked for, with the values of a
	 * non-multiplexing application */
	pair(&p, "FCGI_MPXS_CONNS", "");
	pair(&p, "FCGI_MAX_REQS", "");
	pair(&p, "FCGI_UNHEARD_OF", "");
	record(&b, 9, 0, p.p, p.len, 0);
	free(p.p);
	memset(&p, 0, sizeof(p));
	send_buf(fd, &b, 0);
	CU_ASSERT_FATAL(read_record(fd, r) == 0);
	CU_ASSERT_EQUAL(r->type, 10);
	CU_ASSERT_EQUAL(r->rid, 0);
	r->data[r->len] = '\0';
	CU_ASSERT_PTR_NOT_NULL(memmem(r->data, r->len,
	    "\x0f\x01"
	    "FCGI_MPXS_CONNS0",
	    18));
	CU_ASSERT_PTR_NOT_NULL(memmem(r->data, r->len, "FCGI_MAX_REQS", 13));
	CU_ASSERT_PTR_NULL(memmem(r->data, r->len, "UNHEARD", 7));

	/* an unknown management record */
	record(&b, 42, 0, "abc", 3, 0);
	send_buf(fd, &b, 0);
	CU_ASSERT_FATAL(read_record(fd, r) == 0);
	CU_ASSERT_EQUAL(r->type, 11);
	CU_ASSERT_EQUAL(r->len, 8);
	CU_ASSERT_EQUAL(r->data[0], 42);

	/* a role other than responder */
	begin(&b, 7, 2, 1);
	send_buf(fd, &b, 0);
	expect_end(fd, r, 7, 3); /* FCGI_UNKNOWN_ROLE */

	/* a second request while one is open: CANT_MPX_CONN, and the first
	 * goes on */
	begin(&b, 1, 1, 1);
	begin(&b, 2, 1, 1);
	send_buf(fd, &b, 0);
	expect_end(fd, r, 2, 1); /* FCGI_CANT_MPX_CONN */
	pair(&p, "REQUEST_METHOD", "GET");
	pair(&p, "REQUEST_URI", "/one");
	record(&b, 4, 1, p.p, p.len, 0);
	record(&b, 4, 1, "", 0, 0);
	record(&b, 5, 1, "", 0, 0);
	free(p.p);
	memset(&p, 0, sizeof(p));
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 1, &out, &out_len), 0);
	CU_ASSERT_STRING_EQUAL(body_of(out), "ok /one");
	free(out);

	/* ABORT_REQUEST before the request is complete: END_REQUEST, and
	 * the handler never sees it */
	begin(&b, 5, 1, 1);
	record(&b, 2, 5, abort_body, 0, 0);
	send_buf(fd, &b, 0);
	expect_end(fd, r, 5, 0); /* FCGI_REQUEST_COMPLETE */
	CU_ASSERT_EQUAL(calls(&s), 1);
	/* ... and the connection is still in step */
	request(&b, 6, 1, "GET", "/six", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 6, &out, &out_len), 0);
	CU_ASSERT_STRING_EQUAL(body_of(out), "ok /six");
	free(out);
	close(fd);
	free(r);
	server_stop(&s);
}

/* A request without params whose body comes in records of 10 bytes. */
static void
no_length(int fd, unsigned rid, const char *body, size_t len)
{
	struct buf b = { 0 };

	begin(&b, rid, 1, 1);
	record(&b, 4, rid, "", 0, 0);
	for (size_t off = 0; off < len; off += 10)
		record(
		    &b, 5, rid, body + off, len - off < 10 ? len - off : 10, 0);
	record(&b, 5, rid, "", 0, 0);
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, rid, NULL, NULL), 0);
}

static void
test_body_over_the_cap(void)
{
	struct server s;
	struct buf b = { 0 };
	char big[101];
	int fd;

	server_start(&s, 10, ANSWER_NOW);
	memset(big, 'b', 100);
	big[100] = '\0';
	fd = client(&s);
	/* announced over the cap */
	request(&b, 1, 1, "POST", "/big", big);
	send_buf(fd, &b, 7);
	CU_ASSERT_EQUAL(read_response(fd, 1, NULL, NULL), 0);
	CU_ASSERT(s.too_large);
	CU_ASSERT_EQUAL(s.body_len, 0);
	/* over the cap without CONTENT_LENGTH */
	no_length(fd, 2, "0123456789x", 11);
	CU_ASSERT(s.too_large);
	CU_ASSERT_EQUAL(s.body_len, 0);
	/* at the cap: kept, byte for byte (with a NUL inside) */
	no_length(fd, 3,
	    "01234\0"
	    "789",
	    10);
	CU_ASSERT(!s.too_large);
	CU_ASSERT_EQUAL(s.body_len, 10);
	CU_ASSERT(memcmp(s.body,
	              "01234\0"
	              "789",
	              10) == 0);
	CU_ASSERT_EQUAL(calls(&s), 3);
	close(fd);
	server_stop(&s);
}

static void
test_large_answer_slow_reader(void)
{
	struct server s;
	struct buf b = { 0 };
	struct rec *r = malloc(sizeof(*r));
	size_t size = 3 * 1024 * 1024 + 17, body_at = 0, got = 0;
	int fd, bad = 0, ended = 0;
	char head[512];
	size_t head_len = 0;

	CU_ASSERT_FATAL(r != NULL);
	server_start(&s, 1024, ANSWER_NOW);
	s.answer_size = size;
	fd = client(&s);
	request(&b, 1, 1, "GET", "/big", "");
	send_buf(fd, &b, 0);
	sleep_ms(300); /* the server meets a full socket and waits */
	while (!ended && read_record(fd, r) == 0) {
		if (r->type == 3) {
			ended = 1;
			break;
		}
		CU_ASSERT_EQUAL_FATAL(r->type, 6);
		CU_ASSERT(r->len <= 65535);
		for (size_t i = 0; i < r->len; i++) {
			if (body_at == 0) {
				if (head_len < sizeof(head) - 1)
					head[head_len++] = (char)r->data[i];
				head[head_len] = '\0';
				if (head_len >= 4 &&
				    memcmp(head + head_len - 4, "\r\n\r\n",
				        4) == 0)
					body_at = 1;
				continue;
			}
			if ((char)r->data[i] != pattern(got))
				bad++;
			got++;
		}
	}
	CU_ASSERT(ended);
	CU_ASSERT_EQUAL(got, size);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(head, "Content-Length: 3145745\r\n"));
	/* the connection goes on */
	s.answer_size = 0;
	request(&b, 2, 1, "GET", "/small", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 2, NULL, NULL), 0);
	close(fd);
	free(r);
	server_stop(&s);
}

/*
 * A 200 KB body in full, padded STDIN records, with a record of another
 * request between them (ignored), sent in pieces that split headers,
 * content and padding: every byte arrives, in order, however the reads
 * cut it.
 */
static void
test_body_in_parts(void)
{
	enum { SIZE = 200003 };
	static const size_t pieces[] = { 0, 7777, 65536 + 3 };
	char *body = malloc(SIZE);
	struct server s;
	int fd;

	CU_ASSERT_FATAL(body != NULL);
	for (size_t i = 0; i < SIZE; i++)
		body[i] = pattern(i * 7);
	server_start(&s, 1024 * 1024, ANSWER_NOW);
	fd = client(&s);
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct buf b = { 0 }, p = { 0 };
		unsigned rid = (unsigned)k + 1;

		begin(&b, rid, 1, 1);
		pair(&p, "REQUEST_METHOD", "POST");
		pair(&p, "REQUEST_URI", "/parts");
		record(&b, 4, rid, p.p, p.len, 0);
		record(&b, 4, rid, "", 0, 0);
		free(p.p);
		for (size_t off = 0; off < SIZE; off += 65535) {
			size_t n = SIZE - off < 65535 ? SIZE - off : 65535;

			record(&b, 5, rid, body + off, n, (int)(off % 8));
			if (off == 0)
				record(&b, 5, rid + 100, "xx", 2, 6);
		}
		record(&b, 5, rid, "", 0, 0);
		send_buf(fd, &b, pieces[k]);
		CU_ASSERT_EQUAL(read_response(fd, rid, NULL, NULL), 0);
		CU_ASSERT(!s.too_large);
		CU_ASSERT_EQUAL_FATAL(s.body_len, SIZE);
		CU_ASSERT(memcmp(s.body, body, SIZE) == 0);
	}
	CU_ASSERT_EQUAL(calls(&s), 3);
	close(fd);
	free(body);
	server_stop(&s);
}

/*
 * Answers around the sizes where the body stops being copied (8 KB) and
 * where records split (65535), on one kept connection, each after a
 * management record in the same write, whose answer goes first: the bytes
 * and the Content-Length are the body's whether it is copied or written
 * where it lies.
 */
static void
test_answer_sizes(void)
{
	static const size_t sizes[] = { 8191, 8192, 65535 - 60, 65535, 65536,
		2 * 65535 + 1, 300001 };
	struct server s;
	struct rec *r = malloc(sizeof(*r));
	int fd;

	CU_ASSERT_FATAL(r != NULL);
	server_start(&s, 1024 * 1024, ANSWER_NOW);
	fd = client(&s);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct buf b = { 0 }, p = { 0 };
		char *out, *body, want[64];
		size_t out_len, bad = 0;

		s.answer_size = sizes[k];
		pair(&p, "FCGI_MPXS_CONNS", "");
		record(&b, 9, 0, p.p, p.len, 0);
		free(p.p);
		request(&b, (unsigned)k + 1, 1, "GET", "/sized", "");
		send_buf(fd, &b, 0);
		CU_ASSERT_FATAL(read_record(fd, r) == 0);
		CU_ASSERT_EQUAL(r->type, 10);
		CU_ASSERT_FATAL(
		    read_response(fd, (unsigned)k + 1, &out, &out_len) == 0);
		body = strstr(out, "\r\n\r\n");
		CU_ASSERT_FATAL(body != NULL);
		body += 4;
		snprintf(
		    want, sizeof(want), "Content-Length: %zu\r\n", sizes[k]);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
		CU_ASSERT_EQUAL((size_t)(out + out_len - body), sizes[k]);
		for (size_t i = 0; i < sizes[k] && body + i < out + out_len;
		     i++)
			bad += body[i] != pattern(i);
		CU_ASSERT_EQUAL(bad, 0);
		free(out);
	}
	close(fd);
	CU_ASSERT(wait_stat(&s, "connections", 0, 1) == 0);
	CU_ASSERT_EQUAL(stat_of(&s, "buffered"), 0);
	free(r);
	server_stop(&s);
}

struct client_run {
	struct server *s;
	int id;
	int ok;
};

static void *
client_thread(void *arg)
{
	struct client_run *c = arg;
	int fd = client(c->s);

	for (int i = 0; i < 20; i++) {
		struct buf b = { 0 };
		char uri[64], want[80], *out;
		size_t out_len;

		snprintf(uri, sizeof(uri), "/c%d/r%d", c->id, i);
		snprintf(want, sizeof(want), "ok %s", uri);
		request(&b, (unsigned)(i + 1), 1, "GET", uri, "");
		send_buf(fd, &b, 0);
		if (read_response(fd, (unsigned)(i + 1), &out, &out_len) == 0 &&
		    strcmp(body_of(out), want) == 0)
			c->ok++;
		free(out);
	}
	close(fd);
	return NULL;
}

static void
test_answers_from_another_thread(void)
{
	struct server s;
	pthread_t t[16];
	struct client_run c[16];

	server_start(&s, 1024, ANSWER_FROM_POOL);
	for (int i = 0; i < 16; i++) {
		c[i].s = &s;
		c[i].id = i;
		c[i].ok = 0;
		CU_ASSERT_FATAL(
		    pthread_create(&t[i], NULL, client_thread, &c[i]) == 0);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(c[i].ok, 20);
	}
	CU_ASSERT_EQUAL(calls(&s), 16 * 20);
	server_stop(&s);
}

static void
test_protocol_errors(void)
{
	struct server s;
	struct buf b = { 0 };
	unsigned char bad_pairs[] = { 5, 100, 'A', 'B', 'C', 'D', 'E', 'x' };
	int fd;

	server_start(&s, 1024, ANSWER_NOW);
	/* a record of another version */
	fd = client(&s);
	begin(&b, 1, 1, 1);
	b.p[0] = 2;
	send_buf(fd, &b, 0);
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	/* a param whose value runs past the stream */
	fd = client(&s);
	begin(&b, 1, 1, 1);
	record(&b, 4, 1, bad_pairs, sizeof(bad_pairs), 0);
	record(&b, 4, 1, "", 0, 0);
	record(&b, 5, 1, "", 0, 0);
	send_buf(fd, &b, 0);
	CU_ASSERT(closed_by_server(fd));
	close(fd);
	/* half a request, then the web server goes: nothing reaches the
	 * handler */
	fd = client(&s);
	begin(&b, 1, 1, 1);
	record(&b, 4, 1, "", 0, 0);
	send_buf(fd, &b, 0);
	close(fd);
	sleep_ms(50);
	CU_ASSERT_EQUAL(calls(&s), 0);
	/* the server is still fine */
	fd = client(&s);
	request(&b, 1, 1, "GET", "/fine", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 1, NULL, NULL), 0);
	CU_ASSERT_EQUAL(calls(&s), 1);
	close(fd);
	server_stop(&s);
}

/* CPU time (user + system) this process has used, in ms. */
static long
cpu_ms(void)
{
	struct rusage ru;

	CU_ASSERT_FATAL(getrusage(RUSAGE_SELF, &ru) == 0);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

/*
 * Connections that stop inside a record header cost the server nothing
 * while they wait (the regression: write-readiness was asked for whenever
 * input was buffered, and a unix socket is always writable, so the
 * one-shot event fired again at once: ~90% of a core per loop thread).
 */
static void
test_stalled_header_no_spin(void)
{
	/* BEGIN_REQUEST, then 3 or 4 bytes of an empty PARAMS record */
	static const unsigned char params_end[8] = { 1, 4, 0, 1, 0, 0, 0, 0 };
	struct server s;
	struct buf b = { 0 };
	int fd[4];
	long before, used;

	server_start(&s, 1024, ANSWER_NOW);
	for (int i = 0; i < 4; i++) {
		fd[i] = client(&s);
		begin(&b, 1, 1, 1);
		put(&b, params_end, 3 + (size_t)(i % 2));
		send_buf(fd[i], &b, 0);
	}
	sleep_ms(100); /* the server has read them */
	before = cpu_ms();
	sleep_ms(1000);
	used = cpu_ms() - before;
	printf("(%ld ms of CPU in 1 s) ", used);
	CU_ASSERT(used < 200);
	/* the stalled requests complete when the rest comes */
	for (int i = 0; i < 4; i++) {
		struct buf p = { 0 };

		put(&p, params_end + 3 + i % 2, 5 - (size_t)(i % 2));
		record(&p, 5, 1, "", 0, 0);
		send_buf(fd[i], &p, 0);
		CU_ASSERT_EQUAL(read_response(fd[i], 1, NULL, NULL), 0);
		close(fd[i]);
	}
	server_stop(&s);
}

/*
 * A request stalled inside a record is closed after the timeout, a kept
 * connection idle between requests after twice it; one that keeps
 * making progress is not.
 */
static void
test_stalled_closed_after_timeout(void)
{
	static const unsigned char half[3] = { 1, 4, 0 };
	struct server s;
	struct buf b = { 0 };
	long t0, took;
	int fd, idle;

	server_start(&s, 1024, ANSWER_NOW);
	__atomic_store_n(&s.srv.timeout_ms, 300, __ATOMIC_RELAXED);
	/* stalled in a PARAMS header */
	fd = client(&s);
	begin(&b, 1, 1, 1);
	put(&b, half, sizeof(half));
	t0 = now_ms();
	send_buf(fd, &b, 0);
	CU_ASSERT(closed_by_server(fd));
	took = now_ms() - t0;
	printf("(stalled: closed after %ld ms", took);
	CU_ASSERT(took >= 250 && took < 3000);
	close(fd);
	CU_ASSERT_EQUAL(wait_stat(&s, "timed_out", 1, 0), 1);
	/* requests 200 ms apart keep a connection; then, idle, it goes
	 * after 600 ms */
	fd = client(&s);
	for (unsigned i = 1; i <= 4; i++) {
		request(&b, i, 1, "GET", "/kept", "");
		send_buf(fd, &b, 0);
		CU_ASSERT_EQUAL(read_response(fd, i, NULL, NULL), 0);
		sleep_ms(200);
	}
	t0 = now_ms();
	idle = closed_by_server(fd);
	took = now_ms() - t0 + 200;
	printf(", idle: after %ld ms) ", took);
	CU_ASSERT(idle);
	CU_ASSERT(took >= 550 && took < 3000);
	close(fd);
	CU_ASSERT_EQUAL(calls(&s), 4);
	CU_ASSERT_EQUAL(wait_stat(&s, "idle_closed", 1, 0), 1);
	CU_ASSERT_EQUAL(stat_of(&s, "timed_out"), 1);
	server_stop(&s);
}

/* A client that does not read a large answer is cut after the timeout
 * and the answer's memory is freed. */
static void
test_slow_reader_cut(void)
{
	struct server s;
	struct buf b = { 0 };
	size_t size = 8 * 1024 * 1024;
	unsigned long long held;
	int fd;

	server_start(&s, 1024, ANSWER_NOW);
	__atomic_store_n(&s.srv.timeout_ms, 300, __ATOMIC_RELAXED);
	s.answer_size = size;
	fd = client(&s);
	request(&b, 1, 1, "GET", "/big", "");
	send_buf(fd, &b, 0);
	CU_ASSERT(wait_stat(&s, "buffered", size / 2, 0) >= size / 2);
	held = wait_stat(&s, "buffered", 0, 1);
	printf("(%llu bytes held after the cut) ", held);
	CU_ASSERT_EQUAL(held, 0);
	CU_ASSERT_EQUAL(stat_of(&s, "timed_out"), 1);
	CU_ASSERT_EQUAL(stat_of(&s, "connections"), 0);
	close(fd);
	server_stop(&s);
}

/*
 * Half-open connections (BEGIN_REQUEST, then nothing) hold no read
 * buffer: 5,000 of them kept 16 KB each (+95 MB).  A GET_VALUES after
 * the BEGIN_REQUEST tells when the server has read both; its answer's
 * buffer (4 KB, kept for the next answer) is all that stays.
 */
static void
test_half_open_hold_little(void)
{
	enum { N = 100 };
	struct server s;
	struct buf b = { 0 }, p = { 0 };
	struct rec *r = malloc(sizeof(*r));
	unsigned long long held;
	int fd[N];

	CU_ASSERT_FATAL(r != NULL);
	server_start(&s, 1024, ANSWER_NOW);
	pair(&p, "FCGI_MPXS_CONNS", "");
	for (int i = 0; i < N; i++) {
		fd[i] = client(&s);
		begin(&b, 1, 1, 1);
		record(&b, 9, 0, p.p, p.len, 0);
		send_buf(fd[i], &b, 0);
		CU_ASSERT_FATAL(read_record(fd[i], r) == 0);
		CU_ASSERT_EQUAL(r->type, 10);
	}
	held = stat_of(&s, "buffered");
	printf("(%llu bytes buffered for %d connections) ", held, N);
	CU_ASSERT(held <= N * 4096);
	for (int i = 0; i < N; i++)
		close(fd[i]);
	free(p.p);
	free(r);
	server_stop(&s);
}

/*
 * Connections that each hold most of a 64 KB record: past the cap on
 * what all connections buffer, nothing more is read or accepted; once the
 * memory is released (the clients go), new requests are served.
 */
static void
test_buffer_cap(void)
{
	enum { N = 40 };
	static unsigned char part[60000];
	unsigned char h[8] = { 1, 5, 0, 1, 0xff, 0xff, 0, 0 };
	struct server s;
	struct buf b = { 0 };
	size_t cap = 1024 * 1024;
	unsigned long long most = 0;
	int fd[N], last;

	server_start(&s, 1024 * 1024, ANSWER_NOW);
	__atomic_store_n(&s.srv.max_buffered, cap, __ATOMIC_RELAXED);
	for (int i = 0; i < N; i++) {
		struct buf p = { 0 };
		char clen[] = "65535";
		struct buf q = { 0 };

		fd[i] = client(&s);
		begin(&p, 1, 1, 1);
		pair(&q, "CONTENT_LENGTH", clen);
		record(&p, 4, 1, q.p, q.len, 0);
		record(&p, 4, 1, "", 0, 0);
		free(q.p);
		put(&p, h, sizeof(h));
		put(&p, part, sizeof(part));
		send_buf(fd[i], &p, 0);
	}
	for (int i = 0; i < 50; i++) {
		unsigned long long n = stat_of(&s, "buffered");

		most = n > most ? n : most;
		sleep_ms(10);
	}
	printf("(at most %llu bytes buffered, cap %zu; %llu reads and %llu "
	       "accepts put off) ",
	    most, cap, stat_of(&s, "reads_paused"),
	    stat_of(&s, "accept_paused"));
	CU_ASSERT(most <= cap + cap / 2);
	/* which one depends on how the reads and the accepts interleave */
	CU_ASSERT(
	    stat_of(&s, "reads_paused") + stat_of(&s, "accept_paused") > 0);
	/* a new client waits while the memory is held */
	last = client(&s);
	request(&b, 1, 1, "GET", "/after", "");
	send_buf(last, &b, 0);
	sleep_ms(300);
	CU_ASSERT_EQUAL(calls(&s), 0);
	for (int i = 0; i < N; i++)
		close(fd[i]);
	CU_ASSERT_EQUAL(read_response(last, 1, NULL, NULL), 0);
	CU_ASSERT_EQUAL(calls(&s), 1);
	close(last);
	CU_ASSERT(wait_stat(&s, "connections", 0, 1) == 0);
	CU_ASSERT_EQUAL(stat_of(&s, "buffered"), 0);
	server_stop(&s);
}

struct upload {
	struct server *s;
	pthread_barrier_t *half; /* after the first half of the body */
	int ok;
};

static int
send_all(int fd, const void *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		len -= (size_t)w;
	}
	return 0;
}

/* A 600 KB body in two halves, then its answer.  No CU_ASSERT_FATAL:
 * this is not the test's thread. */
static void *
upload_thread(void *arg)
{
	struct upload *u = arg;
	static char chunk[60000];
	struct buf b = { 0 }, p = { 0 };
	struct timeval tv = { 5, 0 };
	int fd = client(u->s), ok;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	begin(&b, 1, 1, 1);
	pair(&p, "REQUEST_URI", "/up");
	pair(&p, "CONTENT_LENGTH", "600000");
	record(&b, 4, 1, p.p, p.len, 0);
	record(&b, 4, 1, "", 0, 0);
	for (int i = 0; i < 5; i++)
		record(&b, 5, 1, chunk, sizeof(chunk), 0);
	free(p.p);
	ok = send_all(fd, b.p, b.len) == 0;
	free(b.p);
	memset(&b, 0, sizeof(b));
	pthread_barrier_wait(u->half);
	for (int i = 0; i < 5; i++)
		record(&b, 5, 1, chunk, sizeof(chunk), 0);
	record(&b, 5, 1, "", 0, 0);
	ok = ok && send_all(fd, b.p, b.len) == 0;
	u->ok = ok && read_response(fd, 1, NULL, NULL) == 0;
	free(b.p);
	close(fd);
	return NULL;
}

/*
 * Uploads holding more than the cap between them all complete, with no
 * timeout set: the connection holding the most reads on until its request
 * is in, which releases memory for the others.  Without that, three
 * uploads caught over a lowered cap (a reload, or reads that raced) each
 * waited for the others' memory for ever.
 */
static void
test_buffer_cap_progress(void)
{
	enum { N = 3 };
	struct server s;
	struct upload u[N];
	pthread_t t[N];
	pthread_barrier_t half;
	int ok = 0;

	server_start(&s, 1024 * 1024, ANSWER_NOW);
	pthread_barrier_init(&half, NULL, N + 1);
	for (int i = 0; i < N; i++) {
		u[i].s = &s;
		u[i].half = &half;
		u[i].ok = 0;
		CU_ASSERT_FATAL(
		    pthread_create(&t[i], NULL, upload_thread, &u[i]) == 0);
	}
	/* each has its body's buffer (600 KB, reserved as 1 MB) */
	CU_ASSERT(
	    wait_stat(&s, "buffered", N * 1024 * 1024, 0) >= N * 1024 * 1024);
	__atomic_store_n(&s.srv.max_buffered, 1024 * 1024, __ATOMIC_RELAXED);
	pthread_barrier_wait(&half);
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		ok += u[i].ok;
	}
	printf("(%d of %d uploads answered; %llu reads paused) ", ok, N,
	    stat_of(&s, "reads_paused"));
	CU_ASSERT_EQUAL(ok, N);
	CU_ASSERT_EQUAL(calls(&s), N);
	CU_ASSERT(stat_of(&s, "reads_paused") > 0);
	pthread_barrier_destroy(&half);
	server_stop(&s);
}

/* The highest descriptor open in this process. */
static int
highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int most = 2;

	CU_ASSERT_FATAL(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (atoi(e->d_name) > most)
			most = atoi(e->d_name);
	closedir(d);
	return most;
}

/*
 * Out of descriptors, the listener waits on the timer: the loop thread
 * (only one here) goes on serving the connections it has, without
 * spinning, and the waiting clients are served once descriptors are back.
 * The regression: accept failures slept 10 ms on the loop thread, again
 * and again, and every request waited for the sleep.
 */
static void
test_out_of_descriptors(void)
{
	enum { WAITING = 3, ROUNDS = 100 };
	struct server s;
	struct buf b = { 0 };
	struct sockaddr_un sun;
	struct rlimit saved, low;
	struct timeval tv = { 5, 0 };
	int fd, waiting[WAITING], fillers[1024], nfill = 0;
	long t0, took, before, used;

	server_start_n(&s, 1024, ANSWER_NOW, 1);
	fd = client(&s);
	request(&b, 1, 1, "GET", "/before", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 1, NULL, NULL), 0);
	for (int i = 0; i < WAITING; i++) {
		waiting[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		CU_ASSERT_FATAL(waiting[i] >= 0);
		setsockopt(
		    waiting[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	/* no descriptor left: the limit at the highest, the holes filled */
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &saved) == 0);
	low = saved;
	low.rlim_cur = (rlim_t)highest_fd() + 1;
	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (nfill < 1024 &&
	    (fillers[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nfill++;
	CU_ASSERT_FATAL(nfill < 1024);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s.path);
	for (int i = 0; i < WAITING; i++) {
		CU_ASSERT_FATAL(connect(waiting[i], (struct sockaddr *)&sun,
		                    sizeof(sun)) == 0);
		request(&b, 1, 1, "GET", "/waited", "");
		send_buf(waiting[i], &b, 0);
	}
	CU_ASSERT(wait_stat(&s, "accept_paused", 1, 0) >= 1);
	/* the kept connection is served at full speed meanwhile */
	t0 = now_ms();
	before = cpu_ms();
	for (unsigned i = 2; i < 2 + ROUNDS; i++) {
		request(&b, i, 1, "GET", "/during", "");
		send_buf(fd, &b, 0);
		CU_ASSERT_EQUAL(read_response(fd, i, NULL, NULL), 0);
	}
	took = now_ms() - t0;
	sleep_ms(500);
	used = cpu_ms() - before;
	printf("(%d requests in %ld ms, %ld ms of CPU in %ld ms; %llu "
	       "accept pauses) ",
	    ROUNDS, took, used, took + 500, stat_of(&s, "accept_paused"));
	CU_ASSERT(took < 300);
	CU_ASSERT(used < 200);
	CU_ASSERT_EQUAL(calls(&s), 1 + ROUNDS);
	/* descriptors back: the waiting clients are served */
	for (int i = 0; i < nfill; i++)
		close(fillers[i]);
	CU_ASSERT(setrlimit(RLIMIT_NOFILE, &saved) == 0);
	for (int i = 0; i < WAITING; i++) {
		CU_ASSERT_EQUAL(read_response(waiting[i], 1, NULL, NULL), 0);
		close(waiting[i]);
	}
	CU_ASSERT_EQUAL(calls(&s), 1 + ROUNDS + WAITING);
	close(fd);
	server_stop(&s);
}

struct stopper {
	struct server *s;
	int done;
};

static void *
stop_thread(void *arg)
{
	struct stopper *st = arg;

	lb_fcgi_stop(&st->s->srv);
	__atomic_store_n(&st->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
test_stop_drains(void)
{
	struct server s;
	struct buf b = { 0 };
	struct stopper st;
	pthread_t t;
	struct lb_fcgi_req *held;
	char *out;
	size_t out_len;
	int fd;

	server_start(&s, 1024, ANSWER_HELD);
	fd = client(&s);
	request(&b, 1, 1, "GET", "/held", "");
	send_buf(fd, &b, 0);
	pthread_mutex_lock(&s.mu);
	while (s.held == NULL)
		pthread_cond_wait(&s.cv, &s.mu);
	held = s.held;
	pthread_mutex_unlock(&s.mu);
	/* lb_fcgi_stop waits for the request in progress */
	st.s = &s;
	st.done = 0;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, stop_thread, &st) == 0);
	sleep_ms(200);
	CU_ASSERT(!__atomic_load_n(&st.done, __ATOMIC_SEQ_CST));
	s.mode = ANSWER_NOW;
	answer(&s, held, "/held");
	pthread_join(t, NULL);
	CU_ASSERT(st.done);
	CU_ASSERT_EQUAL(read_response(fd, 1, &out, &out_len), 0);
	CU_ASSERT_STRING_EQUAL(body_of(out), "ok /held");
	free(out);
	/* after the drain a kept connection gets 503, not the handler */
	request(&b, 2, 1, "GET", "/late", "");
	send_buf(fd, &b, 0);
	CU_ASSERT_EQUAL(read_response(fd, 2, &out, &out_len), 0);
	CU_ASSERT(strncmp(out, "Status: 503 ", 12) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Service Unavailable"));
	free(out);
	CU_ASSERT_EQUAL(calls(&s), 1);
	close(fd);
	/* server_stop's own lb_fcgi_stop returns at once */
	server_stop(&s);
}

/*
 * A start that fails leaves nothing behind (the ASan run finds a leak):
 * a bad fd fails before the loop has anything; /dev/null, which epoll
 * refuses, fails once the sweep timer runs, which lb_fcgi_release stops.
 */
static void
test_start_fails_cleanly(void)
{
	struct lb_fcgi_server srv;
	char err[256];

	memset(&srv, 0, sizeof(srv));
	srv.handler = handler;
	srv.loop = lb_loop_new(1, 1, err, sizeof(err));
	CU_ASSERT_FATAL(srv.loop != NULL);
	srv.fd = -1;
	CU_ASSERT_EQUAL(lb_fcgi_start(&srv), -1);
	CU_ASSERT(srv.state == NULL);
	srv.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(srv.fd >= 0);
	CU_ASSERT_EQUAL(lb_fcgi_start(&srv), -1);
	lb_loop_free(srv.loop);
	lb_fcgi_release(&srv);
	CU_ASSERT(srv.state == NULL);
	close(srv.fd);
}

void
lb_test_suite_fcgi(void)
{
	static CU_TestInfo tests[] = {
		{ "split records", test_split_records },
		{ "a connection per request", test_connection_per_request },
		{ "only final statuses on the Status line", test_status_line },
		{ "management records", test_management_records },
		{ "body over the cap", test_body_over_the_cap },
		{ "a body however the reads cut it", test_body_in_parts },
		{ "large answer, slow reader", test_large_answer_slow_reader },
		{ "answers around the copy and record sizes",
		    test_answer_sizes },
		{ "answers from another thread",
		    test_answers_from_another_thread },
		{ "protocol errors", test_protocol_errors },
		{ "stalled header, no spin", test_stalled_header_no_spin },
		{ "stalled request closed after the timeout",
		    test_stalled_closed_after_timeout },
		{ "slow reader cut, memory freed", test_slow_reader_cut },
		{ "half-open connections hold little",
		    test_half_open_hold_little },
		{ "cap on buffered memory", test_buffer_cap },
		{ "over the cap, uploads still complete",
		    test_buffer_cap_progress },
		{ "out of descriptors", test_out_of_descriptors },
		{ "stop drains", test_stop_drains },
		{ "a failed start leaves nothing", test_start_fails_cleanly },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("fcgi", tests);
}
