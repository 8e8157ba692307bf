/*
 * arena.c - chunked bump allocation (see arena.h).  Chunks are 16 KB; a
 * bigger request gets a chunk of its own, put behind the current one so
 * that the room left there is still used.
 */
#include <stdlib.h>

#include "base/arena.h"
#include "base/scratch.h"

#define ARENA_CHUNK 16384

/* The thread's spare standard chunk; freed when the thread exits. */
static struct lb_scratch spare_slot = LB_SCRATCH_INIT(free);

static struct lb_arena_chunk *
spare_take(void)
{
	struct lb_arena_chunk *c = lb_scratch_get(&spare_slot);

	if (c != NULL)
		(void)lb_scratch_set(&spare_slot, NULL);
	return c;
}

/* Keeps c for the thread's next arena; 0, or -1 when it has one. */
static int
spare_give(struct lb_arena_chunk *c)
{
	if (lb_scratch_get(&spare_slot) != NULL ||
	    lb_scratch_set(&spare_slot, c) != 0)
		return -1;
	return 0;
}

void *
lb_arena_grow(struct lb_arena *a, size_t n)
{
	size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
	struct lb_arena_chunk *c = cap == ARENA_CHUNK ? spare_take() : NULL;

	if (c == NULL && (a->oom || (c = malloc(sizeof(*c) + cap)) == NULL)) {
		a->oom = 1;
		return NULL;
	}
	c->cap = cap;
	c->used = n;
	/* a big block goes behind the current chunk, keeping its room */
	if (a->head != NULL && n > ARENA_CHUNK) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c->data;
}

void
lb_arena_free(struct lb_arena *a)
{
	while (a->head != NULL) {
		struct lb_arena_chunk *c = a->head;

		a->head = c->next;
		/* one standard chunk stays with the thread for the next arena */
		if (c->cap != ARENA_CHUNK || spare_give(c) < 0)
			free(c);
	}
}
