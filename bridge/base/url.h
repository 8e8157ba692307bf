/*
 * url.h - percent-decoding, query string splitting and the UTF-8 checks the
 * event builder needs to put request bytes into JSON strings.  Pure: no I/O,
 * no globals, no allocation.
 */
#ifndef LB_URL_H
#define LB_URL_H

#include <stddef.h>

/* Flags of lb_url_decode and lb_url_query_next. */
#define LB_URL_PLUS      0x1 /* decode: '+' means a space (query strings) */
#define LB_URL_SEMICOLON 0x2 /* query: ';' separates pairs like '&' */
#define LB_URL_KEEP_NUL  0x4 /* decode: "%00" stays as is (C strings) */

/*
 * Percent-decodes `len` bytes of `src` into `dst` (room for `len` bytes; it
 * may be `src` itself).  "%XX" with two hex digits becomes one byte; a '%'
 * that does not start such a triplet ("%zz", a trailing "%4") is kept
 * literally, as are the bytes after it.  With LB_URL_PLUS, '+' becomes ' ';
 * with LB_URL_KEEP_NUL, "%00" is kept literally (the result has no NUL).
 * Never fails; returns the decoded length (not NUL-terminated).
 */
size_t lb_url_decode(const char *src, size_t len, char *dst, int flags);

/*
 * Does decoding `len` bytes of `s` change anything (a valid "%XX", or '+'
 * with LB_URL_PLUS)?  Lets callers skip a copy.
 */
int lb_url_needs_decode(const char *s, size_t len, int flags);

/* One raw (still encoded) pair of a query string; points into the query. */
struct lb_url_pair {
	const char *key;
	size_t key_len;
	const char *value; /* "" for a bare key ("flag") */
	size_t value_len;
	int has_value; /* 1 when the pair had a '=' */
};

/*
 * Iterates over the pairs of a raw query string: *cur starts at the query
 * (after the '?') and ends at `end`.  Pairs are separated by '&' (and ';'
 * with LB_URL_SEMICOLON); empty pairs ("a=1&&b=2") are skipped; the first
 * '=' splits key and value.  Returns 1 and fills *p, or 0 at the end.
 */
int lb_url_query_next(
    const char **cur, const char *end, int flags, struct lb_url_pair *p);

/*
 * Is `len` bytes of `s` well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF)?  NUL bytes are valid UTF-8.
 */
int lb_url_utf8_valid(const char *s, size_t len);

/*
 * Copies `len` bytes of `s` to `dst` (room for 3 * len bytes), replacing
 * every byte that is not part of a well-formed UTF-8 sequence with U+FFFD
 * (EF BF BD).  Returns the output length (not NUL-terminated).
 */
size_t lb_url_utf8_sanitize(const char *s, size_t len, char *dst);

#endif /* LB_URL_H */
