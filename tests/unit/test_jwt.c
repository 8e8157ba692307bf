/*
 * test_jwt.c - JWT authorizers: key sets (apigw/jwk.c), token checks and
 * claim mapping (apigw/jwt.c), the key store's cache (apigw/jwks.c).
 *
 * The keys are made by `openssl genpkey` into a temporary directory; the
 * tokens are signed here with those keys through OpenSSL (the product only
 * verifies), and the JWKS documents are written from the keys' public
 * parameters.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "apigw/jwk.h"
#include "apigw/jwks.h"
#include "apigw/jwt.h"
#include "base/b64.h"
#include "base/ids.h"
#include "base/loop.h"
#include "test.h"

void lb_test_suite_jwt(void);

#define NOW_MS 1700000000000LL /* the tests' clock */
#define NOW    (NOW_MS / 1000)

enum { K_RSA, K_RSA2, K_EC256, K_EC384, K_EC521, NKEYS };

static const struct {
	const char *kid, *args;
} keydefs[NKEYS] = {
	{ "rsa1", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" },
	{ "rsa2", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" },
	{ "ec256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" },
	{ "ec384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384" },
	{ "ec521", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521" },
};

static char dir[64];
static EVP_PKEY *pkeys[NKEYS];

/* base64url without padding into a new string. */
static char *
b64url(const void *p, size_t len)
{
	char *s = malloc(lb_b64_encoded_size(len));
	size_t n = lb_b64_encode(p, len, s);

	while (n > 0 && s[n - 1] == '=')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return s;
}

/* Makes the keys once for the suite. */
static int
keys_init(void)
{
	char cmd[512], path[128];

	if (pkeys[0] != NULL)
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/lb-jwt-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	for (int i = 0; i < NKEYS; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.pem", dir, keydefs[i].kid);
		snprintf(cmd, sizeof(cmd),
		    "openssl genpkey %s -out %s 2>/dev/null", keydefs[i].args,
		    path);
		if (system(cmd) != 0 || (f = fopen(path, "r")) == NULL)
			return -1;
		pkeys[i] = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (pkeys[i] == NULL)
			return -1;
	}
	return 0;
}

/* The public JWK of key i (kid its name) as a new json object. */
static json_object *
jwk_of(int i, const char *kid)
{
	json_object *k = json_object_new_object();
	EVP_PKEY *p = pkeys[i];

	json_object_object_add(k, "kid", json_object_new_string(kid));
	if (EVP_PKEY_is_a(p, "RSA")) {
		BIGNUM *n = NULL, *e = NULL;
		unsigned char buf[1024];
		char *s;
		int len;

		EVP_PKEY_get_bn_param(p, OSSL_PKEY_PARAM_RSA_N, &n);
		EVP_PKEY_get_bn_param(p, OSSL_PKEY_PARAM_RSA_E, &e);
		json_object_object_add(k, "kty", json_object_new_string("RSA"));
		len = BN_bn2bin(n, buf);
		json_object_object_add(k, "n",
		    json_object_new_string(s = b64url(buf, (size_t)len)));
		free(s);
		len = BN_bn2bin(e, buf);
		json_object_object_add(k, "e",
		    json_object_new_string(s = b64url(buf, (size_t)len)));
		free(s);
		BN_free(n);
		BN_free(e);
	} else {
		unsigned char pt[200];
		size_t len = 0, half;
		char *s;
		int bits = EVP_PKEY_get_bits(p);

		EVP_PKEY_get_octet_string_param(
		    p, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len);
		half = (len - 1) / 2;
		json_object_object_add(k, "kty", json_object_new_string("EC"));
		json_object_object_add(k, "crv",
		    json_object_new_string(bits == 256 ? "P-256"
		            : bits == 384              ? "P-384"
		                                       : "P-521"));
		json_object_object_add(
		    k, "x", json_object_new_string(s = b64url(pt + 1, half)));
		free(s);
		json_object_object_add(k, "y",
		    json_object_new_string(s = b64url(pt + 1 + half, half)));
		free(s);
	}
	return k;
}

/* A JWKS of the keys with indexes in `which` (ending with -1), as text. */
static char *
jwks_text(const int *which)
{
	json_object *doc = json_object_new_object(),
	            *arr = json_object_new_array();
	char *s;

	for (; *which >= 0; which++)
		json_object_array_add(arr, jwk_of(*which, keydefs[*which].kid));
	json_object_object_add(doc, "keys", arr);
	s = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	return s;
}

static struct lb_jwks *
jwks_of(const int *which)
{
	char *s = jwks_text(which), err[200];
	struct lb_jwks *set = lb_jwks_parse(s, strlen(s), err, sizeof(err));

	free(s);
	return set;
}

/* A token over header and claims (JSON texts) signed by key i with alg;
 * new string. */
static char *
sign(int i, const char *alg, const char *header, const char *claims)
{
	char *h = b64url(header, strlen(header)),
	     *c = b64url(claims, strlen(claims));
	char *input, *sig, *tok;
	const char *md = strstr(alg, "256") ? "SHA256"
	    : strstr(alg, "384")            ? "SHA384"
	                                    : "SHA512";
	unsigned char raw[1024], out[200];
	size_t rawlen = sizeof(raw), slen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const unsigned char *sp = raw;

	if (asprintf(&input, "%s.%s", h, c) < 0)
		abort();
	EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, pkeys[i], NULL);
	if (alg[0] == 'P') {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	if (EVP_DigestSign(
	        ctx, raw, &rawlen, (unsigned char *)input, strlen(input)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	if (alg[0] == 'E') { /* DER to r||s */
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &sp, (long)rawlen);
		size_t half = ((size_t)EVP_PKEY_get_bits(pkeys[i]) + 7) / 8;

		BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)half);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), out + half, (int)half);
		ECDSA_SIG_free(es);
		slen = 2 * half;
		sig = b64url(out, slen);
	} else {
		sig = b64url(raw, rawlen);
	}
	if (asprintf(&tok, "%s.%s", input, sig) < 0)
		abort();
	free(h);
	free(c);
	free(sig);
	free(input);
	return tok;
}

/* A token from key i with alg and kid, claims `claims`. */
static char *
token(int i, const char *alg, const char *kid, const char *claims)
{
	char header[128];

	snprintf(header, sizeof(header),
	    "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	return sign(i, alg, header, claims);
}

static const char *const auds[] = { "app", "other" };
static const char *const scopes_rw[] = { "read", "write" };

static const struct lb_jwt_rules rules = { "https://idp.test/realm", auds, 2,
	NULL, 0 };

/* A valid claim set, with `extra` members added before the end. */
static char *
claims_with(const char *extra)
{
	char *s;

	if (asprintf(&s,
	        "{\"iss\":\"https://idp.test/realm\",\"aud\":\"app\","
	        "\"sub\":\"u1\",\"exp\":%lld,\"iat\":%lld%s%s}",
	        NOW + 300, NOW - 10, extra[0] ? "," : "", extra) < 0)
		abort();
	return s;
}

/* Decodes and checks `tok`; returns the status and *why. */
static enum lb_jwt_status
run(const char *tok, const struct lb_jwks *set, const struct lb_jwt_rules *r,
    const char **why)
{
	struct lb_jwt t;
	enum lb_jwt_status st;

	st = lb_jwt_decode(tok, strlen(tok), &t, why);
	if (st != LB_JWT_OK)
		return st;
	st = lb_jwt_check(&t, set, r, NOW_MS, why);
	lb_jwt_clear(&t);
	return st;
}

static void
test_b64url(void)
{
	unsigned char out[16];

	CU_ASSERT_EQUAL(lb_b64url_decode("_-8", 3, out), 2);
	CU_ASSERT_EQUAL(out[0], 0xff);
	CU_ASSERT_EQUAL(out[1], 0xef);
	CU_ASSERT_EQUAL(lb_b64url_decode("/+8", 3, out), -1);
	CU_ASSERT_EQUAL(lb_b64url_decode("YQ==", 4, out), -1);
	CU_ASSERT_EQUAL(lb_b64url_decode("YQ", 2, out), 1);
	CU_ASSERT_EQUAL(out[0], 'a');
	CU_ASSERT_EQUAL(lb_b64url_decode("Y", 1, out), -1);
	CU_ASSERT_EQUAL(lb_b64url_decode("", 0, out), 0);
}

static void
test_jwks_parse(void)
{
	static const int all[] = { K_RSA, K_EC256, K_EC384, -1 };
	char err[200], *s, *big;
	struct lb_jwks *set;
	json_object *doc, *arr, *k;

	CU_ASSERT_FATAL(keys_init() == 0);
	set = jwks_of(all);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(set->nkeys, 3);
	CU_ASSERT_EQUAL(set->skipped, 0);
	CU_ASSERT_PTR_NOT_NULL(lb_jwks_find(set, "rsa1"));
	CU_ASSERT_PTR_NOT_NULL(lb_jwks_find(set, "ec384"));
	CU_ASSERT_PTR_NULL(lb_jwks_find(set, "nope"));
	CU_ASSERT_PTR_NULL(lb_jwks_find(set, NULL));
	CU_ASSERT_EQUAL(lb_jwks_find(set, "ec256")->ec, 1);
	lb_jwks_unref(set);

	/* skipped: an encryption key, a symmetric key, a point off the
	 * curve, a key without its modulus, something not an object */
	doc = json_object_new_object();
	arr = json_object_new_array();
	k = jwk_of(K_RSA, "enc");
	json_object_object_add(k, "use", json_object_new_string("enc"));
	json_object_array_add(arr, k);
	json_object_array_add(
	    arr, json_tokener_parse("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"));
	k = jwk_of(K_EC256, "bad-point");
	json_object_object_add(k, "y",
	    json_object_new_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                           "AAAAAAE"));
	json_object_array_add(arr, k);
	k = jwk_of(K_RSA, "no-n");
	json_object_object_del(k, "n");
	json_object_array_add(arr, k);
	json_object_array_add(arr, json_object_new_int(3));
	k = jwk_of(K_RSA2, "rsa2");
	json_object_object_add(k, "use", json_object_new_string("sig"));
	json_object_object_add(k, "alg", json_object_new_string("RS256"));
	json_object_array_add(arr, k);
	json_object_object_add(doc, "keys", arr);
	s = strdup(json_object_to_json_string(doc));
	json_object_put(doc);
	set = lb_jwks_parse(s, strlen(s), err, sizeof(err));
	free(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(set->nkeys, 1);
	CU_ASSERT_EQUAL(set->skipped, 5);
	CU_ASSERT_STRING_EQUAL(lb_jwks_find(set, "rsa2")->alg, "RS256");
	lb_jwks_unref(set);

	/* whitespace after the document is fine; nothing else is */
	set = lb_jwks_parse("{\"keys\":[]}\n", 12, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(set);
	CU_ASSERT_EQUAL(set ? set->nkeys : 1, 0);
	lb_jwks_unref(set);
	CU_ASSERT_PTR_NULL(lb_jwks_parse("{\"keys\":[]} x", 13, err, 200));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not JSON"));
	CU_ASSERT_PTR_NULL(lb_jwks_parse("{\"keys\":{}}", 11, err, 200));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no \"keys\""));
	CU_ASSERT_PTR_NULL(lb_jwks_parse("[", 1, err, 200));
	big = calloc(1, LB_JWKS_MAX_BYTES + 2);
	memset(big, ' ', LB_JWKS_MAX_BYTES + 1);
	CU_ASSERT_PTR_NULL(
	    lb_jwks_parse(big, LB_JWKS_MAX_BYTES + 1, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "150000"));
	free(big);
}

static void
test_signatures(void)
{
	static const int all[] = { K_RSA, K_RSA2, K_EC256, K_EC384, K_EC521,
		-1 };
	static const struct {
		int key;
		const char *alg;
	} good[] = {
		{ K_RSA, "RS256" },
		{ K_RSA, "RS384" },
		{ K_RSA, "RS512" },
		{ K_RSA, "PS256" },
		{ K_RSA, "PS384" },
		{ K_RSA, "PS512" },
		{ K_EC256, "ES256" },
		{ K_EC384, "ES384" },
		{ K_EC521, "ES512" },
	};
	struct lb_jwks *set;
	char *c, *tok;
	const char *why;

	CU_ASSERT_FATAL(keys_init() == 0);
	set = jwks_of(all);
	c = claims_with("");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n;

		tok = token(
		    good[i].key, good[i].alg, keydefs[good[i].key].kid, c);
		CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_OK);
		/* one character of the signature changed */
		n = strlen(tok);
		tok[n - 3] = tok[n - 3] == 'A' ? 'B' : 'A';
		CU_ASSERT_EQUAL(
		    run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
		CU_ASSERT_STRING_EQUAL(
		    why, "the token does not have a valid signature");
		free(tok);
	}
	/* signed by another key than the kid names */
	tok = token(K_RSA2, "RS256", "rsa1", c);
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(
	    why, "the token does not have a valid signature");
	free(tok);
	/* an RSA alg naming an EC key, and an EC alg of the wrong size */
	tok = token(K_RSA, "RS256", "ec256", c);
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	free(tok);
	tok = token(K_EC256, "ES256", "ec384", c);
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	free(tok);
	/* the payload changed after signing */
	{
		char *d = claims_with("\"admin\":true"),
		     *t2 = token(K_RSA, "RS256", "rsa1", d),
		     *good_tok = token(K_RSA, "RS256", "rsa1", c);
		char *p1 = strchr(good_tok, '.'), *p2 = strchr(t2, '.');
		char *mix;

		/* good header, other payload, good signature */
		if (asprintf(&mix, "%.*s.%.*s%s", (int)(p1 - good_tok),
		        good_tok, (int)(strchr(p2 + 1, '.') - p2 - 1), p2 + 1,
		        strrchr(good_tok, '.')) < 0)
			abort();
		CU_ASSERT_EQUAL(
		    run(mix, set, &rules, &why), LB_JWT_UNAUTHORIZED);
		CU_ASSERT_STRING_EQUAL(
		    why, "the token does not have a valid signature");
		free(mix);
		free(good_tok);
		free(t2);
		free(d);
	}
	/* unknown kid, no kid */
	tok = token(K_RSA, "RS256", "rsa9", c);
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(why, "the token does not have a valid key id");
	free(tok);
	tok = sign(K_RSA, "RS256", "{\"alg\":\"RS256\"}", c);
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(why, "the token does not have a valid key id");
	free(tok);
	/* no keys at all */
	tok = token(K_RSA, "RS256", "rsa1", c);
	CU_ASSERT_EQUAL(run(tok, NULL, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(why, lb_jwt_why_no_keys);
	free(tok);
	free(c);
	lb_jwks_unref(set);
}

/* A header and payload with an empty or any signature. */
static char *
unsigned_token(const char *header, const char *claims, const char *sig)
{
	char *h = b64url(header, strlen(header)),
	     *c = b64url(claims, strlen(claims));
	char *tok;

	if (asprintf(&tok, "%s.%s.%s", h, c, sig) < 0)
		abort();
	free(h);
	free(c);
	return tok;
}

static void
test_refused_shapes(void)
{
	static const int all[] = { K_RSA, -1 };
	struct lb_jwks *set;
	char *c = claims_with(""), *tok;
	const char *why;
	struct lb_jwt t;

	CU_ASSERT_FATAL(keys_init() == 0);
	set = jwks_of(all);
	/* alg none, with and without a signature */
	tok = unsigned_token("{\"alg\":\"none\",\"kid\":\"rsa1\"}", c, "");
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(
	    why, "the token's signing method is not supported");
	free(tok);
	tok = unsigned_token("{\"alg\":\"none\",\"kid\":\"rsa1\"}", c, "AAAA");
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	free(tok);
	/* HS256 "signed" with the public key's bytes: the classic confusion */
	tok = unsigned_token(
	    "{\"alg\":\"HS256\",\"kid\":\"rsa1\"}", c, "c2lnbmF0dXJl");
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(
	    why, "the token's signing method is not supported");
	free(tok);
	/* segments */
	CU_ASSERT_EQUAL(
	    run("not-a-token", set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(
	    why, "token contains an invalid number of segments");
	CU_ASSERT_EQUAL(run("a.b", set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(
	    why, "token contains an invalid number of segments");
	CU_ASSERT_EQUAL(run("a.b.c.d", set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(
	    why, "token contains an invalid number of segments");
	/* malformed parts */
	CU_ASSERT_EQUAL(run("a.b.c", set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(why, "the token is malformed");
	tok = unsigned_token("[1]", c, "AAAA");
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(why, "the token is malformed");
	free(tok);
	tok = unsigned_token("{\"alg\":\"RS256\"}", "\"x\"", "AAAA");
	CU_ASSERT_EQUAL(run(tok, set, &rules, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_STRING_EQUAL(why, "the token is malformed");
	free(tok);
	tok = unsigned_token("{\"alg\":\"RS256\"}", c, "A+A/");
	CU_ASSERT_EQUAL(
	    lb_jwt_decode(tok, strlen(tok), &t, &why), LB_JWT_UNAUTHORIZED);
	CU_ASSERT_PTR_NULL(t.header); /* cleared on failure */
	free(tok);
	free(c);
	lb_jwks_unref(set);
}

/* Checks claims `extra` against r: status and why. */
static void
claims_case(const char *json, const struct lb_jwt_rules *r,
    enum lb_jwt_status want, const char *want_why)
{
	static const int all[] = { K_RSA, -1 };
	struct lb_jwks *set = jwks_of(all);
	char *tok = token(K_RSA, "RS256", "rsa1", json);
	const char *why = NULL;

	CU_ASSERT_EQUAL(run(tok, set, r, &why), want);
	if (want_why == NULL) {
		CU_ASSERT_PTR_NULL(why);
	} else if (why == NULL || strcmp(why, want_why) != 0) {
		fprintf(stderr, "\n%s: got '%s', want '%s'\n", json,
		    why ? why : "(null)", want_why);
		CU_FAIL("error_description");
	}
	free(tok);
	lb_jwks_unref(set);
}

#define ISS "\"iss\":\"https://idp.test/realm\""

static void
test_claim_rules(void)
{
	struct lb_jwt_rules sc = rules;
	char buf[512];
	const char *aud = "the token does not have a valid audience";
	const char *exp = "the token has expired";
	const char *yet = "the token is not valid yet";

	CU_ASSERT_FATAL(keys_init() == 0);
	snprintf(buf, sizeof(buf), "{" ISS ",\"aud\":\"app\",\"exp\":%lld}",
	    NOW + 1);
	claims_case(buf, &rules, LB_JWT_OK, NULL);
	/* iss: exact */
	snprintf(buf, sizeof(buf),
	    "{\"iss\":\"https://idp.test/realm/"
	    "\",\"aud\":\"app\",\"exp\":%lld}",
	    NOW + 60);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED,
	    "the token does not have a valid issuer");
	snprintf(buf, sizeof(buf), "{\"aud\":\"app\",\"exp\":%lld}", NOW + 60);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED,
	    "the token does not have a valid issuer");
	/* aud: a string or an array holding one audience */
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":[\"x\",\"other\"],\"exp\":%lld}", NOW + 60);
	claims_case(buf, &rules, LB_JWT_OK, NULL);
	snprintf(buf, sizeof(buf), "{" ISS ",\"aud\":[\"x\"],\"exp\":%lld}",
	    NOW + 60);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, aud);
	/* client_id only without aud */
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"client_id\":\"app\",\"exp\":%lld}", NOW + 60);
	claims_case(buf, &rules, LB_JWT_OK, NULL);
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"x\",\"client_id\":\"app\",\"exp\":%lld}",
	    NOW + 60);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, aud);
	snprintf(buf, sizeof(buf), "{" ISS ",\"exp\":%lld}", NOW + 60);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, aud);
	/* exp: after now, and there */
	snprintf(
	    buf, sizeof(buf), "{" ISS ",\"aud\":\"app\",\"exp\":%lld}", NOW);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, exp);
	snprintf(buf, sizeof(buf), "{" ISS ",\"aud\":\"app\",\"exp\":%lld.5}",
	    NOW - 1);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, exp);
	claims_case("{" ISS ",\"aud\":\"app\"}", &rules, LB_JWT_UNAUTHORIZED,
	    "the token does not have a valid expiration time");
	claims_case("{" ISS ",\"aud\":\"app\",\"exp\":\"9999999999\"}", &rules,
	    LB_JWT_UNAUTHORIZED,
	    "the token does not have a valid expiration time");
	/* nbf and iat: not after now */
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"nbf\":%lld,\"iat\":%lld}",
	    NOW + 60, NOW, NOW);
	claims_case(buf, &rules, LB_JWT_OK, NULL);
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"nbf\":%lld}", NOW + 60,
	    NOW + 1);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, yet);
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"iat\":%lld}", NOW + 60,
	    NOW + 1);
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, yet);
	/* the order: issuer before audience before expiry */
	snprintf(buf, sizeof(buf), "{\"iss\":\"x\",\"aud\":\"x\",\"exp\":1}");
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED,
	    "the token does not have a valid issuer");
	snprintf(buf, sizeof(buf), "{" ISS ",\"aud\":\"x\",\"exp\":1}");
	claims_case(buf, &rules, LB_JWT_UNAUTHORIZED, aud);

	/* scopes: at least one of the route's, from scope or scp */
	sc.scopes = scopes_rw;
	sc.nscopes = 2;
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"scope\":\"openid write\"}",
	    NOW + 60);
	claims_case(buf, &sc, LB_JWT_OK, NULL);
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"scp\":[\"a\",\"read\"]}",
	    NOW + 60);
	claims_case(buf, &sc, LB_JWT_OK, NULL);
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"scope\":\"readwrite re\"}",
	    NOW + 60);
	claims_case(buf, &sc, LB_JWT_FORBIDDEN,
	    "the token does not have the required scope");
	snprintf(buf, sizeof(buf), "{" ISS ",\"aud\":\"app\",\"exp\":%lld}",
	    NOW + 60);
	claims_case(buf, &sc, LB_JWT_FORBIDDEN,
	    "the token does not have the required scope");
	/* an invalid token is 401 before its scopes count */
	snprintf(buf, sizeof(buf),
	    "{" ISS ",\"aud\":\"app\",\"exp\":%lld,\"scope\":\"read\"}", NOW);
	claims_case(buf, &sc, LB_JWT_UNAUTHORIZED, exp);
}

static void
test_claims_map(void)
{
	static const int all[] = { K_RSA, -1 };
	struct lb_jwks *set;
	struct lb_jwt t;
	struct lb_jwt_rules sc = rules;
	json_object *got, *want;
	char *tok;
	const char *why;

	CU_ASSERT_FATAL(keys_init() == 0);
	set = jwks_of(all);
	tok = token(K_RSA, "RS256", "rsa1",
	    "{\"iss\":\"https://idp.test/realm\",\"aud\":[\"app\",\"x\"],"
	    "\"exp\":1700000300,\"auth_time\":1.7e9,\"ratio\":0.25,"
	    "\"email_verified\":true,\"cognito:groups\":[\"admin\","
	    "\"poweruser\"],\"nested\":{\"a\":[1,\"b/c\"]},\"gone\":null,"
	    "\"mixed\":[1,true,[\"x\",\"y\"],{\"k\":\"v\"}],"
	    "\"scope\":\"openid read\",\"url\":\"https://a/b\"}");
	CU_ASSERT_EQUAL_FATAL(
	    lb_jwt_decode(tok, strlen(tok), &t, &why), LB_JWT_OK);
	got = lb_jwt_authorizer(&t, &sc);
	want = json_tokener_parse(
	    "{\"claims\":{\"iss\":\"https://idp.test/realm\","
	    "\"aud\":\"[app x]\",\"exp\":\"1700000300\","
	    "\"auth_time\":\"1.7e9\",\"ratio\":\"0.25\","
	    "\"email_verified\":\"true\",\"cognito:groups\":\"[admin "
	    "poweruser]\",\"nested\":\"{\\\"a\\\":[1,\\\"b/c\\\"]}\","
	    "\"mixed\":\"[1 true [x y] {\\\"k\\\":\\\"v\\\"}]\","
	    "\"scope\":\"openid read\",\"url\":\"https://a/b\"},"
	    "\"scopes\":null}");
	CU_ASSERT_FATAL(got != NULL && want != NULL);
	if (!json_object_equal(got, want))
		fprintf(stderr, "\n%s\n", json_object_to_json_string(got));
	CU_ASSERT(json_object_equal(got, want));
	json_object_put(got);
	json_object_put(want);

	/* with route scopes: the token's whole list */
	sc.scopes = scopes_rw;
	sc.nscopes = 2;
	got = lb_jwt_authorizer(&t, &sc);
	want = json_tokener_parse("[\"openid\",\"read\"]");
	CU_ASSERT(
	    json_object_equal(json_object_object_get(got, "scopes"), want));
	json_object_put(got);
	json_object_put(want);
	lb_jwt_clear(&t);
	free(tok);

	/* scp as the list when there is no scope */
	tok = token(K_RSA, "RS256", "rsa1", "{\"scp\":[\"a\",\"b\"]}");
	CU_ASSERT_EQUAL_FATAL(
	    lb_jwt_decode(tok, strlen(tok), &t, &why), LB_JWT_OK);
	got = lb_jwt_authorizer(&t, &sc);
	want = json_tokener_parse("{\"claims\":{\"scp\":\"[a b]\"},"
	                          "\"scopes\":[\"a\",\"b\"]}");
	CU_ASSERT(json_object_equal(got, want));
	json_object_put(got);
	json_object_put(want);
	lb_jwt_clear(&t);
	free(tok);
	lb_jwks_unref(set);
}

static void
test_challenge(void)
{
	struct lb_jwt_rules sc = rules;
	char buf[256];
	const char *tok;
	size_t len;

	CU_ASSERT_STRING_EQUAL(
	    lb_jwt_challenge(buf, sizeof(buf), &rules, LB_JWT_UNAUTHORIZED,
	        "the token does not have a valid audience"),
	    "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the "
	    "token does not have a valid audience\"");
	sc.scopes = scopes_rw;
	sc.nscopes = 2;
	CU_ASSERT_STRING_EQUAL(
	    lb_jwt_challenge(buf, sizeof(buf), &sc, LB_JWT_UNAUTHORIZED,
	        "the token has expired"),
	    "Bearer scope=\"read write\" error=\"invalid_token\" "
	    "error_description=\"the token has expired\"");
	CU_ASSERT_STRING_EQUAL(
	    lb_jwt_challenge(buf, sizeof(buf), &sc, LB_JWT_FORBIDDEN,
	        "the token does not have the required scope"),
	    "Bearer scope=\"read write\" error=\"insufficient_scope\" "
	    "error_description=\"the token does not have the required "
	    "scope\"");
	CU_ASSERT_STRING_EQUAL(
	    lb_jwt_challenge(buf, sizeof(buf), &sc, LB_JWT_UNAUTHORIZED, NULL),
	    "Bearer");
	/* truncated, still terminated */
	lb_jwt_challenge(buf, 10, &sc, LB_JWT_UNAUTHORIZED, "x");
	CU_ASSERT_EQUAL(strlen(buf), 9);

	tok = lb_jwt_from_identity("Bearer abc.def.ghi", &len);
	CU_ASSERT(len == 11 && strncmp(tok, "abc.def.ghi", len) == 0);
	tok = lb_jwt_from_identity("bearer  abc ", &len);
	CU_ASSERT(len == 3 && strncmp(tok, "abc", len) == 0);
	tok = lb_jwt_from_identity("abc", &len);
	CU_ASSERT(len == 3 && strncmp(tok, "abc", len) == 0);
}

/* Writes the JWKS of `which` to path. */
static void
write_jwks(const char *path, const int *which)
{
	char *s = jwks_text(which);
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(s, f);
	fclose(f);
	free(s);
}

static int
has_kid(struct lb_jwks *k, const char *kid)
{
	return lb_jwks_find(k, kid) != NULL;
}

static void
test_store_cache(void)
{
	static const int one[] = { K_RSA, -1 }, two[] = { K_RSA, K_EC256, -1 };
	struct lb_jwks_source src = { "t", NULL, NULL, NULL };
	struct lb_jwks_store *s;
	struct lb_jwks *k = NULL;
	struct lb_jwks_stats st;
	char path[128], err[256];
	int64_t t0;

	CU_ASSERT_FATAL(keys_init() == 0);
	snprintf(path, sizeof(path), "%s/cache.json", dir);
	src.file = path;
	CU_ASSERT_PTR_NULL(lb_jwks_store_new(&src, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
	write_jwks(path, one);
	s = lb_jwks_store_new(&src, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	t0 = lb_now_ms();

	/* fresh and known: no fetch */
	CU_ASSERT_EQUAL(lb_jwks_store_get(s, "rsa1", t0, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL && has_kid(k, "rsa1"));
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 0);

	/* a new key appears; an unknown kid fetches at most once in
	 * LB_JWKS_RETRY_MS */
	write_jwks(path, two);
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "ec256", t0 + 1000, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL && !has_kid(k, "ec256"));
	lb_jwks_unref(k);
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "ec256", t0 + 61000, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL && has_kid(k, "ec256"));
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 1);
	/* still unknown right after a fetch: no second one */
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "zzz", t0 + 62000, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 1);

	/* no kid: refused whatever the keys, so never worth a fetch */
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, NULL, t0 + 100000, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 1);

	/* two hours after the fetch the keys are read again; the file went
	 * away: logged, and the keys in hand stay in use */
	unlink(path);
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "rsa1", t0 + 61000 + LB_JWKS_TTL_MS - 1, NULL,
	        NULL, NULL, &k),
	    LB_JWKS_READY);
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 1);
	CU_ASSERT_EQUAL(lb_jwks_store_get(s, "rsa1",
	                    t0 + 61000 + LB_JWKS_TTL_MS, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL && has_kid(k, "rsa1"));
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 2);
	CU_ASSERT_EQUAL(st.failures, 1);
	/* stale now, but a failure was a moment ago: no new try yet */
	CU_ASSERT_EQUAL(lb_jwks_store_get(s, "rsa1",
	                    t0 + 62000 + LB_JWKS_TTL_MS, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL);
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 2);
	/* the file is back: the next try, a minute later, refreshes */
	write_jwks(path, one);
	CU_ASSERT_EQUAL(lb_jwks_store_get(s, "rsa1",
	                    t0 + 122000 + LB_JWKS_TTL_MS, NULL, NULL, NULL, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL && !has_kid(k, "ec256"));
	lb_jwks_unref(k);
	lb_jwks_store_stats(s, &st);
	CU_ASSERT_EQUAL(st.fetches, 3);
	CU_ASSERT_EQUAL(st.failures, 1);
	lb_jwks_store_free(s);
	unlink(path);
}

/* A waiter: set when the store calls back. */
struct wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void
woken(void *arg)
{
	struct wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->done++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static int
wait_for(struct wait *w, int n)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&w->mu);
	while (w->done < n && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
		;
	ok = w->done >= n;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

static void
test_store_async(void)
{
	static const int one[] = { K_RSA, -1 }, two[] = { K_RSA, K_EC384, -1 };
	struct lb_jwks_source src = { "t", NULL, NULL, NULL };
	struct wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
		0 };
	struct lb_jwks_store *s;
	struct lb_jwks *k = NULL;
	struct lb_loop *loop;
	char path[128], err[256];
	int64_t t0;

	CU_ASSERT_FATAL(keys_init() == 0);
	loop = lb_loop_new(1, 1, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	snprintf(path, sizeof(path), "%s/async.json", dir);
	write_jwks(path, one);
	src.file = path;
	s = lb_jwks_store_new(&src, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	t0 = lb_now_ms();
	write_jwks(path, two);
	/* the unknown kid: the fetch runs on the pool, two callers wait */
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "ec384", t0 + 61000, loop, woken, &w, &k),
	    LB_JWKS_PENDING);
	/* the second may find the fetch over already */
	if (lb_jwks_store_get(s, "ec384", t0 + 61000, loop, woken, &w, &k) ==
	    LB_JWKS_READY) {
		CU_ASSERT(k != NULL && has_kid(k, "ec384"));
		lb_jwks_unref(k);
		woken(&w);
	}
	CU_ASSERT(wait_for(&w, 2));
	k = lb_jwks_store_keys(s); /* what a callback takes */
	CU_ASSERT(k != NULL && has_kid(k, "ec384"));
	lb_jwks_unref(k);
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "ec384", t0 + 61000, loop, woken, &w, &k),
	    LB_JWKS_READY);
	CU_ASSERT(k != NULL && has_kid(k, "ec384"));
	lb_jwks_unref(k);
	/* the owner lets go while a fetch runs: the fetch ends first */
	CU_ASSERT_EQUAL(
	    lb_jwks_store_get(s, "nope", t0 + 200000, loop, woken, &w, &k),
	    LB_JWKS_PENDING);
	lb_jwks_store_free(s);
	CU_ASSERT(wait_for(&w, 3));
	lb_loop_free(loop);
	unlink(path);
}

static void
test_cleanup(void)
{
	char cmd[128];

	for (int i = 0; i < NKEYS; i++) {
		EVP_PKEY_free(pkeys[i]);
		pkeys[i] = NULL;
	}
	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CU_ASSERT_EQUAL(system(cmd), 0);
	}
}

void
lb_test_suite_jwt(void)
{
	static CU_TestInfo tests[] = {
		{ "base64url", test_b64url },
		{ "JWKS parsing", test_jwks_parse },
		{ "signatures RS/PS/ES, good and bad", test_signatures },
		{ "alg none, HS256 and malformed tokens", test_refused_shapes },
		{ "claim rules", test_claim_rules },
		{ "claims as the integration sees them", test_claims_map },
		{ "www-authenticate", test_challenge },
		{ "key cache: expiry, unknown kid, failures",
		    test_store_cache },
		{ "key fetch on a pool thread", test_store_async },
		{ "cleanup", test_cleanup },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("jwt", tests);
}
