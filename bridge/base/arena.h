/*
 * arena.h - memory for one short job (building one event), taken in
 * chunks and freed at once.  Each thread keeps one chunk between jobs, so
 * most jobs call malloc only for what outgrows it.
 */
#ifndef LB_ARENA_H
#define LB_ARENA_H

#include <stddef.h>

/* A chunk; in the header only for lb_arena_alloc's inline fast path. */
struct lb_arena_chunk {
	struct lb_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

/* An arena: zero it ({ 0 }) to start, lb_arena_free when done. */
struct lb_arena {
	struct lb_arena_chunk *head;
	int oom; /* sticky: an allocation failed, nothing more is tried */
};

/* lb_arena_alloc when the current chunk is short: a new chunk.  n is
 * rounded up already. */
void *lb_arena_grow(struct lb_arena *a, size_t n);

/*
 * n bytes aligned for any type, valid until lb_arena_free.  Returns NULL
 * and sets a->oom when out of memory; once a->oom is set, what does not
 * fit in the current chunk fails without trying malloc.  Inline: an event
 * makes some hundred allocations.
 */
static inline void *
lb_arena_alloc(struct lb_arena *a, size_t n)
{
	struct lb_arena_chunk *c = a->head;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (c == NULL || c->cap - c->used < n)
		return lb_arena_grow(a, n);
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/*
 * Frees everything allocated from a (the thread keeps one chunk for its
 * next arena) and empties it for reuse; a->oom is left as it was.
 */
void lb_arena_free(struct lb_arena *a);

#endif /* LB_ARENA_H */
