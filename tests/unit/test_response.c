/*
 * test_response.c - the response matrix of docs/apigw-facts.md section 3: REST
 * and HTTP API 1.0 validation, the headers/multiValueHeaders merge, base64
 * bodies, 2.0 cookies and inference, remapped headers, bad JSON.  Every
 * case checks the exact status, header lines (in order) and body bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/response.h"
#include "base/b64.h"
#include "test.h"

void lb_test_suite_response(void);

enum { REST, HTTP1, HTTP2 };

static char *binary_types[] = { "image/png", "application/octet-stream" };
static char *all_binary[] = { "*/*" };

struct run {
	struct lb_http_response r;
	int rc;
	char err[256];
};

/* Maps `out` (len bytes, or strlen when len is (size_t)-1). */
static void
map_ex(struct run *x, int api, const char *out, size_t len, const char *accept,
    char **types, size_t ntypes)
{
	struct lb_response_input in;

	memset(x, 0, sizeof(*x));
	memset(&in, 0, sizeof(in));
	in.rest = api == REST;
	in.payload_format = api == HTTP2 ? 2 : 1;
	in.output = out;
	in.output_len = len == (size_t)-1 ? strlen(out) : len;
	in.accept = accept;
	in.binary_media_types = types;
	in.nbinary_media_types = ntypes;
	x->rc = lb_response_map(&in, &x->r, x->err, sizeof(x->err));
}

static void
map(struct run *x, int api, const char *out)
{
	map_ex(x, api, out, (size_t)-1, NULL, NULL, 0);
}

static void
done(struct run *x)
{
	lb_http_response_clear(&x->r);
}

/*
 * Are the header lines exactly `want` ("Name: value" strings, in order,
 * NULL-terminated)?  Prints the difference when not.
 */
static int
headers_are(const struct run *x, const char *const *want)
{
	size_t n = 0;
	char line[512];

	while (want[n] != NULL)
		n++;
	if (n != x->r.nheaders)
		goto diff;
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s: %s", x->r.headers[i].name,
		    x->r.headers[i].value);
		if (strcmp(line, want[i]) != 0)
			goto diff;
	}
	return 1;
diff:
	fprintf(stderr, "\nheaders differ; got %zu:\n", x->r.nheaders);
	for (size_t i = 0; i < x->r.nheaders; i++)
		fprintf(stderr, "  '%s: %s'\n", x->r.headers[i].name,
		    x->r.headers[i].value);
	fprintf(stderr, "wanted %zu:\n", n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  '%s'\n", want[i]);
	return 0;
}

static int
body_is(const struct run *x, const char *want, size_t len)
{
	if (len == (size_t)-1)
		len = strlen(want);
	if (x->r.body_len == len &&
	    (len == 0 ||
	        (x->r.body != NULL && memcmp(x->r.body, want, len) == 0)))
		return 1;
	fprintf(stderr, "\nbody differs: got %zu bytes '%.*s', wanted '%.*s'\n",
	    x->r.body_len, (int)x->r.body_len, x->r.body ? x->r.body : "",
	    (int)len, want);
	return 0;
}

/* A failed mapping leaves the response empty and says why. */
static int
failed(const struct run *x, int rc)
{
	return x->rc == rc && x->r.status == 0 && x->r.nheaders == 0 &&
	    x->r.body == NULL && x->r.body_len == 0 && x->err[0] != '\0';
}

#define HEADERS(x, ...) \
	headers_are(x, (const char *const[]){ __VA_ARGS__, NULL })
#define CT "Content-Type: application/json"

/* Checks a successful mapping: status, headers, body (a C string). */
#define EXPECT_OK(x, st, body, ...) \
	do { \
		CU_ASSERT_EQUAL((x)->rc, 0); \
		CU_ASSERT_EQUAL((x)->r.status, st); \
		CU_ASSERT_TRUE(HEADERS(x, __VA_ARGS__)); \
		CU_ASSERT_TRUE(body_is(x, body, (size_t)-1)); \
	} while (0)

/* Maps and expects a malformed-response failure (-1). */
static void
expect_malformed(int api, const char *out)
{
	struct run x;

	map(&x, api, out);
	if (!failed(&x, -1))
		fprintf(
		    stderr, "\nexpected a failure for %s (rc %d)\n", out, x.rc);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
}

/* ---- REST (docs/apigw-facts.md 3.1, each row recorded on AWS) ---- */

static void
test_rest_status(void)
{
	struct run x;

	map(&x, REST, "{\"statusCode\":200}");
	EXPECT_OK(&x, 200, "", CT);
	CU_ASSERT_PTR_NULL(x.r.body);
	done(&x);

	/* statusCode is optional on REST */
	map(&x, REST, "{\"headers\":{\"test-header\":\"value\"}}");
	EXPECT_OK(&x, 200, "", "test-header: value", CT);
	done(&x);
	map(&x, REST, "{}");
	EXPECT_OK(&x, 200, "", CT);
	done(&x);
	map(&x, REST, "{\"statusCode\":null,\"body\":\"b\"}");
	EXPECT_OK(&x, 200, "b", CT);
	done(&x);

	/* a numeric string is a status */
	map(&x, REST, "{\"statusCode\":\"201\"}");
	EXPECT_OK(&x, 201, "", CT);
	done(&x);
	map(&x, REST, "{\"statusCode\":404.0,\"body\":\"no\"}");
	EXPECT_OK(&x, 404, "no", CT);
	done(&x);

	expect_malformed(REST, "{\"statusCode\":\"test\"}");
	expect_malformed(REST, "{\"statusCode\":\"\"}");
	expect_malformed(REST, "{\"statusCode\":\" 200\"}");
	expect_malformed(REST, "{\"statusCode\":200.5}");
	expect_malformed(REST, "{\"statusCode\":99}");
	expect_malformed(REST, "{\"statusCode\":600}");
	expect_malformed(REST, "{\"statusCode\":-200}");
	expect_malformed(REST, "{\"statusCode\":true}");
	expect_malformed(REST, "{\"statusCode\":[200]}");
}

static void
test_rest_shape(void)
{
	struct run x;

	/* unknown keys are rejected, the 2.0 keys included */
	expect_malformed(REST, "{\"statusCode\":200,\"wrongValue\":\"value\"}");
	expect_malformed(REST, "{\"statusCode\":200,\"cookies\":[\"a=1\"]}");
	expect_malformed(REST, "{\"statusCode\":200,\"StatusCode\":200}");
	/* not an object */
	expect_malformed(REST, "\"justAString\"");
	expect_malformed(REST, "null");
	expect_malformed(REST, "[]");
	expect_malformed(REST, "42");
	expect_malformed(REST, "true");
	/* types of the known keys */
	expect_malformed(REST, "{\"body\":{\"a\":1}}");
	expect_malformed(REST, "{\"body\":42}");
	expect_malformed(REST, "{\"body\":true}");
	expect_malformed(REST, "{\"headers\":\"x\"}");
	expect_malformed(REST, "{\"headers\":[]}");
	expect_malformed(REST, "{\"multiValueHeaders\":[]}");
	expect_malformed(REST, "{\"isBase64Encoded\":\"true\"}");
	expect_malformed(REST, "{\"isBase64Encoded\":1}");

	/* null values are accepted as absent */
	map(&x, REST,
	    "{\"statusCode\":200,\"headers\":null,\"multiValueHeaders\":null,"
	    "\"body\":null,\"isBase64Encoded\":null}");
	EXPECT_OK(&x, 200, "", CT);
	done(&x);

	/* all five keys */
	map(&x, REST,
	    "{\"statusCode\":202,\"headers\":{\"A\":\"1\"},"
	    "\"multiValueHeaders\":{\"B\":[\"2\"]},\"body\":\"hello\","
	    "\"isBase64Encoded\":false}");
	EXPECT_OK(&x, 202, "hello", "B: 2", "A: 1", CT);
	done(&x);
}

static void
test_rest_header_values(void)
{
	struct run x;

	/* booleans are stringified (recorded on AWS) */
	map(&x, REST,
	    "{\"statusCode\":200,\"headers\":{\"test-header\":\"value\","
	    "\"header-bool\":true,\"header-false\":false}}");
	EXPECT_OK(&x, 200, "", "test-header: value", "header-bool: true",
	    "header-false: false", CT);
	done(&x);

	/* a null value leaves the header out; an empty string is kept */
	map(&x, REST, "{\"headers\":{\"gone\":null,\"empty\":\"\"}}");
	EXPECT_OK(&x, 200, "", "empty: ", CT);
	done(&x);

	/* numbers, objects and arrays are not header values on REST */
	expect_malformed(REST, "{\"headers\":{\"n\":42}}");
	expect_malformed(REST, "{\"headers\":{\"n\":1.5}}");
	expect_malformed(REST, "{\"headers\":{\"o\":{}}}");
	expect_malformed(REST, "{\"headers\":{\"a\":[\"x\"]}}");
	expect_malformed(REST, "{\"multiValueHeaders\":{\"a\":[42]}}");
	expect_malformed(REST, "{\"multiValueHeaders\":{\"a\":[[\"x\"]]}}");
	/* a multiValueHeaders value must be an array (recorded on AWS) */
	expect_malformed(REST,
	    "{\"statusCode\":200,\"multiValueHeaders\":"
	    "{\"test-multi-invalid\":\"value1\"}}");
}

static void
test_rest_merge(void)
{
	struct run x;

	/* multi values first, under the multiValueHeaders casing */
	map(&x, REST,
	    "{\"statusCode\":200,\"headers\":{\"test-multi\":\"value-solo\"},"
	    "\"multiValueHeaders\":{\"tesT-Multi\":[\"value-multi\"]}}");
	EXPECT_OK(&x, 200, "", "tesT-Multi: value-multi",
	    "tesT-Multi: value-solo", CT);
	done(&x);

	/* the same in the other key order of the object */
	map(&x, REST,
	    "{\"multiValueHeaders\":{\"X-A\":[\"m\"]},\"headers\":{\"x-a\":"
	    "\"s\"}}");
	EXPECT_OK(&x, 200, "", "X-A: m", "X-A: s", CT);
	done(&x);

	/* the very same name and value in both appears once */
	map(&x, REST,
	    "{\"headers\":{\"x-dup\":\"v\"},\"multiValueHeaders\":"
	    "{\"X-Dup\":[\"v\",\"w\"]}}");
	EXPECT_OK(&x, 200, "", "X-Dup: v", "X-Dup: w", CT);
	done(&x);

	/* groups keep their order; a single joins its group, others last */
	map(&x, REST,
	    "{\"multiValueHeaders\":{\"A\":[\"1\",\"2\"],\"B\":[\"3\"]},"
	    "\"headers\":{\"C\":\"y\",\"a\":\"x\"}}");
	EXPECT_OK(&x, 200, "", "A: 1", "A: 2", "A: x", "B: 3", "C: y", CT);
	done(&x);

	/* each multi value is its own line, e.g. several Set-Cookie */
	map(&x, REST,
	    "{\"multiValueHeaders\":{\"Set-Cookie\":[\"a=1\",\"b=2\"]}}");
	EXPECT_OK(&x, 200, "", "Set-Cookie: a=1", "Set-Cookie: b=2", CT);
	done(&x);

	/* booleans stringified, nulls skipped, empty arrays add nothing */
	map(&x, REST,
	    "{\"multiValueHeaders\":{\"F\":[true,null,\"x\"],\"E\":[]}}");
	EXPECT_OK(&x, 200, "", "F: true", "F: x", CT);
	done(&x);
}

static void
test_rest_base64(void)
{
	struct run x;
	const char *b64 = "{\"statusCode\":200,\"body\":\"dGVzdC1kYXRh\","
	                  "\"isBase64Encoded\":true}";
	const char *bin = "{\"body\":\"AP8AYQ==\",\"isBase64Encoded\":true}";

	/* no binaryMediaTypes: the base64 text as it is (recorded on AWS) */
	map(&x, REST, b64);
	EXPECT_OK(&x, 200, "dGVzdC1kYXRh", CT);
	done(&x);
	map_ex(&x, REST, b64, (size_t)-1, "image/png", NULL, 0);
	EXPECT_OK(&x, 200, "dGVzdC1kYXRh", CT);
	done(&x);

	/* the first Accept type is binary: decoded */
	map_ex(&x, REST, bin, (size_t)-1, "image/png", binary_types, 2);
	CU_ASSERT_EQUAL(x.rc, 0);
	CU_ASSERT_TRUE(body_is(&x, "\0\xff\0a", 4));
	CU_ASSERT_TRUE(HEADERS(&x, CT));
	done(&x);
	map_ex(&x, REST, bin, (size_t)-1, "IMAGE/PNG;q=0.9, text/html",
	    binary_types, 2);
	CU_ASSERT_TRUE(body_is(&x, "\0\xff\0a", 4));
	done(&x);
	map_ex(&x, REST, b64, (size_t)-1, "text/html", all_binary, 1);
	EXPECT_OK(&x, 200, "test-data", CT);
	done(&x);

	/* only the first Accept type counts */
	map_ex(
	    &x, REST, b64, (size_t)-1, "text/html, image/png", binary_types, 2);
	EXPECT_OK(&x, 200, "dGVzdC1kYXRh", CT);
	done(&x);
	/* no Accept, or a text Accept: not decoded */
	map_ex(&x, REST, b64, (size_t)-1, NULL, binary_types, 2);
	EXPECT_OK(&x, 200, "dGVzdC1kYXRh", CT);
	done(&x);
	map_ex(&x, REST, b64, (size_t)-1, "application/json", binary_types, 2);
	EXPECT_OK(&x, 200, "dGVzdC1kYXRh", CT);
	done(&x);
	/* isBase64Encoded false: never decoded */
	map_ex(&x, REST, "{\"body\":\"dGVzdA==\",\"isBase64Encoded\":false}",
	    (size_t)-1, "image/png", binary_types, 2);
	EXPECT_OK(&x, 200, "dGVzdA==", CT);
	done(&x);

	/* line breaks inside the base64 are tolerated */
	map_ex(&x, REST,
	    "{\"body\":\"dGVz\\r\\ndA==\\n\",\"isBase64Encoded\":true}",
	    (size_t)-1, "image/png", binary_types, 2);
	EXPECT_OK(&x, 200, "test", CT);
	done(&x);

	/* invalid base64 that must be decoded: API configuration error */
	map_ex(&x, REST, "{\"body\":\"not base64!\",\"isBase64Encoded\":true}",
	    (size_t)-1, "image/png", binary_types, 2);
	CU_ASSERT_TRUE(failed(&x, LB_RESPONSE_ECONFIG));
	done(&x);
	/* ... but passed through when it need not be decoded */
	map_ex(&x, REST, "{\"body\":\"not base64!\",\"isBase64Encoded\":true}",
	    (size_t)-1, "text/plain", binary_types, 2);
	EXPECT_OK(&x, 200, "not base64!", CT);
	done(&x);
}

static void
test_content_type(void)
{
	struct run x;

	/* the function's Content-Type, in any casing, replaces the default */
	map(&x, REST,
	    "{\"headers\":{\"content-type\":\"text/plain\"},\"body\":\"hi\"}");
	EXPECT_OK(&x, 200, "hi", "content-type: text/plain");
	done(&x);
	map(&x, REST,
	    "{\"multiValueHeaders\":{\"CONTENT-TYPE\":[\"text/html\"]}}");
	EXPECT_OK(&x, 200, "", "CONTENT-TYPE: text/html");
	done(&x);
	map(&x, HTTP1, "{\"statusCode\":200,\"body\":\"x\"}");
	EXPECT_OK(&x, 200, "x", CT);
	done(&x);
	map(&x, HTTP2, "{\"statusCode\":200,\"body\":\"x\"}");
	EXPECT_OK(&x, 200, "x", CT);
	done(&x);
	map(&x, HTTP2,
	    "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/csv\"}}");
	EXPECT_OK(&x, 200, "", "Content-Type: text/csv");
	done(&x);
}

static void
test_remapped(void)
{
	static const int apis[] = { REST, HTTP1, HTTP2 };
	struct run x;

	for (size_t i = 0; i < sizeof(apis) / sizeof(*apis); i++) {
		map(&x, apis[i],
		    "{\"statusCode\":200,\"headers\":{\"connection\":\"close\","
		    "\"Content-Length\":\"5\",\"date\":\"today\",\"SERVER\":"
		    "\"mine\",\"Transfer-Encoding\":\"chunked\",\"status\":"
		    "\"404\",\"X-Ok\":\"1\"},\"body\":\"hello\"}");
		EXPECT_OK(&x, 200, "hello", "x-amzn-Remapped-Connection: close",
		    "x-amzn-Remapped-Content-Length: 5",
		    "x-amzn-Remapped-Date: today",
		    "x-amzn-Remapped-Server: mine",
		    "x-amzn-Remapped-Status: 404", "X-Ok: 1", CT);
		done(&x);
	}
	/* multi values too */
	map(&x, REST, "{\"multiValueHeaders\":{\"Date\":[\"a\",\"b\"]}}");
	EXPECT_OK(&x, 200, "", "x-amzn-Remapped-Date: a",
	    "x-amzn-Remapped-Date: b", CT);
	done(&x);
}

static void
test_header_injection(void)
{
	static const int apis[] = { REST, HTTP1, HTTP2 };

	for (size_t i = 0; i < sizeof(apis) / sizeof(*apis); i++) {
		expect_malformed(apis[i],
		    "{\"statusCode\":200,\"headers\":{\"X\":\"a\\r\\nSet-"
		    "Cookie: "
		    "x=1\"}}");
		expect_malformed(apis[i],
		    "{\"statusCode\":200,\"headers\":{\"X\":\"a\\nb\"}}");
		expect_malformed(apis[i],
		    "{\"statusCode\":200,\"headers\":{\"X\":\"a\\u0000b\"}}");
		expect_malformed(apis[i],
		    "{\"statusCode\":200,\"headers\":{\"X Y\":\"a\"}}");
		expect_malformed(
		    apis[i], "{\"statusCode\":200,\"headers\":{\"X:\":\"a\"}}");
		expect_malformed(
		    apis[i], "{\"statusCode\":200,\"headers\":{\"\":\"a\"}}");
	}
	expect_malformed(
	    HTTP2, "{\"statusCode\":200,\"cookies\":[\"a\\r\\n\"]}");
	expect_malformed(
	    REST, "{\"multiValueHeaders\":{\"X\":[\"ok\",\"a\\rb\"]}}");
}

/* At most 1024 header lines; function-controlled names logged sanitised. */
static void
test_header_limits(void)
{
	size_t cap = 1100 * 8 + 64, off;
	char *s = malloc(cap);
	struct run x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	off = (size_t)snprintf(s, cap, "{\"statusCode\":200,\"cookies\":[");
	for (int i = 0; i < 1023; i++)
		off += (size_t)snprintf(
		    s + off, cap - off, "%s\"c\"", i ? "," : "");
	snprintf(s + off, cap - off, "]}");
	/* 1023 cookies + the default Content-Type: accepted */
	map(&x, HTTP2, s);
	CU_ASSERT_EQUAL(x.rc, 0);
	CU_ASSERT_EQUAL(x.r.nheaders, 1024);
	done(&x);
	/* 1025 lines from the function: rejected */
	snprintf(s + off, cap - off, ",\"d\",\"e\"]}");
	map(&x, HTTP2, s);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
	free(s);

	/* the reason names the header without its control characters */
	map(&x, REST, "{\"headers\":{\"a\\nb\":\"v\"}}");
	CU_ASSERT_TRUE(failed(&x, -1));
	CU_ASSERT_PTR_NULL(strchr(x.err, '\n'));
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "'a?b'"));
	done(&x);
	map(&x, REST, "{\"unknown\\r\\n\":1}");
	CU_ASSERT_TRUE(failed(&x, -1));
	CU_ASSERT_PTR_NULL(strpbrk(x.err, "\r\n"));
	done(&x);
}

/* ---- HTTP API, payload 1.0 (docs/apigw-facts.md 3.4) ---- */

static void
test_http_v1(void)
{
	struct run x;

	/* statusCode is required */
	expect_malformed(HTTP1, "{\"body\":\"x\"}");
	expect_malformed(HTTP1, "{\"statusCode\":null,\"body\":\"x\"}");
	expect_malformed(HTTP1, "{\"statusCode\":\"abc\"}");
	expect_malformed(HTTP1, "\"justAString\"");
	expect_malformed(HTTP1, "{\"statusCode\":200,\"body\":{}}");

	/* unknown keys are ignored */
	map(&x, HTTP1,
	    "{\"statusCode\":201,\"wrongValue\":\"v\",\"cookies\":[\"a=1\"],"
	    "\"body\":\"b\"}");
	EXPECT_OK(&x, 201, "b", CT);
	done(&x);

	/* multiValueHeaders honoured and merged as on REST */
	map(&x, HTTP1,
	    "{\"statusCode\":200,\"headers\":{\"x-m\":\"s\",\"N\":42,"
	    "\"B\":true},\"multiValueHeaders\":{\"X-M\":[\"m1\",\"m2\"]}}");
	EXPECT_OK(&x, 200, "", "X-M: m1", "X-M: m2", "X-M: s", "N: 42",
	    "B: true", CT);
	done(&x);

	/* base64 decoded whatever the Accept */
	map(&x, HTTP1,
	    "{\"statusCode\":200,\"body\":\"dGVzdA==\",\"isBase64Encoded\":"
	    "true}");
	EXPECT_OK(&x, 200, "test", CT);
	done(&x);
	/* invalid base64 is a malformed response (500), not -2 */
	expect_malformed(HTTP1,
	    "{\"statusCode\":200,\"body\":\"@@@\",\"isBase64Encoded\":true}");
}

/* ---- HTTP API, payload 2.0 (docs/apigw-facts.md 3.5) ---- */

static void
test_http_v2_structured(void)
{
	struct run x;

	map(&x, HTTP2,
	    "{\"statusCode\":201,\"headers\":{\"a\":\"1\",\"b\":\"x, y\"},"
	    "\"cookies\":[\"c=1; Path=/\",\"d=2\"],\"body\":\"hi\"}");
	EXPECT_OK(&x, 201, "hi", "Set-Cookie: c=1; Path=/", "Set-Cookie: d=2",
	    "a: 1", "b: x, y", CT);
	done(&x);

	/* cookies and a Set-Cookie header: both, the array first */
	map(&x, HTTP2,
	    "{\"statusCode\":200,\"headers\":{\"set-cookie\":\"h=1\"},"
	    "\"cookies\":[\"c=1\"]}");
	EXPECT_OK(&x, 200, "", "Set-Cookie: c=1", "set-cookie: h=1", CT);
	done(&x);

	/* multiValueHeaders and unknown keys are not read */
	map(&x, HTTP2,
	    "{\"statusCode\":200,\"multiValueHeaders\":{\"x\":[\"1\"]},"
	    "\"foo\":1}");
	EXPECT_OK(&x, 200, "", CT);
	done(&x);

	/* statusCode as a numeric string; nulls as absent */
	map(&x, HTTP2,
	    "{\"statusCode\":\"204\",\"headers\":null,\"cookies\":null,"
	    "\"body\":null,\"isBase64Encoded\":null}");
	EXPECT_OK(&x, 204, "", CT);
	done(&x);

	/* base64 decoded whenever isBase64Encoded is true */
	map_ex(&x, HTTP2,
	    "{\"statusCode\":200,\"body\":\"AP8A\",\"isBase64Encoded\":true}",
	    (size_t)-1, "text/html", NULL, 0);
	CU_ASSERT_EQUAL(x.rc, 0);
	CU_ASSERT_TRUE(body_is(&x, "\0\xff\0", 3));
	done(&x);

	/* header values: numbers and booleans stringified */
	map(&x, HTTP2, "{\"statusCode\":200,\"headers\":{\"n\":7,\"t\":true}}");
	EXPECT_OK(&x, 200, "", "n: 7", "t: true", CT);
	done(&x);

	expect_malformed(HTTP2, "{\"statusCode\":\"abc\"}");
	expect_malformed(HTTP2, "{\"statusCode\":null}");
	expect_malformed(HTTP2, "{\"statusCode\":200,\"body\":{\"a\":1}}");
	expect_malformed(HTTP2, "{\"statusCode\":200,\"cookies\":\"a=1\"}");
	expect_malformed(HTTP2, "{\"statusCode\":200,\"cookies\":[1]}");
	expect_malformed(HTTP2, "{\"statusCode\":200,\"headers\":[]}");
	expect_malformed(HTTP2, "{\"statusCode\":200,\"headers\":{\"a\":{}}}");
	expect_malformed(
	    HTTP2, "{\"statusCode\":200,\"isBase64Encoded\":\"yes\"}");
	expect_malformed(HTTP2,
	    "{\"statusCode\":200,\"body\":\"!!\",\"isBase64Encoded\":true}");
}

static void
test_http_v2_inferred(void)
{
	struct run x;

	/* a JSON string: its contents, without quotes (DOC table) */
	map(&x, HTTP2, "\"Hello from Lambda!\"");
	EXPECT_OK(&x, 200, "Hello from Lambda!", CT);
	done(&x);
	map(&x, HTTP2, "\"a\\nb\\u00e9\\\"\"");
	EXPECT_OK(&x, 200, "a\nb\xc3\xa9\"", CT);
	done(&x);
	map(&x, HTTP2, "\"\"");
	EXPECT_OK(&x, 200, "", CT);
	done(&x);

	/* an object without statusCode: its exact text (DOC table) */
	map(&x, HTTP2, "{ \"message\": \"Hello from Lambda!\" }");
	EXPECT_OK(&x, 200, "{ \"message\": \"Hello from Lambda!\" }", CT);
	done(&x);
	map(&x, HTTP2, "{\"body\":\"x\",\"headers\":{\"a\":\"b\"}}");
	EXPECT_OK(&x, 200, "{\"body\":\"x\",\"headers\":{\"a\":\"b\"}}", CT);
	done(&x);
	map(&x, HTTP2, "{}");
	EXPECT_OK(&x, 200, "{}", CT);
	done(&x);

	/* other JSON values, surrounding whitespace trimmed */
	map(&x, HTTP2, "42");
	EXPECT_OK(&x, 200, "42", CT);
	done(&x);
	map(&x, HTTP2, " 1.50\n");
	EXPECT_OK(&x, 200, "1.50", CT);
	done(&x);
	map(&x, HTTP2, "true");
	EXPECT_OK(&x, 200, "true", CT);
	done(&x);
	map(&x, HTTP2, "[1, 2]");
	EXPECT_OK(&x, 200, "[1, 2]", CT);
	done(&x);
	map(&x, HTTP2, "null");
	EXPECT_OK(&x, 200, "null", CT);
	done(&x);
}

/*
 * A 1xx is not a final response: nginx sent "100 Continue" and then the
 * body, which the client read as a second response (issue 12, bug 1).
 */
static void
test_informational_status(void)
{
	static const int apis[] = { REST, HTTP1, HTTP2 };
	static const char *const bad[] = {
		"{\"statusCode\":100,\"body\":\"HTTP/1.1 200 "
		"OK\\r\\nSet-Cookie: "
		"injected=1\\r\\nContent-Length: 5\\r\\n\\r\\nhello\"}",
		"{\"statusCode\":101}",
		"{\"statusCode\":103,\"body\":\"x\"}",
		"{\"statusCode\":199}",
		"{\"statusCode\":\"100\"}",
		"{\"statusCode\":150.0}",
	};
	struct run x;

	for (size_t i = 0; i < sizeof(apis) / sizeof(*apis); i++) {
		for (size_t j = 0; j < sizeof(bad) / sizeof(*bad); j++)
			expect_malformed(apis[i], bad[j]);
		map(&x, apis[i], "{\"statusCode\":200}");
		EXPECT_OK(&x, 200, "", CT);
		done(&x);
		map(&x, apis[i], "{\"statusCode\":599}");
		EXPECT_OK(&x, 599, "", CT);
		done(&x);
	}
	map(&x, REST, "{\"statusCode\":100}");
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "100"));
	done(&x);
}

/*
 * Header values may hold no control character but tab (CR, LF and NUL
 * were refused already; the other C0 bytes and DEL reached the client),
 * in headers, multiValueHeaders and 2.0 cookies alike.
 */
static void
test_header_controls(void)
{
	static const int apis[] = { REST, HTTP1, HTTP2 };
	char out[128];
	struct run x;

	for (int c = 0; c < 0x80; c++) {
		if (c >= 0x20 && c != 0x7f)
			continue;
		for (size_t i = 0; i < sizeof(apis) / sizeof(*apis); i++) {
			snprintf(out, sizeof(out),
			    "{\"statusCode\":200,\"headers\":{\"X\":"
			    "\"a\\u%04xb\"}}",
			    c);
			map(&x, apis[i], out);
			if (c == '\t') {
				EXPECT_OK(&x, 200, "", "X: a\tb", CT);
				done(&x);
				continue;
			}
			if (!failed(&x, -1))
				fprintf(stderr, "\nbyte 0x%02x accepted\n", c);
			CU_ASSERT_TRUE(failed(&x, -1));
			CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "control"));
			done(&x);
		}
		snprintf(out, sizeof(out),
		    "{\"multiValueHeaders\":{\"X\":[\"ok\",\"\\u%04x\"]}}", c);
		map(&x, REST, out);
		CU_ASSERT_EQUAL(x.rc, c == '\t' ? 0 : -1);
		done(&x);
		snprintf(out, sizeof(out),
		    "{\"statusCode\":200,\"cookies\":[\"a=\\u%04x\"]}", c);
		map(&x, HTTP2, out);
		CU_ASSERT_EQUAL(x.rc, c == '\t' ? 0 : -1);
		done(&x);
	}
	/* bytes from 0x80 up are obs-text: passed on, as HTTP allows */
	map(&x, HTTP2,
	    "{\"statusCode\":200,\"headers\":{\"X\":\"caf\xc3\xa9\"}}");
	EXPECT_OK(&x, 200, "", "X: caf\xc3\xa9", CT);
	done(&x);
	/* names: any byte that is not a token character */
	expect_malformed(REST, "{\"headers\":{\"X\\u007f\":\"a\"}}");
	expect_malformed(REST, "{\"headers\":{\"X\\u0001\":\"a\"}}");
	expect_malformed(
	    HTTP2, "{\"statusCode\":200,\"headers\":{\"X\\u00e9\":\"a\"}}");
	expect_malformed(
	    HTTP1, "{\"statusCode\":200,\"headers\":{\"(X)\":\"a\"}}");
}

/*
 * NaN and Infinity are not JSON, although json-c parses and writes them
 * (issue 12, bug 5: a payload 2.0 result NaN answered "200 NaN").
 */
static void
test_nan_infinity(void)
{
	static const int apis[] = { REST, HTTP1, HTTP2 };
	static const char *const bad[] = {
		"NaN",
		"Infinity",
		"-Infinity",
		"[1,NaN]",
		"{\"a\":{\"b\":[Infinity]}}",
		"{\"statusCode\":NaN}",
		"{\"statusCode\":Infinity}",
		"{\"statusCode\":200,\"body\":\"x\",\"extra\":NaN}",
		"{\"statusCode\":200,\"headers\":{\"x\":-Infinity}}",
		"{\"statusCode\":200,\"multiValueHeaders\":{\"x\":[NaN]}}",
		"{\"statusCode\":200,\"body\":{\"n\":NaN}}",
	};
	struct run x;

	for (size_t i = 0; i < sizeof(apis) / sizeof(*apis); i++)
		for (size_t j = 0; j < sizeof(bad) / sizeof(*bad); j++)
			expect_malformed(apis[i], bad[j]);
	/* in strings, and 1e999 (valid JSON, even if out of range) */
	map(&x, HTTP2, "{\"NaN\":\"Infinity\",\"x\":1e999}");
	EXPECT_OK(&x, 200, "{\"NaN\":\"Infinity\",\"x\":1e999}", CT);
	done(&x);
	map(&x, HTTP1, "{\"statusCode\":200,\"body\":\"NaN\",\"x\":-1e999}");
	EXPECT_OK(&x, 200, "NaN", CT);
	done(&x);
}

/* ---- bad JSON, deep JSON, huge output ---- */

static void
test_bad_json(void)
{
	static const int apis[] = { REST, HTTP1, HTTP2 };
	struct run x;

	for (size_t i = 0; i < sizeof(apis) / sizeof(*apis); i++) {
		expect_malformed(apis[i], "");
		expect_malformed(apis[i], "   ");
		expect_malformed(apis[i], "{");
		expect_malformed(apis[i], "{\"statusCode\":200} x");
		expect_malformed(apis[i], "{\"statusCode\":200}{}");
		expect_malformed(apis[i], "{'statusCode':200}");
		expect_malformed(apis[i], "{\"statusCode\":200,}");
		expect_malformed(apis[i], "Hello");
		expect_malformed(apis[i], "\"unterminated");
		/* invalid UTF-8 */
		expect_malformed(
		    apis[i], "{\"statusCode\":200,\"body\":\"\xff\"}");
		/* a NUL byte after the value */
		map_ex(
		    &x, apis[i], "{\"statusCode\":200}\0x", 20, NULL, NULL, 0);
		CU_ASSERT_TRUE(failed(&x, -1));
		done(&x);
		/* only len bytes are read */
		map_ex(
		    &x, apis[i], "{\"statusCode\":200}xyz", 18, NULL, NULL, 0);
		CU_ASSERT_EQUAL(x.rc, 0);
		CU_ASSERT_EQUAL(x.r.status, 200);
		done(&x);
	}
	/* single quotes inside strings are fine */
	map(&x, REST, "{\"body\":\"it's \\\"'q'\\\"\"}");
	EXPECT_OK(&x, 200, "it's \"'q'\"", CT);
	done(&x);
	map(&x, HTTP2, "\"it's\"");
	EXPECT_OK(&x, 200, "it's", CT);
	done(&x);

	/* whitespace around the value is fine */
	map(&x, REST, " \n\t{\"statusCode\":204}\r\n ");
	EXPECT_OK(&x, 204, "", CT);
	done(&x);

	/* no output at all */
	map_ex(&x, HTTP2, NULL, 0, NULL, NULL, 0);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
}

/* prefix, `depth` nested arrays, suffix; malloc'ed. */
static char *
deep(int depth, const char *prefix, const char *suffix)
{
	size_t len = (size_t)depth * 2 + strlen(prefix) + strlen(suffix) + 1;
	char *s = malloc(len);
	size_t off;

	if (s == NULL)
		return NULL;
	off = (size_t)snprintf(s, len, "%s", prefix);
	memset(s + off, '[', (size_t)depth);
	off += (size_t)depth;
	memset(s + off, ']', (size_t)depth);
	off += (size_t)depth;
	snprintf(s + off, len - off, "%s", suffix);
	return s;
}

static void
test_deep_json(void)
{
	struct run x;
	char *s;

	/* the object + 63 arrays = 64 levels: parsed */
	s = deep(63, "{\"statusCode\":200,\"x\":", "}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	map(&x, HTTP2, s);
	EXPECT_OK(&x, 200, "", CT);
	done(&x);
	free(s);

	/* one level more: rejected */
	s = deep(64, "{\"statusCode\":200,\"x\":", "}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	map(&x, HTTP2, s);
	CU_ASSERT_TRUE(failed(&x, -1));
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "deeper"));
	done(&x);
	free(s);

	/* far deeper: rejected without recursing, on every API type */
	s = deep(100000, "{\"body\":", "}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	map(&x, REST, s);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
	map(&x, HTTP1, s);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
	free(s);

	/* a deep value that 2.0 would infer is rejected too */
	s = deep(100, "", "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	map(&x, HTTP2, s);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
	free(s);
}

static void
test_huge(void)
{
	size_t len = LB_RESPONSE_MAX;
	char *s = malloc(len + 2);
	struct run x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* exactly the limit: a JSON string of LB_RESPONSE_MAX bytes */
	s[0] = '"';
	memset(s + 1, 'a', len - 2);
	s[len - 1] = '"';
	s[len] = '\0';
	map_ex(&x, HTTP2, s, len, NULL, NULL, 0);
	CU_ASSERT_EQUAL(x.rc, 0);
	CU_ASSERT_EQUAL(x.r.status, 200);
	CU_ASSERT_EQUAL(x.r.body_len, len - 2);
	done(&x);

	/* one byte over: rejected before parsing, on every API type */
	s[len - 1] = ' ';
	s[len] = '"';
	s[len + 1] = '\0';
	map_ex(&x, HTTP2, s, len + 1, NULL, NULL, 0);
	CU_ASSERT_TRUE(failed(&x, -1));
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "exceeds"));
	done(&x);
	map_ex(&x, REST, s, len + 1, NULL, NULL, 0);
	CU_ASSERT_TRUE(failed(&x, -1));
	done(&x);
	free(s);
}

/* s, then n copies of c, then t, in a malloc'ed string */
static char *
padded(const char *s, size_t n, char c, const char *t)
{
	size_t a = strlen(s), b = strlen(t);
	char *r = malloc(a + n + b + 1);

	CU_ASSERT_FATAL(r != NULL);
	memcpy(r, s, a);
	memset(r + a, c, n);
	memcpy(r + a + n, t, b + 1);
	return r;
}

/*
 * Strings long enough that the mapper reads them where they lie in the
 * result (4 KB and more) come out as the short ones do: bodies, header
 * values, cookies, an inferred string body, a statusCode; base64 with and
 * without line breaks; escapes in a long string.
 */
static void
test_long_strings(void)
{
	enum { N = 9000 };
	struct run x;
	char *out, *enc, *wrapped, *raw = malloc(N);
	size_t elen, w = 0;

	CU_ASSERT_FATAL(raw != NULL);
	/* a body with '/' (json-c writes it escaped, the body has it bare) */
	out = padded("{\"statusCode\":200,\"body\":\"/", N, 'b', "/\"}");
	map(&x, HTTP2, out);
	CU_ASSERT_EQUAL_FATAL(x.r.body_len, N + 2);
	CU_ASSERT(x.r.body[0] == '/' && x.r.body[1] == 'b' &&
	    x.r.body[N] == 'b' && x.r.body[N + 1] == '/');
	done(&x);
	free(out);
	/* with an escape: unescaped, as before */
	out = padded("{\"statusCode\":200,\"body\":\"\\n", N, 'b', "\"}");
	map(&x, REST, out);
	CU_ASSERT_EQUAL_FATAL(x.r.body_len, N + 1);
	CU_ASSERT(x.r.body[0] == '\n' && x.r.body[N] == 'b');
	done(&x);
	free(out);
	/* a header value and a cookie */
	out = padded("{\"statusCode\":201,\"cookies\":[\"c=", N, 'c',
	    "\"],\"headers\":{\"X-Long\":\"h\"}}");
	map(&x, HTTP2, out);
	CU_ASSERT_EQUAL(x.r.status, 201);
	CU_ASSERT_EQUAL_FATAL(x.r.nheaders, 3);
	for (size_t i = 0; i < x.r.nheaders; i++)
		if (strcmp(x.r.headers[i].name, "Set-Cookie") == 0)
			w = i + 1;
	CU_ASSERT_FATAL(w > 0);
	CU_ASSERT_EQUAL(strlen(x.r.headers[w - 1].value), N + 2);
	CU_ASSERT(strncmp(x.r.headers[w - 1].value, "c=ccc", 5) == 0);
	w = 0;
	done(&x);
	free(out);
	out = padded(
	    "{\"statusCode\":200,\"headers\":{\"X-Long\":\"", N, 'h', "\"}}");
	map(&x, REST, out);
	CU_ASSERT_EQUAL_FATAL(x.r.nheaders, 2);
	CU_ASSERT_STRING_EQUAL(x.r.headers[0].name, "X-Long");
	CU_ASSERT_EQUAL(strlen(x.r.headers[0].value), N);
	done(&x);
	free(out);
	/* a 2.0 result that is a long string: its contents */
	out = padded("\"", N, 's', "\"");
	map(&x, HTTP2, out);
	CU_ASSERT_EQUAL(x.r.body_len, N);
	CU_ASSERT(x.r.body != NULL && x.r.body[N - 1] == 's');
	done(&x);
	free(out);
	/* a long statusCode string is no integer */
	out = padded("{\"statusCode\":\"2", N, '0', "\"}");
	map(&x, HTTP2, out);
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "not a valid integer"));
	done(&x);
	free(out);
	/* base64, then the same wrapped at 76 columns */
	for (size_t i = 0; i < N; i++)
		raw[i] = (char)(i * 31 + 7);
	enc = malloc(N / 3 * 4 + 8);
	wrapped = malloc(N / 3 * 4 * 2 + 8);
	CU_ASSERT_FATAL(enc != NULL && wrapped != NULL);
	elen = lb_b64_encode(raw, N, enc);
	for (size_t i = 0; i < elen; i++) {
		if (i > 0 && i % 76 == 0) {
			wrapped[w++] = '\\';
			wrapped[w++] = 'n';
		}
		wrapped[w++] = enc[i];
	}
	wrapped[w] = '\0';
	enc[elen] = '\0';
	for (int k = 0; k < 2; k++) {
		out = padded("{\"statusCode\":200,\"isBase64Encoded\":true,"
		             "\"body\":\"",
		    0, ' ', k == 0 ? enc : wrapped);
		char *full = padded(out, 0, ' ', "\"}");

		map(&x, HTTP2, full);
		CU_ASSERT_EQUAL(x.rc, 0);
		CU_ASSERT_EQUAL_FATAL(x.r.body_len, N);
		CU_ASSERT(memcmp(x.r.body, raw, N) == 0);
		done(&x);
		free(full);
		free(out);
	}
	/* and not base64 at all */
	out = padded("{\"statusCode\":200,\"isBase64Encoded\":true,"
	             "\"body\":\"",
	    N, '%', "\"}");
	map(&x, HTTP2, out);
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "not valid base64"));
	done(&x);
	free(out);
	free(enc);
	free(wrapped);
	free(raw);
}

void
lb_test_suite_response(void)
{
	static CU_TestInfo tests[] = {
		{ "REST statusCode", test_rest_status },
		{ "REST shape and unknown keys", test_rest_shape },
		{ "REST header values", test_rest_header_values },
		{ "REST headers + multiValueHeaders merge", test_rest_merge },
		{ "REST base64 and binaryMediaTypes", test_rest_base64 },
		{ "default Content-Type", test_content_type },
		{ "remapped headers", test_remapped },
		{ "header injection", test_header_injection },
		{ "header limits and log safety", test_header_limits },
		{ "HTTP API payload 1.0", test_http_v1 },
		{ "HTTP API 2.0 structured", test_http_v2_structured },
		{ "HTTP API 2.0 inference", test_http_v2_inferred },
		{ "1xx statusCode", test_informational_status },
		{ "control characters in headers", test_header_controls },
		{ "NaN and Infinity", test_nan_infinity },
		{ "bad JSON", test_bad_json },
		{ "deep JSON", test_deep_json },
		{ "huge output", test_huge },
		{ "long strings, read where they lie", test_long_strings },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("response", tests);
}
