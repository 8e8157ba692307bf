/* test_pathfind.c - lb_path_find: $PATH as execvp reads it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/pathfind.h"
#include "test.h"

/* A folder with an executable "prog" and a plain file "data". */
static int
make_dir(char *dir, size_t len)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(dir, len, "/tmp/lb-pathfind-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/prog", dir);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	fclose(f);
	chmod(p, 0755);
	snprintf(p, sizeof(p), "%s/data", dir);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	fclose(f);
	return 0;
}

static void
remove_dir(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/prog", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/data", dir);
	unlink(p);
	rmdir(dir);
}

static void
test_find(void)
{
	char dir[64], want[PATH_MAX], out[PATH_MAX], cwd[PATH_MAX], path[256];
	const char *old = getenv("PATH");
	char *saved = old != NULL ? strdup(old) : NULL;

	CU_ASSERT_EQUAL_FATAL(make_dir(dir, sizeof(dir)), 0);
	snprintf(want, sizeof(want), "%s/prog", dir);
	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	setenv("PATH", path, 1);
	CU_ASSERT_EQUAL(lb_path_find("prog", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* not executable, or not there */
	CU_ASSERT_EQUAL(lb_path_find("data", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(lb_path_find("missing", out, sizeof(out)), -1);
	/* a path that does not fit */
	CU_ASSERT_EQUAL(lb_path_find("prog", out, strlen(want)), -1);
	CU_ASSERT_EQUAL(lb_path_find("prog", out, strlen(want) + 1), 0);
	/* an empty entry (at the start or between two colons) is the
	 * current folder */
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
	setenv("PATH", "/nonexistent::/bin", 1);
	CU_ASSERT_EQUAL(lb_path_find("prog", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "./prog");
	CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);
	/* unset: execvp's default list */
	unsetenv("PATH");
	CU_ASSERT_EQUAL(lb_path_find("sh", out, sizeof(out)), 0);
	CU_ASSERT(
	    strcmp(out, "/usr/bin/sh") == 0 || strcmp(out, "/bin/sh") == 0);
	if (saved != NULL)
		setenv("PATH", saved, 1);
	free(saved);
	remove_dir(dir);
}

void lb_test_suite_pathfind(void);

void
lb_test_suite_pathfind(void)
{
	static CU_TestInfo tests[] = {
		{ "found as execvp finds it", test_find },
		CU_TEST_INFO_NULL,
	};
	LB_TEST_SUITE("pathfind", tests);
}
