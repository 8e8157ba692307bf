/*
 * throttle.c - the token bucket (see throttle.h).  A request takes one
 * whole token; tokens accrue continuously at `rate` per second up to
 * `burst`, and the bucket starts full, so `burst` requests may arrive at
 * once and `rate` per second follow.  A burst of 0 throttles everything,
 * as on API Gateway.  A quota's period is a UTC day, week (from Sunday)
 * or month.
 */
#include <time.h>

#include "apigw/throttle.h"

void
lb_throttle_init(
    struct lb_throttle *t, struct lb_throttle_limits lim, int64_t now_us)
{
	t->on = lim.rate >= 0;
	if (!t->on)
		return;
	pthread_mutex_init(&t->mu, NULL);
	t->rate = lim.rate > 0 ? lim.rate : 0;
	t->burst = lim.burst > 0 ? lim.burst : 0;
	t->tokens = t->burst;
	t->last_us = now_us;
}

int
lb_throttle_take(struct lb_throttle *t, int64_t now_us)
{
	int ok = 0;

	if (!t->on)
		return 1;
	pthread_mutex_lock(&t->mu);
	if (now_us > t->last_us) {
		t->tokens += t->rate * (double)(now_us - t->last_us) / 1e6;
		if (t->tokens > t->burst)
			t->tokens = t->burst;
		t->last_us = now_us;
	}
	if (t->tokens >= 1.0) {
		t->tokens -= 1.0;
		ok = 1;
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void
lb_throttle_destroy(struct lb_throttle *t)
{
	if (t->on)
		pthread_mutex_destroy(&t->mu);
}

/* tm set to the start of the period around now_ms (UTC); -1 for none. */
static int
period_start_tm(enum lb_quota_period period, int64_t now_ms, struct tm *tm)
{
	time_t t = (time_t)(now_ms / 1000);

	gmtime_r(&t, tm);
	tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
	switch (period) {
	case LB_QUOTA_DAY: return 0;
	case LB_QUOTA_WEEK: tm->tm_mday -= tm->tm_wday; return 0;
	case LB_QUOTA_MONTH: tm->tm_mday = 1; return 0;
	default: return -1;
	}
}

int64_t
lb_quota_period_end(enum lb_quota_period period, int64_t now_ms)
{
	struct tm tm;

	if (period_start_tm(period, now_ms, &tm) < 0)
		return INT64_MAX;
	/* the start of the next one */
	if (period == LB_QUOTA_MONTH)
		tm.tm_mon += 1;
	else
		tm.tm_mday += period == LB_QUOTA_WEEK ? 7 : 1;
	return (int64_t)timegm(&tm) * 1000;
}

int64_t
lb_quota_period_start(enum lb_quota_period period, int64_t now_ms)
{
	struct tm tm;

	if (period_start_tm(period, now_ms, &tm) < 0)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}
