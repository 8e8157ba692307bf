/*
 * fcgi_int.h - what the files of the FastCGI server share: the server's
 * state, the connection struct and the request's buffers (request.c), the
 * connection calls the server makes (conn.c).  Prefix fcgii_; included
 * only from bridge/fastcgi/.
 */
#ifndef LB_FCGI_INT_H
#define LB_FCGI_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fastcgi/fcgi.h"
#include "fastcgi/http.h"
#include "base/loop.h"

#define FCGII_SWEEP_MS 250  /* deadlines and paused reads are looked at */
#define FCGII_CUT      (-1) /* c->expires: the sweep shut the socket down */

enum fcgii_conn_state {
	FCGII_IDLE,    /* between requests */
	FCGII_PARAMS,  /* BEGIN_REQUEST seen, reading PARAMS */
	FCGII_STDIN,   /* reading STDIN */
	FCGII_HANDLER, /* the handler has the request */
	FCGII_WRITING, /* the response is being written */
};

/* The server's state (srv->state), from lb_fcgi_start to lb_fcgi_release. */
struct fcgii_state {
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
	struct fcgii_state *st;
	struct lb_fcgi_req *prev, *next; /* st->conns */
	int fd;
	int cgi; /* lb_cgi_serve's: responds on stdout */
	enum fcgii_conn_state state;
	int64_t expires; /* atomic: mono ms; 0 none, FCGII_CUT when shut down */
	int idle_wait;   /* atomic: expires is the idle timeout's */
	size_t held;     /* bytes its buffers hold */
	struct lb_fcgi_req *pnext; /* st->paused */
	/* input: parsed up to in_off, both 0 when all of it is */
	char *in;
	size_t in_off, in_len, in_cap;
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
	/* a STDIN record read in parts: content and padding still to come */
	size_t stdin_left, stdin_pad;
	struct lb_http_request req;
	/* output not yet written */
	char *out;
	size_t out_len, out_off, out_cap;
	/* a large response body, written where it lies: c->iov lists the
	 * pieces of c->out and out_body in the order they are sent */
	char *out_body;
	size_t out_body_len;
	struct iovec *iov;
	size_t niov, iov_i, iov_cap;
	char *head; /* the response head, formatted */
	size_t head_cap;
	char *after_log; /* the response's log lines, written after it */
	/* lb_cgi_serve's response, written by it */
	long head_len;
	char *cgi_body;
	size_t cgi_body_len;
};

/* ---- request.c: a request's buffers ---- */

/*
 * Counts a buffer going from `from` to `to` bytes against c and its
 * server (lb_cgi_serve's connection has none).
 */
void fcgii_held(struct lb_fcgi_req *c, size_t from, size_t to);

/*
 * Makes *buf (of *cap bytes, counted against c) hold at least `need`
 * bytes.  Returns 0, or -1 when out of memory (*buf is unchanged).
 */
int fcgii_reserve(struct lb_fcgi_req *c, char **buf, size_t *cap, size_t need);

/* Frees *buf and counts its *cap bytes off c; both are zeroed. */
void fcgii_drop(struct lb_fcgi_req *c, char **buf, size_t *cap);

/* Frees an empty buffer that a large request grew (fcgii_drop). */
void fcgii_shrink(struct lb_fcgi_req *c, char **buf, size_t *cap);

/*
 * Appends a param to c->params; name and value are borrowed (they live in
 * c->params_raw, or are the CGI copies).  Returns 0, or -1 when out of
 * memory.
 */
int fcgii_add_param(struct lb_fcgi_req *c, const char *name, const char *value);

/*
 * After the params: a body announced over c->max_body sets c->too_large
 * (it is dropped as it arrives); one within it gets its buffer at once.
 */
void fcgii_check_length(struct lb_fcgi_req *c);

/* Fills c->req from c->params and c->body, which it borrows. */
void fcgii_request_fill(struct lb_fcgi_req *c);

/*
 * Formats the CGI response head ("Status: 200 OK", the headers and
 * Content-Length) of resp into c->head.  Returns its length, or -1 when
 * out of memory.
 */
long fcgii_format_head(
    struct lb_fcgi_req *c, const struct lb_http_response *resp);

/* ---- conn.c: the connections ---- */

/* The watch function of every connection (the listener sets it). */
void fcgii_conn_ready(struct lb_watch *w, uint32_t events);

/*
 * Arms c for its next bytes, with its deadline; closes it when that
 * fails.  c is the loop's afterwards.
 */
void fcgii_conn_arm(struct lb_fcgi_req *c);

/*
 * The one cleanup of a connection: takes it off the server's lists and the
 * loop, closes its socket, frees its buffers and c itself.
 */
void fcgii_cleanup_conn(struct lb_fcgi_req *c);

#endif /* LB_FCGI_INT_H */
