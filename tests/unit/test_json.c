/*
 * test_json.c - json.c, differentially against json-c: whatever
 * lb_json_parse accepts, json-c parses to an equal object ending at the
 * same place; lb_json_serialize writes json-c's exact bytes.  Declining is
 * always allowed by the contract, so the accept cases are asserted too
 * (a parser that declined everything would pass the differential part).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/json.h"
#include "test.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void lb_test_suite_json(void);

/* json-c's parse of s, strict, as one whole document; NULL on error. */
static json_object *
reference(const char *s, size_t len)
{
	size_t end = len;
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	else
		end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r\n", s[end]) != NULL)
		end++;
	if (json_tokener_get_error(tok) != json_tokener_success || end != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * Checks one input; returns 1 when the fast path took it.  Whatever it
 * takes must equal json-c's reading, and serialise as json-c does.
 */
static int
check(const char *s, size_t len)
{
	json_object *o = lb_json_parse(s, len, 64), *r;
	char *out;
	size_t outlen;

	if (o == NULL)
		return 0;
	r = reference(s, len);
	CU_ASSERT_PTR_NOT_NULL(r);
	if (r == NULL || !json_object_equal(o, r))
		fprintf(stderr, "differs from json-c: %.*s\n", (int)len, s);
	if (r != NULL)
		CU_ASSERT(json_object_equal(o, r));
	out = lb_json_serialize(o, &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, json_object_to_json_string_ext(o, FLAGS));
	CU_ASSERT_EQUAL(
	    outlen, strlen(json_object_to_json_string_ext(o, FLAGS)));
	free(out);
	json_object_put(o);
	json_object_put(r);
	return 1;
}

static int
check_str(const char *s)
{
	return check(s, strlen(s));
}

static void
test_accepts(void)
{
	static const char *ok[] = {
		"{}",
		"[]",
		" {\"a\":1} ",
		"{\"a\":-42,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"{\"dup\":1,\"dup\":2}",
		"[9223372036854775807,-9223372036854775808,0]",
		"\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
		"\"\\u00e9\\u2713\\ud83d\\ude00 caf\xc3\xa9\"",
		"\"nul \\u0000 inside\"",
		"{\"k\\u00e9y\":\"v\", \"\":\"empty key\"}",
		"[ 1 , [ 2 , [ 3 ] ] ]",
		"\"ctl \\u0001\\u001f\"",
		"123",
		"true",
		" [1] \n",
		"\"\\n then a long plain run, caf\xc3\xa9, and more plain "
		"text\"",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int took = check_str(ok[i]);

		if (!took)
			fprintf(stderr, "declined: %s\n", ok[i]);
		CU_ASSERT(took);
	}
}

static void
test_declines(void)
{
	static const char *no[] = {
		"1.5",
		"[1e3]",
		"18446744073709551615",
		"9223372036854775808",
		"-0",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"bad \xe9 utf-8\"",
		"{\"a\\u0000b\":1}",
		"{\"a\":1,}",
		"[1,]",
		"{'a':1}",
		"\"raw \x01 control\"",
		"\"unterminated",
		"[1 2]",
		"TRUE",
		"nul",
		"",
		"   ",
		"null",
		"01",
		"\"bad escape \\x\"",
		"{\"a\" 1}",
		"[1] x",
		"1 2",
		"\"\\n then a long plain run, caf\xe9, and more plain text\"",
	};

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		json_object *o = lb_json_parse(no[i], strlen(no[i]), 64);

		if (o != NULL)
			fprintf(stderr, "accepted: %s\n", no[i]);
		CU_ASSERT_PTR_NULL(o);
		json_object_put(o);
	}
}

static void
test_depth(void)
{
	char deep[200];
	json_object *o;

	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	o = lb_json_parse(deep, sizeof(deep), 64);
	CU_ASSERT_PTR_NULL(o);           /* json-c decides at its limit */
	CU_ASSERT(check(deep + 70, 60)); /* 30 levels */
}

/* Reads a file whole; NULL when missing. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

/*
 * Every event fixture goes through the fast path, and so do thousands of
 * byte mutations of them (bounded): each either declines or agrees.
 */
static void
test_fixtures_and_mutations(void)
{
	static const char repl[] = "\"\\{}[],:0-9etu \x80\xc3\xa9";
	DIR *d = opendir("tests/fixtures/events");
	struct dirent *e;
	unsigned seed = 12345;
	int files = 0, taken = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL) {
		char path[512];
		size_t len = 0;
		char *buf;

		if (strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(
		    path, sizeof(path), "tests/fixtures/events/%s", e->d_name);
		buf = slurp(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		files++;
		CU_ASSERT(check(buf, len));
		for (int m = 0; m < 400; m++) {
			char *mut = malloc(len + 1);
			size_t at;

			memcpy(mut, buf, len + 1);
			for (int k = 0; k < 1 + m % 3; k++) {
				seed = seed * 1103515245u + 12345u;
				at = (seed >> 8) % len;
				mut[at] =
				    repl[(seed >> 20) % (sizeof(repl) - 1)];
			}
			taken += check(mut, len);
			free(mut);
		}
		free(buf);
	}
	closedir(d);
	CU_ASSERT(files >= 5);
	CU_ASSERT(taken > 0);
}

/* ---- lb_json_reparse ---------------------------------------------------- */

/* What a handler may do to the event it borrowed, before the next parse. */
enum touch { T_NONE, T_ADD, T_DEL_FIRST, T_USERDATA, T_COUNT };

static void
touch_tree(json_object *t, enum touch how)
{
	struct lh_entry *e;

	if (!json_object_is_type(t, json_type_object))
		return;
	e = lh_table_head(json_object_get_object(t));
	switch (how) {
	case T_ADD:
		json_object_object_add(t, "added", json_object_new_string("x"));
		break;
	case T_DEL_FIRST:
		if (e != NULL)
			json_object_object_del(t, (const char *)lh_entry_k(e));
		break;
	case T_USERDATA:
		/* a value json-c writes itself (userdata), in place of the
		 * first member's */
		if (e != NULL)
			json_object_object_add(t, (const char *)lh_entry_k(e),
			    json_object_new_double_s(1.5, "1.50"));
		break;
	default: break;
	}
}

/*
 * Parses b into the tree of a (changed first as `how` says) and compares
 * the result with a fresh lb_json_parse of b: both decline, or both take
 * it and write the very same text (content and key order).  Returns 1 when
 * the reparse took b.
 */
static int
check_reparse(
    const char *a, size_t alen, const char *b, size_t blen, enum touch how)
{
	json_object *t = lb_json_parse(a, alen, 64), *r, *fresh;
	int took;

	if (t == NULL)
		return 0;
	touch_tree(t, how);
	r = lb_json_reparse(t, b, blen, 64);
	fresh = lb_json_parse(b, blen, 64);
	took = r != NULL;
	CU_ASSERT_EQUAL(took, fresh != NULL);
	if (r != NULL && fresh != NULL) {
		char *x = strdup(json_object_to_json_string_ext(r, FLAGS));
		const char *y = json_object_to_json_string_ext(fresh, FLAGS);

		if (strcmp(x, y) != 0)
			fprintf(stderr,
			    "reparse of %.*s into %.*s (%d):\n%s\n"
			    "want %s\n",
			    (int)blen, b, (int)alen, a, (int)how, x, y);
		CU_ASSERT_STRING_EQUAL(x, y);
		CU_ASSERT(json_object_equal(r, fresh));
		free(x);
	}
	json_object_put(r);
	json_object_put(fresh);
	return took;
}

static int
check_reparse_str(const char *a, const char *b)
{
	int took = 0;

	for (int how = T_NONE; how < T_COUNT; how++)
		took = check_reparse(
		           a, strlen(a), b, strlen(b), (enum touch)how) ||
		    took;
	return took;
}

static void
test_reparse(void)
{
	static const char base[] =
	    "{\"a\":\"x\",\"b\":[1,2,3],\"c\":{\"d\":true,\"e\":\"f\"}}";
	static const struct {
		const char *a, *b;
		int ok;
	} cases[] = {
		{ base, base, 1 },
		/* same shape, other values: longer and shorter strings */
		{ base,
		    "{\"a\":\"a much longer string than before\",\"b\":[4],"
		    "\"c\":{\"d\":false,\"e\":\"\"}}",
		    1 },
		/* members added, removed, reordered */
		{ base, "{\"a\":\"x\",\"b\":[],\"c\":{},\"z\":1}", 1 },
		{ base, "{\"c\":{\"e\":\"f\",\"d\":true},\"a\":\"x\"}", 1 },
		{ base, "{\"a\":\"x\"}", 1 },
		{ base, "{}", 1 },
		/* types change */
		{ base, "{\"a\":null,\"b\":{\"x\":[1]},\"c\":[true]}", 1 },
		{ base, "{\"a\":true,\"b\":\"s\",\"c\":12}", 1 },
		{ "{\"a\":true,\"b\":false}", "{\"a\":false,\"b\":\"false\"}",
		    1 },
		{ base, "[1,2]", 1 },
		{ base, "\"just a string\"", 1 },
		{ "[1,2]", base, 1 },
		/* arrays grow, shrink, hold nulls and mixed types */
		{ "{\"a\":[null,\"s\",{\"k\":\"v\"}]}",
		    "{\"a\":[\"t\",null,{\"k\":\"w\",\"l\":[]},5,null]}", 1 },
		{ "{\"a\":[\"t\",null,{\"k\":\"w\"},5]}",
		    "{\"a\":[null,\"s\"]}", 1 },
		/* a repeated key: the last value, at the first place */
		{ base, "{\"a\":\"x\",\"a\":\"y\",\"b\":[]}", 1 },
		{ base, "{\"b\":[],\"a\":\"x\",\"b\":[9]}", 1 },
		/* escapes in keys and values */
		{ "{\"k\\u00e9y\":\"v\"}",
		    "{\"k\\u00e9y\":\"caf\\u00e9\\n\",\"k\":\"\\\"\"}", 1 },
		/* declined: broken, trailing data, a fraction, top null */
		{ base, "{\"a\":\"x\",\"b\":[1,2,3]", 0 },
		{ base, "{\"a\":\"x\"} x", 0 },
		{ base, "{\"a\":1.5}", 0 },
		{ base, "null", 0 },
		{ base, "{\"a\":tru}", 0 },
		{ "{\"a\":true}", "{\"a\":fals}", 0 },
	};
	char deep[200], deep_old[60];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int took = check_reparse_str(cases[i].a, cases[i].b);

		if (took != cases[i].ok)
			fprintf(stderr, "reparse %s into %s: %s\n", cases[i].b,
			    cases[i].a, took ? "taken" : "declined");
		CU_ASSERT_EQUAL(took, cases[i].ok);
	}
	/* json-c's depth limit, reached inside an old tree of the same shape */
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	memset(deep_old, '[', 30);
	memset(deep_old + 30, ']', 30);
	CU_ASSERT_FALSE(check_reparse(
	    deep_old, sizeof(deep_old), deep, sizeof(deep), T_NONE));
	CU_ASSERT(
	    check_reparse(deep_old, sizeof(deep_old), deep + 70, 60, T_NONE));
	/*
	 * A string that grew past its first length (json-c then keeps it in
	 * a separate buffer), then empty, then long again: json-c 0.16
	 * mishandles the empty step in place (use after free).
	 */
	{
		char longer[400];
		json_object *o = lb_json_parse("{\"b\":\"ab\"}", 10, 64);
		const char *texts[] = { longer, "{\"b\":\"\"}", longer,
			"{\"b\":\"q\"}" };

		memset(longer, 'x', sizeof(longer));
		memcpy(longer, "{\"b\":\"", 6);
		memcpy(longer + sizeof(longer) - 3, "\"}", 3);
		for (size_t i = 0; i < 4; i++) {
			const char *t = texts[i];
			size_t tl =
			    t == longer ? sizeof(longer) - 1 : strlen(t);
			json_object *fresh = lb_json_parse(t, tl, 64);

			o = lb_json_reparse(o, t, tl, 64);
			CU_ASSERT_PTR_NOT_NULL_FATAL(o);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
			CU_ASSERT_STRING_EQUAL(
			    json_object_get_string(
			        json_object_object_get(o, "b")),
			    json_object_get_string(
			        json_object_object_get(fresh, "b")));
			json_object_put(fresh);
		}
		json_object_put(o);
	}
	/* NULL for prev is lb_json_parse */
	{
		json_object *o = lb_json_reparse(NULL, base, strlen(base), 64);

		CU_ASSERT_PTR_NOT_NULL(o);
		json_object_put(o);
	}
}

/*
 * Every event fixture parsed into every other's tree (as a worker's events
 * follow each other), and byte mutations of each into its own tree.
 */
static void
test_reparse_fixtures(void)
{
	static const char repl[] = "\"\\{}[],:0-9etu \x80\xc3\xa9";
	DIR *d = opendir("tests/fixtures/events");
	struct dirent *e;
	char *buf[32];
	size_t len[32];
	unsigned seed = 777;
	int n = 0, taken = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL && n < 32) {
		char path[512];

		if (strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(
		    path, sizeof(path), "tests/fixtures/events/%s", e->d_name);
		buf[n] = slurp(path, &len[n]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf[n]);
		n++;
	}
	closedir(d);
	CU_ASSERT(n >= 5);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < n; k++)
			for (int how = T_NONE; how < T_COUNT; how++)
				CU_ASSERT(check_reparse(buf[i], len[i], buf[k],
				    len[k], (enum touch)how));
	for (int i = 0; i < n; i++) {
		for (int m = 0; m < 200; m++) {
			char *mut = malloc(len[i] + 1);

			memcpy(mut, buf[i], len[i] + 1);
			for (int k = 0; k < 1 + m % 3; k++) {
				size_t at;

				seed = seed * 1103515245u + 12345u;
				at = (seed >> 8) % len[i];
				mut[at] =
				    repl[(seed >> 20) % (sizeof(repl) - 1)];
			}
			taken += check_reparse(buf[i], len[i], mut, len[i],
			    (enum touch)(m % T_COUNT));
			free(mut);
		}
		free(buf[i]);
	}
	CU_ASSERT(taken > 0);
}

/* Long strings with escapes scattered through them (the body path). */
static void
test_long_strings(void)
{
	size_t n = 200000;
	char *s = malloc(n + 3);
	json_object *o;
	char *out;
	size_t outlen;

	s[0] = '"';
	for (size_t i = 1; i <= n; i++)
		s[i] = (char)('a' + i % 26);
	s[5000] = '\\';
	s[5001] = 'n';
	s[n + 1] = '"';
	s[n + 2] = '\0';
	CU_ASSERT(check(s, n + 2));
	/* serialising raw control bytes and quotes */
	for (size_t i = 1; i <= n; i += 97)
		s[i] = (char)(i % 3 == 0 ? '"' : i % 3 == 1 ? '\x01' : '\\');
	o = json_object_new_string_len(s + 1, (int)n);
	out = lb_json_serialize(o, &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, json_object_to_json_string_ext(o, FLAGS));
	free(out);
	json_object_put(o);
	free(s);
}

/* A byte that ends a plain run, at every place of runs about as long as
 * the wide scans' steps, at every scan level this CPU has. */
static void
test_run_stops(void)
{
	/* as JSON text, and as the raw bytes a string holds */
	static const struct {
		const char *text, *raw;
		int valid;
	} stop[] = {
		{ "\\\"", "\"", 1 }, { "\\\\", "\\", 1 },
		{ "\\u0001", "\x01", 1 },
		{ "\xc3\xa9", "\xc3\xa9", 1 }, /* not a stop: marks UTF-8 */
		{ "\xff", NULL, 0 },           /* not UTF-8: declined */
	};
	static const size_t lens[] = { 100, 128, 129, 191, 300 };
	int best = lb_json_simd_cap(-1);
	char text[400], raw[400];

	for (int lvl = 0; lvl <= best; lvl++) {
		CU_ASSERT_EQUAL_FATAL(lb_json_simd_cap(lvl), lvl);
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (size_t at = 0; at < lens[li]; at++)
				for (size_t k = 0;
				     k < sizeof(stop) / sizeof(stop[0]); k++) {
					size_t tl = strlen(stop[k].text), n = 0;

					text[n++] = '"';
					memset(text + n, 'a', at);
					n += at;
					memcpy(text + n, stop[k].text, tl);
					n += tl;
					memset(text + n, 'b', lens[li] - at);
					n += lens[li] - at;
					text[n++] = '"';
					CU_ASSERT_EQUAL_FATAL(
					    check(text, n), stop[k].valid);
					if (stop[k].raw == NULL)
						continue;
					/* the same bytes serialised */
					{
						size_t rl = strlen(stop[k].raw);
						json_object *o;
						char *out;
						size_t outlen;

						memset(raw, 'a', at);
						memcpy(
						    raw + at, stop[k].raw, rl);
						memset(raw + at + rl, 'b',
						    lens[li] - at);
						o = json_object_new_string_len(
						    raw,
						    (int)(at + rl + lens[li] -
						        at));
						out = lb_json_serialize(
						    o, &outlen);
						CU_ASSERT_PTR_NOT_NULL_FATAL(
						    out);
						CU_ASSERT_STRING_EQUAL_FATAL(
						    out,
						    json_object_to_json_string_ext(
						        o, FLAGS));
						free(out);
						json_object_put(o);
					}
				}
	}
	lb_json_simd_cap(-1);
}

/* The text in iovecs, joined. */
static char *
joined(const struct lb_jbuf *b, size_t *len)
{
	struct iovec iov[2 * LB_JBUF_SLICES_MAX + 1];
	int n = lb_jbuf_iov(b, iov);
	char *s = malloc(b->len + b->sliced + 1), *d = s;

	for (int i = 0; i < n; i++) {
		memcpy(d, iov[i].iov_base, iov[i].iov_len);
		d += iov[i].iov_len;
	}
	*d = '\0';
	*len = (size_t)(d - s);
	return s;
}

/* Long plain strings left where they lie: the same text as a copy, and
 * no more slices than the cap; the buffer serves one result after another. */
static void
test_serialize_slices(void)
{
	struct lb_jbuf b = { 0 };
	char *big = malloc(20000), *esc = malloc(20000);

	memset(big, 'x', 20000);
	memset(esc, 'y', 20000);
	esc[12345] = '"';
	b.slice_min = 8192;
	for (int round = 0; round < 3; round++) {
		json_object *o = json_object_new_object();
		json_object *arr = json_object_new_array();
		char *want, *got;
		size_t wl, gl;

		json_object_object_add(
		    o, "statusCode", json_object_new_int(200));
		json_object_object_add(
		    o, "body", json_object_new_string_len(big, 20000 - round));
		json_object_object_add(
		    o, "esc", json_object_new_string_len(esc, 20000));
		json_object_object_add(
		    o, "short", json_object_new_string("tail \"q\""));
		/* more long strings than slices: the rest are copied */
		for (int i = 0; i < LB_JBUF_SLICES_MAX + 3; i++)
			json_object_array_add(
			    arr, json_object_new_string_len(big, 8192 + i));
		json_object_object_add(o, "many", arr);
		CU_ASSERT_EQUAL_FATAL(lb_json_serialize_to(&b, o), 0);
		CU_ASSERT_EQUAL(b.nslices, LB_JBUF_SLICES_MAX);
		CU_ASSERT(b.len < 20000 * 2 + 8192 * 4);
		want = lb_json_serialize(o, &wl);
		got = joined(&b, &gl);
		CU_ASSERT_EQUAL(gl, wl);
		CU_ASSERT_STRING_EQUAL(got, want);
		free(want);
		free(got);
		json_object_put(o);
	}
	/* NaN: EDOM, as lb_json_serialize */
	{
		json_object *d = json_object_new_double(NAN);

		CU_ASSERT_EQUAL(lb_json_serialize_to(&b, d), -1);
		CU_ASSERT_EQUAL(errno, EDOM);
		json_object_put(d);
	}
	free(b.buf);
	free(b.slices);
	free(big);
	free(esc);
}

/* Types the parser never makes still serialise as json-c does. */
static void
test_serialize_other(void)
{
	json_object *o = json_object_new_object();
	char *out;
	size_t len;

	json_object_object_add(o, "d", json_object_new_double(1.5));
	json_object_object_add(o, "u", json_object_new_uint64(UINT64_MAX));
	json_object_object_add(o, "m", json_object_new_int64(INT64_MAX));
	json_object_object_add(o, "n", json_object_new_int64(INT64_MIN));
	json_object_object_add(o, "z", NULL);
	json_object_object_add(o, "s/", json_object_new_string("a/b"));
	/* custom serializers with userdata: raw JSON text kept as written */
	json_object_object_add(o, "ds", json_object_new_double_s(1.0, "1.000"));
	{
		json_object *raw = json_object_new_string("replaced");

		json_object_set_serializer(raw,
		    json_object_userdata_to_json_string,
		    strdup("{\"embedded\":[1,2]}"), json_object_free_userdata);
		json_object_object_add(o, "raw", raw);
	}
	out = lb_json_serialize(o, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, json_object_to_json_string_ext(o, FLAGS));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"raw\":{\"embedded\":[1,2]}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"ds\":1.000"));
	free(out);
	json_object_put(o);
}

/*
 * NaN and infinite doubles: json-c writes NaN, Infinity, -Infinity, which
 * are not JSON (a handler's NaN answered "200 NaN"), so serializing fails
 * with EDOM, wherever the value sits.
 */
static void
test_serialize_nonfinite(void)
{
	static const double bad[] = { NAN, INFINITY, -INFINITY };
	json_object *o, *a;
	char *out;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		o = json_object_new_double(bad[i]);
		errno = 0;
		CU_ASSERT_PTR_NULL(lb_json_serialize(o, &len));
		CU_ASSERT_EQUAL(errno, EDOM);
		json_object_put(o);

		o = json_object_new_object();
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_int(1));
		json_object_array_add(a, json_object_new_double(bad[i]));
		json_object_object_add(
		    o, "statusCode", json_object_new_int(200));
		json_object_object_add(o, "x", a);
		errno = 0;
		CU_ASSERT_PTR_NULL(lb_json_serialize(o, &len));
		CU_ASSERT_EQUAL(errno, EDOM);
		json_object_put(o);
	}
	/* finite doubles, and a kept spelling of an overflow, are written */
	o = json_object_new_array();
	json_object_array_add(o, json_object_new_double(-0.5));
	json_object_array_add(o, json_object_new_double_s(INFINITY, "1e999"));
	out = lb_json_serialize(o, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "[-0.5,1e999]");
	free(out);
	json_object_put(o);
}

/*
 * lb_json_parse_sliced: long plain strings point into the text, short
 * ones and those with escapes are json-c's; either way lb_json_str gives
 * the string, and json-c and lb_json_serialize write the tree as they
 * write the one lb_json_parse makes, with and without '/' escaped.
 */
static void
test_sliced(void)
{
	static const char text[] =
	    "{\"long\":\"0123456789/abcdefghij\",\"short\":\"0123\","
	    "\"esc\":\"0123456789\\nabcdefghij\",\"a\":[\"9876543210zyxw\"]}";
	json_object *sl = lb_json_parse_sliced(text, sizeof(text) - 1, 8, 10);
	json_object *plain = lb_json_parse(text, sizeof(text) - 1, 8);
	json_object *v;
	const char *s;
	size_t n, n2;
	char *a, *b;

	CU_ASSERT_FATAL(sl != NULL && plain != NULL);
	CU_ASSERT_FATAL(json_object_object_get_ex(sl, "long", &v));
	CU_ASSERT(json_object_is_type(v, json_type_string));
	s = lb_json_str(v, &n);
	CU_ASSERT(s == text + 9); /* in the text, not a copy */
	CU_ASSERT_EQUAL(n, 21);
	CU_ASSERT(memcmp(s, "0123456789/abcdefghij", 21) == 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(sl, "short", &v));
	s = lb_json_str(v, &n);
	CU_ASSERT(s < text || s >= text + sizeof(text));
	CU_ASSERT(n == 4 && memcmp(s, "0123", 4) == 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(sl, "esc", &v));
	s = lb_json_str(v, &n);
	CU_ASSERT(s < text || s >= text + sizeof(text));
	CU_ASSERT(n == 21 && s[10] == '\n');
	v = json_object_array_get_idx(json_object_object_get(sl, "a"), 0);
	s = lb_json_str(v, &n);
	CU_ASSERT(n == 14 && s >= text && s < text + sizeof(text));
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(sl, JSON_C_TO_STRING_PLAIN),
	    json_object_to_json_string_ext(plain, JSON_C_TO_STRING_PLAIN));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(sl, FLAGS),
	    json_object_to_json_string_ext(plain, FLAGS));
	a = lb_json_serialize(sl, &n);
	b = lb_json_serialize(plain, &n2);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a);
	free(b);
	json_object_put(sl);
	json_object_put(plain);
}

void
lb_test_suite_json(void)
{
	static CU_TestInfo tests[] = {
		{ "accepts", test_accepts },
		{ "declines", test_declines },
		{ "depth", test_depth },
		{ "fixtures and mutations", test_fixtures_and_mutations },
		{ "long strings", test_long_strings },
		{ "long strings sliced", test_sliced },
		{ "a run's stop byte at every place", test_run_stops },
		{ "long strings sent from where they lie",
		    test_serialize_slices },
		{ "serialize other types", test_serialize_other },
		{ "serialize NaN and Infinity", test_serialize_nonfinite },
		{ "reparse", test_reparse },
		{ "reparse fixtures", test_reparse_fixtures },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("json", tests);
}
