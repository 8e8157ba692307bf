/*
 * fuzz_response.c - libFuzzer target for the response mapper (`make
 * fuzz`): arbitrary bytes as a function's result, mapped as a REST API
 * (with and without a binary Accept), an HTTP API payload 1.0 and 2.0.
 * Whatever the input, a mapping that succeeds has a final status
 * (200..599, never a 1xx the web server would send as an interim
 * response), header names that are HTTP tokens and header values free of
 * control characters but tab; one that fails leaves the response empty and
 * says why.  Crashes, leaks and undefined behaviour are caught by
 * ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/json.h"
#include "fastcgi/http.h"
#include "apigw/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *binary_types[] = { "application/octet-stream", "image/*" };

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
check_headers(const struct lb_http_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		const unsigned char *n = (unsigned char *)r->headers[i].name;
		const unsigned char *v = (unsigned char *)r->headers[i].value;

		if (*n == '\0')
			abort();
		for (; *n != '\0'; n++)
			if (!is_tchar(*n))
				abort();
		/* a value is a C string: it cannot hold a NUL either */
		for (; *v != '\0'; v++)
			if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
				abort();
	}
}

static void
check(int rest, int payload_format, const char *accept, const uint8_t *data,
    size_t size)
{
	struct lb_response_input in;
	struct lb_http_response r;
	char err[256];
	int rc;

	memset(&in, 0, sizeof(in));
	memset(&r, 0, sizeof(r));
	in.rest = rest;
	in.payload_format = payload_format;
	in.output = (const char *)data;
	in.output_len = size;
	in.accept = accept;
	in.binary_media_types = binary_types;
	in.nbinary_media_types = 2;
	err[0] = '\0';
	rc = lb_response_map(&in, &r, err, sizeof(err));
	if (rc == 0) {
		if (r.status < 200 || r.status > 599)
			abort();
		if (r.body_len > 0 && r.body == NULL)
			abort();
		check_headers(&r);
	} else {
		if (rc != -1 && rc != LB_RESPONSE_ECONFIG)
			abort();
		if (rc == LB_RESPONSE_ECONFIG && !rest)
			abort();
		if (r.status != 0 || r.nheaders != 0 || r.body != NULL ||
		    err[0] == '\0')
			abort();
	}
	lb_http_response_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int wide;

	/* base64 and JSON scans at the widest level at every length */
	if (!wide)
		wide = 1 + lb_b64_simd_cap(3) + lb_json_simd_cap(2);
	check(1, 1, NULL, data, size);
	check(1, 1, "application/octet-stream", data, size);
	check(0, 1, NULL, data, size);
	check(0, 2, NULL, data, size);
	return 0;
}
