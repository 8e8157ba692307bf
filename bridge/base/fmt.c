/*
 * fmt.c - see fmt.h.
 */
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"

void
lb_fmt_init(struct lb_fmt *f, char *buf, size_t len)
{
	f->p = buf;
	f->end = buf + len - 1;
}

void
lb_fmt_mem(struct lb_fmt *f, const char *s, size_t n)
{
	size_t room = (size_t)(f->end - f->p);

	if (n > room)
		n = room;
	memcpy(f->p, s, n);
	f->p += n;
}

void
lb_fmt_str(struct lb_fmt *f, const char *s)
{
	lb_fmt_mem(f, s, strlen(s));
}

void
lb_fmt_u64(struct lb_fmt *f, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	lb_fmt_mem(f, d + i, sizeof(d) - i);
}

void
lb_fmt_i64(struct lb_fmt *f, int64_t v)
{
	if (v < 0) {
		lb_fmt_mem(f, "-", 1);
		lb_fmt_u64(f, 0 - (uint64_t)v);
		return;
	}
	lb_fmt_u64(f, (uint64_t)v);
}

void
lb_fmt_fixed2(struct lb_fmt *f, double v)
{
	uint64_t c;
	char frac[3];

	if (!(v >= 0 && v < 1e15)) {
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "%.2f", v);

		lb_fmt_mem(f, buf, n > 0 ? (size_t)n : 0);
		return;
	}
	c = (uint64_t)(v * 100.0 + 0.5);
	lb_fmt_u64(f, c / 100);
	frac[0] = '.';
	frac[1] = (char)('0' + c / 10 % 10);
	frac[2] = (char)('0' + c % 10);
	lb_fmt_mem(f, frac, 3);
}

size_t
lb_fmt_done(struct lb_fmt *f, char *buf)
{
	*f->p = '\0';
	return (size_t)(f->p - buf);
}
