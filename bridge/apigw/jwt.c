/*
 * jwt.c - an HTTP API JWT authorizer's decision on one token.
 *
 * Signatures are OpenSSL's (EVP_DigestVerify); this file only picks the
 * digest and padding a JWS "alg" names (RFC 7518 §3) and turns an ES*
 * signature, which JWS writes as the raw pair r||s, into the DER that
 * OpenSSL reads.  The error_description texts are API Gateway's where a
 * capture or its documentation shows them; docs/jwt-authorizers.md lists
 * which are and which are ours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "apigw/jwt.h"
#include "base/b64.h"

/* A token's header and payload are flat objects, give or take. */
#define JWT_DEPTH 16

/* Seen from API Gateway (docs/authorizers.md) */
static const char why_segments[] =
    "token contains an invalid number of segments";
static const char why_audience[] = "the token does not have a valid audience";
static const char why_expired[] = "the token has expired";
/* ours: no capture shows API Gateway's text for these */
static const char why_malformed[] = "the token is malformed";
static const char why_alg[] = "the token's signing method is not supported";
static const char why_kid[] = "the token does not have a valid key id";
static const char why_signature[] = "the token does not have a valid signature";
static const char why_issuer[] = "the token does not have a valid issuer";
static const char why_no_exp[] =
    "the token does not have a valid expiration time";
static const char why_not_yet[] = "the token is not valid yet";
static const char why_scope[] = "the token does not have the required scope";
const char lb_jwt_why_no_keys[] = "the signing keys could not be fetched";

enum alg_kind { ALG_RSA, ALG_PSS, ALG_EC };

static const struct alg {
	const char *name;
	enum alg_kind kind;
	const char *md;
	int ec_bytes; /* ES*: the size of r and of s */
} algs[] = {
	{ "RS256", ALG_RSA, "SHA256", 0 },
	{ "RS384", ALG_RSA, "SHA384", 0 },
	{ "RS512", ALG_RSA, "SHA512", 0 },
	{ "PS256", ALG_PSS, "SHA256", 0 },
	{ "PS384", ALG_PSS, "SHA384", 0 },
	{ "PS512", ALG_PSS, "SHA512", 0 },
	{ "ES256", ALG_EC, "SHA256", 32 },
	{ "ES384", ALG_EC, "SHA384", 48 },
	{ "ES512", ALG_EC, "SHA512", 66 },
};

static const struct alg *
find_alg(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

const char *
lb_jwt_from_identity(const char *value, size_t *len)
{
	while (*value == ' ')
		value++;
	if (strncasecmp(value, "Bearer ", 7) == 0)
		value += 7;
	while (*value == ' ')
		value++;
	*len = strlen(value);
	while (*len > 0 && value[*len - 1] == ' ')
		(*len)--;
	return value;
}

/* A base64url part holding a JSON object: a new reference, or NULL. */
static json_object *
decode_object(const char *s, size_t len)
{
	struct json_tokener *tok;
	unsigned char *buf;
	json_object *o = NULL;
	long n;

	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return NULL;
	if ((n = lb_b64url_decode(s, len, buf)) <= 0 ||
	    memchr(buf, '\0', (size_t)n) != NULL)
		goto out;
	if ((tok = json_tokener_new_ex(JWT_DEPTH)) == NULL)
		goto out;
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)n);
	if (o != NULL &&
	    (tok->char_offset != (int)n ||
	        !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
out:
	free(buf);
	return o;
}

void
lb_jwt_clear(struct lb_jwt *t)
{
	json_object_put(t->header);
	json_object_put(t->claims);
	free(t->sig);
	memset(t, 0, sizeof(*t));
}

enum lb_jwt_status
lb_jwt_decode(const char *token, size_t len, struct lb_jwt *t, const char **why)
{
	const char *dot1, *dot2, *sig;
	json_object *v;
	long n;

	memset(t, 0, sizeof(*t));
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))
	            : NULL;
	if (dot2 == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
		*why = why_segments;
		return LB_JWT_UNAUTHORIZED;
	}
	*why = why_malformed;
	if (len > LB_JWT_MAX_BYTES)
		goto fail;
	if ((t->header = decode_object(token, (size_t)(dot1 - token))) ==
	        NULL ||
	    (t->claims = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1))) ==
	        NULL)
		goto fail;
	if (!json_object_object_get_ex(t->header, "alg", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		goto fail;
	}
	t->alg = json_object_get_string(v);
	if (find_alg(t->alg) == NULL) {
		*why = why_alg;
		goto fail;
	}
	if (json_object_object_get_ex(t->header, "kid", &v) &&
	    json_object_is_type(v, json_type_string))
		t->kid = json_object_get_string(v);
	sig = dot2 + 1;
	if ((t->sig = malloc((len - (size_t)(sig - token)) / 4 * 3 + 3)) ==
	    NULL)
		goto fail;
	if ((n = lb_b64url_decode(sig, len - (size_t)(sig - token), t->sig)) <=
	    0)
		goto fail;
	t->sig_len = (size_t)n;
	t->signed_part = token;
	t->signed_len = (size_t)(dot2 - token);
	return LB_JWT_OK;
fail:
	lb_jwt_clear(t);
	return LB_JWT_UNAUTHORIZED;
}

/* An ES* signature r||s (2 * a->ec_bytes) as DER; new buffer or NULL. */
static unsigned char *
ec_der(const struct alg *a, const unsigned char *sig, size_t len, int *der_len)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *der = NULL;

	if (len != 2 * (size_t)a->ec_bytes || (es = ECDSA_SIG_new()) == NULL)
		return NULL;
	r = BN_bin2bn(sig, a->ec_bytes, NULL);
	s = BN_bin2bn(sig + a->ec_bytes, a->ec_bytes, NULL);
	if (r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	*der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	return *der_len > 0 ? der : NULL;
}

/* 1 when t's signature verifies with `key` under alg `a`. */
static int
verify(const struct lb_jwt *t, const struct alg *a, const struct lb_jwk *key)
{
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	const unsigned char *sig = t->sig;
	unsigned char *der = NULL;
	size_t sig_len = t->sig_len;
	int ok = 0, der_len;

	if ((a->kind == ALG_EC) != key->ec)
		return 0;
	if (a->kind == ALG_EC) {
		if (EVP_PKEY_get_bits(key->pkey) !=
		    (a->ec_bytes == 66 ? 521 : a->ec_bytes * 8))
			return 0;
		if ((der = ec_der(a, t->sig, t->sig_len, &der_len)) == NULL)
			return 0;
		sig = der;
		sig_len = (size_t)der_len;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit_ex(
	        mctx, &pctx, a->md, NULL, NULL, key->pkey, NULL) != 1)
		goto out;
	if (a->kind == ALG_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	        EVP_PKEY_CTX_set_rsa_pss_saltlen(
	            pctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
		goto out;
	ok = EVP_DigestVerify(mctx, sig, sig_len,
	         (const unsigned char *)t->signed_part, t->signed_len) == 1;
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	return ok;
}

/* A numeric claim as seconds since the epoch; 0 absent, -1 not a number,
 * 1 set. */
static int
time_claim(json_object *claims, const char *name, double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_double(v);
	return 1;
}

static int
has_audience(json_object *v, const struct lb_jwt_rules *r)
{
	if (json_object_is_type(v, json_type_string)) {
		for (size_t i = 0; i < r->naudiences; i++)
			if (strcmp(json_object_get_string(v),
			        r->audiences[i]) == 0)
				return 1;
		return 0;
	}
	if (json_object_is_type(v, json_type_array)) {
		for (size_t j = 0; j < json_object_array_length(v); j++)
			if (has_audience(json_object_array_get_idx(v, j), r))
				return 1;
	}
	return 0;
}

/* Calls fn on each of the token's scopes: `scope` (space-separated) if
 * the token has it, else `scp` (an array, or a space-separated string);
 * stops and returns 1 when fn does. */
static int
each_scope(
    json_object *claims, int (*fn)(const char *, size_t, void *), void *arg)
{
	json_object *v;
	const char *s, *e;

	if (!json_object_object_get_ex(claims, "scope", &v) &&
	    !json_object_object_get_ex(claims, "scp", &v))
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *it = json_object_array_get_idx(v, i);

			if (json_object_is_type(it, json_type_string) &&
			    fn(json_object_get_string(it),
			        (size_t)json_object_get_string_len(it), arg))
				return 1;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	for (s = json_object_get_string(v); *s != '\0'; s = e) {
		while (*s == ' ')
			s++;
		for (e = s; *e != '\0' && *e != ' '; e++)
			;
		if (e > s && fn(s, (size_t)(e - s), arg))
			return 1;
	}
	return 0;
}

static int
scope_required(const char *s, size_t len, void *arg)
{
	const struct lb_jwt_rules *r = arg;

	for (size_t i = 0; i < r->nscopes; i++)
		if (strlen(r->scopes[i]) == len &&
		    memcmp(r->scopes[i], s, len) == 0)
			return 1;
	return 0;
}

enum lb_jwt_status
lb_jwt_check(const struct lb_jwt *t, const struct lb_jwks *keys,
    const struct lb_jwt_rules *r, int64_t now_ms, const char **why)
{
	const struct alg *a = find_alg(t->alg);
	const struct lb_jwk *key;
	json_object *v;
	double when;
	int rc;

	if (keys == NULL) {
		*why = lb_jwt_why_no_keys;
		return LB_JWT_UNAUTHORIZED;
	}
	key = lb_jwks_find(keys, t->kid);
	if (a == NULL || key == NULL) {
		*why = why_kid;
		return LB_JWT_UNAUTHORIZED;
	}
	if ((key->alg != NULL && strcmp(key->alg, a->name) != 0) ||
	    !verify(t, a, key)) {
		*why = why_signature;
		return LB_JWT_UNAUTHORIZED;
	}
	if (!json_object_object_get_ex(t->claims, "iss", &v) ||
	    !json_object_is_type(v, json_type_string) || r->issuer == NULL ||
	    strcmp(json_object_get_string(v), r->issuer) != 0) {
		*why = why_issuer;
		return LB_JWT_UNAUTHORIZED;
	}
	/* client_id only when the token has no aud at all */
	v = NULL;
	if (!json_object_object_get_ex(t->claims, "aud", &v))
		json_object_object_get_ex(t->claims, "client_id", &v);
	if (v == NULL || !has_audience(v, r)) {
		*why = why_audience;
		return LB_JWT_UNAUTHORIZED;
	}
	if ((rc = time_claim(t->claims, "exp", &when)) <= 0) {
		*why = why_no_exp;
		return LB_JWT_UNAUTHORIZED;
	}
	if (when * 1000.0 <= (double)now_ms) {
		*why = why_expired;
		return LB_JWT_UNAUTHORIZED;
	}
	if ((rc = time_claim(t->claims, "nbf", &when)) < 0 ||
	    (rc > 0 && when * 1000.0 > (double)now_ms) ||
	    (rc = time_claim(t->claims, "iat", &when)) < 0 ||
	    (rc > 0 && when * 1000.0 > (double)now_ms)) {
		*why = why_not_yet;
		return LB_JWT_UNAUTHORIZED;
	}
	if (r->nscopes > 0 &&
	    !each_scope(t->claims, scope_required, (void *)r)) {
		*why = why_scope;
		return LB_JWT_FORBIDDEN;
	}
	*why = NULL;
	return LB_JWT_OK;
}

/* A growable string. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->len + len + 1) * 2;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/* One claim value as API Gateway writes it into claims. */
static void
format_claim(struct sbuf *b, json_object *v)
{
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_string:
		sb_add(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		return;
	case json_type_array:
		sb_add(b, "[", 1);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i > 0)
				sb_add(b, " ", 1);
			format_claim(b, json_object_array_get_idx(v, i));
		}
		sb_add(b, "]", 1);
		return;
	default: /* numbers as written, booleans, objects as JSON text */
		s = json_object_to_json_string_ext(
		    v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		sb_add(b, s, strlen(s));
		return;
	}
}

json_object *
lb_jwt_claims_map(const struct lb_jwt *t)
{
	json_object *out = json_object_new_object();

	if (out == NULL)
		return NULL;
	json_object_object_foreach(t->claims, k, v)
	{
		struct sbuf b = { NULL, 0, 0, 0 };
		json_object *s;

		if (v == NULL) /* null claims are left out */
			continue;
		sb_add(&b, "", 0);
		format_claim(&b, v);
		s = b.oom ? NULL : json_object_new_string_len(b.p, (int)b.len);
		free(b.p);
		if (s == NULL || json_object_object_add(out, k, s) != 0) {
			json_object_put(s);
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}

static int
scope_collect(const char *s, size_t len, void *arg)
{
	json_object *arr = arg, *v = json_object_new_string_len(s, (int)len);

	if (v == NULL || json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		return 1;
	}
	return 0;
}

json_object *
lb_jwt_authorizer(const struct lb_jwt *t, const struct lb_jwt_rules *r)
{
	json_object *out = json_object_new_object(), *claims, *scopes = NULL;

	if (out == NULL)
		return NULL;
	if ((claims = lb_jwt_claims_map(t)) == NULL ||
	    json_object_object_add(out, "claims", claims) != 0) {
		json_object_put(claims);
		goto oom;
	}
	if (r->nscopes > 0) {
		if ((scopes = json_object_new_array()) == NULL)
			goto oom;
		if (each_scope(t->claims, scope_collect, scopes)) {
			json_object_put(scopes);
			goto oom;
		}
	}
	if (json_object_object_add(out, "scopes", scopes) != 0) {
		json_object_put(scopes);
		goto oom;
	}
	return out;
oom:
	json_object_put(out);
	return NULL;
}

char *
lb_jwt_challenge(char *buf, size_t len, const struct lb_jwt_rules *r,
    enum lb_jwt_status status, const char *why)
{
	size_t n;

	if (why == NULL) {
		snprintf(buf, len, "Bearer");
		return buf;
	}
	n = (size_t)snprintf(buf, len, "Bearer scope=\"");
	for (size_t i = 0; i < r->nscopes && n < len; i++)
		n += (size_t)snprintf(
		    buf + n, len - n, "%s%s", i ? " " : "", r->scopes[i]);
	if (n < len)
		snprintf(buf + n, len - n,
		    "\" error=\"%s\" error_description=\"%s\"",
		    status == LB_JWT_FORBIDDEN ? "insufficient_scope"
		                               : "invalid_token",
		    why);
	return buf;
}
