/*
 * gwerror.h - the errors the gateway itself answers with (no function output
 * involved, or function output that cannot be used), with API Gateway's exact
 * status, body bytes and x-amzn-ErrorType per API type (docs/apigw-facts.md
 * sections 3.6 and 4, docs/design.md section 2).  Pure: no I/O, no globals.
 */
#ifndef LB_GWERROR_H
#define LB_GWERROR_H

#include <stddef.h>

#include "base/kv.h"

struct lb_http_response;

/* Gateway response types, named as API Gateway names them. */
enum lb_gwerr {
	LB_GWERR_NONE = 0,
	LB_GWERR_MISSING_AUTHENTICATION_TOKEN, /* REST: no route */
	LB_GWERR_RESOURCE_NOT_FOUND,           /* HTTP API: no route */
	LB_GWERR_INTEGRATION_FAILURE, /* Lambda throttle / invoke rejected */
	LB_GWERR_INTEGRATION_TIMEOUT,
	LB_GWERR_FUNCTION_ERROR, /* handler error, crash, timeout, malformed (DEFAULT_5XX on AWS) */
	LB_GWERR_THROTTLED,
	LB_GWERR_QUOTA_EXCEEDED,
	LB_GWERR_INVALID_API_KEY,
	LB_GWERR_ACCESS_DENIED,
	LB_GWERR_UNAUTHORIZED,
	LB_GWERR_REQUEST_TOO_LARGE, /* body over max_request_body */
	LB_GWERR_EVENT_TOO_LARGE,   /* event over 6 MB (Lambda's limit) */
	LB_GWERR_BAD_REQUEST_BODY,
	LB_GWERR_API_CONFIGURATION_ERROR,
	/* the authorizers' types (named for gateway_responses; raised by
	 * authorizers and signature checks) */
	LB_GWERR_AUTHORIZER_FAILURE,
	LB_GWERR_AUTHORIZER_CONFIGURATION_ERROR,
	LB_GWERR_EXPIRED_TOKEN,
	LB_GWERR_INVALID_SIGNATURE,
	LB_GWERR_DEFAULT_4XX,
	LB_GWERR_DEFAULT_5XX,
	LB_GWERR_COUNT
};

struct lb_gwerror_info {
	int status;
	const char *body;       /* exact bytes */
	const char *error_type; /* x-amzn-ErrorType value, or NULL for none */
	const char *message;    /* $context.error.message; NULL: null */
};

/*
 * The default response of `type` for the API type (`rest` non-zero for a
 * REST API).  Returns 0 and fills *info (static strings), or -1 for an
 * unknown type.
 */
int lb_gwerror_info(enum lb_gwerr type, int rest, struct lb_gwerror_info *info);

/* A gateway response override (API Gateway "gateway responses"). */
struct lb_gateway_response {
	int set;               /* 0: no override configured */
	int status;            /* 0 = keep the default status */
	char *body;            /* NULL = keep the default body */
	struct lb_kv *headers; /* added to (or replacing) the response's */
	size_t nheaders;
};

/*
 * What a gateway response template may name besides the error itself
 * ($context.requestId, $context.identity.sourceIp, $context.stage,
 * $stageVariables.NAME), and the error's message when it is not the
 * type's default (an authorizer's).  All borrowed; any may be NULL.
 */
struct lb_gwerror_vars {
	const char *message; /* NULL: the type's default message */
	const char *request_id;
	const char *source_ip;
	const char *stage;
	const struct lb_kv *stage_variables;
	size_t nstage_variables;
};

/*
 * Renders the error response of `type` into `resp` (which must be empty):
 * status, exact body, Content-Type application/json, x-amzn-ErrorType where
 * the API type sends one.  `overrides` (LB_GWERR_COUNT entries, or NULL) are
 * applied as API Gateway applies gateway responses: the type's own override
 * (whole: it never takes DEFAULT_4XX/DEFAULT_5XX's headers), else
 * DEFAULT_4XX/DEFAULT_5XX by the status class.  A configured body is a
 * template (lb_gwerror_template) filled from `vars` (may be NULL).
 * Request-id headers are the caller's.  Returns 0, or -1 when out of
 * memory.
 */
int lb_gwerror_render(enum lb_gwerr type, int rest,
    const struct lb_gateway_response *overrides,
    const struct lb_gwerror_vars *vars, struct lb_http_response *resp);

/*
 * Fills the gateway response template `tpl` for an error of `type` (the
 * API type's message and name) as API Gateway does, by plain substitution
 * (no VTL): $context.error.messageString (the message as a JSON string, or
 * null), $context.error.message (as is; empty when null),
 * $context.error.responseType, $context.requestId,
 * $context.identity.sourceIp, $context.stage and $stageVariables.NAME from
 * `vars` (may be NULL).  A $context or $stageVariables name it does not
 * know, or a value not set, becomes the empty string; any other '$' is
 * kept.  Returns the new text (the caller frees it) with its length in
 * *len, or NULL when out of memory.
 */
char *lb_gwerror_template(const char *tpl, enum lb_gwerr type, int rest,
    const struct lb_gwerror_vars *vars, size_t *len);

/* The type named `name` ("INTEGRATION_FAILURE"), or LB_GWERR_NONE. */
enum lb_gwerr lb_gwerror_from_name(const char *name);

/* The name of `type` ("INTEGRATION_FAILURE"); "UNKNOWN" if out of range. */
const char *lb_gwerror_name(enum lb_gwerr type);

#endif /* LB_GWERROR_H */
