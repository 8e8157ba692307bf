/*
 * fcgi.h - the FastCGI side of the gateway: FastCGI connections on the
 * event loop, reading params and body into struct lb_http_request and
 * writing struct lb_http_response back.  server.c serves the listener and
 * the limits, conn.c the connections (fcgi_int.h between them); plain CGI
 * is cgi.h.
 */
#ifndef LB_FCGI_H
#define LB_FCGI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "fastcgi/http.h"
#include "base/loop.h"

/* A request being served (and its connection).  Opaque. */
struct lb_fcgi_req;

/*
 * Called once per request, on a loop thread (or the main thread for
 * CGI).  It must not block: the answer goes to lb_fcgi_respond(r), exactly
 * once, now or later from any thread.  `req` is valid until then.
 * `body_too_large` is set when the body exceeded the cap: the body is then
 * empty (it has been drained) and the handler answers 413.
 */
typedef void lb_fcgi_handler(void *arg, struct lb_fcgi_req *r,
    const struct lb_http_request *req, int body_too_large);

/*
 * Answers r with resp, which it clears (resp->log is logged once the
 * response is written).  r and its request are gone after the call.
 */
void lb_fcgi_respond(struct lb_fcgi_req *r, struct lb_http_response *resp);

/* The loop serving r, or NULL for a CGI request (block there instead). */
struct lb_loop *lb_fcgi_loop(const struct lb_fcgi_req *r);

struct lb_fcgi_server {
	int fd;               /* listening socket */
	struct lb_loop *loop; /* borrowed; stopped before lb_fcgi_release */
	size_t max_body;      /* bodies over this are drained, not kept (atomic:
			  * a reload changes it) */
	int timeout_ms;       /* a connection stalled inside a request, or not
			       * reading its answer, this long is closed; an
			       * idle kept one after twice this; 0: never
			       * (atomic) */
	size_t max_buffered;  /* bytes all connections may buffer: over it,
			       * nothing more is read or accepted until some
			       * is released; 0: no cap (atomic) */
	lb_fcgi_handler *handler;
	void *arg;
	/* private to server.c and conn.c */
	void *state;
};

/*
 * Starts serving srv->fd on srv->loop and returns at once: 0, or -1
 * (logged).  After -1, srv->state is NULL and nothing is held, or (the
 * listener could not be armed) the sweep timer runs on the loop: either
 * way lb_fcgi_release, once the loop has stopped, leaves nothing behind.
 */
int lb_fcgi_start(struct lb_fcgi_server *srv);

/*
 * Stops accepting and waits for the requests in progress; requests that
 * arrive after that on kept connections are answered 503.
 */
void lb_fcgi_stop(struct lb_fcgi_server *srv);

/*
 * Writes the FastCGI side's counters to `out`: open connections, bytes
 * buffered, connections closed by the timeouts, reads paused by the memory
 * cap, accept pauses.  Any thread.
 */
void lb_fcgi_dump_stats(struct lb_fcgi_server *srv, FILE *out);

/* Closes the connections and frees the server's state; the loop must have
 * stopped (lb_loop_free). */
void lb_fcgi_release(struct lb_fcgi_server *srv);

#endif /* LB_FCGI_H */
