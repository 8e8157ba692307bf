/*
 * test_config_logs.c - the logging settings (config_logs.c): a function's
 * log_format and levels, gateway.access_log's path and format, their
 * defaults and their FILE:LINE errors, through lb_config_load.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lambda/jsonlog.h"
#include "test.h"

void lb_test_suite_config_logs(void);

static char dir[PATH_MAX], path[PATH_MAX + 16];

/* Loads `gw` (inside gateway: { }) and `fn` (inside the one function's
 * group) from a temporary folder holding mod.so and logs/; err gets the
 * message. */
static struct lb_config *
load(const char *gw, const char *fn, char *err, size_t errlen)
{
	char tmpl[] = "/tmp/lbcfglogsXXXXXX", p[PATH_MAX + 32];
	struct lb_config *cfg;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpl));
	CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(tmpl, dir));
	snprintf(p, sizeof(p), "%s/mod.so", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/logs", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f,
	    "gateway: {\n  strict_modes = false;\n  %s\n};\n"
	    "functions = (\n  { name = \"f\"; module = \"mod.so\";\n"
	    "    handler = \"h\";\n    %s\n  }\n);\n",
	    gw, fn);
	fclose(f);
	err[0] = '\0';
	cfg = lb_config_load(path, NULL, err, errlen);
	unlink(path);
	snprintf(p, sizeof(p), "%s/logs", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/mod.so", dir);
	unlink(p);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
	return cfg;
}

/* The load fails with "t.conf:LINE: SETTING: ...WHY...". */
static void
fails(const char *gw, const char *fn, int line, const char *setting,
    const char *why)
{
	char err[1024], want[PATH_MAX + 300];
	struct lb_config *cfg = load(gw, fn, err, sizeof(err));
	int ok;

	CU_ASSERT_PTR_NULL(cfg);
	lb_config_free(cfg);
	snprintf(want, sizeof(want), "%s:%d: %s: ", path, line, setting);
	ok = strncmp(err, want, strlen(want)) == 0 && strstr(err, why) != NULL;
	if (!ok)
		fprintf(
		    stderr, "\n  got:  %s\n  want: %s...%s\n", err, want, why);
	CU_ASSERT(ok);
}

static void
test_defaults(void)
{
	char err[1024];
	struct lb_config *cfg = load("", "", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_FALSE(cfg->functions[0].log_json);
	CU_ASSERT_EQUAL(cfg->functions[0].app_log_level, LB_JSONLOG_INFO);
	CU_ASSERT_EQUAL(cfg->functions[0].sys_log_level, LB_JSONLOG_INFO);
	CU_ASSERT_FALSE(cfg->access_log.set);
	lb_config_free(cfg);
}

static void
test_json_levels(void)
{
	char err[1024];
	struct lb_config *cfg = load("",
	    "log_format = \"JSON\"; application_log_level = \"WARN\"; "
	    "system_log_level = \"DEBUG\";",
	    err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_TRUE(cfg->functions[0].log_json);
	CU_ASSERT_EQUAL(cfg->functions[0].app_log_level, LB_JSONLOG_WARN);
	CU_ASSERT_EQUAL(cfg->functions[0].sys_log_level, LB_JSONLOG_DEBUG);
	lb_config_free(cfg);
	cfg = load("", "log_format = \"Text\";", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_FALSE(cfg->functions[0].log_json);
	lb_config_free(cfg);
}

static void
test_access_log_path(void)
{
	char err[1024], want[PATH_MAX + 32];
	struct lb_config *cfg = load("access_log = { path = \"logs/a.log\"; "
	                             "format = \"$context.requestId\"; };",
	    "", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_TRUE(cfg->access_log.set);
	snprintf(want, sizeof(want), "%s/logs/a.log", dir);
	CU_ASSERT_STRING_EQUAL(cfg->access_log.path, want);
	CU_ASSERT_STRING_EQUAL(cfg->access_log.format, "$context.requestId");
	lb_config_free(cfg);
}

static void
test_errors(void)
{
	fails("", "log_format = \"json\";", 8, "functions[0].log_format",
	    "must be \"Text\" or \"JSON\"");
	fails("", "application_log_level = \"DEBUG\";", 8,
	    "functions[0].application_log_level",
	    "needs log_format = \"JSON\"");
	fails("", "log_format = \"Text\"; system_log_level = \"WARN\";", 8,
	    "functions[0].system_log_level", "needs log_format = \"JSON\"");
	fails("", "log_format = \"JSON\"; system_log_level = \"ERROR\";", 8,
	    "functions[0].system_log_level",
	    "must be \"DEBUG\", \"INFO\" or \"WARN\"");
	fails("", "log_format = \"JSON\"; application_log_level = \"warn\";", 8,
	    "functions[0].application_log_level", "must be \"TRACE\"");
	fails("access_log = { path = \"logs/a.log\"; };", "", 3,
	    "gateway.access_log.format", "missing");
	fails("access_log = { path = \"logs/a.log\"; format = "
	      "\"$context.status\"; };",
	    "", 3, "gateway.access_log.format",
	    "must name $context.requestId or $context.extendedRequestId");
	fails("access_log = { path = \"logs\"; format = "
	      "\"$context.requestId\"; };",
	    "", 3, "gateway.access_log.path", "is not a regular file");
	fails("access_log = { path = \"nowhere/a.log\"; format = "
	      "\"$context.requestId\"; };",
	    "", 3, "gateway.access_log.path", "no folder");
	fails("access_log = { path = \"logs/a.log\"; format = "
	      "\"$context.requestId\"; size = 3; };",
	    "", 3, "gateway.access_log.size", "unknown");
}

void
lb_test_suite_config_logs(void)
{
	static CU_TestInfo tests[] = {
		{ "defaults", test_defaults },
		{ "JSON and its levels", test_json_levels },
		{ "access log path against the config's folder",
		    test_access_log_path },
		{ "errors with FILE:LINE", test_errors },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("config_logs", tests);
}
