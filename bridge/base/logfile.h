/*
 * logfile.h - a log file written by several threads, one write(2) per line
 * with O_APPEND, that reopens its path on demand (after logrotate renamed
 * it, as nginx and php-fpm do on SIGUSR1).
 */
#ifndef LB_LOGFILE_H
#define LB_LOGFILE_H

#include <stddef.h>

struct lb_logfile;

/*
 * Opens (creating it, mode 0640) `path` for appending.  Returns a new log
 * file, or NULL with the reason in err.  Free it with lb_logfile_close.
 */
struct lb_logfile *lb_logfile_open(const char *path, char *err, size_t errlen);

/*
 * Appends buf[0..len) (whole lines) with one write(2); a short write is
 * finished, EINTR retried.  Any thread.  0, or -1 with errno set (the
 * line is lost, or its end, and counted: lb_logfile_lost).
 */
int lb_logfile_write(struct lb_logfile *lf, const char *buf, size_t len);

/*
 * Opens the path again and switches to the new file once the writes in
 * progress are done; lines after it go to the new file, none is lost.  On
 * failure the old file stays in use.  Any thread.  0, or -1 with the
 * reason in err.
 */
int lb_logfile_reopen(struct lb_logfile *lf, char *err, size_t errlen);

/* The lines that could not be written since the file was opened. */
unsigned long lb_logfile_lost(const struct lb_logfile *lf);

/* The path it was opened with (borrowed). */
const char *lb_logfile_path(const struct lb_logfile *lf);

void lb_logfile_close(struct lb_logfile *lf);

#endif /* LB_LOGFILE_H */
