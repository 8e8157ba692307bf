/*
 * fuzz_jwt.c - libFuzzer target for the JWT authorizer's parsers (`make
 * fuzz`): jwt.c on a token, jwk.c on a JWKS, both from outside (a client's
 * Authorization header, an issuer's response).
 *
 * The input is "TOKEN NUL JWKS" (without a NUL, all of it is both).  The
 * JWKS is parsed; the token is taken apart and, when it decodes, checked
 * against that key set and mapped as the integration would see it.
 * Nothing may crash, leak or overflow; a decoded token always has a
 * header, claims, an alg and a signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/jwk.h"
#include "apigw/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const auds[] = { "app" };
	static const char *const scopes[] = { "read", "write" };
	const struct lb_jwt_rules rules = { "https://idp", auds, 1, scopes, 2 };
	const char *in = (const char *)data, *nul = memchr(in, '\0', size);
	size_t tlen = nul != NULL ? (size_t)(nul - in) : size;
	const char *jwks = nul != NULL ? nul + 1 : in;
	size_t jlen = nul != NULL ? size - tlen - 1 : size;
	struct lb_jwks *set;
	struct lb_jwt t;
	const char *why;
	char err[256], www[512];
	json_object *o;

	set = lb_jwks_parse(jwks, jlen, err, sizeof(err));
	if (lb_jwt_decode(in, tlen, &t, &why) == LB_JWT_OK) {
		if (t.header == NULL || t.claims == NULL || t.alg == NULL ||
		    t.sig == NULL)
			abort();
		if (lb_jwt_check(&t, set, &rules, 1700000000000LL, &why) !=
		        LB_JWT_OK &&
		    why == NULL)
			abort();
		o = lb_jwt_authorizer(&t, &rules);
		json_object_put(o);
	} else if (why == NULL) {
		abort();
	}
	lb_jwt_challenge(www, sizeof(www), &rules, LB_JWT_UNAUTHORIZED, why);
	lb_jwt_clear(&t);
	lb_jwks_unref(set);
	return 0;
}
