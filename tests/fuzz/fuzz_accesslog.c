/*
 * fuzz_accesslog.c - libFuzzer target for gateway.access_log's format
 * (`make fuzz`): the input up to its first NUL is a format, the rest the
 * value of every variable.  A refused format says why; an accepted one
 * names $context.requestId or $context.extendedRequestId and renders, into
 * a large and a small buffer, exactly one line: it ends in '\n', holds no
 * other control character, and its length is what the renderer returned.
 * The same bytes are also one line of a function's log in the JSON log
 * format: its level is -1 (not a JSON object) or one of the six.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/accesslog.h"
#include "lambda/jsonlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const char *out, size_t n, size_t cap)
{
	if (n == 0 || n >= cap || strlen(out) != n || out[n - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t flen = nul != NULL ? (size_t)(nul - (const char *)data) : size;
	char *fmt = malloc(flen + 1), *val = malloc(size - flen + 1);
	struct lb_accesslog_values v;
	struct lb_accesslog *al;
	char err[256], big[16384], small[24];
	int level;

	if (fmt == NULL || val == NULL)
		abort();
	memcpy(fmt, data, flen);
	fmt[flen] = '\0';
	/* the values may hold anything but NUL (C strings) */
	memcpy(val, data + flen, size - flen);
	val[size - flen] = '\0';
	if (nul != NULL)
		memmove(val, val + 1, size - flen);
	err[0] = '\0';
	al = lb_accesslog_parse(fmt, err, sizeof(err));
	if (al == NULL && err[0] == '\0')
		abort();
	if (al != NULL) {
		if (!lb_accesslog_uses(al, LB_ACCESSLOG_REQUEST_ID) &&
		    !lb_accesslog_uses(al, LB_ACCESSLOG_EXTENDED_REQUEST_ID))
			abort();
		lb_accesslog_values_init(&v);
		for (int i = 0; i < LB_ACCESSLOG_NVARS; i++) {
			if (i % 3 == 0)
				v.num[i] = (int64_t)size * 1000 + i;
			else
				v.str[i] = val;
		}
		v.time_ms = (int64_t)size * 86400000;
		check_line(big, lb_accesslog_render(al, &v, big, sizeof(big)),
		    sizeof(big));
		check_line(small,
		    lb_accesslog_render(al, &v, small, sizeof(small)),
		    sizeof(small));
		lb_accesslog_free(al);
	}
	level = lb_jsonlog_line_level((const char *)data, size);
	if (level < -1 || level > LB_JSONLOG_FATAL)
		abort();
	free(fmt);
	free(val);
	return 0;
}
