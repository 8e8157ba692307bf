/*
 * policy.h - what a Lambda authorizer answers, and the decision API Gateway
 * draws from it (docs/authorizers.md): the IAM policy (Allow and Deny
 * statements over execute-api ARNs, with IAM's '*' and '?' wildcards) or
 * an HTTP API's simple response (isAuthorized), the principal and the
 * context.  Pure: no I/O, no logging, no globals.
 */
#ifndef LB_POLICY_H
#define LB_POLICY_H

#include <stddef.h>

/* What the answer is read as. */
enum lb_policy_mode {
	LB_POLICY_IAM_REST, /* REST: context values string/number/bool/null */
	LB_POLICY_IAM_HTTP, /* HTTP API, IAM policy: context of any JSON */
	LB_POLICY_SIMPLE,   /* HTTP API, simple responses (isAuthorized) */
};

struct lb_policy_statement {
	int deny; /* Effect "Deny" (else "Allow") */
	char **actions;
	size_t nactions;
	char **resources;
	size_t nresources;
};

/* A parsed answer; owns everything (lb_policy_clear). */
struct lb_policy {
	int simple;         /* LB_POLICY_SIMPLE: decided by `authorized` */
	int authorized;     /* isAuthorized */
	char *principal_id; /* IAM modes; NULL in a simple response */
	struct lb_policy_statement *st;
	size_t nst;
	/* the context object as JSON text (REST: every value turned into a
	 * string, null kept), NULL when the answer has none */
	char *context;
	char *usage_identifier_key; /* NULL when none */
};

enum lb_policy_decision {
	LB_POLICY_ALLOW,
	LB_POLICY_DENY_EXPLICIT, /* a matching Deny statement */
	LB_POLICY_DENY_IMPLICIT, /* no matching Allow (or isAuthorized false) */
};

/*
 * Parses an authorizer's output (`len` bytes of JSON) read as `mode` into
 * *p (zero it first).  Returns 0, or -1 with the reason in err (and *p
 * cleared) for what API Gateway rejects as an AuthorizerConfigurationException:
 * not JSON, not an object, no principalId or policyDocument, a statement
 * whose Effect is neither Allow nor Deny, lacking Action or Resource, or
 * carrying a Condition (even null) or NotAction/NotResource; a REST
 * context value that is an object or an array; a simple response without
 * a boolean isAuthorized.
 */
int lb_policy_parse(const char *json, size_t len, enum lb_policy_mode mode,
    struct lb_policy *p, char *err, size_t errlen);

/*
 * The decision for a request whose ARN is `arn` (the methodArn or
 * routeArn): a Deny statement that matches wins, else an Allow that
 * matches allows, else implicit deny.  A statement matches when one of its
 * actions matches "execute-api:Invoke" (case-insensitive) and one of its
 * resources matches arn (lb_policy_match).
 */
enum lb_policy_decision lb_policy_evaluate(
    const struct lb_policy *p, const char *arn);

/*
 * IAM's wildcard match: '*' stands for any run of characters (also '/'
 * and ':'), '?' for exactly one; everything else matches itself, case
 * sensitively unless `nocase`.  Non-zero on a match.
 */
int lb_policy_match(const char *pattern, const char *s, int nocase);

/* Frees what p owns and zeroes it. */
void lb_policy_clear(struct lb_policy *p);

#endif /* LB_POLICY_H */
