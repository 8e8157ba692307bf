/*
 * gwerror.c - the responses the gateway itself makes, byte for byte per API
 * type, and gateway response overrides.  docs/responses.md gives the
 * evidence for every row.
 */
#include <string.h>

#include "apigw/gwerror.h"
#include "fastcgi/http.h"

struct row {
	int status;
	const char *body;
	const char *error_type; /* NULL: no x-amzn-ErrorType */
	int no_content_type;    /* AWS sends no Content-Type */
};

/* REST bodies: spaced ones come from integrations, unspaced from templates */
#define R_ISE      "{\"message\": \"Internal server error\"}"
#define R_ISE_T    "InternalServerErrorException"
#define R_TOO_LONG "{\"message\": \"Request Too Long\"}"

static const struct row rest_rows[LB_GWERR_COUNT] = {
	[LB_GWERR_MISSING_AUTHENTICATION_TOKEN] = { 403,
	    "{\"message\":\"Missing Authentication Token\"}",
	    "MissingAuthenticationTokenException", 0 },
	[LB_GWERR_RESOURCE_NOT_FOUND] = { 404, "{\"message\":\"Not Found\"}",
	    "NotFoundException", 0 },
	[LB_GWERR_INTEGRATION_FAILURE] = { 500, R_ISE, R_ISE_T, 0 },
	[LB_GWERR_INTEGRATION_TIMEOUT] = { 504,
	    "{\"message\": \"Endpoint request timed out\"}", R_ISE_T, 0 },
	[LB_GWERR_FUNCTION_ERROR] = { 502, R_ISE, R_ISE_T, 0 },
	[LB_GWERR_THROTTLED] = { 429, "{\"message\":\"Too Many Requests\"}",
	    "TooManyRequestsException", 0 },
	[LB_GWERR_QUOTA_EXCEEDED] = { 429, "{\"message\":\"Limit Exceeded\"}",
	    "LimitExceededException", 0 },
	[LB_GWERR_INVALID_API_KEY] = { 403, "{\"message\":\"Forbidden\"}",
	    "ForbiddenException", 0 },
	[LB_GWERR_ACCESS_DENIED] = { 403,
	    "{\"Message\":\"User is not authorized to access this resource "
	    "with an explicit deny\"}",
	    "AccessDeniedException", 0 },
	[LB_GWERR_UNAUTHORIZED] = { 401, "{\"message\":\"Unauthorized\"}",
	    "UnauthorizedException", 0 },
	[LB_GWERR_REQUEST_TOO_LARGE] = { 413, R_TOO_LONG, "BadRequestException",
	    0 },
	[LB_GWERR_EVENT_TOO_LARGE] = { 413, R_TOO_LONG, "BadRequestException",
	    0 },
	[LB_GWERR_BAD_REQUEST_BODY] = { 400,
	    "{\"message\": \"Invalid request body\"}", "BadRequestException",
	    0 },
	[LB_GWERR_API_CONFIGURATION_ERROR] = { 500, R_ISE, R_ISE_T, 0 },
	[LB_GWERR_DEFAULT_4XX] = { 400, "{\"message\":\"Bad Request\"}",
	    "BadRequestException", 0 },
	[LB_GWERR_DEFAULT_5XX] = { 500, R_ISE, R_ISE_T, 0 },
};

/* HTTP API bodies are the reason phrase; no x-amzn-ErrorType at all */
#define H_ISE       "{\"message\":\"Internal Server Error\"}"
#define H_NOT_FOUND "{\"message\":\"Not Found\"}"
#define H_TOO_LARGE "{\"message\":\"Request Entity Too Large\"}"
#define H_FORBIDDEN "{\"message\":\"Forbidden\"}"
#define H_TOO_MANY  "{\"message\":\"Too Many Requests\"}"
#define H_BAD       "{\"message\":\"Bad Request\"}"

static const struct row http_rows[LB_GWERR_COUNT] = {
	[LB_GWERR_MISSING_AUTHENTICATION_TOKEN] = { 404, H_NOT_FOUND, NULL, 0 },
	[LB_GWERR_RESOURCE_NOT_FOUND] = { 404, H_NOT_FOUND, NULL, 0 },
	[LB_GWERR_INTEGRATION_FAILURE] = { 500, H_ISE, NULL, 0 },
	[LB_GWERR_INTEGRATION_TIMEOUT] = { 503,
	    "{\"message\":\"Service Unavailable\"}", NULL, 1 },
	[LB_GWERR_FUNCTION_ERROR] = { 500, H_ISE, NULL, 0 },
	[LB_GWERR_THROTTLED] = { 429, H_TOO_MANY, NULL, 0 },
	[LB_GWERR_QUOTA_EXCEEDED] = { 429, H_TOO_MANY, NULL, 0 },
	[LB_GWERR_INVALID_API_KEY] = { 403, H_FORBIDDEN, NULL, 0 },
	[LB_GWERR_ACCESS_DENIED] = { 403, H_FORBIDDEN, NULL, 0 },
	[LB_GWERR_UNAUTHORIZED] = { 401, "{\"message\":\"Unauthorized\"}", NULL,
	    0 },
	[LB_GWERR_REQUEST_TOO_LARGE] = { 413, H_TOO_LARGE, NULL, 0 },
	[LB_GWERR_EVENT_TOO_LARGE] = { 413, H_TOO_LARGE, NULL, 0 },
	[LB_GWERR_BAD_REQUEST_BODY] = { 400, H_BAD, NULL, 0 },
	[LB_GWERR_API_CONFIGURATION_ERROR] = { 500, H_ISE, NULL, 0 },
	[LB_GWERR_DEFAULT_4XX] = { 400, H_BAD, NULL, 0 },
	[LB_GWERR_DEFAULT_5XX] = { 500, H_ISE, NULL, 0 },
};

/* Gateway response type names; NULL for our internal kinds. */
static const char *const aws_names[LB_GWERR_COUNT] = {
	[LB_GWERR_MISSING_AUTHENTICATION_TOKEN] =
	    "MISSING_AUTHENTICATION_TOKEN",
	[LB_GWERR_RESOURCE_NOT_FOUND] = "RESOURCE_NOT_FOUND",
	[LB_GWERR_INTEGRATION_FAILURE] = "INTEGRATION_FAILURE",
	[LB_GWERR_INTEGRATION_TIMEOUT] = "INTEGRATION_TIMEOUT",
	[LB_GWERR_THROTTLED] = "THROTTLED",
	[LB_GWERR_QUOTA_EXCEEDED] = "QUOTA_EXCEEDED",
	[LB_GWERR_INVALID_API_KEY] = "INVALID_API_KEY",
	[LB_GWERR_ACCESS_DENIED] = "ACCESS_DENIED",
	[LB_GWERR_UNAUTHORIZED] = "UNAUTHORIZED",
	[LB_GWERR_REQUEST_TOO_LARGE] = "REQUEST_TOO_LARGE",
	[LB_GWERR_BAD_REQUEST_BODY] = "BAD_REQUEST_BODY",
	[LB_GWERR_API_CONFIGURATION_ERROR] = "API_CONFIGURATION_ERROR",
	[LB_GWERR_DEFAULT_4XX] = "DEFAULT_4XX",
	[LB_GWERR_DEFAULT_5XX] = "DEFAULT_5XX",
};

/*
 * The gateway response type whose override applies to an internal kind
 * before DEFAULT_4XX/DEFAULT_5XX.  A function error (502/500) has none: on
 * AWS it is customised only through DEFAULT_5XX, and INTEGRATION_FAILURE
 * is the Lambda throttle, which docs/design.md's example turns into a 429
 * without touching function errors (docs/responses.md).
 */
static const enum lb_gwerr parent[LB_GWERR_COUNT] = {
	[LB_GWERR_EVENT_TOO_LARGE] = LB_GWERR_REQUEST_TOO_LARGE,
};

static int
valid(enum lb_gwerr type)
{
	return type > LB_GWERR_NONE && type < LB_GWERR_COUNT;
}

int
lb_gwerror_info(enum lb_gwerr type, int rest, struct lb_gwerror_info *info)
{
	const struct row *r;

	if (!valid(type))
		return -1;
	r = rest ? &rest_rows[type] : &http_rows[type];
	info->status = r->status;
	info->body = r->body;
	info->error_type = r->error_type;
	return 0;
}

enum lb_gwerr
lb_gwerror_from_name(const char *name)
{
	if (name == NULL)
		return LB_GWERR_NONE;
	for (int t = LB_GWERR_NONE + 1; t < LB_GWERR_COUNT; t++)
		if (aws_names[t] != NULL && strcmp(aws_names[t], name) == 0)
			return (enum lb_gwerr)t;
	return LB_GWERR_NONE;
}

const char *
lb_gwerror_name(enum lb_gwerr type)
{
	switch (type) {
	case LB_GWERR_NONE: return "NONE";
	case LB_GWERR_FUNCTION_ERROR: return "FUNCTION_ERROR";
	case LB_GWERR_EVENT_TOO_LARGE: return "EVENT_TOO_LARGE";
	default: return valid(type) ? aws_names[type] : "UNKNOWN";
	}
}

/*
 * The override that applies to `type`, as API Gateway picks gateway
 * responses: the type's own, then (internal kinds) its parent's, then
 * DEFAULT_4XX or DEFAULT_5XX by the class of the default status.
 */
static const struct lb_gateway_response *
find_override(
    enum lb_gwerr type, int status, const struct lb_gateway_response *overrides)
{
	enum lb_gwerr p = parent[type];

	if (overrides == NULL)
		return NULL;
	if (overrides[type].set)
		return &overrides[type];
	if (p != LB_GWERR_NONE && overrides[p].set)
		return &overrides[p];
	if (type == LB_GWERR_DEFAULT_4XX || type == LB_GWERR_DEFAULT_5XX)
		return NULL;
	if (status >= 400 && status < 500 &&
	    overrides[LB_GWERR_DEFAULT_4XX].set)
		return &overrides[LB_GWERR_DEFAULT_4XX];
	if (status >= 500 && overrides[LB_GWERR_DEFAULT_5XX].set)
		return &overrides[LB_GWERR_DEFAULT_5XX];
	return NULL;
}

int
lb_gwerror_render(enum lb_gwerr type, int rest,
    const struct lb_gateway_response *overrides, struct lb_http_response *resp)
{
	const struct lb_gateway_response *o;
	const struct row *r;
	const char *body;

	if (!valid(type))
		type = LB_GWERR_DEFAULT_5XX;
	/* an HTTP API has no such response: no route is RESOURCE_NOT_FOUND */
	if (!rest && type == LB_GWERR_MISSING_AUTHENTICATION_TOKEN)
		type = LB_GWERR_RESOURCE_NOT_FOUND;
	r = rest ? &rest_rows[type] : &http_rows[type];
	o = find_override(type, r->status, overrides);

	resp->status = o != NULL && o->status != 0 ? o->status : r->status;
	body = o != NULL && o->body != NULL ? o->body : r->body;
	if ((!r->no_content_type || body != r->body) &&
	    lb_http_response_add_header(
	        resp, "Content-Type", "application/json", (size_t)-1) < 0)
		goto fail;
	if (r->error_type != NULL &&
	    lb_http_response_add_header(
	        resp, "x-amzn-ErrorType", r->error_type, (size_t)-1) < 0)
		goto fail;
	for (size_t i = 0; o != NULL && i < o->nheaders; i++) {
		lb_http_response_remove_header(resp, o->headers[i].key);
		if (lb_http_response_add_header(resp, o->headers[i].key,
		        o->headers[i].value, (size_t)-1) < 0)
			goto fail;
	}
	if (lb_http_response_set_body(resp, body, strlen(body)) < 0)
		goto fail;
	return 0;
fail:
	lb_http_response_clear(resp);
	return -1;
}
