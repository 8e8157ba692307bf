/* fcgi.c - STUB */
#include <stdio.h>

#include "fcgi.h"

int
lb_fcgi_listen(const char *addr, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot listen on '%s'", addr ? addr : "fd 0");
	return -1;
}

int
lb_fcgi_is_cgi(void)
{
	return 0;
}

int
lb_fcgi_start(struct lb_fcgi_server *srv)
{
	(void)srv;
	return -1;
}

void
lb_fcgi_stop(struct lb_fcgi_server *srv)
{
	(void)srv;
}

int
lb_fcgi_serve_cgi(struct lb_fcgi_server *srv)
{
	(void)srv;
	return -1;
}
