/*
 * frame.h - the length-prefixed messages between the gateway and an
 * execution environment (docs/design.md section 1, "Framing").
 *
 * A frame is [u32 length][u32 type][payload], both numbers little-endian,
 * `length` counting the payload only.  Replies (READY, INIT_ERROR, RESULT,
 * ERROR, OOM) start their payload with LB_FRAME_META_LEN bytes of metadata
 * (duration, max RSS, CPU, sequence) followed by JSON text; INVOKE carries
 * its sequence number, the request's ids and deadline ahead of the event
 * (lb_frame_invoke_encode), START a spare worker's arguments and environment
 * (lb_frame_start_encode).
 *
 * Sequence numbers bind a reply to its invocation: the gateway gives every
 * INVOKE a new one and accepts a RESULT, ERROR or OOM only with the same
 * number (READY and INIT_ERROR carry 0).  A frame a handler writes to the
 * channel by itself cannot shift the replies onto later requests.
 *
 * The header and metadata codecs are pure; lb_frame_send and the reader do
 * the I/O.
 */
#ifndef LB_FRAME_H
#define LB_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Bumped whenever a frame layout changes (the worker checks it in argv). */
#define LB_FRAME_VERSION 4

#define LB_FRAME_HDR_LEN  8
#define LB_FRAME_META_LEN 32
/* Lambda's synchronous payload limit for events (6 MiB) ... */
#define LB_FRAME_PAYLOAD_LIMIT 6291456
/* ... and for results: 100 bytes more, the limit its answers quote */
#define LB_FRAME_RESULT_LIMIT (LB_FRAME_PAYLOAD_LIMIT + 100)
/* The largest frame the gateway accepts: the limit plus room for metadata. */
#define LB_FRAME_MAX (LB_FRAME_PAYLOAD_LIMIT + 65536)
/* INVOKE prefix: i64 deadline, u64 sequence, u16 + u16 lengths, then the
 * two ids. */
#define LB_FRAME_INVOKE_FIXED 20
#define LB_FRAME_INVOKE_MAX   (LB_FRAME_INVOKE_FIXED + 2 * 255)

enum lb_frame_type {
	LB_FRAME_READY = 1,  /* worker -> gateway: module loaded, init ran */
	LB_FRAME_INIT_ERROR, /* worker -> gateway: error JSON, then exit */
	LB_FRAME_INVOKE,     /* gateway -> worker: one event */
	LB_FRAME_RESULT,     /* worker -> gateway: the handler's JSON */
	LB_FRAME_ERROR,      /* worker -> gateway: error JSON */
	LB_FRAME_OOM,        /* worker -> gateway: dying at its memory limit */
	LB_FRAME_START,      /* gateway -> spare worker: become this function */
	LB_FRAME_TYPE_MAX = LB_FRAME_START,
};

/* Results of lb_frame_header_decode and lb_frame_reader_pump. */
#define LB_FRAME_AGAIN   0  /* nothing complete yet (non-blocking fd) */
#define LB_FRAME_DONE    1  /* a whole frame is in the reader */
#define LB_FRAME_EOF     -1 /* peer closed (between or inside frames) */
#define LB_FRAME_EIO     -2 /* read error; errno is set */
#define LB_FRAME_BADTYPE -3
#define LB_FRAME_TOOBIG  -4 /* length over the reader's cap */
#define LB_FRAME_SHORT   -5 /* a reply shorter than its metadata */

/* Metadata at the start of every reply's payload. */
struct lb_frame_meta {
	uint64_t duration_us; /* init (READY) or handler run time */
	uint64_t maxrss_kb;   /* peak RSS: the worker's, or its bootstrap's */
	int32_t cpu;          /* the CPU the worker replied from, or -1 */
	uint64_t seq; /* the INVOKE's sequence; 0 for READY, INIT_ERROR */
};

/* The request an INVOKE frame carries; pointers borrowed. */
struct lb_frame_invoke {
	int64_t deadline_ms; /* wall clock, for lb_context.deadline_ms */
	uint64_t seq;        /* echoed in the reply's metadata; never 0 */
	const char *request_id;
	size_t request_id_len; /* at most 255 */
	const char *trace_id;  /* may be NULL when trace_id_len is 0 */
	size_t trace_id_len;   /* at most 255 */
	const char *event;
	size_t event_len;
};

/* Writes the 8-byte header.  Pure. */
void lb_frame_header_encode(
    unsigned char *out, uint32_t type, uint32_t payload_len);

/*
 * A START frame's payload: a spare worker's arguments and environment
 * (u32 argc, u32 envc, then that many NUL-terminated strings).  Returns a
 * malloc'ed payload and its length in *len, or NULL when out of memory.
 */
char *lb_frame_start_encode(
    char *const *argv, size_t argc, char *const *envp, size_t *len);

/*
 * Splits a START payload (kept: the strings stay in it) into a
 * NULL-terminated *argv of *argc strings and a NULL-terminated *envp, both
 * in one malloc'ed array (free *argv only).  -1 when malformed or out of
 * memory.
 */
int lb_frame_start_decode(
    char *payload, size_t len, char ***argv, size_t *argc, char ***envp);

/*
 * Decodes an 8-byte header into *type and *payload_len.  Returns 0, or
 * LB_FRAME_BADTYPE for an unknown type, LB_FRAME_TOOBIG when the length is
 * over `max`.  Pure.
 */
int lb_frame_header_decode(const unsigned char *in, uint32_t *type,
    uint32_t *payload_len, uint32_t max);

/* Whether frames of `type` begin with struct lb_frame_meta. */
int lb_frame_has_meta(uint32_t type);

/* Encodes / decodes the LB_FRAME_META_LEN bytes of metadata.  Pure. */
void lb_frame_meta_encode(unsigned char *out, const struct lb_frame_meta *m);
void lb_frame_meta_decode(const unsigned char *in, struct lb_frame_meta *m);

/*
 * Writes the INVOKE prefix (everything but the event, which the caller sends
 * as the next iovec) into out[LB_FRAME_INVOKE_MAX]; returns its length, or 0
 * when an id is longer than 255 bytes.  Pure.
 */
size_t lb_frame_invoke_encode(
    unsigned char *out, const struct lb_frame_invoke *iv);

/*
 * Splits an INVOKE payload into *iv (pointers into `payload`, which the
 * caller keeps).  Returns 0, or -1 when it is malformed.  Pure.
 */
int lb_frame_invoke_decode(
    const char *payload, size_t len, struct lb_frame_invoke *iv);

/*
 * Sends one frame: the header followed by `iov` (the payload, any number of
 * pieces up to 6) with as few writev/sendmsg calls as the socket allows,
 * retrying on EINTR and short writes.  A socket is written with
 * MSG_DONTWAIT whatever its mode; when it (or a non-blocking fd) is full,
 * this waits with poll() until `deadline_mono_ms` (lb_mono_ms clock; 0 = no
 * limit).  Never
 * raises SIGPIPE on a socket.  Returns 0, or -1 with errno (ETIMEDOUT when
 * the deadline passed, EPIPE when the peer is gone).
 */
int lb_frame_send(int fd, uint32_t type, const struct iovec *iov, int iovcnt,
    int64_t deadline_mono_ms);

/*
 * The same for a pipe (or any fd that is not a socket): writev(2) straight
 * away.  Waits for room until the deadline only when fd is non-blocking;
 * the caller ignores SIGPIPE.
 */
int lb_frame_write(int fd, uint32_t type, const struct iovec *iov, int iovcnt,
    int64_t deadline_mono_ms);

/*
 * Passes descriptor `fd` over unix socket `sock` (SCM_RIGHTS with one data
 * byte): how the gateway hands a starting worker its pinned module (the
 * worker reads it before any frame).  Never waits or raises SIGPIPE.
 * Returns 0, or -1 with errno.
 */
int lb_frame_send_fd(int sock, int fd);

/*
 * Receives one descriptor sent with lb_frame_send_fd, close-on-exec,
 * blocking.  Returns it, or -1 (EOF, an error, or no descriptor came).
 */
int lb_frame_recv_fd(int sock);

/* Bytes read ahead with a frame's header: a small frame takes one read. */
#define LB_FRAME_AHEAD 4096

/*
 * An incremental frame reader, for blocking and non-blocking fds.  For types
 * with metadata the first LB_FRAME_META_LEN payload bytes land in `meta`
 * and the rest (the "body") in a malloc'ed, NUL-terminated buffer, so the
 * body can be handed on without a copy.  The header is read together with
 * up to LB_FRAME_AHEAD following bytes; what belongs to the next frame is
 * kept for it.
 */
struct lb_frame_reader {
	uint32_t max; /* cap on the payload length */
	int replies;  /* only reply types expected */
	int notsock;  /* fd is not a socket: read(2), not recv(2) */
	unsigned char ahead[LB_FRAME_AHEAD];
	size_t ahead_off, ahead_len;
	unsigned char hdr[LB_FRAME_HDR_LEN + LB_FRAME_META_LEN];
	size_t hdr_got;
	int have_type;
	int have_hdr;
	uint32_t type;
	uint32_t len;
	struct lb_frame_meta meta;
	char *body; /* owned until lb_frame_reader_take */
	size_t body_len;
	size_t body_got;
};

/*
 * Prepares an empty reader whose payloads may be up to `max` bytes.  With
 * `replies` set (the gateway's side) every frame must be a reply type.
 */
void lb_frame_reader_init(struct lb_frame_reader *r, uint32_t max, int replies);

/*
 * Reads what `fd` has.  Returns LB_FRAME_DONE when a frame is complete (see
 * r->type, r->meta, r->body; then call lb_frame_reader_take or _reset),
 * LB_FRAME_AGAIN when a non-blocking fd has no more for now, or a negative
 * LB_FRAME_* error.  On a blocking fd it returns only DONE or an error.
 */
int lb_frame_reader_pump(struct lb_frame_reader *r, int fd);

/* The same, never blocking even on a blocking fd (MSG_DONTWAIT on a
 * socket; on a pipe a zero-timeout poll before each read). */
int lb_frame_reader_pump_nb(struct lb_frame_reader *r, int fd);

/* Returns the completed frame's body (the caller frees it) and resets. */
char *lb_frame_reader_take(struct lb_frame_reader *r, size_t *len);

/* Frees any partial frame and makes the reader ready for the next one
 * (bytes already read ahead stay for it). */
void lb_frame_reader_reset(struct lb_frame_reader *r);

#endif /* LB_FRAME_H */
