/*
 * test_scratch.c - per-thread slots (scratch.c): each thread sees its own
 * object, and a thread's object is destroyed when the thread exits.
 */
#include <pthread.h>

#include "test.h"
#include "base/scratch.h"

void lb_test_suite_scratch(void);

static int destroyed;

static void
count_destroy(void *obj)
{
	__atomic_add_fetch(&destroyed, *(int *)obj, __ATOMIC_RELAXED);
	free(obj);
}

static struct lb_scratch slot = LB_SCRATCH_INIT(count_destroy);

static void
test_own_slot(void)
{
	int *a = malloc(sizeof(*a));

	CU_ASSERT_PTR_NULL(lb_scratch_get(&slot));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	*a = 1;
	CU_ASSERT_EQUAL(lb_scratch_set(&slot, a), 0);
	CU_ASSERT_PTR_EQUAL(lb_scratch_get(&slot), a);
	/* emptying the slot hands the object back, not freed */
	CU_ASSERT_EQUAL(lb_scratch_set(&slot, NULL), 0);
	CU_ASSERT_PTR_NULL(lb_scratch_get(&slot));
	CU_ASSERT_EQUAL(destroyed, 0);
	free(a);
}

/* In a new thread: the slot starts empty; the object left in it is
 * destroyed at the thread's exit. */
static void *
other_thread(void *arg)
{
	int *o = malloc(sizeof(*o));

	*(int *)arg = lb_scratch_get(&slot) == NULL;
	if (o != NULL) {
		*o = 10;
		if (lb_scratch_set(&slot, o) != 0)
			free(o);
	}
	return NULL;
}

static void
test_threads(void)
{
	int *mine = malloc(sizeof(*mine));
	int empty = 0;
	pthread_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mine);
	*mine = 100;
	CU_ASSERT_EQUAL(lb_scratch_set(&slot, mine), 0);
	CU_ASSERT_EQUAL_FATAL(
	    pthread_create(&t, NULL, other_thread, &empty), 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(empty, 1);
	CU_ASSERT_EQUAL(destroyed, 10);
	/* this thread's object is untouched */
	CU_ASSERT_PTR_EQUAL(lb_scratch_get(&slot), mine);
	CU_ASSERT_EQUAL(lb_scratch_set(&slot, NULL), 0);
	free(mine);
}

void
lb_test_suite_scratch(void)
{
	static CU_TestInfo tests[] = {
		{ "the thread's own slot", test_own_slot },
		{ "threads", test_threads },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("scratch", tests);
}
