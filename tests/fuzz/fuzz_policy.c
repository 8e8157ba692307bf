/*
 * fuzz_policy.c - libFuzzer target for a Lambda authorizer's answer
 * (`make fuzz`): arbitrary bytes read as a REST IAM answer, an HTTP API
 * IAM answer and a simple response, then evaluated against an ARN; and
 * the first line of the input as an IAM wildcard pattern against the
 * rest.  An answer that parses has a principal (IAM) and statements with
 * at least one action and one resource, its context is a JSON object and,
 * for REST, holds only strings and nulls; one that fails says why and
 * leaves nothing behind.  Crashes, leaks and undefined behaviour are
 * caught by ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apigw/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARN "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/a"

static void
check_context(const char *ctx, int rest)
{
	json_object *o = json_tokener_parse(ctx);

	if (o == NULL || !json_object_is_type(o, json_type_object))
		abort();
	if (rest) {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			if (v != NULL &&
			    !json_object_is_type(v, json_type_string))
				abort();
		}
	}
	json_object_put(o);
}

static void
check(const char *s, size_t len, enum lb_policy_mode mode)
{
	struct lb_policy p;
	char err[256] = "";
	enum lb_policy_decision d;

	memset(&p, 0, sizeof(p));
	if (lb_policy_parse(s, len, mode, &p, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || p.principal_id != NULL || p.st != NULL ||
		    p.context != NULL)
			abort();
		return;
	}
	if (mode != LB_POLICY_SIMPLE && p.principal_id == NULL)
		abort();
	for (size_t i = 0; i < p.nst; i++)
		if (p.st[i].nactions == 0 || p.st[i].nresources == 0)
			abort();
	if (p.context != NULL)
		check_context(p.context, mode == LB_POLICY_IAM_REST);
	d = lb_policy_evaluate(&p, ARN);
	if (d != LB_POLICY_ALLOW && d != LB_POLICY_DENY_EXPLICIT &&
	    d != LB_POLICY_DENY_IMPLICIT)
		abort();
	lb_policy_clear(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check(s, size, LB_POLICY_IAM_REST);
	check(s, size, LB_POLICY_IAM_HTTP);
	check(s, size, LB_POLICY_SIMPLE);
	/* "PATTERN\nSTRING": the wildcard matcher, both cases */
	if ((nl = memchr(s, '\n', size)) != NULL) {
		*nl = '\0';
		(void)lb_policy_match(s, nl + 1, 0);
		(void)lb_policy_match(s, nl + 1, 1);
	}
	free(s);
	return 0;
}
