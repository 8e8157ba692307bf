/*
 * import.c - the import's driver (import.h): finds the format, runs its
 * reader into the model (import_int.h), maps the functions' runtimes and
 * has emit.c write the API asked for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"

void
lb_imp_warn(struct lb_imp *imp, int line, const char *fmt, ...)
{
	char msg[600];
	char *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s = lb_y_printf(&imp->a, "%d: %s", line, msg);
	if (s == NULL)
		return;
	for (size_t i = 0; i < imp->warnings.n; i++)
		if (strcmp(imp->warnings.v[i], s) == 0)
			return;
	lb_imp_strs_add(imp, &imp->warnings, s);
}

void
lb_imp_note(struct lb_imp *imp, struct lb_imp_strs *to, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < to->n; i++)
		if (strcmp(to->v[i], msg) == 0)
			return;
	lb_imp_strs_add(imp, to, lb_y_strdup(&imp->a, msg));
}

int
lb_imp_push(struct lb_imp *imp, void *arrp, size_t *n, void *p)
{
	void ***arr = arrp;

	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
		size_t cap = *n == 0 ? 8 : *n * 2;
		void **v = lb_arena_alloc(&imp->a, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		if (*n > 0)
			memcpy(v, *arr, *n * sizeof(*v));
		*arr = v;
	}
	(*arr)[(*n)++] = p;
	return 0;
}

int
lb_imp_strs_add(struct lb_imp *imp, struct lb_imp_strs *s, const char *v)
{
	if (v == NULL)
		return -1;
	return lb_imp_push(imp, &s->v, &s->n, (void *)v);
}

struct lb_imp_api *
lb_imp_api_find(struct lb_imp *imp, const char *name)
{
	for (size_t i = 0; i < imp->napis; i++)
		if (strcmp(imp->apis[i]->name, name) == 0)
			return imp->apis[i];
	return NULL;
}

struct lb_imp_auth *
lb_imp_auth_new(
    struct lb_imp *imp, struct lb_imp_api *api, const char *name, int line)
{
	struct lb_imp_auth *a = lb_arena_alloc(&imp->a, sizeof(*a));

	if (a == NULL)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->name = name;
	a->line = line;
	a->ttl = LB_IMP_UNSET;
	a->simple = -1;
	if (lb_imp_push(imp, &api->auths, &api->nauths, a) < 0)
		return NULL;
	return a;
}

struct lb_imp_auth *
lb_imp_auth_find(struct lb_imp_api *api, const char *name)
{
	for (size_t i = 0; i < api->nauths; i++)
		if (strcmp(api->auths[i]->name, name) == 0)
			return api->auths[i];
	return NULL;
}

struct lb_imp_api *
lb_imp_api_new(struct lb_imp *imp, const char *name, bool http, int line)
{
	struct lb_imp_api *api = lb_arena_alloc(&imp->a, sizeof(*api));

	if (api == NULL)
		return NULL;
	memset(api, 0, sizeof(*api));
	api->name = name;
	api->http = http;
	api->line = line;
	api->rate = api->burst = LB_IMP_UNSET;
	api->quota_limit = api->plan_rate = api->plan_burst = LB_IMP_UNSET;
	api->cors.max_age = LB_IMP_UNSET;
	api->cors.credentials = -1;
	if (lb_imp_push(imp, &imp->apis, &imp->napis, api) < 0)
		return NULL;
	return api;
}

struct lb_imp_func *
lb_imp_func_find(struct lb_imp *imp, const char *name)
{
	for (size_t i = 0; i < imp->nfuncs; i++)
		if (strcmp(imp->funcs[i]->name, name) == 0)
			return imp->funcs[i];
	return NULL;
}

struct lb_imp_func *
lb_imp_func_get(struct lb_imp *imp, const char *name, int line)
{
	struct lb_imp_func *f = lb_imp_func_find(imp, name);

	if (f != NULL)
		return f;
	if ((f = lb_arena_alloc(&imp->a, sizeof(*f))) == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->line = line;
	f->timeout = f->memory = f->reserved = f->provisioned = LB_IMP_UNSET;
	if (lb_imp_push(imp, &imp->funcs, &imp->nfuncs, f) < 0)
		return NULL;
	return f;
}

const char *
lb_imp_arn_function(struct lb_imp *imp, const char *uri, int line)
{
	const char *p = strstr(uri, ":function:"), *e;

	if (p != NULL)
		p += 10;
	else if ((p = strstr(uri, "/functions/")) != NULL &&
	    strncmp(p + 11, "arn:", 4) != 0)
		p += 11; /* ".../functions/NAME/invocations" with a bare name */
	else
		p = NULL;
	if (p == NULL) {
		lb_imp_warn(
		    imp, line, "cannot find a Lambda function in '%s'", uri);
		return NULL;
	}
	for (e = p; *e != '\0' && *e != '/' && *e != ':'; e++)
		;
	if (e == p || strstr(p, "${") == p) {
		lb_imp_warn(
		    imp, line, "cannot find a Lambda function in '%s'", uri);
		return NULL;
	}
	return lb_y_printf(&imp->a, "%.*s", (int)(e - p), p);
}

static bool
is_cident(const char *s)
{
	if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* 'argv ...' split at spaces into f->bootstrap */
static void
split_argv(struct lb_imp *imp, struct lb_imp_func *f, const char *s)
{
	while (*s != '\0') {
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, " \t");
		if (n > 0)
			lb_imp_strs_add(imp, &f->bootstrap,
			    lb_y_printf(&imp->a, "%.*s", (int)n, s));
		s += n;
	}
}

void
lb_imp_map_functions(struct lb_imp *imp)
{
	for (size_t i = 0; i < imp->nfuncs; i++) {
		struct lb_imp_func *f = imp->funcs[i];
		const char *rt = f->runtime;

		for (size_t j = 0; j < imp->o->nfunctions; j++) {
			const char *v = imp->o->functions[j].value, *colon;

			if (strcmp(imp->o->functions[j].name, f->name) != 0)
				continue;
			colon = strrchr(v, ':');
			f->module = colon != NULL
			    ? lb_y_printf(&imp->a, "%.*s", (int)(colon - v), v)
			    : v;
			f->symbol = colon != NULL ? colon + 1 : NULL;
		}
		if (f->module != NULL) {
			if (f->symbol == NULL)
				f->symbol = is_cident(f->handler) ? f->handler
				                                  : "handler";
			continue;
		}
		if (rt != NULL && strncmp(rt, "provided", 8) == 0 &&
		    (rt[8] == '\0' || rt[8] == '.')) {
			if (f->code_uri == NULL)
				f->code_uri = ".";
			continue;
		}
		for (size_t j = 0; rt != NULL && j < imp->o->nruntimes; j++)
			if (strcmp(imp->o->runtimes[j].name, rt) == 0) {
				f->bootstrap.n = 0;
				split_argv(imp, f, imp->o->runtimes[j].value);
			}
		if (f->bootstrap.n == 0)
			lb_imp_builtin_runtime(imp, f);
		if (f->bootstrap.n > 0) {
			if (f->code_uri == NULL)
				f->code_uri = ".";
			continue;
		}
		if (rt != NULL)
			f->unmapped = lb_y_printf(&imp->a,
			    "function '%s': runtime '%s' has no mapping "
			    "(--runtime %s='COMMAND ARGS', or --function "
			    "%s=MODULE[:HANDLER])",
			    f->name, rt, rt, f->name);
		else
			f->unmapped = lb_y_printf(&imp->a,
			    "no code for function '%s': give --function "
			    "%s=MODULE[:HANDLER]",
			    f->name, f->name);
		lb_imp_warn(imp, f->line, "%s", f->unmapped);
	}
}

static enum lb_import_format
detect(const struct lb_ynode *root)
{
	const char *t = lb_y_str(lb_y_get(root, "Transform"));

	if (lb_y_get(root, "openapi") != NULL ||
	    lb_y_get(root, "swagger") != NULL)
		return LB_IMPORT_OPENAPI;
	if (lb_y_get(root, "service") != NULL &&
	    lb_y_get(root, "provider") != NULL)
		return LB_IMPORT_SERVERLESS;
	if ((t != NULL && strstr(t, "AWS::Serverless") != NULL) ||
	    lb_y_get(root, "Resources") != NULL)
		return LB_IMPORT_SAM;
	if ((lb_y_get(root, "Transform") != NULL &&
	        lb_y_get(root, "Transform")->kind == LB_Y_SEQ) ||
	    lb_y_get(root, "AWSTemplateFormatVersion") != NULL)
		return LB_IMPORT_SAM;
	return LB_IMPORT_AUTO;
}

static char *
join_warnings(struct lb_imp *imp)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < imp->warnings.n; i++)
		fprintf(f, "%s:%s\n", imp->o->file, imp->warnings.v[i]);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
api_list(struct lb_imp *imp)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	fprintf(f,
	    "%s declares %zu APIs; pick one with --api NAME:", imp->o->file,
	    imp->napis);
	for (size_t i = 0; i < imp->napis; i++)
		fprintf(f, "\n  %s (%s, %zu routes)", imp->apis[i]->name,
		    imp->apis[i]->http ? "HTTP API" : "REST API",
		    imp->apis[i]->nroutes);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

int
lb_import(const char *text, size_t len, const struct lb_import_opts *o,
    struct lb_import_result *r)
{
	struct lb_imp imp;
	struct lb_imp_api *api = NULL;
	enum lb_import_format fmt = o->format;
	int ndocs, rc = -1;
	char err[400];

	memset(r, 0, sizeof(*r));
	memset(&imp, 0, sizeof(imp));
	imp.o = o;
	imp.region = "us-east-1";
	imp.account = "123456789012";
	for (size_t i = 0; i < o->nparams; i++) {
		if (strcmp(o->params[i].name, "AWS::Region") == 0)
			imp.region = o->params[i].value;
		if (strcmp(o->params[i].name, "AWS::AccountId") == 0)
			imp.account = o->params[i].value;
	}
	imp.root = lb_y_load(&imp.a, text, len, &ndocs, err, sizeof(err));
	if (imp.root == NULL) {
		snprintf(imp.err, sizeof(imp.err), "%s:%s", o->file, err);
		goto out;
	}
	if (ndocs > 1)
		lb_imp_warn(&imp, 1,
		    "%d YAML documents: only the first is read", ndocs);
	if (imp.root->kind != LB_Y_MAP) {
		snprintf(imp.err, sizeof(imp.err), "%s:%d: not a mapping",
		    o->file, imp.root->line);
		goto out;
	}
	if (fmt == LB_IMPORT_AUTO &&
	    (fmt = detect(imp.root)) == LB_IMPORT_AUTO) {
		snprintf(imp.err, sizeof(imp.err),
		    "%s: neither a SAM template, an OpenAPI definition nor a "
		    "serverless.yml: give --format",
		    o->file);
		goto out;
	}
	if ((fmt == LB_IMPORT_SAM ? lb_imp_sam(&imp)
	            : fmt == LB_IMPORT_OPENAPI
	            ? lb_imp_openapi(&imp, imp.root, NULL)
	            : lb_imp_serverless(&imp)) < 0)
		goto out;
	if (o->api != NULL) {
		if ((api = lb_imp_api_find(&imp, o->api)) == NULL) {
			char *l = api_list(&imp);

			snprintf(imp.err, sizeof(imp.err),
			    "%s: no API '%s'%s%s", o->file, o->api,
			    l != NULL ? "\n" : "", l != NULL ? l : "");
			free(l);
			goto out;
		}
	} else if (imp.napis > 1) {
		char *l = api_list(&imp);

		snprintf(imp.err, sizeof(imp.err), "%s",
		    l != NULL ? l : "several APIs: give --api");
		free(l);
		goto out;
	} else if (imp.napis == 1) {
		api = imp.apis[0];
	}
	if (api != NULL)
		lb_imp_rest_cors(&imp, api);
	lb_imp_map_functions(&imp);
	r->config = lb_imp_emit(&imp, api);
	r->warnings = join_warnings(&imp);
	r->nwarnings = imp.warnings.n;
	if (r->config == NULL || r->warnings == NULL) {
		snprintf(imp.err, sizeof(imp.err), "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(r->config);
		free(r->warnings);
		r->config = r->warnings = NULL;
		r->error =
		    strdup(imp.err[0] != '\0' ? imp.err : "import failed");
	}
	lb_arena_free(&imp.a);
	return rc;
}

void
lb_import_result_free(struct lb_import_result *r)
{
	free(r->config);
	free(r->warnings);
	free(r->error);
	memset(r, 0, sizeof(*r));
}
