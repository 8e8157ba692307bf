/*
 * test_policy.c - a Lambda authorizer's answer (bridge/apigw/policy.c): IAM
 * wildcard matching, the evaluation table (explicit deny wins, no Allow is
 * an implicit deny), what is rejected as malformed, the REST context as
 * strings, simple responses.
 */
#include <string.h>

#include <json-c/json.h>

#include "apigw/policy.h"
#include "test.h"

void lb_test_suite_policy(void);

#define ARN "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"

static void
test_match(void)
{
	static const struct {
		const char *pattern, *s;
		int nocase, want;
	} rows[] = {
		{ "*", "", 0, 1 },
		{ "*", ARN "/prod/GET/items", 0, 1 },
		{ ARN "/prod/GET/items", ARN "/prod/GET/items", 0, 1 },
		{ ARN "/prod/GET/items", ARN "/prod/GET/items/1", 0, 0 },
		{ ARN "/prod/GET/items", ARN "/prod/GET/item", 0, 0 },
		{ ARN "/*", ARN "/prod/GET/items/1", 0, 1 },
		{ ARN "/*/GET/*", ARN "/prod/GET/items/1", 0, 1 },
		{ ARN "/*/GET/*", ARN "/prod/POST/items/1", 0, 0 },
		{ ARN "/prod/*/items", ARN "/prod/DELETE/items", 0, 1 },
		{ ARN "/prod/GET/items/?", ARN "/prod/GET/items/1", 0, 1 },
		{ ARN "/prod/GET/items/?", ARN "/prod/GET/items/12", 0, 0 },
		{ ARN "/prod/GET/items/?", ARN "/prod/GET/items/", 0, 0 },
		{ "arn:aws:execute-api:*:*:*/*/GET/", ARN "/prod/GET/", 0, 1 },
		{ "a*b*c", "aXbYc", 0, 1 },
		{ "a*b*c", "aXbY", 0, 0 },
		{ "a**c", "abc", 0, 1 },
		{ "*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0 },
		{ ARN "/prod/get/items", ARN "/prod/GET/items", 0, 0 },
		{ "execute-api:invoke", "execute-api:Invoke", 1, 1 },
		{ "execute-api:*", "execute-api:Invoke", 1, 1 },
		{ "s3:*", "execute-api:Invoke", 1, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got =
		    lb_policy_match(rows[i].pattern, rows[i].s, rows[i].nocase);

		if (got != rows[i].want)
			fprintf(stderr, "\n  row %zu: '%s' ~ '%s': %d\n", i,
			    rows[i].pattern, rows[i].s, got);
		CU_ASSERT_EQUAL(got, rows[i].want);
	}
}

/* A policy answer with the statements given as JSON. */
static int
parse_policy(const char *statements, struct lb_policy *p)
{
	char json[4096], err[256];

	snprintf(json, sizeof(json),
	    "{\"principalId\":\"me\",\"policyDocument\":{\"Version\":"
	    "\"2012-10-17\",\"Statement\":%s}}",
	    statements);
	memset(p, 0, sizeof(*p));
	return lb_policy_parse(
	    json, strlen(json), LB_POLICY_IAM_REST, p, err, sizeof(err));
}

#define ST(effect, action, resource) \
	"{\"Effect\":\"" effect "\",\"Action\":" action \
	",\"Resource\":" resource "}"
#define INVOKE "\"execute-api:Invoke\""

static void
test_evaluate_table(void)
{
	static const struct {
		const char *statements;
		const char *arn;
		enum lb_policy_decision want;
	} rows[] = {
		/* exact Allow */
		{ "[" ST("Allow", INVOKE, "\"" ARN "/prod/GET/items\"") "]",
		    ARN "/prod/GET/items", LB_POLICY_ALLOW },
		/* an Allow for another path: implicit deny */
		{ "[" ST("Allow", INVOKE, "\"" ARN "/prod/GET/items/1\"") "]",
		    ARN "/prod/GET/items/2", LB_POLICY_DENY_IMPLICIT },
		/* a single statement object, not a list */
		{ ST("Allow", INVOKE, "\"*\""), ARN "/prod/GET/x",
		    LB_POLICY_ALLOW },
		/* explicit deny wins over an Allow, in either order */
		{ "[" ST("Allow", INVOKE, "\"*\"") "," ST(
		      "Deny", INVOKE, "\"" ARN "/prod/GET/items\"") "]",
		    ARN "/prod/GET/items", LB_POLICY_DENY_EXPLICIT },
		{ "[" ST("Deny", INVOKE, "\"" ARN "/*/DELETE/*\"") "," ST(
		      "Allow", INVOKE, "\"*\"") "]",
		    ARN "/prod/DELETE/items/1", LB_POLICY_DENY_EXPLICIT },
		/* a Deny elsewhere does not matter */
		{ "[" ST("Allow", INVOKE, "\"*\"") "," ST(
		      "Deny", INVOKE, "\"" ARN "/*/DELETE/*\"") "]",
		    ARN "/prod/GET/items/1", LB_POLICY_ALLOW },
		/* a Deny alone, not matching: still no Allow */
		{ "[" ST("Deny", INVOKE, "\"" ARN "/*/DELETE/*\"") "]",
		    ARN "/prod/GET/items/1", LB_POLICY_DENY_IMPLICIT },
		/* lists of actions and resources */
		{ "[" ST("Allow", "[\"s3:GetObject\",\"execute-api:*\"]",
		      "[\"" ARN "/prod/POST/*\",\"" ARN "/prod/GET/*\"]") "]",
		    ARN "/prod/GET/items", LB_POLICY_ALLOW },
		/* another service's action allows nothing */
		{ "[" ST("Allow", "\"s3:*\"", "\"*\"") "]",
		    ARN "/prod/GET/items", LB_POLICY_DENY_IMPLICIT },
		/* no statements */
		{ "[]", ARN "/prod/GET/items", LB_POLICY_DENY_IMPLICIT },
		/* another api id */
		{ "[" ST("Allow", INVOKE,
		      "\"arn:aws:execute-api:us-east-1:123456789012:other/"
		      "*\"") "]",
		    ARN "/prod/GET/items", LB_POLICY_DENY_IMPLICIT },
		/* the root path */
		{ "[" ST("Allow", INVOKE, "\"" ARN "/prod/GET/\"") "]",
		    ARN "/prod/GET/", LB_POLICY_ALLOW },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lb_policy p;
		enum lb_policy_decision d;

		CU_ASSERT_EQUAL_FATAL(parse_policy(rows[i].statements, &p), 0);
		d = lb_policy_evaluate(&p, rows[i].arn);
		if (d != rows[i].want)
			fprintf(stderr, "\n  row %zu: %d, want %d\n", i, (int)d,
			    (int)rows[i].want);
		CU_ASSERT_EQUAL(d, rows[i].want);
		lb_policy_clear(&p);
	}
}

static void
test_malformed(void)
{
	static const struct {
		const char *json;
		enum lb_policy_mode mode;
	} rows[] = {
		{ "", LB_POLICY_IAM_REST },
		{ "null", LB_POLICY_IAM_REST },
		{ "\"Allow\"", LB_POLICY_IAM_REST },
		{ "{\"principalId\":\"me\"", LB_POLICY_IAM_REST },
		{ "{\"principalId\":\"me\"} x", LB_POLICY_IAM_REST },
		/* no principalId, or not a string */
		{ "{\"policyDocument\":{\"Statement\":[]}}",
		    LB_POLICY_IAM_REST },
		{ "{\"principalId\":7,\"policyDocument\":{\"Statement\":[]}}",
		    LB_POLICY_IAM_REST },
		/* no policyDocument; lower-case keys */
		{ "{\"principalId\":\"me\"}", LB_POLICY_IAM_REST },
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"statement\":[]"
		  "}}",
		    LB_POLICY_IAM_REST },
		/* Effect */
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":["
		  "{\"Effect\":\"allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
		  "}",
		    LB_POLICY_IAM_REST },
		/* no Action; a Resource that is a number */
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":["
		  "{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}}",
		    LB_POLICY_IAM_REST },
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":["
		  "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":1}]}}",
		    LB_POLICY_IAM_REST },
		/* Condition, even null */
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":["
		  "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
		  "\"Condition\":null}]}}",
		    LB_POLICY_IAM_REST },
		/* a REST context value that is an object or an array */
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[]"
		  "},"
		  "\"context\":{\"a\":{}}}",
		    LB_POLICY_IAM_REST },
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[]"
		  "},"
		  "\"context\":{\"a\":[1]}}",
		    LB_POLICY_IAM_REST },
		/* a context that is not an object */
		{ "{\"principalId\":\"me\",\"policyDocument\":{\"Statement\":[]"
		  "},"
		  "\"context\":\"x\"}",
		    LB_POLICY_IAM_HTTP },
		/* simple responses */
		{ "{\"isAuthorized\":\"true\"}", LB_POLICY_SIMPLE },
		{ "{\"context\":{}}", LB_POLICY_SIMPLE },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lb_policy p;
		char err[256] = "";
		int rc;

		memset(&p, 0, sizeof(p));
		rc = lb_policy_parse(rows[i].json, strlen(rows[i].json),
		    rows[i].mode, &p, err, sizeof(err));
		if (rc != -1)
			fprintf(stderr, "\n  row %zu accepted: %s\n", i,
			    rows[i].json);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT(err[0] != '\0');
		CU_ASSERT_PTR_NULL(p.principal_id);
		CU_ASSERT_PTR_NULL(p.st);
	}
}

static void
expect_json(const char *got, const char *want)
{
	json_object *a = json_tokener_parse(got), *b = json_tokener_parse(want);

	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	if (!json_object_equal(a, b))
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", got, want);
	CU_ASSERT(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
}

static void
test_context(void)
{
	const char *answer =
	    "{\"principalId\":\"user\",\"policyDocument\":{\"Statement\":[]},"
	    "\"context\":{\"str\":\"hello\",\"num\":123,\"dbl\":1.5,"
	    "\"bool\":true,\"null\":null},\"usageIdentifierKey\":\"k\"}";
	struct lb_policy p;
	char err[256];

	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(lb_policy_parse(answer, strlen(answer),
	                          LB_POLICY_IAM_REST, &p, err, sizeof(err)),
	    0);
	CU_ASSERT_STRING_EQUAL(p.principal_id, "user");
	CU_ASSERT_STRING_EQUAL(p.usage_identifier_key, "k");
	expect_json(p.context,
	    "{\"str\":\"hello\",\"num\":\"123\",\"dbl\":\"1.5\","
	    "\"bool\":\"true\",\"null\":null}");
	lb_policy_clear(&p);
	/* an HTTP API keeps the values as they are, nested ones too */
	answer = "{\"principalId\":\"u\",\"policyDocument\":{\"Statement\":[]},"
	         "\"context\":{\"num\":1,\"arr\":[1,\"a\"],\"obj\":{\"k\":"
	         "true}}}";
	CU_ASSERT_EQUAL_FATAL(lb_policy_parse(answer, strlen(answer),
	                          LB_POLICY_IAM_HTTP, &p, err, sizeof(err)),
	    0);
	expect_json(
	    p.context, "{\"num\":1,\"arr\":[1,\"a\"],\"obj\":{\"k\":true}}");
	lb_policy_clear(&p);
	/* no context */
	answer =
	    "{\"principalId\":\"u\",\"policyDocument\":{\"Statement\":[]}}";
	CU_ASSERT_EQUAL_FATAL(lb_policy_parse(answer, strlen(answer),
	                          LB_POLICY_IAM_REST, &p, err, sizeof(err)),
	    0);
	CU_ASSERT_PTR_NULL(p.context);
	lb_policy_clear(&p);
}

static void
test_simple(void)
{
	const char *yes = "{\"isAuthorized\":true,\"context\":{\"a\":[1]}}";
	const char *no = "{\"isAuthorized\":false}";
	struct lb_policy p;
	char err[256];

	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(lb_policy_parse(yes, strlen(yes),
	                          LB_POLICY_SIMPLE, &p, err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(
	    lb_policy_evaluate(&p, ARN "/$default/GET/x"), LB_POLICY_ALLOW);
	expect_json(p.context, "{\"a\":[1]}");
	lb_policy_clear(&p);
	CU_ASSERT_EQUAL_FATAL(lb_policy_parse(no, strlen(no), LB_POLICY_SIMPLE,
	                          &p, err, sizeof(err)),
	    0);
	CU_ASSERT_EQUAL(lb_policy_evaluate(&p, ARN "/$default/GET/x"),
	    LB_POLICY_DENY_IMPLICIT);
	lb_policy_clear(&p);
}

void
lb_test_suite_policy(void)
{
	static CU_TestInfo tests[] = {
		{ "ARN and action wildcards", test_match },
		{ "evaluation table", test_evaluate_table },
		{ "malformed answers", test_malformed },
		{ "context values", test_context },
		{ "simple responses", test_simple },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("policy", tests);
}
