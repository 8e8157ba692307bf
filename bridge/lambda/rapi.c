/*
 * rapi.c - the Lambda Runtime API as HTTP/1.1 bytes (rapi.h): requests
 * parsed with libhttp-parser one at a time per connection (the parser is
 * paused at the end of each, so pipelined requests wait their turn),
 * routing, and the responses Lambda gives.  No I/O.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "lambda/rapi.h"

#define PREFIX     "/2018-06-01/runtime/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* Depth cap for a runtime's error JSON. */
#define ERROR_MAX_DEPTH 64

/* c->toobig: the body is read to its end and dropped, or the request
 * stops after its headers */
#define TOOBIG_DROP 1
#define TOOBIG_STOP 2

static const char error_type_header[] = "Lambda-Runtime-Function-Error-Type";

static struct lb_rapi_conn *
conn_of(http_parser *p)
{
	return p->data;
}

static int
on_message_begin(http_parser *p)
{
	struct lb_rapi_conn *c = conn_of(p);

	free(c->req.body);
	memset(&c->req, 0, sizeof(c->req));
	c->hdr_state = 0;
	c->hdr_name_len = 0;
	c->expect_len = 0;
	return 0;
}

/*
 * Appends a piece of a callback's text to buf[cap + 1] (*len long, kept
 * NUL-terminated); what does not fit is cut.  Returns 1 when it was.
 */
static int
put_piece(char *buf, size_t *len, size_t cap, const char *at, size_t n)
{
	int cut = n > cap - *len;

	if (cut)
		n = cap - *len;
	memcpy(buf + *len, at, n);
	*len += n;
	buf[*len] = '\0';
	return cut;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct lb_rapi_request *r = &conn_of(p)->req;

	if (put_piece(r->url, &r->url_len, LB_RAPI_URL_MAX, at, len))
		r->url_cut = 1;
	return 0;
}

/* hdr_state: 0 = reading a name, then for its value 1 = the error type
 * header, 2 = Expect, 3 = another header. */
static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct lb_rapi_conn *c = conn_of(p);

	if (c->hdr_state != 0) {
		c->hdr_state = 0;
		c->hdr_name_len = 0;
	}
	/* a name longer than the buffer is no name we look for */
	if (put_piece(c->hdr_name, &c->hdr_name_len, sizeof(c->hdr_name) - 1,
	        at, len))
		c->hdr_name[0] = '\0';
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct lb_rapi_conn *c = conn_of(p);
	struct lb_rapi_request *r = &c->req;

	if (c->hdr_state == 0) {
		c->hdr_state = 3;
		if (strcasecmp(c->hdr_name, error_type_header) == 0) {
			c->hdr_state = 1;
			r->error_type[0] = '\0';
			r->error_type_len = 0;
		} else if (strcasecmp(c->hdr_name, "Expect") == 0) {
			c->hdr_state = 2;
			c->expect_len = 0;
		}
	}
	if (c->hdr_state == 2)
		put_piece(
		    c->expect, &c->expect_len, sizeof(c->expect) - 1, at, len);
	if (c->hdr_state != 1)
		return 0;
	put_piece(
	    r->error_type, &r->error_type_len, LB_RAPI_VALUE_MAX, at, len);
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct lb_rapi_conn *c = conn_of(p);
	struct lb_rapi_request *r = &c->req;

	r->method = (int)p->method;
	r->headers_done = 1;
	r->expect =
	    c->expect_len > 0 && strcasecmp(c->expect, "100-continue") == 0;
	if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX) {
		r->content_length = p->content_length;
		if (p->content_length > c->body_max) {
			/* with Expect the body never comes: stop here */
			c->toobig = r->expect ? TOOBIG_STOP : TOOBIG_DROP;
			if (r->expect) {
				http_parser_pause(p, 1);
				return 0;
			}
		}
	}
	if (r->expect) {
		c->cont = 1;
		http_parser_pause(p, 1);
	}
	return 0;
}

/* Makes room for `need` bytes of body and its NUL; 0 or -1. */
static int
body_room(struct lb_rapi_conn *c, size_t need)
{
	struct lb_rapi_request *r = &c->req;
	size_t cap = r->body_cap > 0 ? r->body_cap : 1024;
	char *nb;

	if (need + 1 <= r->body_cap)
		return 0;
	/* an announced length is allocated at once */
	if (r->content_length > 0 && r->content_length < c->body_max)
		cap = (size_t)r->content_length + 1;
	while (cap < need + 1)
		cap *= 2;
	if (cap > c->body_max + 1)
		cap = c->body_max + 1;
	nb = realloc(r->body, cap);
	if (nb == NULL)
		return -1;
	r->body = nb;
	r->body_cap = cap;
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct lb_rapi_conn *c = conn_of(p);

	c->req.body_total += len;
	if (c->toobig)
		return 0;
	if (len > c->body_max - c->req.body_len) {
		/* read on to the end, keeping nothing */
		c->toobig = TOOBIG_DROP;
		free(c->req.body);
		c->req.body = NULL;
		c->req.body_len = c->req.body_cap = 0;
		return 0;
	}
	if (body_room(c, c->req.body_len + len) < 0)
		return -1;
	memcpy(c->req.body + c->req.body_len, at, len);
	c->req.body_len += len;
	c->req.body[c->req.body_len] = '\0';
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct lb_rapi_conn *c = conn_of(p);

	if (!c->req.headers_done)
		return -1;
	c->req.keep_alive = http_should_keep_alive(p);
	c->done = 1;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
lb_rapi_conn_init(struct lb_rapi_conn *c, size_t body_max)
{
	memset(c, 0, sizeof(*c));
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->body_max = body_max;
}

void
lb_rapi_conn_free(struct lb_rapi_conn *c)
{
	free(c->req.body);
	c->req.body = NULL;
	c->req.body_len = c->req.body_cap = 0;
}

int
lb_rapi_feed(struct lb_rapi_conn *c, const char *data, size_t len, size_t *used)
{
	enum http_errno err;
	size_t n;

	*used = 0;
	if (c->cont) {
		c->cont = 0;
		http_parser_pause(&c->parser, 0);
	}
	if (c->done)
		return c->toobig ? LB_RAPI_TOOBIG : LB_RAPI_REQUEST;
	if (c->toobig == TOOBIG_STOP)
		return LB_RAPI_TOOBIG;
	if (len == 0)
		return LB_RAPI_AGAIN;
	n = http_parser_execute(&c->parser, &settings, data, len);
	err = HTTP_PARSER_ERRNO(&c->parser);
	*used = n;
	if (c->parser.upgrade)
		return LB_RAPI_BAD;
	if (c->done)
		return c->toobig ? LB_RAPI_TOOBIG : LB_RAPI_REQUEST;
	if (c->toobig == TOOBIG_STOP)
		return LB_RAPI_TOOBIG;
	if (c->cont)
		return LB_RAPI_CONTINUE;
	if (err != HPE_OK || c->parser.upgrade || n != len)
		return LB_RAPI_BAD;
	return LB_RAPI_AGAIN;
}

void
lb_rapi_next(struct lb_rapi_conn *c)
{
	free(c->req.body);
	memset(&c->req, 0, sizeof(c->req));
	c->done = 0;
	c->cont = 0;
	c->toobig = 0;
	http_parser_pause(&c->parser, 0);
}

/* Whether path[0..len) is `s`. */
static int
is(const char *path, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(path, s, len) == 0;
}

enum lb_rapi_route
lb_rapi_route(
    int method, const char *url, size_t len, const char **id, size_t *id_len)
{
	const char *q = memchr(url, '?', len), *p, *slash, *end;
	enum lb_rapi_route r;
	int want = HTTP_POST;

	*id = NULL;
	*id_len = 0;
	if (q != NULL)
		len = (size_t)(q - url);
	if (len < PREFIX_LEN || memcmp(url, PREFIX, PREFIX_LEN) != 0)
		return LB_RAPI_NOT_FOUND;
	p = url + PREFIX_LEN;
	end = url + len;
	if (is(p, (size_t)(end - p), "invocation/next")) {
		r = LB_RAPI_NEXT;
		want = HTTP_GET;
	} else if (is(p, (size_t)(end - p), "init/error")) {
		r = LB_RAPI_INIT_ERROR;
	} else {
		if ((size_t)(end - p) <= 11 || memcmp(p, "invocation/", 11))
			return LB_RAPI_NOT_FOUND;
		p += 11;
		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL || slash == p)
			return LB_RAPI_NOT_FOUND;
		if (is(slash, (size_t)(end - slash), "/response"))
			r = LB_RAPI_RESPONSE;
		else if (is(slash, (size_t)(end - slash), "/error"))
			r = LB_RAPI_ERROR;
		else
			return LB_RAPI_NOT_FOUND;
		*id = p;
		*id_len = (size_t)(slash - p);
	}
	if (method != want)
		return want == HTTP_GET ? LB_RAPI_WANTS_GET
		                        : LB_RAPI_WANTS_POST;
	return r;
}

/* ---- responses ---------------------------------------------------------- */

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Entity Too Large";
	default: return "Internal Server Error";
	}
}

/* Makes room for `need` more bytes after o->len; 0 or -1. */
static int
out_reserve(struct lb_rapi_out *o, size_t need)
{
	size_t cap = o->cap > 0 ? o->cap : 512;
	char *nb;

	if (o->len + need <= o->cap)
		return 0;
	while (cap < o->len + need)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (nb == NULL)
		return -1;
	o->buf = nb;
	o->cap = cap;
	return 0;
}

/* Appends s[0..len), cut at the first CR or LF when `line`. */
static void
out_put(struct lb_rapi_out *o, const char *s, size_t len, int line)
{
	const char *cr;

	if (line && (cr = strpbrk(s, "\r\n")) != NULL && (size_t)(cr - s) < len)
		len = (size_t)(cr - s);
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

int
lb_rapi_respond(struct lb_rapi_out *o, int status, const char *ctype,
    const struct lb_rapi_header *h, size_t nh, const char *body,
    size_t body_len, int close)
{
	char line[96];
	size_t need = 256 + body_len;
	int n;

	if (ctype != NULL)
		need += strlen(ctype);
	for (size_t i = 0; i < nh; i++)
		need += strlen(h[i].name) + strlen(h[i].value) + 4;
	if (out_reserve(o, need) < 0)
		return -1;
	n = snprintf(
	    line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, reason(status));
	out_put(o, line, (size_t)n, 0);
	if (ctype != NULL) {
		out_put(o, "Content-Type: ", 14, 0);
		out_put(o, ctype, strlen(ctype), 1);
		out_put(o, "\r\n", 2, 0);
	}
	for (size_t i = 0; i < nh; i++) {
		out_put(o, h[i].name, strlen(h[i].name), 1);
		out_put(o, ": ", 2, 0);
		out_put(o, h[i].value, strlen(h[i].value), 1);
		out_put(o, "\r\n", 2, 0);
	}
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n%s\r\n",
	    body_len, close ? "Connection: close\r\n" : "");
	out_put(o, line, (size_t)n, 0);
	if (body_len > 0)
		out_put(o, body, body_len, 0);
	return 0;
}

/* The answers of lb_rapi_respond_status, by condition: RIE's (chi and
 * net/http's for the paths it does not serve), docs/runtime-api.md. */
static const struct {
	int status;
	const char *ctype;
	struct lb_rapi_header h; /* one more header, or { NULL } */
	const char *body;
} answers[LB_RAPI_ST_COUNT] = {
	[LB_RAPI_ST_ACCEPTED] = { 202, "application/json", { NULL, NULL },
	    "{\"status\":\"OK\"}\n" },
	[LB_RAPI_ST_BAD_ID] = { 400, "application/json", { NULL, NULL },
	    "{\"errorMessage\":\"Invalid request ID\","
	    "\"errorType\":\"InvalidRequestID\"}\n" },
	[LB_RAPI_ST_TOO_LARGE] = { 413, "application/json", { NULL, NULL },
	    "{\"errorMessage\":\"Exceeded maximum allowed payload size "
	    "(6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}\n" },
	[LB_RAPI_ST_NOT_FOUND] = { 404, "text/plain; charset=utf-8",
	    { "X-Content-Type-Options", "nosniff" }, "404 page not found\n" },
	[LB_RAPI_ST_WANTS_GET] = { 405, NULL, { "Allow", "GET" }, "" },
	[LB_RAPI_ST_WANTS_POST] = { 405, NULL, { "Allow", "POST" }, "" },
	[LB_RAPI_ST_BAD_REQUEST] = { 400, "text/plain; charset=utf-8",
	    { NULL, NULL }, "400 Bad Request" },
};

int
lb_rapi_respond_status(struct lb_rapi_out *o, int what, int close)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (what == LB_RAPI_ST_CONTINUE) {
		if (out_reserve(o, sizeof(cont) - 1) < 0)
			return -1;
		out_put(o, cont, sizeof(cont) - 1, 0);
		return 0;
	}
	if (what < 0 || what >= LB_RAPI_ST_COUNT)
		what = LB_RAPI_ST_BAD_REQUEST;
	return lb_rapi_respond(o, answers[what].status, answers[what].ctype,
	    &answers[what].h, answers[what].h.name != NULL ? 1 : 0,
	    answers[what].body, strlen(answers[what].body), close);
}

int
lb_rapi_respond_state(
    struct lb_rapi_out *o, const char *from, const char *to, int close)
{
	char body[512];
	int n = snprintf(body, sizeof(body),
	    "{\"errorMessage\":\"State transition from %s to %s failed for "
	    "runtime. Error: State transition is not allowed\","
	    "\"errorType\":\"InvalidStateTransition\"}\n",
	    from, to);

	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	return lb_rapi_respond(
	    o, 403, "application/json", NULL, 0, body, (size_t)n, close);
}

/* Whether s holds "Runtime." or "Function." then [A-Z][a-zA-Z]+. */
static int
has_lambda_type(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		const char *q;

		if (strncmp(p, "Runtime.", 8) == 0)
			q = p + 8;
		else if (strncmp(p, "Function.", 9) == 0)
			q = p + 9;
		else
			continue;
		if (q[0] >= 'A' && q[0] <= 'Z' &&
		    ((q[1] >= 'a' && q[1] <= 'z') ||
		        (q[1] >= 'A' && q[1] <= 'Z')))
			return 1;
	}
	return 0;
}

const char *
lb_rapi_error_type(const char *header)
{
	if (header == NULL || header[0] == '\0')
		return "Runtime.Unknown";
	if (has_lambda_type(header))
		return header;
	if (strncmp(header, "Function.", 9) == 0)
		return "Function.Unknown";
	return "Runtime.Unknown";
}

void
lb_rapi_out_consumed(struct lb_rapi_out *o, size_t n)
{
	o->off += n;
	if (o->off < o->len)
		return;
	o->off = o->len = 0;
	/* an event of megabytes is not kept around while idle */
	if (o->cap > 65536) {
		free(o->buf);
		o->buf = NULL;
		o->cap = 0;
	}
}

void
lb_rapi_out_free(struct lb_rapi_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

/* ---- error bodies -------------------------------------------------------- */

char *
lb_rapi_error_body(
    const char *body, size_t body_len, const char *header_type, size_t *len)
{
	json_tokener *tok = json_tokener_new_ex(ERROR_MAX_DEPTH);
	json_object *obj = NULL, *v;
	const char *text;
	char *res = NULL;

	if (tok == NULL)
		return NULL;
	if (body != NULL && body_len > 0 && body_len < INT_MAX) {
		obj = json_tokener_parse_ex(tok, body, (int)body_len);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != body_len ||
		    !json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			obj = NULL;
		}
	}
	if (obj == NULL) {
		obj = json_object_new_object();
		if (obj == NULL ||
		    json_object_object_add(obj, "errorMessage",
		        json_object_new_string_len(body != NULL ? body : "",
		            body != NULL ? (int)body_len : 0)) < 0)
			goto done;
	}
	if ((!json_object_object_get_ex(obj, "errorType", &v) ||
	        !json_object_is_type(v, json_type_string) ||
	        json_object_get_string_len(v) == 0) &&
	    json_object_object_add(obj, "errorType",
	        json_object_new_string(lb_rapi_error_type(header_type))) < 0)
		goto done;
	text = json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
	if (text != NULL)
		res = strdup(text);
done:
	json_object_put(obj);
	json_tokener_free(tok);
	return res;
}
