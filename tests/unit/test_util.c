/* test_util.c - helpers of test.h, and a tiny suite checking them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

const char *
lb_test_bin(void)
{
	const char *b = getenv("LB_TEST_BIN");

	return b != NULL && *b != '\0' ? b : "build/lambdabridge";
}

const char *
lb_test_build_path(const char *rel, char *buf, size_t len)
{
	const char *b = getenv("LB_TEST_BUILD");

	snprintf(buf, len, "%s/%s", b != NULL && *b != '\0' ? b : "build", rel);
	return buf;
}

static void
test_build_path(void)
{
	char buf[256];

	CU_ASSERT_PTR_NOT_NULL(
	    strstr(lb_test_build_path("x.so", buf, sizeof(buf)), "/x.so"));
}

void lb_test_suite_util(void);

void
lb_test_suite_util(void)
{
	static CU_TestInfo tests[] = {
		{ "build path", test_build_path },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("util", tests);
}
