/*
 * test_log.c - log.c: lb_log_escape (every control character, the flags,
 * truncation at a whole escape) and the lines lb_log and lb_log_function
 * write to stderr, which text with CR, LF or ESC must not split.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "test.h"

void lb_test_suite_log(void);

static const char *
esc(const char *s, size_t len, int flags)
{
	static char out[256];

	lb_log_escape(out, sizeof(out), s, len, flags);
	return out;
}

static void
test_escape(void)
{
	char all[33], want[256], out[8];
	size_t off = 0;

	CU_ASSERT_STRING_EQUAL(esc("plain text", 10, 0), "plain text");
	CU_ASSERT_STRING_EQUAL(esc("a\r\nb\tc", 6, 0), "a\\r\\nb\\tc");
	CU_ASSERT_STRING_EQUAL(esc("a\tb", 3, LB_LOG_ESC_KEEP_TAB), "a\tb");
	CU_ASSERT_STRING_EQUAL(
	    esc("\x1b[31m\x7f\x00z", 8, 0), "\\x1b[31m\\x7f\\x00z");
	/* UTF-8 and other bytes from 0x80 up are text */
	CU_ASSERT_STRING_EQUAL(esc("caf\xc3\xa9", 5, 0), "caf\xc3\xa9");
	/* quotes and backslashes only in a quoted field */
	CU_ASSERT_STRING_EQUAL(esc("\"a\\b\"", 5, 0), "\"a\\b\"");
	CU_ASSERT_STRING_EQUAL(
	    esc("\"a\\b\"", 5, LB_LOG_ESC_QUOTE), "\\\"a\\\\b\\\"");

	/* every C0 byte is escaped, none survives */
	for (int c = 0; c < 32; c++)
		all[c] = (char)c;
	all[32] = 0x7f;
	for (int c = 0; c < 33; c++) {
		int b = c == 32 ? 0x7f : c;

		if (b == '\n' || b == '\r' || b == '\t')
			off += (size_t)snprintf(want + off, sizeof(want) - off,
			    "\\%c",
			    b == '\n'       ? 'n'
			        : b == '\r' ? 'r'
			                    : 't');
		else
			off += (size_t)snprintf(
			    want + off, sizeof(want) - off, "\\x%02x", b);
	}
	CU_ASSERT_STRING_EQUAL(esc(all, sizeof(all), 0), want);

	/* truncation stops before an escape that does not fit */
	CU_ASSERT_EQUAL(lb_log_escape(out, 4, "\n\n", 2, 0), 2);
	CU_ASSERT_STRING_EQUAL(out, "\\n");
	CU_ASSERT_EQUAL(lb_log_escape(out, 5, "ab\x01", 3, 0), 2);
	CU_ASSERT_STRING_EQUAL(out, "ab");
	CU_ASSERT_EQUAL(lb_log_escape(out, 1, "abc", 3, 0), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(lb_log_escape(out, 4, "abc", 3, 0), 3);
	CU_ASSERT_STRING_EQUAL(out, "abc");
}

/* Runs fn with stderr going to a pipe; returns what it wrote (static). */
static const char *
capture(void (*fn)(void))
{
	static char buf[16384];
	int p[2], saved;
	ssize_t n;

	CU_ASSERT_FATAL(pipe(p) == 0);
	saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
log_forged(void)
{
	static const char line[] = "out\rFORGED \x1b[2J\tcol";

	lb_log(LB_LOG_WARN, "%s failed: %s", "rid-1",
	    "Forged\r\nFORGED-TYPE: m\n2026-01-01T00:00:00.000Z ERROR x");
	lb_log_function("fn", "rid-1", line, sizeof(line) - 1);
}

static int
lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Only the logger ends a line; a tab stays in a function's own line. */
static void
test_lines(void)
{
	const char *out = capture(log_forged);
	const char *nl = strchr(out, '\n');

	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	    " WARN rid-1 failed: Forged\\r\\nFORGED-TYPE: "
	    "m\\n2026-01-01T00:00:00.000Z ERROR x\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(nl + 1, "\trid-1\t[fn]\tout\\rFORGED \\x1b[2J\tcol\n"));
	CU_ASSERT_EQUAL(lines(out), 2);
	CU_ASSERT_PTR_NULL(strchr(out, '\r'));
	CU_ASSERT_PTR_NULL(strchr(out, '\x1b'));
}

void
lb_test_suite_log(void)
{
	static CU_TestInfo tests[] = {
		{ "escape", test_escape },
		{ "one line per call", test_lines },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("log", tests);
}
