/*
 * cidr.h - IPv4 and IPv6 networks in CIDR notation ("127.0.0.0/8",
 * "::1/128") and whether an address is in one of them.  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
 * Pure: no I/O, no globals.
 */
#ifndef LB_CIDR_H
#define LB_CIDR_H

#include <stddef.h>

struct lb_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* the network, 4 or 16 bytes */
	unsigned bits;          /* prefix length */
};

/*
 * Parses "ADDRESS/BITS", or "ADDRESS" alone for one host (/32 or /128).
 * Host bits set beyond the prefix ("10.0.0.1/8") are refused rather than
 * masked: the writer may have meant another network.  Returns NULL, or
 * the reason (a constant string) and *out untouched.
 */
const char *lb_cidr_parse(const char *s, struct lb_cidr *out);

/* Writes n as "ADDRESS/BITS" into buf (at least 64 bytes). */
void lb_cidr_format(const struct lb_cidr *n, char *buf, size_t len);

/*
 * 1 when `addr` (a textual IPv4 or IPv6 address, as REMOTE_ADDR holds it)
 * is inside one of the n networks, else 0 (also for NULL or what is not
 * an address).
 */
int lb_cidr_match(const struct lb_cidr *nets, size_t n, const char *addr);

#endif /* LB_CIDR_H */
