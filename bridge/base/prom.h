/*
 * prom.h - Prometheus's text exposition format (version 0.0.4): a writer
 * of metric families, samples and histograms into a growing buffer, and
 * histograms that any thread may count into (relaxed atomics).
 * Pure: no I/O, no globals.
 */
#ifndef LB_PROM_H
#define LB_PROM_H

#include <stddef.h>
#include <stdint.h>

/* What a scrape must say it is (Prometheus 3 refuses a scrape without). */
#define LB_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The text being written; zero it, or lb_prom_init. */
struct lb_prom {
	char *buf;
	size_t len, cap;
	int oom; /* a write failed: lb_prom_take returns NULL */
};

/* One label of a sample; both strings borrowed. */
struct lb_prom_label {
	const char *name;
	const char *value;
};

#define LB_PROM_BUCKETS_MAX 24

/* A histogram's bucket bounds (the `le`s, in seconds, increasing; +Inf
 * is implicit).  Constant, shared by the histograms that use it. */
struct lb_prom_layout {
	size_t n;
	double le[LB_PROM_BUCKETS_MAX];
};

/*
 * A histogram: observations per bucket (not cumulated: each lands in one,
 * the last being +Inf's) and their sum in microseconds.  The count is the
 * buckets' total, so a scrape during observations stays consistent.
 */
struct lb_prom_hist {
	const struct lb_prom_layout *layout;
	uint64_t bucket[LB_PROM_BUCKETS_MAX + 1];
	uint64_t sum_us;
};

void lb_prom_init(struct lb_prom *p);

/* Frees the text (after a failed write, or instead of taking it). */
void lb_prom_free(struct lb_prom *p);

/*
 * The text written, NUL-terminated, its length in *len; the caller owns
 * it (free it with free) and p is empty again.  NULL when a write ran out
 * of memory (p is freed then).
 */
char *lb_prom_take(struct lb_prom *p, size_t *len);

/*
 * Starts a family: its `# HELP` (`help` escaped: backslash and newline)
 * and `# TYPE` lines.  `type` is "counter", "gauge" or "histogram".
 */
void lb_prom_family(
    struct lb_prom *p, const char *name, const char *type, const char *help);

/*
 * One sample line: `name{labels} value`, each label value escaped
 * (backslash, double quote, newline).  Values print as Go's client prints
 * them: integers without a point, others in the shortest form that reads
 * back the same, +Inf, -Inf and NaN.
 */
void lb_prom_sample(struct lb_prom *p, const char *name,
    const struct lb_prom_label *labels, size_t nlabels, double value);

/* The same for an integer count (exact beyond 2^53). */
void lb_prom_sample_u64(struct lb_prom *p, const char *name,
    const struct lb_prom_label *labels, size_t nlabels, uint64_t value);

/*
 * A histogram's samples under family `name`: NAME_bucket{labels,le=...}
 * cumulated, le="+Inf" last, then NAME_sum (seconds) and NAME_count.  At
 * most LB_PROM_BUCKETS_MAX - 1 labels.
 */
void lb_prom_hist_write(struct lb_prom *p, const char *name,
    const struct lb_prom_label *labels, size_t nlabels,
    const struct lb_prom_hist *h);

/* Starts h empty on `layout` (borrowed, constant). */
void lb_prom_hist_init(
    struct lb_prom_hist *h, const struct lb_prom_layout *layout);

/* Counts one observation of `us` microseconds (negative counts as 0).
 * Thread-safe: relaxed atomics. */
void lb_prom_hist_observe(struct lb_prom_hist *h, int64_t us);

/* Writes `v` as a sample value into buf (at least 32 bytes): the
 * format's spelling, as lb_prom_sample does.  Returns the length. */
size_t lb_prom_format_value(char *buf, size_t len, double v);

#endif /* LB_PROM_H */
