/*
 * test_fcgi_proto.c - the FastCGI codec (fcgi_proto.c) on literal byte
 * strings: record headers whole, partial and of another version, padding,
 * BEGIN_REQUEST and END_REQUEST bodies, name-value pairs with 1- and
 * 4-byte lengths, truncated ones, and writing pairs.  No socket, no loop.
 */
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
	/* lengths that overflow a naive sum */
	p = (const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xffxy";
	CU_ASSERT_EQUAL(lb_fcgi_pair_next(&p, p + 10, &q), -1);
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
		{ "headers and bodies", test_headers_and_bodies },
		{ "name-value pairs", test_pairs },
		{ "writing pairs", test_pair_put },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("fcgi_proto", tests);
}
