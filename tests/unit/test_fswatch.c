/*
 * test_fswatch.c - --watch's inotify watcher on a private directory: a
 * file written in place, replaced by a rename, touched, created after the
 * watch began; other files in the same directory do not count; nothing
 * is read when nothing happened.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fswatch.h"
#include "test.h"

void lb_test_suite_fswatch(void);

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* Waits (bounded) for the watcher's fd, then reads it. */
static int
events(struct lb_fswatch *w, char *changed, size_t len)
{
	struct pollfd pfd = { lb_fswatch_fd(w), POLLIN, 0 };

	if (poll(&pfd, 1, 2000) <= 0) {
		changed[0] = '\0';
		return 0;
	}
	return lb_fswatch_read(w, changed, len);
}

static void
test_changes(void)
{
	char dir[] = "/tmp/lb-fswatch-XXXXXX", a[64], b[64], other[64], tmp[64],
	     got[256], err[256];
	const char *paths[3];
	struct lb_fswatch *w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.conf", dir);
	snprintf(b, sizeof(b), "%s/b.so", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(tmp, sizeof(tmp), "%s/a.conf.tmp", dir);
	put(a, "1");
	w = lb_fswatch_new(err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	paths[0] = a;
	paths[1] = NULL; /* skipped */
	paths[2] = b;    /* not there yet */
	CU_ASSERT_EQUAL(lb_fswatch_set(w, paths, 3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(lb_fswatch_read(w, got, sizeof(got)), 0);

	put(a, "2"); /* in place */
	CU_ASSERT(events(w, got, sizeof(got)) > 0);
	CU_ASSERT_STRING_EQUAL(got, a);

	put(other, "x"); /* same directory, not watched */
	CU_ASSERT_EQUAL(events(w, got, sizeof(got)), 0);

	put(tmp, "3"); /* an editor's save: write aside, rename over */
	lb_fswatch_read(w, got, sizeof(got));
	CU_ASSERT_EQUAL(rename(tmp, a), 0);
	CU_ASSERT(events(w, got, sizeof(got)) > 0);
	CU_ASSERT_STRING_EQUAL(got, a);

	put(b, "so"); /* created after the watch began */
	CU_ASSERT(events(w, got, sizeof(got)) > 0);
	CU_ASSERT_STRING_EQUAL(got, b);

	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, a, NULL, 0), 0); /* touch */
	CU_ASSERT(events(w, got, sizeof(got)) > 0);

	/* a new set: a is no longer watched */
	paths[0] = b;
	CU_ASSERT_EQUAL(lb_fswatch_set(w, paths, 1, err, sizeof(err)), 0);
	put(a, "4");
	CU_ASSERT_EQUAL(events(w, got, sizeof(got)), 0);

	/* a directory that does not exist: said, the others still set */
	paths[1] = "/nonexistent-lb-dir/x.so";
	CU_ASSERT_EQUAL(lb_fswatch_set(w, paths, 2, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-lb-dir/x.so"));
	put(b, "so2");
	CU_ASSERT(events(w, got, sizeof(got)) > 0);

	lb_fswatch_free(w);
	unlink(a);
	unlink(b);
	unlink(other);
	rmdir(dir);
}

void
lb_test_suite_fswatch(void)
{
	static CU_TestInfo tests[] = {
		{ "changes", test_changes },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("fswatch", tests);
}
