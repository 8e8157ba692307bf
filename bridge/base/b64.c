/*
 * b64.c - standard base64 (RFC 4648, with padding), and base64url as JOSE
 * writes it (translated to the standard alphabet, then decoded here).
 *
 * Table driven: every large body crosses it twice per request (the event
 * carries a binary request body in base64, a result may carry its body in
 * base64), so both directions work on whole groups: six bytes to eight
 * characters per step when encoding, four characters to three bytes when
 * decoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"

/*
 * On x86 with SSSE3 (every x86-64 CPU since 2006, chosen at run time) both
 * directions also take sixteen characters a step, after Muła and Lemire
 * ("Faster Base64 Encoding and Decoding Using AVX2 Instructions", 2018) as
 * aklomp/base64 writes it: the bytes are reshuffled into 6-bit fields and
 * translated with pshufb lookups.  Invalid input leaves the vector loop
 * and is judged by the scalar one.  A build without __SSE2__ (the ASan
 * one) keeps to the scalar code, so the unit tests cover both.
 */
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
#define B64_SSSE3 1
#include <tmmintrin.h>
#endif

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* BAD in a decoded group: a character outside the alphabet */
#define BAD 0x01000000u

static uint16_t enc2[4096];   /* 12 bits -> two characters, in memory order */
static uint32_t dec4[4][256]; /* character -> its 6 bits at position i */

#ifdef B64_SSSE3
static int have_ssse3;

/* Encodes 12 bytes of src (reading 16) into 16 characters. */
__attribute__((target("ssse3"))) static void
enc16(const unsigned char *src, char *dst)
{
	const __m128i lut = _mm_setr_epi8(
	    65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0);
	__m128i in = _mm_loadu_si128((const __m128i *)(const void *)src);
	__m128i t0, t1, t2, t3, idx, sel;

	/* each 32-bit lane: bytes b a c b of a group a b c */
	in = _mm_shuffle_epi8(in,
	    _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1));
	t0 = _mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00));
	t1 = _mm_mulhi_epu16(t0, _mm_set1_epi32(0x04000040));
	t2 = _mm_and_si128(in, _mm_set1_epi32(0x003f03f0));
	t3 = _mm_mullo_epi16(t2, _mm_set1_epi32(0x01000010));
	idx = _mm_or_si128(t1, t3); /* one 6-bit value per byte */
	/* 0..25 -> 0, 26..51 -> 1, 52..61 -> 2..11, 62 -> 12, 63 -> 13 */
	sel = _mm_sub_epi8(_mm_subs_epu8(idx, _mm_set1_epi8(51)),
	    _mm_cmpgt_epi8(idx, _mm_set1_epi8(25)));
	_mm_storeu_si128((__m128i *)(void *)dst,
	    _mm_add_epi8(idx, _mm_shuffle_epi8(lut, sel)));
}

/* Decodes 16 characters into 12 bytes (writing 16); 0 if one is not in
 * the alphabet ('=' included). */
__attribute__((target("ssse3"))) static int
dec16(const char *src, unsigned char *dst)
{
	const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08,
	    0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m128i lut_roll = _mm_setr_epi8(
	    0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i m2f = _mm_set1_epi8(0x2f);
	__m128i str = _mm_loadu_si128((const __m128i *)(const void *)src);
	__m128i hi_nib = _mm_and_si128(_mm_srli_epi32(str, 4), m2f);
	__m128i lo_nib = _mm_and_si128(str, m2f);
	__m128i hi = _mm_shuffle_epi8(lut_hi, hi_nib);
	__m128i lo = _mm_shuffle_epi8(lut_lo, lo_nib);
	__m128i roll, ab_bc, out;

	if (_mm_movemask_epi8(_mm_cmpgt_epi8(
	        _mm_and_si128(lo, hi), _mm_setzero_si128())) != 0)
		return 0;
	roll = _mm_shuffle_epi8(
	    lut_roll, _mm_add_epi8(_mm_cmpeq_epi8(str, m2f), hi_nib));
	str = _mm_add_epi8(str, roll); /* one 6-bit value per byte */
	ab_bc = _mm_maddubs_epi16(str, _mm_set1_epi32(0x01400140));
	out = _mm_madd_epi16(ab_bc, _mm_set1_epi32(0x00011000));
	out = _mm_shuffle_epi8(out,
	    _mm_setr_epi8(
	        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
	_mm_storeu_si128((__m128i *)(void *)dst, out);
	return 1;
}
#endif

__attribute__((constructor)) static void
b64_tables(void)
{
#ifdef B64_SSSE3
	have_ssse3 = __builtin_cpu_supports("ssse3");
#endif
	for (unsigned i = 0; i < 4096; i++) {
		unsigned char pair[2] = { (unsigned char)enc[i >> 6],
			(unsigned char)enc[i & 63] };

		memcpy(&enc2[i], pair, 2);
	}
	for (unsigned c = 0; c < 256; c++)
		for (unsigned pos = 0; pos < 4; pos++)
			dec4[pos][c] = BAD;
	for (unsigned v = 0; v < 64; v++)
		for (unsigned pos = 0; pos < 4; pos++)
			dec4[pos][(unsigned char)enc[v]] = v << (18 - 6 * pos);
}

static uint64_t
load_be64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

size_t
lb_b64_encoded_size(size_t len)
{
	return (len + 2) / 3 * 4 + 1;
}

size_t
lb_b64_encode(const void *src, size_t len, char *dst)
{
	const unsigned char *s = src;
	char *d = dst;
	size_t i = 0;

#ifdef B64_SSSE3
	if (have_ssse3)
		for (; i + 16 <= len; i += 12, d += 16)
			enc16(s + i, d);
#endif
	/* six bytes (read as eight) to eight characters */
	for (; i + 8 <= len; i += 6, d += 8) {
		uint64_t v = load_be64(s + i) >> 16;
		uint16_t out[4] = { enc2[v >> 36], enc2[(v >> 24) & 4095],
			enc2[(v >> 12) & 4095], enc2[v & 4095] };

		memcpy(d, out, 8);
	}
	for (; i + 2 < len; i += 3) {
		uint32_t v =
		    (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		memcpy(d, &enc2[v >> 12], 2);
		memcpy(d + 2, &enc2[v & 4095], 2);
		d += 4;
	}
	if (i < len) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		*d++ = enc[v >> 18];
		*d++ = enc[(v >> 12) & 63];
		*d++ = i + 1 < len ? enc[(v >> 6) & 63] : '=';
		*d++ = '=';
	}
	*d = '\0';
	return (size_t)(d - dst);
}

long
lb_b64_decode(const char *src, size_t len, void *dst)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *d = dst;
	size_t pad = 0, i, n = 0;
	uint32_t v;

	while (len > 0 && src[len - 1] == '=') {
		len--;
		if (++pad > 2)
			return -1;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		return -1;
	if (len % 4 == 1)
		return -1;
	i = 0;
#ifdef B64_SSSE3
	/* 16 bytes stored for 12: stop while 8 characters (6 bytes) remain */
	if (have_ssse3)
		for (; i + 24 <= len && dec16(src + i, d + n); i += 16, n += 12)
			;
#endif
	for (; i + 4 <= len; i += 4, n += 3) {
		v = dec4[0][s[i]] | dec4[1][s[i + 1]] | dec4[2][s[i + 2]] |
		    dec4[3][s[i + 3]];
		if (v & BAD)
			return -1;
		d[n] = (unsigned char)(v >> 16);
		d[n + 1] = (unsigned char)(v >> 8);
		d[n + 2] = (unsigned char)v;
	}
	if (i < len) { /* 2 or 3 characters: 1 or 2 bytes */
		v = dec4[0][s[i]] | dec4[1][s[i + 1]] |
		    (i + 2 < len ? dec4[2][s[i + 2]] : 0);
		if (v & BAD)
			return -1;
		d[n++] = (unsigned char)(v >> 16);
		if (i + 2 < len)
			d[n++] = (unsigned char)(v >> 8);
	}
	return (long)n;
}

long
lb_b64url_decode(const char *src, size_t len, void *dst)
{
	char stack[512], *buf = stack;
	long n;

	if (len % 4 == 1)
		return -1;
	if (len + 3 > sizeof(stack) && (buf = malloc(len + 3)) == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9'))) {
			n = -1;
			goto out;
		}
		buf[i] = c;
	}
	n = lb_b64_decode(buf, len, dst);
out:
	if (buf != stack)
		free(buf);
	return n;
}
