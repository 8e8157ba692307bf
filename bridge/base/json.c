/*
 * json.c - the fast path for the bridge's own JSON (see json.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
#define JSON_X86 1
#include <immintrin.h>
#endif
#include <json-c/printbuf.h>

#include "base/b64.h"
#include "base/fmt.h"
#include "base/json.h"
#include "base/url.h"

/* ---- runs of plain string bytes ------------------------------------------ */

/* eight bytes at a time */

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t
load8(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Non-zero when a byte of v is below n (n <= 128). */
static uint64_t
has_less(uint64_t v, unsigned n)
{
	return (v - ONES * n) & ~v & HIGHS;
}

/* Non-zero when a byte of v equals b. */
static uint64_t
has_byte(uint64_t v, unsigned b)
{
	return has_less(v ^ (ONES * b), 1);
}

/* Non-zero when a byte of v must be escaped in a JSON string. */
static uint64_t
needs_escape8(uint64_t v)
{
	return has_less(v, 0x20) | has_byte(v, '"') | has_byte(v, '\\');
}

#ifdef JSON_X86
/*
 * Long runs (bodies) go 64 or 32 bytes a step where the CPU has AVX-512 BW
 * or AVX2 (chosen at run time, for runs of WIDE_MIN bytes or more).  run64
 * and run32 return where they stopped: at the first byte that ends the run,
 * or where less than a whole vector is left; they set *h as plain_run's
 * h below.
 */
static int wide_level, wide_cpu; /* 0 none, 1 AVX2, 2 AVX-512 BW */
/*
 * From this length only: the first wide instructions after a while cost
 * a core a warm-up (its upper vector lanes powered up), which a short
 * string does not repay.  lb_json_simd_cap lowers it for the tests.
 */
#define WIDE_MIN 4096
static size_t wide_min = WIDE_MIN;

__attribute__((constructor)) static void
json_cpu(void)
{
	__builtin_cpu_init();
	wide_level = __builtin_cpu_supports("avx512f") &&
	        __builtin_cpu_supports("avx512bw")
	    ? 2
	    : __builtin_cpu_supports("avx2") ? 1
	                                     : 0;
	wide_cpu = wide_level;
}

__attribute__((target("avx512f,avx512bw"))) static size_t
run64(const unsigned char *s, size_t n, uint64_t *h)
{
	const __m512i quote = _mm512_set1_epi8('"'),
	              bslash = _mm512_set1_epi8('\\'),
	              space = _mm512_set1_epi8(0x20);
	size_t i = 0;

	for (; n - i >= 64; i += 64) {
		__m512i v = _mm512_loadu_si512((const void *)(s + i));
		uint64_t stop = _mm512_cmpeq_epi8_mask(v, quote) |
		    _mm512_cmpeq_epi8_mask(v, bslash) |
		    _mm512_cmplt_epu8_mask(v, space);
		uint64_t high = _mm512_movepi8_mask(v);

		if (stop != 0) {
			unsigned k = (unsigned)__builtin_ctzll(stop);

			*h |= high & ((1ULL << k) - 1);
			return i + k;
		}
		*h |= high;
	}
	return i;
}

__attribute__((target("avx2"))) static size_t
run32(const unsigned char *s, size_t n, uint64_t *h)
{
	const __m256i quote = _mm256_set1_epi8('"'),
	              bslash = _mm256_set1_epi8('\\'),
	              space = _mm256_set1_epi8(0x20);
	size_t i = 0;

	for (; n - i >= 32; i += 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
		/* signed: bytes above 0x7f are "less than" a space too */
		unsigned high = (unsigned)_mm256_movemask_epi8(v);
		unsigned stop = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
		                    _mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
		                        _mm256_cmpeq_epi8(v, bslash)),
		                    _mm256_cmpgt_epi8(space, v))) &
		    ~high;

		if (stop != 0) {
			unsigned k = (unsigned)__builtin_ctz(stop);

			*h |= high & ((1ULL << k) - 1);
			return i + k;
		}
		*h |= high;
	}
	return i;
}
#endif

/*
 * The length of the run at s (at most n bytes) that a JSON string carries
 * as is: it ends before the first '"', '\\' or control character.  Sets
 * 0x80 in *hi when the run has a byte above 0x7f.  Bodies make these runs
 * long: 64 or 32 bytes a step where the CPU can (above), else sixteen
 * where SSE2 is (every x86-64), then eight.
 */
static size_t
plain_run(const unsigned char *s, size_t n, unsigned *hi)
{
	size_t i = 0;
	uint64_t h = 0;

#ifdef JSON_X86
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	              space = _mm_set1_epi8(0x20);

	if (n >= wide_min && wide_level > 0) {
		i = wide_level == 2 ? run64(s, n, &h) : run32(s, n, &h);
		if (i < n && (s[i] < 0x20 || s[i] == '"' || s[i] == '\\'))
			goto out; /* stopped at a byte, not at the end */
	}
	for (; n - i >= 16; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* signed: bytes above 0x7f are "less than" a space too */
		unsigned high = (unsigned)_mm_movemask_epi8(v);
		unsigned stop = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		                    _mm_or_si128(_mm_cmpeq_epi8(v, quote),
		                        _mm_cmpeq_epi8(v, bslash)),
		                    _mm_cmplt_epi8(v, space))) &
		    ~high;

		if (stop != 0) {
			unsigned k = (unsigned)__builtin_ctz(stop);

			h |= high & ((1u << k) - 1);
			i += k;
			goto out;
		}
		h |= high;
	}
#endif
	/* what is left: eight bytes a step (short strings end here) */
	for (; n - i >= 8 && !needs_escape8(load8(s + i)); i += 8)
		h |= load8(s + i) & HIGHS;
	for (; i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\'; i++)
		h |= s[i] & 0x80;
#ifdef JSON_X86
out:
#endif
	if (h != 0)
		*hi |= 0x80;
	return i;
}

/* ---- parsing ----------------------------------------------------------- */

struct jp {
	const unsigned char *p, *end;
	int depth, max_depth;
	size_t slice_min; /* lb_json_parse_sliced's; 0: copy every string */
	char *scratch;    /* unescaped strings and NUL-terminated keys */
	size_t cap;
};

static void
skip_ws(struct jp *j)
{
	while (j->p < j->end &&
	    (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static char *
scratch(struct jp *j, size_t n)
{
	char *s;

	if (n <= j->cap)
		return j->scratch;
	if (n < 256)
		n = 256;
	s = realloc(j->scratch, n);
	if (s == NULL)
		return NULL;
	j->scratch = s;
	j->cap = n;
	return s;
}

static int
hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | c;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string; j->p is past the opening quote.  Sets *out (into the input
 * when there is nothing to unescape, else into the scratch buffer) and
 * *len.  -1 declines.
 */
static int
string(struct jp *j, const char **out, size_t *len)
{
	const unsigned char *s = j->p, *q;
	unsigned hi = 0;
	char *d;
	size_t n = 0;

	q = s + plain_run(s, (size_t)(j->end - s), &hi);
	if (q < j->end && *q == '"') {
		if ((hi & 0x80) &&
		    !lb_url_utf8_valid((const char *)s, (size_t)(q - s)))
			return -1;
		*out = (const char *)s;
		*len = (size_t)(q - s);
		j->p = q + 1;
		return 0;
	}
	/* escapes: never longer unescaped than escaped */
	d = scratch(j, (size_t)(j->end - s) + 1);
	if (d == NULL)
		return -1;
	n = (size_t)(q - s);
	memcpy(d, s, n);
	for (const unsigned char *c = q;;) {
		const unsigned char *run = c;
		unsigned cp, lo;

		run += plain_run(run, (size_t)(j->end - run), &hi);
		if (run > c) {
			memcpy(d + n, c, (size_t)(run - c));
			n += (size_t)(run - c);
			c = run;
		}
		if (c >= j->end || *c < 0x20)
			return -1;
		if (*c == '"') {
			j->p = c + 1;
			break;
		}
		if (c + 1 >= j->end)
			return -1;
		switch (c[1]) {
		case '"': d[n++] = '"'; break;
		case '\\': d[n++] = '\\'; break;
		case '/': d[n++] = '/'; break;
		case 'b': d[n++] = '\b'; break;
		case 'f': d[n++] = '\f'; break;
		case 'n': d[n++] = '\n'; break;
		case 'r': d[n++] = '\r'; break;
		case 't': d[n++] = '\t'; break;
		case 'u':
			if (j->end - c < 6 || hex4(c + 2, &cp) < 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1; /* lone low surrogate: json-c's call */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - c < 12 || c[6] != '\\' ||
				    c[7] != 'u' || hex4(c + 8, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				c += 6;
			}
			/* 6 escaped bytes become at most 4 */
			n += put_utf8(d + n, cp);
			c += 6;
			continue;
		default: return -1;
		}
		c += 2;
	}
	if ((hi & 0x80) && !lb_url_utf8_valid(d, n))
		return -1;
	*out = d;
	*len = n;
	return 0;
}

static int value(struct jp *j, json_object **out);

static void
slice_free(json_object *o, void *userdata)
{
	(void)o;
	free(userdata);
}

/* Writes a sliced string as json-c writes a string: the slice has nothing
 * to escape but '/', which json-c escapes unless told not to. */
static int
slice_write(json_object *o, struct printbuf *pb, int level, int flags)
{
	const struct lb_json_slice *sl = json_object_get_userdata(o);
	const char *p = sl->p, *end = sl->p + sl->len, *q;

	(void)level;
	printbuf_memappend(pb, "\"", 1);
	while (!(flags & JSON_C_TO_STRING_NOSLASHESCAPE) &&
	    (q = memchr(p, '/', (size_t)(end - p))) != NULL) {
		printbuf_memappend(pb, p, (int)(q - p));
		printbuf_memappend(pb, "\\/", 2);
		p = q + 1;
	}
	printbuf_memappend(pb, p, (int)(end - p));
	printbuf_memappend(pb, "\"", 1);
	return 0;
}

/* A string node for s[0..n) of the input: sliced when it is long. */
static json_object *
string_node(struct jp *j, const char *s, size_t n)
{
	struct lb_json_slice *sl;
	json_object *o;

	if (j->slice_min == 0 || n < j->slice_min || s == j->scratch)
		return json_object_new_string_len(s, (int)n);
	sl = malloc(sizeof(*sl));
	o = sl != NULL ? json_object_new_string_len("", 0) : NULL;
	if (o == NULL) {
		free(sl);
		return NULL;
	}
	sl->p = s;
	sl->len = n;
	json_object_set_serializer(o, slice_write, sl, slice_free);
	return o;
}

const char *
lb_json_str(json_object *o, size_t *len)
{
	const struct lb_json_slice *sl = json_object_get_userdata(o);

	if (sl != NULL && json_object_is_type(o, json_type_string)) {
		*len = sl->len;
		return sl->p;
	}
	*len = (size_t)json_object_get_string_len(o);
	return json_object_get_string(o);
}

static int
number(struct jp *j, json_object **out)
{
	const unsigned char *p = j->p;
	int neg = 0;
	uint64_t v = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= j->end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0' && p + 1 < j->end && p[1] >= '0' && p[1] <= '9')
		return -1;
	for (; p < j->end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	/* fractions and exponents are json-c's (it keeps their text) */
	if (p < j->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return -1;
	if (p < j->end &&
	    !(*p == ',' || *p == ']' || *p == '}' || *p == ' ' || *p == '\n' ||
	        *p == '\r' || *p == '\t'))
		return -1;
	/* out of int64 range, or "-0" (a double to json-c): json-c's */
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg || (neg && v == 0))
		return -1;
	*out = json_object_new_int64(neg ? (int64_t)(0 - v) : (int64_t)v);
	if (*out == NULL)
		return -1;
	j->p = p;
	return 0;
}

static int
literal(struct jp *j, const char *word, json_object **out, int b)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	if (b < 0) {
		*out = NULL;
		return 0;
	}
	*out = json_object_new_boolean(b);
	return *out == NULL ? -1 : 0;
}

/*
 * A key (j->p at its opening quote) into *k, *klen: -1 when there is none,
 * or for a NUL in it, which json-c's C-string keys cannot hold.
 */
static int
key(struct jp *j, const char **k, size_t *klen)
{
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	return string(j, k, klen) < 0 || memchr(*k, '\0', *klen) != NULL ? -1
	                                                                 : 0;
}

/* The ':' after a key (whitespace around it skipped by value()): 0 or -1. */
static int
colon(struct jp *j)
{
	skip_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return -1;
	j->p++;
	return 0;
}

/*
 * The rest of a member whose key k[0..klen) was read: the colon and the
 * value, added to o.  json-c copies the key; a repeated key replaces the
 * value.
 */
static int
member(struct jp *j, json_object *o, const char *k, size_t klen)
{
	char kbuf[256], *copy;
	json_object *v;
	int rc = -1;

	/* a NUL-terminated copy (the value may reuse the scratch) */
	copy = klen < sizeof(kbuf) ? kbuf : malloc(klen + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, k, klen);
	copy[klen] = '\0';
	if (colon(j) == 0 && value(j, &v) == 0) {
		rc = json_object_object_add(o, copy, v);
		if (rc != 0)
			json_object_put(v);
	}
	if (copy != kbuf)
		free(copy);
	return rc;
}

/*
 * Past the '{' or '[' at j->p: 1 when the container is empty (its `close`
 * skipped too), else 0.
 */
static int
open_empty(struct jp *j, char close)
{
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 1;
	}
	return 0;
}

/*
 * After a member or element: 1 for ',' (skipped), 0 for `close` (skipped),
 * else -1.
 */
static int
item_end(struct jp *j, char close)
{
	skip_ws(j);
	if (j->p < j->end && *j->p == ',') {
		j->p++;
		skip_ws(j);
		return 1;
	}
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	return -1;
}

static int
object(struct jp *j, json_object **out)
{
	json_object *o = json_object_new_object();
	int more;

	if (o == NULL)
		return -1;
	more = !open_empty(j, '}');
	while (more > 0) {
		const char *k;
		size_t klen;

		if (key(j, &k, &klen) < 0 || member(j, o, k, klen) < 0)
			break;
		more = item_end(j, '}');
	}
	if (more == 0) {
		*out = o;
		return 0;
	}
	json_object_put(o);
	return -1;
}

static int
array(struct jp *j, json_object **out)
{
	json_object *a = json_object_new_array();
	int more;

	if (a == NULL)
		return -1;
	more = !open_empty(j, ']');
	while (more > 0) {
		json_object *v;

		if (value(j, &v) < 0)
			break;
		if (json_object_array_add(a, v) != 0) {
			json_object_put(v);
			break;
		}
		more = item_end(j, ']');
	}
	if (more == 0) {
		*out = a;
		return 0;
	}
	json_object_put(a);
	return -1;
}

static int object_into(struct jp *j, json_object *o);
static int array_into(struct jp *j, json_object *a);

/*
 * Parses the object or array at j->p (into `old` when it is not NULL) one
 * level deeper.  json-c's own limit decides at the edge: -1 declines.
 */
static int
nested(struct jp *j, json_object *old, json_object **out)
{
	int rc;

	if (j->depth + 2 >= j->max_depth)
		return -1;
	j->depth++;
	if (old == NULL)
		rc = *j->p == '{' ? object(j, out) : array(j, out);
	else
		rc = *j->p == '{' ? object_into(j, old) : array_into(j, old);
	j->depth--;
	if (old != NULL)
		*out = old;
	return rc;
}

/* One value; JSON null is *out == NULL.  -1 declines. */
static int
value(struct jp *j, json_object **out)
{
	const char *s;
	size_t n;

	skip_ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
	case '[': return nested(j, NULL, out);
	case '"':
		j->p++;
		if (string(j, &s, &n) < 0 || n > INT32_MAX)
			return -1;
		*out = string_node(j, s, n);
		return *out == NULL ? -1 : 0;
	case 't': return literal(j, "true", out, 1);
	case 'f': return literal(j, "false", out, 0);
	case 'n': return literal(j, "null", out, -1);
	default: return number(j, out);
	}
}

json_object *
lb_json_parse(const char *s, size_t len, int max_depth)
{
	return lb_json_parse_sliced(s, len, max_depth, 0);
}

json_object *
lb_json_parse_sliced(const char *s, size_t len, int max_depth, size_t slice_min)
{
	struct jp j = { .p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.max_depth = max_depth,
		.slice_min = slice_min };
	json_object *o = NULL;
	int rc = value(&j, &o);

	free(j.scratch);
	if (rc == 0)
		skip_ws(&j);
	/* only a whole document; trailing data is json-c's to report */
	if (rc < 0 || o == NULL || j.p != j.end) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- parsing into an old tree ------------------------------------------ */

static int value_into(struct jp *j, json_object *old, json_object **out);

/* Whether the NUL-terminated key `a` is k[0..klen). */
static int
key_is(const char *a, const char *k, size_t klen)
{
	return strncmp(a, k, klen) == 0 && a[klen] == '\0';
}

/* Deletes e and the entries after it from object o. */
static void
trim_entries(json_object *o, struct lh_entry *e)
{
	while (e != NULL) {
		struct lh_entry *next = lh_entry_next(e);

		json_object_object_del(o, (const char *)lh_entry_k(e));
		e = next;
	}
}

/*
 * An object's members into the old object o (j->p at '{'): members are
 * updated in place while their keys come in the old order; from the first
 * key that differs, the old members left are deleted and the rest added
 * anew, as object() would.
 */
static int
object_into(struct jp *j, json_object *o)
{
	struct lh_entry *e = lh_table_head(json_object_get_object(o));
	int more = !open_empty(j, '}');

	while (more > 0) {
		const char *k;
		size_t klen;
		json_object *v, *nv;

		if (key(j, &k, &klen) < 0)
			return -1;
		if (e != NULL && key_is((const char *)lh_entry_k(e), k, klen)) {
			v = (json_object *)lh_entry_v(e);
			if (colon(j) < 0 || value_into(j, v, &nv) < 0)
				return -1;
			if (nv != v) {
				json_object_put(v);
				lh_entry_set_val(e, nv);
			}
			e = lh_entry_next(e);
		} else {
			trim_entries(o, e);
			e = NULL;
			if (member(j, o, k, klen) < 0)
				return -1;
		}
		more = item_end(j, '}');
	}
	if (more < 0)
		return -1;
	trim_entries(o, e);
	return 0;
}

/* An array's elements into the old array a (j->p at '['). */
static int
array_into(struct jp *j, json_object *a)
{
	size_t n = 0, had = json_object_array_length(a);
	int more = !open_empty(j, ']');

	while (more > 0) {
		json_object *v =
		    n < had ? json_object_array_get_idx(a, n) : NULL;
		json_object *nv;

		if (value_into(j, v, &nv) < 0)
			return -1;
		if (n >= had) {
			if (json_object_array_add(a, nv) != 0) {
				json_object_put(nv);
				return -1;
			}
		} else if (nv != v) {
			/* puts the old element */
			json_object_array_put_idx(a, n, nv);
		}
		n++;
		more = item_end(j, ']');
	}
	if (more < 0)
		return -1;
	if (n < had && json_object_array_del_idx(a, n, had - n) != 0)
		return -1;
	return 0;
}

/*
 * One value into `old` (may be NULL): *out is old, updated in place, when
 * the text has old's type (and old has no userdata, i.e. no custom
 * serializer), else a new value that the caller puts in old's place.  On
 * failure old may be half updated but stays its container's.
 */
static int
value_into(struct jp *j, json_object *old, json_object **out)
{
	enum json_type t = json_object_get_type(old);
	const char *s;
	size_t n;
	int rc;

	skip_ws(j);
	if (j->p >= j->end)
		return -1;
	if (old == NULL || json_object_get_userdata(old) != NULL)
		return value(j, out);
	switch (*j->p) {
	case '{':
	case '[':
		if (t != (*j->p == '{' ? json_type_object : json_type_array))
			break;
		return nested(j, old, out);
	case '"':
		if (t != json_type_string)
			break;
		j->p++;
		if (string(j, &s, &n) < 0 || n > INT32_MAX)
			return -1;
		/*
		 * json-c 0.16 frees a string's separate buffer when it is set
		 * to "" and then writes into it: a new object for "" instead.
		 */
		if (n == 0) {
			*out = json_object_new_string_len("", 0);
			return *out == NULL ? -1 : 0;
		}
		if (!json_object_set_string_len(old, s, (int)n))
			return -1;
		*out = old;
		return 0;
	case 't':
	case 'f':
		if (t != json_type_boolean)
			break;
		rc = *j->p == 't';
		n = rc ? 4 : 5;
		if ((size_t)(j->end - j->p) < n ||
		    memcmp(j->p, rc ? "true" : "false", n) != 0)
			return -1;
		j->p += n;
		json_object_set_boolean(old, rc);
		*out = old;
		return 0;
	default: break;
	}
	return value(j, out);
}

json_object *
lb_json_reparse(json_object *prev, const char *s, size_t len, int max_depth)
{
	struct jp j = { .p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.max_depth = max_depth };
	json_object *o = NULL;
	int rc;

	if (prev == NULL)
		return lb_json_parse(s, len, max_depth);
	rc = value_into(&j, prev, &o);
	free(j.scratch);
	if (rc == 0)
		skip_ws(&j);
	if (o != prev) /* new, or NULL */
		json_object_put(prev);
	if (rc < 0 || o == NULL || j.p != j.end) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- serialising ------------------------------------------------------- */

static int
sb_grow(struct lb_jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (b->oom)
		return -1;
	while (cap - b->len < n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	if (cap == b->cap)
		return 0;
	p = realloc(b->buf, cap);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->buf = p;
	b->cap = cap;
	return 0;
}

void
lb_jbuf_put(struct lb_jbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n + 1 && sb_grow(b, n) < 0)
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

/* lb_jbuf_string, when s[0..plain) is known to need no escapes. */
static void
jbuf_string(struct lb_jbuf *b, const char *s, size_t n, size_t plain)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	char *d;

	/* room for the plain case at once; escapes reserve their own */
	if (b->cap - b->len < n + 3 && sb_grow(b, n + 2) < 0)
		return;
	d = b->buf + b->len;
	*d++ = '"';
	for (;;) {
		size_t start = i;
		unsigned char c;

		unsigned hi = 0;

		if (plain > i)
			i = plain; /* the run the caller scanned */
		else
			i +=
			    plain_run((const unsigned char *)s + i, n - i, &hi);
		memcpy(d, s + start, i - start);
		d += i - start;
		if (i == n)
			break;
		/* an escape: up to 6 bytes for 1, plus the closing quote */
		b->len = (size_t)(d - b->buf);
		if (b->cap - b->len < (n - i) + 8 &&
		    sb_grow(b, (n - i) + 7) < 0)
			return;
		d = b->buf + b->len;
		c = (unsigned char)s[i++];
		*d++ = '\\';
		switch (c) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '\b': *d++ = 'b'; break;
		case '\f': *d++ = 'f'; break;
		case '\n': *d++ = 'n'; break;
		case '\r': *d++ = 'r'; break;
		case '\t': *d++ = 't'; break;
		default:
			memcpy(d, "u00", 3);
			d[3] = hex[c >> 4];
			d[4] = hex[c & 15];
			d += 5;
		}
	}
	*d++ = '"';
	b->len = (size_t)(d - b->buf);
}

/* As json-c escapes with JSON_C_TO_STRING_NOSLASHESCAPE. */
void
lb_jbuf_string(struct lb_jbuf *b, const char *s, size_t n)
{
	jbuf_string(b, s, n, 0);
}

static void
sb_value(struct lb_jbuf *b, json_object *o)
{
	int first = 1;

	/* a custom serializer keeps its data there: json-c writes the node */
	if (o != NULL && json_object_get_userdata(o) != NULL)
		goto json_c;
	switch (json_object_get_type(o)) {
	case json_type_null: lb_jbuf_put(b, "null", 4); return;
	case json_type_boolean:
		if (json_object_get_boolean(o))
			lb_jbuf_put(b, "true", 4);
		else
			lb_jbuf_put(b, "false", 5);
		return;
	case json_type_int: {
		int64_t v = json_object_get_int64(o);

		if (v == INT64_MAX)
			break; /* maybe a larger uint64: json-c's */
		lb_jbuf_i64(b, v);
		return;
	}
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t n = (size_t)json_object_get_string_len(o), plain = 0;
		unsigned hi = 0;

		if (b->slice_min > 0 && n >= b->slice_min &&
		    b->nslices < LB_JBUF_SLICES_MAX &&
		    (plain = plain_run((const unsigned char *)s, n, &hi)) ==
		        n) {
			struct lb_jslice *sl;

			if (b->slices == NULL &&
			    (b->slices = malloc(LB_JBUF_SLICES_MAX *
			         sizeof(*b->slices))) == NULL) {
				b->oom = 1;
				return;
			}
			lb_jbuf_put(b, "\"", 1);
			sl = &b->slices[b->nslices++];
			sl->at = b->len;
			sl->p = s;
			sl->len = n;
			b->sliced += n;
			lb_jbuf_put(b, "\"", 1);
			return;
		}
		jbuf_string(b, s, n, plain);
		return;
	}
	case json_type_object:
		lb_jbuf_put(b, "{", 1);
		json_object_object_foreach(o, k, v)
		{
			if (!first)
				lb_jbuf_put(b, ",", 1);
			first = 0;
			lb_jbuf_string(b, k, strlen(k));
			lb_jbuf_put(b, ":", 1);
			sb_value(b, v);
		}
		lb_jbuf_put(b, "}", 1);
		return;
	case json_type_array: {
		size_t n = json_object_array_length(o);

		lb_jbuf_put(b, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				lb_jbuf_put(b, ",", 1);
			sb_value(b, json_object_array_get_idx(o, i));
		}
		lb_jbuf_put(b, "]", 1);
		return;
	}
	case json_type_double:
		if (!isfinite(json_object_get_double(o)))
			b->nonfinite = 1;
		break;
	}
json_c:
	/* doubles and custom serializers as json-c writes them */
	{
		size_t n;
		const char *s = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &n);

		if (s == NULL)
			b->oom = 1;
		else
			lb_jbuf_put(b, s, n);
	}
}

void
lb_jbuf_b64(struct lb_jbuf *b, const void *s, size_t n)
{
	size_t need = lb_b64_encoded_size(n) + 2;

	if (need < n || (b->cap - b->len < need + 1 && sb_grow(b, need) < 0))
		return;
	b->buf[b->len++] = '"';
	b->len += lb_b64_encode(s, n, b->buf + b->len);
	b->buf[b->len++] = '"';
}

void
lb_jbuf_i64(struct lb_jbuf *b, int64_t v)
{
	char num[24];
	struct lb_fmt f;

	lb_fmt_init(&f, num, sizeof(num));
	lb_fmt_i64(&f, v);
	lb_jbuf_put(b, num, lb_fmt_done(&f, num));
}

char *
lb_jbuf_finish(struct lb_jbuf *b, size_t *len)
{
	if (b->oom || sb_grow(b, 0) < 0) {
		free(b->buf);
		b->buf = NULL;
		errno = ENOMEM;
		return NULL;
	}
	b->buf[b->len] = '\0';
	*len = b->len;
	return b->buf;
}

int
lb_json_serialize_to(struct lb_jbuf *b, json_object *o)
{
	b->len = 0;
	b->oom = 0;
	b->nonfinite = 0;
	b->nslices = 0;
	b->sliced = 0;
	sb_value(b, o);
	if (b->nonfinite) {
		errno = EDOM;
		return -1;
	}
	if (b->oom) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
lb_jbuf_iov(const struct lb_jbuf *b, struct iovec *iov)
{
	size_t from = 0;
	int n = 0;

	for (size_t i = 0; i < b->nslices; i++) {
		const struct lb_jslice *sl = &b->slices[i];

		iov[n].iov_base = b->buf + from;
		iov[n++].iov_len = sl->at - from;
		iov[n].iov_base = (void *)(uintptr_t)sl->p;
		iov[n++].iov_len = sl->len;
		from = sl->at;
	}
	iov[n].iov_base = b->buf + from;
	iov[n++].iov_len = b->len - from;
	return n;
}

char *
lb_json_serialize(json_object *o, size_t *len)
{
	struct lb_jbuf b = { 0 };

	if (lb_json_serialize_to(&b, o) < 0) {
		free(b.buf);
		return NULL;
	}
	return lb_jbuf_finish(&b, len);
}

int
lb_json_simd_cap(int cap)
{
#ifdef JSON_X86
	wide_level = cap < 0 || cap > wide_cpu ? wide_cpu : cap;
	wide_min = cap < 0 ? WIDE_MIN : 128;
	return wide_level;
#else
	(void)cap;
	return 0;
#endif
}
