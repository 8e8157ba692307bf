/*
 * cgi.h - plain CGI: the binary started by a web server as a CGI program
 * answers the one request it was started for, through the same handler as
 * the FastCGI server (fcgi.h).
 */
#ifndef LB_CGI_H
#define LB_CGI_H

#include "fastcgi/fcgi.h"

/* Non-zero when started as a plain CGI program (no FastCGI socket on fd 0). */
int lb_cgi_detect(void);

/*
 * Serves exactly one request as a CGI program: the params from environ
 * (copied; environ is left as it is), the body from stdin, the response on
 * stdout.  srv->handler is called on this thread, and must call
 * lb_fcgi_respond before it returns (lb_fcgi_loop gives it NULL: it
 * blocks instead); srv->fd and srv->loop are not used.  Returns 0, or -1
 * when out of memory, stdout failed or no response came.
 */
int lb_cgi_serve(struct lb_fcgi_server *srv);

#endif /* LB_CGI_H */
