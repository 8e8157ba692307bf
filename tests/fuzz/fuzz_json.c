/*
 * fuzz_json.c - libFuzzer target for json.c (`make fuzz`): whatever
 * lb_json_parse accepts, json-c (strict, UTF-8 checked) must accept as an
 * equal object, and lb_json_serialize must write json-c's exact text.  An
 * input with a NUL byte is two documents, A NUL B: B parsed into A's tree
 * (lb_json_reparse) must write the same text as B parsed anew, or both
 * decline.  The tree lb_json_parse_sliced makes writes the same text.
 * Crashes, leaks and undefined behaviour are caught by ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/json.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL B: B into A's tree agrees with B alone. */
static void
check_reparse(const char *a, size_t alen, const char *b, size_t blen)
{
	json_object *t = lb_json_parse(a, alen, 64), *r, *fresh;

	if (t == NULL)
		return;
	r = lb_json_reparse(t, b, blen, 64);
	fresh = lb_json_parse(b, blen, 64);
	if ((r == NULL) != (fresh == NULL))
		abort();
	if (r != NULL) {
		char *x = strdup(json_object_to_json_string_ext(r, FLAGS));

		if (x == NULL ||
		    strcmp(x, json_object_to_json_string_ext(fresh, FLAGS)))
			abort();
		free(x);
	}
	json_object_put(r);
	json_object_put(fresh);
}

/* Every plain string of 2 bytes or more left where it lies (up to the
 * slice cap): the iovecs joined are the same text. */
static void
check_slices(json_object *o, const char *want)
{
	static struct lb_jbuf b;
	struct iovec iov[2 * LB_JBUF_SLICES_MAX + 1];
	size_t at = 0, wl = strlen(want);
	int n;

	b.slice_min = 2;
	if (lb_json_serialize_to(&b, o) < 0 || b.len + b.sliced != wl)
		abort();
	n = lb_jbuf_iov(&b, iov);
	for (int i = 0; i < n; i++) {
		if (memcmp(want + at, iov[i].iov_base, iov[i].iov_len) != 0)
			abort();
		at += iov[i].iov_len;
	}
	if (at != wl)
		abort();
}

/* One document: the fast path agrees with json-c, in parse and text. */
static void
check_parse(const uint8_t *data, size_t size)
{
	json_object *o = lb_json_parse((const char *)data, size, 64), *r, *sl;
	json_tokener *tok;
	char *s;
	size_t len;

	if (o == NULL)
		return;
	tok = json_tokener_new_ex(64);
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	r = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_continue)
		r = json_tokener_parse_ex(tok, "", 1);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_equal(o, r))
		abort();
	s = lb_json_serialize(o, &len);
	if (s == NULL || strcmp(s, json_object_to_json_string_ext(o, FLAGS)))
		abort();
	free(s);
	/* every plain string of 2 bytes or more sliced: the same text */
	sl = lb_json_parse_sliced((const char *)data, size, 64, 2);
	if (sl == NULL)
		abort();
	s = lb_json_serialize(sl, &len);
	if (s == NULL ||
	    strcmp(s, json_object_to_json_string_ext(o, FLAGS)) != 0 ||
	    strcmp(json_object_to_json_string_ext(sl, JSON_C_TO_STRING_PLAIN),
	        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) != 0)
		abort();
	free(s);
	json_object_put(sl);
	check_slices(o, json_object_to_json_string_ext(o, FLAGS));
	json_object_put(o);
	json_object_put(r);
	json_tokener_free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	static int wide;

	/* the widest scans this CPU has, from 128 bytes on (not 4 KB) */
	if (!wide)
		wide = 1 + lb_json_simd_cap(2);

	if (nul == NULL)
		check_parse(data, size);
	else
		check_reparse((const char *)data, (size_t)(nul - data),
		    (const char *)nul + 1, size - (size_t)(nul - data) - 1);
	return 0;
}
