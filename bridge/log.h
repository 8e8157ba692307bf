/*
 * log.h - the gateway's logger: timestamped lines on stderr (foreground) or
 * syslog (detached).  Thread-safe; one write per line.
 */
#ifndef LB_LOG_H
#define LB_LOG_H

#include <stddef.h>

enum lb_log_level {
	LB_LOG_ERROR,
	LB_LOG_WARN,
	LB_LOG_INFO,
	LB_LOG_DEBUG,
};

/* Sets the threshold (default LB_LOG_INFO) and the destination. */
void lb_log_init(enum lb_log_level level, int use_syslog);

/* Logs one formatted line at `level`. */
void lb_log(enum lb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Logs one line of a function's own output, CloudWatch style:
 * "<ISO8601 time>\t<request_id>\t<line>".  `line` need not be terminated.
 */
void lb_log_function(
    const char *function, const char *request_id, const char *line, size_t len);

/* Logs a line verbatim (START/END/REPORT, access log). */
void lb_log_raw(const char *line);

/*
 * Batching, for the event loop: from lb_log_batch_begin() on, this
 * thread's stderr lines are kept in order and written with one write(2) by
 * lb_log_batch_flush() (or once 64 KB are kept); lb_log_batch_end() flushes
 * and stops.  Other threads and syslog are not affected.
 */
void lb_log_batch_begin(void);
void lb_log_batch_flush(void);
void lb_log_batch_end(void);

#endif /* LB_LOG_H */
