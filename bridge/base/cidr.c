/*
 * cidr.c - networks in CIDR notation and address matching (cidr.h), on
 * inet_pton and inet_ntop.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cidr.h"

/* ::ffff:0:0/96, the IPv4-mapped addresses */
static const unsigned char mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff };

/* An address into family and bytes, an IPv4-mapped one as IPv4; 0 or -1. */
static int
parse_addr(const char *s, int *family, unsigned char addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return -1;
	*family = AF_INET6;
	if (memcmp(addr, mapped_prefix, sizeof(mapped_prefix)) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
	return 0;
}

/* Whether the first `bits` bits of a and b are equal. */
static int
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

const char *
lb_cidr_parse(const char *s, struct lb_cidr *out)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned char addr[16];
	unsigned long bits;
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	char *end;
	int family;

	if (alen == 0 || alen >= sizeof(text))
		return "not an IPv4 or IPv6 address";
	memcpy(text, s, alen);
	text[alen] = '\0';
	memset(addr, 0, sizeof(addr));
	if (parse_addr(text, &family, addr) < 0)
		return "not an IPv4 or IPv6 address";
	max = family == AF_INET ? 32 : 128;
	/* the prefix of an IPv4-mapped network counts its 96 leading bits */
	if (family == AF_INET && strchr(text, ':') != NULL)
		max = 128;
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return "the prefix length must be a number";
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0')
			return "the prefix length must be a number";
		if (bits > max)
			return max == 32
			    ? "the prefix length of an IPv4 network "
			      "is at most 32"
			    : "the prefix length of an IPv6 network "
			      "is at most 128";
	}
	if (max == 128 && family == AF_INET) {
		if (bits < 96)
			return "an IPv4-mapped network needs a prefix of at "
			       "least 96";
		bits -= 96;
	}
	/* no bit set after the prefix */
	{
		unsigned char masked[16];
		unsigned n = family == AF_INET ? 4 : 16;

		memcpy(masked, addr, n);
		for (unsigned i = 0; i < n * 8; i++)
			if (i >= bits)
				masked[i / 8] &=
				    (unsigned char)~(0x80 >> (i % 8));
		if (memcmp(masked, addr, n) != 0)
			return "host bits are set after the prefix (write the "
			       "network's first address)";
	}
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->addr, addr, sizeof(out->addr));
	out->bits = (unsigned)bits;
	return NULL;
}

void
lb_cidr_format(const struct lb_cidr *n, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(n->family, n->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, n->bits);
}

int
lb_cidr_match(const struct lb_cidr *nets, size_t n, const char *addr)
{
	unsigned char a[16];
	int family;

	if (addr == NULL)
		return 0;
	memset(a, 0, sizeof(a));
	if (parse_addr(addr, &family, a) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (nets[i].family == family &&
		    prefix_equal(a, nets[i].addr, nets[i].bits))
			return 1;
	return 0;
}
