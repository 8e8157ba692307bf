/*
 * fuzz_cidr.c - libFuzzer target for cidr.c (`make fuzz`): what
 * gateway.metrics_allow holds and what a web server passes as REMOTE_ADDR.
 *
 * The input, as a string up to its first NUL, is parsed as a network and
 * matched as an address.  A network that parses must write back as text
 * that parses to the same network, contain its own first address and,
 * unless it is a /0, not the address just past its last one; a refusal
 * must give a reason.  The bytes after the first NUL are matched as an
 * address against the network too.  Crashes, leaks and undefined
 * behaviour are caught by ASan/UBSan.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX 256

static void
check_network(const struct lb_cidr *n)
{
	struct lb_cidr again;
	unsigned char past[16];
	char text[64], addr[64];
	unsigned len = n->family == AF_INET ? 4 : 16;
	int carry = 1;

	lb_cidr_format(n, text, sizeof(text));
	if (lb_cidr_parse(text, &again) != NULL || again.family != n->family ||
	    again.bits != n->bits || memcmp(again.addr, n->addr, len) != 0)
		abort();
	if (inet_ntop(n->family, n->addr, addr, sizeof(addr)) == NULL ||
	    !lb_cidr_match(n, 1, addr))
		abort();
	if (n->bits == 0)
		return;
	/* the first address after the network: add 1 at its last bit */
	memcpy(past, n->addr, len);
	for (int bit = (int)n->bits - 1; bit >= 0 && carry; bit--) {
		unsigned char m = (unsigned char)(0x80 >> (bit % 8));

		carry = (past[bit / 8] & m) != 0;
		past[bit / 8] ^= m;
	}
	if (carry)
		return; /* the network reaches the end of the address space */
	if (inet_ntop(n->family, past, addr, sizeof(addr)) == NULL ||
	    lb_cidr_match(n, 1, addr))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[IN_MAX + 1], rest[IN_MAX + 1];
	struct lb_cidr n;
	const char *why;
	size_t k = 0, r = 0;

	while (k < size && k < IN_MAX && data[k] != 0) {
		in[k] = (char)data[k];
		k++;
	}
	in[k] = '\0';
	for (size_t i = k + 1; i < size && r < IN_MAX && data[i] != 0; i++)
		rest[r++] = (char)data[i];
	rest[r] = '\0';
	why = lb_cidr_parse(in, &n);
	if (why == NULL) {
		check_network(&n);
		(void)lb_cidr_match(&n, 1, rest);
	} else if (why[0] == '\0') {
		abort();
	}
	(void)lb_cidr_match(NULL, 0, in);
	return 0;
}
