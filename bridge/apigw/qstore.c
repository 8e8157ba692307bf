/*
 * qstore.c - quota counts in STATE_DIR/quotas.db (see qstore.h).
 *
 * SQLite in WAL mode: a commit is one append to quotas.db-wal, durable
 * against a crash of the process once write(2) returned and, with
 * synchronous = FULL, against a crash of the machine once it is fsync'ed
 * (one fsync per flush, at most one a second).  The database is opened in
 * exclusive locking mode and written at once, so a second bridge on the
 * same directory is refused instead of mixing its counts in.  A file that
 * SQLite cannot read back whole (PRAGMA quick_check), that is another
 * program's (application_id) or whose rows the bridge did not write is
 * refused rather than started afresh: counts are what clients paid for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "apigw/qstore.h"

/* 'LBQT': PRAGMA application_id, so that file(1) and the bridge know it. */
#define APP_ID 0x4c425154
/* PRAGMA user_version: the layout below. */
#define FORMAT 1
/* Another process holding the file: wait this long before refusing. */
#define BUSY_MS 2000

struct lb_qstore {
	sqlite3 *db;
	sqlite3_stmt *upsert;
	char *path;
};

static const char schema[] = "CREATE TABLE IF NOT EXISTS quota ("
                             " key_id TEXT PRIMARY KEY NOT NULL,"
                             " period TEXT NOT NULL,"
                             " period_start INTEGER NOT NULL,"
                             " period_end INTEGER NOT NULL,"
                             " used INTEGER NOT NULL"
                             ") WITHOUT ROWID;";

static const char *const period_names[] = {
	[LB_QUOTA_DAY] = "DAY",
	[LB_QUOTA_WEEK] = "WEEK",
	[LB_QUOTA_MONTH] = "MONTH",
};

static int
period_parse(const char *s, enum lb_quota_period *p)
{
	for (int i = LB_QUOTA_DAY; i <= LB_QUOTA_MONTH; i++)
		if (s != NULL && strcmp(s, period_names[i]) == 0) {
			*p = (enum lb_quota_period)i;
			return 0;
		}
	return -1;
}

/* The directory must exist, be one, and let this process create files. */
static int
check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "gateway.state_dir '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "gateway.state_dir '%s': %s", dir,
		    strerror(ENOTDIR));
		return -1;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen,
		    "gateway.state_dir '%s' is not writable by this process: "
		    "%s",
		    dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs sql (no rows wanted); 0, or -1 with SQLite's message in err. */
static int
exec(struct lb_qstore *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", msg != NULL ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -1;
}

/* One integer from a pragma ("PRAGMA application_id"); -1 with err. */
static int
pragma_int(struct lb_qstore *s, const char *sql, int64_t *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* PRAGMA quick_check: the whole file readable and consistent. */
static int
quick_check(struct lb_qstore *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *text;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	rc = sqlite3_step(st);
	text =
	    rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (text != NULL && strcmp(text, "ok") == 0) {
		sqlite3_finalize(st);
		return 0;
	}
	snprintf(
	    err, errlen, "%s", text != NULL ? text : sqlite3_errmsg(s->db));
	/* quick_check describes the damage over several lines */
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	sqlite3_finalize(st);
	return -1;
}

/*
 * Calls fn (when not NULL) for every row, each checked to be one the
 * bridge writes: -1 with the first bad one, or fn's failure, in err.
 */
static int
scan_rows(struct lb_qstore *s,
    int (*fn)(void *arg, const struct lb_qstore_row *row), void *arg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
	        "SELECT key_id, period, period_start, period_end, used"
	        " FROM quota",
	        -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lb_qstore_row row;
		int ints = 1;

		/* period_start, period_end and used */
		for (int col = 2; col <= 4; col++)
			ints = ints &&
			    sqlite3_column_type(st, col) == SQLITE_INTEGER;
		row.id = (const char *)sqlite3_column_text(st, 0);
		row.start_ms = sqlite3_column_int64(st, 2);
		row.used = sqlite3_column_int64(st, 4);
		if (row.id == NULL || !ints ||
		    period_parse((const char *)sqlite3_column_text(st, 1),
		        &row.period) < 0 ||
		    row.used < 0 ||
		    sqlite3_column_int64(st, 3) <= row.start_ms) {
			snprintf(err, errlen,
			    "a row the bridge did not write (key '%s')",
			    row.id != NULL ? row.id : "(null)");
			sqlite3_finalize(st);
			return -1;
		}
		if (fn != NULL && fn(arg, &row) < 0) {
			snprintf(err, errlen, "out of memory");
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Opens the file and checks it: -1 with the reason (without the path) in
 * err.  The first write takes the exclusive lock the store keeps.
 */
static int
open_db(struct lb_qstore *s, char *err, size_t errlen)
{
	int64_t app = 0, version = 0;
	int fd;

	/* a file that exists but cannot be read: say so, SQLite would only
	 * say "unable to open database file" */
	fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (sqlite3_open_v2(s->path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s",
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_busy_timeout(s->db, BUSY_MS);
	if (exec(s, "PRAGMA locking_mode = EXCLUSIVE", err, errlen) < 0 ||
	    quick_check(s, err, errlen) < 0 ||
	    pragma_int(s, "PRAGMA application_id", &app, err, errlen) < 0 ||
	    pragma_int(s, "PRAGMA user_version", &version, err, errlen) < 0)
		return -1;
	if (app != APP_ID && app != 0) {
		snprintf(err, errlen,
		    "not a lambdabridge state file (application_id %#llx)",
		    (unsigned long long)app);
		return -1;
	}
	if (version > FORMAT) {
		snprintf(err, errlen,
		    "written by a newer lambdabridge (format %lld, this one "
		    "reads %d)",
		    (long long)version, FORMAT);
		return -1;
	}
	if (app == 0) {
		/* a new file, or one without our stamp: it must hold
		 * nothing else */
		int64_t tables = 0;

		if (pragma_int(s,
		        "SELECT count(*) FROM sqlite_schema"
		        " WHERE name NOT LIKE 'sqlite_%'",
		        &tables, err, errlen) < 0)
			return -1;
		if (tables > 0) {
			snprintf(err, errlen, "not a lambdabridge state file");
			return -1;
		}
	}
	/* the exclusive lock from here on: another bridge waits BUSY_MS,
	 * then is refused */
	if (exec(s, "PRAGMA journal_mode = WAL", err, errlen) < 0 ||
	    exec(s, "PRAGMA synchronous = FULL", err, errlen) < 0 ||
	    exec(s,
	        "BEGIN IMMEDIATE;"
	        "PRAGMA application_id = 1279414612;" /* APP_ID */
	        "PRAGMA user_version = 1;",
	        err, errlen) < 0 ||
	    exec(s, schema, err, errlen) < 0 ||
	    exec(s, "COMMIT", err, errlen) < 0)
		return -1;
	if (scan_rows(s, NULL, NULL, err, errlen) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db,
	        "INSERT INTO quota (key_id, period, period_start, period_end,"
	        " used) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key_id)"
	        " DO UPDATE SET period = ?2, period_start = ?3,"
	        " period_end = ?4, used = ?5",
	        -1, &s->upsert, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static void
close_db(struct lb_qstore *s)
{
	sqlite3_finalize(s->upsert);
	s->upsert = NULL;
	sqlite3_close(s->db);
	s->db = NULL;
}

/*
 * Renames the file and its WAL to PATH.bad-YYYYMMDDTHHMMSSZ[-wal]; the
 * new name in moved.  0 or -1 (err).
 */
static int
move_aside(
    struct lb_qstore *s, char *moved, size_t movedlen, char *err, size_t errlen)
{
	char stamp[32], from[4096], to[4096];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(to, sizeof(to), "%s.bad-%s", s->path, stamp);
	if (rename(s->path, to) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot move '%s' aside: %s", s->path,
		    strerror(errno));
		return -1;
	}
	snprintf(moved, movedlen, "%s", to);
	snprintf(from, sizeof(from), "%s-wal", s->path);
	snprintf(to, sizeof(to), "%s.bad-%s-wal", s->path, stamp);
	if (rename(from, to) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot move '%s' aside: %s", from,
		    strerror(errno));
		return -1;
	}
	snprintf(from, sizeof(from), "%s-shm", s->path);
	unlink(from);
	return 0;
}

struct lb_qstore *
lb_qstore_open(const char *dir, int reset, char *moved, size_t movedlen,
    char *err, size_t errlen)
{
	struct lb_qstore *s;
	char why[512];
	size_t len;
	int locked;

	if (movedlen > 0)
		moved[0] = '\0';
	if (check_dir(dir, err, errlen) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	len = strlen(dir) + sizeof(LB_QSTORE_FILE) + 1;
	if (s == NULL || (s->path = malloc(len)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, len, "%s%s%s", dir,
	    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
	    LB_QSTORE_FILE);
	if (open_db(s, why, sizeof(why)) == 0)
		return s;
	/* by SQLite's code: the message may quote the file's own bytes */
	locked = s->db != NULL &&
	    (sqlite3_errcode(s->db) == SQLITE_BUSY ||
	        sqlite3_errcode(s->db) == SQLITE_LOCKED);
	close_db(s);
	if (reset && !locked) {
		if (move_aside(s, moved, movedlen, err, errlen) < 0)
			goto fail;
		if (open_db(s, why, sizeof(why)) == 0)
			return s;
		snprintf(err, errlen, "state file '%s': %s", s->path, why);
		goto fail;
	}
	snprintf(err, errlen, "state file '%s': %s%s", s->path,
	    locked ? "in use by another process (another bridge on the "
	             "same gateway.state_dir?)"
	           : why,
	    locked ? ""
	           : " (--reset-state moves it aside and starts with no "
	             "counts)");
fail:
	/* one line, whatever the file's bytes (a key id in the message) */
	for (char *p = err; errlen > 0 && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	close_db(s);
	free(s->path);
	free(s);
	return NULL;
}

const char *
lb_qstore_path(const struct lb_qstore *s)
{
	return s->path;
}

int
lb_qstore_load(struct lb_qstore *s,
    int (*fn)(void *arg, const struct lb_qstore_row *row), void *arg, char *err,
    size_t errlen)
{
	return scan_rows(s, fn, arg, err, errlen);
}

int
lb_qstore_save(struct lb_qstore *s, const struct lb_qstore_row *rows, size_t n,
    char *err, size_t errlen)
{
	if (exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct lb_qstore_row *r = &rows[i];
		sqlite3_stmt *st = s->upsert;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    st, 2, period_names[r->period], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->start_ms);
		sqlite3_bind_int64(
		    st, 4, lb_quota_period_end(r->period, r->start_ms));
		sqlite3_bind_int64(st, 5, r->used);
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
			sqlite3_reset(st);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	sqlite3_reset(s->upsert);
	return exec(s, "COMMIT", err, errlen);
}

int
lb_qstore_prune(struct lb_qstore *s, int64_t now_ms, char *err, size_t errlen)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "DELETE FROM quota WHERE period_end <= %lld",
	    (long long)now_ms);
	return exec(s, sql, err, errlen);
}

void
lb_qstore_close(struct lb_qstore *s)
{
	if (s == NULL)
		return;
	close_db(s);
	free(s->path);
	free(s);
}
