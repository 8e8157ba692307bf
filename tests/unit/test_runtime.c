/* test_runtime.c - the handler runtime helpers of lambdabridge.h
 * (lambda/runtime.c): lb_event_body. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "lambda/runtime.h"
#include "lambdabridge.h"
#include "test.h"

static json_object *
event_of(const char *json)
{
	json_object *o = json_tokener_parse(json);

	CU_ASSERT_FATAL(o != NULL);
	return o;
}

/* A text body comes back as it is, its length the string's. */
static void
test_body_text(void)
{
	json_object *ev =
	    event_of("{\"body\":\"{\\\"a\\\":1}\",\"isBase64Encoded\":false}");
	size_t len = 99;
	const char *b;

	lb_runtime_begin();
	b = lb_event_body(ev, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_EQUAL(memcmp(b, "{\"a\":1}", 8), 0);
	lb_runtime_end();
	json_object_put(ev);
}

/* base64 is decoded, NULs and high bytes included (binary-safe). */
static void
test_body_base64_binary(void)
{
	/* 00 ff 41 00 0a 80 */
	json_object *ev =
	    event_of("{\"body\":\"AP9BAAqA\",\"isBase64Encoded\":true}");
	static const unsigned char want[] = { 0x00, 0xff, 0x41, 0x00, 0x0a,
		0x80 };
	size_t len = 0;
	const char *b, *again;

	lb_runtime_begin();
	b = lb_event_body(ev, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(b, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(b[len], '\0');
	/* asked again: another buffer, both valid until the end */
	again = lb_event_body(ev, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_EQUAL(memcmp(again, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(memcmp(b, want, sizeof(want)), 0);
	lb_runtime_end(); /* ASan: freed here, not leaked */
	json_object_put(ev);
}

/* A text body with an embedded NUL (\u0000) keeps its full length. */
static void
test_body_text_nul(void)
{
	json_object *ev = event_of("{\"body\":\"a\\u0000b\"}");
	size_t len = 0;
	const char *b;

	b = lb_event_body(ev, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_EQUAL(memcmp(b, "a\0b", 3), 0);
	json_object_put(ev);
}

/* No body (null, absent, not a string), bad base64: NULL, *len 0, errno. */
static void
test_body_none_and_bad(void)
{
	static const char *none[] = {
		"{\"body\":null,\"isBase64Encoded\":false}", "{}",
		"{\"body\":12}"
	};
	json_object *ev;
	size_t len;

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		ev = event_of(none[i]);
		len = 5;
		errno = 0;
		CU_ASSERT_PTR_NULL(lb_event_body(ev, &len));
		CU_ASSERT_EQUAL(len, 0);
		CU_ASSERT_EQUAL(errno, ENOENT);
		json_object_put(ev);
	}
	CU_ASSERT_PTR_NULL(lb_event_body(NULL, &len));
	ev = event_of("{\"body\":\"not base64!\",\"isBase64Encoded\":true}");
	len = 5;
	errno = 0;
	CU_ASSERT_PTR_NULL(lb_event_body(ev, &len));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(errno, EINVAL);
	json_object_put(ev);
	/* an empty base64 body is an empty body, not an error */
	ev = event_of("{\"body\":\"\",\"isBase64Encoded\":true}");
	CU_ASSERT_PTR_NOT_NULL(lb_event_body(ev, &len));
	CU_ASSERT_EQUAL(len, 0);
	lb_runtime_end();
	json_object_put(ev);
}

void lb_test_suite_runtime(void);

void
lb_test_suite_runtime(void)
{
	static CU_TestInfo tests[] = {
		{ "body as text", test_body_text },
		{ "base64 body, binary", test_body_base64_binary },
		{ "text body with a NUL", test_body_text_nul },
		{ "no body, bad base64", test_body_none_and_bad },
		CU_TEST_INFO_NULL,
	};
	LB_TEST_SUITE("runtime", tests);
}
