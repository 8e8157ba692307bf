/*
 * prom.c - Prometheus's text exposition format (prom.h): families, samples,
 * histograms, escaping and the spelling of values.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/prom.h"

void
lb_prom_init(struct lb_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void
lb_prom_free(struct lb_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

char *
lb_prom_take(struct lb_prom *p, size_t *len)
{
	char *s;

	if (p->oom || p->buf == NULL) {
		if (!p->oom && (s = strdup("")) != NULL) {
			*len = 0;
			return s;
		}
		lb_prom_free(p);
		return NULL;
	}
	s = p->buf;
	*len = p->len;
	memset(p, 0, sizeof(*p));
	return s;
}

/* Room for n more bytes and the NUL; 0, or -1 (p->oom set). */
static int
reserve(struct lb_prom *p, size_t n)
{
	size_t cap;
	char *nb;

	if (p->oom)
		return -1;
	if (p->len + n + 1 <= p->cap)
		return 0;
	cap = p->cap > 0 ? p->cap : 4096;
	while (cap < p->len + n + 1)
		cap *= 2;
	nb = realloc(p->buf, cap);
	if (nb == NULL) {
		p->oom = 1;
		return -1;
	}
	p->buf = nb;
	p->cap = cap;
	return 0;
}

static void
put(struct lb_prom *p, const char *s, size_t n)
{
	if (reserve(p, n) < 0)
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
puts_(struct lb_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* s escaped: backslash and newline always, the double quote in label
 * values (`quote`). */
static void
put_escaped(struct lb_prom *p, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = *s == '\\' ? "\\\\"
		    : *s == '\n'             ? "\\n"
		    : *s == '"' && quote     ? "\\\""
		                             : NULL;

		if (esc == NULL)
			continue;
		put(p, run, (size_t)(s - run));
		put(p, esc, 2);
		run = s + 1;
	}
	put(p, run, (size_t)(s - run));
}

void
lb_prom_family(
    struct lb_prom *p, const char *name, const char *type, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, 0);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

size_t
lb_prom_format_value(char *buf, size_t len, double v)
{
	int n;

	if (isnan(v))
		n = snprintf(buf, len, "NaN");
	else if (isinf(v))
		n = snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		n = snprintf(buf, len, "%.0f", v);
	else {
		/* the shortest of %.15g .. %.17g that reads back as v */
		for (int prec = 15; prec <= 17; prec++) {
			n = snprintf(buf, len, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* name{labels[,le="x"]} */
static void
put_series(struct lb_prom *p, const char *name, const char *suffix,
    const struct lb_prom_label *labels, size_t nlabels, const char *le)
{
	puts_(p, name);
	puts_(p, suffix);
	if (nlabels == 0 && le == NULL)
		return;
	puts_(p, "{");
	for (size_t i = 0; i < nlabels; i++) {
		if (i > 0)
			puts_(p, ",");
		puts_(p, labels[i].name);
		puts_(p, "=\"");
		put_escaped(p, labels[i].value, 1);
		puts_(p, "\"");
	}
	if (le != NULL) {
		if (nlabels > 0)
			puts_(p, ",");
		puts_(p, "le=\"");
		puts_(p, le);
		puts_(p, "\"");
	}
	puts_(p, "}");
}

void
lb_prom_sample(struct lb_prom *p, const char *name,
    const struct lb_prom_label *labels, size_t nlabels, double value)
{
	char v[64];

	put_series(p, name, "", labels, nlabels, NULL);
	puts_(p, " ");
	put(p, v, lb_prom_format_value(v, sizeof(v), value));
	puts_(p, "\n");
}

static void
sample_u64(struct lb_prom *p, const char *name, const char *suffix,
    const struct lb_prom_label *labels, size_t nlabels, const char *le,
    uint64_t value)
{
	char v[32];

	put_series(p, name, suffix, labels, nlabels, le);
	snprintf(v, sizeof(v), " %" PRIu64 "\n", value);
	puts_(p, v);
}

void
lb_prom_sample_u64(struct lb_prom *p, const char *name,
    const struct lb_prom_label *labels, size_t nlabels, uint64_t value)
{
	sample_u64(p, name, "", labels, nlabels, NULL, value);
}

void
lb_prom_hist_write(struct lb_prom *p, const char *name,
    const struct lb_prom_label *labels, size_t nlabels,
    const struct lb_prom_hist *h)
{
	const struct lb_prom_layout *l = h->layout;
	uint64_t cum = 0;
	char le[64], v[64];

	for (size_t i = 0; i <= l->n; i++) {
		cum += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
		if (i < l->n)
			lb_prom_format_value(le, sizeof(le), l->le[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		sample_u64(p, name, "_bucket", labels, nlabels, le, cum);
	}
	put_series(p, name, "_sum", labels, nlabels, NULL);
	puts_(p, " ");
	put(p, v,
	    lb_prom_format_value(v, sizeof(v),
	        (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6));
	puts_(p, "\n");
	sample_u64(p, name, "_count", labels, nlabels, NULL, cum);
}

void
lb_prom_hist_init(struct lb_prom_hist *h, const struct lb_prom_layout *layout)
{
	memset(h, 0, sizeof(*h));
	h->layout = layout;
}

void
lb_prom_hist_observe(struct lb_prom_hist *h, int64_t us)
{
	const struct lb_prom_layout *l = h->layout;
	double s;
	size_t i = 0;

	if (us < 0)
		us = 0;
	s = (double)us / 1e6;
	while (i < l->n && s > l->le[i])
		i++;
	__atomic_add_fetch(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->sum_us, (uint64_t)us, __ATOMIC_RELAXED);
}
