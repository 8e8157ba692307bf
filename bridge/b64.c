/* b64.c - standard base64 (RFC 4648, with padding). */
#include <stdint.h>

#include "b64.h"

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v =
		    (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*d++ = enc[v >> 18];
		*d++ = enc[(v >> 12) & 63];
		*d++ = enc[(v >> 6) & 63];
		*d++ = enc[v & 63];
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

static int
dec(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
lb_b64_decode(const char *src, size_t len, void *dst)
{
	unsigned char *d = dst;
	uint32_t acc = 0;
	size_t n = 0, i;
	int bits = 0;

	while (len > 0 && src[len - 1] == '=') {
		len--;
		if (++n > 2)
			return -1;
	}
	if (n > 0 && (len + n) % 4 != 0)
		return -1;
	if (len % 4 == 1)
		return -1;
	n = 0;
	for (i = 0; i < len; i++) {
		int v = dec((unsigned char)src[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)n;
}
