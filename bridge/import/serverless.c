/*
 * serverless.c - a serverless.yml (Serverless Framework v3 and v4) into the
 * model: provider settings inherited by functions, `http` events on the
 * REST API (ApiGatewayRestApi), `httpApi` events on the HTTP API (HttpApi),
 * authorizers, CORS and API keys; the variables ${self:...},
 * ${sls:stage}, ${opt:...}, ${env:...} and ${aws:...} with their defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import/import_int.h"

#define SLS_MAX_SUBST 64

struct sls {
	struct lb_imp *imp;
	struct lb_ynode *root, *provider;
	const char *stage;
};

static const char *resolve(struct sls *s, const char *v, int line, int depth);

static const char *
param(struct sls *s, const char *name)
{
	for (size_t i = 0; i < s->imp->o->nparams; i++)
		if (strcmp(s->imp->o->params[i].name, name) == 0)
			return s->imp->o->params[i].value;
	return NULL;
}

/* one source of a variable: 'literal', a number, self:, sls:, opt:,
 * env:, aws: (NULL when it has no value) */
static const char *
source(struct sls *s, char *src, int line, int depth)
{
	size_t n;

	while (*src == ' ')
		src++;
	n = strlen(src);
	while (n > 0 && src[n - 1] == ' ')
		src[--n] = '\0';
	if (n >= 2 && (src[0] == '\'' || src[0] == '"') &&
	    src[n - 1] == src[0]) {
		src[n - 1] = '\0';
		return src + 1;
	}
	if (n > 0 && strspn(src, "0123456789.") == n)
		return src;
	if (strcmp(src, "sls:stage") == 0 || strcmp(src, "opt:stage") == 0)
		return s->stage;
	if (strncmp(src, "opt:", 4) == 0 || strncmp(src, "env:", 4) == 0)
		return param(s, src + 4);
	if (strcmp(src, "aws:region") == 0 || strcmp(src, "opt:region") == 0)
		return s->imp->region;
	if (strcmp(src, "aws:accountId") == 0)
		return s->imp->account;
	if (strncmp(src, "self:", 5) == 0) {
		struct lb_ynode *cur = s->root;
		char *save = NULL, *tok;

		for (tok = strtok_r(src + 5, ".", &save);
		     tok != NULL && cur != NULL;
		     tok = strtok_r(NULL, ".", &save))
			cur = lb_y_get(cur, tok);
		if (cur == NULL || cur->kind != LB_Y_STR)
			return NULL;
		return resolve(s, cur->str, line, depth + 1);
	}
	lb_imp_warn(
	    s->imp, line, "variable source '%s' is not resolved offline", src);
	return NULL;
}

/* v with every ${...} replaced, innermost first; NULL (warned) when one
 * has no value */
static const char *
resolve(struct sls *s, const char *v, int line, int depth)
{
	char *cur;

	if (v == NULL || strstr(v, "${") == NULL)
		return v;
	if (depth > 8 || (cur = lb_y_strdup(&s->imp->a, v)) == NULL)
		return NULL;
	for (int i = 0; i < SLS_MAX_SUBST; i++) {
		char *open = NULL, *close, *p, *expr, *save = NULL, *src;
		const char *val = NULL;

		for (p = cur; (p = strstr(p, "${")) != NULL; p += 2)
			open = p;
		if (open == NULL)
			return cur;
		if ((close = strchr(open, '}')) == NULL)
			break;
		expr = lb_y_printf(
		    &s->imp->a, "%.*s", (int)(close - open - 2), open + 2);
		for (src = expr != NULL ? strtok_r(expr, ",", &save) : NULL;
		     src != NULL && val == NULL;
		     src = strtok_r(NULL, ",", &save))
			val = source(s, src, line, depth);
		if (val == NULL) {
			lb_imp_warn(s->imp, line,
			    "variable '%.*s' has no value",
			    (int)(close - open + 1), open);
			return NULL;
		}
		cur = lb_y_printf(&s->imp->a, "%.*s%s%s", (int)(open - cur),
		    cur, val, close + 1);
		if (cur == NULL)
			return NULL;
	}
	lb_imp_warn(s->imp, line, "too many variables in '%s'", v);
	return NULL;
}

static const char *
sv(struct sls *s, struct lb_ynode *map, const char *key)
{
	struct lb_ynode *n = lb_y_get(map, key);

	if (n == NULL || n->kind != LB_Y_STR)
		return NULL;
	return resolve(s, n->str, n->line, 0);
}

static int
nv(struct sls *s, struct lb_ynode *map, const char *key, double *v)
{
	const char *t = sv(s, map, key);
	struct lb_ynode tmp = { .kind = LB_Y_STR, .str = t };

	return t != NULL ? lb_y_num(&tmp, v) : -1;
}

static void
lv(struct sls *s, struct lb_ynode *map, const char *key,
    struct lb_imp_strs *out)
{
	struct lb_ynode *n = lb_y_get(map, key);

	if (n != NULL && n->kind == LB_Y_STR) {
		lb_imp_strs_add(s->imp, out, resolve(s, n->str, n->line, 0));
		return;
	}
	for (size_t i = 0; n != NULL && n->kind == LB_Y_SEQ && i < n->n; i++)
		if (n->items[i]->kind == LB_Y_STR)
			lb_imp_strs_add(s->imp, out,
			    resolve(s, n->items[i]->str, n->items[i]->line, 0));
}

static void
environment(struct sls *s, struct lb_imp_func *f, struct lb_ynode *env)
{
	for (size_t i = 0; env != NULL && env->kind == LB_Y_MAP && i < env->n;
	     i++) {
		const char *v = sv(s, env, env->keys[i]);

		if (f->env == NULL &&
		    (f->env = lb_y_new(&s->imp->a, LB_Y_MAP, env->line)) ==
		        NULL)
			return;
		for (size_t j = 0; j < f->env->n; j++)
			if (strcmp(f->env->keys[j], env->keys[i]) == 0)
				f->env->keys[j] = ""; /* the function's wins */
		lb_y_add(&s->imp->a, f->env, env->keys[i],
		    lb_y_newstr(
		        &s->imp->a, v != NULL ? v : "", env->items[i]->line));
	}
}

static struct lb_imp_api *
api_of(struct sls *s, bool http, int line)
{
	const char *name = http ? "HttpApi" : "ApiGatewayRestApi";
	struct lb_imp_api *api = lb_imp_api_find(s->imp, name);
	struct lb_ynode *gw = lb_y_get(s->provider, "apiGateway");
	struct lb_ynode *h = lb_y_get(s->provider, "httpApi"), *keys;

	if (api != NULL ||
	    (api = lb_imp_api_new(s->imp, name, http, line)) == NULL)
		return api;
	if (http) {
		struct lb_ynode *c = lb_y_get(h, "cors");

		api->stage = "$default";
		if (c != NULL && c->kind == LB_Y_STR && lb_y_bool(c) == 1) {
			lb_imp_http_cors(s->imp, api, c, true);
		} else if (c != NULL && c->kind == LB_Y_MAP) {
			api->cors.set = true;
			lv(s, c, "allowedOrigins", &api->cors.origins);
			lv(s, c, "allowedMethods", &api->cors.methods);
			lv(s, c, "allowedHeaders", &api->cors.headers);
			lv(s, c, "exposedResponseHeaders", &api->cors.expose);
			nv(s, c, "maxAge", &api->cors.max_age);
			api->cors.credentials =
			    lb_y_bool(lb_y_get(c, "allowCredentials"));
		}
		return api;
	}
	api->stage = sv(s, gw, "stage");
	if (api->stage == NULL)
		api->stage = s->stage;
	lv(s, gw, "binaryMediaTypes", &api->binary);
	keys = lb_y_get(s->provider, "apiKeys");
	if (keys == NULL)
		keys = lb_y_get(gw, "apiKeys");
	for (size_t i = 0;
	     keys != NULL && keys->kind == LB_Y_SEQ && i < keys->n; i++) {
		struct lb_ynode *k = keys->items[i];
		const char *n = k->kind == LB_Y_STR
		    ? resolve(s, k->str, k->line, 0)
		    : sv(s, k, "name");
		const char *v = k->kind == LB_Y_MAP ? sv(s, k, "value") : NULL;

		api->usage_plan = true;
		if (n != NULL && v != NULL) {
			lb_imp_strs_add(s->imp, &api->key_names, n);
			lb_imp_strs_add(s->imp, &api->key_values, v);
		}
	}
	return api;
}

/* an http event's authorizer: a function name, an ARN, or a map */
static const char *
rest_authorizer(struct sls *s, struct lb_imp_api *api, struct lb_ynode *n)
{
	const char *name = NULL, *arn = NULL, *t;
	struct lb_imp_auth *a;
	double ttl;

	if (n->kind == LB_Y_STR) {
		name = resolve(s, n->str, n->line, 0);
	} else {
		name = sv(s, n, "name");
		arn = sv(s, n, "arn");
	}
	if (name == NULL && arn != NULL)
		name = lb_imp_arn_function(s->imp, arn, n->line);
	else if (name != NULL && strncmp(name, "arn:", 4) == 0)
		name = lb_imp_arn_function(s->imp, (arn = name), n->line);
	if (name == NULL)
		return NULL;
	if (strcasecmp(name, "aws_iam") == 0)
		return "AWS_IAM";
	if ((a = lb_imp_auth_find(api, name)) != NULL)
		return a->name;
	if ((a = lb_imp_auth_new(s->imp, api, name, n->line)) == NULL)
		return NULL;
	a->function = name;
	if (lb_y_get(lb_y_get(s->root, "functions"), name) == NULL &&
	    arn == NULL)
		a->unmapped = "its function is not in this service";
	lb_imp_func_get(s->imp, name, n->line);
	t = n->kind == LB_Y_MAP ? sv(s, n, "type") : NULL;
	a->type =
	    t != NULL && strcasecmp(t, "request") == 0 ? "REQUEST" : "TOKEN";
	if (n->kind == LB_Y_MAP && lb_y_get(n, "identitySource") != NULL) {
		struct lb_imp_strs l = { 0 };

		lv(s, n, "identitySource", &l);
		for (size_t i = 0; i < l.n; i++) {
			char *x = lb_y_strdup(&s->imp->a, l.v[i]), *save = NULL,
			     *tok;

			for (tok = strtok_r(x, ", ", &save); tok != NULL;
			     tok = strtok_r(NULL, ", ", &save))
				lb_imp_strs_add(s->imp, &a->identity, tok);
		}
	} else if (strcmp(a->type, "TOKEN") == 0) {
		lb_imp_strs_add(s->imp, &a->identity,
		    "method.request.header.Authorization");
	}
	if (n->kind == LB_Y_MAP) {
		a->validation = sv(s, n, "identityValidationExpression");
		if (nv(s, n, "resultTtlInSeconds", &ttl) == 0)
			a->ttl = ttl;
	}
	if (strcmp(a->type, "REQUEST") == 0 && a->identity.n == 0)
		a->ttl = 0;
	return a->name;
}

static void
http_authorizers(struct sls *s, struct lb_imp_api *api)
{
	struct lb_ynode *m =
	    lb_y_get(lb_y_get(s->provider, "httpApi"), "authorizers");

	for (size_t i = 0; m != NULL && m->kind == LB_Y_MAP && i < m->n; i++) {
		struct lb_ynode *d = m->items[i];
		struct lb_imp_auth *a =
		    lb_imp_auth_new(s->imp, api, m->keys[i], d->line);
		const char *t = sv(s, d, "type"), *fn;
		double ttl;

		if (a == NULL)
			return;
		lv(s, d, "identitySource", &a->identity);
		if (t != NULL && strcasecmp(t, "jwt") == 0) {
			a->type = "JWT";
			a->issuer = sv(s, d, "issuerUrl");
			lv(s, d, "audience", &a->audience);
			if (a->issuer == NULL || a->audience.n == 0)
				a->unmapped =
				    "its issuer or audience cannot be "
				    "resolved";
		} else {
			a->type = "REQUEST";
			fn = sv(s, d, "functionName");
			if (fn == NULL && sv(s, d, "functionArn") != NULL)
				fn = lb_imp_arn_function(
				    s->imp, sv(s, d, "functionArn"), d->line);
			a->function = fn;
			if (fn == NULL)
				a->unmapped = "its function cannot be found";
			else
				lb_imp_func_get(s->imp, fn, d->line);
			a->payload = sv(s, d, "payloadVersion");
			if (a->payload == NULL)
				a->payload = "2.0";
			if (lb_y_bool(lb_y_get(d, "enableSimpleResponses")) ==
			    1)
				a->simple = 1;
			if (nv(s, d, "resultTtlInSeconds", &ttl) == 0)
				a->ttl = ttl;
		}
		if (a->unmapped != NULL)
			lb_imp_warn(s->imp, d->line,
			    "authorizer '%s': %s; its routes are commented out",
			    a->name, a->unmapped);
	}
}

/* A REST event's `cors`: true, or {origin|origins, headers, methods,
 * allowCredentials, maxAge}; the framework's defaults (origin '*', its
 * header list) when absent.  NULL when out of memory. */
static const struct lb_imp_cors *
rest_cors(struct sls *s, struct lb_ynode *c)
{
	static const char *const headers[] = { "Content-Type", "X-Amz-Date",
		"Authorization", "X-Api-Key", "X-Amz-Security-Token",
		"X-Amz-User-Agent", "X-Amzn-Trace-Id" };
	struct lb_imp_cors *x = lb_arena_alloc(&s->imp->a, sizeof(*x));
	double age;

	if (x == NULL)
		return NULL;
	memset(x, 0, sizeof(*x));
	x->set = true;
	x->max_age = LB_IMP_UNSET;
	if (c->kind == LB_Y_MAP) {
		lv(s, c, "origin", &x->origins);
		lv(s, c, "origins", &x->origins);
		lv(s, c, "headers", &x->headers);
		lv(s, c, "methods", &x->methods);
		if (nv(s, c, "maxAge", &age) == 0)
			x->max_age = age;
		x->credentials =
		    lb_y_bool(lb_y_get(c, "allowCredentials")) == 1;
	}
	if (x->origins.n == 0)
		lb_imp_strs_add(s->imp, &x->origins, "*");
	if (x->headers.n == 0)
		for (size_t i = 0; i < 7; i++)
			lb_imp_strs_add(s->imp, &x->headers, headers[i]);
	return x;
}

static void
http_event(struct sls *s, struct lb_imp_func *f, struct lb_ynode *e)
{
	struct lb_imp_api *api = lb_imp_api_find(s->imp, "ApiGatewayRestApi");
	const char *method, *path, *integ;
	struct lb_imp_route *r;
	struct lb_ynode *c;
	char *p;

	if (api == NULL && (api = api_of(s, false, e->line)) == NULL)
		return;
	if (e->kind == LB_Y_STR) {
		const char *v = resolve(s, e->str, e->line, 0);
		const char *sp = v != NULL ? strchr(v, ' ') : NULL;

		if (sp == NULL) {
			lb_imp_warn(s->imp, e->line,
			    "http event '%s' is not "
			    "'METHOD path'",
			    e->str);
			return;
		}
		method = lb_y_printf(&s->imp->a, "%.*s", (int)(sp - v), v);
		path = sp + 1;
	} else {
		method = sv(s, e, "method");
		path = sv(s, e, "path");
	}
	if (method == NULL || path == NULL) {
		lb_imp_warn(
		    s->imp, e->line, "http event needs a method and a path");
		return;
	}
	if (strcmp(method, "*") == 0)
		method = "ANY";
	/* the framework strips the leading and trailing '/' */
	while (*path == '/')
		path++;
	p = lb_y_printf(&s->imp->a, "/%s", path);
	while (p != NULL && strlen(p) > 1 && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	if (p == NULL ||
	    (r = lb_imp_route_add(s->imp, api, method, p, f->name, e->line)) ==
	        NULL)
		return;
	if (e->kind != LB_Y_MAP)
		return;
	integ = sv(s, e, "integration");
	if (integ != NULL && strcasecmp(integ, "lambda-proxy") != 0 &&
	    strcasecmp(integ, "aws_proxy") != 0) {
		r->unmapped = "its integration is not Lambda proxy";
		lb_imp_warn(s->imp, e->line,
		    "route '%s': integration '%s' is not Lambda proxy: "
		    "commented "
		    "out",
		    r->key, integ);
	}
	if (lb_y_bool(lb_y_get(e, "private")) == 1)
		r->api_key = true;
	if ((c = lb_y_get(e, "authorizer")) != NULL) {
		r->authorizer = rest_authorizer(s, api, c);
		if (r->authorizer != NULL &&
		    strcmp(r->authorizer, "AWS_IAM") == 0) {
			r->authorizer = NULL;
			r->unmapped =
			    "AWS_IAM (SigV4) authorization is not emulated";
			lb_imp_warn(s->imp, c->line,
			    "route '%s': %s: commented out", r->key,
			    r->unmapped);
		}
	}
	if ((c = lb_y_get(e, "cors")) != NULL && lb_y_bool(c) != 0)
		r->cors = rest_cors(s, c);
}

static void
httpapi_event(struct sls *s, struct lb_imp_func *f, struct lb_ynode *e)
{
	struct lb_imp_api *api = lb_imp_api_find(s->imp, "HttpApi");
	const char *method = NULL, *path = NULL, *pf;
	struct lb_imp_route *r;
	struct lb_ynode *au;

	if (api == NULL) {
		if ((api = api_of(s, true, e->line)) == NULL)
			return;
		http_authorizers(s, api);
	}
	if (e->kind == LB_Y_STR) {
		const char *v = resolve(s, e->str, e->line, 0), *sp;

		if (v != NULL && strcmp(v, "*") != 0 &&
		    (sp = strchr(v, ' ')) != NULL) {
			method =
			    lb_y_printf(&s->imp->a, "%.*s", (int)(sp - v), v);
			path = sp + 1;
		}
	} else {
		method = sv(s, e, "method");
		path = sv(s, e, "path");
	}
	if (method != NULL && strcmp(method, "*") == 0)
		method = "ANY";
	if (path != NULL && strcmp(path, "*") == 0)
		path = NULL;
	if ((r = lb_imp_route_add(s->imp, api, method != NULL ? method : "ANY",
	         path, f->name, e->line)) == NULL)
		return;
	pf = sv(s, lb_y_get(s->provider, "httpApi"), "payload");
	r->payload = pf != NULL ? pf : "2.0";
	au = lb_y_get(e, "authorizer");
	if (au != NULL) {
		const char *n =
		    au->kind == LB_Y_STR ? au->str : sv(s, au, "name");

		if (n == NULL || lb_imp_auth_find(api, n) == NULL) {
			r->unmapped = "its authorizer is not declared";
			lb_imp_warn(s->imp, au->line,
			    "route '%s': authorizer '%s' is not in "
			    "provider.httpApi.authorizers: commented out",
			    r->key, n != NULL ? n : "?");
		} else {
			r->authorizer = n;
			lv(s, au, "scopes", &r->scopes);
		}
	}
}

int
lb_imp_serverless(struct lb_imp *imp)
{
	struct sls s = { .imp = imp, .root = imp->root };
	struct lb_ynode *fns = lb_y_get(imp->root, "functions");
	const char *v;
	double d;

	imp->format = "serverless.yml";
	s.provider = lb_y_get(imp->root, "provider");
	s.stage = param(&s, "stage");
	if (s.stage == NULL)
		s.stage = imp->o->stage;
	if (s.stage == NULL && (v = lb_y_str(lb_y_get(s.provider, "stage"))) &&
	    strstr(v, "${") == NULL)
		s.stage = v;
	if (s.stage == NULL)
		s.stage = "dev";
	if ((v = sv(&s, s.provider, "region")) != NULL)
		imp->region = v;
	for (size_t i = 0; fns != NULL && fns->kind == LB_Y_MAP && i < fns->n;
	     i++) {
		struct lb_ynode *fn = fns->items[i], *ev, *pc;
		struct lb_imp_func *f =
		    lb_imp_func_get(imp, fns->keys[i], fn->line);

		if (f == NULL)
			return -1;
		f->handler = sv(&s, fn, "handler");
		f->runtime = sv(&s, fn, "runtime");
		if (f->runtime == NULL)
			f->runtime = sv(&s, s.provider, "runtime");
		f->timeout = 6; /* the framework's defaults, not Lambda's */
		f->memory = 1024;
		if (nv(&s, s.provider, "timeout", &d) == 0)
			f->timeout = d;
		if (nv(&s, fn, "timeout", &d) == 0)
			f->timeout = d;
		if (nv(&s, s.provider, "memorySize", &d) == 0)
			f->memory = d;
		if (nv(&s, fn, "memorySize", &d) == 0)
			f->memory = d;
		if (nv(&s, fn, "reservedConcurrency", &d) == 0)
			f->reserved = d;
		pc = lb_y_get(fn, "provisionedConcurrency");
		if (nv(&s, fn, "provisionedConcurrency", &d) == 0 ||
		    nv(&s, pc, "executions", &d) == 0)
			f->provisioned = d;
		environment(&s, f, lb_y_get(s.provider, "environment"));
		environment(&s, f, lb_y_get(fn, "environment"));
		if (f->env != NULL) { /* drop the overridden ("") entries */
			struct lb_ynode *e =
			    lb_y_new(&imp->a, LB_Y_MAP, f->env->line);

			for (size_t j = 0; e != NULL && j < f->env->n; j++)
				if (f->env->keys[j][0] != '\0')
					lb_y_add(&imp->a, e, f->env->keys[j],
					    f->env->items[j]);
			f->env = e;
		}
		if (lb_y_get(fn, "image") != NULL)
			lb_imp_warn(imp, fn->line,
			    "function '%s': container images cannot run here",
			    f->name);
		ev = lb_y_get(fn, "events");
		for (size_t j = 0;
		     ev != NULL && ev->kind == LB_Y_SEQ && j < ev->n; j++) {
			struct lb_ynode *e = ev->items[j];

			if (e->kind != LB_Y_MAP || e->n != 1) {
				lb_imp_warn(
				    imp, e->line, "event not understood");
			} else if (strcmp(e->keys[0], "http") == 0) {
				http_event(&s, f, e->items[0]);
			} else if (strcmp(e->keys[0], "httpApi") == 0) {
				httpapi_event(&s, f, e->items[0]);
			} else {
				lb_imp_warn(imp, e->line,
				    "event '%s' is no API event: not carried "
				    "over",
				    e->keys[0]);
			}
		}
	}
	return 0;
}
