/*
 * state_flush.c - what one write of the quota counts costs, for the two
 * designs docs/performance.md compares ("State: the quota counts"):
 *
 *   sqlite-full    SQLite, WAL, synchronous = FULL (what qstore.c does):
 *                  one transaction of N upserts, fsync'ed
 *   sqlite-normal  the same with synchronous = NORMAL (no fsync per commit)
 *   append         an append-only file of fixed 48-byte records, one
 *                  write(2) of N records and fdatasync
 *   compact        the append-only file's compaction: every key's record
 *                  into a new file, fsync, rename, fsync of the directory
 *
 *   build/bench/state_flush [DIR]      (default: a new directory in /tmp)
 *
 * Prints, per design and N changed keys (1, 100, 10000), the median and
 * the 99th percentile of a write in microseconds.  The request path is the
 * same for all of them (a mutex and an add, quota.c); only this differs.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define ROUNDS 200

struct rec {
	char id[24];
	int64_t period, start, used;
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, int n, double *t, int rounds)
{
	qsort(t, (size_t)rounds, sizeof(*t), cmp);
	printf("%-14s %6d keys  median %9.1f us  p99 %9.1f us\n", what, n,
	    t[rounds / 2], t[rounds * 99 / 100]);
}

static int
sqlite_round(sqlite3 *db, sqlite3_stmt *st, int n, int round)
{
	char id[24];

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "key%07d", i);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, "MONTH", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, 1764547200000);
		sqlite3_bind_int64(st, 4, 1767225600000);
		sqlite3_bind_int64(st, 5, round * 10 + i);
		if (sqlite3_step(st) != SQLITE_DONE)
			return -1;
	}
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0
	                                                                 : -1;
}

static int
bench_sqlite(const char *dir, const char *sync, const char *name, int n)
{
	char path[512], sql[64];
	double t[ROUNDS];
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(path, sizeof(path), "%s/%s-%d.db", dir, name, n);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s", sync);
	sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_exec(db,
	    "CREATE TABLE quota (key_id TEXT PRIMARY KEY NOT NULL, period "
	    "TEXT NOT NULL, period_start INTEGER NOT NULL, period_end INTEGER "
	    "NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID",
	    NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db,
	        "INSERT INTO quota VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
	        "(key_id) DO UPDATE SET period = ?2, period_start = ?3, "
	        "period_end = ?4, used = ?5",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	/* every key in the table first, as after a day of traffic */
	if (sqlite_round(db, st, n, 0) < 0)
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();

		if (sqlite_round(db, st, n, r + 1) < 0)
			return -1;
		t[r] = now_us() - t0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	report(name, n, t, ROUNDS);
	return 0;
}

static void
fill(struct rec *recs, int n, int round)
{
	for (int i = 0; i < n; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		snprintf(recs[i].id, sizeof(recs[i].id), "key%07d", i);
		recs[i].period = 3;
		recs[i].start = 1764547200000;
		recs[i].used = round * 10 + i;
	}
}

static int
bench_append(const char *dir, int n)
{
	struct rec *recs = calloc((size_t)n, sizeof(*recs));
	char path[512];
	double t[ROUNDS];
	int fd;

	snprintf(path, sizeof(path), "%s/append-%d.log", dir, n);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	if (fd < 0 || recs == NULL)
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();
		size_t len = (size_t)n * sizeof(*recs);

		fill(recs, n, r);
		if (write(fd, recs, len) != (ssize_t)len || fdatasync(fd) < 0)
			return -1;
		t[r] = now_us() - t0;
	}
	close(fd);
	free(recs);
	report("append", n, t, ROUNDS);
	return 0;
}

static int
bench_compact(const char *dir, int n)
{
	struct rec *recs = calloc((size_t)n, sizeof(*recs));
	char path[512], tmp[520];
	double t[ROUNDS / 4];
	int fd, dfd = open(dir, O_RDONLY | O_DIRECTORY);

	snprintf(path, sizeof(path), "%s/compact-%d.log", dir, n);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (recs == NULL || dfd < 0)
		return -1;
	for (int r = 0; r < ROUNDS / 4; r++) {
		double t0 = now_us();
		size_t len = (size_t)n * sizeof(*recs);

		fill(recs, n, r);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, recs, len) != (ssize_t)len ||
		    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0 ||
		    fsync(dfd) < 0)
			return -1;
		t[r] = now_us() - t0;
	}
	close(dfd);
	free(recs);
	report("compact", n, t, ROUNDS / 4);
	return 0;
}

int
main(int argc, char **argv)
{
	static const int sizes[] = { 1, 100, 10000 };
	char dir[256];

	if (argc > 1) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/lb-state-flush-XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return 1;
		}
	}
	printf("state_flush: %d writes each in %s (SQLite %s)\n", ROUNDS, dir,
	    sqlite3_libversion());
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int n = sizes[i];

		if (bench_sqlite(dir, "FULL", "sqlite-full", n) < 0 ||
		    bench_sqlite(dir, "NORMAL", "sqlite-normal", n) < 0 ||
		    bench_append(dir, n) < 0 || bench_compact(dir, n) < 0) {
			fprintf(
			    stderr, "state_flush: a write failed in %s\n", dir);
			return 1;
		}
	}
	return 0;
}
