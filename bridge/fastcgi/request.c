/*
 * request.c - a request's buffers, each counted against its connection and
 * the server (gateway.max_buffered), and the struct lb_http_request and
 * response head made from them.  Shared by the connections (conn.c) and
 * plain CGI (cgi.c).
 */
#include <stdlib.h>
#include <string.h>

#include "fastcgi/fcgi_int.h"
#include "base/fmt.h"

#define KEEP_BUFFER (32 * 1024) /* larger buffers are freed after use */

void
fcgii_held(struct lb_fcgi_req *c, size_t from, size_t to)
{
	c->held += to - from;
	if (c->st != NULL)
		__atomic_add_fetch(
		    &c->st->buffered, to - from, __ATOMIC_RELAXED);
}

/* Doubles from 4 KB, so that a growing buffer is copied O(log n) times. */
int
fcgii_reserve(struct lb_fcgi_req *c, char **buf, size_t *cap, size_t need)
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
	fcgii_held(c, *cap, n);
	*buf = b;
	*cap = n;
	return 0;
}

void
fcgii_drop(struct lb_fcgi_req *c, char **buf, size_t *cap)
{
	free(*buf);
	fcgii_held(c, *cap, 0);
	*buf = NULL;
	*cap = 0;
}

void
fcgii_shrink(struct lb_fcgi_req *c, char **buf, size_t *cap)
{
	if (*cap > KEEP_BUFFER)
		fcgii_drop(c, buf, cap);
}

static const char *
find_param(const struct lb_param *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

int
fcgii_add_param(struct lb_fcgi_req *c, const char *name, const char *value)
{
	if (c->nparams == c->cap_params) {
		size_t n = c->cap_params ? c->cap_params * 2 : 64;
		struct lb_param *p = realloc(c->params, n * sizeof(*p));

		if (p == NULL)
			return -1;
		fcgii_held(c, c->cap_params * sizeof(*p), n * sizeof(*p));
		c->params = p;
		c->cap_params = n;
	}
	c->params[c->nparams].name = name;
	c->params[c->nparams].value = value;
	c->nparams++;
	return 0;
}

void
fcgii_request_fill(struct lb_fcgi_req *c)
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

void
fcgii_check_length(struct lb_fcgi_req *c)
{
	const char *clen = find_param(c->params, c->nparams, "CONTENT_LENGTH");
	unsigned long long n;

	if (clen == NULL || *clen == '\0')
		return;
	n = strtoull(clen, NULL, 10);
	if (n > c->max_body)
		c->too_large = 1;
	else if (n > 0)
		(void)fcgii_reserve(c, &c->body, &c->body_cap, (size_t)n + 1);
}

/*
 * Formats the CGI response head ("Status: 200 OK" and the headers) into
 * c->head.  Header values are written verbatim: response.c has already
 * rejected control characters.  A status outside 200..599 (unset, or a 1xx
 * the web server would send as an interim response followed by the body)
 * becomes 500.  Returns its length, or -1.
 */
long
fcgii_format_head(struct lb_fcgi_req *c, const struct lb_http_response *resp)
{
	char **buf = &c->head;
	size_t need = 96;
	int status =
	    resp->status >= 200 && resp->status <= 599 ? resp->status : 500;
	struct lb_fmt f;

	for (size_t i = 0; i < resp->nheaders; i++)
		need += strlen(resp->headers[i].name) +
		    strlen(resp->headers[i].value) + 4;
	if (fcgii_reserve(c, buf, &c->head_cap, need) < 0)
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
