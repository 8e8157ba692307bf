/*
 * scratch.h - one object per thread, kept between calls: a builder's spare
 * memory, a parser's state, anything that costs more to make than to reuse.
 * The slot starts empty in every thread and its object is destroyed when
 * the thread exits.
 */
#ifndef LB_SCRATCH_H
#define LB_SCRATCH_H

#include <pthread.h>

/* A per-thread slot; define it static with LB_SCRATCH_INIT. */
struct lb_scratch {
	void (*destroy)(void *); /* frees a thread's object at its exit */
	pthread_key_t key;
	int ready; /* the key exists (read with acquire) */
};

#define LB_SCRATCH_INIT(destroy) \
	{ \
		(destroy), 0, 0 \
	}

/*
 * The calling thread's object in slot s (borrowed: it stays in the slot),
 * or NULL when the slot is empty or the process is out of keys.
 */
void *lb_scratch_get(struct lb_scratch *s);

/*
 * Puts obj (NULL empties the slot) in the calling thread's slot s, which
 * then owns it; what was there is not freed.  Returns 0, or -1 when the
 * slot cannot be set (the caller keeps obj).
 */
int lb_scratch_set(struct lb_scratch *s, void *obj);

#endif /* LB_SCRATCH_H */
