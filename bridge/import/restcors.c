/*
 * restcors.c - a REST API's CORS as API Gateway builds it: SAM's `Cors`
 * (and serverless.yml's `cors` on `http` events) add to every path an
 * OPTIONS method with a MOCK integration answering the Access-Control-*
 * headers.  The bridge invokes functions only, so each such OPTIONS method
 * becomes a route to the shipped preflight handler (handlers/preflight),
 * a function whose environment holds the headers' values; paths whose
 * values differ get functions of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import/import_int.h"

/* SAM's list when a path has ANY: every method API Gateway knows */
static const char all_methods[] = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";

/* a SAM Cors value: a '...' literal inside the YAML string */
static const char *
sam_value(struct lb_imp *imp, struct lb_ynode *m, const char *key)
{
	const char *v = lb_imp_sv(imp, m, key);
	struct lb_ynode *n = lb_y_get(m, key);

	if (v == NULL)
		return NULL;
	return lb_imp_literal(imp, v, n != NULL ? n->line : m->line, key);
}

void
lb_imp_sam_rest_cors(struct lb_imp *imp, struct lb_imp_api *api,
    struct lb_ynode *c, struct lb_ynode *auth)
{
	struct lb_imp_cors *x = &api->cors;
	const char *v;
	double n;
	int k;

	if (c == NULL || (c = lb_imp_eval(imp, c)) == NULL)
		return;
	if (c->kind == LB_Y_STR) {
		/* Cors: "'origin'" is AllowOrigin alone */
		if ((v = lb_imp_literal(imp, c->str, c->line, "Cors")) == NULL)
			return;
		lb_imp_strs_add(imp, &x->origins, v);
	} else if (c->kind == LB_Y_MAP) {
		if ((v = sam_value(imp, c, "AllowOrigin")) == NULL) {
			lb_imp_warn(imp, c->line,
			    "Cors needs AllowOrigin (as SAM does): not "
			    "carried over");
			return;
		}
		lb_imp_strs_add(imp, &x->origins, v);
		if ((v = sam_value(imp, c, "AllowMethods")) != NULL)
			lb_imp_strs_add(imp, &x->methods, v);
		if ((v = sam_value(imp, c, "AllowHeaders")) != NULL)
			lb_imp_strs_add(imp, &x->headers, v);
		v = lb_imp_sv(imp, c, "MaxAge");
		if (v != NULL && v[0] == '\'')
			v = sam_value(imp, c, "MaxAge");
		else if (v != NULL && lb_imp_nv(imp, c, "MaxAge", &n) == 0)
			v = lb_y_printf(&imp->a, "%lld", (long long)n);
		if (v != NULL)
			x->max_age = strtod(v, NULL);
		x->credentials = lb_imp_bv(imp, c, "AllowCredentials") == 1;
	} else {
		lb_imp_warn(
		    imp, c->line, "Cors not understood: not carried over");
		return;
	}
	x->set = true;
	/* SAM puts the API's DefaultAuthorizer and ApiKeyRequired on the
	 * preflights too, unless told not to */
	k = lb_imp_bv(imp, auth, "AddDefaultAuthorizerToCorsPreflight");
	x->auth = k != 0;
	k = lb_imp_bv(imp, auth, "AddApiKeyRequiredToCorsPreflight");
	x->api_key = k != 0;
}

/* "GET /a" -> "/a"; NULL for $default */
static const char *
path_of(const struct lb_imp_route *r)
{
	const char *sp = strchr(r->key, ' ');

	return sp != NULL ? sp + 1 : NULL;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* v[0..n-1] joined with commas, in the arena; NULL out of memory. */
static const char *
join(struct lb_imp *imp, const char *const *v, size_t n)
{
	size_t len = 1, off = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((out = lb_arena_alloc(&imp->a, len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
		    out + off, len - off, "%s%s", i > 0 ? "," : "", v[i]);
	return out;
}

/* the methods of `path` (of routes with CORS when per_route), and
 * OPTIONS, sorted and joined as SAM does; every method for ANY */
static const char *
path_methods(struct lb_imp *imp, struct lb_imp_api *api, const char *path,
    bool per_route)
{
	const char *m[16];
	size_t n = 0;
	char *p;

	m[n++] = "OPTIONS";
	for (size_t i = 0; i < api->nroutes && n < 16; i++) {
		struct lb_imp_route *r = api->routes[i];
		const char *rp = path_of(r);
		size_t ml;
		bool seen = false;

		if (rp == NULL || strcmp(rp, path) != 0 ||
		    (per_route && r->cors == NULL))
			continue;
		ml = (size_t)(rp - 1 - r->key);
		if (ml == 3 && strncmp(r->key, "ANY", 3) == 0)
			return all_methods;
		for (size_t j = 0; j < n; j++)
			seen = seen ||
			    (strlen(m[j]) == ml &&
			        strncmp(m[j], r->key, ml) == 0);
		if (!seen &&
		    (p = lb_y_printf(&imp->a, "%.*s", (int)ml, r->key)) != NULL)
			m[n++] = p;
	}
	qsort(m, n, sizeof(m[0]), by_str);
	return join(imp, m, n);
}

static const char *
joined(struct lb_imp *imp, const struct lb_imp_strs *s)
{
	return join(imp, s->v, s->n);
}

static void
env_add(struct lb_imp *imp, struct lb_ynode *env, const char *k, const char *v)
{
	if (v != NULL)
		lb_y_add(&imp->a, env, k, lb_y_newstr(&imp->a, v, 0));
}

/* The preflight function answering with these values: an existing one
 * with the same environment, or a new one. */
static struct lb_imp_func *
preflight_fn(struct lb_imp *imp, const struct lb_imp_cors *c,
    const char *methods, int line)
{
	struct lb_ynode *env = lb_y_new(&imp->a, LB_Y_MAP, line);
	struct lb_imp_func *f;
	const char *key = "", *name;

	if (env == NULL)
		return NULL;
	env_add(imp, env, "CORS_ALLOW_ORIGIN", c->origins.v[0]);
	env_add(imp, env, "CORS_ALLOW_METHODS", methods);
	/* no AllowHeaders: no header (the handler's default list otherwise) */
	env_add(imp, env, "CORS_ALLOW_HEADERS",
	    c->headers.n > 0 ? joined(imp, &c->headers) : "");
	if (c->max_age != LB_IMP_UNSET)
		env_add(imp, env, "CORS_MAX_AGE",
		    lb_y_printf(&imp->a, "%lld", (long long)c->max_age));
	if (c->credentials == 1)
		env_add(imp, env, "CORS_ALLOW_CREDENTIALS", "true");
	for (size_t i = 0; key != NULL && i < env->n; i++)
		key = lb_y_printf(&imp->a, "%s%s=%s\n", key, env->keys[i],
		    env->items[i]->str);
	if (key == NULL)
		return NULL;
	for (size_t i = 0; i < imp->nfuncs; i++) {
		f = imp->funcs[i];
		if (f->cors_key != NULL && strcmp(f->cors_key, key) == 0)
			return f;
	}
	for (int n = 1;; n++) {
		name = n == 1 ? "CorsPreflight"
		              : lb_y_printf(&imp->a, "CorsPreflight%d", n);
		if (name == NULL)
			return NULL;
		if (lb_imp_func_find(imp, name) == NULL)
			break;
	}
	if ((f = lb_imp_func_get(imp, name, line)) == NULL)
		return NULL;
	f->module = imp->o->preflight;
	f->symbol = "preflight_handler";
	f->env = env;
	f->cors_key = key;
	lb_imp_note(imp, &f->notes,
	    "answers CORS preflights (OPTIONS) as API Gateway's mock "
	    "integration does");
	return f;
}

/* the CORS settings for `path`: the API's, or those of its first route
 * that has its own (serverless.yml); NULL for none */
static const struct lb_imp_cors *
cors_of(struct lb_imp_api *api, const char *path, bool *per_route)
{
	*per_route = false;
	if (api->cors.set)
		return &api->cors;
	for (size_t i = 0; i < api->nroutes; i++) {
		const char *rp = path_of(api->routes[i]);

		if (api->routes[i]->cors != NULL && rp != NULL &&
		    strcmp(rp, path) == 0) {
			*per_route = true;
			return api->routes[i]->cors;
		}
	}
	return NULL;
}

static bool
has_route(struct lb_imp_api *api, const char *method, const char *path)
{
	for (size_t i = 0; i < api->nroutes; i++) {
		const char *rp = path_of(api->routes[i]);

		if (rp != NULL && strcmp(rp, path) == 0 &&
		    strncmp(api->routes[i]->key, method, strlen(method)) == 0 &&
		    api->routes[i]->key[strlen(method)] == ' ')
			return true;
	}
	return false;
}

void
lb_imp_rest_cors(struct lb_imp *imp, struct lb_imp_api *api)
{
	size_t nroutes = api->nroutes;

	if (api->http)
		return;
	for (size_t i = 0; i < nroutes; i++) {
		struct lb_imp_route *r = api->routes[i], *o;
		const struct lb_imp_cors *c;
		const char *path = path_of(r), *methods;
		struct lb_imp_func *f;
		bool per_route, first = true;

		if (path == NULL ||
		    (c = cors_of(api, path, &per_route)) == NULL)
			continue;
		/* once per path; an OPTIONS of the template's own wins */
		for (size_t j = 0; j < i; j++)
			first = first &&
			    (path_of(api->routes[j]) == NULL ||
			        strcmp(path_of(api->routes[j]), path) != 0);
		if (!first || has_route(api, "OPTIONS", path))
			continue;
		if (imp->o->preflight == NULL) {
			lb_imp_warn(imp, api->line,
			    "API '%s': its CORS needs the preflight handler "
			    "(give --preflight MODULE): not carried over",
			    api->name);
			continue;
		}
		methods = c->methods.n > 0
		    ? joined(imp, &c->methods)
		    : path_methods(imp, api, path, per_route);
		if (c->origins.n > 1)
			lb_imp_warn(imp, r->line,
			    "CORS of '%s': a REST API's preflight answers one "
			    "origin: '%s' is kept, the others are not carried "
			    "over",
			    path, c->origins.v[0]);
		if (c->origins.n == 0 || methods == NULL ||
		    (f = preflight_fn(imp, c, methods, r->line)) == NULL)
			continue;
		o = lb_imp_route_add(
		    imp, api, "OPTIONS", path, f->name, r->line);
		if (o == NULL)
			continue;
		if (c->auth && api->default_auth != NULL &&
		    strcmp(api->default_auth, "NONE") != 0 &&
		    lb_imp_auth_find(api, api->default_auth) != NULL) {
			o->authorizer = api->default_auth;
			if (lb_imp_auth_find(api, api->default_auth)->unmapped)
				o->unmapped = "its authorizer is not carried "
				              "over";
		}
		o->api_key = c->api_key && api->default_key;
	}
}

int
lb_imp_mock_preflight(struct lb_imp *imp, struct lb_imp_api *api,
    const char *path, struct lb_ynode *in)
{
	static const char pfx[] = "method.response.header.Access-Control-";
	struct lb_ynode *resp = lb_y_get(in, "responses"), *d, *params;
	struct lb_imp_cors c;
	const char *methods = "";
	struct lb_imp_func *f;
	struct lb_imp_route *r;

	d = lb_y_get(resp, "default");
	if (d == NULL && resp != NULL && resp->kind == LB_Y_MAP && resp->n > 0)
		d = resp->items[0];
	params = lb_y_get(d, "responseParameters");
	if (params == NULL || params->kind != LB_Y_MAP ||
	    imp->o->preflight == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.max_age = LB_IMP_UNSET;
	for (size_t i = 0; i < params->n; i++) {
		const char *k = params->keys[i], *v;

		if (strncasecmp(k, pfx, sizeof(pfx) - 1) != 0)
			continue;
		k += sizeof(pfx) - 1;
		v = lb_y_str(params->items[i]);
		if (v == NULL ||
		    (v = lb_imp_literal(imp, v, params->items[i]->line, k)) ==
		        NULL)
			continue;
		if (strcasecmp(k, "Allow-Origin") == 0)
			lb_imp_strs_add(imp, &c.origins, v);
		else if (strcasecmp(k, "Allow-Methods") == 0)
			methods = v;
		else if (strcasecmp(k, "Allow-Headers") == 0)
			lb_imp_strs_add(imp, &c.headers, v);
		else if (strcasecmp(k, "Max-Age") == 0)
			c.max_age = strtod(v, NULL);
		else if (strcasecmp(k, "Allow-Credentials") == 0)
			c.credentials = strcasecmp(v, "true") == 0;
	}
	if (c.origins.n == 0)
		return -1;
	if ((f = preflight_fn(imp, &c, methods, in->line)) == NULL ||
	    (r = lb_imp_route_add(
	         imp, api, "OPTIONS", path, f->name, in->line)) == NULL)
		return -1;
	return 0;
}
