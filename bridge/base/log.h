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

/* lb_log_escape flags. */
#define LB_LOG_ESC_KEEP_TAB 1 /* leave tabs as they are */
#define LB_LOG_ESC_QUOTE    2 /* also '"' and backslash, as \" and \\ */

/*
 * Copies s[0..len) into out (cap >= 1 bytes, always NUL-terminated) with
 * every control character escaped: \n, \r, \t, and \xNN for the other
 * bytes below 0x20 and DEL, so that text from a function or a client can
 * never start a log line of its own nor drive a terminal.  Stops before an
 * escape that does not fit.  Returns the length written.
 */
size_t lb_log_escape(
    char *out, size_t cap, const char *s, size_t len, int flags);

/* Logs one formatted line at `level`, its control characters escaped. */
void lb_log(enum lb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Logs one line of a function's own output, CloudWatch style:
 * "<ISO8601 time>\t<request_id>\t<line>".  `line` need not be terminated;
 * its control characters but tab are escaped (lb_log_escape).
 */
void lb_log_function(
    const char *function, const char *request_id, const char *line, size_t len);

/*
 * Logs line[0..len) as it is, without time or level (a function's JSON
 * record in the JSON log format), its control characters escaped.
 */
void lb_log_verbatim(const char *line, size_t len);

/*
 * Logs a line verbatim (START/END/REPORT, access log): its fields must
 * already be escaped (lb_log_escape); a '\n' separates lines.
 */
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
