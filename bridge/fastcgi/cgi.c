/*
 * cgi.c - plain CGI (see cgi.h): one request from the environment and
 * stdin, its response on stdout.  The only user of libfcgi left:
 * FCGX_IsCGI tells a CGI start from a FastCGI one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fastcgi/cgi.h"
#include "fastcgi/fcgi_int.h"
#include "base/log.h"

extern char **environ;

int
lb_cgi_detect(void)
{
	return FCGX_IsCGI();
}

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
			if (fcgii_reserve(c, &c->body, &c->body_cap,
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
lb_cgi_serve(struct lb_fcgi_server *srv)
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
		    fcgii_add_param(&c, name, name + (eq - *e) + 1) < 0) {
			free(name);
			goto out;
		}
		name[eq - *e] = '\0';
	}
	fcgii_check_length(&c);
	if (cgi_read_body(&c) < 0)
		goto out;
	fcgii_request_fill(&c);
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
