/*
 * test.h - helpers shared by the unit suites.
 */
#ifndef LB_TEST_H
#define LB_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include <CUnit/CUnit.h>

#include "lambda/frame.h"
#include "lambda/worker.h"

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

/* ms since the epoch of a UTC date and time (the quota tests). */
int64_t lb_test_utc_ms(int y, int mon, int d, int h, int min);

/* A path inside the build directory (LB_TEST_BUILD, else "build"). */
const char *lb_test_build_path(const char *rel, char *buf, size_t len);

/* A worker on the other end of a socketpair (test_worker, test_provided). */
struct lb_test_worker {
	int fd; /* the test's end, both directions */
	pid_t pid;
	struct lb_frame_reader r; /* its replies */
	uint64_t seq;             /* the last INVOKE's */
};

/*
 * Fills argv[0 .. 2 + LB_WARG_COUNT] for `lambdabridge __worker` of a
 * native function "fn" (`ver` is a buffer of 16 for the frame version),
 * NULL-terminated; the caller changes what its test needs.
 */
void lb_test_worker_argv(char **argv, char *ver, const char *module,
    const char *handler, const char *memory);

/*
 * Starts argv with one socketpair as both channel descriptors (stdout and
 * stderr to /dev/null); every read of the test's end is bounded by 20 s.
 * 0 or -1.
 */
int lb_test_worker_spawn(struct lb_test_worker *w, char **argv);

/* Sends an INVOKE with the next sequence number; 0 or -1. */
int lb_test_worker_send(struct lb_test_worker *w, const char *rid,
    const char *event, int64_t deadline_ms, const char *trace);

/* Reads one reply: its type, or a negative LB_FRAME_* code. */
int lb_test_worker_read(struct lb_test_worker *w);

/* Closes the test's end; returns the worker's wait status. */
int lb_test_worker_stop(struct lb_test_worker *w);

/* The last reply's body member `key` as a string (a static buffer), or "". */
const char *lb_test_worker_member(struct lb_test_worker *w, const char *key);

#endif /* LB_TEST_H */
