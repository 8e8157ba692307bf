/* test_suggest.c - "did you mean" (base/suggest.c). */
#include <CUnit/CUnit.h>

#include "base/suggest.h"
#include "test.h"

static void
test_distance(void)
{
	CU_ASSERT_EQUAL(lb_suggest_distance("timeout", "timeout", 3), 0);
	CU_ASSERT_EQUAL(lb_suggest_distance("timout", "timeout", 3), 1);
	CU_ASSERT_EQUAL(lb_suggest_distance("timeoutt", "timeout", 3), 1);
	CU_ASSERT_EQUAL(lb_suggest_distance("tineout", "timeout", 3), 1);
	/* a transposition is one edit (Damerau), not two */
	CU_ASSERT_EQUAL(lb_suggest_distance("memroy", "memory", 3), 1);
	CU_ASSERT_EQUAL(lb_suggest_distance("hnadler", "handler", 3), 1);
	CU_ASSERT_EQUAL(lb_suggest_distance("Timeout", "timeout", 3), 0);
	CU_ASSERT_EQUAL(lb_suggest_distance("", "abc", 5), 3);
	CU_ASSERT_EQUAL(lb_suggest_distance("kitten", "sitting", 5), 3);
	CU_ASSERT_EQUAL(lb_suggest_distance("ca", "abc", 5), 3);
	/* capped */
	CU_ASSERT_EQUAL(lb_suggest_distance("abcdefgh", "zyxwvuts", 2), 3);
	CU_ASSERT_EQUAL(lb_suggest_distance("a", "abcdefgh", 2), 3);
}

static void
test_pick(void)
{
	static const char *const fn[] = { "name", "module", "handler",
		"timeout", "memory", "reserved_concurrency", "environment",
		"idle_timeout" };
	size_t n = sizeof(fn) / sizeof(fn[0]);

	CU_ASSERT_STRING_EQUAL(lb_suggest_pick("timout", fn, n), "timeout");
	CU_ASSERT_STRING_EQUAL(lb_suggest_pick("memroy", fn, n), "memory");
	CU_ASSERT_STRING_EQUAL(
	    lb_suggest_pick("enviroment", fn, n), "environment");
	CU_ASSERT_STRING_EQUAL(lb_suggest_pick("reserved_concurency", fn, n),
	    "reserved_concurrency");
	CU_ASSERT_STRING_EQUAL(lb_suggest_pick("nmae", fn, n), "name");
	/* too far to be a slip */
	CU_ASSERT_PTR_NULL(lb_suggest_pick("colour", fn, n));
	CU_ASSERT_PTR_NULL(lb_suggest_pick("x", fn, n));
	CU_ASSERT_PTR_NULL(lb_suggest_pick("namexyz", fn, n));
	/* a known name needs no suggestion */
	CU_ASSERT_PTR_NULL(lb_suggest_pick("handler", fn, n));
	CU_ASSERT_PTR_NULL(lb_suggest_pick("timout", fn, 0));
}

void lb_test_suite_suggest(void);

void
lb_test_suite_suggest(void)
{
	static CU_TestInfo tests[] = {
		{ "distance", test_distance },
		{ "pick", test_pick },
		CU_TEST_INFO_NULL,
	};
	LB_TEST_SUITE("suggest", tests);
}
