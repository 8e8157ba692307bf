/*
 * throttle.h - API Gateway's request throttling: a token bucket of `burst`
 * tokens refilled at `rate` tokens per second, one token per request
 * (docs/configuration.md, "Throttling"); and the periods of a usage
 * plan's quota, so many requests per day, week or month (counted in
 * quota.h).  Pure: the caller passes the time.
 */
#ifndef LB_THROTTLE_H
#define LB_THROTTLE_H

#include <pthread.h>
#include <stdint.h>

/* Limits as configured; rate < 0 means "not set". */
struct lb_throttle_limits {
	double rate; /* tokens per second, >= 0 */
	int burst;   /* bucket size, >= 0 */
};

struct lb_throttle {
	int on; /* 0: no limit set, every request goes */
	pthread_mutex_t mu;
	double rate;
	double burst;
	double tokens;
	int64_t last_us; /* when tokens was last brought up to date */
};

/*
 * A full bucket for `lim` at time `now_us` (any monotonic clock, µs), or
 * one that is off (lets everything through) when lim.rate < 0.
 */
void lb_throttle_init(
    struct lb_throttle *t, struct lb_throttle_limits lim, int64_t now_us);

/* Takes a token at `now_us`: 1 when the request may go, 0 when it is
 * throttled.  Thread-safe. */
int lb_throttle_take(struct lb_throttle *t, int64_t now_us);

/* Releases what lb_throttle_init took (nothing for a bucket that is off). */
void lb_throttle_destroy(struct lb_throttle *t);

/* Usage plan quota periods (API Gateway's QuotaSettings, offset 0). */
enum lb_quota_period {
	LB_QUOTA_NONE,
	LB_QUOTA_DAY,   /* from 00:00 UTC */
	LB_QUOTA_WEEK,  /* from Sunday 00:00 UTC */
	LB_QUOTA_MONTH, /* from the 1st, 00:00 UTC */
};

/* When the quota period that contains `now_ms` (ms since the epoch) ends,
 * in ms since the epoch. */
int64_t lb_quota_period_end(enum lb_quota_period period, int64_t now_ms);

/* When it started (LB_QUOTA_NONE: 0).  The counts are in quota.h. */
int64_t lb_quota_period_start(enum lb_quota_period period, int64_t now_ms);

#endif /* LB_THROTTLE_H */
