/*
 * http.h - the request and response as the gateway sees them, independent of
 * FastCGI.  conn.c and cgi.c fill struct lb_http_request (request.c) and
 * write struct lb_http_response back; everything between is pure.
 */
#ifndef LB_HTTP_H
#define LB_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* One FastCGI/CGI param, e.g. {"HTTP_X_FOO", "bar"}.  Borrowed. */
struct lb_param {
	const char *name;
	const char *value;
};

/*
 * A request as the web server handed it over.  Every pointer is borrowed
 * from the FastCGI layer and lives until the response has been written.
 * `params` holds every param in arrival order, duplicates included (nginx
 * 1.22 sends a repeated header as repeated HTTP_* params).
 */
struct lb_http_request {
	const char *method; /* REQUEST_METHOD, never NULL */
	const char *uri;    /* REQUEST_URI, raw; "" if absent */
	const struct lb_param *params;
	size_t nparams;
	const char *body; /* raw bytes, may contain NUL */
	size_t body_len;
};

/* One response header; name and value are owned by the response. */
struct lb_header {
	char *name;
	char *value;
};

/*
 * A response to write.  Owns its headers and body; release with
 * lb_http_response_clear().  `status` 0 means "not set".
 */
struct lb_http_response {
	int status;
	struct lb_header *headers;
	size_t nheaders;
	size_t cap_headers;
	char *body;
	size_t body_len;
	/* malloc'ed lines to log once the response is sent, or NULL */
	char *log;
};

/*
 * Non-zero when `c` (a byte as an unsigned char) may appear in an HTTP token,
 * a header name or a method (RFC 9110 tchar): ALPHA, DIGIT and
 * !#$%&'*+-.^_`|~.
 */
int lb_http_is_tchar(int c);

/*
 * Non-zero when `c` (a byte as an unsigned char) may not appear in a header
 * value: every control character but tab, and DEL.
 */
int lb_http_is_value_ctl(int c);

/* First value of param `name`, or NULL; the result is borrowed. */
const char *lb_http_param(const struct lb_http_request *req, const char *name);

/*
 * Appends a header, copying name and value (value_len bytes of value, or
 * strlen when value_len is (size_t)-1).  Returns 0, or -1 when out of memory.
 */
int lb_http_response_add_header(struct lb_http_response *resp, const char *name,
    const char *value, size_t value_len);

/* First header named `name` (ASCII case-insensitive), or NULL; borrowed. */
const char *lb_http_response_header(
    const struct lb_http_response *resp, const char *name);

/* Removes every header named `name` (case-insensitive). */
void lb_http_response_remove_header(
    struct lb_http_response *resp, const char *name);

/*
 * Replaces the body with a copy of `len` bytes of `body`.  Returns 0, or -1
 * when out of memory (the old body is kept).
 */
int lb_http_response_set_body(
    struct lb_http_response *resp, const char *body, size_t len);

/* Takes ownership of `body` (malloc'ed, `len` bytes), freeing the old one. */
void lb_http_response_take_body(
    struct lb_http_response *resp, char *body, size_t len);

/* Frees everything the response owns and zeroes it. */
void lb_http_response_clear(struct lb_http_response *resp);

/* The reason phrase of an HTTP status ("Not Found"), "Unknown" if none. */
const char *lb_http_reason(int status);

#endif /* LB_HTTP_H */
