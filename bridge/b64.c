/*
 * b64.c - standard base64 (RFC 4648, with padding).
 *
 * Table driven: every large body crosses it twice per request (the event
 * carries a binary request body in base64, a result may carry its body in
 * base64), so both directions work on whole groups: six bytes to eight
 * characters per step when encoding, four characters to three bytes when
 * decoding.
 */
#include <stdint.h>
#include <string.h>

#include "b64.h"

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* BAD in a decoded group: a character outside the alphabet */
#define BAD 0x01000000u

static uint16_t enc2[4096];   /* 12 bits -> two characters, in memory order */
static uint32_t dec4[4][256]; /* character -> its 6 bits at position i */

__attribute__((constructor)) static void
b64_tables(void)
{
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
	for (i = 0; i + 4 <= len; i += 4, n += 3) {
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
