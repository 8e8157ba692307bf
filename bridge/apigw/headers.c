/*
 * headers.c - request headers from CGI params, with the gateway's additions
 * and drops.  One allocation per list: entries, a name hash (used only while
 * collecting) and an arena for the rebuilt names and the joined
 * X-Forwarded-For value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apigw/headers.h"

/* Hop-by-hop and gateway-owned headers removed from every event. */
static const char *const drop_both[] = { "connection", "keep-alive",
	"proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
	NULL };
/* Also removed in payload 1.0 (docs/apigw-facts.md 1.2, LocalStack's list). */
static const char *const drop_v1[] = { "content-length", "content-md5",
	"expect", "max-forwards", "proxy-authenticate", "server",
	"www-authenticate", NULL };

/* Header names the gateway sets itself. */
enum special {
	SP_NONE,
	SP_DROP, /* ignore this param */
	SP_XFF,
	SP_XFPORT,
	SP_XFPROTO,
	SP_TRACE,
	SP_HOST,
};

static int
in_list(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* Does the CGI suffix ("X_FORWARDED_FOR") spell `lower` ("x-forwarded-for")? */
static int
cgi_is(const char *cgi, const char *lower)
{
	for (; *cgi != '\0' && *lower != '\0'; cgi++, lower++) {
		char c = *cgi == '_' ? '-' : *cgi;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *lower)
			return 0;
	}
	return *cgi == '\0' && *lower == '\0';
}

static uint32_t
hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* What pass 1 learns about the params. */
struct scan {
	size_t ct, cl; /* index of the first non-empty CONTENT_TYPE/LENGTH */
	const char *remote_addr, *server_port, *https, *scheme;
	size_t nheaders;  /* HTTP_* params */
	size_t name_size; /* bytes for their rebuilt names */
	size_t xff_size;  /* bytes for the joined X-Forwarded-For */
	int has_host;
	int has_http_cl; /* an HTTP_CONTENT_LENGTH param */
};

static const char *
nonempty(const char *v)
{
	return v != NULL && *v != '\0' ? v : NULL;
}

static void
scan_params(const struct lb_http_request *req, struct scan *s)
{
	memset(s, 0, sizeof(*s));
	s->ct = s->cl = LB_HEADERS_NONE;
	for (size_t i = 0; i < req->nparams; i++) {
		const char *n = req->params[i].name, *v = req->params[i].value;

		if (n == NULL || v == NULL)
			continue;
		if (strncmp(n, "HTTP_", 5) == 0 && n[5] != '\0') {
			s->nheaders++;
			s->name_size += strlen(n + 5) + 1;
			if (cgi_is(n + 5, "x-forwarded-for"))
				s->xff_size += strlen(v) + 2;
			else if (cgi_is(n + 5, "host"))
				s->has_host = 1;
			else if (cgi_is(n + 5, "content-length"))
				s->has_http_cl = 1;
		} else if (strcmp(n, "CONTENT_TYPE") == 0) {
			if (s->ct == LB_HEADERS_NONE && *v != '\0')
				s->ct = i;
		} else if (strcmp(n, "CONTENT_LENGTH") == 0) {
			if (s->cl == LB_HEADERS_NONE && *v != '\0')
				s->cl = i;
		} else if (strcmp(n, "REMOTE_ADDR") == 0) {
			if (s->remote_addr == NULL)
				s->remote_addr = nonempty(v);
		} else if (strcmp(n, "SERVER_PORT") == 0) {
			if (s->server_port == NULL)
				s->server_port = nonempty(v);
		} else if (strcmp(n, "HTTPS") == 0) {
			if (s->https == NULL)
				s->https = nonempty(v);
		} else if (strcmp(n, "REQUEST_SCHEME") == 0) {
			if (s->scheme == NULL)
				s->scheme = nonempty(v);
		}
	}
	if (s->remote_addr != NULL)
		s->xff_size += strlen(s->remote_addr);
	s->xff_size += 1;
}

static enum special
classify(const char *name, enum lb_headers_format format, const struct scan *s)
{
	switch (name[0]) {
	case 'c':
		if (strcmp(name, "content-type") == 0)
			return s->ct != LB_HEADERS_NONE ? SP_DROP : SP_NONE;
		if (strcmp(name, "content-length") == 0 &&
		    s->cl != LB_HEADERS_NONE)
			return SP_DROP;
		break;
	case 'h':
		if (strcmp(name, "host") == 0)
			return SP_HOST;
		break;
	case 'p':
		if (strcmp(name, "proxy") == 0) /* httpoxy */
			return SP_DROP;
		break;
	case 'x':
		if (strcmp(name, "x-forwarded-for") == 0)
			return SP_XFF;
		if (strcmp(name, "x-forwarded-port") == 0)
			return SP_XFPORT;
		if (strcmp(name, "x-forwarded-proto") == 0)
			return SP_XFPROTO;
		if (strcmp(name, "x-amzn-trace-id") == 0)
			return SP_TRACE;
		return SP_NONE;
	default: break;
	}
	if (in_list(name, drop_both) ||
	    (format == LB_HEADERS_V1 && in_list(name, drop_v1)))
		return SP_DROP;
	return SP_NONE;
}

static void
add(struct lb_headers *h, const char *name, size_t name_len, const char *value)
{
	struct lb_headers_entry *e = &h->v[h->n++];

	e->name = name;
	e->name_len = name_len;
	e->value = value;
	e->value_len = strlen(value);
	e->next = LB_HEADERS_NONE;
	e->last = h->n - 1;
	e->count = 1;
	e->first = 1;
}

/* Joins every client X-Forwarded-For from param `from` on, then REMOTE_ADDR. */
static char *
join_xff(const struct lb_http_request *req, size_t from, const struct scan *s,
    char *out)
{
	char *o = out;

	for (size_t i = from; i < req->nparams; i++) {
		const char *n = req->params[i].name, *v = req->params[i].value;
		size_t len;

		if (n == NULL || v == NULL || strncmp(n, "HTTP_", 5) != 0 ||
		    !cgi_is(n + 5, "x-forwarded-for"))
			continue;
		if (o != out) {
			memcpy(o, ", ", 2);
			o += 2;
		}
		len = strlen(v);
		memcpy(o, v, len);
		o += len;
	}
	if (s->remote_addr != NULL) {
		size_t len = strlen(s->remote_addr);

		if (o != out) {
			memcpy(o, ", ", 2);
			o += 2;
		}
		memcpy(o, s->remote_addr, len);
		o += len;
	}
	*o = '\0';
	return out;
}

/* Chains entries that share a name, using `table` (tsize slots, pow2). */
static void
link_names(struct lb_headers *h, size_t *table, size_t tsize)
{
	for (size_t t = 0; t < tsize; t++)
		table[t] = LB_HEADERS_NONE;
	for (size_t i = 0; i < h->n; i++) {
		struct lb_headers_entry *e = &h->v[i];
		size_t t = hash_name(e->name, e->name_len) & (tsize - 1);

		for (;;) {
			size_t j = table[t];

			if (j == LB_HEADERS_NONE) {
				table[t] = i;
				break;
			}
			if (h->v[j].name_len == e->name_len &&
			    memcmp(h->v[j].name, e->name, e->name_len) == 0) {
				struct lb_headers_entry *f = &h->v[j];

				h->v[f->last].next = i;
				f->last = i;
				f->count++;
				e->first = 0;
				break;
			}
			t = (t + 1) & (tsize - 1);
		}
	}
}

int
lb_headers_collect(struct lb_headers *h, const struct lb_http_request *req,
    enum lb_headers_format format, const char *trace_id, const char *host)
{
	struct scan s;
	size_t cap, tsize = 8, size;
	size_t *table;
	char *arena, *xffbuf, *xff, *clbuf;
	int seen_xff = 0, seen_port = 0, seen_proto = 0, seen_trace = 0;
	const char *proto;

	memset(h, 0, sizeof(*h));
	scan_params(req, &s);
	/* headers + content-type/length + up to 5 added by the gateway */
	cap = s.nheaders + 8;
	if (cap > SIZE_MAX / 4 / sizeof(struct lb_headers_entry) ||
	    s.name_size > SIZE_MAX / 4 || s.xff_size > SIZE_MAX / 4)
		return -1;
	while (tsize < cap * 2)
		tsize *= 2;
	size = cap * sizeof(struct lb_headers_entry) + tsize * sizeof(size_t) +
	    s.name_size + s.xff_size + 24;
	h->mem = malloc(size);
	if (h->mem == NULL)
		return -1;
	h->v = h->mem;
	table = (size_t *)(h->v + cap);
	arena = (char *)(table + tsize);
	xffbuf = arena + s.name_size;
	clbuf = xffbuf + s.xff_size;

	if (s.https != NULL && strcasecmp(s.https, "on") == 0)
		proto = "https";
	else if (s.scheme != NULL)
		proto = s.scheme;
	else
		proto = "http";

	for (size_t i = 0; i < req->nparams; i++) {
		const char *n = req->params[i].name, *v = req->params[i].value;
		size_t len;
		char *name;

		if (n == NULL || v == NULL)
			continue;
		if (i == s.ct) {
			add(h, "content-type", 12, v);
			continue;
		}
		if (i == s.cl) {
			if (format != LB_HEADERS_V1)
				add(h, "content-length", 14, v);
			continue;
		}
		if (strncmp(n, "HTTP_", 5) != 0 || n[5] == '\0')
			continue;
		name = arena;
		for (len = 0; n[5 + len] != '\0'; len++) {
			char c = n[5 + len];

			if (c == '_')
				c = '-';
			else if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			name[len] = c;
		}
		name[len] = '\0';
		/* a REST API drops a Signature Version 4 Authorization (API
		 * Gateway consumed it; docs/events.md) */
		if (format == LB_HEADERS_V1 && name[0] == 'a' &&
		    strcmp(name, "authorization") == 0 &&
		    strncmp(v, "AWS4-HMAC-SHA256 ", 17) == 0)
			continue;
		switch (classify(name, format, &s)) {
		case SP_DROP: continue;
		case SP_XFF:
			if (!seen_xff) {
				seen_xff = 1;
				xff = join_xff(req, i, &s, xffbuf);
				add(h, "x-forwarded-for", 15, xff);
			}
			continue;
		case SP_XFPORT:
			if (!seen_port && s.server_port != NULL)
				add(h, "x-forwarded-port", 16, s.server_port);
			seen_port = 1;
			continue;
		case SP_XFPROTO:
			if (!seen_proto)
				add(h, "x-forwarded-proto", 17, proto);
			seen_proto = 1;
			continue;
		case SP_TRACE:
			if (!seen_trace) {
				if (strstr(v, "Root=") != NULL)
					add(h, "x-amzn-trace-id", 15, v);
				else if (trace_id != NULL)
					add(h, "x-amzn-trace-id", 15, trace_id);
			}
			seen_trace = 1;
			continue;
		case SP_HOST:
		case SP_NONE: break;
		}
		arena += len + 1;
		add(h, name, len, v);
	}
	if (!s.has_host && host != NULL)
		add(h, "host", 4, host);
	if (!seen_trace && trace_id != NULL)
		add(h, "x-amzn-trace-id", 15, trace_id);
	if (!seen_xff && s.remote_addr != NULL) {
		xff = join_xff(req, req->nparams, &s, xffbuf);
		add(h, "x-forwarded-for", 15, xff);
	}
	if (!seen_port && s.server_port != NULL)
		add(h, "x-forwarded-port", 16, s.server_port);
	if (!seen_proto)
		add(h, "x-forwarded-proto", 17, proto);
	/* the HTTP API always reports a length, "0" on a body-less GET */
	if (format == LB_HEADERS_V2 && s.cl == LB_HEADERS_NONE &&
	    !s.has_http_cl) {
		snprintf(
		    clbuf, 24, "%zu", req->body != NULL ? req->body_len : 0);
		add(h, "content-length", 14, clbuf);
	}
	link_names(h, table, tsize);
	return 0;
}

size_t
lb_headers_find(const struct lb_headers *h, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].name_len == len &&
		    memcmp(h->v[i].name, name, len) == 0)
			return i;
	return LB_HEADERS_NONE;
}

void
lb_headers_title_case(const char *name, size_t len, char *out)
{
	size_t i = 0;

	if (len == 3 && memcmp(name, "dnt", 3) == 0) {
		memcpy(out, "DNT", 4);
		return;
	}
	if (len >= 11 && memcmp(name, "cloudfront-", 11) == 0) {
		memcpy(out, "CloudFront-", 11);
		i = 11;
	}
	for (; i < len; i++) {
		char c = name[i];

		if ((i == 0 || name[i - 1] == '-') && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		out[i] = c;
	}
	out[len] = '\0';
}

void
lb_headers_free(struct lb_headers *h)
{
	free(h->mem);
	memset(h, 0, sizeof(*h));
}
