/*
 * test_accesslog.c - the access log format (apigw/accesslog.h): compiling a
 * template, its refusals, and filling it (literal bytes expected); and the
 * reopenable log file (base/logfile.h) after a rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apigw/accesslog.h"
#include "base/logfile.h"
#include "test.h"

void lb_test_suite_accesslog(void);

/* Compiles fmt, which must be accepted. */
static struct lb_accesslog *
ok_parse(const char *fmt)
{
	char err[256] = "";
	struct lb_accesslog *al = lb_accesslog_parse(fmt, err, sizeof(err));

	if (al == NULL)
		fprintf(stderr, "\n  '%s': %s\n", fmt, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(al);
	return al;
}

/* fmt must be refused with a reason containing `why`. */
static void
refused(const char *fmt, const char *why)
{
	char err[256] = "";
	struct lb_accesslog *al = lb_accesslog_parse(fmt, err, sizeof(err));

	CU_ASSERT_PTR_NULL(al);
	lb_accesslog_free(al);
	if (strstr(err, why) == NULL)
		fprintf(
		    stderr, "\n  '%s': got '%s', want '%s'\n", fmt, err, why);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
}

static void
test_refusals(void)
{
	char big[LB_ACCESSLOG_FORMAT_MAX + 2];

	refused("", "empty format");
	refused("$context.status", "must name $context.requestId");
	refused("$context.requestid", "unknown variable '$context.requestid'");
	refused("$context.requestId $context.identity.bogus x",
	    "unknown variable '$context.identity.bogus'");
	refused("$context.requestId\n", "control character 0x0a");
	refused("$context.requestId\t$context.status", "control character");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "$context.requestId", 18);
	refused(big, "at most 3072");
	/* extendedRequestId alone is enough, as API Gateway takes it */
	lb_accesslog_free(ok_parse("$context.extendedRequestId"));
	/* '$' that is not $context. is text */
	lb_accesslog_free(
	    ok_parse("$5 $context $input.body $context.requestId"));
}

static void
test_uses(void)
{
	struct lb_accesslog *al =
	    ok_parse("$context.requestId $context.integration.latency");

	CU_ASSERT_TRUE(lb_accesslog_uses(al, LB_ACCESSLOG_REQUEST_ID));
	CU_ASSERT_TRUE(lb_accesslog_uses(al, LB_ACCESSLOG_INTEGRATION_LATENCY));
	CU_ASSERT_FALSE(lb_accesslog_uses(al, LB_ACCESSLOG_STATUS));
	lb_accesslog_free(al);
}

/* The values of one known request. */
static void
known(struct lb_accesslog_values *v)
{
	lb_accesslog_values_init(v);
	v->str[LB_ACCESSLOG_REQUEST_ID] = "Ab1Cd2Ef3Gh4Ij5=";
	v->str[LB_ACCESSLOG_SOURCE_IP] = "192.0.2.7";
	v->str[LB_ACCESSLOG_HTTP_METHOD] = "GET";
	v->str[LB_ACCESSLOG_ROUTE_KEY] = "GET /pets/{id}";
	v->str[LB_ACCESSLOG_PROTOCOL] = "HTTP/1.1";
	v->num[LB_ACCESSLOG_STATUS] = 200;
	v->num[LB_ACCESSLOG_RESPONSE_LENGTH] = 17;
	v->num[LB_ACCESSLOG_INTEGRATION_LATENCY] = 0;
	/* 2026-12-06T06:53:25.123Z */
	v->time_ms = 1796540005123LL;
}

static void
test_clf(void)
{
	struct lb_accesslog *al = ok_parse(
	    "$context.identity.sourceIp - - [$context.requestTime] "
	    "\"$context.httpMethod $context.routeKey $context.protocol\" "
	    "$context.status $context.responseLength $context.requestId");
	struct lb_accesslog_values v;
	char out[512];
	size_t n;

	known(&v);
	n = lb_accesslog_render(al, &v, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
	    "192.0.2.7 - - [06/Dec/2026:06:53:25 +0000] "
	    "\"GET GET /pets/{id} HTTP/1.1\" 200 17 Ab1Cd2Ef3Gh4Ij5=\n");
	CU_ASSERT_EQUAL(n, strlen(out));
	lb_accesslog_free(al);
}

static void
test_json_and_dashes(void)
{
	struct lb_accesslog *al = ok_parse(
	    "{\"requestId\":\"$context.requestId\",\"ua\":\"$context."
	    "identity.userAgent\",\"epoch\":$context.requestTimeEpoch,"
	    "\"lat\":\"$context.integrationLatency\",\"err\":\"$context."
	    "error.message\",\"resp\":\"$context.responseLatency\","
	    "\"x\":\"$context.requestId.\"}");
	struct lb_accesslog_values v;
	char out[512];

	known(&v);
	v.str[LB_ACCESSLOG_USER_AGENT] = "a \"q\" \\ \x01\n";
	v.str[LB_ACCESSLOG_ERROR_MESSAGE] = ""; /* empty is no value too */
	lb_accesslog_render(al, &v, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
	    "{\"requestId\":\"Ab1Cd2Ef3Gh4Ij5=\",\"ua\":\"a \\\"q\\\" \\\\ "
	    "\\x01\\n\",\"epoch\":1796540005123,\"lat\":\"0\",\"err\":\"-\","
	    "\"resp\":\"-\",\"x\":\"Ab1Cd2Ef3Gh4Ij5=.\"}\n");
	lb_accesslog_free(al);
}

static void
test_longest_name(void)
{
	struct lb_accesslog *al = ok_parse(
	    "$context.requestId $context.integration.integrationStatus "
	    "$context.integrationStatus $context.integration.status "
	    "$context.requestTimeEpoch");
	struct lb_accesslog_values v;
	char out[256];

	known(&v);
	v.num[LB_ACCESSLOG_INTEGRATION_STATUS] = 200;
	v.num[LB_ACCESSLOG_INTEGRATION_FN_STATUS] = 201;
	lb_accesslog_render(al, &v, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(
	    out, "Ab1Cd2Ef3Gh4Ij5= 200 200 201 1796540005123\n");
	lb_accesslog_free(al);
}

static void
test_cut(void)
{
	struct lb_accesslog *al = ok_parse("$context.requestId tail-text");
	struct lb_accesslog_values v;
	char out[8];
	size_t n;

	known(&v);
	n = lb_accesslog_render(al, &v, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_STRING_EQUAL(out, "Ab1Cd2\n");
	lb_accesslog_free(al);
}

static void
test_clf_time(void)
{
	char t[32];

	lb_accesslog_clf_time(0, t);
	CU_ASSERT_STRING_EQUAL(t, "01/Jan/1970:00:00:00 +0000");
	lb_accesslog_clf_time(1796540005999LL, t);
	CU_ASSERT_STRING_EQUAL(t, "06/Dec/2026:06:53:25 +0000");
}

static char *
slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_logfile_reopen(void)
{
	char dir[] = "/tmp/lb-test-accesslog-XXXXXX", path[128], moved[128];
	char err[256];
	struct lb_logfile *lf;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/access.log", dir);
	snprintf(moved, sizeof(moved), "%s/access.log.1", dir);
	lf = lb_logfile_open(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	CU_ASSERT_EQUAL(lb_logfile_write(lf, "one\n", 4), 0);
	CU_ASSERT_EQUAL(rename(path, moved), 0);
	CU_ASSERT_EQUAL(lb_logfile_write(lf, "two\n", 4), 0);
	CU_ASSERT_EQUAL(lb_logfile_reopen(lf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(lb_logfile_write(lf, "three\n", 6), 0);
	CU_ASSERT_STRING_EQUAL(slurp(moved), "one\ntwo\n");
	CU_ASSERT_STRING_EQUAL(slurp(path), "three\n");
	CU_ASSERT_EQUAL(lb_logfile_lost(lf), 0);
	/* the folder gone: reopening fails, the old file stays in use */
	unlink(path);
	unlink(moved);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
	CU_ASSERT_EQUAL(lb_logfile_reopen(lf, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
	CU_ASSERT_EQUAL(lb_logfile_write(lf, "four\n", 5), 0);
	lb_logfile_close(lf);
	CU_ASSERT_PTR_NULL(lb_logfile_open(path, err, sizeof(err)));
}

static void
test_logfile_full(void)
{
	char err[256];
	struct lb_logfile *lf = lb_logfile_open("/dev/full", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
	errno = 0;
	CU_ASSERT_EQUAL(lb_logfile_write(lf, "x\n", 2), -1);
	CU_ASSERT_EQUAL(errno, ENOSPC);
	CU_ASSERT_EQUAL(lb_logfile_write(lf, "y\n", 2), -1);
	CU_ASSERT_EQUAL(lb_logfile_lost(lf), 2);
	CU_ASSERT_STRING_EQUAL(lb_logfile_path(lf), "/dev/full");
	lb_logfile_close(lf);
}

void
lb_test_suite_accesslog(void)
{
	static CU_TestInfo tests[] = {
		{ "refused formats", test_refusals },
		{ "variables used", test_uses },
		{ "CLF preset", test_clf },
		{ "JSON template, escapes, dashes", test_json_and_dashes },
		{ "longest name wins", test_longest_name },
		{ "a line cut to the buffer", test_cut },
		{ "requestTime", test_clf_time },
		{ "log file reopened after a rename", test_logfile_reopen },
		{ "lines a full disk refuses are counted", test_logfile_full },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("accesslog", tests);
}
