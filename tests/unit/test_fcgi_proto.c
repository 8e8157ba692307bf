/*
 * test_fcgi_proto.c - the FastCGI codec (fcgi_proto.c) on literal byte
 * strings: record headers whole, partial and of another version, padding,
 * a whole request split at every offset, BEGIN_REQUEST and END_REQUEST
 * bodies, management records (GET_VALUES, GET_VALUES_RESULT,
 * UNKNOWN_TYPE), name-value pairs with 1- and 4-byte lengths (and their
 * 127/128 boundary), cut at every offset, and writing pairs.  No socket,
 * no loop.
 */
#include <stdint.h>
#include <string.h>

#include "fastcgi/fcgi_proto.h"
#include "test.h"

void lb_test_suite_fcgi_proto(void);

#define B(s) ((const unsigned char *)(s)), (sizeof(s) - 1)

static void
test_records(void)
{
	/* PARAMS, request 0x0102, 3 bytes "abc", 2 bytes of padding, then
	 * the next record's first byte */
	static const unsigned char rec[] = "\x01\x04\x01\x02\x00\x03\x02\x00"
	                                   "abc\x00\x00"
	                                   "\x01";
	struct lb_fcgi_record r;

	CU_ASSERT_EQUAL(lb_fcgi_record_parse(rec, sizeof(rec) - 1, &r), 13);
	CU_ASSERT_EQUAL(r.type, 4);
	CU_ASSERT_EQUAL(r.rid, 0x0102);
	CU_ASSERT_EQUAL(r.clen, 3);
	CU_ASSERT(r.content == rec + 8);
	CU_ASSERT(memcmp(r.content, "abc", 3) == 0);
	/* anything short of the padding's end is incomplete */
	for (size_t n = 0; n < 13; n++)
		CU_ASSERT_EQUAL(lb_fcgi_record_parse(rec, n, &r), 0);
	/* 3 or 4 bytes of a header: wait (no wrong answer from them) */
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(B("\x01\x04\x00"), &r), 0);
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(B("\x01\x04\x00\x01"), &r), 0);
	/* another version is an error from its first byte */
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(B("\x02"), &r), -1);
	CU_ASSERT_EQUAL(
	    lb_fcgi_record_parse(B("\x00\x01\x00\x01\x00\x00\x00\x00"), &r),
	    -1);
	/* the largest: 65535 bytes and 255 of padding */
	{
		static unsigned char big[8 + 65535 + 255] = { 1, 5, 0, 1, 0xff,
			0xff, 0xff, 0 };

		CU_ASSERT_EQUAL(lb_fcgi_record_parse(big, sizeof(big), &r),
		    (long)sizeof(big));
		CU_ASSERT_EQUAL(r.clen, 65535);
		CU_ASSERT_EQUAL(
		    lb_fcgi_record_parse(big, sizeof(big) - 1, &r), 0);
	}
}

/* The header of a record not all in yet: what is coming, from 8 bytes. */
static void
test_record_head(void)
{
	static const unsigned char rec[] = "\x01\x05\x01\x02\x12\x34\x07\x00"
	                                   "ab";
	struct lb_fcgi_record r;
	size_t pad = 99;

	CU_ASSERT_EQUAL(lb_fcgi_record_head(rec, sizeof(rec) - 1, &r, &pad), 1);
	CU_ASSERT_EQUAL(r.type, 5);
	CU_ASSERT_EQUAL(r.rid, 0x0102);
	CU_ASSERT_EQUAL(r.clen, 0x1234);
	CU_ASSERT_EQUAL(pad, 7);
	CU_ASSERT(r.content == rec + 8);
	CU_ASSERT_EQUAL(lb_fcgi_record_head(rec, 8, &r, &pad), 1);
	for (size_t n = 0; n < 8; n++)
		CU_ASSERT_EQUAL(lb_fcgi_record_head(rec, n, &r, &pad), 0);
	CU_ASSERT_EQUAL(lb_fcgi_record_head(B("\x02"), &r, &pad), -1);
	/* a whole record parses to the same header */
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(rec, sizeof(rec) - 1, &r), 0);
}

static void
test_headers_and_bodies(void)
{
	unsigned char h[8], b[8];
	unsigned role = 9, flags = 9;

	lb_fcgi_header_put(h, LB_FCGI_STDOUT, 0x0102, 65535);
	CU_ASSERT(memcmp(h, "\x01\x06\x01\x02\xff\xff\x00\x00", 8) == 0);
	lb_fcgi_header_put(h, LB_FCGI_END_REQUEST, 1, 8);
	CU_ASSERT(memcmp(h, "\x01\x03\x00\x01\x00\x08\x00\x00", 8) == 0);
	lb_fcgi_end_put(b, LB_FCGI_UNKNOWN_ROLE);
	CU_ASSERT(memcmp(b, "\x00\x00\x00\x00\x03\x00\x00\x00", 8) == 0);
	CU_ASSERT_EQUAL(lb_fcgi_begin_parse(B("\x00\x01\x01\x00\x00\x00\x00"
	                                      "\x00"),
	                    &role, &flags),
	    0);
	CU_ASSERT_EQUAL(role, LB_FCGI_RESPONDER);
	CU_ASSERT_EQUAL(flags, LB_FCGI_KEEP_CONN);
	CU_ASSERT_EQUAL(lb_fcgi_begin_parse(B("\x00\x02\x00\x00\x00\x00\x00"
	                                      "\x00"),
	                    &role, &flags),
	    0);
	CU_ASSERT_EQUAL(role, 2);
	CU_ASSERT_EQUAL(flags, 0);
	CU_ASSERT_EQUAL(lb_fcgi_begin_parse(
	                    B("\x00\x01\x01\x00\x00\x00\x00"), &role, &flags),
	    -1);
}

/*
 * A request as nginx sends it: BEGIN_REQUEST (responder, keep_conn),
 * PARAMS with 3 bytes of padding, the empty PARAMS, STDIN "hi" with 6
 * bytes of padding, the empty STDIN.
 */
static const unsigned char request[] = "\x01\x01\x00\x01\x00\x08\x00\x00"
                                       "\x00\x01\x01\x00\x00\x00\x00\x00"
                                       "\x01\x04\x00\x01\x00\x0d\x03\x00"
                                       "\x0b\x00"
                                       "REQUEST_URI"
                                       "\x00\x00\x00"
                                       "\x01\x04\x00\x01\x00\x00\x00\x00"
                                       "\x01\x05\x00\x01\x00\x02\x06\x00"
                                       "hi"
                                       "\x00\x00\x00\x00\x00\x00"
                                       "\x01\x05\x00\x01\x00\x00\x00\x00";

/* The records of `request`, and where each ends. */
static const struct {
	int type;
	size_t clen, end;
	const char *content;
} request_records[] = {
	{ LB_FCGI_BEGIN_REQUEST, 8, 16, "\x00\x01\x01\x00\x00\x00\x00\x00" },
	{ LB_FCGI_PARAMS, 13, 40, "\x0b\x00REQUEST_URI" },
	{ LB_FCGI_PARAMS, 0, 48, "" },
	{ LB_FCGI_STDIN, 2, 64, "hi" },
	{ LB_FCGI_STDIN, 0, 72, "" },
};

/*
 * Parses the whole records in buf[*off..len) as a connection does with
 * what it has read so far, checking each against request_records from
 * *next on.  Returns what the last call returned (0: wait for more).
 */
static long
parse_request(const unsigned char *buf, size_t len, size_t *off, size_t *next)
{
	struct lb_fcgi_record r;
	long n;

	while ((n = lb_fcgi_record_parse(buf + *off, len - *off, &r)) > 0) {
		size_t i = (*next)++;

		CU_ASSERT_FATAL(
		    i < sizeof(request_records) / sizeof(request_records[0]));
		CU_ASSERT_EQUAL(r.type, request_records[i].type);
		CU_ASSERT_EQUAL(r.rid, 1);
		CU_ASSERT_EQUAL(r.clen, request_records[i].clen);
		CU_ASSERT(
		    memcmp(r.content, request_records[i].content, r.clen) == 0);
		*off += (size_t)n;
		CU_ASSERT_EQUAL(*off, request_records[i].end);
	}
	return n;
}

static void
test_split_request(void)
{
	const size_t len = sizeof(request) - 1;
	unsigned role, flags;
	struct lb_fcgi_record r;

	CU_ASSERT_EQUAL_FATAL(len, 72);
	/* the first `cut` bytes, then the rest: the same records */
	for (size_t cut = 0; cut <= len; cut++) {
		size_t off = 0, next = 0, whole = 0;

		CU_ASSERT_EQUAL(parse_request(request, cut, &off, &next), 0);
		/* what came is every record that ends by `cut` */
		while (whole < 5 && request_records[whole].end <= cut)
			whole++;
		CU_ASSERT_EQUAL(next, whole);
		CU_ASSERT_EQUAL(parse_request(request, len, &off, &next), 0);
		CU_ASSERT_EQUAL(next, 5);
		CU_ASSERT_EQUAL(off, len);
	}
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(request, len, &r), 16);
	CU_ASSERT_EQUAL(
	    lb_fcgi_begin_parse(r.content, r.clen, &role, &flags), 0);
	CU_ASSERT_EQUAL(role, LB_FCGI_RESPONDER);
	CU_ASSERT_EQUAL(flags, LB_FCGI_KEEP_CONN);
	/* an empty record may carry padding too */
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(B("\x01\x05\x00\x01\x00\x00\x07"
	                                       "\x00"
	                                       "\x00\x00\x00\x00\x00\x00\x00"),
	                    &r),
	    15);
	CU_ASSERT_EQUAL(r.clen, 0);
	CU_ASSERT_EQUAL(lb_fcgi_record_parse(B("\x01\x05\x00\x01\x00\x00\x07"
	                                       "\x00"
	                                       "\x00\x00\x00\x00\x00\x00"),
	                    &r),
	    0);
}

static void
test_management(void)
{
	/* GET_VALUES (request id 0) asking for two values, 7 bytes of
	 * padding */
	static const unsigned char get[] = "\x01\x09\x00\x00\x00\x21\x07\x00"
	                                   "\x0e\x00"
	                                   "FCGI_MAX_CONNS"
	                                   "\x0f\x00"
	                                   "FCGI_MPXS_CONNS"
	                                   "\x00\x00\x00\x00\x00\x00\x00";
	/* and its answer */
	static const unsigned char result[] = "\x01\x0a\x00\x00\x00\x26\x00\x00"
	                                      "\x0e\x04"
	                                      "FCGI_MAX_CONNS"
	                                      "1024"
	                                      "\x0f\x01"
	                                      "FCGI_MPXS_CONNS"
	                                      "0";
	unsigned char out[64], b[8];
	struct lb_fcgi_record r;
	struct lb_fcgi_pair q;
	const unsigned char *p, *end;
	size_t o;

	CU_ASSERT_EQUAL(lb_fcgi_record_parse(get, sizeof(get) - 1, &r),
	    (long)sizeof(get) - 1);
	CU_ASSERT_EQUAL(r.type, LB_FCGI_GET_VALUES);
	CU_ASSERT_EQUAL(r.rid, 0);
	CU_ASSERT_EQUAL(r.clen, 33);
	p = r.content;
	end = p + r.clen;
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 1);
	CU_ASSERT(
	    q.name_len == 14 && memcmp(q.name, "FCGI_MAX_CONNS", 14) == 0);
	CU_ASSERT_EQUAL(q.value_len, 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 1);
	CU_ASSERT(
	    q.name_len == 15 && memcmp(q.name, "FCGI_MPXS_CONNS", 15) == 0);
	CU_ASSERT_EQUAL(q.value_len, 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 0);

	o = LB_FCGI_HEADER_LEN;
	o += lb_fcgi_pair_put(
	    out + o, sizeof(out) - o, "FCGI_MAX_CONNS", 14, "1024", 4);
	o += lb_fcgi_pair_put(
	    out + o, sizeof(out) - o, "FCGI_MPXS_CONNS", 15, "0", 1);
	lb_fcgi_header_put(
	    out, LB_FCGI_GET_VALUES_RESULT, 0, o - LB_FCGI_HEADER_LEN);
	CU_ASSERT_EQUAL(o, sizeof(result) - 1);
	CU_ASSERT(memcmp(out, result, sizeof(result) - 1) == 0);

	/* UNKNOWN_TYPE for a management record of type 42 */
	memset(b, 0xee, sizeof(b));
	lb_fcgi_unknown_type_put(b, 42);
	CU_ASSERT(memcmp(b, "\x2a\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
	lb_fcgi_header_put(out, LB_FCGI_UNKNOWN_TYPE, 0, 8);
	CU_ASSERT(memcmp(out, "\x01\x0b\x00\x00\x00\x08\x00\x00", 8) == 0);
	/* a second request on a connection, another role */
	memset(b, 0xee, sizeof(b));
	lb_fcgi_end_put(b, LB_FCGI_CANT_MPX_CONN);
	CU_ASSERT(memcmp(b, "\x00\x00\x00\x00\x01\x00\x00\x00", 8) == 0);
	lb_fcgi_end_put(b, LB_FCGI_REQUEST_COMPLETE);
	CU_ASSERT(memcmp(b, "\x00\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
}

static void
test_pairs(void)
{
	/* "A"="bc"; a 4-byte name length (3) with "" value; then a 4-byte
	 * value length of 130 */
	static unsigned char stream[2 + 3 + 5 + 3 + 5 + 1 + 130];
	const unsigned char *p, *end;
	struct lb_fcgi_pair q;
	size_t o = 0;

	memcpy(stream + o,
	    "\x01\x02"
	    "Abc",
	    5);
	o += 5;
	memcpy(stream + o, "\x80\x00\x00\x03\x00NNN", 8);
	o += 8;
	memcpy(stream + o, "\x01\x80\x00\x00\x82V", 6);
	o += 6;
	memset(stream + o, 'v', 130);
	o += 130;
	p = stream;
	end = stream + o;
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 1);
	CU_ASSERT(q.name_len == 1 && memcmp(q.name, "A", 1) == 0);
	CU_ASSERT(q.value_len == 2 && memcmp(q.value, "bc", 2) == 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 1);
	CU_ASSERT(q.name_len == 3 && memcmp(q.name, "NNN", 3) == 0);
	CU_ASSERT_EQUAL(q.value_len, 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 1);
	CU_ASSERT(q.name_len == 1 && q.name[0] == 'V');
	CU_ASSERT_EQUAL(q.value_len, 130);
	CU_ASSERT(q.value + 130 == end);
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, end, &q), 0);
	/* cut anywhere inside a pair: -1, and p stays */
	for (size_t n = 1; n < 5; n++) {
		p = stream;
		CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, stream + n, &q), -1);
		CU_ASSERT(p == stream);
	}
	p = stream + 5;
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, stream + 5 + 3, &q), -1);
	/* cut at every offset: the pairs wholly inside, then 0 at a pair's
	 * end or -1 inside one, with p at the last pair's end */
	for (size_t n = 0; n <= o; n++) {
		static const size_t ends[] = { 0, 5, 13, 149 };
		size_t got = 0, last = 0;
		int rc;

		p = stream;
		while ((rc = lb_fcgi_pair_next(&p, stream + n, &q)) == 1)
			got++;
		while (last + 1 < 4 && ends[last + 1] <= n)
			last++;
		CU_ASSERT_EQUAL(got, last);
		CU_ASSERT(p == stream + ends[last]);
		CU_ASSERT_EQUAL(rc, n == ends[last] ? 0 : -1);
	}
	/* lengths that overflow a naive sum */
	p = (const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xffxy";
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, p + 10, &q), -1);
}

/* 127 takes one byte, 128 four; four bytes may say a small length too. */
static void
test_length_boundaries(void)
{
	static unsigned char big[128], out[300];
	const unsigned char *p;
	struct lb_fcgi_pair q;

	memset(big, 'x', sizeof(big));
	CU_ASSERT_EQUAL(
	    lb_fcgi_pair_put(out, sizeof(out), big, 127, "", 0), 2 + 127);
	CU_ASSERT(memcmp(out, "\x7f\x00", 2) == 0);
	CU_ASSERT_EQUAL(
	    lb_fcgi_pair_put(out, sizeof(out), big, 128, "", 0), 5 + 128);
	CU_ASSERT(memcmp(out, "\x80\x00\x00\x80\x00", 5) == 0);
	CU_ASSERT_EQUAL(
	    lb_fcgi_pair_put(out, sizeof(out), "", 0, big, 127), 2 + 127);
	CU_ASSERT(memcmp(out, "\x00\x7f", 2) == 0);
	CU_ASSERT_EQUAL(
	    lb_fcgi_pair_put(out, sizeof(out), "", 0, big, 128), 5 + 128);
	CU_ASSERT(memcmp(out, "\x00\x80\x00\x00\x80", 5) == 0);
	p = out;
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, out + 5 + 128, &q), 1);
	CU_ASSERT(q.name_len == 0 && q.value_len == 128);
	/* a 4-byte length of 1, and a 4-byte one of 0 */
	p = (const unsigned char *)"\x80\x00\x00\x01\x80\x00\x00\x00N";
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, p + 9, &q), 1);
	CU_ASSERT(q.name_len == 1 && q.name[0] == 'N' && q.value_len == 0);
	/* the high bit is the marker, not part of the length */
	p = (const unsigned char *)"\x01\x80\x00\x00\x02Nvv";
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, p + 8, &q), 1);
	CU_ASSERT(q.value_len == 2 && memcmp(q.value, "vv", 2) == 0);
	/* 2^31 and more cannot be written */
	CU_ASSERT_EQUAL(lb_fcgi_pair_put(out, sizeof(out), "", 0, big,
	                    (size_t)INT32_MAX + 1),
	    0);
}

static void
test_pair_put(void)
{
	unsigned char out[300], v[130];
	const unsigned char *p = out;
	struct lb_fcgi_pair q;
	size_t n;

	CU_ASSERT_EQUAL(lb_fcgi_pair_put(out, sizeof(out), "A", 1, "bc", 2), 5);
	CU_ASSERT(memcmp(out,
	              "\x01\x02"
	              "Abc",
	              5) == 0);
	memset(v, 'v', sizeof(v));
	n = lb_fcgi_pair_put(out, sizeof(out), "V", 1, v, sizeof(v));
	CU_ASSERT_EQUAL(n, 1 + 4 + 1 + 130);
	CU_ASSERT(memcmp(out, "\x01\x80\x00\x00\x82V", 6) == 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, out + n, &q), 1);
	CU_ASSERT_EQUAL(q.value_len, 130);
	/* no room: nothing */
	CU_ASSERT_EQUAL(lb_fcgi_pair_put(out, 4, "A", 1, "bc", 2), 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_put(out, 1, "", 0, "", 0), 0);
	CU_ASSERT_EQUAL(lb_fcgi_pair_put(out, 2, "", 0, "", 0), 2);
}

void
lb_test_suite_fcgi_proto(void)
{
	static CU_TestInfo tests[] = {
		{ "records", test_records },
		{ "the header of a partial record", test_record_head },
		{ "headers and bodies", test_headers_and_bodies },
		{ "a request split at every offset", test_split_request },
		{ "management records", test_management },
		{ "name-value pairs", test_pairs },
		{ "1- and 4-byte lengths", test_length_boundaries },
		{ "writing pairs", test_pair_put },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("fcgi_proto", tests);
}
