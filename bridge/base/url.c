/*
 * url.c - percent-decoding, query splitting, UTF-8 checks.
 */
#include <string.h>

#include "base/url.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
lb_url_decode(const char *src, size_t len, char *dst, int flags)
{
	size_t i = 0, o = 0;

	/* o <= i always holds, so decoding in place is safe */
	while (i < len) {
		unsigned char c = (unsigned char)src[i];
		int hi, lo;

		if (c == '%' && i + 2 < len &&
		    (hi = hexval((unsigned char)src[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)src[i + 2])) >= 0 &&
		    !((flags & LB_URL_KEEP_NUL) && hi == 0 && lo == 0)) {
			dst[o++] = (char)(hi << 4 | lo);
			i += 3;
			continue;
		}
		dst[o++] = c == '+' && (flags & LB_URL_PLUS) ? ' ' : (char)c;
		i++;
	}
	return o;
}

int
lb_url_needs_decode(const char *s, size_t len, int flags)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+' && (flags & LB_URL_PLUS))
			return 1;
		if (s[i] == '%' && i + 2 < len &&
		    hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0 &&
		    !((flags & LB_URL_KEEP_NUL) && s[i + 1] == '0' &&
		        s[i + 2] == '0'))
			return 1;
	}
	return 0;
}

int
lb_url_query_next(
    const char **cur, const char *end, int flags, struct lb_url_pair *p)
{
	const char *s = *cur;

	while (s < end) {
		const char *e = s, *eq = NULL;

		while (e < end && *e != '&' &&
		    !(*e == ';' && (flags & LB_URL_SEMICOLON))) {
			if (*e == '=' && eq == NULL)
				eq = e;
			e++;
		}
		if (e == s) { /* empty pair */
			s++;
			continue;
		}
		p->key = s;
		p->key_len = (size_t)((eq != NULL ? eq : e) - s);
		p->has_value = eq != NULL;
		p->value = eq != NULL ? eq + 1 : e;
		p->value_len = eq != NULL ? (size_t)(e - eq - 1) : 0;
		*cur = e < end ? e + 1 : e;
		return 1;
	}
	*cur = end;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int
lb_url_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n;

		/* ASCII fast path, 8 bytes at a time */
		while (i + 8 <= len) {
			unsigned long long w;

			memcpy(&w, u + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		n = utf8_seq(u + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

size_t
lb_url_utf8_sanitize(const char *s, size_t len, char *dst)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = utf8_seq(u + i, len - i);

		if (n == 0) {
			dst[o++] = (char)0xef;
			dst[o++] = (char)0xbf;
			dst[o++] = (char)0xbd;
			i++;
			continue;
		}
		memcpy(dst + o, u + i, n);
		o += n;
		i += n;
	}
	return o;
}
