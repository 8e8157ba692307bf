/*
 * json.h - a fast path for the JSON the bridge itself moves: the events it
 * sends and the results it reads back, parsed into and written from json-c
 * objects.
 *
 * json-c's tokener walks its input a byte at a time through a state machine
 * and switches the thread's locale on every call; for a 100 KB body that
 * is most of a request's CPU.  lb_json_parse handles the common subset of
 * JSON (objects, arrays, strings, 64-bit integers, literals) several times
 * faster and builds the very same json-c objects.  Whenever the input is
 * anything else (a fraction or exponent, an integer out of int64 range, a
 * lone surrogate, invalid UTF-8, a NUL in a key, an error, too deep) it
 * declines, and the caller parses the text with json-c as before, so
 * results and error messages are json-c's in every case.
 */
#ifndef LB_JSON_H
#define LB_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <json-c/json.h>

/*
 * Parses s[0..len), which must be one JSON value with nothing but
 * whitespace around it, with at most `max_depth` levels of nesting.
 * Returns a new reference, or NULL when the caller must use json-c instead
 * (also for a top-level null).
 */
json_object *lb_json_parse(const char *s, size_t len, int max_depth);

/*
 * lb_json_parse, but a string of `slice_min` bytes or more with nothing to
 * unescape is not copied: its node is a json-c string that is empty to
 * json-c's getters, with a custom serializer (which writes it) whose
 * userdata is a struct lb_json_slice pointing into s.  Such a tree must
 * not outlive s; read its strings with lb_json_str.  For a large body in a
 * function's result, read once and dropped.
 */
json_object *lb_json_parse_sliced(
    const char *s, size_t len, int max_depth, size_t slice_min);

struct lb_json_slice {
	const char *p;
	size_t len;
};

/*
 * A string node's bytes (not NUL-terminated when sliced) and *len: the
 * slice of a node lb_json_parse_sliced made, else json-c's string.
 */
const char *lb_json_str(json_object *o, size_t *len);

/*
 * lb_json_parse, reusing the tree `prev` (one that lb_json_parse or this
 * function returned, and that nobody else holds a reference to): where the
 * new text has the same keys in the same order and values of the same
 * types, objects, arrays, strings and booleans are updated in place, and
 * only what differs is built anew.  A worker's events differ from one
 * request to the next in little but their strings, so this saves most of
 * the allocations and frees of a parse.  The result equals
 * lb_json_parse(s, len, max_depth) in content and key order.  `prev` is
 * consumed (reused or freed) whatever the outcome; NULL means the same as
 * from lb_json_parse.
 */
json_object *lb_json_reparse(
    json_object *prev, const char *s, size_t len, int max_depth);

/*
 * Writes `o` as json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE) would, into a malloc'ed NUL-terminated
 * buffer (*len without the NUL), escaping long strings a run at a time.
 * Doubles and nodes with userdata (json_object_new_double_s, custom
 * serializers set with json_object_set_serializer and their userdata) are
 * written by json-c itself; a custom serializer without userdata is not
 * seen.  NULL with errno EDOM when a double (one without userdata) is NaN
 * or infinite: json-c would write NaN or Infinity, which are not JSON.
 * NULL with errno ENOMEM when out of memory.
 */
char *lb_json_serialize(json_object *o, size_t *len);

/*
 * A growing output buffer for JSON text, shared with the event writer.
 * Start from { 0 }; a failed allocation sets oom and later calls do
 * nothing.
 */
struct lb_jbuf {
	char *buf;
	size_t len, cap;
	int oom;
	int nonfinite; /* a NaN or infinite double was met */
	/* lb_json_serialize_to only: strings left where they lie */
	struct lb_jslice *slices; /* LB_JBUF_SLICES_MAX of them, or NULL */
	size_t nslices;
	size_t slice_min; /* 0: no slices */
	size_t sliced;    /* their bytes, all told */
};

/* A string's content between buf[0..at) and buf[at..len), not copied. */
struct lb_jslice {
	size_t at;
	const char *p;
	size_t len;
};

/* At most this many slices: more strings are copied. */
#define LB_JBUF_SLICES_MAX 16

/*
 * lb_json_serialize into b, which the caller keeps (reset here, its
 * buffer reused): strings of b->slice_min bytes or more with nothing to
 * escape are not copied but noted in b->slices, to be sent from where
 * they lie (lb_jbuf_iov) while o lives.  0, or -1 with errno EDOM or
 * ENOMEM as lb_json_serialize; the text is then b->len + b->sliced bytes.
 */
int lb_json_serialize_to(struct lb_jbuf *b, json_object *o);

/*
 * The text of b in order as iov[0..return value), at most
 * 2 * LB_JBUF_SLICES_MAX + 1 entries.
 */
int lb_jbuf_iov(const struct lb_jbuf *b, struct iovec *iov);

void lb_jbuf_put(struct lb_jbuf *b, const char *s, size_t n);

/* s[0..n) as a quoted JSON string, escaped as json-c escapes it. */
void lb_jbuf_string(struct lb_jbuf *b, const char *s, size_t n);

void lb_jbuf_i64(struct lb_jbuf *b, int64_t v);

/* s[0..n) in base64, as a quoted JSON string (base64 needs no escapes). */
void lb_jbuf_b64(struct lb_jbuf *b, const void *s, size_t n);

/* NUL-terminates and returns the text (the caller frees it), or NULL
 * (buffer freed, errno ENOMEM) when an allocation failed. */
char *lb_jbuf_finish(struct lb_jbuf *b, size_t *len);

/*
 * For the tests: caps the scan of long strings at `cap` (0: 16 bytes a
 * step, 1: AVX2, 2: AVX-512 BW; -1 the best this CPU has) and, but for
 * -1, takes the wide steps from 128 bytes on instead of 4 KB.  Returns
 * the level in use.
 */
int lb_json_simd_cap(int cap);

#endif /* LB_JSON_H */
