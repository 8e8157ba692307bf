/*
 * test_fmt.c - fmt.c: the same text as snprintf, and truncation.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "test.h"

void lb_test_suite_fmt(void);

static void
test_numbers(void)
{
	static const int64_t ints[] = { 0, 1, -1, 9, 10, 4096, -123456789,
		INT64_MAX, INT64_MIN };
	char a[64], b[64];
	struct lb_fmt f;

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		lb_fmt_init(&f, a, sizeof(a));
		lb_fmt_i64(&f, ints[i]);
		lb_fmt_done(&f, a);
		snprintf(b, sizeof(b), "%lld", (long long)ints[i]);
		CU_ASSERT_STRING_EQUAL(a, b);
	}
	lb_fmt_init(&f, a, sizeof(a));
	lb_fmt_u64(&f, UINT64_MAX);
	lb_fmt_done(&f, a);
	CU_ASSERT_STRING_EQUAL(a, "18446744073709551615");
	/* durations as REPORT lines show them (no exact ties here) */
	for (int i = 0; i < 200000; i += 7) {
		double v = i / 997.0;

		lb_fmt_init(&f, a, sizeof(a));
		lb_fmt_fixed2(&f, v);
		lb_fmt_done(&f, a);
		snprintf(b, sizeof(b), "%.2f", v);
		if (strcmp(a, b) != 0)
			fprintf(stderr, "%.17g: %s vs %s\n", v, a, b);
		CU_ASSERT_STRING_EQUAL(a, b);
	}
	lb_fmt_init(&f, a, sizeof(a));
	lb_fmt_fixed2(&f, -2.5);
	lb_fmt_done(&f, a);
	CU_ASSERT_STRING_EQUAL(a, "-2.50");
}

static void
test_truncation(void)
{
	char a[8];
	struct lb_fmt f;

	lb_fmt_init(&f, a, sizeof(a));
	lb_fmt_str(&f, "START ");
	lb_fmt_str(&f, "RequestId");
	lb_fmt_u64(&f, 42);
	CU_ASSERT_EQUAL(lb_fmt_done(&f, a), 7);
	CU_ASSERT_STRING_EQUAL(a, "START R");
}

void
lb_test_suite_fmt(void)
{
	static CU_TestInfo tests[] = {
		{ "numbers as snprintf", test_numbers },
		{ "truncation", test_truncation },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("fmt", tests);
}
