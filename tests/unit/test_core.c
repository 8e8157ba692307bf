/* test_core.c - b64, media, ids and http: the small pure helpers. */
#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "fastcgi/http.h"
#include "base/ids.h"
#include "apigw/media.h"
#include "test.h"

void lb_test_suite_core(void);

static void
check_roundtrip(const char *raw, size_t len, const char *want)
{
	char enc[256];
	unsigned char dec[256];
	long n;

	CU_ASSERT_EQUAL(lb_b64_encode(raw, len, enc), strlen(want));
	CU_ASSERT_STRING_EQUAL(enc, want);
	n = lb_b64_decode(enc, strlen(enc), dec);
	CU_ASSERT_EQUAL(n, (long)len);
	CU_ASSERT(n >= 0 && memcmp(dec, raw, len) == 0);
}

static void
test_b64_vectors(void)
{
	/* RFC 4648 section 10 */
	check_roundtrip("", 0, "");
	check_roundtrip("f", 1, "Zg==");
	check_roundtrip("fo", 2, "Zm8=");
	check_roundtrip("foo", 3, "Zm9v");
	check_roundtrip("foob", 4, "Zm9vYg==");
	check_roundtrip("fooba", 5, "Zm9vYmE=");
	check_roundtrip("foobar", 6, "Zm9vYmFy");
	check_roundtrip("\0\xff\xfe", 3, "AP/+");
	CU_ASSERT_EQUAL(lb_b64_encoded_size(0), 1);
	CU_ASSERT_EQUAL(lb_b64_encoded_size(4), 9);
}

static void
test_b64_invalid(void)
{
	unsigned char d[64];

	CU_ASSERT_EQUAL(lb_b64_decode("Zm9v!", 5, d), -1);
	CU_ASSERT_EQUAL(lb_b64_decode("Z", 1, d), -1);
	CU_ASSERT_EQUAL(lb_b64_decode("Zg===", 5, d), -1);
	CU_ASSERT_EQUAL(lb_b64_decode("Zm 9v", 5, d), -1);
	CU_ASSERT_EQUAL(lb_b64_decode("Zg=", 3, d), -1);
	/* padding is optional */
	CU_ASSERT_EQUAL(lb_b64_decode("Zg", 2, d), 1);
	CU_ASSERT_EQUAL(d[0], 'f');
	CU_ASSERT_EQUAL(lb_b64_decode("dGVzdC1kYXRh", 12, d), 9);
	CU_ASSERT(memcmp(d, "test-data", 9) == 0);
}

/* The bit-at-a-time codec the table-driven one must agree with. */
static size_t
ref_encode(const unsigned char *s, size_t len, char *d)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                        "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0, bits = 0;
	uint32_t acc = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | s[i];
		for (bits += 8; bits >= 6; bits -= 6)
			d[n++] = a[(acc >> (bits - 6)) & 63];
	}
	if (bits > 0)
		d[n++] = a[(acc << (6 - bits)) & 63];
	while (n % 4 != 0)
		d[n++] = '=';
	d[n] = '\0';
	return n;
}

/* Every length and bad character, at the vector level `lb_b64_simd_cap`
 * has set. */
static void
b64_lengths_at(void)
{
	static unsigned char raw[600], back[600 + 64];
	static char got[900], want[900];
	unsigned seed = 12345;

	for (size_t i = 0; i < sizeof(raw); i++) {
		seed = seed * 1103515245u + 12345u;
		raw[i] = (unsigned char)(seed >> 16);
	}
	for (size_t len = 0; len <= sizeof(raw); len++) {
		size_t n = lb_b64_encode(raw, len, got);
		long m;

		CU_ASSERT_EQUAL_FATAL(n, ref_encode(raw, len, want));
		CU_ASSERT_STRING_EQUAL_FATAL(got, want);
		memset(back, 0xaa, sizeof(back));
		m = lb_b64_decode(got, n, back);
		CU_ASSERT_EQUAL_FATAL(m, (long)len);
		CU_ASSERT_FATAL(memcmp(back, raw, len) == 0);
		/* nothing written past the room the header asks for */
		for (size_t k = n / 4 * 3 + 3; k < sizeof(back); k++)
			CU_ASSERT_EQUAL_FATAL(back[k], 0xaa);
		/* without the padding, too */
		while (n > 0 && got[n - 1] == '=')
			n--;
		CU_ASSERT_EQUAL_FATAL(lb_b64_decode(got, n, back), (long)len);
		CU_ASSERT_FATAL(memcmp(back, raw, len) == 0);
	}
	/* a bad character anywhere is seen, in whole groups and in the tail */
	lb_b64_encode(raw, 300, got);
	for (size_t at = 0; at < 400; at++) {
		const char bad[] = { '!', '-', '_', '\0', '\x80', ' ' };
		char keep = got[at];

		got[at] = bad[at % sizeof(bad)];
		CU_ASSERT_EQUAL_FATAL(lb_b64_decode(got, 400, back), -1);
		got[at] = keep;
	}
	/* every byte value, inside a 16-character block and in the tail */
	for (int c = 0; c < 256; c++) {
		static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                               "abcdefghijklmnopqrstuvwxyz"
		                               "0123456789+/";
		int valid = c != 0 && strchr(alphabet, c) != NULL;

		for (size_t at = 5; at < 400; at += 65) {
			char keep = got[at];

			got[at] = (char)c;
			CU_ASSERT_EQUAL_FATAL(
			    lb_b64_decode(got, 400, back) == 300, valid);
			CU_ASSERT_EQUAL_FATAL(
			    lb_b64_decode(got, 400, back) == -1, !valid);
			got[at] = keep;
		}
	}
	for (size_t at = 396; at < 399; at++) { /* a 3-character tail */
		char keep = got[at];

		CU_ASSERT_EQUAL(lb_b64_decode(got, 399, back), 299);
		got[at] = '*';
		CU_ASSERT_EQUAL(lb_b64_decode(got, 399, back), -1);
		got[at] = keep;
	}
	CU_ASSERT_EQUAL(lb_b64_decode(got, 397, back), -1); /* len % 4 == 1 */
}

static void
test_b64_lengths(void)
{
	int best = lb_b64_simd_cap(-1);

	/* scalar, SSSE3, AVX2, AVX-512 VBMI: each level this CPU has */
	for (int lvl = 0; lvl <= best; lvl++) {
		CU_ASSERT_EQUAL_FATAL(lb_b64_simd_cap(lvl), lvl);
		b64_lengths_at();
	}
	lb_b64_simd_cap(-1);
}

static void
test_media_match(void)
{
	char *types[] = { "application/octet-stream", "image/*" };
	char *any[] = { "*/*" };

	CU_ASSERT_TRUE(lb_media_match("application/octet-stream", types, 2));
	CU_ASSERT_TRUE(
	    lb_media_match("Application/Octet-Stream; x=1", types, 2));
	CU_ASSERT_TRUE(lb_media_match("image/png", types, 2));
	CU_ASSERT_TRUE(lb_media_match(" image/jpeg ;q=1", types, 2));
	CU_ASSERT_FALSE(lb_media_match("imagex/png", types, 2));
	CU_ASSERT_FALSE(lb_media_match("application/json", types, 2));
	CU_ASSERT_FALSE(lb_media_match("application/octet-streamx", types, 2));
	CU_ASSERT_FALSE(lb_media_match(NULL, types, 2));
	CU_ASSERT_FALSE(lb_media_match("", types, 2));
	CU_ASSERT_FALSE(lb_media_match("image/png", types, 0));
	CU_ASSERT_TRUE(lb_media_match("text/plain", any, 1));
}

static int
matches(const char *re, const char *s)
{
	regex_t r;
	int ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

static void
test_ids_formats(void)
{
	char u[LB_IDS_UUID_LEN + 1], u2[LB_IDS_UUID_LEN + 1];
	char s[LB_IDS_SHORT_LEN + 1], t[LB_IDS_TRACE_LEN + 1];
	unsigned char dec[16];

	lb_ids_uuid(u);
	lb_ids_uuid(u2);
	CU_ASSERT_TRUE(matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
	                       "[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
	    u));
	CU_ASSERT_STRING_NOT_EQUAL(u, u2);
	lb_ids_short(s);
	CU_ASSERT_EQUAL(strlen(s), 16);
	CU_ASSERT_TRUE(matches("^[A-Za-z0-9+/]{15}=$", s));
	/* it must be valid base64, as AWS's are */
	CU_ASSERT_EQUAL(lb_b64_decode(s, 16, dec), 11);
	lb_ids_trace(t, 1700000000123LL);
	CU_ASSERT_TRUE(matches("^Root=1-6553f100-[0-9a-f]{24}$", t));
	CU_ASSERT(lb_now_ms() > 1700000000000LL);
	CU_ASSERT(lb_mono_ms() >= 0);
}

static void
test_http_response(void)
{
	struct lb_http_response r;
	struct lb_param p[] = { { "HTTP_X", "1" }, { "HTTP_X", "2" } };
	struct lb_http_request req = { "GET", "/", p, 2, "", 0 };

	memset(&r, 0, sizeof(r));
	CU_ASSERT_STRING_EQUAL(lb_http_param(&req, "HTTP_X"), "1");
	CU_ASSERT_PTR_NULL(lb_http_param(&req, "HTTP_Y"));
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(
		    lb_http_response_add_header(&r, "X-A", "v", (size_t)-1), 0);
	CU_ASSERT_EQUAL(
	    lb_http_response_add_header(&r, "Set-Cookie", "a=1xyz", 3), 0);
	CU_ASSERT_EQUAL(r.nheaders, 21);
	CU_ASSERT_STRING_EQUAL(
	    lb_http_response_header(&r, "set-cookie"), "a=1");
	lb_http_response_remove_header(&r, "x-a");
	CU_ASSERT_EQUAL(r.nheaders, 1);
	CU_ASSERT_EQUAL(lb_http_response_set_body(&r, "a\0b", 3), 0);
	CU_ASSERT_EQUAL(r.body_len, 3);
	CU_ASSERT(memcmp(r.body, "a\0b", 3) == 0);
	lb_http_response_clear(&r);
	CU_ASSERT_EQUAL(r.nheaders, 0);
	CU_ASSERT_PTR_NULL(r.body);
	CU_ASSERT_STRING_EQUAL(lb_http_reason(404), "Not Found");
	CU_ASSERT_STRING_EQUAL(lb_http_reason(599), "Unknown");
}

/* RFC 9110 tchar, byte by byte: the only token check (header names in
 * responses, `lambdabridge event`'s methods and -H names). */
static void
test_http_tchar(void)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	int n = 0;

	for (int c = 0; c < 256; c++) {
		int want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') ||
		    (c != 0 && memchr(extra, c, sizeof(extra) - 1) != NULL);

		CU_ASSERT_EQUAL(lb_http_is_tchar(c) != 0, want);
		n += want;
	}
	CU_ASSERT_EQUAL(n, 62 + 15);
}

void
lb_test_suite_core(void)
{
	static CU_TestInfo tests[] = {
		{ "b64 vectors", test_b64_vectors },
		{ "b64 invalid", test_b64_invalid },
		{ "b64 every length against a reference", test_b64_lengths },
		{ "media match", test_media_match },
		{ "ids formats", test_ids_formats },
		{ "http response", test_http_response },
		{ "http tchar", test_http_tchar },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("core", tests);
}
