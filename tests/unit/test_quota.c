/*
 * test_quota.c - usage-plan quota counts (quota.c) on a clock the tests
 * pass by hand, and their state file (qstore.c) in a temporary directory:
 * written, read back, refused when corrupt, moved aside on request.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "apigw/qstore.h"
#include "apigw/quota.h"
#include "base/ids.h"

void lb_test_suite_quota(void);

#define utc lb_test_utc_ms

static struct lb_api_key
key(const char *id, int limit, enum lb_quota_period period)
{
	struct lb_api_key k;

	memset(&k, 0, sizeof(k));
	k.id = (char *)id;
	k.name = (char *)id;
	k.quota_limit = limit;
	k.quota_period = period;
	return k;
}

/* A fresh temporary directory in dir (64 bytes). */
static void
tmpdir(char *dir)
{
	snprintf(dir, 64, "/tmp/lb-quota-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

/* Removes dir and the files in it. */
static void
rmdir_all(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* How many entries of dir start with `prefix`. */
static int
count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

static void
write_file(const char *path, const char *bytes, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, bytes, len) == (ssize_t)len);
	close(fd);
}

/* Runs sql on dir's state file with the sqlite3 library directly. */
static void
sql_on(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/" LB_QSTORE_FILE, dir);
	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A quota counts what it lets through, and starts again each period. */
static void
test_quota_take(void)
{
	struct lb_quotas *qs = lb_quotas_new(NULL, 0, NULL, 0);
	struct lb_api_key k = key("k1", 2, LB_QUOTA_DAY);
	struct lb_api_key none = key("k2", -1, LB_QUOTA_NONE);
	struct lb_quota_count *q;
	int64_t day = utc(2026, 11, 23, 15, 30), next = utc(2026, 11, 24, 0, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	q = lb_quotas_get(qs, "k1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(lb_quota_used(q, &k, day), 0);
	CU_ASSERT_EQUAL(lb_quota_take(q, &k, day), 1);
	CU_ASSERT_EQUAL(lb_quota_take(q, &k, day + 1000), 1);
	CU_ASSERT_EQUAL(lb_quota_take(q, &k, day + 2000), 0);
	CU_ASSERT_EQUAL(lb_quota_used(q, &k, day + 3000), 2);
	/* the next UTC day: a fresh quota */
	CU_ASSERT_EQUAL(lb_quota_used(q, &k, next), 0);
	CU_ASSERT_EQUAL(lb_quota_take(q, &k, next), 1);
	CU_ASSERT_EQUAL(lb_quota_used(q, &k, next), 1);

	/* a key without a quota has no count: everything goes */
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(lb_quota_take(NULL, &none, day), 1);
	lb_quotas_free(qs);
}

/* A reload: the same id is the same count; a changed limit keeps it, a
 * changed period starts it again. */
static void
test_carry_over(void)
{
	struct lb_quotas *qs = lb_quotas_new(NULL, 0, NULL, 0);
	struct lb_api_key k5 = key("abc", 5, LB_QUOTA_MONTH);
	struct lb_api_key k3 = key("abc", 3, LB_QUOTA_MONTH);
	struct lb_api_key kw = key("abc", 5, LB_QUOTA_WEEK);
	struct lb_quota_count *a, *b;
	int64_t now = utc(2026, 11, 23, 15, 30);

	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	a = lb_quotas_get(qs, "abc");
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(lb_quota_take(a, &k5, now), 1);
	b = lb_quotas_get(qs, "abc");
	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_PTR_NOT_EQUAL(lb_quotas_get(qs, "other"), a);
	CU_ASSERT_EQUAL(lb_quota_used(b, &k5, now), 4);
	/* a lower limit: the 4 counted are over it */
	CU_ASSERT_EQUAL(lb_quota_used(b, &k3, now), 4);
	CU_ASSERT_EQUAL(lb_quota_take(b, &k3, now), 0);
	CU_ASSERT_EQUAL(lb_quota_take(b, &k5, now), 1);
	CU_ASSERT_EQUAL(lb_quota_take(b, &k5, now), 0);
	/* another period: from zero */
	CU_ASSERT_EQUAL(lb_quota_used(b, &kw, now), 0);
	CU_ASSERT_EQUAL(lb_quota_take(b, &kw, now), 1);
	CU_ASSERT_EQUAL(lb_quota_used(b, &kw, now), 1);
	lb_quotas_free(qs);
}

/* Periods start where the previous one ended (UTC, weeks on Sunday). */
static void
test_period_start(void)
{
	int64_t mon = utc(2026, 11, 23, 15, 30);

	CU_ASSERT_EQUAL(
	    lb_quota_period_start(LB_QUOTA_DAY, mon), utc(2026, 11, 23, 0, 0));
	CU_ASSERT_EQUAL(
	    lb_quota_period_start(LB_QUOTA_WEEK, mon), utc(2026, 11, 22, 0, 0));
	CU_ASSERT_EQUAL(
	    lb_quota_period_start(LB_QUOTA_MONTH, mon), utc(2026, 11, 1, 0, 0));
	CU_ASSERT_EQUAL(
	    lb_quota_period_start(LB_QUOTA_WEEK, utc(2026, 11, 1, 3, 0)),
	    utc(2026, 11, 1, 0, 0));
	CU_ASSERT_EQUAL(
	    lb_quota_period_start(LB_QUOTA_WEEK, utc(2026, 12, 2, 0, 0)),
	    utc(2026, 11, 29, 0, 0));
	for (int p = LB_QUOTA_DAY; p <= LB_QUOTA_MONTH; p++) {
		int64_t end = lb_quota_period_end(p, mon);

		CU_ASSERT_EQUAL(lb_quota_period_start(p, end), end);
		CU_ASSERT_EQUAL(
		    lb_quota_period_end(p, lb_quota_period_start(p, mon)), end);
	}
}

/* Counts written to the file come back in a new table; the period's
 * start is kept, so the next period still starts from zero. */
static void
test_persist(void)
{
	struct lb_api_key k = key("persisted1", 100, LB_QUOTA_DAY);
	struct lb_api_key m = key("monthly001", 100, LB_QUOTA_MONTH);
	struct lb_quotas *qs;
	struct lb_quota_count *c;
	char dir[64], err[512];
	int64_t now = lb_now_ms();
	FILE *mem;
	char *dump = NULL;
	size_t dumplen = 0;

	tmpdir(dir);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	c = lb_quotas_get(qs, k.id);
	for (int i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(lb_quota_take(c, &k, now), 1);
	c = lb_quotas_get(qs, m.id);
	CU_ASSERT_EQUAL(lb_quota_take(c, &m, now), 1);
	/* a key that never counted writes no row */
	lb_quotas_get(qs, "unused0001");
	CU_ASSERT_EQUAL(lb_quotas_flush(qs, err, sizeof(err)), 0);
	mem = open_memstream(&dump, &dumplen);
	lb_quotas_dump(qs, mem);
	fclose(mem);
	CU_ASSERT_PTR_NOT_NULL(strstr(dump, "quotas.db' keys=3 flushes=1 "));
	free(dump);
	/* one more after the flush: written by free (a clean stop) */
	c = lb_quotas_get(qs, k.id);
	CU_ASSERT_EQUAL(lb_quota_take(c, &k, now), 1);
	lb_quotas_free(qs);

	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	c = lb_quotas_get(qs, k.id);
	CU_ASSERT_EQUAL(lb_quota_used(c, &k, now), 8);
	CU_ASSERT_EQUAL(
	    lb_quota_used(c, &k, lb_quota_period_end(k.quota_period, now)), 0);
	CU_ASSERT_EQUAL(lb_quota_used(lb_quotas_get(qs, m.id), &m, now), 1);
	/* the period after: from zero, and written so */
	CU_ASSERT_EQUAL(
	    lb_quota_take(c, &k, lb_quota_period_end(k.quota_period, now) + 5),
	    1);
	lb_quotas_free(qs);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	/* read back as a period that has not started yet: still counted
	 * from there, 1 */
	c = lb_quotas_get(qs, k.id);
	CU_ASSERT_EQUAL(
	    lb_quota_used(c, &k, lb_quota_period_end(k.quota_period, now) + 10),
	    1);
	lb_quotas_free(qs);
	rmdir_all(dir);
}

/* A row whose period is over is not read back, and is deleted. */
static void
test_expired_rows(void)
{
	struct lb_api_key k = key("old0000001", 10, LB_QUOTA_DAY);
	struct lb_quotas *qs;
	char dir[64], err[512];

	tmpdir(dir);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	CU_ASSERT_EQUAL(
	    lb_quota_take(lb_quotas_get(qs, k.id), &k, utc(2020, 1, 1, 12, 0)),
	    1);
	lb_quotas_free(qs);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	CU_ASSERT_EQUAL(
	    lb_quota_used(lb_quotas_get(qs, k.id), &k, utc(2020, 1, 1, 13, 0)),
	    0);
	lb_quotas_free(qs);
	rmdir_all(dir);
}

/* What is not a state file the bridge wrote is refused with its path;
 * --reset-state moves it aside and starts empty. */
static void
test_refused(void)
{
	static const char garbage[] = "this is not an SQLite database at all, "
	                              "just text that someone wrote here\n";
	struct lb_api_key k = key("abcdefghij", 10, LB_QUOTA_DAY);
	struct lb_quotas *qs;
	char dir[64], path[512], err[512], want[600];

	tmpdir(dir);
	snprintf(path, sizeof(path), "%s/quotas.db", dir);
	write_file(path, garbage, sizeof(garbage) - 1);
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "state file '%s': ", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a database"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--reset-state"));
	/* still there, untouched */
	CU_ASSERT_EQUAL(count_files(dir, "quotas.db.bad-"), 0);

	qs = lb_quotas_new(dir, 1, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	CU_ASSERT_EQUAL(count_files(dir, "quotas.db.bad-"), 1);
	CU_ASSERT_EQUAL(
	    lb_quota_take(lb_quotas_get(qs, k.id), &k, lb_now_ms()), 1);
	lb_quotas_free(qs);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	CU_ASSERT_EQUAL(
	    lb_quota_used(lb_quotas_get(qs, k.id), &k, lb_now_ms()), 1);
	lb_quotas_free(qs);

	/* a row the bridge did not write */
	sql_on(dir, "UPDATE quota SET period = 'YEAR'");
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "a row the bridge did not write"));
	sql_on(dir, "UPDATE quota SET period = 'DAY', used = -3");
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	sql_on(dir, "UPDATE quota SET used = 'many'");
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	/* a newer format */
	sql_on(dir, "UPDATE quota SET used = 1; PRAGMA user_version = 9");
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "newer lambdabridge"));
	rmdir_all(dir);

	/* another program's database */
	tmpdir(dir);
	sql_on(dir, "CREATE TABLE notes (x TEXT)");
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a lambdabridge state file"));
	rmdir_all(dir);

	/* a state_dir that is not a directory, or is missing */
	tmpdir(dir);
	snprintf(path, sizeof(path), "%s/file", dir);
	write_file(path, "x", 1);
	CU_ASSERT_PTR_NULL(lb_quotas_new(path, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "gateway.state_dir '%s': Not a directory",
	    path);
	CU_ASSERT_STRING_EQUAL(err, want);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CU_ASSERT_PTR_NULL(lb_quotas_new(path, 1, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file or directory"));
	rmdir_all(dir);
}

/* A file whose pages were overwritten: quick_check sees it. */
static void
test_corrupt_pages(void)
{
	struct lb_api_key k = key("abcdefghij", 1000000, LB_QUOTA_DAY);
	struct lb_quotas *qs;
	char dir[64], path[512], err[512], id[32];
	struct stat st;
	int fd;

	tmpdir(dir);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	/* enough keys for several pages */
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "key%07d", i);
		k.id = id;
		lb_quota_take(lb_quotas_get(qs, id), &k, lb_now_ms());
	}
	lb_quotas_free(qs);
	snprintf(path, sizeof(path), "%s/quotas.db", dir);
	CU_ASSERT_FATAL(stat(path, &st) == 0 && st.st_size > 8192);
	fd = open(path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	/* page 2 on (the first is the header and the schema) */
	for (off_t off = 4096 + 100; off < st.st_size; off += 997)
		CU_ASSERT(pwrite(fd, "\xff\x00\xff\x00\xff\x00", 6, off) == 6);
	close(fd);
	CU_ASSERT_PTR_NULL(lb_quotas_new(dir, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	rmdir_all(dir);
}

/* One bridge per state file: a second is refused while the first runs. */
static void
test_locked(void)
{
	struct lb_quotas *a, *b;
	char dir[64], err[512];

	tmpdir(dir);
	a = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	b = lb_quotas_new(dir, 1, err, sizeof(err));
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use by another process"));
	/* and --reset-state does not move a file in use aside */
	CU_ASSERT_EQUAL(count_files(dir, "quotas.db.bad-"), 0);
	lb_quotas_free(b);
	lb_quotas_free(a);
	b = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(b);
	lb_quotas_free(b);
	rmdir_all(dir);
}

struct taker {
	struct lb_quota_count *c;
	const struct lb_api_key *k;
	int ok;
};

static void *
taker(void *arg)
{
	struct taker *t = arg;

	for (int i = 0; i < 3000; i++)
		t->ok += lb_quota_take(t->c, t->k, lb_now_ms());
	return NULL;
}

/* Threads counting while the flush thread and explicit flushes write:
 * exactly the limit goes through, and exactly that is read back. */
static void
test_threads_and_flush(void)
{
	struct lb_api_key k = key("threaded01", 10000, LB_QUOTA_MONTH);
	struct lb_quotas *qs;
	struct taker t[4];
	pthread_t tid[4];
	char dir[64], err[512];
	int sum = 0;

	tmpdir(dir);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct taker){ lb_quotas_get(qs, k.id), &k, 0 };
		CU_ASSERT_FATAL(
		    pthread_create(&tid[i], NULL, taker, &t[i]) == 0);
	}
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(lb_quotas_flush(qs, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		sum += t[i].ok;
	}
	CU_ASSERT_EQUAL(sum, 10000);
	lb_quotas_free(qs);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	CU_ASSERT_EQUAL(
	    lb_quota_used(lb_quotas_get(qs, k.id), &k, lb_now_ms()), 10000);
	lb_quotas_free(qs);
	rmdir_all(dir);
}

/* The flush thread writes on its own within about a second. */
static void
test_flush_thread(void)
{
	struct lb_api_key k = key("background", 50, LB_QUOTA_DAY);
	struct lb_quotas *qs;
	char dir[64], err[512];
	sqlite3 *db;
	char path[512];
	int64_t until = lb_mono_ms() + 10000, used = -1;

	tmpdir(dir);
	qs = lb_quotas_new(dir, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(qs);
	for (int i = 0; i < 3; i++)
		lb_quota_take(lb_quotas_get(qs, k.id), &k, lb_now_ms());
	/* the thread's first write, counted in the SIGUSR1 line */
	snprintf(path, sizeof(path), "%s/quotas.db", dir);
	while (lb_mono_ms() < until && used != 3) {
		struct timespec ts = { 0, 50 * 1000000 };
		FILE *mem;
		char *dump = NULL;
		size_t len = 0;

		nanosleep(&ts, NULL);
		mem = open_memstream(&dump, &len);
		lb_quotas_dump(qs, mem);
		fclose(mem);
		if (strstr(dump, "flushes=1 ") != NULL)
			used = 3;
		free(dump);
	}
	CU_ASSERT_EQUAL(used, 3);
	/* the row, read through SQLite once the bridge's lock is gone */
	lb_quotas_free(qs);
	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	{
		sqlite3_stmt *st;

		CU_ASSERT_FATAL(sqlite3_prepare_v2(db,
		                    "SELECT used FROM quota WHERE key_id = "
		                    "'background'",
		                    -1, &st, NULL) == SQLITE_OK);
		CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
		CU_ASSERT_EQUAL(sqlite3_column_int64(st, 0), 3);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	rmdir_all(dir);
}

void
lb_test_suite_quota(void)
{
	static CU_TestInfo tests[] = {
		{ "quota counting", test_quota_take },
		{ "carried over, limit and period changes", test_carry_over },
		{ "period starts", test_period_start },
		{ "written and read back", test_persist },
		{ "expired rows", test_expired_rows },
		{ "refused files, --reset-state", test_refused },
		{ "corrupt pages", test_corrupt_pages },
		{ "one bridge per file", test_locked },
		{ "threads and flushes", test_threads_and_flush },
		{ "the flush thread", test_flush_thread },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("quota", tests);
}
