/*
 * jwk.h - a JSON Web Key Set (RFC 7517) as the public keys a JWT authorizer
 * checks signatures with: RSA (n, e) and EC (P-256, P-384, P-521) keys
 * turned into OpenSSL keys.  Pure: no I/O, no logging, no globals.
 */
#ifndef LB_JWK_H
#define LB_JWK_H

#include <stddef.h>

#include <openssl/evp.h>

/* API Gateway's cap on a JWKS response (docs/apigw-facts.md §JWT). */
#define LB_JWKS_MAX_BYTES 150000

/* One usable key of a set. */
struct lb_jwk {
	char *kid;      /* NULL when the key has none */
	char *alg;      /* the key's "alg", NULL when it names none */
	int ec;         /* 1: an EC key, 0: RSA */
	EVP_PKEY *pkey; /* owned */
};

/* A key set, shared by reference (a refresh replaces it while requests
 * still check tokens against the old one). */
struct lb_jwks {
	int refs;
	size_t nkeys;
	size_t skipped; /* keys left out: not for signing, unknown type... */
	struct lb_jwk keys[];
};

/*
 * Parses a JWKS document (`{"keys":[...]}`, at most LB_JWKS_MAX_BYTES).
 * Keys that are not signature keys ("use" other than "sig"), of another
 * type ("oct", "OKP"), on another curve or whose parameters do not decode
 * are skipped and counted in `skipped`.  Returns a new set with one
 * reference, or NULL with the reason in err (not JSON, no "keys" array,
 * too large, out of memory).  A set may hold no key at all.
 */
struct lb_jwks *lb_jwks_parse(
    const char *text, size_t len, char *err, size_t errlen);

/* Takes a reference on `set` (any thread); returns it. */
struct lb_jwks *lb_jwks_ref(struct lb_jwks *set);

/* Drops a reference (NULL is fine); the last one frees the set. */
void lb_jwks_unref(struct lb_jwks *set);

/*
 * The key whose "kid" is `kid`, or NULL (also for a NULL kid: API
 * Gateway needs a token's kid to match a key).  Borrowed from `set`.
 */
const struct lb_jwk *lb_jwks_find(const struct lb_jwks *set, const char *kid);

#endif /* LB_JWK_H */
