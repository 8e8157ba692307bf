/*
 * fuzz_fcgi.c - libFuzzer target for the FastCGI codec (fcgi_proto.c,
 * `make fuzz`).  The input is what a client sends: records are parsed one
 * after another as conn.c does, and each must lie inside the input, be
 * incomplete one byte shorter, and come back the same through
 * lb_fcgi_header_put.  The PARAMS and GET_VALUES contents, joined as
 * conn.c joins a PARAMS stream, are split into name-value pairs that must
 * lie inside the stream, and written again with lb_fcgi_pair_put must read
 * back as the same pairs.  Crashes and undefined behaviour are caught by
 * ASan/UBSan; a broken property aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fastcgi/fcgi_proto.h"

#define STREAM_MAX (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char stream[STREAM_MAX];
static unsigned char again[STREAM_MAX + 1024];

static void
check_pairs(const unsigned char *s, size_t len)
{
	const unsigned char *p = s, *end = s + len, *q = again;
	struct lb_fcgi_pair a, b;
	size_t o = 0;
	int rc;

	while ((rc = lb_fcgi_pair_next(&p, end, &a)) == 1) {
		size_t n;

		if (a.name < s || a.name + a.name_len > a.value ||
		    a.value + a.value_len != p || p > end)
			abort();
		n = lb_fcgi_pair_put(again + o, sizeof(again) - o, a.name,
		    a.name_len, a.value, a.value_len);
		/* canonical lengths take no more room than the read ones */
		if (n == 0)
			abort();
		o += n;
	}
	if (rc == -1 && (p < s || p > end))
		abort();
	/* what was written reads back the same, pair for pair */
	p = s;
	while (lb_fcgi_pair_next(&p, end, &a) == 1) {
		if (lb_fcgi_pair_next(&q, again + o, &b) != 1 ||
		    a.name_len != b.name_len || a.value_len != b.value_len ||
		    memcmp(a.name, b.name, a.name_len) != 0 ||
		    memcmp(a.value, b.value, a.value_len) != 0)
			abort();
	}
	if (q != again + o)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *rec = malloc(LB_FCGI_HEADER_LEN + LB_FCGI_MAX_CONTENT);
	size_t off = 0, slen = 0;

	if (rec == NULL)
		return 0;
	for (;;) {
		struct lb_fcgi_record r, r2, h;
		unsigned role, flags;
		size_t pad;
		long n = lb_fcgi_record_parse(data + off, size - off, &r);

		if (n <= 0)
			break;
		if ((size_t)n > size - off || n < LB_FCGI_HEADER_LEN ||
		    r.content != data + off + LB_FCGI_HEADER_LEN ||
		    r.clen > (size_t)n - LB_FCGI_HEADER_LEN ||
		    lb_fcgi_record_parse(data + off, (size_t)n - 1, &r2) != 0)
			abort();
		if (lb_fcgi_record_head(data + off, size - off, &h, &pad) !=
		        1 ||
		    h.type != r.type || h.rid != r.rid || h.clen != r.clen ||
		    (size_t)n != LB_FCGI_HEADER_LEN + h.clen + pad)
			abort();
		lb_fcgi_header_put(rec, r.type, r.rid, r.clen);
		memcpy(rec + LB_FCGI_HEADER_LEN, r.content, r.clen);
		if (lb_fcgi_record_parse(rec, LB_FCGI_HEADER_LEN + r.clen,
		        &r2) != (long)(LB_FCGI_HEADER_LEN + r.clen) ||
		    r2.type != r.type || r2.rid != r.rid || r2.clen != r.clen)
			abort();
		if (r.type == LB_FCGI_BEGIN_REQUEST &&
		    (lb_fcgi_begin_parse(r.content, r.clen, &role, &flags) ==
		        0) != (r.clen >= 8))
			abort();
		if (r.type == LB_FCGI_GET_VALUES)
			check_pairs(r.content, r.clen);
		if (r.type == LB_FCGI_PARAMS && slen + r.clen <= STREAM_MAX) {
			memcpy(stream + slen, r.content, r.clen);
			slen += r.clen;
		}
		off += (size_t)n;
	}
	check_pairs(stream, slen);
	free(rec);
	return 0;
}
