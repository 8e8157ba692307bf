/*
 * fcgi_proto.c - the FastCGI 1.0 codec (see fcgi_proto.h): the record
 * header is version, type, request id (2 bytes), content length (2 bytes),
 * padding length and a reserved byte; a name-value pair is the two lengths
 * (1 byte under 128, else 4 bytes with the high bit set), then the name,
 * then the value.  All big-endian.
 */
#include <stdint.h>
#include <string.h>

#include "fastcgi/fcgi_proto.h"

int
lb_fcgi_record_head(
    const unsigned char *p, size_t len, struct lb_fcgi_record *r, size_t *pad)
{
	if (len >= 1 && p[0] != LB_FCGI_VERSION_1)
		return -1;
	if (len < LB_FCGI_HEADER_LEN)
		return 0;
	r->type = p[1];
	r->rid = ((unsigned)p[2] << 8) | p[3];
	r->content = p + LB_FCGI_HEADER_LEN;
	r->clen = ((size_t)p[4] << 8) | p[5];
	*pad = p[6];
	return 1;
}

long
lb_fcgi_record_parse(
    const unsigned char *p, size_t len, struct lb_fcgi_record *r)
{
	struct lb_fcgi_record h;
	size_t pad, total;
	int rc = lb_fcgi_record_head(p, len, &h, &pad);

	if (rc <= 0)
		return rc;
	total = LB_FCGI_HEADER_LEN + h.clen + pad;
	if (len < total)
		return 0;
	*r = h;
	return (long)total;
}

void
lb_fcgi_header_put(
    unsigned char h[LB_FCGI_HEADER_LEN], int type, unsigned rid, size_t clen)
{
	h[0] = LB_FCGI_VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(rid >> 8);
	h[3] = (unsigned char)rid;
	h[4] = (unsigned char)(clen >> 8);
	h[5] = (unsigned char)clen;
	h[6] = 0; /* no padding */
	h[7] = 0;
}

int
lb_fcgi_begin_parse(
    const unsigned char *p, size_t len, unsigned *role, unsigned *flags)
{
	if (len < 8)
		return -1;
	*role = ((unsigned)p[0] << 8) | p[1];
	*flags = p[2];
	return 0;
}

void
lb_fcgi_end_put(unsigned char b[8], int protocol_status)
{
	memset(b, 0, 8);
	b[4] = (unsigned char)protocol_status;
}

void
lb_fcgi_unknown_type_put(unsigned char b[8], int type)
{
	memset(b, 0, 8);
	b[0] = (unsigned char)type;
}

/* One length; NULL when it runs past end. */
static const unsigned char *
get_len(const unsigned char *p, const unsigned char *end, size_t *n)
{
	if (p >= end)
		return NULL;
	if ((*p & 0x80) == 0) {
		*n = *p;
		return p + 1;
	}
	if (end - p < 4)
		return NULL;
	*n = ((size_t)(p[0] & 0x7f) << 24) | ((size_t)p[1] << 16) |
	    ((size_t)p[2] << 8) | p[3];
	return p + 4;
}

int
lb_fcgi_pair_next(const unsigned char **p, const unsigned char *end,
    struct lb_fcgi_pair *pair)
{
	const unsigned char *q = *p;
	size_t nl, vl;

	if (q >= end)
		return 0;
	if ((q = get_len(q, end, &nl)) == NULL ||
	    (q = get_len(q, end, &vl)) == NULL || (size_t)(end - q) < nl ||
	    (size_t)(end - q) - nl < vl)
		return -1;
	pair->name = q;
	pair->name_len = nl;
	pair->value = q + nl;
	pair->value_len = vl;
	*p = q + nl + vl;
	return 1;
}

/* Writes one length; the bytes it takes. */
static size_t
put_len(unsigned char *o, size_t n)
{
	if (n < 128) {
		o[0] = (unsigned char)n;
		return 1;
	}
	o[0] = (unsigned char)(0x80 | (n >> 24));
	o[1] = (unsigned char)(n >> 16);
	o[2] = (unsigned char)(n >> 8);
	o[3] = (unsigned char)n;
	return 4;
}

size_t
lb_fcgi_pair_put(unsigned char *out, size_t room, const void *name,
    size_t name_len, const void *value, size_t value_len)
{
	size_t head = (name_len < 128 ? 1 : 4) + (value_len < 128 ? 1 : 4);
	size_t o;

	if (name_len > INT32_MAX || value_len > INT32_MAX || room < head ||
	    room - head < name_len || room - head - name_len < value_len)
		return 0;
	o = put_len(out, name_len);
	o += put_len(out + o, value_len);
	if (name_len > 0)
		memcpy(out + o, name, name_len);
	if (value_len > 0)
		memcpy(out + o + name_len, value, value_len);
	return o + name_len + value_len;
}
