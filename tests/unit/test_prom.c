/*
 * test_prom.c - prom.c: the exposition text byte for byte, escaping, the
 * spelling of values, histogram buckets and their bounds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/prom.h"
#include "test.h"

void lb_test_suite_prom(void);

static const struct lb_prom_layout layout3 = { 3, { 0.005, 0.5, 1 } };

/* The text of p, freed; compared with `want`. */
static void
expect_text(struct lb_prom *p, const char *want)
{
	size_t len;
	char *s = lb_prom_take(p, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_STRING_EQUAL(s, want);
	free(s);
}

static void
test_family_and_samples(void)
{
	struct lb_prom p;
	struct lb_prom_label l[2] = { { "function", "hello" },
		{ "type", "Unhandled" } };

	lb_prom_init(&p);
	lb_prom_family(
	    &p, "lambdabridge_errors_total", "counter", "Failed invocations.");
	lb_prom_sample_u64(&p, "lambdabridge_errors_total", l, 2, 3);
	lb_prom_sample_u64(
	    &p, "lambdabridge_errors_total", l, 1, 18446744073709551615ull);
	lb_prom_family(&p, "process_open_fds", "gauge", "Open fds.");
	lb_prom_sample(&p, "process_open_fds", NULL, 0, 12);
	expect_text(&p,
	    "# HELP lambdabridge_errors_total Failed invocations.\n"
	    "# TYPE lambdabridge_errors_total counter\n"
	    "lambdabridge_errors_total{function=\"hello\",type=\"Unhandled\"} "
	    "3\n"
	    "lambdabridge_errors_total{function=\"hello\"} "
	    "18446744073709551615\n"
	    "# HELP process_open_fds Open fds.\n"
	    "# TYPE process_open_fds gauge\n"
	    "process_open_fds 12\n");
}

static void
test_escaping(void)
{
	struct lb_prom p;
	/* a label value holds \, " and a newline; HELP escapes \ and the
	 * newline but not the quote */
	struct lb_prom_label l = { "route", "GET /a\\b\"c\nd" };

	lb_prom_init(&p);
	lb_prom_family(&p, "x_total", "counter", "say \"a\\b\"\nend");
	lb_prom_sample_u64(&p, "x_total", &l, 1, 1);
	expect_text(&p,
	    "# HELP x_total say \"a\\\\b\"\\nend\n"
	    "# TYPE x_total counter\n"
	    "x_total{route=\"GET /a\\\\b\\\"c\\nd\"} 1\n");
}

static void
test_values(void)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ -3, "-3" },
		{ 0.005, "0.005" },
		{ 2.5, "2.5" },
		{ 0.1, "0.1" },
		{ 1e15, "1e+15" },
		{ 123456789012, "123456789012" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 4e-05, "4e-05" },
		{ 0.1 + 0.2, "0.30000000000000004" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lb_prom_format_value(buf, sizeof(buf), cases[i].v);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
		/* whatever the spelling, it reads back the same */
		CU_ASSERT_EQUAL(strtod(buf, NULL), cases[i].v);
	}
	lb_prom_format_value(buf, sizeof(buf), INFINITY);
	CU_ASSERT_STRING_EQUAL(buf, "+Inf");
	lb_prom_format_value(buf, sizeof(buf), -INFINITY);
	CU_ASSERT_STRING_EQUAL(buf, "-Inf");
	lb_prom_format_value(buf, sizeof(buf), NAN);
	CU_ASSERT_STRING_EQUAL(buf, "NaN");
}

static void
test_histogram(void)
{
	struct lb_prom_hist hist;
	struct lb_prom p;
	struct lb_prom_label l = { "function", "f" };

	lb_prom_hist_init(&hist, &layout3);
	/* a bound belongs to its own bucket (le: less or equal) */
	lb_prom_hist_observe(&hist, 5000);    /* 0.005 */
	lb_prom_hist_observe(&hist, 5001);    /* just over */
	lb_prom_hist_observe(&hist, 500000);  /* 0.5 */
	lb_prom_hist_observe(&hist, 1000000); /* 1 */
	lb_prom_hist_observe(&hist, 2500000); /* over every bound */
	lb_prom_hist_observe(&hist, -7);      /* counts as 0 */
	lb_prom_init(&p);
	lb_prom_family(&p, "d_seconds", "histogram", "Durations.");
	lb_prom_hist_write(&p, "d_seconds", &l, 1, &hist);
	expect_text(&p,
	    "# HELP d_seconds Durations.\n"
	    "# TYPE d_seconds histogram\n"
	    "d_seconds_bucket{function=\"f\",le=\"0.005\"} 2\n"
	    "d_seconds_bucket{function=\"f\",le=\"0.5\"} 4\n"
	    "d_seconds_bucket{function=\"f\",le=\"1\"} 5\n"
	    "d_seconds_bucket{function=\"f\",le=\"+Inf\"} 6\n"
	    "d_seconds_sum{function=\"f\"} 4.010001\n"
	    "d_seconds_count{function=\"f\"} 6\n");
	/* without labels, le is the only one */
	lb_prom_hist_init(&hist, &layout3);
	lb_prom_init(&p);
	lb_prom_hist_write(&p, "e_seconds", NULL, 0, &hist);
	expect_text(&p,
	    "e_seconds_bucket{le=\"0.005\"} 0\n"
	    "e_seconds_bucket{le=\"0.5\"} 0\n"
	    "e_seconds_bucket{le=\"1\"} 0\n"
	    "e_seconds_bucket{le=\"+Inf\"} 0\n"
	    "e_seconds_sum 0\n"
	    "e_seconds_count 0\n");
}

static void
test_empty_and_growth(void)
{
	struct lb_prom p;
	size_t len;
	char *s;

	lb_prom_init(&p);
	s = lb_prom_take(&p, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, 0);
	free(s);
	/* past the first 4096 bytes: every sample is there, in order */
	lb_prom_init(&p);
	for (int i = 0; i < 2000; i++)
		lb_prom_sample(&p, "n", NULL, 0, i);
	s = lb_prom_take(&p, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(strncmp(s, "n 0\nn 1\n", 8), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nn 1999\n"));
	CU_ASSERT_EQUAL(strlen(s), len);
	free(s);
}

void
lb_test_suite_prom(void)
{
	static CU_TestInfo tests[] = {
		{ "family and samples", test_family_and_samples },
		{ "escaping", test_escaping },
		{ "values", test_values },
		{ "histogram", test_histogram },
		{ "empty and growth", test_empty_and_growth },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("prom", tests);
}
