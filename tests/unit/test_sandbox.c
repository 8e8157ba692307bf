/*
 * test_sandbox.c - sandbox.c: StrictModes, user lookup, and ending a
 * process tree from above (the gateway) and from inside (a subreaper).
 * Every test that forks waits for what it forked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../handlers/handler_util.h"
#include "lambda/sandbox.h"
#include "test.h"

void lb_test_suite_sandbox(void);

static void
test_strict_modes(void)
{
	char dir[] = "/tmp/lb-sandbox-XXXXXX", file[64], err[512];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/m.so", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	/* under /tmp (sticky, root's) in a private directory: fine */
	CU_ASSERT_EQUAL(lb_sandbox_path_check(file, err, sizeof(err)), 0);
	chmod(file, 0664);
	CU_ASSERT_EQUAL(lb_sandbox_path_check(file, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is writable by its group"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, file));
	chmod(file, 0646);
	CU_ASSERT_EQUAL(lb_sandbox_path_check(file, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is writable by everyone"));
	chmod(file, 0644);
	/* a directory above, not sticky */
	chmod(dir, 0775);
	CU_ASSERT_EQUAL(lb_sandbox_path_check(file, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, dir));
	chmod(dir, 0700);
	CU_ASSERT_EQUAL(lb_sandbox_path_check(file, err, sizeof(err)), 0);
	unlink(file);
	CU_ASSERT_EQUAL(lb_sandbox_path_check(file, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot resolve"));
	rmdir(dir);
}

static void
test_ids(void)
{
	char err[256];
	uid_t uid = 7;
	gid_t gid = 7;

	CU_ASSERT_EQUAL(
	    lb_sandbox_ids("root", NULL, &uid, &gid, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(uid, 0);
	CU_ASSERT_EQUAL(gid, 0);
	CU_ASSERT_EQUAL(lb_sandbox_ids("lb-no-such-user", NULL, &uid, &gid, err,
	                    sizeof(err)),
	    -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown user 'lb-no-such-user'");
	CU_ASSERT_EQUAL(lb_sandbox_ids("root", "lb-no-such-group", &uid, &gid,
	                    err, sizeof(err)),
	    -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown group 'lb-no-such-group'");
}

/* Whether pid has ended (gone, or a zombie nobody reaped yet). */
static int
ended(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return 1;
	return p[2] == 'Z';
}

/* Waits up to 3 s for pid to end. */
static int
ends(pid_t pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 300; i++) {
		if (ended(pid))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/*
 * Forks a subreaper that leaves a child and an orphaned grandchild
 * (th_leave_two) and then, with `end`, ends them itself and exits 0 when
 * nothing of its own is left, else waits to be killed.  Sets pids.
 */
static pid_t
start_tree(int end, pid_t pids[2])
{
	pid_t top;
	int p[2];

	CU_ASSERT_FATAL(pipe(p) == 0);
	top = fork();
	CU_ASSERT_FATAL(top >= 0);
	if (top == 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		if (th_leave_two(pids) < 0 ||
		    write(p[1], pids, 2 * sizeof(*pids)) !=
		        (ssize_t)(2 * sizeof(*pids)))
			_exit(2);
		if (!end) {
			pause();
			_exit(0);
		}
		lb_sandbox_end_descendants();
		/* each was reaped here */
		_exit(
		    waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD ? 0 : 3);
	}
	close(p[1]);
	CU_ASSERT_FATAL(read(p[0], pids, 2 * sizeof(*pids)) ==
	    (ssize_t)(2 * sizeof(*pids)));
	close(p[0]);
	return top;
}

static void
test_kill_tree(void)
{
	pid_t pids[2], top = start_tree(0, pids);
	int st = 0;

	CU_ASSERT_FALSE(ended(pids[0]));
	CU_ASSERT_FALSE(ended(pids[1]));
	lb_sandbox_kill_tree(top);
	waitpid(top, &st, 0);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CU_ASSERT(ends(pids[0]));
	CU_ASSERT(ends(pids[1]));
}

static void
test_end_descendants(void)
{
	pid_t pids[2], top = start_tree(1, pids);
	int st = 0;

	waitpid(top, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT(ended(pids[0]));
	CU_ASSERT(ended(pids[1]));
}

void
lb_test_suite_sandbox(void)
{
	static CU_TestInfo tests[] = {
		{ "strict modes", test_strict_modes },
		{ "user and group lookup", test_ids },
		{ "kill_tree from above", test_kill_tree },
		{ "end_descendants from inside", test_end_descendants },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("sandbox", tests);
}
