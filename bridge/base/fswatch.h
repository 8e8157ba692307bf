/*
 * fswatch.h - files watched for changes with inotify, for --watch: one fd
 * that becomes readable when a watched file is written, replaced, created,
 * removed or touched.  No polling, no thread.
 */
#ifndef LB_FSWATCH_H
#define LB_FSWATCH_H

#include <stddef.h>

struct lb_fswatch;

/* A new watcher with nothing watched; NULL with the reason in err. */
struct lb_fswatch *lb_fswatch_new(char *err, size_t errlen);

/* The inotify fd to poll for POLLIN (owned by w). */
int lb_fswatch_fd(const struct lb_fswatch *w);

/*
 * Replaces what w watches with `paths` (borrowed; NULL entries skipped).
 * Each file is watched through its directory, so that a file replaced by a
 * rename (editors, install(1)) or created later is seen too; a symbolic
 * link is watched as itself and as the file it names.  Returns 0, or -1
 * with the first path that cannot be watched and why in err (the others
 * are watched).
 */
int lb_fswatch_set(struct lb_fswatch *w, const char *const *paths, size_t n,
    char *err, size_t errlen);

/*
 * Reads what the kernel queued without blocking.  Returns how many events
 * concerned watched files (0: none, or only other files in their
 * directories), with the first such file's path in changed (len >= 1).
 */
int lb_fswatch_read(struct lb_fswatch *w, char *changed, size_t len);

/* Closes the fd and frees w; NULL is fine. */
void lb_fswatch_free(struct lb_fswatch *w);

#endif /* LB_FSWATCH_H */
