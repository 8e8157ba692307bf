/*
 * headers.h - the request headers as API Gateway hands them to a function,
 * rebuilt from CGI params (docs/apigw-facts.md sections 1.2 and 2.2,
 * docs/fastcgi-facts.md 2.3, docs/design.md section 2).  Pure: no I/O, no
 * globals.
 */
#ifndef LB_HEADERS_H
#define LB_HEADERS_H

#include <stddef.h>

#include "fastcgi/http.h"

#define LB_HEADERS_NONE ((size_t)-1)

/* The header rules to apply: which headers the payload format drops. */
enum lb_headers_format {
	LB_HEADERS_V1 = 1, /* REST API: drops content-length, hop-by-hop */
	LB_HEADERS_V2 = 2, /* HTTP API (both payloads): keeps content-length */
};

/*
 * One header.  `name` is lowercase with '-' (the CGI name "HTTP_X_FOO" is
 * "x-foo"); name and value are NUL-terminated and borrowed from the request
 * params, the `lb_headers_collect` arguments, or the list's own memory.
 * Entries sharing a name are chained in arrival order: the first one has
 * `first` set and knows the `count` and the `last` of its chain.
 */
struct lb_headers_entry {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	size_t next;  /* next entry with this name, or LB_HEADERS_NONE */
	size_t last;  /* on a first entry: the last entry with this name */
	size_t count; /* on a first entry: entries with this name */
	int first;
};

/* A header list; owns its memory (one allocation). */
struct lb_headers {
	struct lb_headers_entry *v;
	size_t n;
	void *mem;
};

/*
 * Collects the headers of `req` (borrowed; it must outlive the list) in
 * arrival order, duplicates kept:
 * - every HTTP_* param becomes a header (HTTP_PROXY is ignored: httpoxy);
 * - CONTENT_TYPE / CONTENT_LENGTH become content-type / content-length when
 *   non-empty, and nginx's copies HTTP_CONTENT_TYPE / HTTP_CONTENT_LENGTH are
 *   then ignored (they are used only when the CGI param is absent or empty);
 * - the gateway's headers replace the client's at the position of the
 *   client's first one, or are appended: x-forwarded-for (the client's
 *   values joined with ", ", then REMOTE_ADDR), x-forwarded-port
 *   (SERVER_PORT), x-forwarded-proto (HTTPS=on -> https, else
 *   REQUEST_SCHEME, else http), x-amzn-trace-id (the client's value when it
 *   carries a "Root=", else `trace_id`); `host` (borrowed, may be NULL) is
 *   appended when the request has no Host header;
 * - `format` drops what that payload format drops (see docs/events.md;
 *   LB_HEADERS_V1 also an Authorization that carries a Signature Version 4
 *   signature, "AWS4-HMAC-SHA256 Credential=...");
 *   with LB_HEADERS_V2, a request without any Content-Length gets
 *   content-length: <body_len> ("0" without a body), as the HTTP API does.
 * Returns 0, or -1 when out of memory (h is then empty).
 */
int lb_headers_collect(struct lb_headers *h, const struct lb_http_request *req,
    enum lb_headers_format format, const char *trace_id, const char *host);

/* Index of the first entry named `name` (lowercase), or LB_HEADERS_NONE. */
size_t lb_headers_find(const struct lb_headers *h, const char *name);

/*
 * Writes the canonical Title-Case form of the lowercase header name `name`
 * (`len` bytes) to out[len + 1]: each '-'-separated word starts upper case
 * ("x-forwarded-for" -> "X-Forwarded-For"), with AWS's spellings for a few
 * names ("dnt" -> "DNT", "cloudfront-*" -> "CloudFront-*").
 */
void lb_headers_title_case(const char *name, size_t len, char *out);

/* Frees what the list owns and empties it; an empty list is fine. */
void lb_headers_free(struct lb_headers *h);

#endif /* LB_HEADERS_H */
