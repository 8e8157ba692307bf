/*
 * fcgi.h - the FastCGI side of the gateway: listening, the request threads,
 * reading params and body into struct lb_http_request and writing struct
 * lb_http_response back.  The only file that includes fcgiapp.h.
 */
#ifndef LB_FCGI_H
#define LB_FCGI_H

#include <signal.h>
#include <stddef.h>

#include "http.h"

/*
 * Called once per request on a request thread.  `req` is valid during the
 * call; the handler fills `resp` (empty on entry), which the caller writes
 * and clears.  `body_too_large` is set when the body exceeded the cap: the
 * body is then empty (it has been drained) and the handler answers 413.
 */
typedef void lb_fcgi_handler(void *arg, const struct lb_http_request *req,
    int body_too_large, struct lb_http_response *resp);

struct lb_fcgi_server {
	int fd;          /* listening socket */
	int threads;     /* request threads */
	size_t max_body; /* bodies over this are drained, not kept (atomic:
			  * a reload changes it) */
	lb_fcgi_handler *handler;
	void *arg;
	/* private to fcgi.c */
	void *threads_state;
};

/*
 * Opens the listening socket for `addr`: "unix:/path" (a stale socket file
 * is replaced), "host:port" or "[v6]:port" (TCP), or NULL for an inherited
 * socket (fd 3 under systemd socket activation, else fd 0).  Returns the fd,
 * or -1 with the reason in err.
 */
int lb_fcgi_listen(const char *addr, char *err, size_t errlen);

/* Non-zero when started as a plain CGI program (no FastCGI socket on fd 0). */
int lb_fcgi_is_cgi(void);

/*
 * Starts srv->threads request threads serving srv->fd and returns at once:
 * 0, or -1 (logged) if no thread could be started.
 */
int lb_fcgi_start(struct lb_fcgi_server *srv);

/*
 * Stops accepting, lets the requests in progress finish and joins the
 * threads.
 */
void lb_fcgi_stop(struct lb_fcgi_server *srv);

/* Serves exactly one request as a CGI program (stdin/stdout/environ). */
int lb_fcgi_serve_cgi(struct lb_fcgi_server *srv);

#endif /* LB_FCGI_H */
