/*
 * test_procstat.c - procstat.c: this process's numbers against what the
 * test sees for itself (descriptors it opens, its limit, its start).
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/procstat.h"
#include "test.h"

void lb_test_suite_procstat(void);

static void
test_read(void)
{
	struct lb_procstat a, b;
	struct rlimit rl;
	int fds[3];
	double now = (double)time(NULL);
	volatile double x = 0;

	CU_ASSERT_EQUAL_FATAL(lb_procstat_read(&a), 0);
	for (int i = 0; i < 3; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* some CPU time to see */
	for (long i = 0; i < 20000000; i++)
		x += (double)i;
	CU_ASSERT_EQUAL_FATAL(lb_procstat_read(&b), 0);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	CU_ASSERT_EQUAL(b.open_fds - a.open_fds, 3);
	CU_ASSERT(a.open_fds >= 3);
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &rl), 0);
	CU_ASSERT_EQUAL(b.max_fds, (int64_t)rl.rlim_cur);
	CU_ASSERT(b.resident_bytes > 1024 * 1024);
	CU_ASSERT(b.virtual_bytes >= b.resident_bytes);
	CU_ASSERT(b.cpu_seconds >= a.cpu_seconds);
	CU_ASSERT(b.cpu_seconds > 0);
	/* started before now, and not long before (the runner is young) */
	CU_ASSERT(b.start_time <= now + 1);
	CU_ASSERT(b.start_time > now - 3600);
	CU_ASSERT_EQUAL(a.start_time, b.start_time);
}

void
lb_test_suite_procstat(void)
{
	static CU_TestInfo tests[] = {
		{ "read", test_read },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("procstat", tests);
}
