/*
 * throttle.c - the token bucket (see throttle.h).  A request takes one
 * whole token; tokens accrue continuously at `rate` per second up to
 * `burst`, and the bucket starts full, so `burst` requests may arrive at
 * once and `rate` per second follow.  A burst of 0 throttles everything,
 * as on API Gateway.
 */
#include "throttle.h"

void
lb_throttle_init(
    struct lb_throttle *t, struct lb_throttle_limits lim, int64_t now_us)
{
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
	pthread_mutex_destroy(&t->mu);
}
