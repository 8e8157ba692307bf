/*
 * test_frame.c - frame.c: the pure codecs, and lb_frame_send with the
 * incremental reader over a socketpair (partial reads, oversize, bad type,
 * EOF inside a frame, large frames).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambda/frame.h"
#include "base/ids.h"
#include "test.h"

void lb_test_suite_frame(void);

static void
test_header_codec(void)
{
	unsigned char h[LB_FRAME_HDR_LEN];
	uint32_t type = 0, len = 0;

	lb_frame_header_encode(h, LB_FRAME_RESULT, 0x01020304);
	CU_ASSERT_EQUAL(h[0], 0x04); /* little-endian length first */
	CU_ASSERT_EQUAL(h[3], 0x01);
	CU_ASSERT_EQUAL(h[4], LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(lb_frame_header_decode(h, &type, &len, UINT32_MAX), 0);
	CU_ASSERT_EQUAL(type, LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(len, 0x01020304);
	CU_ASSERT_EQUAL(lb_frame_header_decode(h, &type, &len, 0x01020303),
	    LB_FRAME_TOOBIG);
	lb_frame_header_encode(h, 0, 1);
	CU_ASSERT_EQUAL(
	    lb_frame_header_decode(h, &type, &len, 100), LB_FRAME_BADTYPE);
	lb_frame_header_encode(h, LB_FRAME_TYPE_MAX + 1, 1);
	CU_ASSERT_EQUAL(
	    lb_frame_header_decode(h, &type, &len, 100), LB_FRAME_BADTYPE);
	CU_ASSERT_FALSE(lb_frame_has_meta(LB_FRAME_INVOKE));
	CU_ASSERT_TRUE(lb_frame_has_meta(LB_FRAME_READY));
	CU_ASSERT_TRUE(lb_frame_has_meta(LB_FRAME_OOM));
	CU_ASSERT_FALSE(lb_frame_has_meta(LB_FRAME_TYPE_MAX + 1));
}

static void
test_meta_codec(void)
{
	unsigned char b[LB_FRAME_META_LEN];
	struct lb_frame_meta m = { 0x1122334455667788ULL, 42, 3,
		0xfedcba9876543210ULL },
	                     out;

	CU_ASSERT_EQUAL(LB_FRAME_META_LEN, 32);
	lb_frame_meta_encode(b, &m);
	lb_frame_meta_decode(b, &out);
	CU_ASSERT_EQUAL(out.duration_us, m.duration_us);
	CU_ASSERT_EQUAL(out.maxrss_kb, 42);
	CU_ASSERT_EQUAL(out.cpu, 3);
	CU_ASSERT_EQUAL(out.seq, 0xfedcba9876543210ULL);
	CU_ASSERT_EQUAL(b[0], 0x88);
	/* the sequence number last, little-endian */
	CU_ASSERT_EQUAL(b[24], 0x10);
	CU_ASSERT_EQUAL(b[31], 0xfe);
	/* sched_getcpu's -1 (unknown) survives the trip */
	m.cpu = -1;
	lb_frame_meta_encode(b, &m);
	lb_frame_meta_decode(b, &out);
	CU_ASSERT_EQUAL(out.cpu, -1);
}

static void
test_invoke_codec(void)
{
	unsigned char buf[LB_FRAME_INVOKE_MAX + 64];
	char long_id[300];
	struct lb_frame_invoke iv = { 0 }, out;
	size_t n;

	iv.deadline_ms = 1700000000123LL;
	iv.seq = 0x0102030405060708ULL;
	iv.request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
	iv.request_id_len = strlen(iv.request_id);
	iv.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793";
	iv.trace_id_len = strlen(iv.trace_id);
	n = lb_frame_invoke_encode(buf, &iv);
	CU_ASSERT_EQUAL(
	    n, LB_FRAME_INVOKE_FIXED + iv.request_id_len + iv.trace_id_len);
	memcpy(buf + n, "{\"a\":1}", 7);
	/* deadline, then the sequence number, then the lengths */
	CU_ASSERT_EQUAL(buf[8], 0x08);
	CU_ASSERT_EQUAL(buf[15], 0x01);
	CU_ASSERT_EQUAL(buf[16], iv.request_id_len);
	CU_ASSERT_EQUAL(lb_frame_invoke_decode((char *)buf, n + 7, &out), 0);
	CU_ASSERT_EQUAL(out.deadline_ms, iv.deadline_ms);
	CU_ASSERT_EQUAL(out.seq, iv.seq);
	CU_ASSERT_EQUAL(out.request_id_len, iv.request_id_len);
	CU_ASSERT_EQUAL(
	    memcmp(out.request_id, iv.request_id, iv.request_id_len), 0);
	CU_ASSERT_EQUAL(out.trace_id_len, iv.trace_id_len);
	CU_ASSERT_EQUAL(memcmp(out.trace_id, iv.trace_id, iv.trace_id_len), 0);
	CU_ASSERT_EQUAL(out.event_len, 7);
	CU_ASSERT_EQUAL(memcmp(out.event, "{\"a\":1}", 7), 0);

	/* no trace id, empty event */
	iv.trace_id = NULL;
	iv.trace_id_len = 0;
	n = lb_frame_invoke_encode(buf, &iv);
	CU_ASSERT_EQUAL(lb_frame_invoke_decode((char *)buf, n, &out), 0);
	CU_ASSERT_EQUAL(out.trace_id_len, 0);
	CU_ASSERT_EQUAL(out.event_len, 0);

	/* malformed: shorter than the fixed part, ids past the end */
	CU_ASSERT_EQUAL(lb_frame_invoke_decode(
	                    (char *)buf, LB_FRAME_INVOKE_FIXED - 1, &out),
	    -1);
	CU_ASSERT_EQUAL(lb_frame_invoke_decode((char *)buf, n - 1, &out), -1);

	/* an id over 255 bytes cannot be encoded */
	memset(long_id, 'x', sizeof(long_id));
	iv.request_id = long_id;
	iv.request_id_len = 256;
	CU_ASSERT_EQUAL(lb_frame_invoke_encode(buf, &iv), 0);
}

static int
pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static ssize_t
put(int fd, const void *p, size_t n)
{
	return write(fd, p, n);
}

/* A reply sent in several iovecs arrives whole, meta split from body. */
static void
test_send_and_read(void)
{
	struct lb_frame_reader r;
	struct lb_frame_meta m = { 1234, 5678, 1, 99 };
	unsigned char meta[LB_FRAME_META_LEN];
	struct iovec iov[3];
	int sv[2];
	char *body;
	size_t len;

	CU_ASSERT_FATAL(pair(sv) == 0);
	lb_frame_meta_encode(meta, &m);
	iov[0] = (struct iovec){ meta, sizeof(meta) };
	iov[1] = (struct iovec){ "{\"statusCode\":", 14 };
	iov[2] = (struct iovec){ "200}", 4 };
	CU_ASSERT_EQUAL(lb_frame_send(sv[0], LB_FRAME_RESULT, iov, 3, 0), 0);
	/* a second frame right behind it, with an empty body */
	CU_ASSERT_EQUAL(lb_frame_send(sv[0], LB_FRAME_READY, iov, 1, 0), 0);

	lb_frame_reader_init(&r, LB_FRAME_MAX, 1);
	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, sv[1]), LB_FRAME_DONE);
	CU_ASSERT_EQUAL(r.type, LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(r.meta.duration_us, 1234);
	CU_ASSERT_EQUAL(r.meta.maxrss_kb, 5678);
	CU_ASSERT_EQUAL(r.meta.cpu, 1);
	CU_ASSERT_EQUAL(r.meta.seq, 99);
	body = lb_frame_reader_take(&r, &len);
	CU_ASSERT_EQUAL(len, 18);
	CU_ASSERT_STRING_EQUAL(body, "{\"statusCode\":200}");
	free(body);

	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, sv[1]), LB_FRAME_DONE);
	CU_ASSERT_EQUAL(r.type, LB_FRAME_READY);
	CU_ASSERT_EQUAL(r.body_len, 0);
	CU_ASSERT_EQUAL(r.body[0], '\0');
	lb_frame_reader_reset(&r);

	/* EOF between frames */
	close(sv[0]);
	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, sv[1]), LB_FRAME_EOF);
	lb_frame_reader_reset(&r);
	close(sv[1]);
}

/* One byte at a time on a non-blocking fd: AGAIN until the frame is whole. */
static void
test_partial_reads(void)
{
	struct lb_frame_reader r;
	unsigned char raw[LB_FRAME_HDR_LEN + LB_FRAME_META_LEN + 5];
	struct lb_frame_meta m = { 7, 8, 0, 5 };
	int sv[2], rc = LB_FRAME_AGAIN, agains = 0;

	CU_ASSERT_FATAL(pair(sv) == 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	lb_frame_header_encode(raw, LB_FRAME_ERROR, LB_FRAME_META_LEN + 5);
	lb_frame_meta_encode(raw + LB_FRAME_HDR_LEN, &m);
	memcpy(raw + LB_FRAME_HDR_LEN + LB_FRAME_META_LEN, "hello", 5);

	lb_frame_reader_init(&r, 1024, 1);
	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, sv[1]), LB_FRAME_AGAIN);
	for (size_t i = 0; i < sizeof(raw); i++) {
		CU_ASSERT_EQUAL_FATAL(put(sv[0], raw + i, 1), 1);
		rc = lb_frame_reader_pump(&r, sv[1]);
		if (rc == LB_FRAME_AGAIN)
			agains++;
		else
			break;
	}
	CU_ASSERT_EQUAL(rc, LB_FRAME_DONE);
	CU_ASSERT_EQUAL(agains, (int)sizeof(raw) - 1);
	CU_ASSERT_EQUAL(r.type, LB_FRAME_ERROR);
	CU_ASSERT_EQUAL(r.meta.maxrss_kb, 8);
	CU_ASSERT_EQUAL(r.meta.seq, 5);
	CU_ASSERT_STRING_EQUAL(r.body, "hello");
	lb_frame_reader_reset(&r);
	close(sv[0]);
	close(sv[1]);
}

/* Writes a raw header (and payload) and returns the reader's verdict. */
static int
read_raw(uint32_t type, uint32_t len, const char *payload, size_t plen,
    uint32_t max, int replies, int close_after)
{
	struct lb_frame_reader r;
	unsigned char h[LB_FRAME_HDR_LEN];
	int sv[2], rc;

	if (pair(sv) < 0)
		return 99;
	lb_frame_header_encode(h, type, len);
	if (put(sv[0], h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    (plen > 0 && put(sv[0], payload, plen) != (ssize_t)plen))
		rc = 98;
	if (close_after)
		close(sv[0]);
	lb_frame_reader_init(&r, max, replies);
	rc = lb_frame_reader_pump(&r, sv[1]);
	lb_frame_reader_reset(&r);
	if (!close_after)
		close(sv[0]);
	close(sv[1]);
	return rc;
}

static void
test_reader_errors(void)
{
	char zeros[64] = { 0 };

	/* over the cap, before any payload is read */
	CU_ASSERT_EQUAL(read_raw(LB_FRAME_RESULT, 101, NULL, 0, 100, 1, 0),
	    LB_FRAME_TOOBIG);
	CU_ASSERT_EQUAL(read_raw(LB_FRAME_INVOKE, 101, NULL, 0, 100, 0, 0),
	    LB_FRAME_TOOBIG);
	/* unknown types; a request type where only replies may come */
	CU_ASSERT_EQUAL(read_raw(99, 0, NULL, 0, 100, 0, 1), LB_FRAME_BADTYPE);
	CU_ASSERT_EQUAL(read_raw(0, 0, NULL, 0, 100, 0, 1), LB_FRAME_BADTYPE);
	CU_ASSERT_EQUAL(read_raw(LB_FRAME_INVOKE, 4, "abcd", 4, 100, 1, 1),
	    LB_FRAME_BADTYPE);
	/* a reply shorter than its metadata */
	CU_ASSERT_EQUAL(read_raw(LB_FRAME_RESULT, 5, "abcde", 5, 100, 0, 1),
	    LB_FRAME_SHORT);
	/* EOF inside the header, inside the metadata, inside the body */
	CU_ASSERT_EQUAL(
	    read_raw(LB_FRAME_RESULT, 40, NULL, 0, 100, 1, 1), LB_FRAME_EOF);
	CU_ASSERT_EQUAL(
	    read_raw(LB_FRAME_RESULT, 40, zeros, 10, 100, 1, 1), LB_FRAME_EOF);
	CU_ASSERT_EQUAL(
	    read_raw(LB_FRAME_RESULT, 40, zeros, 30, 100, 0, 1), LB_FRAME_EOF);
	CU_ASSERT_EQUAL(
	    read_raw(LB_FRAME_INVOKE, 40, zeros, 39, 100, 0, 1), LB_FRAME_EOF);
	/* and the exact length is fine */
	CU_ASSERT_EQUAL(
	    read_raw(LB_FRAME_INVOKE, 40, zeros, 40, 100, 0, 1), LB_FRAME_DONE);
	CU_ASSERT_EQUAL(read_raw(LB_FRAME_RESULT, LB_FRAME_META_LEN, zeros,
	                    LB_FRAME_META_LEN, LB_FRAME_META_LEN, 1, 1),
	    LB_FRAME_DONE);
}

/* An INVOKE sent as prefix + event, read back by a worker-side reader. */
static void
test_invoke_roundtrip(void)
{
	static const char ev[] = "{\"rawPath\":\"/x\",\"body\":null}";
	unsigned char pre[LB_FRAME_INVOKE_MAX];
	struct lb_frame_invoke iv = { 0 }, out;
	struct lb_frame_reader r;
	struct iovec iov[2];
	int sv[2];

	CU_ASSERT_FATAL(pair(sv) == 0);
	iv.deadline_ms = 42;
	iv.request_id = "rid";
	iv.request_id_len = 3;
	iv.trace_id = "Root=1-x";
	iv.trace_id_len = 8;
	iov[0] = (struct iovec){ pre, lb_frame_invoke_encode(pre, &iv) };
	iov[1] = (struct iovec){ (void *)ev, sizeof(ev) - 1 };
	CU_ASSERT_EQUAL(lb_frame_send(sv[0], LB_FRAME_INVOKE, iov, 2, 0), 0);
	lb_frame_reader_init(&r, LB_FRAME_MAX, 0);
	CU_ASSERT_EQUAL_FATAL(lb_frame_reader_pump(&r, sv[1]), LB_FRAME_DONE);
	CU_ASSERT_EQUAL(r.type, LB_FRAME_INVOKE);
	CU_ASSERT_EQUAL(lb_frame_invoke_decode(r.body, r.body_len, &out), 0);
	CU_ASSERT_EQUAL(out.deadline_ms, 42);
	CU_ASSERT_EQUAL(memcmp(out.request_id, "rid", 3), 0);
	CU_ASSERT_EQUAL(memcmp(out.trace_id, "Root=1-x", 8), 0);
	CU_ASSERT_EQUAL(out.event_len, sizeof(ev) - 1);
	CU_ASSERT_STRING_EQUAL(out.event, ev); /* NUL-terminated by reader */
	lb_frame_reader_reset(&r);
	close(sv[0]);
	close(sv[1]);
}

struct big_send {
	int fd;
	const char *buf;
	size_t len;
	int rc;
	int pipe; /* lb_frame_write, not lb_frame_send */
};

static void *
big_sender(void *arg)
{
	struct big_send *b = arg;
	unsigned char meta[LB_FRAME_META_LEN] = { 0 };
	struct iovec iov[2] = { { meta, sizeof(meta) },
		{ (void *)b->buf, b->len } };

	b->rc = b->pipe ? lb_frame_write(b->fd, LB_FRAME_RESULT, iov, 2, 0)
	                : lb_frame_send(b->fd, LB_FRAME_RESULT, iov, 2, 0);
	return NULL;
}

/* A frame far larger than the socket buffer: short writes on both sides. */
static void
test_large_frame(void)
{
	struct big_send b;
	struct lb_frame_reader r;
	pthread_t t;
	size_t n = 3 * 1024 * 1024;
	char *buf = malloc(n);
	int sv[2];

	CU_ASSERT_FATAL(buf != NULL);
	CU_ASSERT_FATAL(pair(sv) == 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	b = (struct big_send){ sv[0], buf, n, -1, 0 };
	CU_ASSERT_FATAL(pthread_create(&t, NULL, big_sender, &b) == 0);
	lb_frame_reader_init(&r, LB_FRAME_MAX, 1);
	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, sv[1]), LB_FRAME_DONE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(b.rc, 0);
	CU_ASSERT_EQUAL(r.body_len, n);
	CU_ASSERT(r.body != NULL && memcmp(r.body, buf, n) == 0);
	lb_frame_reader_reset(&r);
	free(buf);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The gateway's channels are pipes: a large frame through a non-blocking
 * write end, a non-blocking read of an empty blocking pipe, a deadline on
 * a full pipe, and EOF.
 */
static void
test_pipes(void)
{
	static char blob[256 * 1024];
	struct iovec iov = { blob, sizeof(blob) };
	struct big_send b;
	struct lb_frame_reader r;
	pthread_t t;
	size_t n = 3 * 1024 * 1024;
	char *buf = malloc(n);
	int p[2], rc = 0;

	CU_ASSERT_FATAL(buf != NULL);
	CU_ASSERT_FATAL(pipe(p) == 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	lb_frame_reader_init(&r, LB_FRAME_MAX, 1);
	CU_ASSERT_EQUAL(lb_frame_reader_pump_nb(&r, p[0]), LB_FRAME_AGAIN);
	b = (struct big_send){ p[1], buf, n, -1, 1 };
	CU_ASSERT_FATAL(pthread_create(&t, NULL, big_sender, &b) == 0);
	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, p[0]), LB_FRAME_DONE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(b.rc, 0);
	CU_ASSERT_EQUAL(r.body_len, n);
	CU_ASSERT(r.body != NULL && memcmp(r.body, buf, n) == 0);
	lb_frame_reader_reset(&r);
	CU_ASSERT_EQUAL(lb_frame_reader_pump_nb(&r, p[0]), LB_FRAME_AGAIN);
	/* nobody reads: the pipe fills, then the deadline passes */
	for (int i = 0; i < 64 && rc == 0; i++)
		rc = lb_frame_write(
		    p[1], LB_FRAME_INVOKE, &iov, 1, lb_mono_ms() + 50);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(errno, ETIMEDOUT);
	close(p[1]);
	close(p[0]);
	/* the writer's end closed: EOF */
	CU_ASSERT_FATAL(pipe(p) == 0);
	close(p[1]);
	lb_frame_reader_init(&r, LB_FRAME_MAX, 1);
	CU_ASSERT_EQUAL(lb_frame_reader_pump(&r, p[0]), LB_FRAME_EOF);
	lb_frame_reader_reset(&r);
	close(p[0]);
	free(buf);
}

/* Sending to a closed peer fails with EPIPE instead of raising SIGPIPE. */
static void
test_send_closed_peer(void)
{
	struct iovec iov = { "x", 1 };
	int sv[2];

	CU_ASSERT_FATAL(pair(sv) == 0);
	close(sv[1]);
	errno = 0;
	CU_ASSERT_EQUAL(lb_frame_send(sv[0], LB_FRAME_INVOKE, &iov, 1, 0), -1);
	CU_ASSERT_EQUAL(errno, EPIPE);
	close(sv[0]);
}

/* A non-blocking writer with a deadline gives up with ETIMEDOUT. */
static void
test_send_deadline(void)
{
	static char blob[256 * 1024];
	struct iovec iov = { blob, sizeof(blob) };
	int sv[2], rc = 0;

	CU_ASSERT_FATAL(pair(sv) == 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* nobody reads sv[1]: the buffer fills, then the deadline passes */
	for (int i = 0; i < 64 && rc == 0; i++)
		rc = lb_frame_send(
		    sv[0], LB_FRAME_INVOKE, &iov, 1, lb_mono_ms() + 50);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

/* A spare worker's START payload: arguments and environment, both ways. */
static void
test_start_codec(void)
{
	char *argv[] = { "__worker", "2", "", "/x/hello.so" };
	char *envp[] = { "A=1", "PATH=/bin", NULL }, *noenv[] = { NULL };
	char *p, *bad, **av, **ev;
	size_t len, n;

	CU_ASSERT_FATAL(lb_frame_has_meta(LB_FRAME_START) == 0);
	p = lb_frame_start_encode(argv, 4, envp, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(lb_frame_start_decode(p, len, &av, &n, &ev), 0);
	CU_ASSERT_EQUAL(n, 4);
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT_STRING_EQUAL(av[i], argv[i]);
	CU_ASSERT_PTR_NULL(av[4]);
	CU_ASSERT_STRING_EQUAL(ev[0], "A=1");
	CU_ASSERT_STRING_EQUAL(ev[1], "PATH=/bin");
	CU_ASSERT_PTR_NULL(ev[2]);
	free(av);
	/* malformed: short, a string without its NUL, bytes left over */
	CU_ASSERT_EQUAL(lb_frame_start_decode(p, 7, &av, &n, &ev), -1);
	CU_ASSERT_EQUAL(lb_frame_start_decode(p, len - 1, &av, &n, &ev), -1);
	bad = malloc(len + 1);
	CU_ASSERT_FATAL(bad != NULL);
	memcpy(bad, p, len);
	bad[len] = 'x';
	CU_ASSERT_EQUAL(lb_frame_start_decode(bad, len + 1, &av, &n, &ev), -1);
	/* counts larger than the payload could hold */
	memcpy(bad, p, len);
	bad[0] = (char)0xff;
	bad[3] = (char)0x7f;
	CU_ASSERT_EQUAL(lb_frame_start_decode(bad, len, &av, &n, &ev), -1);
	free(bad);
	free(p);
	/* no environment at all */
	p = lb_frame_start_encode(argv, 1, noenv, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(lb_frame_start_decode(p, len, &av, &n, &ev), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_NULL(ev[0]);
	free(av);
	free(p);
}

void
lb_test_suite_frame(void)
{
	static CU_TestInfo tests[] = {
		{ "header codec", test_header_codec },
		{ "meta codec", test_meta_codec },
		{ "invoke codec", test_invoke_codec },
		{ "start codec", test_start_codec },
		{ "send and read", test_send_and_read },
		{ "partial reads", test_partial_reads },
		{ "reader errors", test_reader_errors },
		{ "invoke round trip", test_invoke_roundtrip },
		{ "large frame", test_large_frame },
		{ "pipes", test_pipes },
		{ "send to closed peer", test_send_closed_peer },
		{ "send deadline", test_send_deadline },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("frame", tests);
}
