/*
 * envcount.c - what the environments of a generation amount to right now
 * (lb_envs_counts, for the service manager's status line, and per function
 * for the metrics) and the wait for the provisioned ones at start-up
 * (lb_envs_wait_provisioned).
 */
#include <string.h>
#include <time.h>

#include "base/ids.h"
#include "lambda/env_int.h"

/* Environments of p past their init (idle, busy or settling).  Locked. */
static int
ready_of(const struct lb_envs *E, const struct pool *p)
{
	int n = 0;

	for (const struct env *e = E->all; e != NULL; e = e->next)
		if (e->pool == p &&
		    (e->state == ENV_IDLE || e->state == ENV_BUSY ||
		        e->state == ENV_SETTLING))
			n++;
	return n;
}

/* Counts env (of a pool, not a spare) by its state into c. */
static void
count_state(struct lb_envs_counts *c, const struct env *e)
{
	switch (e->state) {
	case ENV_STARTING: c->starting++; break;
	case ENV_IDLE: c->idle++; break;
	case ENV_BUSY:
	case ENV_SETTLING: c->busy++; break;
	case ENV_CLOSING: break;
	}
}

void
lb_envs_counts(struct lb_envs *E, struct lb_envs_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (E == NULL)
		return;
	pthread_mutex_lock(&E->mu);
	for (const struct env *e = E->all; e != NULL; e = e->next)
		if (e->pool != NULL)
			count_state(c, e);
	for (size_t i = 0; i < E->npools; i++) {
		const struct pool *p = &E->pools[i];
		int ready = ready_of(E, p);

		c->provisioned += p->fn->provisioned;
		c->provisioned_ready +=
		    ready < p->fn->provisioned ? ready : p->fn->provisioned;
		c->invocations += p->invocations;
		c->errors += p->errors;
		c->throttles += p->throttles;
	}
	pthread_mutex_unlock(&E->mu);
}

int
lb_envs_wait_provisioned(struct lb_envs *E, int64_t until_mono)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int64_t start = lb_mono_ms();

	if (E == NULL)
		return 0;
	for (;;) {
		int waiting = 0, failed = 0;

		pthread_mutex_lock(&E->mu);
		for (size_t i = 0; i < E->npools; i++) {
			const struct pool *p = &E->pools[i];

			if (ready_of(E, p) >= p->fn->provisioned)
				continue;
			/* a failed start or init puts off the next */
			if (p->respawn_after > start)
				failed++;
			else
				waiting++;
		}
		pthread_mutex_unlock(&E->mu);
		if (waiting == 0)
			return failed > 0 ? 1 : 0;
		if (lb_mono_ms() >= until_mono)
			return -1;
		/* start-up only, bounded: the supervisor signals nobody */
		nanosleep(&tick, NULL);
	}
}

void
lb_envs_counts_by_function(struct lb_envs *E, struct lb_envs_counts *per_fn)
{
	if (E == NULL)
		return;
	memset(per_fn, 0, E->npools * sizeof(*per_fn));
	pthread_mutex_lock(&E->mu);
	for (const struct env *e = E->all; e != NULL; e = e->next)
		if (e->pool != NULL)
			count_state(&per_fn[e->pool - E->pools], e);
	pthread_mutex_unlock(&E->mu);
}
