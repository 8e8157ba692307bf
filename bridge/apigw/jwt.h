/*
 * jwt.h - an HTTP API JWT authorizer's decision on one token: the compact
 * JWS taken apart, its signature checked with OpenSSL against a key set
 * (jwk.h), its claims checked as API Gateway checks them, and what the
 * integration sees (requestContext.authorizer.jwt) and the client gets
 * (the www-authenticate challenge).  Pure: no I/O, no logging, no globals.
 *
 * A decision is two calls, so that the caller can find the keys between
 * them without blocking: lb_jwt_decode (the token's shape, its kid), then
 * lb_jwt_check (signature and claims) once the key set is at hand.
 */
#ifndef LB_JWT_H
#define LB_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "apigw/jwk.h"

/* An identity value over this many bytes is not a token we read. */
#define LB_JWT_MAX_BYTES 16384

/* What the authorizer is configured with, and the route's scopes; all
 * borrowed. */
struct lb_jwt_rules {
	const char *issuer;
	const char *const *audiences;
	size_t naudiences;
	const char *const *scopes; /* the route's authorization_scopes */
	size_t nscopes;
};

/* A token taken apart (lb_jwt_decode); release with lb_jwt_clear. */
struct lb_jwt {
	json_object *header;     /* owned */
	json_object *claims;     /* owned: the payload, a JSON object */
	const char *alg;         /* borrowed from header */
	const char *kid;         /* borrowed from header; NULL when absent */
	const char *signed_part; /* borrowed: "header.payload" of the input */
	size_t signed_len;
	unsigned char *sig; /* owned, decoded */
	size_t sig_len;
};

/* The outcome of a check; the HTTP status it costs the request. */
enum lb_jwt_status {
	LB_JWT_OK = 0,
	LB_JWT_UNAUTHORIZED = 401, /* error="invalid_token" */
	LB_JWT_FORBIDDEN = 403,    /* error="insufficient_scope" */
};

/*
 * The token in an identity value as API Gateway reads it: the value itself,
 * or what follows "Bearer " (the scheme matched without regard to case).
 * Sets *len; returns a pointer into `value`.
 */
const char *lb_jwt_from_identity(const char *value, size_t *len);

/*
 * Takes the compact JWS token[0..len) apart into `t` (zeroed by the
 * callee): three base64url parts, a JSON header with a supported "alg"
 * (RS256/384/512, PS256/384/512, ES256/384/512; "none", HS* and anything
 * else are refused), a JSON object as payload.  Returns LB_JWT_OK, or
 * LB_JWT_UNAUTHORIZED with *why set to the error_description API Gateway
 * sends (a static string); `t` is cleared on failure.
 */
enum lb_jwt_status lb_jwt_decode(
    const char *token, size_t len, struct lb_jwt *t, const char **why);

/*
 * Checks a decoded token as API Gateway does, in its order: the header's
 * kid names a key of `keys` (NULL: no keys could be had) whose type and
 * "alg" fit the token's alg; the signature; `iss` equals r->issuer; `aud`
 * (a string or an array) holds one of r->audiences, or, only when there is
 * no `aud`, `client_id` does; `exp` is after `now_ms` (and present); `nbf`
 * and `iat`, when present, are not after it; when the route has scopes,
 * the token's `scope` (space-separated) or `scp` (an array) holds at least
 * one.  Returns LB_JWT_OK, LB_JWT_UNAUTHORIZED or LB_JWT_FORBIDDEN with
 * *why set (static) on failure.
 */
enum lb_jwt_status lb_jwt_check(const struct lb_jwt *t,
    const struct lb_jwks *keys, const struct lb_jwt_rules *r, int64_t now_ms,
    const char **why);

/* Frees what `t` owns and zeroes it (a zeroed `t` is fine). */
void lb_jwt_clear(struct lb_jwt *t);

/*
 * The claims as the integration sees them (requestContext.authorizer.jwt
 * .claims): every value a string: strings as they are, numbers as written
 * in the token, true/false, arrays as "[a b]" (items formatted the same
 * way), objects as JSON text; null claims left out.  Returns a new
 * reference, or NULL when out of memory.
 */
json_object *lb_jwt_claims_map(const struct lb_jwt *t);

/*
 * requestContext.authorizer.jwt: {"claims": lb_jwt_claims_map, "scopes":
 * the token's scopes (from `scope`, else `scp`) as an array of strings, or
 * null when the route has no authorization_scopes}.  Returns a new
 * reference, or NULL when out of memory.
 */
json_object *lb_jwt_authorizer(
    const struct lb_jwt *t, const struct lb_jwt_rules *r);

/*
 * The www-authenticate value of a refusal into buf (NUL-terminated,
 * truncated to len): `Bearer` alone for a request without a token
 * (why NULL), else `Bearer scope="<the route's scopes, space-separated>"
 * error="invalid_token" error_description="<why>"`, with
 * error="insufficient_scope" for LB_JWT_FORBIDDEN.  Returns buf.
 */
char *lb_jwt_challenge(char *buf, size_t len, const struct lb_jwt_rules *r,
    enum lb_jwt_status status, const char *why);

/* error_description texts the caller may need (the rest stay in jwt.c) */
extern const char lb_jwt_why_no_keys[];

#endif /* LB_JWT_H */
