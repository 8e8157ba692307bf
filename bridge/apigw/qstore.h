/*
 * qstore.h - the file that keeps usage-plan quota counts across restarts
 * (docs/operations.md section 5): STATE_DIR/quotas.db, an SQLite database
 * in WAL mode with one row per API key id (its period, the period's start
 * and the requests counted in it).  The only file that includes sqlite3.h.
 * Not thread-safe: one thread at a time (quota.c's flusher).
 */
#ifndef LB_QSTORE_H
#define LB_QSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "apigw/throttle.h"

/* The file's name inside the state directory. */
#define LB_QSTORE_FILE "quotas.db"

struct lb_qstore;

/* One key's count. */
struct lb_qstore_row {
	const char *id; /* the API key's id (borrowed) */
	enum lb_quota_period period;
	int64_t start_ms; /* the period's start, ms since the epoch */
	int64_t used;     /* requests counted in it */
};

/*
 * Opens (creating it when absent) `dir`/quotas.db and checks it whole:
 * -1 with the file's path and the reason in err when `dir` is not a
 * writable directory, or the file cannot be read, is not a database, is
 * corrupt or is another program's.  With `reset`, a file that is
 * unreadable or corrupt is renamed to quotas.db.bad-TIME (its path in
 * `moved`, "" when nothing was moved) and an empty one created instead.
 * Returns a new store: close it with lb_qstore_close.
 */
struct lb_qstore *lb_qstore_open(const char *dir, int reset, char *moved,
    size_t movedlen, char *err, size_t errlen);

/* The file's path (borrowed, lives as long as s). */
const char *lb_qstore_path(const struct lb_qstore *s);

/*
 * Calls fn for every row (the row is borrowed for the call).  0, or -1
 * with the reason in err: a row that is not one the bridge wrote (an
 * unknown period, a negative count) is a corrupt file.
 */
int lb_qstore_load(struct lb_qstore *s,
    int (*fn)(void *arg, const struct lb_qstore_row *row), void *arg, char *err,
    size_t errlen);

/*
 * Writes rows[0..n) (each replacing the row of its id) in one
 * transaction, durable when it returns.  0, or -1 with the reason in err
 * (nothing written).
 */
int lb_qstore_save(struct lb_qstore *s, const struct lb_qstore_row *rows,
    size_t n, char *err, size_t errlen);

/* Deletes the rows whose period ended before now_ms.  0 or -1 (err). */
int lb_qstore_prune(
    struct lb_qstore *s, int64_t now_ms, char *err, size_t errlen);

/* Closes the file (checkpointing its WAL); NULL is fine. */
void lb_qstore_close(struct lb_qstore *s);

#endif /* LB_QSTORE_H */
