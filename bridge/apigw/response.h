/*
 * response.h - maps a function's output to the HTTP response API Gateway
 * would send (docs/apigw-facts.md section 3): REST and HTTP API 1.0 validation,
 * the headers/multiValueHeaders merge, base64 bodies, 2.0 cookies and
 * inference.  Pure: no I/O, no globals.
 */
#ifndef LB_RESPONSE_H
#define LB_RESPONSE_H

#include <stddef.h>

#include "fastcgi/http.h"

/* Largest function output accepted (Lambda's synchronous response limit). */
#define LB_RESPONSE_MAX (6 * 1024 * 1024)

struct lb_response_input {
	int rest;           /* non-zero for a REST API */
	int payload_format; /* 1 or 2 */
	const char *output; /* the function's result, JSON text */
	size_t output_len;
	const char *accept; /* the request's Accept header, or NULL */
	char *const *binary_media_types; /* REST binaryMediaTypes */
	size_t nbinary_media_types;
};

/*
 * lb_response_map() result when a REST API cannot base64-decode a body it
 * must decode (binary media type): API Gateway answers that with
 * API_CONFIGURATION_ERROR (500), not the function-error 502.
 */
#define LB_RESPONSE_ECONFIG (-2)

/*
 * Maps the output into `resp` (which must be empty): status, headers, body.
 * Returns 0, or -1 when the output is not a valid proxy response for the
 * API type (the caller answers the function-error response) with the reason
 * in err, e.g. "malformed Lambda proxy response: 'body' is not a string",
 * or LB_RESPONSE_ECONFIG (-2, also < 0) for a REST binary body that is not
 * valid base64.  On failure, resp is left empty.
 */
int lb_response_map(const struct lb_response_input *in,
    struct lb_http_response *resp, char *err, size_t errlen);

#endif /* LB_RESPONSE_H */
