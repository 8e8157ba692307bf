/*
 * runner.c - the CUnit runner.  Every tests/unit/test_<name>.c defines
 * lb_test_suite_<name>(), which adds its suite; the Makefile lists them in
 * suites.h.  Exits non-zero when any test fails, and prints the closing
 * "N passed, N failed" line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test.h"

#define LB_SUITE(name) void lb_test_suite_##name(void);
#include "suites.h"
#undef LB_SUITE

int
main(int argc, char **argv)
{
	unsigned int failed, run, failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
#define LB_SUITE(name) lb_test_suite_##name();
#include "suites.h"
#undef LB_SUITE
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (argc > 1) {
		/* run one suite by name */
		CU_pSuite s = CU_get_suite(argv[1]);

		if (s == NULL) {
			fprintf(stderr, "no suite '%s'\n", argv[1]);
			CU_cleanup_registry();
			return 2;
		}
		CU_basic_run_suite(s);
	} else {
		CU_basic_run_tests();
	}
	/* read the results before CU_cleanup_registry() resets them */
	failed = CU_get_number_of_tests_failed();
	run = CU_get_number_of_tests_run();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	printf("\n%u passed, %u failed\n", run - failed, failed);
	return failed > 0 || failures > 0 ? 1 : 0;
}
