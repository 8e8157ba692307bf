/*
 * scratch.c - per-thread slots (see scratch.h) over pthread keys.  Each
 * slot's key is made on first use, under one lock; afterwards a use costs
 * an acquire load and pthread_getspecific, as pthread_once would.
 */
#include <stddef.h>

#include "base/scratch.h"

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

/* Makes s's key; 0, or -1 when no key can be had. */
static int
scratch_key(struct lb_scratch *s)
{
	int rc = 0;

	pthread_mutex_lock(&key_mu);
	if (!s->ready) {
		if (pthread_key_create(&s->key, s->destroy) == 0)
			__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
		else
			rc = -1;
	}
	pthread_mutex_unlock(&key_mu);
	return rc;
}

void *
lb_scratch_get(struct lb_scratch *s)
{
	if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) && scratch_key(s) < 0)
		return NULL;
	return pthread_getspecific(s->key);
}

int
lb_scratch_set(struct lb_scratch *s, void *obj)
{
	if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) && scratch_key(s) < 0)
		return -1;
	return pthread_setspecific(s->key, obj) == 0 ? 0 : -1;
}
