/*
 * policy.c - a Lambda authorizer's answer read as API Gateway reads it,
 * and the IAM policy evaluated against a request's ARN
 * (docs/authorizers.md sections 3 and 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apigw/policy.h"

#define PARSE_DEPTH 32
#define FLAGS       (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
lb_policy_match(const char *pattern, const char *s, int nocase)
{
	const char *star = NULL, *resume = NULL;

	/* greedy with one back-track point: linear in practice, never
	 * exponential */
	while (*s != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			resume = s;
			continue;
		}
		if (*pattern != '\0' &&
		    (*pattern == '?' || *pattern == *s ||
		        (nocase &&
		            lower((unsigned char)*pattern) ==
		                lower((unsigned char)*s)))) {
			pattern++;
			s++;
			continue;
		}
		if (star == NULL)
			return 0;
		pattern = star + 1;
		s = ++resume;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lb_policy_clear(struct lb_policy *p)
{
	for (size_t i = 0; i < p->nst; i++) {
		free_list(p->st[i].actions, p->st[i].nactions);
		free_list(p->st[i].resources, p->st[i].nresources);
	}
	free(p->st);
	free(p->principal_id);
	free(p->context);
	free(p->usage_identifier_key);
	memset(p, 0, sizeof(*p));
}

/* A string, or an array of strings, into a new list: 0, or -1. */
static int
string_list(json_object *v, char ***out, size_t *n)
{
	size_t len = 1;

	if (json_object_is_type(v, json_type_array))
		len = json_object_array_length(v);
	else if (!json_object_is_type(v, json_type_string))
		return -1;
	if (len == 0)
		return -1;
	*out = calloc(len, sizeof(**out));
	if (*out == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_is_type(v, json_type_array)
		    ? json_object_array_get_idx(v, i)
		    : v;

		if (!json_object_is_type(e, json_type_string))
			return -1;
		(*out)[i] = strdup(json_object_get_string(e));
		*n = i + 1;
		if ((*out)[i] == NULL)
			return -1;
	}
	return 0;
}

/* One statement: 0, or -1 with the reason. */
static int
parse_statement(
    json_object *o, struct lb_policy_statement *st, char *err, size_t errlen)
{
	json_object *effect, *v;
	const char *e;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "a statement is not an object");
		return -1;
	}
	if (json_object_object_get_ex(o, "Condition", NULL) ||
	    json_object_object_get_ex(o, "NotAction", NULL) ||
	    json_object_object_get_ex(o, "NotResource", NULL)) {
		snprintf(err, errlen,
		    "a statement has Condition, NotAction or NotResource");
		return -1;
	}
	if (!json_object_object_get_ex(o, "Effect", &effect) ||
	    !json_object_is_type(effect, json_type_string)) {
		snprintf(err, errlen, "a statement has no Effect");
		return -1;
	}
	e = json_object_get_string(effect);
	if (strcmp(e, "Allow") != 0 && strcmp(e, "Deny") != 0) {
		snprintf(err, errlen, "Effect is neither Allow nor Deny");
		return -1;
	}
	st->deny = e[0] == 'D';
	if (!json_object_object_get_ex(o, "Action", &v) ||
	    string_list(v, &st->actions, &st->nactions) < 0) {
		snprintf(err, errlen,
		    "a statement's Action is not a string or a list of them");
		return -1;
	}
	if (!json_object_object_get_ex(o, "Resource", &v) ||
	    string_list(v, &st->resources, &st->nresources) < 0) {
		snprintf(err, errlen,
		    "a statement's Resource is not a string or a list of them");
		return -1;
	}
	return 0;
}

static int
parse_document(json_object *doc, struct lb_policy *p, char *err, size_t errlen)
{
	json_object *sts;
	size_t n = 1;

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "Statement", &sts)) {
		snprintf(err, errlen, "policyDocument has no Statement");
		return -1;
	}
	if (json_object_is_type(sts, json_type_array))
		n = json_object_array_length(sts);
	p->st = calloc(n > 0 ? n : 1, sizeof(*p->st));
	if (p->st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_is_type(sts, json_type_array)
		    ? json_object_array_get_idx(sts, i)
		    : sts;

		p->nst = i + 1;
		if (parse_statement(o, &p->st[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * The context as JSON text into p->context; REST turns every value into a
 * string (null stays null) and refuses objects and arrays.
 */
static int
parse_context(
    json_object *ctx, int rest, struct lb_policy *p, char *err, size_t errlen)
{
	json_object *out = ctx;
	int rc = -1;

	if (!json_object_is_type(ctx, json_type_object)) {
		snprintf(err, errlen, "context is not an object");
		return -1;
	}
	if (rest) {
		out = json_object_new_object();
		if (out == NULL)
			goto oom;
		json_object_object_foreach(ctx, k, v)
		{
			json_object *s = NULL;

			if (json_object_is_type(v, json_type_object) ||
			    json_object_is_type(v, json_type_array)) {
				snprintf(err, errlen,
				    "context value '%s' is an object or an "
				    "array",
				    k);
				json_object_put(out);
				return -1;
			}
			if (v != NULL) {
				const char *t =
				    json_object_is_type(v, json_type_string)
				    ? json_object_get_string(v)
				    : json_object_to_json_string_ext(v, FLAGS);

				if ((s = json_object_new_string(t)) == NULL)
					goto oom;
			}
			if (json_object_object_add(out, k, s) != 0) {
				json_object_put(s);
				goto oom;
			}
		}
	}
	p->context = strdup(json_object_to_json_string_ext(out, FLAGS));
	if (p->context == NULL)
		goto oom;
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	if (out != ctx)
		json_object_put(out);
	return rc;
}

static int
parse_answer(json_object *o, enum lb_policy_mode mode, struct lb_policy *p,
    char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the answer is not a JSON object");
		return -1;
	}
	if (mode == LB_POLICY_SIMPLE) {
		p->simple = 1;
		if (!json_object_object_get_ex(o, "isAuthorized", &v) ||
		    !json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "isAuthorized is not a boolean");
			return -1;
		}
		p->authorized = json_object_get_boolean(v);
	} else {
		if (!json_object_object_get_ex(o, "principalId", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "principalId is not a string");
			return -1;
		}
		if ((p->principal_id = strdup(json_object_get_string(v))) ==
		    NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!json_object_object_get_ex(o, "policyDocument", &v)) {
			snprintf(err, errlen, "no policyDocument");
			return -1;
		}
		if (parse_document(v, p, err, errlen) < 0)
			return -1;
		if (json_object_object_get_ex(o, "usageIdentifierKey", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    (p->usage_identifier_key =
		            strdup(json_object_get_string(v))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (json_object_object_get_ex(o, "context", &v) && v != NULL &&
	    parse_context(v, mode == LB_POLICY_IAM_REST, p, err, errlen) < 0)
		return -1;
	return 0;
}

int
lb_policy_parse(const char *json, size_t len, enum lb_policy_mode mode,
    struct lb_policy *p, char *err, size_t errlen)
{
	struct json_tokener *t;
	json_object *o;
	size_t end;
	int rc;

	if (len > (size_t)0x7fffffff) {
		snprintf(err, errlen, "the answer is too large");
		return -1;
	}
	t = json_tokener_new_ex(PARSE_DEPTH);
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o = json_tokener_parse_ex(t, json, (int)len);
	end = json_tokener_get_parse_end(t);
	while (end < len && strchr(" \t\r\n", json[end]) != NULL &&
	    json[end] != '\0')
		end++;
	if (json_tokener_get_error(t) != json_tokener_success || end < len) {
		snprintf(err, errlen, "the answer is not JSON");
		json_object_put(o);
		json_tokener_free(t);
		return -1;
	}
	json_tokener_free(t);
	rc = parse_answer(o, mode, p, err, errlen);
	json_object_put(o);
	if (rc < 0)
		lb_policy_clear(p);
	return rc;
}

/* Does statement st apply to invoking arn? */
static int
applies(const struct lb_policy_statement *st, const char *arn)
{
	int action = 0;

	for (size_t i = 0; i < st->nactions && !action; i++)
		action =
		    lb_policy_match(st->actions[i], "execute-api:Invoke", 1);
	if (!action)
		return 0;
	for (size_t i = 0; i < st->nresources; i++)
		if (lb_policy_match(st->resources[i], arn, 0))
			return 1;
	return 0;
}

enum lb_policy_decision
lb_policy_evaluate(const struct lb_policy *p, const char *arn)
{
	int allow = 0;

	if (p->simple)
		return p->authorized ? LB_POLICY_ALLOW
		                     : LB_POLICY_DENY_IMPLICIT;
	for (size_t i = 0; i < p->nst; i++) {
		if (!applies(&p->st[i], arn))
			continue;
		if (p->st[i].deny)
			return LB_POLICY_DENY_EXPLICIT;
		allow = 1;
	}
	return allow ? LB_POLICY_ALLOW : LB_POLICY_DENY_IMPLICIT;
}
