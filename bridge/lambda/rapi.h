/*
 * rapi.h - the Lambda Runtime API (version 2018-06-01) as HTTP/1.1 bytes:
 * the requests a runtime sends the provided-mode worker (provided.c),
 * parsed incrementally per connection with libhttp-parser, routed to one
 * of the four endpoints, and the responses built back.  No I/O: the caller
 * reads and writes the sockets.
 */
#ifndef LB_RAPI_H
#define LB_RAPI_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "lambda/frame.h"

/* The biggest body taken from a runtime: Lambda's result limit, 6 MiB +
 * 100 bytes (docs/runtime-api.md). */
#define LB_RAPI_BODY_MAX LB_FRAME_RESULT_LIMIT
/* Longest URL and header value kept (longer ones are cut). */
#define LB_RAPI_URL_MAX   2048
#define LB_RAPI_VALUE_MAX 1024

/* What lb_rapi_route makes of a request's method and path. */
enum lb_rapi_route {
	LB_RAPI_NOT_FOUND,  /* no endpoint has this path */
	LB_RAPI_WANTS_GET,  /* the path of a GET endpoint, another method */
	LB_RAPI_WANTS_POST, /* the path of a POST endpoint, another method */
	LB_RAPI_NEXT,       /* GET  /2018-06-01/runtime/invocation/next */
	LB_RAPI_RESPONSE,   /* POST .../runtime/invocation/{id}/response */
	LB_RAPI_ERROR,      /* POST .../runtime/invocation/{id}/error */
	LB_RAPI_INIT_ERROR, /* POST /2018-06-01/runtime/init/error */
};

/* Results of lb_rapi_feed. */
#define LB_RAPI_AGAIN    0  /* all input taken, no complete request yet */
#define LB_RAPI_REQUEST  1  /* a request is complete: see c->req */
#define LB_RAPI_CONTINUE 2  /* "Expect: 100-continue": answer 100, feed on */
#define LB_RAPI_BAD      -1 /* not HTTP/1.x: answer 400, then close */
#define LB_RAPI_TOOBIG   -2 /* the body is over the cap: see c->req */

/* One request, as far as it has been read. */
struct lb_rapi_request {
	int method; /* enum http_method */
	char url[LB_RAPI_URL_MAX + 1];
	size_t url_len;
	int url_cut; /* longer than LB_RAPI_URL_MAX */
	/* Lambda-Runtime-Function-Error-Type, or "" */
	char error_type[LB_RAPI_VALUE_MAX + 1];
	size_t error_type_len;
	char *body;      /* malloc'ed, NUL-terminated; NULL when empty */
	size_t body_len; /* bytes kept (none once over the cap) */
	size_t body_cap;
	uint64_t body_total;     /* bytes the body had, kept or not */
	uint64_t content_length; /* announced, or 0 (chunked, none) */
	int keep_alive;          /* known when the request is complete */
	int expect;              /* "Expect: 100-continue" */
	int headers_done;
};

/* A runtime's connection: the parser and the request it is reading. */
struct lb_rapi_conn {
	http_parser parser;
	struct lb_rapi_request req;
	size_t body_max; /* the cap on a body */
	/* the header being read (rapi.c, on_header_value) */
	int hdr_state;
	char hdr_name[64];
	size_t hdr_name_len;
	char expect[16]; /* the Expect header's value, cut */
	size_t expect_len;
	int done;   /* the request is complete (parser paused) */
	int cont;   /* paused after the headers for a 100 Continue */
	int toobig; /* the body went over body_max */
};

/* Prepares a connection whose request bodies may be up to body_max. */
void lb_rapi_conn_init(struct lb_rapi_conn *c, size_t body_max);

/* Frees the request's body. */
void lb_rapi_conn_free(struct lb_rapi_conn *c);

/*
 * Parses data[0..len), stopping at the end of one request.  *used gets the
 * bytes taken; the caller feeds the rest (a pipelined request) after it has
 * handled this one and called lb_rapi_next.  Returns LB_RAPI_REQUEST,
 * LB_RAPI_AGAIN, LB_RAPI_CONTINUE (the headers asked for "100 Continue":
 * send it and feed on), LB_RAPI_BAD (the connection cannot go on) or
 * LB_RAPI_TOOBIG.  A body over the cap is read to its end and dropped
 * (c->req.body_total says how big it was), then TOOBIG comes in place of
 * REQUEST and the connection may go on (call lb_rapi_next); only when the
 * request announced a too big Content-Length with "Expect: 100-continue"
 * does TOOBIG come right after the headers, and the connection must close.
 */
int lb_rapi_feed(
    struct lb_rapi_conn *c, const char *data, size_t len, size_t *used);

/* After a LB_RAPI_REQUEST: forgets that request, ready for the next. */
void lb_rapi_next(struct lb_rapi_conn *c);

/*
 * Which endpoint `method` and the path part of url[0..len) (the query is
 * ignored) name; for RESPONSE and ERROR, *id and *id_len get the request
 * id inside url.  Pure.
 */
enum lb_rapi_route lb_rapi_route(
    int method, const char *url, size_t len, const char **id, size_t *id_len);

/* A growable output buffer: bytes [off, len) are still to be written. */
struct lb_rapi_out {
	char *buf;
	size_t off, len, cap;
};

/* One header line of a response. */
struct lb_rapi_header {
	const char *name;
	const char *value;
};

/*
 * Appends a response to o: the status line, Content-Type (when `ctype` is
 * not NULL), Content-Length, the `nh` headers (values must hold no CR or
 * LF: they are cut at the first), "Connection: close" when `close`, then
 * `body`.  0, or -1 when out of memory (o unchanged).
 */
int lb_rapi_respond(struct lb_rapi_out *o, int status, const char *ctype,
    const struct lb_rapi_header *h, size_t nh, const char *body,
    size_t body_len, int close);

/*
 * Appends the JSON answer of the Runtime API for one condition
 * (LB_RAPI_ST_*): its status and body, as Lambda and AWS's Runtime
 * Interface Emulator give them.  0 or -1 as lb_rapi_respond.
 */
int lb_rapi_respond_status(struct lb_rapi_out *o, int what, int close);

/* Drops bytes [0, off) of o once written; frees the buffer when empty. */
void lb_rapi_out_consumed(struct lb_rapi_out *o, size_t n);
void lb_rapi_out_free(struct lb_rapi_out *o);

/* The conditions lb_rapi_respond_status answers. */
enum lb_rapi_status {
	LB_RAPI_ST_ACCEPTED,    /* 202: a response or error taken */
	LB_RAPI_ST_BAD_ID,      /* 400: not the current invocation's id */
	LB_RAPI_ST_TOO_LARGE,   /* 413: a body over the payload limit */
	LB_RAPI_ST_NOT_FOUND,   /* 404: an unknown path */
	LB_RAPI_ST_WANTS_GET,   /* 405: a GET endpoint, another method */
	LB_RAPI_ST_WANTS_POST,  /* 405: a POST endpoint, another method */
	LB_RAPI_ST_BAD_REQUEST, /* 400: not HTTP */
	LB_RAPI_ST_CONTINUE,    /* 100: the body may come */
	LB_RAPI_ST_COUNT,
};

/*
 * Appends 403 InvalidStateTransition, the answer to a request that the
 * runtime's state does not allow, in RIE's words: "State transition from
 * `from` to `to` failed for runtime. Error: State transition is not
 * allowed".  0 or -1 as lb_rapi_respond.
 */
int lb_rapi_respond_state(
    struct lb_rapi_out *o, const char *from, const char *to, int close);

/*
 * The error type Lambda takes from a Lambda-Runtime-Function-Error-Type
 * header: the value when it holds "Runtime." or "Function." followed by a
 * capital and letters, else "Function.Unknown" when it starts with
 * "Function.", else "Runtime.Unknown" (also for NULL or "").  Returns
 * `header` or a static string.  Pure.
 */
const char *lb_rapi_error_type(const char *header);

/*
 * The body of an ERROR (or INIT_ERROR) frame for an error a runtime posted.
 * A JSON object is kept as it is, with errorType added from `header_type`
 * (filtered by lb_rapi_error_type) when it has none; anything else becomes
 * {"errorMessage": the body's text, "errorType": the header's type}.
 * Returns a malloc'ed NUL-terminated string and its length in *len, or
 * NULL when out of memory.
 */
char *lb_rapi_error_body(
    const char *body, size_t body_len, const char *header_type, size_t *len);

#endif /* LB_RAPI_H */
