/* test_url.c - percent-decoding, query splitting and UTF-8 (bridge/base/url.c). */
#include <string.h>

#include "test.h"
#include "base/url.h"

void lb_test_suite_url(void);

static size_t
dec(const char *s, int flags, char *out)
{
	size_t n = lb_url_decode(s, strlen(s), out, flags);

	out[n] = '\0';
	return n;
}

static void
test_decode(void)
{
	char out[64];

	dec("a%20b+c", 0, out);
	CU_ASSERT_STRING_EQUAL(out, "a b+c");
	dec("a%20b+c", LB_URL_PLUS, out);
	CU_ASSERT_STRING_EQUAL(out, "a b c");
	dec("%2B%2b", LB_URL_PLUS, out);
	CU_ASSERT_STRING_EQUAL(out, "++");
	/* malformed triplets stay literally */
	dec("%zz%4%", 0, out);
	CU_ASSERT_STRING_EQUAL(out, "%zz%4%");
	dec("%%41", 0, out);
	CU_ASSERT_STRING_EQUAL(out, "%A");
	dec("100%", 0, out);
	CU_ASSERT_STRING_EQUAL(out, "100%");
	/* %00 is a NUL, unless kept */
	CU_ASSERT(lb_url_decode("a%00b", 5, out, 0) == 3);
	CU_ASSERT(memcmp(out, "a\0b", 3) == 0);
	dec("a%00b%41", LB_URL_KEEP_NUL, out);
	CU_ASSERT_STRING_EQUAL(out, "a%00bA");
	/* in place */
	{
		char s[] = "x%2Fy%2f";
		size_t n = lb_url_decode(s, strlen(s), s, 0);

		CU_ASSERT(n == 4 && memcmp(s, "x/y/", 4) == 0);
	}
	CU_ASSERT(!lb_url_needs_decode("abc%zz+", 7, 0));
	CU_ASSERT(lb_url_needs_decode("abc%zz+", 7, LB_URL_PLUS));
	CU_ASSERT(lb_url_needs_decode("%41", 3, 0));
	CU_ASSERT(!lb_url_needs_decode("%00", 3, LB_URL_KEEP_NUL));
	CU_ASSERT(!lb_url_needs_decode("%4", 2, 0));
}

static void
test_query(void)
{
	const char *q = "a=1&&b&c=x=y;d=2&", *cur = q, *end = q + strlen(q);
	struct lb_url_pair p;

	CU_ASSERT_FATAL(lb_url_query_next(&cur, end, 0, &p));
	CU_ASSERT(p.key_len == 1 && p.key[0] == 'a' && p.value_len == 1 &&
	    p.has_value);
	CU_ASSERT_FATAL(lb_url_query_next(&cur, end, 0, &p));
	CU_ASSERT(p.key_len == 1 && p.key[0] == 'b' && p.value_len == 0 &&
	    !p.has_value);
	CU_ASSERT_FATAL(lb_url_query_next(&cur, end, 0, &p));
	CU_ASSERT(p.key_len == 1 && p.value_len == 7 &&
	    memcmp(p.value, "x=y;d=2", 7) == 0);
	CU_ASSERT(!lb_url_query_next(&cur, end, 0, &p));
	/* with ';' as a separator (REST) */
	cur = q;
	CU_ASSERT(lb_url_query_next(&cur, end, LB_URL_SEMICOLON, &p));
	CU_ASSERT(lb_url_query_next(&cur, end, LB_URL_SEMICOLON, &p));
	CU_ASSERT(lb_url_query_next(&cur, end, LB_URL_SEMICOLON, &p));
	CU_ASSERT(p.value_len == 3 && memcmp(p.value, "x=y", 3) == 0);
	CU_ASSERT(lb_url_query_next(&cur, end, LB_URL_SEMICOLON, &p));
	CU_ASSERT(p.key[0] == 'd' && p.value_len == 1);
	CU_ASSERT(!lb_url_query_next(&cur, end, LB_URL_SEMICOLON, &p));
	cur = end = "";
	CU_ASSERT(!lb_url_query_next(&cur, end, 0, &p));
}

static void
test_utf8(void)
{
	char out[64];

	CU_ASSERT(lb_url_utf8_valid("plain ascii text, long enough", 29));
	CU_ASSERT(
	    lb_url_utf8_valid("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14));
	CU_ASSERT(lb_url_utf8_valid("a\0b", 3));
	CU_ASSERT(!lb_url_utf8_valid("caf\xe9", 4));
	CU_ASSERT(!lb_url_utf8_valid("\xc0\xaf", 2));         /* overlong */
	CU_ASSERT(!lb_url_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	CU_ASSERT(!lb_url_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CU_ASSERT(!lb_url_utf8_valid("\xe2\x9c", 2));         /* truncated */
	CU_ASSERT(lb_url_utf8_sanitize("a\xe9z", 3, out) == 5);
	CU_ASSERT(memcmp(out, "a\xef\xbf\xbdz", 5) == 0);
}

void
lb_test_suite_url(void)
{
	static CU_TestInfo tests[] = {
		{ "decode", test_decode },
		{ "query pairs", test_query },
		{ "utf-8", test_utf8 },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("url", tests);
}
