/*
 * log.c - timestamped lines to stderr, or syslog when detached.  Each line is
 * formatted into a buffer and written with one write(2) so that lines from
 * several threads never interleave.  A loop thread batches its lines
 * (lb_log_batch_begin): one write(2) per round of events, in order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

static enum lb_log_level threshold = LB_LOG_INFO;
static int to_syslog;

static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void
lb_log_init(enum lb_log_level level, int use_syslog)
{
	threshold = level;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog("lambdabridge", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* The escape of c into e (its length), or 0 when c stays as it is. */
static size_t
escape1(unsigned char c, int flags, char e[4])
{
	static const char hex[] = "0123456789abcdef";

	e[0] = '\\';
	if (c == '\n' || c == '\r' ||
	    (c == '\t' && !(flags & LB_LOG_ESC_KEEP_TAB))) {
		e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	if ((c == '"' || c == '\\') && (flags & LB_LOG_ESC_QUOTE)) {
		e[1] = (char)c;
		return 2;
	}
	if ((c >= 0x20 && c != 0x7f) || c == '\t')
		return 0;
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 15];
	return 4;
}

/* Whether c is written as it is: the common case, copied in runs. */
static int
plain(unsigned char c, int flags)
{
	if (c >= 0x20 && c != 0x7f)
		return !((c == '"' || c == '\\') && (flags & LB_LOG_ESC_QUOTE));
	return c == '\t' && (flags & LB_LOG_ESC_KEEP_TAB);
}

size_t
lb_log_escape(char *out, size_t cap, const char *s, size_t len, int flags)
{
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		size_t run = i;
		char e[4];
		size_t k;

		/* a function's log lines are mostly plain text: one memcpy
		 * per run instead of a test and a store per byte */
		while (run < len && plain((unsigned char)s[run], flags))
			run++;
		if (run > i) {
			size_t room = cap > n + 1 ? cap - n - 1 : 0;

			k = run - i < room ? run - i : room;
			memcpy(out + n, s + i, k);
			n += k;
			if (k < run - i)
				break;
			i = run;
			continue;
		}
		k = escape1((unsigned char)s[i], flags, e);
		if (n + k >= cap)
			break;
		memcpy(out + n, e, k);
		n += k;
		i++;
	}
	if (cap > 0)
		out[n] = '\0';
	return n;
}

static size_t
stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(
	    buf + n, len - n, ".%03ldZ", (long)(ts.tv_nsec / 1000000));
	return n;
}

static void
write_all(const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(STDERR_FILENO, buf + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (size_t)w;
	}
}

/* This thread's batch (lb_log_batch_begin), or NULL. */
static __thread struct batch {
	char *buf; /* BATCH_MAX bytes */
	size_t len;
} * batch;

#define BATCH_MAX (64 * 1024)

static void
emit(char *buf, size_t n)
{
	struct batch *b = batch;

	buf[n++] = '\n';
	if (b != NULL && n <= BATCH_MAX) {
		if (b->len + n > BATCH_MAX) {
			write_all(b->buf, b->len);
			b->len = 0;
		}
		memcpy(b->buf + b->len, buf, n);
		b->len += n;
		return;
	}
	write_all(buf, n);
}

void
lb_log_batch_begin(void)
{
	if (batch != NULL || to_syslog)
		return;
	batch = malloc(sizeof(*batch) + BATCH_MAX);
	if (batch == NULL)
		return;
	batch->buf = (char *)(batch + 1);
	batch->len = 0;
}

void
lb_log_batch_flush(void)
{
	if (batch != NULL && batch->len > 0) {
		write_all(batch->buf, batch->len);
		batch->len = 0;
	}
}

void
lb_log_batch_end(void)
{
	lb_log_batch_flush();
	free(batch);
	batch = NULL;
}

void
lb_log(enum lb_log_level level, const char *fmt, ...)
{
	char msg[4096], buf[4096];
	va_list ap;
	size_t n, len;
	int r;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = r < 0 ? 0 : (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1;
	/* a field from a function or a client may hold CR/LF */
	if (to_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
			LOG_DEBUG };

		lb_log_escape(buf, sizeof(buf), msg, len, 0);
		syslog(prio[level], "%s", buf);
		return;
	}
	n = stamp(buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s ", names[level]);
	/* room for the newline emit adds */
	n += lb_log_escape(buf + n, sizeof(buf) - n - 1, msg, len, 0);
	emit(buf, n);
}

void
lb_log_function(
    const char *function, const char *request_id, const char *line, size_t len)
{
	char buf[8192];
	size_t n;
	int r;

	/* split at LF already; CR, ESC and the like are escaped, tabs kept
	 * (Lambda's own log format uses them) */
	if (to_syslog) {
		lb_log_escape(buf, sizeof(buf), line, len, LB_LOG_ESC_KEEP_TAB);
		syslog(LOG_INFO, "[%s] %s %s", function, request_id, buf);
		return;
	}
	n = stamp(buf, sizeof(buf));
	r = snprintf(
	    buf + n, sizeof(buf) - n, "\t%s\t[%s]\t", request_id, function);
	n += r > 0 ? (size_t)r : 0;
	n += lb_log_escape(
	    buf + n, sizeof(buf) - n - 1, line, len, LB_LOG_ESC_KEEP_TAB);
	emit(buf, n);
}

void
lb_log_verbatim(const char *line, size_t len)
{
	char buf[8192];
	size_t n;

	n = lb_log_escape(buf, sizeof(buf) - 1, line, len, 0);
	if (to_syslog) {
		syslog(LOG_INFO, "%s", buf);
		return;
	}
	emit(buf, n);
}

void
lb_log_raw(const char *line)
{
	char buf[4096];
	size_t n = strlen(line);

	if (to_syslog) {
		/* a message per line, as on stderr */
		for (const char *nl; (nl = strchr(line, '\n')) != NULL;
		     line = nl + 1)
			syslog(LOG_INFO, "%.*s", (int)(nl - line), line);
		syslog(LOG_INFO, "%s", line);
		return;
	}
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	memcpy(buf, line, n);
	emit(buf, n);
}
