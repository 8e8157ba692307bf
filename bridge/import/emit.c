/*
 * emit.c - the model of one API as a commented lambdabridge configuration
 * (docs/configuration.md): what could not be carried over is listed at the
 * top and commented out where it would have been.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"

/* a libconfig string literal */
static void
qs(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
qlist(FILE *f, const struct lb_imp_strs *l)
{
	fputs("[ ", f);
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			fputs(", ", f);
		qs(f, l->v[i]);
	}
	fputs(" ]", f);
}

/* a libconfig name: letters, digits, '_', '-', '*'; else not emitted */
static bool
is_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	        *s == '*'))
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		        *s == '*'))
			return false;
	return true;
}

static void
group(FILE *f, struct lb_imp *imp, const struct lb_ynode *m, int line)
{
	fputs("{ ", f);
	for (size_t i = 0; m != NULL && i < m->n; i++) {
		if (!is_name(m->keys[i]) || m->items[i]->kind != LB_Y_STR) {
			lb_imp_warn(imp, m->items[i]->line,
			    "'%s' cannot be written as a configuration name: "
			    "not carried over",
			    m->keys[i]);
			continue;
		}
		fprintf(f, "%s = ", m->keys[i]);
		qs(f, m->items[i]->str);
		fputs("; ", f);
	}
	fputs("}", f);
	(void)line;
}

static void
num(FILE *f, const char *pfx, const char *key, double v, bool integer)
{
	if (v == LB_IMP_UNSET)
		return;
	if (integer)
		fprintf(f, "%s%s = %lld;", pfx, key, (long long)v);
	else
		fprintf(f, "%s%s = %.3g;", pfx, key, v);
}

static void
comment_lines(FILE *f, const char *indent, const struct lb_imp_strs *notes)
{
	for (size_t i = 0; i < notes->n; i++)
		fprintf(f, "%s# note: %s\n", indent, notes->v[i]);
}

static void
gateway(FILE *f, struct lb_imp *imp, struct lb_imp_api *api)
{
	const char *stage = imp->o->stage != NULL ? imp->o->stage
	    : api != NULL && api->stage != NULL   ? api->stage
	                                          : "$default";

	fputs("gateway: {\n", f);
	fputs(
	    "  # listen = \"127.0.0.1:9000\";   # where the web server reaches "
	    "the bridge (omit: an inherited socket)\n"
	    "  user = \"nobody\";                # started as root, the "
	    "bridge drops to it\n",
	    f);
	if (api == NULL) {
		fputs("  api = \"http\";\n};\n\n", f);
		return;
	}
	fprintf(f, "  api = \"%s\";                      # %s %s'%s'\n",
	    api->http ? "http" : "rest", api->http ? "HTTP API" : "REST API",
	    api->implicit ? "(implicit) " : "", api->name);
	fputs("  stage = ", f);
	qs(f, stage);
	fputs(";\n", f);
	if (strcmp(imp->region, "us-east-1") != 0) {
		fputs("  region = ", f);
		qs(f, imp->region);
		fputs(";\n", f);
	}
	if (strcmp(imp->account, "123456789012") != 0) {
		fputs("  account_id = ", f);
		qs(f, imp->account);
		fputs(";\n", f);
	}
	if (api->stage_vars != NULL && api->stage_vars->kind == LB_Y_MAP &&
	    api->stage_vars->n > 0) {
		fputs("  stage_variables = ", f);
		group(f, imp, api->stage_vars, api->stage_vars->line);
		fputs(";\n", f);
	}
	if (api->rate != LB_IMP_UNSET) {
		num(f, "  ", "throttling_rate_limit", api->rate, false);
		num(f, " ", "throttling_burst_limit", api->burst, true);
		fputs("  # every route's default bucket\n", f);
	}
	if (api->binary.n > 0 && !api->http) {
		fputs("  binary_media_types = ", f);
		qlist(f, &api->binary);
		fputs(";\n", f);
	}
	if (api->key_source != NULL && !api->http) {
		fputs("  api_key_source = ", f);
		qs(f, api->key_source);
		fputs(";\n", f);
	}
	if (api->cors.set && api->http) {
		const struct lb_imp_cors *c = &api->cors;

		fputs("  cors = {\n", f);
		if (c->origins.n > 0) {
			fputs("    allow_origins = ", f);
			qlist(f, &c->origins);
			fputs(";\n", f);
		}
		if (c->methods.n > 0) {
			fputs("    allow_methods = ", f);
			qlist(f, &c->methods);
			fputs(";\n", f);
		}
		if (c->headers.n > 0) {
			fputs("    allow_headers = ", f);
			qlist(f, &c->headers);
			fputs(";\n", f);
		}
		if (c->expose.n > 0) {
			fputs("    expose_headers = ", f);
			qlist(f, &c->expose);
			fputs(";\n", f);
		}
		num(f, "    ", "max_age", c->max_age, true);
		if (c->max_age != LB_IMP_UNSET)
			fputs("\n", f);
		if (c->credentials >= 0)
			fprintf(f, "    allow_credentials = %s;\n",
			    c->credentials ? "true" : "false");
		fputs("  };\n", f);
	}
	comment_lines(f, "  ", &api->notes);
	fputs("};\n\n", f);
}

static bool
uses(struct lb_imp_api *api, const char *fn)
{
	for (size_t i = 0; api != NULL && i < api->nroutes; i++)
		if (strcmp(api->routes[i]->function, fn) == 0)
			return true;
	for (size_t i = 0; api != NULL && i < api->nauths; i++)
		if (api->auths[i]->function != NULL &&
		    strcmp(api->auths[i]->function, fn) == 0)
			return true;
	return false;
}

static bool
wanted(struct lb_imp *imp, struct lb_imp_api *api, const char *fn)
{
	if (api == NULL || uses(api, fn))
		return true;
	for (size_t i = 0; i < imp->napis; i++)
		if (uses(imp->apis[i], fn))
			return false;
	return true;
}

static void
function(FILE *f, struct lb_imp *imp, struct lb_imp_func *fn, bool more)
{
	const char *c = fn->unmapped != NULL ? "# " : "";

	lb_imp_check_installed(imp, fn);
	comment_lines(f, "  ", &fn->notes);
	if (fn->unmapped != NULL)
		fprintf(f, "  # not carried over: %s\n", fn->unmapped);
	fprintf(f, "  %s{ name = ", c);
	qs(f, fn->name);
	fputs(";", f);
	if (fn->runtime != NULL)
		fprintf(f, "  # %s", fn->runtime);
	fprintf(f, "\n");
	if (fn->module != NULL) {
		fprintf(f, "  %s  module = ", c);
		qs(f, fn->module);
		fprintf(f, "; handler = ");
		qs(f, fn->symbol);
		fputs(";\n", f);
	} else {
		fprintf(f, "  %s  runtime = \"provided\"; code_dir = ", c);
		qs(f, fn->code_uri != NULL ? fn->code_uri : ".");
		fputs(";\n", f);
		if (fn->bootstrap.n > 0) {
			fprintf(f, "  %s  bootstrap = ", c);
			qlist(f, &fn->bootstrap);
			fputs(";\n", f);
		}
		fprintf(f, "  %s  handler = ", c);
		qs(f, fn->handler != NULL ? fn->handler : "handler");
		fputs(";\n", f);
	}
	if (fn->timeout != LB_IMP_UNSET || fn->memory != LB_IMP_UNSET) {
		fprintf(f, "  %s ", c);
		num(f, " ", "timeout", fn->timeout, false);
		num(f, " ", "memory", fn->memory, true);
		fputs("\n", f);
	}
	if (fn->reserved != LB_IMP_UNSET || fn->provisioned != LB_IMP_UNSET) {
		fprintf(f, "  %s ", c);
		num(f, " ", "reserved_concurrency", fn->reserved, true);
		num(f, " ", "provisioned", fn->provisioned, true);
		fputs("\n", f);
	}
	if (fn->env != NULL && fn->env->n > 0) {
		fprintf(f, "  %s  environment = ", c);
		group(f, imp, fn->env, fn->env->line);
		fputs(";\n", f);
	}
	fprintf(f, "  %s}%s\n", c, more ? "," : "");
}

static const char *
unmapped_fn(struct lb_imp *imp, const char *name)
{
	struct lb_imp_func *fn = lb_imp_func_find(imp, name);

	return fn == NULL ? "its function is unknown" : fn->unmapped;
}

static const char *
auth_why(struct lb_imp *imp, struct lb_imp_auth *a)
{
	if (a->unmapped == NULL && a->function != NULL &&
	    unmapped_fn(imp, a->function) != NULL)
		a->unmapped = "its function is not carried over";
	return a->unmapped;
}

static void
authorizer(FILE *f, struct lb_imp *imp, struct lb_imp_auth *a, bool more)
{
	const char *why = auth_why(imp, a);
	const char *c = why != NULL ? "# " : "";
	if (why != NULL)
		fprintf(f, "  # not carried over: %s\n", why);
	fprintf(f, "  %s{ name = ", c);
	qs(f, a->name);
	fprintf(f, "; type = \"%s\";", a->type != NULL ? a->type : "?");
	if (a->function != NULL) {
		fputs(" function = ", f);
		qs(f, a->function);
		fputs(";", f);
	}
	fputs("\n", f);
	if (a->identity.n > 0) {
		fprintf(f, "  %s  identity_source = ", c);
		qlist(f, &a->identity);
		fputs(";\n", f);
	}
	if (a->validation != NULL) {
		fprintf(f, "  %s  validation_expression = ", c);
		qs(f, a->validation);
		fputs(";\n", f);
	}
	if (a->payload != NULL)
		fprintf(f, "  %s  payload_format = \"%s\";\n", c, a->payload);
	if (a->simple == 1)
		fprintf(f, "  %s  simple_responses = true;\n", c);
	if (a->ttl != LB_IMP_UNSET)
		fprintf(f, "  %s  ttl = %lld;\n", c, (long long)a->ttl);
	if (a->issuer != NULL) {
		fprintf(f, "  %s  issuer = ", c);
		qs(f, a->issuer);
		fprintf(f, "; audience = ");
		qlist(f, &a->audience);
		fputs(";\n", f);
	}
	fprintf(f, "  %s}%s\n", c, more ? "," : "");
}

static const char *
route_unmapped(
    struct lb_imp *imp, struct lb_imp_api *api, struct lb_imp_route *r)
{
	if (r->unmapped != NULL)
		return r->unmapped;
	if (unmapped_fn(imp, r->function) != NULL)
		return "its function is not carried over";
	for (size_t i = 0; r->authorizer != NULL && i < api->nauths; i++)
		if (strcmp(api->auths[i]->name, r->authorizer) == 0 &&
		    api->auths[i]->unmapped != NULL)
			return "its authorizer is not carried over";
	return NULL;
}

static void
route(FILE *f, struct lb_imp *imp, struct lb_imp_api *api,
    struct lb_imp_route *r, bool more)
{
	const char *why = route_unmapped(imp, api, r);
	const char *c = why != NULL ? "# " : "";

	if (why != NULL)
		fprintf(f, "  # not carried over: %s\n", why);
	fprintf(f, "  %s{ route = ", c);
	qs(f, r->key);
	fputs("; function = ", f);
	qs(f, r->function);
	fputs(";", f);
	if (r->payload != NULL && api->http && strcmp(r->payload, "2.0") != 0)
		fprintf(f, " payload_format = \"%s\";", r->payload);
	if (r->authorizer != NULL) {
		fputs(" authorizer = ", f);
		qs(f, r->authorizer);
		fputs(";", f);
	}
	if (r->scopes.n > 0) {
		fputs(" authorization_scopes = ", f);
		qlist(f, &r->scopes);
		fputs(";", f);
	}
	if (r->api_key)
		fputs(" api_key_required = true;", f);
	if (r->rate != LB_IMP_UNSET) {
		num(f, " ", "throttling_rate_limit", r->rate, false);
		num(f, " ", "throttling_burst_limit", r->burst, true);
	}
	fprintf(f, " }%s\n", more ? "," : "");
}

static void
gateway_responses(FILE *f, struct lb_imp *imp, struct lb_imp_api *api)
{
	fputs("gateway_responses = {\n", f);
	for (size_t i = 0; i < api->ngwresps; i++) {
		struct lb_imp_gwresp *g = api->gwresps[i];

		fprintf(f, "  %s = {", g->type);
		if (g->status != LB_IMP_UNSET)
			fprintf(f, " status = %lld;", (long long)g->status);
		if (g->body != NULL) {
			fputs(" body = ", f);
			qs(f, g->body);
			fputs(";", f);
		}
		if (g->headers != NULL && g->headers->n > 0) {
			fputs(" headers = ", f);
			group(f, imp, g->headers, g->headers->line);
			fputs(";", f);
		}
		fputs(" };\n", f);
	}
	fputs("};\n\n", f);
}

static void
api_keys(FILE *f, struct lb_imp *imp, struct lb_imp_api *api)
{
	bool need = api->usage_plan;

	for (size_t i = 0; i < api->nroutes; i++)
		need = need || api->routes[i]->api_key;
	if (api->key_names.n > 0 && !api->http) {
		fputs("api_keys = (\n", f);
		for (size_t i = 0; i < api->key_names.n; i++) {
			fputs("  { name = ", f);
			qs(f, api->key_names.v[i]);
			fputs("; value = ", f);
			qs(f, api->key_values.v[i]);
			fprintf(
			    f, "; }%s\n", i + 1 < api->key_names.n ? "," : "");
		}
		fputs(");\n\n", f);
		return;
	}
	if (!need || api->http)
		return;
	lb_imp_warn(imp, api->line,
	    "API '%s': API key values are not in the file (API Gateway makes "
	    "them): add api_keys (an example closes the configuration)",
	    api->name);
	fputs("# API keys: their values are not in the template (API Gateway "
	      "makes them).\n# Give each client a key of 20-128 characters:\n"
	      "# api_keys = (\n#   { name = \"client\"; value = "
	      "\"CHANGE-ME-0123456789abcdef\";",
	    f);
	if (api->plan_rate != LB_IMP_UNSET)
		fprintf(f,
		    "\n#     throttling_rate_limit = %.3g; "
		    "throttling_burst_limit = %lld;",
		    api->plan_rate, (long long)api->plan_burst);
	if (api->quota_limit != LB_IMP_UNSET && api->quota_period != NULL)
		fprintf(f, "\n#     quota_limit = %lld; quota_period = \"%s\";",
		    (long long)api->quota_limit, api->quota_period);
	fputs(" }\n# );\n\n", f);
}

static int
by_line(const void *a, const void *b)
{
	long x = strtol(*(const char *const *)a, NULL, 10);
	long y = strtol(*(const char *const *)b, NULL, 10);

	return (x > y) - (x < y);
}

char *
lb_imp_emit(struct lb_imp *imp, struct lb_imp_api *api)
{
	char *out = NULL, *body = NULL;
	size_t len = 0, blen = 0;
	FILE *f = open_memstream(&body, &blen);
	size_t last;

	if (f == NULL)
		return NULL;
	/* the body first: writing it may add warnings for the header */
	gateway(f, imp, api);
	fputs("functions = (\n", f);
	last = 0;
	for (size_t i = 0; i < imp->nfuncs; i++)
		if (wanted(imp, api, imp->funcs[i]->name) &&
		    imp->funcs[i]->unmapped == NULL)
			last = i + 1;
	for (size_t i = 0; i < imp->nfuncs; i++)
		if (wanted(imp, api, imp->funcs[i]->name))
			function(f, imp, imp->funcs[i],
			    i + 1 < last && imp->funcs[i]->unmapped == NULL);
	fputs(");\n\n", f);
	if (api != NULL && api->nauths > 0) {
		fputs("authorizers = (\n", f);
		last = 0;
		for (size_t i = 0; i < api->nauths; i++)
			if (auth_why(imp, api->auths[i]) == NULL)
				last = i + 1;
		for (size_t i = 0; i < api->nauths; i++)
			authorizer(f, imp, api->auths[i],
			    i + 1 < last && api->auths[i]->unmapped == NULL);
		fputs(");\n\n", f);
	}
	if (api != NULL) {
		fputs("routes = (\n", f);
		last = 0;
		for (size_t i = 0; i < api->nroutes; i++)
			if (route_unmapped(imp, api, api->routes[i]) == NULL)
				last = i + 1;
		for (size_t i = 0; i < api->nroutes; i++)
			route(f, imp, api, api->routes[i],
			    i + 1 < last &&
			        route_unmapped(imp, api, api->routes[i]) ==
			            NULL);
		fputs(");\n\n", f);
		if (api->ngwresps > 0)
			gateway_responses(f, imp, api);
		api_keys(f, imp, api);
	}
	if (fclose(f) != 0) {
		free(body);
		return NULL;
	}
	if ((f = open_memstream(&out, &len)) == NULL) {
		free(body);
		return NULL;
	}
	fprintf(f,
	    "# lambdabridge configuration imported by `lambdabridge import` "
	    "from\n#   %s (%s)%s%s%s\n"
	    "# docs/configuration.md describes every setting; check it with\n"
	    "# `lambdabridge check -c FILE`.  Paths are relative to the "
	    "directory\n# of this file: save it beside the template.\n",
	    imp->o->file, imp->format, api != NULL ? ", API '" : "",
	    api != NULL ? api->name : "", api != NULL ? "'" : "");
	comment_lines(f, "", &imp->notes);
	if (imp->warnings.n > 1)
		qsort(imp->warnings.v, imp->warnings.n,
		    sizeof(*imp->warnings.v), by_line);
	if (imp->warnings.n > 0) {
		fprintf(f, "#\n# Not carried over (%zu):\n", imp->warnings.n);
		for (size_t i = 0; i < imp->warnings.n; i++)
			fprintf(
			    f, "#   %s:%s\n", imp->o->file, imp->warnings.v[i]);
	}
	fputs("\n", f);
	fputs(body, f);
	free(body);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
