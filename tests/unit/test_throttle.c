/*
 * test_throttle.c - the token bucket (throttle.c), on a clock the tests
 * move by hand, and from several threads at once.
 */
#include <pthread.h>
#include <time.h>

#include "test.h"
#include "apigw/throttle.h"

void lb_test_suite_throttle(void);

#define SEC 1000000 /* µs */

/* How many of n requests at time `now` go through. */
static int
takes(struct lb_throttle *t, int n, int64_t now)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += lb_throttle_take(t, now);
	return ok;
}

static void
test_burst_then_rate(void)
{
	struct lb_throttle t;
	struct lb_throttle_limits lim = { 10, 5 };
	int64_t t0 = 1000 * SEC;

	lb_throttle_init(&t, lim, t0);
	/* a full bucket: the burst at once, then nothing */
	CU_ASSERT_EQUAL(takes(&t, 8, t0), 5);
	/* 10 per second: one token every 100 ms */
	CU_ASSERT_EQUAL(takes(&t, 3, t0 + 99000), 0);
	CU_ASSERT_EQUAL(takes(&t, 3, t0 + 100000), 1);
	CU_ASSERT_EQUAL(takes(&t, 3, t0 + 350000), 2);
	/* the bucket never holds more than the burst */
	CU_ASSERT_EQUAL(takes(&t, 20, t0 + 60 * SEC), 5);
	/* steady state: about rate per second */
	{
		int ok = 0;

		for (int ms = 1; ms <= 2000; ms++)
			ok += takes(&t, 1, t0 + 60 * SEC + (int64_t)ms * 1000);
		CU_ASSERT(ok >= 19 && ok <= 21);
	}
	lb_throttle_destroy(&t);
}

static void
test_fractional_and_zero(void)
{
	struct lb_throttle t;
	struct lb_throttle_limits half = { 0.5, 1 }, none = { 0, 0 },
	                          once = { 0, 3 }, no_burst = { 1000, 0 };

	/* half a request per second */
	lb_throttle_init(&t, half, 0);
	CU_ASSERT_EQUAL(takes(&t, 2, 0), 1);
	CU_ASSERT_EQUAL(takes(&t, 1, 1 * SEC), 0);
	CU_ASSERT_EQUAL(takes(&t, 1, 2 * SEC), 1);
	lb_throttle_destroy(&t);
	/* rate 0 and burst 0: everything is throttled */
	lb_throttle_init(&t, none, 0);
	CU_ASSERT_EQUAL(takes(&t, 5, 0), 0);
	CU_ASSERT_EQUAL(takes(&t, 5, 3600LL * SEC), 0);
	lb_throttle_destroy(&t);
	/* rate 0: the burst, once */
	lb_throttle_init(&t, once, 0);
	CU_ASSERT_EQUAL(takes(&t, 5, 0), 3);
	CU_ASSERT_EQUAL(takes(&t, 5, 3600LL * SEC), 0);
	lb_throttle_destroy(&t);
	/* burst 0: a bucket that holds no token lets nothing through */
	lb_throttle_init(&t, no_burst, 0);
	CU_ASSERT_EQUAL(takes(&t, 5, 10 * SEC), 0);
	lb_throttle_destroy(&t);
}

static void
test_clock_backwards(void)
{
	struct lb_throttle t;
	struct lb_throttle_limits lim = { 1, 1 };

	lb_throttle_init(&t, lim, 10 * SEC);
	CU_ASSERT_EQUAL(takes(&t, 1, 10 * SEC), 1);
	/* an earlier time adds nothing (and does not reset the clock) */
	CU_ASSERT_EQUAL(takes(&t, 1, 5 * SEC), 0);
	CU_ASSERT_EQUAL(takes(&t, 1, 10 * SEC + 999999), 0);
	CU_ASSERT_EQUAL(takes(&t, 1, 11 * SEC), 1);
	lb_throttle_destroy(&t);
}

#define utc lb_test_utc_ms

static void
test_quota_periods(void)
{
	/* period, now (y m d h min), the end (y m d, 00:00) */
	static const struct {
		enum lb_quota_period p;
		int now[5], end[3];
	} cases[] = {
		/* Monday 2026-11-23 15:30 UTC */
		{ LB_QUOTA_DAY, { 2026, 11, 23, 15, 30 }, { 2026, 11, 24 } },
		/* weeks start on Sunday (API Gateway's offset 0) */
		{ LB_QUOTA_WEEK, { 2026, 11, 23, 15, 30 }, { 2026, 11, 29 } },
		{ LB_QUOTA_WEEK, { 2026, 11, 29, 0, 0 }, { 2026, 12, 6 } },
		{ LB_QUOTA_WEEK, { 2026, 11, 28, 23, 59 }, { 2026, 11, 29 } },
		{ LB_QUOTA_MONTH, { 2026, 11, 23, 15, 30 }, { 2026, 12, 1 } },
		/* across a year, a leap February */
		{ LB_QUOTA_MONTH, { 2026, 12, 31, 23, 59 }, { 2027, 1, 1 } },
		{ LB_QUOTA_DAY, { 2026, 12, 31, 0, 0 }, { 2027, 1, 1 } },
		{ LB_QUOTA_MONTH, { 2028, 2, 10, 0, 0 }, { 2028, 3, 1 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const int *n = cases[i].now, *e = cases[i].end;
		int64_t now = utc(n[0], n[1], n[2], n[3], n[4]) + 123;

		CU_ASSERT_EQUAL(lb_quota_period_end(cases[i].p, now),
		    utc(e[0], e[1], e[2], 0, 0));
	}
	CU_ASSERT_EQUAL(lb_quota_period_end(LB_QUOTA_NONE, 0), INT64_MAX);
}

/* The gateway's buckets where no limit is set: off, everything goes. */
static void
test_off(void)
{
	struct lb_throttle t;
	struct lb_throttle_limits off = { -1, -1 };

	lb_throttle_init(&t, off, 0);
	CU_ASSERT_EQUAL(t.on, 0);
	CU_ASSERT_EQUAL(takes(&t, 10000, 0), 10000);
	lb_throttle_destroy(&t);
}

struct taker {
	struct lb_throttle *t;
	int ok;
};

static void *
taker(void *arg)
{
	struct taker *k = arg;

	k->ok = takes(k->t, 1000, 0);
	return NULL;
}

static void
test_threads(void)
{
	struct lb_throttle t;
	struct lb_throttle_limits lim = { 0, 2500 };
	struct taker k[4];
	pthread_t tid[4];
	int sum = 0;

	lb_throttle_init(&t, lim, 0);
	for (int i = 0; i < 4; i++) {
		k[i].t = &t;
		CU_ASSERT_FATAL(
		    pthread_create(&tid[i], NULL, taker, &k[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		sum += k[i].ok;
	}
	/* exactly the burst, however the threads interleave */
	CU_ASSERT_EQUAL(sum, 2500);
	lb_throttle_destroy(&t);
}

void
lb_test_suite_throttle(void)
{
	static CU_TestInfo tests[] = {
		{ "burst, then the rate", test_burst_then_rate },
		{ "fractional and zero limits", test_fractional_and_zero },
		{ "clock going backwards", test_clock_backwards },
		{ "threads", test_threads },
		{ "quota periods", test_quota_periods },
		{ "no limit set", test_off },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("throttle", tests);
}
