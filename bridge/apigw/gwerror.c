/*
 * gwerror.c - the responses the gateway itself makes, byte for byte per API
 * type, and gateway response overrides.  docs/responses.md gives the
 * evidence for every row.
 */
#include <stdlib.h>
#include <string.h>

#include "apigw/gwerror.h"
#include "base/json.h"
#include "fastcgi/http.h"

struct row {
	int status;
	const char *body;
	const char *error_type; /* NULL: no x-amzn-ErrorType */
	int no_content_type;    /* AWS sends no Content-Type */
	const char *message;    /* $context.error.message; NULL: null */
};

/* REST bodies: spaced ones come from integrations, unspaced from templates */
#define R_ISE_M    "Internal server error"
#define R_ISE      "{\"message\": \"" R_ISE_M "\"}"
#define R_ISE_T    "InternalServerErrorException"
#define R_TOO_LONG "{\"message\": \"Request Too Long\"}"
#define R_NULL     "{\"message\":null}"
#define R_DENY_M \
	"User is not authorized to access this resource with an explicit deny"
/* the authorizers' signature types: texts of AWS's IAM errors
 * (docs/apigw-facts.md section 6: unverified) */
#define R_EXPIRED_M "The security token included in the request is expired"
#define R_BADSIG_M \
	"The request signature we calculated does not match the signature " \
	"you provided. Check your AWS Secret Access Key and signing " \
	"method. Consult the service documentation for details."
#define R_TPL(m) "{\"message\":\"" m "\"}"

static const struct row rest_rows[LB_GWERR_COUNT] = {
	[LB_GWERR_MISSING_AUTHENTICATION_TOKEN] = { 403,
	    R_TPL("Missing Authentication Token"),
	    "MissingAuthenticationTokenException", 0,
	    "Missing Authentication Token" },
	[LB_GWERR_RESOURCE_NOT_FOUND] = { 404, R_TPL("Not Found"),
	    "NotFoundException", 0, "Not Found" },
	[LB_GWERR_INTEGRATION_FAILURE] = { 500, R_ISE, R_ISE_T, 0, R_ISE_M },
	[LB_GWERR_INTEGRATION_TIMEOUT] = { 504,
	    "{\"message\": \"Endpoint request timed out\"}", R_ISE_T, 0,
	    "Endpoint request timed out" },
	[LB_GWERR_FUNCTION_ERROR] = { 502, R_ISE, R_ISE_T, 0, R_ISE_M },
	[LB_GWERR_THROTTLED] = { 429, R_TPL("Too Many Requests"),
	    "TooManyRequestsException", 0, "Too Many Requests" },
	[LB_GWERR_QUOTA_EXCEEDED] = { 429, R_TPL("Limit Exceeded"),
	    "LimitExceededException", 0, "Limit Exceeded" },
	[LB_GWERR_INVALID_API_KEY] = { 403, R_TPL("Forbidden"),
	    "ForbiddenException", 0, "Forbidden" },
	/* AWS's default says "Message" (docs/apigw-facts.md section 6) */
	[LB_GWERR_ACCESS_DENIED] = { 403, "{\"Message\":\"" R_DENY_M "\"}",
	    "AccessDeniedException", 0, R_DENY_M },
	[LB_GWERR_UNAUTHORIZED] = { 401, R_TPL("Unauthorized"),
	    "UnauthorizedException", 0, "Unauthorized" },
	[LB_GWERR_REQUEST_TOO_LARGE] = { 413, R_TOO_LONG, "BadRequestException",
	    0, "Request Too Long" },
	[LB_GWERR_EVENT_TOO_LARGE] = { 413, R_TOO_LONG, "BadRequestException",
	    0, "Request Too Long" },
	[LB_GWERR_BAD_REQUEST_BODY] = { 400,
	    "{\"message\": \"Invalid request body\"}", "BadRequestException", 0,
	    "Invalid request body" },
	[LB_GWERR_API_CONFIGURATION_ERROR] = { 500, R_ISE, R_ISE_T, 0,
	    R_ISE_M },
	[LB_GWERR_AUTHORIZER_FAILURE] = { 500, R_NULL,
	    "AuthorizerFailureException", 0, NULL },
	[LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR] = { 500, R_NULL,
	    "AuthorizerConfigurationException", 0, NULL },
	[LB_GWERR_EXPIRED_TOKEN] = { 403, R_TPL(R_EXPIRED_M),
	    "ExpiredTokenException", 0, R_EXPIRED_M },
	[LB_GWERR_INVALID_SIGNATURE] = { 403, R_TPL(R_BADSIG_M),
	    "InvalidSignatureException", 0, R_BADSIG_M },
	[LB_GWERR_DEFAULT_4XX] = { 400, R_TPL("Bad Request"),
	    "BadRequestException", 0, "Bad Request" },
	[LB_GWERR_DEFAULT_5XX] = { 500, R_ISE, R_ISE_T, 0, R_ISE_M },
};

/* HTTP API bodies are the reason phrase; no x-amzn-ErrorType at all */
#define H_ROW(st, m) \
	{ \
		st, R_TPL(m), NULL, 0, m \
	}
#define H_ISE "Internal Server Error"

static const struct row http_rows[LB_GWERR_COUNT] = {
	[LB_GWERR_MISSING_AUTHENTICATION_TOKEN] = H_ROW(404, "Not Found"),
	[LB_GWERR_RESOURCE_NOT_FOUND] = H_ROW(404, "Not Found"),
	[LB_GWERR_INTEGRATION_FAILURE] = H_ROW(500, H_ISE),
	[LB_GWERR_INTEGRATION_TIMEOUT] = { 503, R_TPL("Service Unavailable"),
	    NULL, 1, "Service Unavailable" },
	[LB_GWERR_FUNCTION_ERROR] = H_ROW(500, H_ISE),
	[LB_GWERR_THROTTLED] = H_ROW(429, "Too Many Requests"),
	[LB_GWERR_QUOTA_EXCEEDED] = H_ROW(429, "Too Many Requests"),
	[LB_GWERR_INVALID_API_KEY] = H_ROW(403, "Forbidden"),
	[LB_GWERR_ACCESS_DENIED] = H_ROW(403, "Forbidden"),
	[LB_GWERR_UNAUTHORIZED] = H_ROW(401, "Unauthorized"),
	[LB_GWERR_REQUEST_TOO_LARGE] = H_ROW(413, "Request Entity Too Large"),
	[LB_GWERR_EVENT_TOO_LARGE] = H_ROW(413, "Request Entity Too Large"),
	[LB_GWERR_BAD_REQUEST_BODY] = H_ROW(400, "Bad Request"),
	[LB_GWERR_API_CONFIGURATION_ERROR] = H_ROW(500, H_ISE),
	[LB_GWERR_AUTHORIZER_FAILURE] = H_ROW(500, H_ISE),
	[LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR] = H_ROW(500, H_ISE),
	[LB_GWERR_EXPIRED_TOKEN] = H_ROW(403, "Forbidden"),
	[LB_GWERR_INVALID_SIGNATURE] = H_ROW(403, "Forbidden"),
	[LB_GWERR_DEFAULT_4XX] = H_ROW(400, "Bad Request"),
	[LB_GWERR_DEFAULT_5XX] = H_ROW(500, H_ISE),
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
	[LB_GWERR_AUTHORIZER_FAILURE] = "AUTHORIZER_FAILURE",
	[LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR] =
	    "AUTHORIZER_CONFIGURATION_ERROR",
	[LB_GWERR_EXPIRED_TOKEN] = "EXPIRED_TOKEN",
	[LB_GWERR_INVALID_SIGNATURE] = "INVALID_SIGNATURE",
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
	info->message = r->message;
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

/* The name a template's $context.error.responseType gives `type`: an
 * internal kind is named as the gateway response that answers it. */
static const char *
response_type(enum lb_gwerr type)
{
	if (type == LB_GWERR_FUNCTION_ERROR)
		return "DEFAULT_5XX";
	if (parent[type] != LB_GWERR_NONE)
		return aws_names[parent[type]];
	return aws_names[type] != NULL ? aws_names[type] : "DEFAULT_5XX";
}

/* Is c a character of a variable's name segment ($context.NAME.NAME)? */
static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/*
 * The length of the dotted name at s (segments of name_char joined by
 * single dots; a dot that no segment follows is not part of it).
 */
static size_t
name_len(const char *s)
{
	size_t n = 0;

	for (;;) {
		while (name_char((unsigned char)s[n]))
			n++;
		if (s[n] != '.' || !name_char((unsigned char)s[n + 1]))
			return n;
		n++;
	}
}

static int
is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Writes the value of $context.NAME (name[0..n)) to b. */
static void
put_context(struct lb_jbuf *b, const char *name, size_t n, enum lb_gwerr type,
    int rest, const struct lb_gwerror_vars *v)
{
	const struct row *r = rest ? &rest_rows[type] : &http_rows[type];
	const char *msg =
	    v != NULL && v->message != NULL ? v->message : r->message;
	const char *val = NULL;

	if (is(name, n, "error.messageString")) {
		if (msg == NULL)
			lb_jbuf_put(b, "null", 4);
		else
			lb_jbuf_string(b, msg, strlen(msg));
		return;
	}
	if (is(name, n, "error.message"))
		val = msg;
	else if (is(name, n, "error.responseType"))
		val = response_type(type);
	else if (v == NULL)
		val = NULL;
	else if (is(name, n, "requestId"))
		val = v->request_id;
	else if (is(name, n, "identity.sourceIp"))
		val = v->source_ip;
	else if (is(name, n, "stage"))
		val = v->stage;
	if (val != NULL)
		lb_jbuf_put(b, val, strlen(val));
}

/* Writes the value of $stageVariables.NAME (name[0..n)) to b. */
static void
put_stage_variable(struct lb_jbuf *b, const char *name, size_t n,
    const struct lb_gwerror_vars *v)
{
	for (size_t i = 0; v != NULL && i < v->nstage_variables; i++)
		if (is(name, n, v->stage_variables[i].key)) {
			lb_jbuf_put(b, v->stage_variables[i].value,
			    strlen(v->stage_variables[i].value));
			return;
		}
}

char *
lb_gwerror_template(const char *tpl, enum lb_gwerr type, int rest,
    const struct lb_gwerror_vars *vars, size_t *len)
{
	static const char ctx[] = "$context.", sv[] = "$stageVariables.";
	struct lb_jbuf b = { 0 };
	const char *p = tpl, *d, *name;
	size_t n;

	if (!valid(type))
		type = LB_GWERR_DEFAULT_5XX;
	while ((d = strchr(p, '$')) != NULL) {
		lb_jbuf_put(&b, p, (size_t)(d - p));
		if (strncmp(d, ctx, sizeof(ctx) - 1) == 0 &&
		    (n = name_len(name = d + sizeof(ctx) - 1)) > 0) {
			put_context(&b, name, n, type, rest, vars);
		} else if (strncmp(d, sv, sizeof(sv) - 1) == 0 &&
		    (n = name_len(name = d + sizeof(sv) - 1)) > 0) {
			put_stage_variable(&b, name, n, vars);
		} else {
			/* not a variable: the '$' stays */
			lb_jbuf_put(&b, "$", 1);
			p = d + 1;
			continue;
		}
		p = name + n;
	}
	lb_jbuf_put(&b, p, strlen(p));
	return lb_jbuf_finish(&b, len);
}

int
lb_gwerror_render(enum lb_gwerr type, int rest,
    const struct lb_gateway_response *overrides,
    const struct lb_gwerror_vars *vars, struct lb_http_response *resp)
{
	const struct lb_gateway_response *o;
	const struct row *r;
	const char *tpl = NULL;
	char *body = NULL;
	size_t len;

	if (!valid(type))
		type = LB_GWERR_DEFAULT_5XX;
	/* an HTTP API has no such response: no route is RESOURCE_NOT_FOUND */
	if (!rest && type == LB_GWERR_MISSING_AUTHENTICATION_TOKEN)
		type = LB_GWERR_RESOURCE_NOT_FOUND;
	r = rest ? &rest_rows[type] : &http_rows[type];
	o = find_override(type, r->status, overrides);

	resp->status = o != NULL && o->status != 0 ? o->status : r->status;
	/* a configured body is a template; so is the default one when the
	 * message is not the type's own (ACCESS_DENIED's says "Message") */
	if (o != NULL && o->body != NULL)
		tpl = o->body;
	else if (vars != NULL && vars->message != NULL)
		tpl = rest && type == LB_GWERR_ACCESS_DENIED
		    ? "{\"Message\":$context.error.messageString}"
		    : "{\"message\":$context.error.messageString}";
	if (tpl != NULL && strchr(tpl, '$') != NULL) {
		body = lb_gwerror_template(tpl, type, rest, vars, &len);
		if (body == NULL)
			goto fail;
	}
	if ((!r->no_content_type || tpl != NULL) &&
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
	if (body != NULL)
		lb_http_response_take_body(resp, body, len);
	else if (tpl != NULL) {
		if (lb_http_response_set_body(resp, tpl, strlen(tpl)) < 0)
			goto fail;
	} else if (lb_http_response_set_body(resp, r->body, strlen(r->body)) <
	    0)
		goto fail;
	return 0;
fail:
	free(body);
	lb_http_response_clear(resp);
	return -1;
}
