/*
 * jwk.c - a JSON Web Key Set turned into OpenSSL public keys.
 *
 * The keys are built from their parameters with EVP_PKEY_fromdata (RSA
 * modulus and exponent; EC curve and the point 04||x||y, which OpenSSL
 * checks lies on the curve); nothing here does arithmetic on them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "apigw/jwk.h"
#include "base/b64.h"

/* A JWKS is an object holding an array of flat objects. */
#define JWKS_DEPTH 8

/* The string member `name` of `o`, or NULL (absent or not a string). */
static const char *
member_str(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Decodes the base64url member `name` into a new buffer (*len bytes);
 * NULL when absent, empty or not base64url. */
static unsigned char *
member_bytes(json_object *o, const char *name, size_t *len)
{
	const char *s = member_str(o, name);
	unsigned char *b;
	size_t slen;
	long n;

	if (s == NULL || (slen = strlen(s)) == 0)
		return NULL;
	if ((b = malloc(slen / 4 * 3 + 3)) == NULL)
		return NULL;
	if ((n = lb_b64url_decode(s, slen, b)) <= 0) {
		free(b);
		return NULL;
	}
	*len = (size_t)n;
	return b;
}

/* Builds a public key of `type` ("RSA", "EC") from `params`. */
static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (params == NULL)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
rsa_key(json_object *k)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	if ((n = member_bytes(k, "n", &nlen)) == NULL ||
	    (e = member_bytes(k, "e", &elen)) == NULL)
		goto out;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	pkey = from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(be);
	BN_free(bn);
	free(e);
	free(n);
	return pkey;
}

static EVP_PKEY *
ec_key(json_object *k)
{
	static const struct {
		const char *crv, *group;
		size_t len;
	} curves[] = {
		{ "P-256", "prime256v1", 32 },
		{ "P-384", "secp384r1", 48 },
		{ "P-521", "secp521r1", 66 },
	};
	const char *crv = member_str(k, "crv");
	unsigned char *x = NULL, *y = NULL, point[1 + 2 * 66];
	size_t xlen = 0, ylen = 0, c;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	if (crv == NULL)
		return NULL;
	for (c = 0; c < sizeof(curves) / sizeof(curves[0]); c++)
		if (strcmp(crv, curves[c].crv) == 0)
			break;
	if (c == sizeof(curves) / sizeof(curves[0]))
		return NULL;
	if ((x = member_bytes(k, "x", &xlen)) == NULL ||
	    (y = member_bytes(k, "y", &ylen)) == NULL ||
	    xlen != curves[c].len || ylen != curves[c].len)
		goto out;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, xlen);
	memcpy(point + 1 + xlen, y, ylen);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(
	        bld, OSSL_PKEY_PARAM_GROUP_NAME, curves[c].group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(
	        bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + xlen + ylen))
		goto out;
	pkey = from_params("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	free(y);
	free(x);
	return pkey;
}

/* Fills `out` from one JWK; -1 when it is not a usable signature key. */
static int
parse_key(json_object *k, struct lb_jwk *out)
{
	const char *kty = member_str(k, "kty");
	const char *use = member_str(k, "use");
	const char *kid = member_str(k, "kid");
	const char *alg = member_str(k, "alg");

	memset(out, 0, sizeof(*out));
	if (kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
		return -1;
	if (strcmp(kty, "RSA") == 0) {
		out->pkey = rsa_key(k);
	} else if (strcmp(kty, "EC") == 0) {
		out->ec = 1;
		out->pkey = ec_key(k);
	}
	if (out->pkey == NULL)
		return -1;
	if ((kid != NULL && (out->kid = strdup(kid)) == NULL) ||
	    (alg != NULL && (out->alg = strdup(alg)) == NULL)) {
		free(out->kid);
		EVP_PKEY_free(out->pkey);
		return -1;
	}
	return 0;
}

/* Nothing but JSON whitespace in text[from..len). */
static int
only_space(const char *text, int from, size_t len)
{
	for (size_t i = from < 0 ? 0 : (size_t)from; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || text[i] == '\0')
			return 0;
	return 1;
}

struct lb_jwks *
lb_jwks_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *doc = NULL, *keys;
	struct lb_jwks *set = NULL;
	size_t n;

	err[0] = '\0';
	if (len > LB_JWKS_MAX_BYTES) {
		snprintf(err, errlen, "JWKS of %zu bytes is over %d bytes", len,
		    LB_JWKS_MAX_BYTES);
		return NULL;
	}
	if ((tok = json_tokener_new_ex(JWKS_DEPTH)) == NULL)
		goto oom;
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (doc == NULL || !only_space(text, tok->char_offset, len)) {
		snprintf(err, errlen, "JWKS is not JSON: %s",
		    doc == NULL
		        ? json_tokener_error_desc(json_tokener_get_error(tok))
		        : "bytes after the document");
		json_tokener_free(tok);
		json_object_put(doc);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		snprintf(err, errlen, "JWKS has no \"keys\" array");
		json_object_put(doc);
		return NULL;
	}
	n = json_object_array_length(keys);
	set = calloc(1, sizeof(*set) + n * sizeof(set->keys[0]));
	if (set == NULL)
		goto oom;
	set->refs = 1;
	for (size_t i = 0; i < n; i++) {
		json_object *k = json_object_array_get_idx(keys, i);

		if (!json_object_is_type(k, json_type_object) ||
		    parse_key(k, &set->keys[set->nkeys]) < 0)
			set->skipped++;
		else
			set->nkeys++;
	}
	json_object_put(doc);
	return set;
oom:
	json_object_put(doc);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

struct lb_jwks *
lb_jwks_ref(struct lb_jwks *set)
{
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_RELAXED);
	return set;
}

void
lb_jwks_unref(struct lb_jwks *set)
{
	if (set == NULL || __atomic_sub_fetch(&set->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < set->nkeys; i++) {
		free(set->keys[i].kid);
		free(set->keys[i].alg);
		EVP_PKEY_free(set->keys[i].pkey);
	}
	free(set);
}

const struct lb_jwk *
lb_jwks_find(const struct lb_jwks *set, const char *kid)
{
	if (set == NULL)
		return NULL;
	if (kid == NULL) /* API Gateway needs the token's kid */
		return NULL;
	for (size_t i = 0; i < set->nkeys; i++)
		if (set->keys[i].kid != NULL &&
		    strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}
