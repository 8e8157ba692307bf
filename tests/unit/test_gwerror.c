/*
 * test_gwerror.c - the gateway's own error responses (docs/design.md section 2,
 * docs/apigw-facts.md sections 3.6 and 4): exact status, body bytes and headers
 * per API type, names, and gateway_responses overrides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/gwerror.h"
#include "fastcgi/http.h"
#include "test.h"

void lb_test_suite_gwerror(void);

/* The expected default response, restated independently of gwerror.c. */
struct want {
	enum lb_gwerr type;
	int status;
	const char *body;
	const char *error_type; /* NULL: no x-amzn-ErrorType line */
	int content_type;       /* 1: Content-Type: application/json */
};

#define ISE_REST "{\"message\": \"Internal server error\"}"
#define ISE_HTTP "{\"message\":\"Internal Server Error\"}"
#define ISE_T    "InternalServerErrorException"

static const struct want rest_want[] = {
	{ LB_GWERR_MISSING_AUTHENTICATION_TOKEN, 403,
	    "{\"message\":\"Missing Authentication Token\"}",
	    "MissingAuthenticationTokenException", 1 },
	{ LB_GWERR_RESOURCE_NOT_FOUND, 404, "{\"message\":\"Not Found\"}",
	    "NotFoundException", 1 },
	{ LB_GWERR_INTEGRATION_FAILURE, 500, ISE_REST, ISE_T, 1 },
	{ LB_GWERR_INTEGRATION_TIMEOUT, 504,
	    "{\"message\": \"Endpoint request timed out\"}", ISE_T, 1 },
	{ LB_GWERR_FUNCTION_ERROR, 502, ISE_REST, ISE_T, 1 },
	{ LB_GWERR_THROTTLED, 429, "{\"message\":\"Too Many Requests\"}",
	    "TooManyRequestsException", 1 },
	{ LB_GWERR_QUOTA_EXCEEDED, 429, "{\"message\":\"Limit Exceeded\"}",
	    "LimitExceededException", 1 },
	{ LB_GWERR_INVALID_API_KEY, 403, "{\"message\":\"Forbidden\"}",
	    "ForbiddenException", 1 },
	{ LB_GWERR_ACCESS_DENIED, 403,
	    "{\"Message\":\"User is not authorized to access this resource "
	    "with an explicit deny\"}",
	    "AccessDeniedException", 1 },
	{ LB_GWERR_UNAUTHORIZED, 401, "{\"message\":\"Unauthorized\"}",
	    "UnauthorizedException", 1 },
	{ LB_GWERR_REQUEST_TOO_LARGE, 413,
	    "{\"message\": \"Request Too Long\"}", "BadRequestException", 1 },
	{ LB_GWERR_EVENT_TOO_LARGE, 413, "{\"message\": \"Request Too Long\"}",
	    "BadRequestException", 1 },
	{ LB_GWERR_BAD_REQUEST_BODY, 400,
	    "{\"message\": \"Invalid request body\"}", "BadRequestException",
	    1 },
	{ LB_GWERR_API_CONFIGURATION_ERROR, 500, ISE_REST, ISE_T, 1 },
	{ LB_GWERR_AUTHORIZER_FAILURE, 500, "{\"message\":null}",
	    "AuthorizerFailureException", 1 },
	{ LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR, 500, "{\"message\":null}",
	    "AuthorizerConfigurationException", 1 },
	{ LB_GWERR_EXPIRED_TOKEN, 403,
	    "{\"message\":\"The security token included in the request is "
	    "expired\"}",
	    "ExpiredTokenException", 1 },
	{ LB_GWERR_INVALID_SIGNATURE, 403,
	    "{\"message\":\"The request signature we calculated does not "
	    "match the signature you provided. Check your AWS Secret Access "
	    "Key and signing method. Consult the service documentation for "
	    "details.\"}",
	    "InvalidSignatureException", 1 },
	{ LB_GWERR_DEFAULT_4XX, 400, "{\"message\":\"Bad Request\"}",
	    "BadRequestException", 1 },
	{ LB_GWERR_DEFAULT_5XX, 500, ISE_REST, ISE_T, 1 },
};

static const struct want http_want[] = {
	{ LB_GWERR_MISSING_AUTHENTICATION_TOKEN, 404,
	    "{\"message\":\"Not Found\"}", NULL, 1 },
	{ LB_GWERR_RESOURCE_NOT_FOUND, 404, "{\"message\":\"Not Found\"}", NULL,
	    1 },
	{ LB_GWERR_INTEGRATION_FAILURE, 500, ISE_HTTP, NULL, 1 },
	/* recorded on AWS: no Content-Type on the HTTP API 503 */
	{ LB_GWERR_INTEGRATION_TIMEOUT, 503,
	    "{\"message\":\"Service Unavailable\"}", NULL, 0 },
	{ LB_GWERR_FUNCTION_ERROR, 500, ISE_HTTP, NULL, 1 },
	{ LB_GWERR_THROTTLED, 429, "{\"message\":\"Too Many Requests\"}", NULL,
	    1 },
	{ LB_GWERR_QUOTA_EXCEEDED, 429, "{\"message\":\"Too Many Requests\"}",
	    NULL, 1 },
	{ LB_GWERR_INVALID_API_KEY, 403, "{\"message\":\"Forbidden\"}", NULL,
	    1 },
	{ LB_GWERR_ACCESS_DENIED, 403, "{\"message\":\"Forbidden\"}", NULL, 1 },
	{ LB_GWERR_UNAUTHORIZED, 401, "{\"message\":\"Unauthorized\"}", NULL,
	    1 },
	{ LB_GWERR_REQUEST_TOO_LARGE, 413,
	    "{\"message\":\"Request Entity Too Large\"}", NULL, 1 },
	{ LB_GWERR_EVENT_TOO_LARGE, 413,
	    "{\"message\":\"Request Entity Too Large\"}", NULL, 1 },
	{ LB_GWERR_BAD_REQUEST_BODY, 400, "{\"message\":\"Bad Request\"}", NULL,
	    1 },
	{ LB_GWERR_API_CONFIGURATION_ERROR, 500, ISE_HTTP, NULL, 1 },
	{ LB_GWERR_AUTHORIZER_FAILURE, 500, ISE_HTTP, NULL, 1 },
	{ LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR, 500, ISE_HTTP, NULL, 1 },
	{ LB_GWERR_EXPIRED_TOKEN, 403, "{\"message\":\"Forbidden\"}", NULL, 1 },
	{ LB_GWERR_INVALID_SIGNATURE, 403, "{\"message\":\"Forbidden\"}", NULL,
	    1 },
	{ LB_GWERR_DEFAULT_4XX, 400, "{\"message\":\"Bad Request\"}", NULL, 1 },
	{ LB_GWERR_DEFAULT_5XX, 500, ISE_HTTP, NULL, 1 },
};

#define NWANT (sizeof(rest_want) / sizeof(*rest_want))

/* Are the header lines exactly `want` ("Name: value", in order)? */
static int
headers_are(const struct lb_http_response *r, const char *const *want)
{
	size_t n = 0;
	char line[512];

	while (want[n] != NULL)
		n++;
	if (n != r->nheaders)
		goto diff;
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s: %s", r->headers[i].name,
		    r->headers[i].value);
		if (strcmp(line, want[i]) != 0)
			goto diff;
	}
	return 1;
diff:
	fprintf(stderr, "\nheaders differ; got:\n");
	for (size_t i = 0; i < r->nheaders; i++)
		fprintf(stderr, "  '%s: %s'\n", r->headers[i].name,
		    r->headers[i].value);
	return 0;
}

#define HEADERS(r, ...) \
	headers_are(r, (const char *const[]){ __VA_ARGS__, NULL })

static int
body_is(const struct lb_http_response *r, const char *want)
{
	size_t len = strlen(want);

	if (r->body_len == len && r->body != NULL &&
	    memcmp(r->body, want, len) == 0)
		return 1;
	fprintf(stderr, "\nbody differs: got '%.*s', wanted '%s'\n",
	    (int)r->body_len, r->body ? r->body : "", want);
	return 0;
}

/* Checks the rendered default of one row, and lb_gwerror_info on it. */
static void
check_default(const struct want *w, int rest)
{
	struct lb_http_response r;
	struct lb_gwerror_info info;
	char et[128];

	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL_FATAL(
	    lb_gwerror_render(w->type, rest, NULL, NULL, &r), 0);
	if (r.status != w->status)
		fprintf(stderr, "\n%s (%s): status %d, wanted %d\n",
		    lb_gwerror_name(w->type), rest ? "rest" : "http", r.status,
		    w->status);
	CU_ASSERT_EQUAL(r.status, w->status);
	CU_ASSERT_TRUE(body_is(&r, w->body));
	snprintf(et, sizeof(et), "x-amzn-ErrorType: %s",
	    w->error_type ? w->error_type : "");
	if (w->content_type && w->error_type != NULL)
		CU_ASSERT_TRUE(
		    HEADERS(&r, "Content-Type: application/json", et));
	if (w->content_type && w->error_type == NULL)
		CU_ASSERT_TRUE(HEADERS(&r, "Content-Type: application/json"));
	if (!w->content_type && w->error_type == NULL)
		CU_ASSERT_EQUAL(r.nheaders, 0);
	lb_http_response_clear(&r);

	/* info agrees, except where render maps the type for HTTP APIs */
	CU_ASSERT_EQUAL(lb_gwerror_info(w->type, rest, &info), 0);
	CU_ASSERT_EQUAL(info.status, w->status);
	CU_ASSERT_STRING_EQUAL(info.body, w->body);
	if (w->error_type == NULL) {
		CU_ASSERT_PTR_NULL(info.error_type);
	} else {
		CU_ASSERT_STRING_EQUAL(info.error_type, w->error_type);
	}
}

static void
test_rest_defaults(void)
{
	for (size_t i = 0; i < NWANT; i++)
		check_default(&rest_want[i], 1);
}

static void
test_http_defaults(void)
{
	for (size_t i = 0; i < NWANT; i++)
		check_default(&http_want[i], 0);
}

/* Every type has a row, in both tables (NWANT covers the enum). */
static void
test_table_complete(void)
{
	struct lb_gwerror_info info;

	CU_ASSERT_EQUAL(NWANT, LB_GWERR_COUNT - 1);
	for (int t = LB_GWERR_NONE + 1; t < LB_GWERR_COUNT; t++) {
		int found = 0;

		for (size_t i = 0; i < NWANT; i++)
			found += rest_want[i].type == (enum lb_gwerr)t &&
			    http_want[i].type == (enum lb_gwerr)t;
		CU_ASSERT_EQUAL(found, 1);
	}
	CU_ASSERT_EQUAL(lb_gwerror_info(LB_GWERR_NONE, 1, &info), -1);
	CU_ASSERT_EQUAL(lb_gwerror_info(LB_GWERR_COUNT, 0, &info), -1);
}

/* The exact REST bytes docs/design.md quotes, spaced and unspaced. */
static void
test_exact_bytes(void)
{
	struct lb_gwerror_info info;

	CU_ASSERT_EQUAL(lb_gwerror_info(LB_GWERR_FUNCTION_ERROR, 1, &info), 0);
	CU_ASSERT_EQUAL(strlen(info.body), 36); /* Content-Length on AWS */
	CU_ASSERT_EQUAL(lb_gwerror_info(LB_GWERR_EVENT_TOO_LARGE, 1, &info), 0);
	CU_ASSERT_EQUAL(strlen(info.body), 31);
	CU_ASSERT_EQUAL(
	    lb_gwerror_info(LB_GWERR_INTEGRATION_TIMEOUT, 0, &info), 0);
	CU_ASSERT_EQUAL(strlen(info.body), 33);
}

/* An unknown type renders as DEFAULT_5XX rather than failing. */
static void
test_invalid_type(void)
{
	struct lb_http_response r;

	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(lb_gwerror_render(LB_GWERR_NONE, 1, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 500);
	CU_ASSERT_TRUE(body_is(&r, ISE_REST));
	lb_http_response_clear(&r);
	CU_ASSERT_EQUAL(
	    lb_gwerror_render((enum lb_gwerr)999, 0, NULL, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.status, 500);
	CU_ASSERT_TRUE(body_is(&r, ISE_HTTP));
	lb_http_response_clear(&r);
}

static void
test_names(void)
{
	static const char *const names[] = { "MISSING_AUTHENTICATION_TOKEN",
		"RESOURCE_NOT_FOUND", "INTEGRATION_FAILURE",
		"INTEGRATION_TIMEOUT", "THROTTLED", "QUOTA_EXCEEDED",
		"INVALID_API_KEY", "ACCESS_DENIED", "UNAUTHORIZED",
		"REQUEST_TOO_LARGE", "BAD_REQUEST_BODY",
		"API_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
		"AUTHORIZER_CONFIGURATION_ERROR", "EXPIRED_TOKEN",
		"INVALID_SIGNATURE", "DEFAULT_4XX", "DEFAULT_5XX" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		enum lb_gwerr t = lb_gwerror_from_name(names[i]);

		CU_ASSERT_NOT_EQUAL(t, LB_GWERR_NONE);
		CU_ASSERT_STRING_EQUAL(lb_gwerror_name(t), names[i]);
	}
	CU_ASSERT_EQUAL(lb_gwerror_from_name("INTEGRATION_FAILURE"),
	    LB_GWERR_INTEGRATION_FAILURE);
	/* internal kinds have names but cannot be configured */
	CU_ASSERT_STRING_EQUAL(
	    lb_gwerror_name(LB_GWERR_FUNCTION_ERROR), "FUNCTION_ERROR");
	CU_ASSERT_EQUAL(lb_gwerror_from_name("FUNCTION_ERROR"), LB_GWERR_NONE);
	CU_ASSERT_EQUAL(lb_gwerror_from_name("EVENT_TOO_LARGE"), LB_GWERR_NONE);
	CU_ASSERT_EQUAL(lb_gwerror_from_name("throttled"), LB_GWERR_NONE);
	CU_ASSERT_EQUAL(lb_gwerror_from_name(""), LB_GWERR_NONE);
	CU_ASSERT_EQUAL(lb_gwerror_from_name(NULL), LB_GWERR_NONE);
	CU_ASSERT_STRING_EQUAL(lb_gwerror_name(LB_GWERR_NONE), "NONE");
	CU_ASSERT_STRING_EQUAL(
	    lb_gwerror_name((enum lb_gwerr)LB_GWERR_COUNT), "UNKNOWN");
	CU_ASSERT_STRING_EQUAL(lb_gwerror_name((enum lb_gwerr) - 3), "UNKNOWN");
}

/* ---- gateway_responses overrides ---- */

static struct lb_gateway_response ov[LB_GWERR_COUNT];

static void
set(enum lb_gwerr t, int status, const char *body)
{
	ov[t].set = 1;
	ov[t].status = status;
	ov[t].body = (char *)body;
}

static void
render(enum lb_gwerr t, int rest, struct lb_http_response *r)
{
	memset(r, 0, sizeof(*r));
	CU_ASSERT_EQUAL_FATAL(lb_gwerror_render(t, rest, ov, NULL, r), 0);
}

/* docs/design.md's example: Lambda throttles as 429, function errors
 * untouched */
static void
test_override_throttle(void)
{
	struct lb_http_response r;
	const char *tmr = "{\"message\":\"Too Many Requests\"}";

	memset(ov, 0, sizeof(ov));
	set(LB_GWERR_INTEGRATION_FAILURE, 429, tmr);
	for (int rest = 0; rest <= 1; rest++) {
		render(LB_GWERR_INTEGRATION_FAILURE, rest, &r);
		CU_ASSERT_EQUAL(r.status, 429);
		CU_ASSERT_TRUE(body_is(&r, tmr));
		/* the type's x-amzn-ErrorType stays */
		if (rest) {
			CU_ASSERT_TRUE(
			    HEADERS(&r, "Content-Type: application/json",
			        "x-amzn-ErrorType: " ISE_T));
		} else {
			CU_ASSERT_TRUE(
			    HEADERS(&r, "Content-Type: application/json"));
		}
		lb_http_response_clear(&r);

		render(LB_GWERR_FUNCTION_ERROR, rest, &r);
		CU_ASSERT_EQUAL(r.status, rest ? 502 : 500);
		CU_ASSERT_TRUE(body_is(&r, rest ? ISE_REST : ISE_HTTP));
		lb_http_response_clear(&r);

		render(LB_GWERR_INTEGRATION_TIMEOUT, rest, &r);
		CU_ASSERT_EQUAL(r.status, rest ? 504 : 503);
		lb_http_response_clear(&r);
	}
}

static void
test_override_defaults(void)
{
	struct lb_http_response r;

	memset(ov, 0, sizeof(ov));
	set(LB_GWERR_DEFAULT_5XX, 0, "{\"error\":\"5xx\"}");
	set(LB_GWERR_DEFAULT_4XX, 0, "{\"error\":\"4xx\"}");

	/* DEFAULT_5XX covers every 5xx type that has no override of its own,
	 * function errors included; the status is kept */
	render(LB_GWERR_FUNCTION_ERROR, 1, &r);
	CU_ASSERT_EQUAL(r.status, 502);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"5xx\"}"));
	lb_http_response_clear(&r);
	render(LB_GWERR_INTEGRATION_TIMEOUT, 1, &r);
	CU_ASSERT_EQUAL(r.status, 504);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"5xx\"}"));
	lb_http_response_clear(&r);
	/* the HTTP API 503 gains a Content-Type with a custom body */
	render(LB_GWERR_INTEGRATION_TIMEOUT, 0, &r);
	CU_ASSERT_EQUAL(r.status, 503);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"5xx\"}"));
	CU_ASSERT_TRUE(HEADERS(&r, "Content-Type: application/json"));
	lb_http_response_clear(&r);

	/* DEFAULT_4XX covers 4xx types */
	render(LB_GWERR_MISSING_AUTHENTICATION_TOKEN, 1, &r);
	CU_ASSERT_EQUAL(r.status, 403);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"4xx\"}"));
	CU_ASSERT_TRUE(HEADERS(&r, "Content-Type: application/json",
	    "x-amzn-ErrorType: MissingAuthenticationTokenException"));
	lb_http_response_clear(&r);
	render(LB_GWERR_THROTTLED, 0, &r);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"4xx\"}"));
	lb_http_response_clear(&r);

	/* a type's own override wins over DEFAULT_* */
	set(LB_GWERR_INTEGRATION_TIMEOUT, 0, "{\"error\":\"slow\"}");
	render(LB_GWERR_INTEGRATION_TIMEOUT, 1, &r);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"slow\"}"));
	lb_http_response_clear(&r);

	/* EVENT_TOO_LARGE uses REQUEST_TOO_LARGE's override first */
	set(LB_GWERR_REQUEST_TOO_LARGE, 0, "{\"error\":\"big\"}");
	render(LB_GWERR_EVENT_TOO_LARGE, 1, &r);
	CU_ASSERT_EQUAL(r.status, 413);
	CU_ASSERT_TRUE(body_is(&r, "{\"error\":\"big\"}"));
	lb_http_response_clear(&r);

	/* no route on an HTTP API is RESOURCE_NOT_FOUND's override */
	set(LB_GWERR_RESOURCE_NOT_FOUND, 410, NULL);
	render(LB_GWERR_MISSING_AUTHENTICATION_TOKEN, 0, &r);
	CU_ASSERT_EQUAL(r.status, 410);
	CU_ASSERT_TRUE(body_is(&r, "{\"message\":\"Not Found\"}"));
	lb_http_response_clear(&r);
}

static void
test_override_headers(void)
{
	struct lb_http_response r;
	struct lb_kv h[] = {
		{ "Access-Control-Allow-Origin", "*" },
		{ "content-type", "text/plain" },
	};

	memset(ov, 0, sizeof(ov));
	set(LB_GWERR_MISSING_AUTHENTICATION_TOKEN, 404, "nope");
	ov[LB_GWERR_MISSING_AUTHENTICATION_TOKEN].headers = h;
	ov[LB_GWERR_MISSING_AUTHENTICATION_TOKEN].nheaders = 2;
	render(LB_GWERR_MISSING_AUTHENTICATION_TOKEN, 1, &r);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_TRUE(body_is(&r, "nope"));
	/* added headers come last; a configured one replaces the default */
	CU_ASSERT_TRUE(
	    HEADERS(&r, "x-amzn-ErrorType: MissingAuthenticationTokenException",
	        "Access-Control-Allow-Origin: *", "content-type: text/plain"));
	lb_http_response_clear(&r);

	/* DEFAULT_4XX/5XX themselves do not fall back to each other */
	memset(ov, 0, sizeof(ov));
	set(LB_GWERR_DEFAULT_4XX, 418, NULL);
	render(LB_GWERR_DEFAULT_5XX, 1, &r);
	CU_ASSERT_EQUAL(r.status, 500);
	lb_http_response_clear(&r);
	render(LB_GWERR_DEFAULT_4XX, 1, &r);
	CU_ASSERT_EQUAL(r.status, 418);
	CU_ASSERT_TRUE(body_is(&r, "{\"message\":\"Bad Request\"}"));
	lb_http_response_clear(&r);

	/* an override that is not set changes nothing */
	memset(ov, 0, sizeof(ov));
	ov[LB_GWERR_THROTTLED].status = 503;
	render(LB_GWERR_THROTTLED, 1, &r);
	CU_ASSERT_EQUAL(r.status, 429);
	lb_http_response_clear(&r);
}

/* An explicitly configured type is taken whole: DEFAULT_4XX's headers,
 * status and body do not merge into it (docs/apigw-facts.md section 6). */
static void
test_override_no_merge(void)
{
	struct lb_http_response r;
	struct lb_kv d4[] = { { "Access-Control-Allow-Origin", "*" },
		{ "X-From", "default" } };
	struct lb_kv un[] = { { "WWW-Authenticate", "Basic" } };

	memset(ov, 0, sizeof(ov));
	set(LB_GWERR_DEFAULT_4XX, 418, "{\"d\":1}");
	ov[LB_GWERR_DEFAULT_4XX].headers = d4;
	ov[LB_GWERR_DEFAULT_4XX].nheaders = 2;
	set(LB_GWERR_UNAUTHORIZED, 0, NULL);
	ov[LB_GWERR_UNAUTHORIZED].headers = un;
	ov[LB_GWERR_UNAUTHORIZED].nheaders = 1;
	render(LB_GWERR_UNAUTHORIZED, 1, &r);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_TRUE(body_is(&r, "{\"message\":\"Unauthorized\"}"));
	CU_ASSERT_TRUE(HEADERS(&r, "Content-Type: application/json",
	    "x-amzn-ErrorType: UnauthorizedException",
	    "WWW-Authenticate: Basic"));
	lb_http_response_clear(&r);
	/* a type without its own entry takes all of DEFAULT_4XX */
	render(LB_GWERR_ACCESS_DENIED, 1, &r);
	CU_ASSERT_EQUAL(r.status, 418);
	CU_ASSERT_TRUE(body_is(&r, "{\"d\":1}"));
	CU_ASSERT_TRUE(HEADERS(&r, "Content-Type: application/json",
	    "x-amzn-ErrorType: AccessDeniedException",
	    "Access-Control-Allow-Origin: *", "X-From: default"));
	lb_http_response_clear(&r);
}

static char *
fill(
    const char *tpl, enum lb_gwerr t, int rest, const struct lb_gwerror_vars *v)
{
	size_t len = 0;
	char *s = lb_gwerror_template(tpl, t, rest, v, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, strlen(s));
	return s;
}

#define FILLS(tpl, t, rest, v, want) \
	do { \
		char *got_ = fill(tpl, t, rest, v); \
		if (strcmp(got_, want) != 0) \
			fprintf( \
			    stderr, "\ntemplate '%s': got '%s'\n", tpl, got_); \
		CU_ASSERT_STRING_EQUAL(got_, want); \
		free(got_); \
	} while (0)

/* Each variable, by itself and next to text (docs/configuration.md). */
static void
test_template_variables(void)
{
	struct lb_kv sv[] = { { "env", "prod" }, { "e", "short" } };
	struct lb_gwerror_vars v = { NULL, "c0ffee-id", "192.0.2.7", "dev", sv,
		2 };

	FILLS("{\"message\":$context.error.messageString}",
	    LB_GWERR_UNAUTHORIZED, 1, &v, "{\"message\":\"Unauthorized\"}");
	FILLS("$context.error.message!", LB_GWERR_THROTTLED, 1, &v,
	    "Too Many Requests!");
	FILLS("[$context.error.responseType]", LB_GWERR_QUOTA_EXCEEDED, 1, &v,
	    "[QUOTA_EXCEEDED]");
	FILLS("id=$context.requestId;", LB_GWERR_THROTTLED, 0, &v,
	    "id=c0ffee-id;");
	FILLS("$context.identity.sourceIp", LB_GWERR_THROTTLED, 1, &v,
	    "192.0.2.7");
	FILLS("/$context.stage/", LB_GWERR_THROTTLED, 1, &v, "/dev/");
	FILLS("$stageVariables.env,$stageVariables.e", LB_GWERR_THROTTLED, 1,
	    &v, "prod,short");
	/* the example */
	FILLS("{\"error\":$context.error.messageString,\"type\":\"$context."
	      "error.responseType\"}",
	    LB_GWERR_UNAUTHORIZED, 1, &v,
	    "{\"error\":\"Unauthorized\",\"type\":\"UNAUTHORIZED\"}");
	/* HTTP API messages, and internal kinds named as their response */
	FILLS("$context.error.messageString", LB_GWERR_FUNCTION_ERROR, 0, &v,
	    "\"Internal Server Error\"");
	FILLS("$context.error.responseType", LB_GWERR_FUNCTION_ERROR, 1, &v,
	    "DEFAULT_5XX");
	FILLS("$context.error.responseType", LB_GWERR_EVENT_TOO_LARGE, 1, &v,
	    "REQUEST_TOO_LARGE");
	FILLS("$context.error.message", LB_GWERR_ACCESS_DENIED, 1, &v,
	    "User is not authorized to access this resource with an explicit "
	    "deny");
}

/* null messages, escaping, unknown names, '$' that is no variable. */
static void
test_template_edges(void)
{
	struct lb_gwerror_vars v = { "say \"hi\"\n\\ \x01", NULL, NULL, NULL,
		NULL, 0 };

	FILLS("{\"message\":$context.error.messageString}",
	    LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR, 1, NULL,
	    "{\"message\":null}");
	FILLS("<$context.error.message>",
	    LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR, 1, NULL, "<>");
	/* the message string is a JSON string; the message is as it is */
	FILLS("$context.error.messageString", LB_GWERR_UNAUTHORIZED, 1, &v,
	    "\"say \\\"hi\\\"\\n\\\\ \\u0001\"");
	FILLS("$context.error.message", LB_GWERR_UNAUTHORIZED, 1, &v,
	    "say \"hi\"\n\\ \x01");
	/* unknown names and unset values are empty */
	FILLS("a$context.nope.x-b", LB_GWERR_THROTTLED, 1, &v, "a-b");
	FILLS("a$context.requestId-b", LB_GWERR_THROTTLED, 1, NULL, "a-b");
	FILLS("a$stageVariables.none-b", LB_GWERR_THROTTLED, 1, &v, "a-b");
	/* a final dot is text; so is '$' before anything else */
	FILLS("$context.error.message.", LB_GWERR_THROTTLED, 1, NULL,
	    "Too Many Requests.");
	FILLS("$5 $context. $stageVariables $x $$ $", LB_GWERR_THROTTLED, 1,
	    NULL, "$5 $context. $stageVariables $x $$ $");
	FILLS("", LB_GWERR_THROTTLED, 1, NULL, "");
	/* a longer name is not a shorter one */
	FILLS("$context.stageX", LB_GWERR_THROTTLED, 1, NULL, "");
}

/* A configured body is a template; the vars' message replaces the default
 * one in a default body (ACCESS_DENIED keeps its "Message"). */
static void
test_render_template(void)
{
	struct lb_http_response r;
	struct lb_gwerror_vars v = { NULL, "rid", "10.0.0.1", "$default", NULL,
		0 };

	memset(ov, 0, sizeof(ov));
	set(LB_GWERR_UNAUTHORIZED, 0,
	    "{\"error\":$context.error.messageString,\"type\":\"$context."
	    "error.responseType\",\"id\":\"$context.requestId\"}");
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL_FATAL(
	    lb_gwerror_render(LB_GWERR_UNAUTHORIZED, 1, ov, &v, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_TRUE(body_is(&r,
	    "{\"error\":\"Unauthorized\",\"type\":\"UNAUTHORIZED\","
	    "\"id\":\"rid\"}"));
	lb_http_response_clear(&r);

	/* DEFAULT_4XX's template names the type that happened */
	set(LB_GWERR_DEFAULT_4XX, 0, "$context.error.responseType");
	CU_ASSERT_EQUAL_FATAL(
	    lb_gwerror_render(LB_GWERR_THROTTLED, 1, ov, &v, &r), 0);
	CU_ASSERT_TRUE(body_is(&r, "THROTTLED"));
	lb_http_response_clear(&r);

	memset(ov, 0, sizeof(ov));
	v.message = "User is not authorized to access this resource";
	CU_ASSERT_EQUAL_FATAL(
	    lb_gwerror_render(LB_GWERR_ACCESS_DENIED, 1, ov, &v, &r), 0);
	CU_ASSERT_TRUE(body_is(&r,
	    "{\"Message\":\"User is not authorized to access this "
	    "resource\"}"));
	lb_http_response_clear(&r);
	v.message = "Unauthorized";
	CU_ASSERT_EQUAL_FATAL(
	    lb_gwerror_render(LB_GWERR_UNAUTHORIZED, 0, NULL, &v, &r), 0);
	CU_ASSERT_TRUE(body_is(&r, "{\"message\":\"Unauthorized\"}"));
	lb_http_response_clear(&r);
}

void
lb_test_suite_gwerror(void)
{
	static CU_TestInfo tests[] = {
		{ "REST defaults", test_rest_defaults },
		{ "HTTP API defaults", test_http_defaults },
		{ "every type in both tables", test_table_complete },
		{ "exact byte lengths", test_exact_bytes },
		{ "invalid type", test_invalid_type },
		{ "names", test_names },
		{ "override: Lambda throttle as 429", test_override_throttle },
		{ "override: DEFAULT_4XX/5XX and parents",
		    test_override_defaults },
		{ "override: headers", test_override_headers },
		{ "override: a configured type never merges DEFAULT_4XX",
		    test_override_no_merge },
		{ "template: each variable", test_template_variables },
		{ "template: null, escaping, unknown names",
		    test_template_edges },
		{ "template: in rendered responses", test_render_template },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("gwerror", tests);
}
