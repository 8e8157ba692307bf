/*
 * test_jsonlog.c - the JSON log format (lambda/jsonlog.h): level names, the
 * level of a function's line, and the platform records, parsed back and
 * compared structurally.
 */
#include <string.h>

#include <json-c/json.h>

#include "lambda/jsonlog.h"
#include "test.h"

void lb_test_suite_jsonlog(void);

static int
line_level(const char *s)
{
	return lb_jsonlog_line_level(s, strlen(s));
}

static void
test_levels(void)
{
	CU_ASSERT_EQUAL(lb_jsonlog_level_from_name("TRACE"), LB_JSONLOG_TRACE);
	CU_ASSERT_EQUAL(lb_jsonlog_level_from_name("FATAL"), LB_JSONLOG_FATAL);
	CU_ASSERT_EQUAL(lb_jsonlog_level_from_name("info"), -1);
	CU_ASSERT_EQUAL(lb_jsonlog_level_from_name("WARNING"), -1);
	CU_ASSERT_STRING_EQUAL(lb_jsonlog_level_name(LB_JSONLOG_WARN), "WARN");
	CU_ASSERT_STRING_EQUAL(lb_jsonlog_level_name(99), "INFO");

	CU_ASSERT_EQUAL(line_level("{\"level\":\"debug\",\"msg\":\"x\"}"),
	    LB_JSONLOG_DEBUG);
	CU_ASSERT_EQUAL(
	    line_level("  {\"level\": \"Error\"} "), LB_JSONLOG_ERROR);
	CU_ASSERT_EQUAL(line_level("{\"level\":\"WARNING\"}"), LB_JSONLOG_WARN);
	CU_ASSERT_EQUAL(
	    line_level("{\"level\":\"CRITICAL\"}"), LB_JSONLOG_FATAL);
	/* missing, unknown or not a string: INFO, as Lambda assigns it */
	CU_ASSERT_EQUAL(line_level("{\"msg\":\"x\"}"), LB_JSONLOG_INFO);
	CU_ASSERT_EQUAL(line_level("{\"level\":\"LOUD\"}"), LB_JSONLOG_INFO);
	CU_ASSERT_EQUAL(line_level("{\"level\":3}"), LB_JSONLOG_INFO);
	/* not one JSON object: plain text, not filtered */
	CU_ASSERT_EQUAL(line_level("plain text"), -1);
	CU_ASSERT_EQUAL(line_level(""), -1);
	CU_ASSERT_EQUAL(line_level("[1,2]"), -1);
	CU_ASSERT_EQUAL(line_level("{\"level\":\"ERROR\""), -1);
	CU_ASSERT_EQUAL(line_level("{\"level\":\"ERROR\"} trailing"), -1);
	CU_ASSERT_EQUAL(line_level("{} {}"), -1);
	/* not terminated at len */
	CU_ASSERT_EQUAL(lb_jsonlog_line_level("{\"level\":\"ERROR\"}xyz", 17),
	    LB_JSONLOG_ERROR);
	CU_ASSERT_EQUAL(
	    lb_jsonlog_record_level(LB_JSONLOG_RUNTIME_DONE), LB_JSONLOG_DEBUG);
	CU_ASSERT_EQUAL(
	    lb_jsonlog_record_level(LB_JSONLOG_REPORT), LB_JSONLOG_INFO);
}

static void
inv_init(struct lb_jsonlog_inv *j)
{
	memset(j, 0, sizeof(*j));
	j->request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
	j->function_name = "fn";
	j->function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn";
	j->version = "$LATEST";
	j->time_ms = 1796540005123LL; /* 2026-12-06T06:53:25.123Z */
	j->duration_ms = 2.5;
	j->memory_mb = 128;
	j->max_memory_mb = 20;
	j->produced_bytes = 42;
}

/* Record r of j equals the JSON text `want`, structurally. */
static void
record_is(
    enum lb_jsonlog_record r, const struct lb_jsonlog_inv *j, const char *want)
{
	char out[2048];
	size_t n = lb_jsonlog_record(r, j, out, sizeof(out));
	json_object *got, *exp;

	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(n, strlen(out));
	CU_ASSERT_PTR_NULL(strchr(out, '\n'));
	got = json_tokener_parse(out);
	exp = json_tokener_parse(want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	CU_ASSERT_PTR_NOT_NULL(got);
	CU_ASSERT_TRUE(json_object_equal(got, exp));
	if (!json_object_equal(got, exp))
		fprintf(stderr, "\n  got  %s\n  want %s\n", out, want);
	json_object_put(got);
	json_object_put(exp);
}

static void
test_records(void)
{
	struct lb_jsonlog_inv j;

	inv_init(&j);
	record_is(LB_JSONLOG_START, &j,
	    "{\"time\":\"2026-12-06T06:53:25.123Z\",\"type\":\"platform."
	    "start\","
	    "\"record\":{\"requestId\":\"8476a536-e9f4-11e8-9739-"
	    "2dfe598c3fcd\",\"functionArn\":\"arn:aws:lambda:us-east-1:"
	    "123456789012:function:fn\",\"version\":\"$LATEST\"}}");
	record_is(LB_JSONLOG_INIT_START, &j,
	    "{\"time\":\"2026-12-06T06:53:25.123Z\",\"type\":"
	    "\"platform.initStart\",\"record\":{\"initializationType\":"
	    "\"on-demand\",\"phase\":\"init\",\"functionName\":\"fn\","
	    "\"functionVersion\":\"$LATEST\"}}");
	record_is(LB_JSONLOG_RUNTIME_DONE, &j,
	    "{\"time\":\"2026-12-06T06:53:25.123Z\",\"type\":"
	    "\"platform.runtimeDone\",\"record\":{\"requestId\":\"8476a536-"
	    "e9f4-11e8-9739-2dfe598c3fcd\",\"status\":\"success\","
	    "\"metrics\":{\"durationMs\":2.5,\"producedBytes\":42}}}");
	record_is(LB_JSONLOG_REPORT, &j,
	    "{\"time\":\"2026-12-06T06:53:25.123Z\",\"type\":"
	    "\"platform.report\",\"record\":{\"requestId\":\"8476a536-e9f4-"
	    "11e8-9739-2dfe598c3fcd\",\"metrics\":{\"durationMs\":2.5,"
	    "\"billedDurationMs\":3,\"memorySizeMB\":128,"
	    "\"maxMemoryUsedMB\":20},\"status\":\"success\"}}");
	/* a cold start's init duration, an error's type, escaped */
	j.init_ms = 150.25;
	j.status = LB_JSONLOG_ST_FAILURE;
	j.error_type = "Bad\"Type\n";
	record_is(LB_JSONLOG_REPORT, &j,
	    "{\"time\":\"2026-12-06T06:53:25.123Z\",\"type\":"
	    "\"platform.report\",\"record\":{\"requestId\":\"8476a536-e9f4-"
	    "11e8-9739-2dfe598c3fcd\",\"metrics\":{\"durationMs\":2.5,"
	    "\"billedDurationMs\":3,\"memorySizeMB\":128,"
	    "\"maxMemoryUsedMB\":20,\"initDurationMs\":150.25},\"status\":"
	    "\"failure\",\"errorType\":\"Bad\\\"Type\\n\"}}");
	j.status = LB_JSONLOG_ST_TIMEOUT;
	j.provisioned = 1;
	record_is(LB_JSONLOG_INIT_START, &j,
	    "{\"time\":\"2026-12-06T06:53:25.123Z\",\"type\":"
	    "\"platform.initStart\",\"record\":{\"initializationType\":"
	    "\"provisioned-concurrency\",\"phase\":\"init\",\"functionName\":"
	    "\"fn\",\"functionVersion\":\"$LATEST\"}}");
}

static void
test_record_cut(void)
{
	struct lb_jsonlog_inv j;
	char out[64];

	inv_init(&j);
	CU_ASSERT_EQUAL(
	    lb_jsonlog_record(LB_JSONLOG_REPORT, &j, out, sizeof(out)), 0);
}

void
lb_test_suite_jsonlog(void)
{
	static CU_TestInfo tests[] = {
		{ "levels", test_levels },
		{ "platform records", test_records },
		{ "a record that does not fit", test_record_cut },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("jsonlog", tests);
}
