/*
 * test_rapi.c - rapi.c: the Runtime API's requests fed in pieces and
 * pipelined, chunked and Content-Length bodies, 100-continue, bodies over
 * the cap, routing, the responses byte for byte, and error bodies.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lambda/rapi.h"
#include "test.h"

void lb_test_suite_rapi(void);

#define NEXT_REQ \
	"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n" \
	"Host: 127.0.0.1\r\n\r\n"

/* Feeds all of s, one byte at a time when `bytewise`; returns the first
 * result that is not AGAIN and the bytes used until then in *used. */
static int
feed_all(struct lb_rapi_conn *c, const char *s, size_t len, int bytewise,
    size_t *used)
{
	size_t off = 0, u;
	int rc = LB_RAPI_AGAIN;

	while (off < len) {
		size_t n = bytewise ? 1 : len - off;

		rc = lb_rapi_feed(c, s + off, n, &u);
		off += u;
		if (rc != LB_RAPI_AGAIN)
			break;
	}
	*used = off;
	return rc;
}

/* Whole requests, fed at once and byte by byte. */
static const struct {
	const char *req;
	enum lb_rapi_route route;
	const char *id, *body, *error_type;
	int keep_alive;
} whole[] = {
	{ NEXT_REQ, LB_RAPI_NEXT, "", "", "", 1 },
	{ "POST /2018-06-01/runtime/invocation/r-1/error?x=1 HTTP/1.1\r\n"
	  "lambda-runtime-function-error-type: Runtime.Custom\r\n"
	  "Transfer-Encoding: chunked\r\n"
	  "Connection: close\r\n\r\n"
	  "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
	    LB_RAPI_ERROR, "r-1", "{\"a\":1}", "Runtime.Custom", 0 },
	{ "POST /2018-06-01/runtime/init/error HTTP/1.0\r\n"
	  "Content-Length: 2\r\n\r\n{}",
	    LB_RAPI_INIT_ERROR, "", "{}", "", 0 },
};

static void
test_whole_requests(void)
{
	struct lb_rapi_conn c;
	const char *id;
	size_t used, idl;

	for (size_t i = 0; i < 2 * sizeof(whole) / sizeof(whole[0]); i++) {
		size_t k = i / 2, len = strlen(whole[k].req);

		lb_rapi_conn_init(&c, LB_RAPI_BODY_MAX);
		CU_ASSERT_EQUAL(feed_all(&c, whole[k].req, len, i % 2, &used),
		    LB_RAPI_REQUEST);
		CU_ASSERT_EQUAL(used, len);
		CU_ASSERT_EQUAL(lb_rapi_route(c.req.method, c.req.url,
		                    c.req.url_len, &id, &idl),
		    whole[k].route);
		CU_ASSERT(idl == strlen(whole[k].id) &&
		    memcmp(id != NULL ? id : "", whole[k].id, idl) == 0);
		CU_ASSERT_STRING_EQUAL(
		    c.req.body != NULL ? c.req.body : "", whole[k].body);
		CU_ASSERT_STRING_EQUAL(c.req.error_type, whole[k].error_type);
		CU_ASSERT_EQUAL(c.req.keep_alive, whole[k].keep_alive);
		lb_rapi_next(&c);
		lb_rapi_conn_free(&c);
	}
}

/* Two requests in one read: the second waits for lb_rapi_next. */
static void
test_pipelined(void)
{
	static const char two[] =
	    "POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\n"
	    "Content-Length: 5\r\n\r\nhello" NEXT_REQ;
	struct lb_rapi_conn c;
	const char *id;
	size_t used, used2, idl;

	lb_rapi_conn_init(&c, LB_RAPI_BODY_MAX);
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, two, sizeof(two) - 1, &used), LB_RAPI_REQUEST);
	CU_ASSERT(used < sizeof(two) - 1);
	CU_ASSERT_EQUAL(c.req.body_len, 5);
	CU_ASSERT_STRING_EQUAL(c.req.body, "hello");
	CU_ASSERT_EQUAL(
	    lb_rapi_route(c.req.method, c.req.url, c.req.url_len, &id, &idl),
	    LB_RAPI_RESPONSE);
	CU_ASSERT(idl == 3 && memcmp(id, "abc", 3) == 0);
	/* not handled yet: the same request again, nothing taken */
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, two + used, sizeof(two) - 1 - used, &used2),
	    LB_RAPI_REQUEST);
	CU_ASSERT_EQUAL(used2, 0);
	lb_rapi_next(&c);
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, two + used, sizeof(two) - 1 - used, &used2),
	    LB_RAPI_REQUEST);
	CU_ASSERT_EQUAL(used + used2, sizeof(two) - 1);
	CU_ASSERT_EQUAL(c.req.method, HTTP_GET);
	CU_ASSERT_PTR_NULL(c.req.body);
	lb_rapi_conn_free(&c);
}

static void
test_continue_and_too_big(void)
{
	static const char cont[] =
	    "POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\n"
	    "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
	static const char big[] =
	    "POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "a\r\n0123456789\r\n0\r\n\r\n" NEXT_REQ;
	static const char bigexp[] =
	    "POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\n"
	    "Expect: 100-continue\r\nContent-Length: 11\r\n\r\n";
	struct lb_rapi_conn c;
	size_t used, used2;

	lb_rapi_conn_init(&c, 8);
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, cont, sizeof(cont) - 1, &used), LB_RAPI_CONTINUE);
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, cont + used, sizeof(cont) - 1 - used, &used2),
	    LB_RAPI_REQUEST);
	CU_ASSERT_EQUAL(used + used2, sizeof(cont) - 1);
	CU_ASSERT_STRING_EQUAL(c.req.body, "ok");
	lb_rapi_next(&c);
	/* chunked over the cap: read to its end, then the next request */
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, big, sizeof(big) - 1, &used), LB_RAPI_TOOBIG);
	CU_ASSERT_EQUAL(c.req.body_total, 10);
	CU_ASSERT_PTR_NULL(c.req.body);
	lb_rapi_next(&c);
	CU_ASSERT_EQUAL(
	    lb_rapi_feed(&c, big + used, sizeof(big) - 1 - used, &used2),
	    LB_RAPI_REQUEST);
	CU_ASSERT_EQUAL(c.req.method, HTTP_GET);
	lb_rapi_conn_free(&c);
	/* a Content-Length over the cap with Expect: stop at once */
	lb_rapi_conn_init(&c, 8);
	CU_ASSERT_EQUAL(lb_rapi_feed(&c, bigexp, sizeof(bigexp) - 1, &used),
	    LB_RAPI_TOOBIG);
	CU_ASSERT_EQUAL(c.req.content_length, 11);
	lb_rapi_conn_free(&c);
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
		"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
		"Upgrade\r\n\r\n",
	};
	struct lb_rapi_conn c;
	size_t used;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lb_rapi_conn_init(&c, 64);
		CU_ASSERT_EQUAL(lb_rapi_feed(&c, bad[i], strlen(bad[i]), &used),
		    LB_RAPI_BAD);
		lb_rapi_conn_free(&c);
	}
}

static void
test_route(void)
{
	static const struct {
		int method;
		const char *url;
		enum lb_rapi_route want;
		const char *id;
	} cases[] = {
		{ HTTP_GET, "/2018-06-01/runtime/invocation/next", LB_RAPI_NEXT,
		    NULL },
		{ HTTP_POST, "/2018-06-01/runtime/invocation/next",
		    LB_RAPI_WANTS_GET, NULL },
		{ HTTP_HEAD, "/2018-06-01/runtime/invocation/next",
		    LB_RAPI_WANTS_GET, NULL },
		{ HTTP_POST, "/2018-06-01/runtime/init/error",
		    LB_RAPI_INIT_ERROR, NULL },
		{ HTTP_GET, "/2018-06-01/runtime/init/error",
		    LB_RAPI_WANTS_POST, NULL },
		{ HTTP_POST, "/2018-06-01/runtime/invocation/x-y/response",
		    LB_RAPI_RESPONSE, "x-y" },
		{ HTTP_GET, "/2018-06-01/runtime/invocation/x/response",
		    LB_RAPI_WANTS_POST, "x" },
		{ HTTP_POST, "/2018-06-01/runtime/invocation/x/error",
		    LB_RAPI_ERROR, "x" },
		{ HTTP_POST, "/2018-06-01/runtime/invocation//error",
		    LB_RAPI_NOT_FOUND, NULL },
		{ HTTP_POST, "/2018-06-01/runtime/invocation/a/b/error",
		    LB_RAPI_NOT_FOUND, NULL },
		{ HTTP_POST, "/2018-06-01/runtime/invocation/x/errors",
		    LB_RAPI_NOT_FOUND, NULL },
		{ HTTP_GET, "/2018-06-01/runtime/foo", LB_RAPI_NOT_FOUND,
		    NULL },
		{ HTTP_GET, "/", LB_RAPI_NOT_FOUND, NULL },
		{ HTTP_GET, "/2018-06-01/runtime/invocation/next?a=/b",
		    LB_RAPI_NEXT, NULL },
	};
	const char *id;
	size_t idl;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum lb_rapi_route r = lb_rapi_route(cases[i].method,
		    cases[i].url, strlen(cases[i].url), &id, &idl);

		CU_ASSERT_EQUAL(r, cases[i].want);
		if (r == LB_RAPI_RESPONSE || r == LB_RAPI_ERROR)
			CU_ASSERT(idl == strlen(cases[i].id) &&
			    memcmp(id, cases[i].id, idl) == 0);
	}
}

/* Takes o's bytes as a string (freed by the caller) and empties o. */
static char *
take(struct lb_rapi_out *o)
{
	char *s = strndup(o->buf + o->off, o->len - o->off);

	lb_rapi_out_consumed(o, o->len - o->off);
	return s;
}

/* lb_rapi_respond_status's answers, byte for byte */
static const struct {
	int what, close;
	const char *bytes;
} fixed[] = {
	{ LB_RAPI_ST_BAD_ID, 0,
	    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
	    "Content-Length: 69\r\n\r\n"
	    "{\"errorMessage\":\"Invalid request ID\","
	    "\"errorType\":\"InvalidRequestID\"}\n" },
	{ LB_RAPI_ST_WANTS_GET, 1,
	    "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n" },
	{ LB_RAPI_ST_NOT_FOUND, 0,
	    "HTTP/1.1 404 Not Found\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Content-Length: 19\r\n\r\n404 page not found\n" },
	{ LB_RAPI_ST_ACCEPTED, 0,
	    "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
	    "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n" },
	{ LB_RAPI_ST_CONTINUE, 0, "HTTP/1.1 100 Continue\r\n\r\n" },
};

static void
test_responses(void)
{
	struct lb_rapi_header h[] = { { "Lambda-Runtime-Aws-Request-Id",
	    "r1\r\nX: injected" } };
	struct lb_rapi_out o = { 0 };
	char *s;

	CU_ASSERT_EQUAL(
	    lb_rapi_respond(&o, 200, "application/json", h, 1, "{}", 2, 0), 0);
	s = take(&o);
	CU_ASSERT_STRING_EQUAL(s,
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Lambda-Runtime-Aws-Request-Id: r1\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	free(s);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		CU_ASSERT_EQUAL(
		    lb_rapi_respond_status(&o, fixed[i].what, fixed[i].close),
		    0);
		s = take(&o);
		CU_ASSERT_STRING_EQUAL(s, fixed[i].bytes);
		free(s);
	}
	CU_ASSERT_EQUAL(lb_rapi_respond_state(&o, "RuntimeResponseSentState",
	                    "InvocationResponse", 0),
	    0);
	s = take(&o);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "HTTP/1.1 403 Forbidden\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s,
	    "\r\n\r\n{\"errorMessage\":\"State transition from "
	    "RuntimeResponseSentState to InvocationResponse failed for "
	    "runtime. Error: State transition is not allowed\","
	    "\"errorType\":\"InvalidStateTransition\"}\n"));
	free(s);
	lb_rapi_out_free(&o);
}

/* Whether text is the JSON `want`, compared as trees. */
static int
json_is(const char *text, const char *want)
{
	json_object *a = json_tokener_parse(text),
	            *b = json_tokener_parse(want);
	int eq = a != NULL && b != NULL && json_object_equal(a, b);

	json_object_put(a);
	json_object_put(b);
	return eq;
}

static void
test_error_body(void)
{
	static const char obj[] =
	    "{\"errorMessage\":\"boom\",\"stackTrace\":[\"a\"],\"x\":1}";
	char *s;
	size_t len;

	CU_ASSERT_STRING_EQUAL(lb_rapi_error_type(NULL), "Runtime.Unknown");
	CU_ASSERT_STRING_EQUAL(
	    lb_rapi_error_type("Runtime.Custom"), "Runtime.Custom");
	CU_ASSERT_STRING_EQUAL(
	    lb_rapi_error_type("x Function.Bad y"), "x Function.Bad y");
	CU_ASSERT_STRING_EQUAL(
	    lb_rapi_error_type("Function.x"), "Function.Unknown");
	CU_ASSERT_STRING_EQUAL(
	    lb_rapi_error_type("Unhandled"), "Runtime.Unknown");

	s = lb_rapi_error_body(obj, sizeof(obj) - 1, "Runtime.Custom", &len);
	CU_ASSERT(s != NULL && strlen(s) == len);
	CU_ASSERT(json_is(s,
	    "{\"errorMessage\":\"boom\",\"stackTrace\":[\"a\"],\"x\":1,"
	    "\"errorType\":\"Runtime.Custom\"}"));
	free(s);
	/* the body's own type wins */
	s = lb_rapi_error_body("{\"errorType\":\"E\"}", 17, "Runtime.X", &len);
	CU_ASSERT(json_is(s, "{\"errorType\":\"E\"}"));
	free(s);
	s = lb_rapi_error_body("not json", 8, NULL, &len);
	CU_ASSERT(json_is(s,
	    "{\"errorMessage\":\"not "
	    "json\",\"errorType\":\"Runtime.Unknown\"}"));
	free(s);
	s = lb_rapi_error_body(NULL, 0, "Function.Oops", &len);
	CU_ASSERT(json_is(
	    s, "{\"errorMessage\":\"\",\"errorType\":\"Function.Oops\"}"));
	free(s);
}

void
lb_test_suite_rapi(void)
{
	static CU_TestInfo tests[] = {
		{ "whole requests, in pieces", test_whole_requests },
		{ "pipelined requests", test_pipelined },
		{ "100-continue and bodies over the cap",
		    test_continue_and_too_big },
		{ "malformed requests", test_bad },
		{ "routes", test_route },
		{ "responses", test_responses },
		{ "error bodies", test_error_body },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("rapi", tests);
}
