/*
 * fmt.h - building log lines and header blocks without snprintf, which
 * costs more per request than the rest of those lines' work together (its
 * format parsing, locale and FILE machinery).  Writes into a caller's
 * fixed buffer and truncates silently, as snprintf would.
 */
#ifndef LB_FMT_H
#define LB_FMT_H

#include <stddef.h>
#include <stdint.h>

struct lb_fmt {
	char *p, *end; /* end leaves room for the NUL */
};

/* Starts writing into buf[0..len), len >= 1. */
void lb_fmt_init(struct lb_fmt *f, char *buf, size_t len);

void lb_fmt_mem(struct lb_fmt *f, const char *s, size_t n);
void lb_fmt_str(struct lb_fmt *f, const char *s);
void lb_fmt_u64(struct lb_fmt *f, uint64_t v);
void lb_fmt_i64(struct lb_fmt *f, int64_t v);

/* v as "%.2f" would write it, for 0 <= v < 1e15 (else "%.2f" itself). */
void lb_fmt_fixed2(struct lb_fmt *f, double v);

/* NUL-terminates; returns the length written. */
size_t lb_fmt_done(struct lb_fmt *f, char *buf);

#endif /* LB_FMT_H */
