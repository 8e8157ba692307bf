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
 * On x86 both directions also take whole vectors, after Muła and Lemire
 * ("Faster Base64 Encoding and Decoding Using AVX2 Instructions", 2018, and
 * "Base64 encoding and decoding at almost the speed of a memory copy",
 * 2019), chosen at run time by what the CPU has:
 *
 *   AVX-512 VBMI  64 characters -> 48 bytes a step (byte permutes);
 *                 encoding stays with AVX2, which measured as fast in
 *                 place (docs/performance.md, session 10)
 *   AVX2          24 bytes <-> 32 characters
 *   SSSE3         12 bytes <-> 16 characters (every x86-64 CPU since 2006)
 *
 * The bytes are reshuffled into 6-bit fields and translated with table
 * lookups.  Invalid input ('=' included) leaves a vector loop and is judged
 * by the next one down, at last by the scalar loop.  A build without
 * __SSE2__ (the ASan one) keeps to the scalar code; lb_b64_simd_cap lets
 * the unit tests run every level this CPU has against the scalar one.
 */
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
#define B64_SSSE3 1
#include <immintrin.h>
#endif

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* BAD in a decoded group: a character outside the alphabet */
#define BAD 0x01000000u

static uint16_t enc2[4096];   /* 12 bits -> two characters, in memory order */
static uint32_t dec4[4][256]; /* character -> its 6 bits at position i */

#ifdef B64_SSSE3
/* the best level this CPU has, and the cap the tests may set */
enum { LVL_SCALAR, LVL_SSSE3, LVL_AVX2, LVL_AVX512 };
static int level, level_cpu;
/*
 * AVX2 and AVX-512 from this length only: the first wide instructions
 * after a while cost a core a warm-up (its upper vector lanes powered up),
 * which a short body does not repay.  lb_b64_simd_cap lowers it.
 */
#define WIDE_MIN 4096
static size_t wide_min = WIDE_MIN;

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

/* Encodes 24 bytes into 32 characters, reading 32 bytes from src - 4. */
__attribute__((target("avx2"))) static void
enc32(const unsigned char *src, char *dst)
{
	const __m256i lut = _mm256_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4,
	    -4, -4, -4, -19, -16, 0, 0, 65, 71, -4, -4, -4, -4, -4, -4, -4, -4,
	    -4, -4, -19, -16, 0, 0);
	__m256i in =
	    _mm256_loadu_si256((const __m256i *)(const void *)(src - 4));
	__m256i t0, t1, t2, t3, idx, sel;

	/* the low lane holds bytes 0..11 at 4..15, the high one 12..23 at
	 * 0..11: each 32-bit lane gets b a c b of a group a b c */
	in = _mm256_shuffle_epi8(in,
	    _mm256_setr_epi8(5, 4, 6, 5, 8, 7, 9, 8, 11, 10, 12, 11, 14, 13, 15,
	        14, 1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));
	t0 = _mm256_and_si256(in, _mm256_set1_epi32(0x0fc0fc00));
	t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
	t2 = _mm256_and_si256(in, _mm256_set1_epi32(0x003f03f0));
	t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
	idx = _mm256_or_si256(t1, t3);
	sel = _mm256_sub_epi8(_mm256_subs_epu8(idx, _mm256_set1_epi8(51)),
	    _mm256_cmpgt_epi8(idx, _mm256_set1_epi8(25)));
	_mm256_storeu_si256((__m256i *)(void *)dst,
	    _mm256_add_epi8(idx, _mm256_shuffle_epi8(lut, sel)));
}

/* Decodes 32 characters into 24 bytes (writing 32); 0 if one is not in
 * the alphabet.  The SSSE3 steps in both lanes. */
__attribute__((target("avx2"))) static int
dec32(const char *src, unsigned char *dst)
{
	const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a,
	    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13,
	    0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04,
	    0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10,
	    0x10, 0x10, 0x10, 0x10, 0x10);
	const __m256i lut_roll =
	    _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0,
	        0, 0, 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i m2f = _mm256_set1_epi8(0x2f);
	__m256i str = _mm256_loadu_si256((const __m256i *)(const void *)src);
	__m256i hi_nib = _mm256_and_si256(_mm256_srli_epi32(str, 4), m2f);
	__m256i lo_nib = _mm256_and_si256(str, m2f);
	__m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nib);
	__m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nib);
	__m256i roll, ab_bc, out;

	if (_mm256_movemask_epi8(_mm256_cmpgt_epi8(
	        _mm256_and_si256(lo, hi), _mm256_setzero_si256())) != 0)
		return 0;
	roll = _mm256_shuffle_epi8(
	    lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(str, m2f), hi_nib));
	str = _mm256_add_epi8(str, roll);
	ab_bc = _mm256_maddubs_epi16(str, _mm256_set1_epi32(0x01400140));
	out = _mm256_madd_epi16(ab_bc, _mm256_set1_epi32(0x00011000));
	out = _mm256_shuffle_epi8(out,
	    _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1,
	        -1, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
	/* 12 bytes from each lane, side by side */
	out = _mm256_permutevar8x32_epi32(
	    out, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
	_mm256_storeu_si256((__m256i *)(void *)dst, out);
	return 1;
}

#define AVX512 "avx512f,avx512bw,avx512vbmi"

/* Decodes 64 characters into 48 bytes (writing 64); 0 if one is not in
 * the alphabet.  vals0/vals1: character -> value, 0x80 when invalid. */
__attribute__((target(AVX512))) static int
dec64(const char *src, unsigned char *dst, __m512i vals0, __m512i vals1)
{
	const __m512i pack =
	    _mm512_setr_epi32(0x06000102, 0x090a0405, 0x0c0d0e08, 0x16101112,
	        0x191a1415, 0x1c1d1e18, 0x26202122, 0x292a2425, 0x2c2d2e28,
	        0x36303132, 0x393a3435, 0x3c3d3e38, 0, 0, 0, 0);
	__m512i str = _mm512_loadu_si512((const void *)src);
	__m512i v = _mm512_permutex2var_epi8(vals0, str, vals1);

	/* a character above 0x7f, or one the table marks */
	if (_mm512_movepi8_mask(_mm512_or_si512(v, str)) != 0)
		return 0;
	v = _mm512_maddubs_epi16(v, _mm512_set1_epi32(0x01400140));
	v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00011000));
	_mm512_storeu_si512((void *)dst, _mm512_permutexvar_epi8(pack, v));
	return 1;
}

/* The AVX-512 decoding loop, with its table loaded once. */
static signed char dec_vals[128];

__attribute__((target(AVX512))) static size_t
dec_avx512(const char *src, size_t len, unsigned char *d, size_t *n)
{
	__m512i vals0 = _mm512_loadu_si512((const void *)dec_vals);
	__m512i vals1 = _mm512_loadu_si512((const void *)(dec_vals + 64));
	size_t i = 0;

	/* 64 bytes stored for 48: stop while 24 characters remain */
	for (; len - i >= 88 && dec64(src + i, d + *n, vals0, vals1);
	     i += 64, *n += 48)
		;
	return i;
}
#endif

__attribute__((constructor)) static void
b64_tables(void)
{
#ifdef B64_SSSE3
	__builtin_cpu_init();
	level_cpu = !__builtin_cpu_supports("ssse3") ? LVL_SCALAR
	    : !__builtin_cpu_supports("avx2")        ? LVL_SSSE3
	    : !(__builtin_cpu_supports("avx512f") &&
	          __builtin_cpu_supports("avx512bw") &&
	          __builtin_cpu_supports("avx512vbmi"))
	    ? LVL_AVX2
	    : LVL_AVX512;
	level = level_cpu;
	for (unsigned c = 0; c < 128; c++) {
		const char *at = c != 0 ? strchr(enc, (int)c) : NULL;

		dec_vals[c] = at != NULL ? (signed char)(at - enc) : -128;
	}
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
	/* AVX-512 encodes no faster here: slower than AVX2 in case E */
	if (level >= LVL_AVX2 && len >= wide_min && len - i >= 36) {
		/* enc32 reads from 4 bytes before its block */
		enc16(s + i, d);
		for (i += 12, d += 16; len - i >= 28; i += 24, d += 32)
			enc32(s + i, d);
	}
	if (level >= LVL_SSSE3)
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
	if (level >= LVL_AVX512 && len >= wide_min)
		i = dec_avx512(src, len, d, &n);
	/* 32 bytes stored for 24: stop while 16 characters (12 bytes) remain */
	if (level >= LVL_AVX2 && len >= wide_min)
		for (; i + 48 <= len && dec32(src + i, d + n); i += 32, n += 24)
			;
	/* 16 bytes stored for 12: stop while 8 characters (6 bytes) remain */
	if (level >= LVL_SSSE3)
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

int
lb_b64_simd_cap(int cap)
{
#ifdef B64_SSSE3
	wide_min = cap < 0 ? WIDE_MIN : 0;
	if (cap < 0 || cap > level_cpu)
		cap = level_cpu;
	level = cap;
	return level;
#else
	(void)cap;
	return 0;
#endif
}
