/*
 * test.h - helpers shared by the unit suites.
 */
#ifndef LB_TEST_H
#define LB_TEST_H

#include <stddef.h>
#include <stdlib.h>

#include <CUnit/CUnit.h>

/* Adds suite `name` with the given tests (a NULL-terminated CU_TestInfo). */
#define LB_TEST_SUITE(name, tests) \
	do { \
		CU_SuiteInfo si_[] = { { name, NULL, NULL, NULL, NULL, \
			                   tests }, \
			CU_SUITE_INFO_NULL }; \
		if (CU_register_suites(si_) != CUE_SUCCESS) \
			abort(); \
	} while (0)

/* The lambdabridge binary under test (LB_TEST_BIN, else build/lambdabridge). */
const char *lb_test_bin(void);

/* A path inside the build directory (LB_TEST_BUILD, else "build"). */
const char *lb_test_build_path(const char *rel, char *buf, size_t len);

#endif /* LB_TEST_H */
