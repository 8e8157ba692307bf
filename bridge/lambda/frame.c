/*
 * frame.c - length-prefixed frames over the gateway <-> worker socketpair.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lambda/frame.h"
#include "base/ids.h"

#define MAX_IOV 8

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void
lb_frame_header_encode(unsigned char *out, uint32_t type, uint32_t payload_len)
{
	put32(out, payload_len);
	put32(out + 4, type);
}

int
lb_frame_header_decode(const unsigned char *in, uint32_t *type,
    uint32_t *payload_len, uint32_t max)
{
	*payload_len = get32(in);
	*type = get32(in + 4);
	if (*type < LB_FRAME_READY || *type > LB_FRAME_TYPE_MAX)
		return LB_FRAME_BADTYPE;
	if (*payload_len > max)
		return LB_FRAME_TOOBIG;
	return 0;
}

int
lb_frame_has_meta(uint32_t type)
{
	return type >= LB_FRAME_READY && type <= LB_FRAME_TYPE_MAX &&
	    type != LB_FRAME_INVOKE && type != LB_FRAME_START;
}

void
lb_frame_meta_encode(unsigned char *out, const struct lb_frame_meta *m)
{
	put64(out, m->duration_us);
	put64(out + 8, m->maxrss_kb);
	put64(out + 16, (uint64_t)(int64_t)m->cpu);
	put64(out + 24, m->seq);
}

void
lb_frame_meta_decode(const unsigned char *in, struct lb_frame_meta *m)
{
	m->duration_us = get64(in);
	m->maxrss_kb = get64(in + 8);
	m->cpu = (int32_t)(int64_t)get64(in + 16);
	m->seq = get64(in + 24);
}

size_t
lb_frame_invoke_encode(unsigned char *out, const struct lb_frame_invoke *iv)
{
	size_t n = LB_FRAME_INVOKE_FIXED;

	if (iv->request_id_len > 255 || iv->trace_id_len > 255)
		return 0;
	put64(out, (uint64_t)iv->deadline_ms);
	put64(out + 8, iv->seq);
	put16(out + 16, (uint16_t)iv->request_id_len);
	put16(out + 18, (uint16_t)iv->trace_id_len);
	memcpy(out + n, iv->request_id, iv->request_id_len);
	n += iv->request_id_len;
	if (iv->trace_id_len > 0)
		memcpy(out + n, iv->trace_id, iv->trace_id_len);
	return n + iv->trace_id_len;
}

int
lb_frame_invoke_decode(
    const char *payload, size_t len, struct lb_frame_invoke *iv)
{
	const unsigned char *p = (const unsigned char *)payload;
	size_t off = LB_FRAME_INVOKE_FIXED;

	if (len < LB_FRAME_INVOKE_FIXED)
		return -1;
	iv->deadline_ms = (int64_t)get64(p);
	iv->seq = get64(p + 8);
	iv->request_id_len = get16(p + 16);
	iv->trace_id_len = get16(p + 18);
	if (iv->request_id_len > 255 || iv->trace_id_len > 255 ||
	    len - off < iv->request_id_len + iv->trace_id_len)
		return -1;
	iv->request_id = payload + off;
	off += iv->request_id_len;
	iv->trace_id = payload + off;
	off += iv->trace_id_len;
	iv->event = payload + off;
	iv->event_len = len - off;
	return 0;
}

char *
lb_frame_start_encode(
    char *const *argv, size_t argc, char *const *envp, size_t *len)
{
	size_t n = 8, envc = 0, off;
	char *out;

	for (size_t i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	for (; envp[envc] != NULL; envc++)
		n += strlen(envp[envc]) + 1;
	if (argc > UINT32_MAX || envc > UINT32_MAX)
		return NULL;
	out = malloc(n);
	if (out == NULL)
		return NULL;
	put32((unsigned char *)out, (uint32_t)argc);
	put32((unsigned char *)out + 4, (uint32_t)envc);
	off = 8;
	for (size_t i = 0; i < argc + envc; i++) {
		const char *s = i < argc ? argv[i] : envp[i - argc];
		size_t l = strlen(s) + 1;

		memcpy(out + off, s, l);
		off += l;
	}
	*len = n;
	return out;
}

int
lb_frame_start_decode(
    char *payload, size_t len, char ***argv, size_t *argc, char ***envp)
{
	size_t na, ne, off = 8;
	char **v;

	if (len < 8)
		return -1;
	na = get32((const unsigned char *)payload);
	ne = get32((const unsigned char *)payload + 4);
	/* every string takes a byte at least */
	if (na > len - 8 || ne > len - 8 - na)
		return -1;
	v = calloc(na + ne + 2, sizeof(*v));
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < na + ne; i++) {
		char *nul = memchr(payload + off, '\0', len - off);

		if (nul == NULL) {
			free(v);
			return -1;
		}
		/* argv, NULL, then envp, NULL: one array */
		v[i < na ? i : i + 1] = payload + off;
		off = (size_t)(nul - payload) + 1;
	}
	if (off != len) {
		free(v);
		return -1;
	}
	*argv = v;
	*argc = na;
	*envp = v + na + 1;
	return 0;
}

/* Waits until fd is writable or the deadline passes; 0 or -1 (errno). */
static int
wait_writable(int fd, int64_t deadline_mono_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	for (;;) {
		int timeout = -1, r;

		if (deadline_mono_ms > 0) {
			int64_t left = deadline_mono_ms - lb_mono_ms();

			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		r = poll(&pfd, 1, timeout);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
send_frame(int fd, uint32_t type, const struct iovec *iov, int iovcnt,
    int64_t deadline_mono_ms, int use_send)
{
	unsigned char hdr[LB_FRAME_HDR_LEN];
	struct iovec v[MAX_IOV], *cur = v;
	int n = 1;
	uint64_t total = 0;

	if (iovcnt < 0 || iovcnt > MAX_IOV - 1) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
		if (iov[i].iov_len > 0)
			v[n++] = iov[i];
	}
	if (total > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	lb_frame_header_encode(hdr, type, (uint32_t)total);
	v[0].iov_base = hdr;
	v[0].iov_len = sizeof(hdr);
	while (n > 0) {
		ssize_t w;

		if (use_send) {
			struct msghdr msg;

			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = cur;
			msg.msg_iovlen = (size_t)n;
			w = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno == ENOTSOCK) {
				use_send = 0;
				continue;
			}
		} else {
			w = writev(fd, cur, n);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (wait_writable(fd, deadline_mono_ms) < 0)
					return -1;
				continue;
			}
			return -1;
		}
		/* skip what was written, possibly ending inside an iovec */
		while (n > 0 && (size_t)w >= cur->iov_len) {
			w -= (ssize_t)cur->iov_len;
			cur++;
			n--;
		}
		if (n > 0 && w > 0) {
			cur->iov_base = (char *)cur->iov_base + w;
			cur->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
lb_frame_send(int fd, uint32_t type, const struct iovec *iov, int iovcnt,
    int64_t deadline_mono_ms)
{
	return send_frame(fd, type, iov, iovcnt, deadline_mono_ms, 1);
}

int
lb_frame_write(int fd, uint32_t type, const struct iovec *iov, int iovcnt,
    int64_t deadline_mono_ms)
{
	return send_frame(fd, type, iov, iovcnt, deadline_mono_ms, 0);
}

/* Room for one descriptor's control message. */
union fd_cmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* A one-byte message with room for a descriptor. */
static void
fd_msg(struct msghdr *msg, struct iovec *iov, union fd_cmsg *u, char *byte)
{
	memset(msg, 0, sizeof(*msg));
	memset(u, 0, sizeof(*u));
	iov->iov_base = byte;
	iov->iov_len = 1;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = u->buf;
	msg->msg_controllen = sizeof(u->buf);
}

int
lb_frame_send_fd(int sock, int fd)
{
	union fd_cmsg u;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	char byte = 'M';
	ssize_t n;

	fd_msg(&msg, &iov, &u, &byte);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

int
lb_frame_recv_fd(int sock)
{
	union fd_cmsg u;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	char byte;
	ssize_t n;
	int fd = -1;

	fd_msg(&msg, &iov, &u, &byte);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	c = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

void
lb_frame_reader_init(struct lb_frame_reader *r, uint32_t max, int replies)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	r->replies = replies;
}

void
lb_frame_reader_reset(struct lb_frame_reader *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = r->body_got = 0;
	r->hdr_got = 0;
	r->have_type = r->have_hdr = 0;
	r->type = r->len = 0;
	memset(&r->meta, 0, sizeof(r->meta));
}

char *
lb_frame_reader_take(struct lb_frame_reader *r, size_t *len)
{
	char *b = r->body;

	if (len != NULL)
		*len = r->body_len;
	r->body = NULL;
	lb_frame_reader_reset(r);
	return b;
}

/*
 * One recv(2) (read(2) when fd is not a socket) with EINTR handled; maps EOF
 * and errors to LB_FRAME_* codes.  Returns 1 with *got advanced.
 */
static int
read_some(struct lb_frame_reader *r, int fd, void *buf, size_t len, size_t *got,
    int flags)
{
	for (;;) {
		ssize_t n;

		if (r->notsock) {
			/* a pipe has no MSG_DONTWAIT: ask first */
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if ((flags & MSG_DONTWAIT) && poll(&pfd, 1, 0) == 0)
				return LB_FRAME_AGAIN;
			n = read(fd, buf, len);
		} else {
			n = recv(fd, buf, len, flags);
			if (n < 0 && errno == ENOTSOCK) {
				r->notsock = 1;
				continue;
			}
		}
		if (n > 0) {
			*got += (size_t)n;
			return 1;
		}
		if (n == 0)
			return LB_FRAME_EOF;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return LB_FRAME_AGAIN;
		if (errno == ECONNRESET)
			return LB_FRAME_EOF;
		return LB_FRAME_EIO;
	}
}

/* Copies up to `len` read-ahead bytes to dst; returns how many. */
static size_t
take_ahead(struct lb_frame_reader *r, void *dst, size_t len)
{
	size_t n = r->ahead_len - r->ahead_off;

	if (n > len)
		n = len;
	memcpy(dst, r->ahead + r->ahead_off, n);
	r->ahead_off += n;
	if (r->ahead_off == r->ahead_len)
		r->ahead_off = r->ahead_len = 0;
	return n;
}

/* The header (and metadata) is complete: set up the body buffer. */
static int
start_body(struct lb_frame_reader *r)
{
	if (lb_frame_has_meta(r->type)) {
		lb_frame_meta_decode(r->hdr + LB_FRAME_HDR_LEN, &r->meta);
		r->body_len = r->len - LB_FRAME_META_LEN;
	} else {
		r->body_len = r->len;
	}
	r->body = malloc(r->body_len + 1);
	if (r->body == NULL)
		return LB_FRAME_EIO;
	r->body_got = 0;
	r->have_hdr = 1;
	return 0;
}

static int
pump(struct lb_frame_reader *r, int fd, int flags)
{
	int rc;

	while (!r->have_hdr) {
		size_t need = LB_FRAME_HDR_LEN;

		if (r->have_type ? lb_frame_has_meta(r->type) : r->replies)
			need += LB_FRAME_META_LEN;
		if (r->have_type && r->hdr_got == need) {
			rc = start_body(r);
			if (rc < 0)
				return rc;
			break;
		}
		if (r->ahead_len == 0) {
			rc = read_some(r, fd, r->ahead, sizeof(r->ahead),
			    &r->ahead_len, flags);
			if (rc <= 0)
				return rc;
		}
		r->hdr_got +=
		    take_ahead(r, r->hdr + r->hdr_got, need - r->hdr_got);
		if (!r->have_type && r->hdr_got >= LB_FRAME_HDR_LEN) {
			rc = lb_frame_header_decode(
			    r->hdr, &r->type, &r->len, r->max);
			if (rc < 0)
				return rc;
			if (r->replies && !lb_frame_has_meta(r->type))
				return LB_FRAME_BADTYPE;
			if (lb_frame_has_meta(r->type) &&
			    r->len < LB_FRAME_META_LEN)
				return LB_FRAME_SHORT;
			r->have_type = 1;
		}
	}
	if (r->ahead_len > 0)
		r->body_got += take_ahead(
		    r, r->body + r->body_got, r->body_len - r->body_got);
	/* the rest straight into the body, never past this frame */
	while (r->body_got < r->body_len) {
		rc = read_some(r, fd, r->body + r->body_got,
		    r->body_len - r->body_got, &r->body_got, flags);
		if (rc <= 0)
			return rc;
	}
	r->body[r->body_len] = '\0';
	return LB_FRAME_DONE;
}

int
lb_frame_reader_pump(struct lb_frame_reader *r, int fd)
{
	return pump(r, fd, 0);
}

int
lb_frame_reader_pump_nb(struct lb_frame_reader *r, int fd)
{
	return pump(r, fd, MSG_DONTWAIT);
}
