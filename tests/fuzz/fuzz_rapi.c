/*
 * fuzz_rapi.c - libFuzzer target for rapi.c (`make fuzz`): what a runtime
 * sends the Runtime API server.
 *
 * The input's first byte seeds the sizes of the pieces the rest is fed in
 * (the second byte, modulo, the body cap: small caps reach TOOBIG).  The
 * rest is parsed as one connection parses it, request after request (each
 * routed, answered and, for a body, turned into an error body), and the
 * requests, their bodies and the final verdict must be those of feeding
 * the same bytes at once.  Every `used` must stay inside what was fed.
 * Crashes, leaks and undefined behaviour are caught by ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/rapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQS 64

/* What one pass saw: a digest per request, and how it ended. */
struct seen {
	size_t n;
	uint64_t digest[MAX_REQS];
	int end;
};

static uint64_t
mix(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

/* Routes and answers the request c holds, as provided.c would. */
static uint64_t
handle(struct lb_rapi_conn *c, int rc)
{
	struct lb_rapi_request *r = &c->req;
	struct lb_rapi_out o = { 0 };
	const char *id;
	size_t idl, len;
	uint64_t h = 14695981039346656037ull;
	int route = lb_rapi_route(r->method, r->url, r->url_len, &id, &idl);
	char *eb;

	if (id != NULL && (id < r->url || id + idl > r->url + r->url_len))
		abort();
	if (r->body_len > c->body_max ||
	    (r->body != NULL && r->body[r->body_len] != '\0'))
		abort();
	h = mix(h, &rc, sizeof(rc));
	h = mix(h, &route, sizeof(route));
	h = mix(h, r->url, r->url_len);
	h = mix(h, r->error_type, strlen(r->error_type));
	h = mix(h, &r->keep_alive, sizeof(r->keep_alive));
	if (r->body != NULL)
		h = mix(h, r->body, r->body_len);
	if (rc == LB_RAPI_REQUEST) {
		struct lb_rapi_header hd = { "X", r->error_type };

		eb = lb_rapi_error_body(
		    r->body, r->body_len, r->error_type, &len);
		if (eb != NULL &&
		    lb_rapi_respond(&o, 200, "application/json", &hd, 1, eb,
		        len, !r->keep_alive) == 0 &&
		    memchr(o.buf + o.len - len, '\0', len) != NULL)
			abort();
		free(eb);
	}
	lb_rapi_respond_status(&o, route % LB_RAPI_ST_COUNT, 0);
	lb_rapi_out_free(&o);
	return h;
}

/* Feeds data in pieces from `seed` (0: at once); records what it sees. */
static void
run(const uint8_t *data, size_t size, unsigned seed, size_t cap, struct seen *s)
{
	struct lb_rapi_conn c;
	size_t off = 0, end = 0, used;
	int rc = LB_RAPI_AGAIN;

	memset(s, 0, sizeof(*s));
	lb_rapi_conn_init(&c, cap);
	while (off < size && s->n < MAX_REQS) {
		size_t piece = seed ? 1 + (seed + off * 7) % 23 : size;

		/* what the reads have brought so far */
		if (end < off + 1)
			end = off + piece < size ? off + piece : size;
		rc = lb_rapi_feed(
		    &c, (const char *)data + off, end - off, &used);
		if (used > end - off)
			abort();
		off += used;
		if (rc == LB_RAPI_AGAIN) {
			if (off != end)
				abort();
			continue;
		}
		if (rc == LB_RAPI_CONTINUE)
			continue;
		if (rc == LB_RAPI_BAD)
			break; /* how much of it the callbacks saw varies */
		if (rc == LB_RAPI_TOOBIG && !c.done) {
			/* the connection ends here */
			s->digest[s->n++] = handle(&c, rc);
			break;
		}
		s->digest[s->n++] = handle(&c, rc);
		lb_rapi_next(&c);
	}
	s->end = rc;
	lb_rapi_conn_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a, b;
	unsigned seed;
	size_t cap;

	if (size < 2)
		return 0;
	seed = data[0] | 1;
	cap = data[1] % 4 == 0 ? (size_t)data[1] : LB_RAPI_BODY_MAX;
	run(data + 2, size - 2, 0, cap, &a);
	run(data + 2, size - 2, seed, cap, &b);
	/* the same requests, whatever the pieces; a pass that stopped at
	 * MAX_REQS may have stopped elsewhere */
	if (a.n < MAX_REQS && b.n < MAX_REQS) {
		if (a.n != b.n ||
		    memcmp(a.digest, b.digest, a.n * sizeof(a.digest[0])))
			abort();
		if ((a.end == LB_RAPI_BAD) != (b.end == LB_RAPI_BAD))
			abort();
	}
	return 0;
}
