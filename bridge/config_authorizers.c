/*
 * config_authorizers.c - the `authorizers` list (Lambda TOKEN and REQUEST
 * authorizers, JWT authorizers) and what a route says about its
 * authorizer (`authorizer`, `authorization_scopes`).  docs/authorizers.md
 * says what each setting does; the rules follow API Gateway's.
 */
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"

/* The context variables an identity source may name (context.NAME). */
static const char *const context_vars[] = { "httpMethod", "path",
	"resourcePath", "routeKey", "stage", "apiId", "accountId", "domainName",
	"identity.sourceIp", "identity.userAgent", NULL };

const char *
lb_config_authorizer_type_name(enum lb_authorizer_type type)
{
	switch (type) {
	case LB_AUTHORIZER_TOKEN: return "TOKEN";
	case LB_AUTHORIZER_REQUEST: return "REQUEST";
	case LB_AUTHORIZER_JWT: return "JWT";
	}
	return "?";
}

int
lb_config_authorizer_index(const struct lb_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nauthorizers; i++)
		if (cfg->authorizers[i].name != NULL &&
		    strcmp(cfg->authorizers[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
lb_config__free_authorizer(struct lb_authorizer *a)
{
	free(a->name);
	for (size_t i = 0; i < a->nidentity; i++) {
		free(a->identity[i].source);
		free(a->identity[i].name);
	}
	free(a->identity);
	free(a->validation_expression);
	if (a->validation_re != NULL) {
		regfree(a->validation_re);
		free(a->validation_re);
	}
	free(a->issuer);
	for (size_t i = 0; i < a->naudience; i++)
		free(a->audience[i]);
	free(a->audience);
	free(a->jwks_file);
	free(a->jwks_uri);
}

static void
free_src(struct lb_config__authorizer_src *s)
{
	free(s->name);
	free(s->type);
	free(s->function);
	for (size_t i = 0; i < s->nidentity; i++)
		free(s->identity[i]);
	free(s->identity);
	free(s->validation_expression);
	free(s->issuer);
	for (size_t i = 0; i < s->naudience; i++)
		free(s->audience[i]);
	free(s->audience);
	free(s->jwks_file);
	free(s->jwks_uri);
}

/*
 * Parses one identity source in the API type's syntax into *id: NULL, or
 * the reason it is not one.
 */
static const char *
parse_identity(const char *src, int rest, struct lb_identity_source *id)
{
	static const struct {
		const char *prefix;
		enum lb_identity_kind kind;
		int rest;
	} forms[] = {
		{ "method.request.header.", LB_IDENTITY_HEADER, 1 },
		{ "method.request.querystring.", LB_IDENTITY_QUERY, 1 },
		{ "stageVariables.", LB_IDENTITY_STAGE_VARIABLE, 1 },
		{ "context.", LB_IDENTITY_CONTEXT, 1 },
		{ "$request.header.", LB_IDENTITY_HEADER, 0 },
		{ "$request.querystring.", LB_IDENTITY_QUERY, 0 },
		{ "$stageVariables.", LB_IDENTITY_STAGE_VARIABLE, 0 },
		{ "$context.", LB_IDENTITY_CONTEXT, 0 },
	};
	const char *name = NULL;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t n = strlen(forms[i].prefix);

		if (forms[i].rest == rest &&
		    strncmp(src, forms[i].prefix, n) == 0) {
			name = src + n;
			id->kind = forms[i].kind;
			break;
		}
	}
	if (name == NULL)
		return rest ? "expected method.request.header.NAME, "
		              "method.request.querystring.NAME, "
		              "stageVariables.NAME or context.NAME"
		            : "expected $request.header.NAME, "
		              "$request.querystring.NAME, $stageVariables.NAME "
		              "or $context.NAME";
	if (*name == '\0')
		return "the name is empty";
	if (id->kind == LB_IDENTITY_HEADER &&
	    lb_config__check_header_name(name) != NULL)
		return "not a header name";
	if (id->kind == LB_IDENTITY_STAGE_VARIABLE &&
	    lb_config__check_stage_var_key(name) != NULL)
		return "not a stage variable name";
	if (id->kind == LB_IDENTITY_CONTEXT) {
		size_t i = 0;

		while (context_vars[i] != NULL &&
		    strcmp(context_vars[i], name) != 0)
			i++;
		if (context_vars[i] == NULL)
			return "unknown context variable (the bridge has "
			       "httpMethod, path, resourcePath, routeKey, "
			       "stage, apiId, accountId, domainName, "
			       "identity.sourceIp, identity.userAgent)";
	}
	id->name = strdup(name);
	id->source = strdup(src);
	if (id->name == NULL || id->source == NULL)
		return "out of memory";
	if (id->kind == LB_IDENTITY_HEADER)
		for (char *p = id->name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return NULL;
}

/* One setting that this type of authorizer does not take: fails. */
static int
not_for(struct lb_config__ctx *c, const config_setting_t *as, int i,
    const char *setting, const char *why)
{
	char where[96];

	lb_config__setpath(
	    where, sizeof(where), "authorizers[%d].%s", i, setting);
	return lb_config__fail(
	    c, lb_config__member_or(as, setting), where, "%s", why);
}

static int
load_identity(struct lb_config__ctx *c, const config_setting_t *as, int i,
    int rest, struct lb_config__authorizer_src *s, struct lb_authorizer *a)
{
	const config_setting_t *list =
	    lb_config__member_or(as, "identity_source");
	char where[96];
	const char *why;

	a->identity =
	    calloc(s->nidentity > 0 ? s->nidentity : 1, sizeof(*a->identity));
	if (a->identity == NULL)
		return lb_config__fail(c, as, "authorizers", "out of memory");
	for (size_t j = 0; j < s->nidentity; j++) {
		lb_config__setpath(where, sizeof(where),
		    "authorizers[%d].identity_source[%zu]", i, j);
		why = parse_identity(s->identity[j], rest, &a->identity[j]);
		a->nidentity = j + 1;
		if (why != NULL)
			return lb_config__fail(c,
			    list != as
			        ? config_setting_get_elem(list, (unsigned)j)
			        : as,
			    where, "'%s': %s", s->identity[j], why);
	}
	lb_config__setpath(
	    where, sizeof(where), "authorizers[%d].identity_source", i);
	if (a->type == LB_AUTHORIZER_TOKEN &&
	    (a->nidentity != 1 || a->identity[0].kind != LB_IDENTITY_HEADER))
		return lb_config__fail(c, list, where,
		    "a TOKEN authorizer takes exactly one "
		    "method.request.header.NAME");
	if (a->type == LB_AUTHORIZER_JWT &&
	    (a->nidentity != 1 ||
	        (a->identity[0].kind != LB_IDENTITY_HEADER &&
	            a->identity[0].kind != LB_IDENTITY_QUERY)))
		return lb_config__fail(c, list, where,
		    "a JWT authorizer takes exactly one $request.header.NAME "
		    "or $request.querystring.NAME");
	if (a->type == LB_AUTHORIZER_REQUEST && a->ttl > 0 && a->nidentity == 0)
		return lb_config__fail(c, list, where,
		    "missing: a REQUEST authorizer whose results are cached "
		    "(ttl > 0) needs its cache key");
	return 0;
}

/* The defaults of a JWT authorizer's identity source. */
static int
default_jwt_identity(struct lb_config__authorizer_src *s)
{
	if (s->nidentity > 0)
		return 0;
	s->identity = calloc(1, sizeof(*s->identity));
	if (s->identity == NULL ||
	    (s->identity[0] = strdup("$request.header.Authorization")) == NULL)
		return -1;
	s->nidentity = 1;
	return 0;
}

/* The settings of a Lambda (TOKEN, REQUEST) authorizer. */
static int
load_lambda(struct lb_config__ctx *c, const config_setting_t *as, int i,
    struct lb_config__authorizer_src *s, struct lb_config *cfg,
    struct lb_authorizer *a)
{
	int rest = cfg->api == LB_API_REST;
	char where[96];
	int fn, rc;

	if (s->issuer != NULL || s->naudience > 0 || s->jwks_file != NULL ||
	    s->jwks_uri != NULL)
		return not_for(c, as, i,
		    s->issuer != NULL          ? "issuer"
		        : s->naudience > 0     ? "audience"
		        : s->jwks_file != NULL ? "jwks_file"
		                               : "jwks_uri",
		    "only JWT authorizers have it");
	lb_config__setpath(where, sizeof(where), "authorizers[%d].function", i);
	if (s->function == NULL)
		return lb_config__fail(c, as, where,
		    "missing (required for a %s authorizer)", s->type);
	fn = lb_config_function_index(cfg, s->function);
	if (fn < 0)
		return lb_config__fail(c, lb_config__member_or(as, "function"),
		    where, "no function named '%s'", s->function);
	a->function = (size_t)fn;
	a->ttl = s->ttl >= 0 ? s->ttl : rest ? 300 : 0;
	if (rest) {
		if (s->payload_format != 0)
			return not_for(c, as, i, "payload_format",
			    "REST authorizers get payload format 1.0 (only "
			    "an HTTP API's have it)");
		if (s->simple_responses >= 0)
			return not_for(c, as, i, "simple_responses",
			    "only an HTTP API's authorizers have it");
		a->payload_format = 1;
	} else {
		lb_config__setpath(
		    where, sizeof(where), "authorizers[%d].payload_format", i);
		if (s->payload_format == 0)
			return lb_config__fail(c, as, where,
			    "missing (required for an HTTP API REQUEST "
			    "authorizer: \"1.0\" or \"2.0\")");
		a->payload_format = s->payload_format;
		a->simple_responses = s->simple_responses > 0;
		if (a->simple_responses && a->payload_format != 2)
			return not_for(c, as, i, "simple_responses",
			    "simple responses need payload_format \"2.0\"");
	}
	if (s->validation_expression != NULL) {
		char why[256];

		if (a->type != LB_AUTHORIZER_TOKEN)
			return not_for(c, as, i, "validation_expression",
			    "only TOKEN authorizers have it");
		lb_config__setpath(where, sizeof(where),
		    "authorizers[%d].validation_expression", i);
		a->validation_re = calloc(1, sizeof(*a->validation_re));
		if (a->validation_re == NULL)
			return lb_config__fail(c, as, where, "out of memory");
		rc = regcomp(a->validation_re, s->validation_expression,
		    REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, a->validation_re, why, sizeof(why));
			free(a->validation_re);
			a->validation_re = NULL;
			return lb_config__fail(c,
			    lb_config__member_or(as, "validation_expression"),
			    where, "'%s': %s", s->validation_expression, why);
		}
		a->validation_expression = s->validation_expression;
		s->validation_expression = NULL;
	}
	return load_identity(c, as, i, rest, s, a);
}

/* The settings of a JWT authorizer. */
static int
load_jwt(struct lb_config__ctx *c, const config_setting_t *as, int i,
    const char *dir, struct lb_config__authorizer_src *s,
    struct lb_authorizer *a)
{
	char where[96];

	if (s->function != NULL)
		return not_for(c, as, i, "function",
		    "a JWT authorizer checks tokens itself: no function");
	if (s->ttl >= 0)
		return not_for(c, as, i, "ttl",
		    "JWT authorizers cache their keys, not their results");
	if (s->payload_format != 0 || s->simple_responses >= 0)
		return not_for(c, as, i,
		    s->payload_format != 0 ? "payload_format"
		                           : "simple_responses",
		    "only Lambda authorizers have it");
	if (s->validation_expression != NULL)
		return not_for(c, as, i, "validation_expression",
		    "only TOKEN authorizers have it");
	lb_config__setpath(where, sizeof(where), "authorizers[%d]", i);
	if (s->issuer == NULL)
		return not_for(c, as, i, "issuer",
		    "missing (required for a JWT authorizer)");
	if (s->naudience == 0)
		return not_for(c, as, i, "audience",
		    "missing (a JWT authorizer needs at least one audience)");
	if (s->jwks_file != NULL && s->jwks_uri != NULL)
		return not_for(c, as, i, "jwks_uri",
		    "jwks_file and jwks_uri exclude each other");
	if (s->jwks_file != NULL) {
		size_t n = strlen(dir) + 1 + strlen(s->jwks_file) + 1;

		lb_config__setpath(
		    where, sizeof(where), "authorizers[%d].jwks_file", i);
		if (s->jwks_file[0] == '/') {
			a->jwks_file = s->jwks_file;
			s->jwks_file = NULL;
		} else if ((a->jwks_file = malloc(n)) == NULL) {
			return lb_config__fail(c, as, where, "out of memory");
		} else {
			snprintf(a->jwks_file, n, "%s/%s", dir, s->jwks_file);
		}
		if (access(a->jwks_file, R_OK) != 0)
			return lb_config__fail(c,
			    lb_config__member_or(as, "jwks_file"), where,
			    "cannot read '%s'", a->jwks_file);
	}
	a->issuer = s->issuer;
	s->issuer = NULL;
	a->audience = s->audience;
	a->naudience = s->naudience;
	s->audience = NULL;
	s->naudience = 0;
	a->jwks_uri = s->jwks_uri;
	s->jwks_uri = NULL;
	a->payload_format = 2;
	if (default_jwt_identity(s) < 0)
		return lb_config__fail(c, as, where, "out of memory");
	return load_identity(c, as, i, 0, s, a);
}

/* The type's name into a->type, for this API type. */
static int
load_type(struct lb_config__ctx *c, const config_setting_t *as, int i,
    const struct lb_config__authorizer_src *s, int rest,
    struct lb_authorizer *a)
{
	char where[96];

	lb_config__setpath(where, sizeof(where), "authorizers[%d].type", i);
	if (rest && strcmp(s->type, "TOKEN") == 0)
		a->type = LB_AUTHORIZER_TOKEN;
	else if (strcmp(s->type, "REQUEST") == 0)
		a->type = LB_AUTHORIZER_REQUEST;
	else if (!rest && strcmp(s->type, "JWT") == 0)
		a->type = LB_AUTHORIZER_JWT;
	else
		return lb_config__fail(c, lb_config__member_or(as, "type"),
		    where, "'%s': expected %s", s->type,
		    rest ? "\"TOKEN\" or \"REQUEST\" (a REST API's types)"
		         : "\"REQUEST\" or \"JWT\" (an HTTP API's types)");
	return 0;
}

int
lb_config__load_authorizers(struct lb_config__ctx *c,
    const config_setting_t *list, const char *dir, struct lb_config *cfg)
{
	int rest = cfg->api == LB_API_REST;
	char where[96];
	int len;

	if (lb_config__want_type(c, list, "authorizers", CONFIG_TYPE_LIST) < 0)
		return -1;
	len = config_setting_length(list);
	if (len > 10)
		return lb_config__fail(c, list, "authorizers",
		    "more than 10 authorizers (API Gateway's limit)");
	cfg->authorizers =
	    calloc(len > 0 ? (size_t)len : 1, sizeof(*cfg->authorizers));
	if (cfg->authorizers == NULL)
		return lb_config__fail(c, list, "authorizers", "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *as = config_setting_get_elem(list, i);
		struct lb_authorizer *a = &cfg->authorizers[i];
		struct lb_config__authorizer_src s;
		int rc = -1;

		memset(&s, 0, sizeof(s));
		s.ttl = -1;
		s.simple_responses = -1;
		cfg->nauthorizers = (size_t)i + 1;
		a->line = (int)config_setting_source_line(as);
		lb_config__setpath(where, sizeof(where), "authorizers[%d]", i);
		if (lb_config__parse_group(c, as, where,
		        lb_config__authorizer_fields,
		        lb_config__nauthorizer_fields, &s) < 0 ||
		    load_type(c, as, i, &s, rest, a) < 0)
			goto next;
		for (int j = 0; j < i; j++) {
			if (strcmp(cfg->authorizers[j].name, s.name) != 0)
				continue;
			lb_config__setpath(
			    where, sizeof(where), "authorizers[%d].name", i);
			lb_config__fail(c, lb_config__member_or(as, "name"),
			    where,
			    "duplicate authorizer '%s' (first defined at line "
			    "%d)",
			    s.name, cfg->authorizers[j].line);
			goto next;
		}
		a->name = s.name;
		s.name = NULL;
		if (a->type == LB_AUTHORIZER_JWT)
			rc = load_jwt(c, as, i, dir, &s, a);
		else
			rc = load_lambda(c, as, i, &s, cfg, a);
	next:
		free_src(&s);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
lb_config__route_authorizer(struct lb_config__ctx *c,
    const config_setting_t *rs, int i, struct lb_config__route_src *src,
    struct lb_config *cfg, struct lb_route *r)
{
	char where[96];
	int a;

	r->authorizer = NULL;
	r->scopes = src->scopes;
	r->nscopes = src->nscopes;
	src->scopes = NULL;
	src->nscopes = 0;
	if (src->authorizer == NULL) {
		if (r->nscopes == 0)
			return 0;
		lb_config__setpath(
		    where, sizeof(where), "routes[%d].authorization_scopes", i);
		return lb_config__fail(c,
		    lb_config__member_or(rs, "authorization_scopes"), where,
		    "scopes need a JWT authorizer (routes[%d].authorizer)", i);
	}
	lb_config__setpath(where, sizeof(where), "routes[%d].authorizer", i);
	a = lb_config_authorizer_index(cfg, src->authorizer);
	if (a < 0)
		return lb_config__fail(c,
		    lb_config__member_or(rs, "authorizer"), where,
		    "no authorizer named '%s'", src->authorizer);
	r->authorizer = &cfg->authorizers[a];
	if (r->nscopes > 0 && cfg->authorizers[a].type != LB_AUTHORIZER_JWT) {
		lb_config__setpath(
		    where, sizeof(where), "routes[%d].authorization_scopes", i);
		return lb_config__fail(c,
		    lb_config__member_or(rs, "authorization_scopes"), where,
		    "only routes with a JWT authorizer have scopes ('%s' is "
		    "a %s authorizer)",
		    src->authorizer,
		    lb_config_authorizer_type_name(cfg->authorizers[a].type));
	}
	return 0;
}
