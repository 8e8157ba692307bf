/*
 * sam.c - an AWS SAM template (Transform AWS::Serverless-2016-10-31) into
 * the model: Globals merged as SAM's GlobalsPlugin merges them, the
 * explicit AWS::Serverless::Api/HttpApi resources, the functions with
 * their Api/HttpApi events, and the implicit ServerlessRestApi (stage Prod)
 * and ServerlessHttpApi ($default) when events name no API.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import/import_int.h"

static bool
is_intrinsic(const struct lb_ynode *n)
{
	return n->kind == LB_Y_MAP && n->n == 1 &&
	    (strcmp(n->keys[0], "Ref") == 0 ||
	        strncmp(n->keys[0], "Fn::", 4) == 0);
}

/* SAM's Globals: maps merge key by key, lists concatenate (global first),
 * anything else (an intrinsic too) is the resource's own value */
static struct lb_ynode *
merge(struct lb_imp *imp, struct lb_ynode *g, struct lb_ynode *l)
{
	struct lb_ynode *r;

	if (g == NULL)
		return l;
	if (l == NULL)
		return g;
	if (g->kind != l->kind || g->kind == LB_Y_STR || is_intrinsic(g) ||
	    is_intrinsic(l))
		return l;
	if ((r = lb_y_new(&imp->a, g->kind, l->line)) == NULL)
		return l;
	if (g->kind == LB_Y_SEQ) {
		for (size_t i = 0; i < g->n; i++)
			lb_y_add(&imp->a, r, NULL, g->items[i]);
		for (size_t i = 0; i < l->n; i++)
			lb_y_add(&imp->a, r, NULL, l->items[i]);
		return r;
	}
	for (size_t i = 0; i < g->n; i++)
		lb_y_add(&imp->a, r, g->keys[i],
		    merge(imp, g->items[i], lb_y_get(l, g->keys[i])));
	for (size_t i = 0; i < l->n; i++)
		if (lb_y_get(g, l->keys[i]) == NULL)
			lb_y_add(&imp->a, r, l->keys[i], l->items[i]);
	return r;
}

/* "Header" -> "method.request.header.Header" (REST) or
 * "$request.header.Header" (HTTP API) */
static void
identity(struct lb_imp *imp, struct lb_imp_auth *a, struct lb_ynode *id,
    const char *key, const char *rest, const char *http, bool is_http)
{
	struct lb_imp_strs l = { 0 };

	lb_imp_lv(imp, id, key, &l);
	for (size_t i = 0; i < l.n; i++)
		lb_imp_strs_add(imp, &a->identity,
		    lb_y_printf(
		        &imp->a, "%s%s", is_http ? http : rest, l.v[i]));
}

static void
lambda_auth(struct lb_imp *imp, struct lb_imp_api *api, struct lb_imp_auth *a,
    struct lb_ynode *d)
{
	const char *arn = lb_imp_sv(imp, d, "FunctionArn");
	struct lb_ynode *id = lb_y_get(d, "Identity");
	double ttl;

	a->function =
	    arn != NULL ? lb_imp_arn_function(imp, arn, a->line) : NULL;
	if (a->function == NULL)
		a->unmapped = "its function cannot be found";
	else
		lb_imp_func_get(imp, a->function, a->line);
	if (lb_imp_nv(imp, id, "ReauthorizeEvery", &ttl) == 0)
		a->ttl = ttl;
	if (api->http) {
		const char *pf =
		    lb_imp_sv(imp, d, "AuthorizerPayloadFormatVersion");

		a->type = "REQUEST";
		a->payload = pf != NULL ? pf : "2.0";
		if (lb_imp_bv(imp, d, "EnableSimpleResponses") == 1)
			a->simple = 1;
	} else {
		const char *t = lb_imp_sv(imp, d, "FunctionPayloadType");

		a->type = t != NULL && strcasecmp(t, "REQUEST") == 0 ? "REQUEST"
		                                                     : "TOKEN";
	}
	if (!api->http && strcmp(a->type, "TOKEN") == 0) {
		const char *h = lb_imp_sv(imp, id, "Header");

		lb_imp_strs_add(imp, &a->identity,
		    lb_y_printf(&imp->a, "method.request.header.%s",
		        h != NULL ? h : "Authorization"));
		a->validation = lb_imp_sv(imp, id, "ValidationExpression");
		return;
	}
	identity(imp, a, id, "Headers", "method.request.header.",
	    "$request.header.", api->http);
	identity(imp, a, id, "QueryStrings", "method.request.querystring.",
	    "$request.querystring.", api->http);
	identity(imp, a, id, "StageVariables", "stageVariables.",
	    "$stageVariables.", api->http);
	identity(imp, a, id, "Context", "context.", "$context.", api->http);
	if (a->identity.n == 0 && (a->ttl > 0 || (!api->http && a->ttl < 0))) {
		lb_imp_note(imp, &api->notes,
		    "authorizer '%s' has no identity source: not cached (ttl "
		    "0)",
		    a->name);
		a->ttl = 0;
	}
}

static void
auth_section(struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *auth)
{
	struct lb_ynode *defs = lb_y_get(auth, "Authorizers"), *up;
	int k;

	for (size_t i = 0;
	     defs != NULL && defs->kind == LB_Y_MAP && i < defs->n; i++) {
		struct lb_ynode *d = defs->items[i];
		struct lb_imp_auth *a =
		    lb_imp_auth_new(imp, api, defs->keys[i], d->line);

		if (a == NULL)
			return;
		if (lb_y_get(d, "FunctionArn") != NULL) {
			lambda_auth(imp, api, a, d);
		} else if (api->http &&
		    lb_y_get(d, "JwtConfiguration") != NULL) {
			struct lb_ynode *j = lb_y_get(d, "JwtConfiguration");
			const char *src = lb_imp_sv(imp, d, "IdentitySource");

			a->type = "JWT";
			a->issuer = lb_imp_sv(imp, j, "issuer");
			lb_imp_lv(imp, j, "audience", &a->audience);
			lb_imp_lv(imp, d, "AuthorizationScopes", &a->scopes);
			if (src != NULL)
				lb_imp_strs_add(imp, &a->identity, src);
			if (a->issuer == NULL || a->audience.n == 0)
				a->unmapped =
				    "its issuer or audience cannot be "
				    "resolved";
		} else {
			a->unmapped = lb_y_get(d, "UserPoolArn") != NULL
			    ? "Cognito user pool authorizers are "
			      "not emulated"
			    : "only Lambda and JWT authorizers are "
			      "emulated";
		}
		if (a->unmapped != NULL)
			lb_imp_warn(imp, d->line,
			    "authorizer '%s': %s; its routes are commented out",
			    a->name, a->unmapped);
	}
	api->default_auth = lb_imp_sv(imp, auth, "DefaultAuthorizer");
	if ((k = lb_imp_bv(imp, auth, "ApiKeyRequired")) == 1)
		api->default_key = true;
	if (lb_y_get(auth, "ResourcePolicy") != NULL)
		lb_imp_warn(imp, lb_y_get(auth, "ResourcePolicy")->line,
		    "ResourcePolicy is not emulated: not carried over");
	if ((up = lb_y_get(auth, "UsagePlan")) != NULL) {
		const char *c = lb_imp_sv(imp, up, "CreateUsagePlan");

		if (c == NULL || strcmp(c, "NONE") != 0) {
			struct lb_ynode *q = lb_y_get(up, "Quota");

			api->usage_plan = true;
			lb_imp_nv(imp, q, "Limit", &api->quota_limit);
			api->quota_period = lb_imp_sv(imp, q, "Period");
			lb_imp_throttle(imp, lb_y_get(up, "Throttle"),
			    "RateLimit", "BurstLimit", &api->plan_rate,
			    &api->plan_burst);
		}
	}
}

/* an inline OpenAPI DefinitionBody: its routes too (a DefinitionUri is
 * another file: import it on its own) */
static void
definition(struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *p)
{
	struct lb_ynode *body = lb_y_get(p, "DefinitionBody");

	if (lb_y_get(p, "DefinitionUri") != NULL)
		lb_imp_warn(imp, lb_y_get(p, "DefinitionUri")->line,
		    "DefinitionUri is not read: import that OpenAPI file with "
		    "--format openapi");
	if (body == NULL)
		return;
	if (body->kind != LB_Y_MAP || lb_y_get(body, "paths") == NULL) {
		/* Fn::Transform AWS::Include and the like */
		lb_imp_warn(imp, body->line,
		    "DefinitionBody is not an inline OpenAPI definition: not "
		    "read");
		return;
	}
	lb_imp_openapi(imp, body, api);
}

static void
rest_api(struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *p)
{
	struct lb_ynode *ms = lb_imp_eval(imp, lb_y_get(p, "MethodSettings"));
	struct lb_imp_strs bin = { 0 };

	if (api->stage == NULL)
		api->stage = lb_imp_sv(imp, p, "StageName");
	api->stage_vars = lb_imp_eval(imp, lb_y_get(p, "Variables"));
	auth_section(imp, api, lb_y_get(p, "Auth"));
	lb_imp_lv(imp, p, "BinaryMediaTypes", &bin);
	for (size_t i = 0; i < bin.n; i++) {
		char *t = lb_y_strdup(&imp->a, bin.v[i]), *s;

		while (t != NULL && (s = strstr(t, "~1")) != NULL) {
			*s = '/';
			memmove(s + 1, s + 2, strlen(s + 2) + 1);
		}
		lb_imp_strs_add(imp, &api->binary, t);
	}
	lb_imp_sam_rest_cors(
	    imp, api, lb_y_get(p, "Cors"), lb_y_get(p, "Auth"));
	lb_imp_gateway_responses(
	    imp, api, lb_y_get(p, "GatewayResponses"), true);
	for (size_t i = 0; ms != NULL && ms->kind == LB_Y_SEQ && i < ms->n;
	     i++) {
		const char *path = lb_imp_sv(imp, ms->items[i], "ResourcePath");
		const char *m = lb_imp_sv(imp, ms->items[i], "HttpMethod");

		if (path != NULL && m != NULL && strcmp(path, "/*") == 0 &&
		    strcmp(m, "*") == 0)
			lb_imp_throttle(imp, ms->items[i],
			    "ThrottlingRateLimit", "ThrottlingBurstLimit",
			    &api->rate, &api->burst);
	}
	api->settings = ms;
	definition(imp, api, p);
}

static void
http_api(struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *p)
{
	struct lb_ynode *auth = lb_y_get(p, "Auth");

	if (api->stage == NULL)
		api->stage = lb_imp_sv(imp, p, "StageName");
	api->stage_vars = lb_imp_eval(imp, lb_y_get(p, "StageVariables"));
	auth_section(imp, api, auth);
	if (lb_imp_bv(imp, auth, "EnableIamAuthorizer") == 1)
		lb_imp_note(imp, &api->notes,
		    "EnableIamAuthorizer: AWS_IAM routes are commented out");
	lb_imp_http_cors(imp, api, lb_y_get(p, "CorsConfiguration"), true);
	lb_imp_throttle(imp, lb_y_get(p, "DefaultRouteSettings"),
	    "ThrottlingRateLimit", "ThrottlingBurstLimit", &api->rate,
	    &api->burst);
	api->settings = lb_imp_eval(imp, lb_y_get(p, "RouteSettings"));
	definition(imp, api, p);
}

static struct lb_imp_api *
implicit(struct lb_imp *imp, bool http, struct lb_ynode *globals, int line)
{
	const char *name = http ? "ServerlessHttpApi" : "ServerlessRestApi";
	struct lb_imp_api *api = lb_imp_api_find(imp, name);
	struct lb_ynode *g = lb_y_get(globals, http ? "HttpApi" : "Api");

	if (api != NULL)
		return api;
	if ((api = lb_imp_api_new(imp, name, http, line)) == NULL)
		return NULL;
	api->implicit = true;
	api->stage = http ? "$default" : "Prod";
	if (g == NULL)
		g = lb_y_new(&imp->a, LB_Y_MAP, line);
	if (g != NULL)
		(http ? http_api : rest_api)(imp, api, g);
	return api;
}

/* the API an event names by RestApiId/ApiId, or the implicit one */
static struct lb_imp_api *
event_api(struct lb_imp *imp, struct lb_ynode *ep, bool http,
    struct lb_ynode *globals, int line)
{
	const char *id = lb_imp_sv(imp, ep, http ? "ApiId" : "RestApiId");
	struct lb_imp_api *api;

	if (id == NULL)
		return implicit(imp, http, globals, line);
	if ((api = lb_imp_api_find(imp, id)) == NULL || api->http != http) {
		lb_imp_warn(imp, line,
		    "event names %s '%s', which is no %s in "
		    "this template: not carried over",
		    http ? "ApiId" : "RestApiId", id,
		    http ? "AWS::Serverless::HttpApi" : "AWS::Serverless::Api");
		return NULL;
	}
	return api;
}

static void
event(struct lb_imp *imp, struct lb_imp_func *f, const char *ename,
    struct lb_ynode *e, struct lb_ynode *globals)
{
	const char *type = lb_imp_sv(imp, e, "Type");
	struct lb_ynode *p = lb_y_get(e, "Properties"), *auth;
	bool http;
	struct lb_imp_api *api;
	struct lb_imp_route *r;
	const char *path, *method, *an;
	int k;

	if (type == NULL ||
	    (strcmp(type, "Api") != 0 && strcmp(type, "HttpApi") != 0)) {
		lb_imp_warn(imp, e->line,
		    "event '%s' of type '%s' is no API event: not carried over",
		    ename, type != NULL ? type : "?");
		return;
	}
	http = strcmp(type, "HttpApi") == 0;
	if ((api = event_api(imp, p, http, globals, e->line)) == NULL)
		return;
	path = lb_imp_sv(imp, p, "Path");
	method = lb_imp_sv(imp, p, "Method");
	if (!http && (path == NULL || method == NULL)) {
		lb_imp_warn(
		    imp, e->line, "event '%s' needs Path and Method", ename);
		return;
	}
	if (http && (path == NULL) != (method == NULL)) {
		path = path != NULL ? path : "/";
		method = method != NULL ? method : "ANY";
	}
	r = lb_imp_route_add(imp, api, method, path, f->name, e->line);
	if (r == NULL)
		return;
	if (http) {
		const char *pf = lb_imp_sv(imp, p, "PayloadFormatVersion");

		r->payload = pf != NULL ? pf : "2.0";
		lb_imp_throttle(imp, lb_y_get(p, "RouteSettings"),
		    "ThrottlingRateLimit", "ThrottlingBurstLimit", &r->rate,
		    &r->burst);
	}
	if (lb_y_get(p, "TimeoutInMillis") != NULL)
		lb_imp_note(imp, &imp->notes,
		    "TimeoutInMillis of events is not per route here: see "
		    "gateway.integration_timeout");
	auth = lb_y_get(p, "Auth");
	an = lb_imp_sv(imp, auth, "Authorizer");
	if (an == NULL)
		an = api->default_auth;
	if (an != NULL && strcmp(an, "NONE") != 0) {
		struct lb_imp_auth *a = lb_imp_auth_find(api, an);

		if (strcmp(an, "AWS_IAM") == 0) {
			r->unmapped = "AWS_IAM (SigV4) authorization is not "
			              "emulated";
			lb_imp_warn(imp, e->line,
			    "route '%s': %s: commented out", r->key,
			    r->unmapped);
		} else if (a == NULL) {
			r->unmapped = "its authorizer is not declared";
			lb_imp_warn(imp, e->line,
			    "route '%s': authorizer '%s' is not declared by "
			    "the API: commented out",
			    r->key, an);
		} else {
			r->authorizer = a->name;
			if (a->unmapped != NULL)
				r->unmapped =
				    "its authorizer is not carried over";
			lb_imp_lv(imp, auth, "AuthorizationScopes", &r->scopes);
			if (r->scopes.n == 0)
				r->scopes = a->scopes;
			if (a->type == NULL || strcmp(a->type, "JWT") != 0)
				r->scopes.n = 0;
		}
	}
	if ((k = lb_imp_bv(imp, auth, "ApiKeyRequired")) >= 0)
		r->api_key = k == 1;
	else
		r->api_key = api->default_key;
	if (r->api_key && api->http) {
		lb_imp_warn(imp, e->line, "HTTP APIs have no API keys");
		r->api_key = false;
	}
}

/* MethodSettings/RouteSettings naming one route */
static void
route_settings(struct lb_imp *imp, struct lb_imp_api *api)
{
	struct lb_ynode *s = api->settings;

	for (size_t i = 0; s != NULL && i < s->n; i++) {
		const char *key;
		char *want = NULL;
		struct lb_ynode *m = s->items[i];

		if (api->http && s->kind == LB_Y_MAP) {
			want = lb_y_strdup(&imp->a, s->keys[i]);
		} else if (!api->http && s->kind == LB_Y_SEQ) {
			const char *path = lb_imp_sv(imp, m, "ResourcePath");
			const char *meth = lb_imp_sv(imp, m, "HttpMethod");
			char *q;

			if (path == NULL || meth == NULL ||
			    strcmp(path, "/*") == 0)
				continue;
			/* "/~1a~1b" is "/a/b": the first '/' separates */
			if (strncmp(path, "/~1", 3) == 0)
				path++;
			want = lb_y_printf(&imp->a, "%s %s", meth, path);
			while (
			    want != NULL && (q = strstr(want, "~1")) != NULL) {
				*q = '/';
				memmove(q + 1, q + 2, strlen(q + 2) + 1);
			}
		}
		if (want == NULL)
			continue;
		for (size_t j = 0; j < api->nroutes; j++) {
			key = api->routes[j]->key;
			if (strcasecmp(key, want) == 0)
				lb_imp_throttle(imp, m, "ThrottlingRateLimit",
				    "ThrottlingBurstLimit",
				    &api->routes[j]->rate,
				    &api->routes[j]->burst);
		}
	}
}

static void
function(struct lb_imp *imp, const char *name, struct lb_ynode *res,
    struct lb_ynode *p, struct lb_ynode *globals)
{
	struct lb_imp_func *f = lb_imp_func_get(imp, name, res->line);
	struct lb_ynode *meta =
	    lb_y_get(lb_y_get(res, "Metadata"), "lambdabridge");
	struct lb_ynode *ev, *env, *code;
	double v;

	if (f == NULL)
		return;
	f->handler = lb_imp_sv(imp, p, "Handler");
	f->runtime = lb_imp_sv(imp, p, "Runtime");
	code = lb_y_get(p, "CodeUri");
	if (code != NULL && (code = lb_imp_eval(imp, code)) != NULL) {
		if (code->kind == LB_Y_STR) {
			f->code_uri = code->str;
		} else {
			lb_imp_warn(imp, code->line,
			    "CodeUri is an S3 location: '.' is used instead");
			f->code_uri = ".";
		}
	}
	if (lb_y_get(p, "ImageUri") != NULL ||
	    lb_y_get(p, "InlineCode") != NULL)
		lb_imp_warn(imp, p->line,
		    "function '%s': container images and InlineCode cannot run "
		    "here",
		    name);
	if (lb_imp_nv(imp, p, "Timeout", &v) == 0)
		f->timeout = v;
	if (lb_imp_nv(imp, p, "MemorySize", &v) == 0)
		f->memory = v;
	if (lb_imp_nv(imp, p, "ReservedConcurrentExecutions", &v) == 0)
		f->reserved = v;
	if (lb_imp_nv(imp, lb_y_get(p, "ProvisionedConcurrencyConfig"),
	        "ProvisionedConcurrentExecutions", &v) == 0)
		f->provisioned = v;
	if (lb_y_get(p, "AutoPublishAlias") != NULL)
		lb_imp_note(imp, &f->notes,
		    "AutoPublishAlias ignored: the bridge serves $LATEST");
	if (lb_y_get(p, "Layers") != NULL)
		lb_imp_warn(imp, lb_y_get(p, "Layers")->line,
		    "function '%s': Layers are not carried over (put their "
		    "files under the code directory)",
		    name);
	env = lb_y_get(lb_y_get(p, "Environment"), "Variables");
	if (env != NULL && env->kind == LB_Y_MAP &&
	    (f->env = lb_y_new(&imp->a, LB_Y_MAP, env->line)) != NULL)
		for (size_t i = 0; i < env->n; i++) {
			struct lb_ynode *raw = env->items[i];
			const char *s;

			if (raw->kind == LB_Y_MAP && raw->n == 1 &&
			    strcmp(raw->keys[0], "Ref") == 0 &&
			    lb_y_str(raw->items[0]) != NULL &&
			    strcmp(raw->items[0]->str, "AWS::NoValue") == 0)
				continue;
			s = lb_imp_sv(imp, env, env->keys[i]);

			/* as SAM CLI: a boolean is "true" or "false" */
			if (raw->kind == LB_Y_STR && raw->plain &&
			    lb_y_bool(raw) >= 0)
				s = lb_y_bool(raw) == 1 ? "true" : "false";

			lb_y_add(&imp->a, f->env, env->keys[i],
			    lb_y_newstr(&imp->a, s != NULL ? s : "",
			        env->items[i]->line));
		}
	if (meta != NULL) {
		f->module = lb_imp_sv(imp, meta, "module");
		f->symbol = lb_imp_sv(imp, meta, "handler");
	}
	ev = lb_y_get(p, "Events");
	for (size_t i = 0; ev != NULL && ev->kind == LB_Y_MAP && i < ev->n; i++)
		event(imp, f, ev->keys[i], ev->items[i], globals);
}

static bool
included(struct lb_imp *imp, struct lb_ynode *res)
{
	const char *c = lb_y_str(lb_y_get(res, "Condition"));

	return c == NULL || lb_imp_condition(imp, c, res->line);
}

int
lb_imp_sam(struct lb_imp *imp)
{
	struct lb_ynode *root = imp->root, *res, *globals, *gf;

	imp->format = "SAM";
	imp->params = lb_y_get(root, "Parameters");
	imp->conditions = lb_y_get(root, "Conditions");
	imp->mappings = lb_y_get(root, "Mappings");
	res = imp->resources = lb_y_get(root, "Resources");
	globals = lb_y_get(root, "Globals");
	gf = lb_y_get(globals, "Function");
	if (res == NULL || res->kind != LB_Y_MAP) {
		snprintf(imp->err, sizeof(imp->err), "%s:%d: no Resources",
		    imp->o->file, root->line);
		return -1;
	}
	for (size_t i = 0; i < res->n; i++) {
		struct lb_ynode *r = res->items[i],
		                *p = lb_y_get(r, "Properties");
		const char *t = lb_y_str(lb_y_get(r, "Type"));
		struct lb_imp_api *api;
		bool http;

		if (t == NULL || !included(imp, r))
			continue;
		if (strcmp(t, "AWS::Serverless::Api") != 0 &&
		    strcmp(t, "AWS::Serverless::HttpApi") != 0) {
			if (strncmp(t, "AWS::ApiGateway", 15) == 0 ||
			    strcmp(t, "AWS::Lambda::Function") == 0)
				lb_imp_warn(imp, r->line,
				    "'%s' (%s): plain CloudFormation API and "
				    "function resources are not imported",
				    res->keys[i], t);
			continue;
		}
		http = strcmp(t, "AWS::Serverless::HttpApi") == 0;
		if ((api = lb_imp_api_new(imp, res->keys[i], http, r->line)) ==
		    NULL)
			return -1;
		p = merge(imp, lb_y_get(globals, http ? "HttpApi" : "Api"), p);
		if (p == NULL)
			p = lb_y_new(&imp->a, LB_Y_MAP, r->line);
		(http ? http_api : rest_api)(imp, api, p);
		if (!http && api->stage == NULL)
			lb_imp_warn(imp, r->line,
			    "API '%s' has no StageName (SAM requires one)",
			    api->name);
	}
	for (size_t i = 0; i < res->n; i++) {
		struct lb_ynode *r = res->items[i];
		const char *t = lb_y_str(lb_y_get(r, "Type"));
		struct lb_ynode *p;

		if (t == NULL || strcmp(t, "AWS::Serverless::Function") != 0 ||
		    !included(imp, r))
			continue;
		p = merge(imp, gf, lb_y_get(r, "Properties"));
		if (p == NULL)
			p = lb_y_new(&imp->a, LB_Y_MAP, r->line);
		function(imp, res->keys[i], r, p, globals);
	}
	for (size_t i = 0; i < imp->napis; i++)
		route_settings(imp, imp->apis[i]);
	return 0;
}
