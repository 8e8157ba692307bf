/*
 * fuzz_frame.c - libFuzzer target for frame.c (`make fuzz`), the decoder of
 * what a worker (or a handler writing to the channel) sends the gateway.
 *
 * The input's first byte steers: bit 0 the reader expects replies only (the
 * gateway's side), bit 1 a pipe instead of a socket, bits 2-7 seed the sizes
 * of the pieces the rest is written in.  The rest goes through the pure
 * decoders (header, metadata, INVOKE and START payloads, each re-encoded
 * and compared) and, piece by piece, through the incremental reader on a
 * non-blocking descriptor; the frames and the error it reports must be
 * those a whole-buffer reference parse finds.  Crashes, leaks and undefined
 * behaviour are caught by ASan/UBSan.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambda/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Under the smallest pipe buffer, so that writes never block. */
#define STREAM_MAX 60000
#define READER_MAX 4096

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Field by field: the struct has padding. */
static int
meta_eq(const struct lb_frame_meta *a, const struct lb_frame_meta *b)
{
	return a->duration_us == b->duration_us &&
	    a->maxrss_kb == b->maxrss_kb && a->cpu == b->cpu &&
	    a->seq == b->seq;
}

static void
check_codecs(const uint8_t *p, size_t n)
{
	unsigned char buf[LB_FRAME_INVOKE_MAX];
	struct lb_frame_meta m, m2;
	struct lb_frame_invoke iv;
	uint32_t type, len;

	if (n >= LB_FRAME_HDR_LEN &&
	    lb_frame_header_decode(p, &type, &len, READER_MAX) == 0 &&
	    (type < LB_FRAME_READY || type > LB_FRAME_TYPE_MAX ||
	        len > READER_MAX))
		abort();
	if (n >= LB_FRAME_META_LEN) {
		lb_frame_meta_decode(p, &m);
		lb_frame_meta_encode(buf, &m);
		lb_frame_meta_decode(buf, &m2);
		if (!meta_eq(&m, &m2))
			abort();
	}
	if (lb_frame_invoke_decode((const char *)p, n, &iv) == 0) {
		size_t pre = (size_t)(iv.event - (const char *)p);

		if (iv.request_id_len > 255 || iv.trace_id_len > 255 ||
		    pre + iv.event_len != n ||
		    pre !=
		        LB_FRAME_INVOKE_FIXED + iv.request_id_len +
		            iv.trace_id_len ||
		    lb_frame_invoke_encode(buf, &iv) != pre ||
		    memcmp(buf, p, pre) != 0)
			abort();
	}
}

static void
check_start(const uint8_t *p, size_t n)
{
	char *copy = malloc(n + 1), **argv, **envp, *again;
	size_t argc, len;

	if (copy == NULL)
		return;
	memcpy(copy, p, n);
	if (lb_frame_start_decode(copy, n, &argv, &argc, &envp) == 0) {
		again = lb_frame_start_encode(argv, argc, envp, &len);
		if (again == NULL || len != n || memcmp(again, p, n) != 0)
			abort();
		free(again);
		free(argv);
	}
	free(copy);
}

/* One frame (or the end) of the reference parse of s[0..n) from *off. */
struct ref {
	int rc; /* LB_FRAME_DONE or the error the reader must report */
	uint32_t type, len;
	const uint8_t *payload;
};

static struct ref
ref_next(const uint8_t *s, size_t n, size_t *off, int replies)
{
	struct ref r = { LB_FRAME_EOF, 0, 0, NULL };
	size_t left = n - *off;

	if (left < LB_FRAME_HDR_LEN)
		return r;
	r.len = get32(s + *off);
	r.type = get32(s + *off + 4);
	if (r.type < LB_FRAME_READY || r.type > LB_FRAME_TYPE_MAX)
		r.rc = LB_FRAME_BADTYPE;
	else if (r.len > READER_MAX)
		r.rc = LB_FRAME_TOOBIG;
	else if (replies && !lb_frame_has_meta(r.type))
		r.rc = LB_FRAME_BADTYPE;
	else if (lb_frame_has_meta(r.type) && r.len < LB_FRAME_META_LEN)
		r.rc = LB_FRAME_SHORT;
	else if (left - LB_FRAME_HDR_LEN < r.len)
		r.rc = LB_FRAME_EOF;
	else
		r.rc = LB_FRAME_DONE;
	if (r.rc == LB_FRAME_DONE) {
		r.payload = s + *off + LB_FRAME_HDR_LEN;
		*off += LB_FRAME_HDR_LEN + r.len;
	}
	return r;
}

/* The frame the reader completed agrees with the reference's next one. */
static void
check_frame(struct lb_frame_reader *rd, const struct ref *want)
{
	size_t meta = lb_frame_has_meta(want->type) ? LB_FRAME_META_LEN : 0;
	struct lb_frame_meta m;
	char *body;
	size_t len;

	if (want->rc != LB_FRAME_DONE || rd->type != want->type)
		abort();
	if (meta > 0) {
		lb_frame_meta_decode(want->payload, &m);
		if (!meta_eq(&m, &rd->meta))
			abort();
	}
	body = lb_frame_reader_take(rd, &len);
	if (body == NULL || len != want->len - meta || body[len] != '\0' ||
	    memcmp(body, want->payload + meta, len) != 0)
		abort();
	free(body);
}

/* Feeds s[0..n) in pieces through the reader, checking every frame. */
static void
check_reader(const uint8_t *s, size_t n, unsigned ctl)
{
	struct lb_frame_reader rd;
	int fds[2], replies = ctl & 1, rc = LB_FRAME_AGAIN;
	unsigned seed = ctl >> 2;
	size_t sent = 0, off = 0;

	if (ctl & 2
	        ? pipe2(fds, O_CLOEXEC) < 0
	        : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	if (n == 0)
		close(fds[1]);
	lb_frame_reader_init(&rd, READER_MAX, replies);
	for (;;) {
		if (sent < n) {
			size_t piece = 1 + (seed * 7 + sent) % 97;

			seed = seed * 1103515245u + 12345u;
			if (piece > n - sent)
				piece = n - sent;
			if (write(fds[1], s + sent, piece) != (ssize_t)piece)
				abort();
			sent += piece;
			if (sent == n)
				close(fds[1]);
		}
		/* everything the reader can make of it so far */
		while ((rc = (seed & 8) ? lb_frame_reader_pump_nb(&rd, fds[0])
		                        : lb_frame_reader_pump(&rd, fds[0])) ==
		    LB_FRAME_DONE) {
			struct ref want = ref_next(s, n, &off, replies);

			check_frame(&rd, &want);
		}
		if (rc != LB_FRAME_AGAIN)
			break;
		if (sent == n)
			abort(); /* the writer is closed: EOF at the latest */
	}
	/* the reader stops where the reference does, for the same reason */
	if (ref_next(s, n, &off, replies).rc != rc)
		abort();
	lb_frame_reader_reset(&rd);
	close(fds[0]);
	if (sent < n)
		close(fds[1]); /* stopped at an error before the end */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (size - 1 > STREAM_MAX)
		size = STREAM_MAX + 1;
	check_codecs(data + 1, size - 1);
	check_start(data + 1, size - 1);
	check_reader(data + 1, size - 1, data[0]);
	return 0;
}
