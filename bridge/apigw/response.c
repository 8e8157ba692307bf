/*
 * response.c - maps a function's output to the HTTP response API Gateway
 * sends (docs/apigw-facts.md section 3).  docs/responses.md gives the evidence
 * and the reason for every rule below.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "base/b64.h"
#include "base/json.h"
#include "base/scratch.h"
#include "apigw/media.h"
#include "apigw/response.h"

#define MALFORMED   "malformed Lambda proxy response: "
#define MAX_DEPTH   64   /* json_tokener nesting limit */
#define SLICE_MIN   4096 /* a result's longer strings are not copied */
#define MAX_HEADERS 1024 /* header lines one response may produce */
#define MAX_ACCEPT  256  /* longest first Accept media type considered */
#define DEFAULT_CT  "application/json"

/* A header line before validation; name and value are borrowed from json-c. */
struct hdr {
	const char *name;
	const char *value;
	size_t len;
};

struct hdrs {
	struct hdr *v;
	size_t n;
	size_t cap;
};

/* What a structured (non-inferred) response says, borrowed from json-c. */
struct shape {
	int status;
	const char *body; /* NULL: empty */
	size_t body_len;
	int b64;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Copies at most 40 bytes of a function-controlled name into buf for an
 * error message, with anything unprintable replaced, so that the log line
 * the caller writes cannot be split or forged by the function.
 */
static const char *
printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int
is_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * What json-c's strict mode accepts although it is not JSON: a single
 * quote ('single-quoted' strings) or the literals NaN, Infinity and
 * -Infinity (a function's NaN double is written so).  Outside strings, JSON
 * has no 'N' or 'I'.  Returns the reason, or NULL.
 */
static const char *
not_json(const char *s, size_t len)
{
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
		} else if (s[i] == '"') {
			in_str = 1;
		} else if (s[i] == '\'') {
			return "single-quoted string";
		} else if (s[i] == 'N' || s[i] == 'I') {
			return "NaN or Infinity";
		}
	}
	return NULL;
}

static void
tok_free(void *tok)
{
	json_tokener_free(tok);
}

static struct lb_scratch tok_slot = LB_SCRATCH_INIT(tok_free);

/*
 * The calling thread's tokener, reset (creating one costs more than
 * parsing a small result); freed when the thread exits.  NULL when out of
 * memory.
 */
static struct json_tokener *
thread_tokener(void)
{
	struct json_tokener *tok;

	tok = lb_scratch_get(&tok_slot);
	if (tok != NULL) {
		json_tokener_reset(tok);
		return tok;
	}
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (lb_scratch_set(&tok_slot, tok) != 0) {
		json_tokener_free(tok);
		return NULL;
	}
	return tok;
}

/*
 * Parses exactly `len` bytes of JSON (no terminating NUL needed) with a
 * depth limit; anything but whitespace after the value is an error.
 * Returns a new reference, or NULL with err set.  *is_null is set when the
 * text is the JSON literal null (json-c represents it as NULL too).
 */
static json_object *
parse(const char *s, size_t len, int *is_null, char *err, size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *obj;
	const char *why;
	size_t end;

	*is_null = 0;
	/* most results take the fast path; anything else is json-c's */
	obj = lb_json_parse_sliced(s, len, MAX_DEPTH, SLICE_MIN);
	if (obj != NULL)
		return obj;
	if ((why = not_json(s, len)) != NULL) {
		fail(err, errlen, MALFORMED "invalid JSON (%s)", why);
		return NULL;
	}
	tok = thread_tokener();
	if (tok == NULL) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* a bare number or literal ends only at a delimiter */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr != json_tokener_success) {
		fail(err, errlen, MALFORMED "invalid JSON (%s)",
		    jerr == json_tokener_error_depth
		        ? "nested deeper than 64 levels"
		        : json_tokener_error_desc(jerr));
		json_object_put(obj);
		return NULL;
	}
	for (; end < len; end++) {
		if (!is_json_ws(s[end])) {
			fail(err, errlen, MALFORMED "invalid JSON (%s)",
			    "trailing data after the value");
			json_object_put(obj);
			return NULL;
		}
	}
	if (obj == NULL)
		*is_null = 1;
	return obj;
}

/*
 * statusCode: an integer, an integral number ("200.0") or a string of
 * digits ("201"), in 200..599.  A 1xx is not a final response: API
 * Gateway cannot send one as the answer, and a web server given one sends
 * it as an interim response and then the body, which the client reads as
 * a second, unchecked response.
 */
static int
parse_status(json_object *v, int *status, char *err, size_t errlen)
{
	int64_t n = -1;

	switch (json_object_get_type(v)) {
	case json_type_int: n = json_object_get_int64(v); break;
	case json_type_double: {
		double d = json_object_get_double(v);

		if (!(d >= 0 && d < 1000) || (double)(int64_t)d != d)
			goto bad;
		n = (int64_t)d;
		break;
	}
	case json_type_string: {
		size_t len;
		const char *s = lb_json_str(v, &len);

		if (len == 0 || len > 9)
			goto bad;
		n = 0;
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				goto bad;
			n = n * 10 + (s[i] - '0');
		}
		break;
	}
	default: goto bad;
	}
	if (n >= 100 && n < 200)
		return fail(err, errlen,
		    MALFORMED "'statusCode' %lld is informational (1xx), not "
		              "a final response",
		    (long long)n);
	if (n < 200 || n > 599)
		return fail(err, errlen,
		    MALFORMED "'statusCode' %lld is not between 200 and 599",
		    (long long)n);
	*status = (int)n;
	return 0;
bad:
	return fail(
	    err, errlen, MALFORMED "'statusCode' is not a valid integer");
}

/*
 * A header value as a string: strings as they are, booleans stringified
 * ("true"), and on an HTTP API numbers too ("42", "1.5" as the function
 * wrote it); a REST API accepts only strings and booleans.  Returns 0, 1 for
 * null (the header is left out), -1 for anything else.
 */
static int
scalar(json_object *v, int rest, const char **s, size_t *len)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return 1;
	case json_type_string: *s = lb_json_str(v, len); return 0;
	case json_type_boolean:
		*s = json_object_get_boolean(v) ? "true" : "false";
		*len = strlen(*s);
		return 0;
	case json_type_int:
	case json_type_double:
		if (rest)
			return -1;
		/* the string belongs to v, which outlives the mapping */
		*s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		if (*s == NULL)
			return -1;
		*len = strlen(*s);
		return 0;
	default: return -1;
	}
}

static int
push(struct hdrs *h, size_t at, const char *name, const char *value, size_t len,
    char *err, size_t errlen)
{
	if (h->n >= MAX_HEADERS)
		return fail(err, errlen, MALFORMED "more than %d header lines",
		    MAX_HEADERS);
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct hdr *v = realloc(h->v, cap * sizeof(*v));

		if (v == NULL)
			return fail(err, errlen, "out of memory");
		h->v = v;
		h->cap = cap;
	}
	if (at < h->n)
		memmove(&h->v[at + 1], &h->v[at], (h->n - at) * sizeof(*h->v));
	h->v[at].name = name;
	h->v[at].value = value;
	h->v[at].len = len;
	h->n++;
	return 0;
}

/*
 * Adds a `headers` value after the multiValueHeaders values of the same
 * name (case-insensitive, under the casing already there), unless that
 * very name+value pair is already present (docs/apigw-facts.md section 3.2).
 */
static int
merge_single(struct hdrs *h, const char *name, const char *value, size_t len,
    char *err, size_t errlen)
{
	size_t last = SIZE_MAX;

	for (size_t i = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, name) != 0)
			continue;
		if (h->v[i].len == len &&
		    memcmp(h->v[i].value, value, len) == 0)
			return 0;
		last = i;
	}
	if (last == SIZE_MAX)
		return push(h, h->n, name, value, len, err, errlen);
	return push(h, last + 1, h->v[last].name, value, len, err, errlen);
}

/* Names the gateway renames, with their canonical spelling. */
static const char *const remapped[] = {
	"Connection", "Content-Length", "Date", "Server",
	"Status", /* would set the CGI status in the FastCGI layer */
};

/*
 * Validates every header line and moves it into resp: names must be HTTP
 * tokens, values free of control characters but tab (a function must never
 * be able to inject a header line, nor send bytes a client may take for
 * one); Connection, Content-Length, Date, Server and Status become
 * x-amzn-Remapped-<Name>, Transfer-Encoding is dropped.  Adds Content-Type:
 * application/json when the function set none.
 */
static int
emit_headers(const struct hdrs *h, struct lb_http_response *resp, char *err,
    size_t errlen)
{
	char buf[64], remap[32];
	int has_ct = 0;

	for (size_t i = 0; i < h->n; i++) {
		const char *name = h->v[i].name;
		const char *value = h->v[i].value;
		size_t len = h->v[i].len;
		size_t j;

		if (*name == '\0')
			return fail(err, errlen, MALFORMED "empty header name");
		for (j = 0; name[j] != '\0'; j++)
			if (!lb_http_is_tchar((unsigned char)name[j]))
				return fail(err, errlen,
				    MALFORMED
				    "header name '%s' is not an HTTP token",
				    printable(name, buf, sizeof(buf)));
		for (j = 0; j < len; j++)
			if (lb_http_is_value_ctl((unsigned char)value[j]))
				return fail(err, errlen,
				    MALFORMED "value of header '%s' contains "
				              "a control character",
				    printable(name, buf, sizeof(buf)));
		if (strcasecmp(name, "Transfer-Encoding") == 0)
			continue;
		for (j = 0; j < sizeof(remapped) / sizeof(*remapped); j++) {
			if (strcasecmp(name, remapped[j]) == 0) {
				snprintf(remap, sizeof(remap),
				    "x-amzn-Remapped-%s", remapped[j]);
				name = remap;
				break;
			}
		}
		if (strcasecmp(name, "Content-Type") == 0)
			has_ct = 1;
		if (lb_http_response_add_header(resp, name, value, len) < 0)
			return fail(err, errlen, "out of memory");
	}
	if (!has_ct &&
	    lb_http_response_add_header(
	        resp, "Content-Type", DEFAULT_CT, sizeof(DEFAULT_CT) - 1) < 0)
		return fail(err, errlen, "out of memory");
	return 0;
}

/* REST: does the first media type of Accept match binaryMediaTypes? */
static int
accept_is_binary(const struct lb_response_input *in)
{
	char first[MAX_ACCEPT];
	size_t n;

	if (in->accept == NULL || in->nbinary_media_types == 0)
		return 0;
	n = strcspn(in->accept, ",");
	if (n >= sizeof(first))
		return 0;
	memcpy(first, in->accept, n);
	first[n] = '\0';
	return lb_media_match(
	    first, in->binary_media_types, in->nbinary_media_types);
}

static int
is_b64_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Decodes a base64 body (line breaks tolerated) into a buffer resp takes.
 * Invalid base64 is an API configuration error on a REST API (500) and a
 * malformed response on an HTTP API.
 */
static int
set_b64_body(struct lb_http_response *resp, const char *s, size_t len, int rest,
    char *err, size_t errlen)
{
	char *out, *tmp = NULL;
	size_t slen = 0;
	long n;

	if (len == 0)
		return 0;
	out = malloc(len / 4 * 3 + 4);
	if (out == NULL)
		return fail(err, errlen, "out of memory");
	/* most bodies have no line breaks: those are looked for only when
	 * the decoder stops at something */
	n = lb_b64_decode(s, len, out);
	if (n < 0 &&
	    (memchr(s, '\n', len) != NULL || memchr(s, ' ', len) != NULL ||
	        memchr(s, '\r', len) != NULL || memchr(s, '\t', len) != NULL)) {
		tmp = malloc(len);
		if (tmp == NULL) {
			free(out);
			return fail(err, errlen, "out of memory");
		}
		for (size_t i = 0; i < len; i++)
			if (!is_b64_ws(s[i]))
				tmp[slen++] = s[i];
		n = lb_b64_decode(tmp, slen, out);
		free(tmp);
	}
	if (n < 0) {
		free(out);
		fail(err, errlen,
		    "%s'body' is not valid base64 although 'isBase64Encoded' "
		    "is true",
		    rest ? "API configuration error: " : MALFORMED);
		return rest ? LB_RESPONSE_ECONFIG : -1;
	}
	out[n] = '\0';
	lb_http_response_take_body(resp, out, (size_t)n);
	return 0;
}

static int
set_body(struct lb_http_response *resp, const struct shape *sh, int decode,
    int rest, char *err, size_t errlen)
{
	if (sh->body == NULL || sh->body_len == 0)
		return 0;
	if (decode)
		return set_b64_body(
		    resp, sh->body, sh->body_len, rest, err, errlen);
	if (lb_http_response_set_body(resp, sh->body, sh->body_len) < 0)
		return fail(err, errlen, "out of memory");
	return 0;
}

/* The common keys of the structured 1.0 and 2.0 shapes. */
static int
take_body(json_object *v, struct shape *sh, char *err, size_t errlen)
{
	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, MALFORMED "'body' is not a string");
	sh->body = lb_json_str(v, &sh->body_len);
	return 0;
}

static int
take_b64(json_object *v, struct shape *sh, char *err, size_t errlen)
{
	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(err, errlen,
		    MALFORMED "'isBase64Encoded' is not a boolean");
	sh->b64 = json_object_get_boolean(v);
	return 0;
}

static int
check_object_or_null(json_object *v, const char *key, char *err, size_t errlen)
{
	if (json_object_is_type(v, json_type_null) ||
	    json_object_is_type(v, json_type_object))
		return 0;
	return fail(err, errlen, MALFORMED "'%s' is not an object", key);
}

/*
 * Payload 1.0 (REST, and HTTP API routes with payload 1.0): docs/apigw-facts.md
 * sections 3.1 to 3.4.
 */
static int
map_v1(const struct lb_response_input *in, json_object *root,
    struct lb_http_response *resp, struct hdrs *h, char *err, size_t errlen)
{
	struct shape sh = { 200, NULL, 0, 0 };
	json_object *headers = NULL, *multi = NULL;
	int have_status = 0;
	char buf[64];

	if (!json_object_is_type(root, json_type_object))
		return fail(err, errlen, MALFORMED "not a JSON object");
	json_object_object_foreach(root, key, val)
	{
		if (strcmp(key, "statusCode") == 0) {
			if (json_object_is_type(val, json_type_null))
				continue;
			if (parse_status(val, &sh.status, err, errlen) < 0)
				return -1;
			have_status = 1;
		} else if (strcmp(key, "headers") == 0) {
			if (check_object_or_null(val, key, err, errlen) < 0)
				return -1;
			headers = val;
		} else if (strcmp(key, "multiValueHeaders") == 0) {
			if (check_object_or_null(val, key, err, errlen) < 0)
				return -1;
			multi = val;
		} else if (strcmp(key, "body") == 0) {
			if (take_body(val, &sh, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "isBase64Encoded") == 0) {
			if (take_b64(val, &sh, err, errlen) < 0)
				return -1;
		} else if (in->rest) {
			return fail(err, errlen, MALFORMED "unknown key '%s'",
			    printable(key, buf, sizeof(buf)));
		}
	}
	if (!in->rest && !have_status)
		return fail(err, errlen,
		    MALFORMED "'statusCode' is missing (an HTTP API requires "
		              "it)");

	if (multi != NULL && json_object_is_type(multi, json_type_object)) {
		json_object_object_foreach(multi, name, arr)
		{
			size_t n;

			if (json_object_is_type(arr, json_type_null))
				continue;
			if (!json_object_is_type(arr, json_type_array))
				return fail(err, errlen,
				    MALFORMED "'multiValueHeaders' value of "
				              "'%s' is not an array",
				    printable(name, buf, sizeof(buf)));
			n = json_object_array_length(arr);
			for (size_t i = 0; i < n; i++) {
				json_object *e =
				    json_object_array_get_idx(arr, i);
				const char *s = NULL;
				size_t len = 0;
				int r = scalar(e, in->rest, &s, &len);

				if (r < 0)
					return fail(err, errlen,
					    MALFORMED "'multiValueHeaders' "
					              "value of '%s' holds a "
					              "value of the wrong type",
					    printable(name, buf, sizeof(buf)));
				if (r == 0 &&
				    push(h, h->n, name, s, len, err, errlen) <
				        0)
					return -1;
			}
		}
	}
	if (headers != NULL && json_object_is_type(headers, json_type_object)) {
		json_object_object_foreach(headers, name, v)
		{
			const char *s = NULL;
			size_t len = 0;
			int r = scalar(v, in->rest, &s, &len);

			if (r < 0)
				return fail(err, errlen,
				    MALFORMED "value of header '%s' is not a "
				              "string",
				    printable(name, buf, sizeof(buf)));
			if (r == 0 &&
			    merge_single(h, name, s, len, err, errlen) < 0)
				return -1;
		}
	}

	resp->status = sh.status;
	if (emit_headers(h, resp, err, errlen) < 0)
		return -1;
	return set_body(resp, &sh,
	    sh.b64 && (!in->rest || accept_is_binary(in)), in->rest, err,
	    errlen);
}

/* Payload 2.0 with a statusCode: docs/apigw-facts.md section 3.5, structured
 * form. */
static int
map_v2_structured(json_object *root, struct lb_http_response *resp,
    struct hdrs *h, char *err, size_t errlen)
{
	struct shape sh = { 200, NULL, 0, 0 };
	json_object *headers = NULL, *cookies = NULL;
	char buf[64];

	json_object_object_foreach(root, key, val)
	{
		if (strcmp(key, "statusCode") == 0) {
			if (parse_status(val, &sh.status, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "headers") == 0) {
			if (check_object_or_null(val, key, err, errlen) < 0)
				return -1;
			headers = val;
		} else if (strcmp(key, "cookies") == 0) {
			if (!json_object_is_type(val, json_type_null) &&
			    !json_object_is_type(val, json_type_array))
				return fail(err, errlen,
				    MALFORMED "'cookies' is not an array");
			cookies = val;
		} else if (strcmp(key, "body") == 0) {
			if (take_body(val, &sh, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "isBase64Encoded") == 0) {
			if (take_b64(val, &sh, err, errlen) < 0)
				return -1;
		}
		/* anything else, multiValueHeaders included, is ignored */
	}

	if (cookies != NULL && json_object_is_type(cookies, json_type_array)) {
		size_t n = json_object_array_length(cookies);

		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(cookies, i);
			const char *c;
			size_t len;

			if (!json_object_is_type(e, json_type_string))
				return fail(err, errlen,
				    MALFORMED "'cookies' holds a non-string");
			c = lb_json_str(e, &len);
			if (push(h, h->n, "Set-Cookie", c, len, err, errlen) <
			    0)
				return -1;
		}
	}
	if (headers != NULL && json_object_is_type(headers, json_type_object)) {
		json_object_object_foreach(headers, name, v)
		{
			const char *s = NULL;
			size_t len = 0;
			int r = scalar(v, 0, &s, &len);

			if (r < 0)
				return fail(err, errlen,
				    MALFORMED "value of header '%s' is not a "
				              "string",
				    printable(name, buf, sizeof(buf)));
			if (r == 0 &&
			    push(h, h->n, name, s, len, err, errlen) < 0)
				return -1;
		}
	}

	resp->status = sh.status;
	if (emit_headers(h, resp, err, errlen) < 0)
		return -1;
	return set_body(resp, &sh, sh.b64, 0, err, errlen);
}

/*
 * Payload 2.0 without a statusCode: 200, application/json, and the body is
 * a JSON string's contents, or else the exact text the function produced
 * (trimmed of surrounding whitespace), never a re-serialisation.
 */
static int
map_v2_inferred(const struct lb_response_input *in, json_object *root,
    struct lb_http_response *resp, char *err, size_t errlen)
{
	const char *s = in->output;
	size_t len = in->output_len;

	resp->status = 200;
	if (lb_http_response_add_header(
	        resp, "Content-Type", DEFAULT_CT, sizeof(DEFAULT_CT) - 1) < 0)
		return fail(err, errlen, "out of memory");
	if (json_object_is_type(root, json_type_string)) {
		s = lb_json_str(root, &len);
	} else {
		while (len > 0 && is_json_ws(*s)) {
			s++;
			len--;
		}
		while (len > 0 && is_json_ws(s[len - 1]))
			len--;
	}
	if (len > 0 && lb_http_response_set_body(resp, s, len) < 0)
		return fail(err, errlen, "out of memory");
	return 0;
}

int
lb_response_map(const struct lb_response_input *in,
    struct lb_http_response *resp, char *err, size_t errlen)
{
	struct hdrs h = { NULL, 0, 0 };
	json_object *root = NULL;
	int rc = -1, is_null = 0;

	if (in->output_len > LB_RESPONSE_MAX) {
		fail(err, errlen,
		    "function response of %zu bytes exceeds the limit of %d "
		    "bytes",
		    in->output_len, LB_RESPONSE_MAX);
		goto out;
	}
	if (in->output == NULL) {
		fail(err, errlen, MALFORMED "no output");
		goto out;
	}
	root = parse(in->output, in->output_len, &is_null, err, errlen);
	if (root == NULL && !is_null)
		goto out;
	if (in->rest || in->payload_format != 2) {
		if (is_null) {
			fail(err, errlen, MALFORMED "not a JSON object");
			goto out;
		}
		rc = map_v1(in, root, resp, &h, err, errlen);
	} else if (root != NULL &&
	    json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "statusCode", NULL)) {
		rc = map_v2_structured(root, resp, &h, err, errlen);
	} else {
		rc = map_v2_inferred(in, root, resp, err, errlen);
	}
out:
	free(h.v);
	json_object_put(root);
	if (rc < 0)
		lb_http_response_clear(resp);
	return rc;
}
