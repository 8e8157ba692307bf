/*
 * authz.c - test handler: a Lambda authorizer whose answer the token
 * chooses (the TOKEN event's authorizationToken, else the first identity
 * source value, else the Authorization header):
 *
 *	allow        Allow on the request's own ARN
 *	allow-all    Allow on "*"
 *	allow-item1  Allow on ".../GET/items/1" only (for the cache)
 *	deny         Allow on "*" and Deny on the ARN: explicit deny
 *	none         Allow on another method: implicit deny
 *	unauthorized lb_error with the message "Unauthorized" (401)
 *	error        lb_error("Error", "boom")
 *	crash        abort()
 *	sleep        sleeps 3 s (over a 1 s function timeout)
 *	malformed    {"principal":"x"} (no principalId, no policy)
 *	condition    a statement with "Condition": null
 *	nested       a context value that is an object
 *	simple-true  {"isAuthorized":true,"context":{...}}
 *	simple-false {"isAuthorized":false}
 *	withkey      like allow-all, with usageIdentifierKey (the test API key)
 *
 * What follows a '#' in the token is ignored (tests make their tokens
 * unique with it, for the cache).  Any other token is allowed like
 * "allow".  The context carries "calls"
 * (this environment's invocations: a cache hit does not count),
 * "number" 42, "flag" true, "nothing" null, and "event": the event
 * received, as JSON text, so that the integration can show it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler authz_handler;

static int calls;

static const char *
token_of(json_object *event)
{
	json_object *v, *h;
	const char *t = th_field(event, "authorizationToken");

	if (t != NULL)
		return t;
	if (json_object_object_get_ex(event, "identitySource", &v) &&
	    json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0)
		return json_object_get_string(json_object_array_get_idx(v, 0));
	if (json_object_object_get_ex(event, "headers", &h) &&
	    json_object_is_type(h, json_type_object)) {
		if ((t = th_field(h, "Authorization")) != NULL)
			return t;
		if ((t = th_field(h, "authorization")) != NULL)
			return t;
	}
	return "";
}

static json_object *
statement(const char *effect, const char *resource)
{
	json_object *st = json_object_new_object();

	json_object_object_add(
	    st, "Action", json_object_new_string("execute-api:Invoke"));
	json_object_object_add(st, "Effect", json_object_new_string(effect));
	json_object_object_add(
	    st, "Resource", json_object_new_string(resource));
	return st;
}

/* The ARN with its method and path replaced by `tail`. */
static char *
arn_with(const char *arn, const char *tail)
{
	const char *p = arn;
	char *out;
	size_t n;

	/* arn:aws:execute-api:r:a:api/stage/ — after the second '/' */
	for (int slashes = 0; *p != '\0' && slashes < 2; p++)
		if (*p == '/')
			slashes++;
	n = (size_t)(p - arn);
	out = malloc(n + strlen(tail) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, arn, n);
	strcpy(out + n, tail);
	return out;
}

json_object *
authz_handler(json_object *event, const lb_context *ctx)
{
	const char *arn = th_field(event, "methodArn");
	json_object *res, *doc, *sts, *c;
	char *other = NULL, tok[64];

	(void)ctx;
	snprintf(tok, sizeof(tok), "%s", token_of(event));
	tok[strcspn(tok, "#")] = '\0';
	calls++;
	if (arn == NULL)
		arn = th_field(event, "routeArn");
	if (arn == NULL)
		arn = "";
	if (strcmp(tok, "unauthorized") == 0)
		return lb_error("Error", "Unauthorized");
	if (strcmp(tok, "error") == 0)
		return lb_error("Error", "boom");
	if (strcmp(tok, "crash") == 0)
		abort();
	if (strcmp(tok, "sleep") == 0) {
		sleep(3);
		return NULL;
	}
	res = json_object_new_object();
	if (strcmp(tok, "malformed") == 0) {
		json_object_object_add(
		    res, "principal", json_object_new_string("x"));
		return res;
	}
	c = json_object_new_object();
	json_object_object_add(c, "calls", json_object_new_int(calls));
	json_object_object_add(c, "number", json_object_new_int(42));
	json_object_object_add(c, "flag", json_object_new_boolean(1));
	json_object_object_add(c, "nothing", NULL);
	json_object_object_add(c, "event",
	    json_object_new_string(
	        json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN)));
	if (strcmp(tok, "nested") == 0)
		json_object_object_add(c, "obj", json_object_new_object());
	if (strncmp(tok, "simple-", 7) == 0) {
		json_object_object_add(res, "isAuthorized",
		    json_object_new_boolean(strcmp(tok, "simple-true") == 0));
		json_object_object_add(res, "context", c);
		return res;
	}
	json_object_object_add(
	    res, "principalId", json_object_new_string("me"));
	doc = json_object_new_object();
	json_object_object_add(
	    doc, "Version", json_object_new_string("2012-10-17"));
	sts = json_object_new_array();
	if (strcmp(tok, "allow-all") == 0 || strcmp(tok, "withkey") == 0) {
		json_object_array_add(sts, statement("Allow", "*"));
		if (tok[0] == 'w')
			json_object_object_add(res, "usageIdentifierKey",
			    json_object_new_string(
			        "integ-key-0123456789abcdef"));
	} else if (strcmp(tok, "allow-item1") == 0) {
		other = arn_with(arn, "GET/items/1");
		json_object_array_add(sts, statement("Allow", other));
	} else if (strcmp(tok, "deny") == 0) {
		json_object_array_add(sts, statement("Allow", "*"));
		json_object_array_add(sts, statement("Deny", arn));
	} else if (strcmp(tok, "none") == 0) {
		other = arn_with(arn, "POST/nothing");
		json_object_array_add(sts, statement("Allow", other));
	} else if (strcmp(tok, "condition") == 0) {
		json_object *st = statement("Allow", "*");

		json_object_object_add(st, "Condition", NULL);
		json_object_array_add(sts, st);
	} else {
		json_object_array_add(sts, statement("Allow", arn));
	}
	free(other);
	json_object_object_add(doc, "Statement", sts);
	json_object_object_add(res, "policyDocument", doc);
	json_object_object_add(res, "context", c);
	return res;
}
