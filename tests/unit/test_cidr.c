/*
 * test_cidr.c - cidr.c: parsing networks, the reasons for refusing one,
 * and matching addresses (IPv4, IPv6, IPv4-mapped, prefix boundaries).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cidr.h"
#include "test.h"

void lb_test_suite_cidr(void);

static void
test_parse(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "127.0.0.1/32", "127.0.0.1/32" },
		{ "127.0.0.0/8", "127.0.0.0/8" },
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "192.0.2.7", "192.0.2.7/32" },
		{ "::1/128", "::1/128" },
		{ "::1", "::1/128" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "::/0", "::/0" },
		{ "fe80::/10", "fe80::/10" },
		/* an IPv4-mapped network is its IPv4 network */
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
		{ "::ffff:127.0.0.1", "127.0.0.1/32" },
	};
	struct lb_cidr n;
	char buf[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_PTR_NULL(lb_cidr_parse(good[i].in, &n));
		lb_cidr_format(&n, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, good[i].out);
	}
}

static void
test_refused(void)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "not an IPv4 or IPv6 address" },
		{ "localhost", "not an IPv4 or IPv6 address" },
		{ "/8", "not an IPv4 or IPv6 address" },
		{ "127.0.0.256/32", "not an IPv4 or IPv6 address" },
		{ " 127.0.0.1", "not an IPv4 or IPv6 address" },
		{ "fe80::1%eth0", "not an IPv4 or IPv6 address" },
		{ "127.0.0.1/", "the prefix length must be a number" },
		{ "127.0.0.1/-1", "the prefix length must be a number" },
		{ "127.0.0.1/8x", "the prefix length must be a number" },
		{ "127.0.0.1/ 8", "the prefix length must be a number" },
		{ "127.0.0.1/33",
		    "the prefix length of an IPv4 network is at most 32" },
		{ "::1/129",
		    "the prefix length of an IPv6 network is at most 128" },
		{ "127.0.0.1/99999999999999999999",
		    "the prefix length of an IPv4 network is at most 32" },
		{ "10.0.0.1/8",
		    "host bits are set after the prefix (write the "
		    "network's first address)" },
		{ "2001:db8::1/32",
		    "host bits are set after the prefix (write "
		    "the network's first address)" },
		{ "::ffff:10.0.0.0/64",
		    "an IPv4-mapped network needs a prefix of at least 96" },
	};
	struct lb_cidr n;

	memset(&n, 0x5a, sizeof(n));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = lb_cidr_parse(bad[i].in, &n);

		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		CU_ASSERT_STRING_EQUAL(why, bad[i].why);
		/* untouched on failure */
		CU_ASSERT_EQUAL(n.bits, 0x5a5a5a5au);
	}
}

static void
test_match(void)
{
	const char *nets_s[] = { "127.0.0.0/8", "::1/128", "192.0.2.64/26",
		"2001:db8:1::/48", "10.1.2.3/32" };
	struct lb_cidr nets[5];
	static const struct {
		const char *addr;
		int in;
	} cases[] = {
		{ "127.0.0.1", 1 },
		{ "127.255.255.255", 1 },
		{ "128.0.0.0", 0 },
		{ "126.255.255.255", 0 },
		{ "::1", 1 },
		{ "::2", 0 },
		{ "::", 0 },
		/* the /26: 64 .. 127 */
		{ "192.0.2.63", 0 },
		{ "192.0.2.64", 1 },
		{ "192.0.2.127", 1 },
		{ "192.0.2.128", 0 },
		{ "2001:db8:1::1", 1 },
		{ "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "2001:db8:2::", 0 },
		{ "10.1.2.3", 1 },
		{ "10.1.2.4", 0 },
		/* IPv4-mapped addresses are IPv4 */
		{ "::ffff:127.0.0.1", 1 },
		{ "::ffff:192.0.2.100", 1 },
		{ "::ffff:8.8.8.8", 0 },
		/* an IPv4 address is not the IPv6 loopback, nor the reverse */
		{ "0.0.0.1", 0 },
		{ "", 0 },
		{ "not an address", 0 },
		{ "127.0.0.1 ", 0 },
	};

	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_PTR_NULL_FATAL(lb_cidr_parse(nets_s[i], &nets[i]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int in = lb_cidr_match(nets, 5, cases[i].addr);

		if (in != cases[i].in)
			fprintf(stderr, "%s: %d\n", cases[i].addr, in);
		CU_ASSERT_EQUAL(in, cases[i].in);
	}
	CU_ASSERT_EQUAL(lb_cidr_match(nets, 5, NULL), 0);
	CU_ASSERT_EQUAL(lb_cidr_match(nets, 0, "127.0.0.1"), 0);
	/* /0 takes every address of its family, and only those */
	CU_ASSERT_PTR_NULL_FATAL(lb_cidr_parse("0.0.0.0/0", &nets[0]));
	CU_ASSERT_EQUAL(lb_cidr_match(nets, 1, "203.0.113.9"), 1);
	CU_ASSERT_EQUAL(lb_cidr_match(nets, 1, "2001:db8::1"), 0);
}

void
lb_test_suite_cidr(void)
{
	static CU_TestInfo tests[] = {
		{ "parse", test_parse },
		{ "refused", test_refused },
		{ "match", test_match },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("cidr", tests);
}
