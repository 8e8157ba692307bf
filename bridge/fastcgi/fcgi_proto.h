/*
 * fcgi_proto.h - the FastCGI 1.0 codec: record headers, BEGIN_REQUEST and
 * END_REQUEST bodies, name-value pairs (PARAMS, GET_VALUES).  Bytes in,
 * bytes out: no I/O, no allocation, no globals (conn.c does the I/O).
 */
#ifndef LB_FCGI_PROTO_H
#define LB_FCGI_PROTO_H

#include <stddef.h>

#define LB_FCGI_HEADER_LEN        8
#define LB_FCGI_VERSION_1         1
#define LB_FCGI_BEGIN_REQUEST     1
#define LB_FCGI_ABORT_REQUEST     2
#define LB_FCGI_END_REQUEST       3
#define LB_FCGI_PARAMS            4
#define LB_FCGI_STDIN             5
#define LB_FCGI_STDOUT            6
#define LB_FCGI_GET_VALUES        9
#define LB_FCGI_GET_VALUES_RESULT 10
#define LB_FCGI_UNKNOWN_TYPE      11
#define LB_FCGI_RESPONDER         1
#define LB_FCGI_KEEP_CONN         1
#define LB_FCGI_REQUEST_COMPLETE  0
#define LB_FCGI_CANT_MPX_CONN     1
#define LB_FCGI_UNKNOWN_ROLE      3
#define LB_FCGI_MAX_CONTENT       65535

/* One record, pointing into the bytes it was parsed from. */
struct lb_fcgi_record {
	int type;
	unsigned rid;
	const unsigned char *content; /* clen bytes; the padding follows */
	size_t clen;
};

/*
 * Parses the record at the start of p[0..len).  Returns the bytes it takes
 * (header, content and padding) with *r filled in, 0 when p holds less
 * than a whole record (nothing is filled in), or -1 when the header is of
 * another version than 1 (the stream cannot be followed).
 */
long lb_fcgi_record_parse(
    const unsigned char *p, size_t len, struct lb_fcgi_record *r);

/*
 * Parses the header at the start of p[0..len) of a record that need not be
 * whole yet.  Returns 1 with *r filled in (r->content is where the content
 * starts, r->clen what it will be; fewer bytes may be there yet) and *pad
 * the padding that follows it, 0 when p holds less than a header, or -1
 * as lb_fcgi_record_parse.
 */
int lb_fcgi_record_head(
    const unsigned char *p, size_t len, struct lb_fcgi_record *r, size_t *pad);

/*
 * Writes a record header for `clen` (<= LB_FCGI_MAX_CONTENT) bytes of
 * content and no padding into h.
 */
void lb_fcgi_header_put(
    unsigned char h[LB_FCGI_HEADER_LEN], int type, unsigned rid, size_t clen);

/*
 * Reads a BEGIN_REQUEST body: the role and the flags (LB_FCGI_KEEP_CONN).
 * Returns 0, or -1 when it is shorter than 8 bytes.
 */
int lb_fcgi_begin_parse(
    const unsigned char *p, size_t len, unsigned *role, unsigned *flags);

/* Writes an END_REQUEST body (app status 0) with protocol_status. */
void lb_fcgi_end_put(unsigned char b[8], int protocol_status);

/*
 * Writes an UNKNOWN_TYPE body, the answer to a management record (request
 * id 0) of a type this application does not know: that type, then zeros.
 */
void lb_fcgi_unknown_type_put(unsigned char b[8], int type);

/* One name-value pair, pointing into the stream. */
struct lb_fcgi_pair {
	const unsigned char *name, *value;
	size_t name_len, value_len;
};

/*
 * Reads the name-value pair at *p (lengths of 1 byte, or 4 bytes with the
 * high bit set) and advances *p past it.  Returns 1 with *pair filled in,
 * 0 at `end`, or -1 when the pair runs past `end` (*p is then unchanged).
 */
int lb_fcgi_pair_next(const unsigned char **p, const unsigned char *end,
    struct lb_fcgi_pair *pair);

/*
 * Writes a name-value pair into out[0..room), with 1-byte lengths under
 * 128 and 4-byte ones from there.  Returns the bytes written, or 0 when it
 * does not fit (or a length is 2^31 or more).
 */
size_t lb_fcgi_pair_put(unsigned char *out, size_t room, const void *name,
    size_t name_len, const void *value, size_t value_len);

#endif /* LB_FCGI_PROTO_H */
