/*
 * openapi.c - an OpenAPI 3 or Swagger 2 definition with API Gateway's
 * x-amazon-apigateway-* extensions into the model: aws_proxy integrations
 * become routes to the function their URI names, security schemes with
 * x-amazon-apigateway-authorizer become authorizers.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import/import_int.h"

static const char *const methods[] = { "get", "put", "post", "delete",
	"options", "head", "patch", "x-amazon-apigateway-any-method" };

/* {"$ref": "#/a/b"} -> the node it points at */
static struct lb_ynode *
deref(struct lb_imp *imp, struct lb_ynode *doc, struct lb_ynode *n)
{
	const char *ref = lb_y_str(lb_y_get(n, "$ref"));
	char *path, *save = NULL, *tok;
	struct lb_ynode *cur = doc;

	if (ref == NULL)
		return n;
	if (strncmp(ref, "#/", 2) != 0 ||
	    (path = lb_y_strdup(&imp->a, ref + 2)) == NULL) {
		lb_imp_warn(imp, n->line, "$ref '%s' is not local", ref);
		return NULL;
	}
	for (tok = strtok_r(path, "/", &save); tok != NULL && cur != NULL;
	     tok = strtok_r(NULL, "/", &save))
		cur = lb_y_get(cur, tok);
	if (cur == NULL)
		lb_imp_warn(imp, n->line, "$ref '%s' points at nothing", ref);
	return cur;
}

/* a scheme's x-amazon-apigateway-authorizer */
static void
authorizer(struct lb_imp *imp, struct lb_imp_api *api, const char *name,
    struct lb_ynode *scheme)
{
	struct lb_ynode *x = lb_y_get(scheme, "x-amazon-apigateway-authorizer");
	struct lb_imp_auth *a = lb_arena_alloc(&imp->a, sizeof(*a));
	const char *type = lb_imp_sv(imp, x, "type");
	const char *uri = lb_imp_sv(imp, x, "authorizerUri");
	const char *src = lb_imp_sv(imp, x, "identitySource");
	struct lb_ynode *jwt = lb_y_get(x, "jwtConfiguration");
	double ttl;

	if (a == NULL)
		return;
	memset(a, 0, sizeof(*a));
	a->name = name;
	a->line = x->line;
	a->ttl = LB_IMP_UNSET;
	a->simple = -1;
	lb_imp_push(imp, &api->auths, &api->nauths, a);
	if (type == NULL)
		type = "token";
	if (strcasecmp(type, "jwt") == 0) {
		a->type = "JWT";
		a->issuer = lb_imp_sv(imp, jwt, "issuer");
		lb_imp_lv(imp, jwt, "audience", &a->audience);
		if (a->issuer == NULL || a->audience.n == 0)
			a->unmapped =
			    "its issuer or audience cannot be resolved";
	} else if (strcasecmp(type, "token") == 0 ||
	    strcasecmp(type, "request") == 0) {
		a->type = strcasecmp(type, "token") == 0 ? "TOKEN" : "REQUEST";
		a->function =
		    uri != NULL ? lb_imp_arn_function(imp, uri, x->line) : NULL;
		if (a->function == NULL)
			a->unmapped = "its function cannot be found";
		else
			lb_imp_func_get(imp, a->function, x->line);
		a->validation =
		    lb_imp_sv(imp, x, "identityValidationExpression");
		if (api->http) {
			a->payload =
			    lb_imp_sv(imp, x, "authorizerPayloadFormatVersion");
			if (a->payload == NULL)
				a->payload = "2.0";
			if (lb_imp_bv(imp, x, "enableSimpleResponses") == 1)
				a->simple = 1;
		}
	} else {
		a->unmapped = "its type is not emulated (cognito_user_pools?)";
	}
	if (src != NULL) {
		char *s = lb_y_strdup(&imp->a, src), *save = NULL, *t;

		for (t = strtok_r(s, ", ", &save); t != NULL;
		     t = strtok_r(NULL, ", ", &save))
			lb_imp_strs_add(imp, &a->identity, t);
	} else if (a->type != NULL && strcmp(a->type, "TOKEN") == 0) {
		const char *h = lb_imp_sv(imp, scheme, "name");

		lb_imp_strs_add(imp, &a->identity,
		    lb_y_printf(&imp->a, "method.request.header.%s",
		        h != NULL ? h : "Authorization"));
	}
	if (lb_imp_nv(imp, x, "authorizerResultTtlInSeconds", &ttl) == 0)
		a->ttl = ttl;
	if (a->unmapped != NULL)
		lb_imp_warn(imp, x->line,
		    "authorizer '%s': %s; its routes are commented out", name,
		    a->unmapped);
}

static void
security(struct lb_imp *imp, struct lb_imp_api *api, struct lb_imp_route *r,
    struct lb_ynode *sec, struct lb_ynode *schemes)
{
	for (size_t i = 0; sec != NULL && sec->kind == LB_Y_SEQ && i < sec->n;
	     i++) {
		struct lb_ynode *req = sec->items[i];

		for (size_t j = 0; req->kind == LB_Y_MAP && j < req->n; j++) {
			struct lb_ynode *s = lb_y_get(schemes, req->keys[j]);
			const char *in = lb_y_str(lb_y_get(s, "in"));
			const char *nm = lb_y_str(lb_y_get(s, "name"));

			if (s == NULL) {
				lb_imp_warn(imp, req->line,
				    "security scheme '%s' is not declared",
				    req->keys[j]);
				r->unmapped = "its security scheme is unknown";
			} else if (lb_y_get(
			               s, "x-amazon-apigateway-authorizer") !=
			    NULL) {
				if (r->authorizer != NULL) {
					lb_imp_warn(imp, req->line,
					    "route '%s' names two authorizers: "
					    "the first is kept",
					    r->key);
					continue;
				}
				r->authorizer = req->keys[j];
				lb_imp_lv(imp, req, req->keys[j], &r->scopes);
			} else if (!api->http && in != NULL && nm != NULL &&
			    strcmp(in, "header") == 0 &&
			    strcasecmp(nm, "x-api-key") == 0) {
				r->api_key = true;
			} else {
				lb_imp_warn(imp, req->line,
				    "security scheme '%s' is not emulated",
				    req->keys[j]);
				r->unmapped =
				    "its security scheme is not emulated";
			}
		}
	}
	for (size_t i = 0; r->authorizer != NULL && i < api->nauths; i++)
		if (strcmp(api->auths[i]->name, r->authorizer) == 0 &&
		    (api->auths[i]->type == NULL ||
		        strcmp(api->auths[i]->type, "JWT") != 0))
			r->scopes.n = 0;
}

static void
operation(struct lb_imp *imp, struct lb_ynode *doc, struct lb_imp_api *api,
    const char *path, const char *method, struct lb_ynode *op,
    struct lb_ynode *schemes)
{
	struct lb_ynode *in = lb_y_get(op, "x-amazon-apigateway-integration");
	struct lb_ynode *sec = lb_y_get(op, "security");
	struct lb_ynode *iam = lb_y_get(op, "x-amazon-apigateway-auth");
	const char *type, *uri, *fn, *pf;
	struct lb_imp_route *r;
	bool dflt = lb_imp_bv(imp, op, "isDefaultRoute") == 1;

	if (in == NULL) {
		lb_imp_warn(imp, op->line,
		    "%s %s has no x-amazon-apigateway-integration: not carried "
		    "over",
		    method, path);
		return;
	}
	if ((in = deref(imp, doc, in)) == NULL)
		return;
	type = lb_imp_sv(imp, in, "type");
	/* a REST API's CORS written out: OPTIONS with a mock integration */
	if (type != NULL && strcasecmp(type, "mock") == 0 && !api->http &&
	    strcasecmp(method, "options") == 0 &&
	    lb_imp_mock_preflight(imp, api, path, in) == 0)
		return;
	if (type == NULL || strcasecmp(type, "aws_proxy") != 0) {
		lb_imp_warn(imp, in->line,
		    "%s %s: integration type '%s' is not Lambda proxy "
		    "(aws_proxy): not carried over",
		    method, path, type != NULL ? type : "?");
		return;
	}
	uri = lb_imp_sv(imp, in, "uri");
	if (uri == NULL ||
	    (fn = lb_imp_arn_function(imp, uri, in->line)) == NULL)
		return;
	if (lb_imp_func_get(imp, fn, in->line) == NULL)
		return;
	r = lb_imp_route_add(imp, api, method,
	    dflt || strcmp(path, "/$default") == 0 ? NULL : path, fn, op->line);
	if (r == NULL)
		return;
	if ((pf = lb_imp_sv(imp, in, "payloadFormatVersion")) != NULL)
		r->payload = pf;
	if (sec == NULL)
		sec = lb_y_get(doc, "security");
	security(imp, api, r, sec, schemes);
	if (iam != NULL) {
		const char *t = lb_imp_sv(imp, iam, "type");

		if (t != NULL && strcasecmp(t, "aws_iam") == 0) {
			r->unmapped = "AWS_IAM (SigV4) authorization is not "
			              "emulated";
			lb_imp_warn(imp, iam->line,
			    "route '%s': %s: commented out", r->key,
			    r->unmapped);
		}
	}
	if (lb_y_get(op, "x-amazon-apigateway-request-validator") != NULL)
		lb_imp_warn(imp,
		    lb_y_get(op, "x-amazon-apigateway-request-validator")->line,
		    "request validation is not emulated: requests reach the "
		    "function unvalidated");
}

int
lb_imp_openapi(struct lb_imp *imp, struct lb_ynode *doc, struct lb_imp_api *api)
{
	struct lb_ynode *paths = lb_y_get(doc, "paths"), *schemes, *x;
	bool v3 = lb_y_get(doc, "openapi") != NULL;
	bool http = false;
	const char *ks, *name = NULL;

	if (api == NULL) {
		imp->format = v3 ? "OpenAPI 3" : "Swagger 2";
		imp->any_arn_is_function = imp->resources == NULL;
	}
	if (name == NULL)
		name = lb_y_str(lb_y_get(lb_y_get(doc, "info"), "title"));
	if (name == NULL)
		name = "api";
	if (paths == NULL || paths->kind != LB_Y_MAP) {
		if (api != NULL) { /* a SAM API's DefinitionBody */
			lb_imp_warn(
			    imp, doc->line, "DefinitionBody has no paths");
			return 0;
		}
		snprintf(imp->err, sizeof(imp->err), "%s:%d: no paths",
		    imp->o->file, doc->line);
		return -1;
	}
	/* an HTTP API: OpenAPI 3 with HTTP-only extensions or payload 2.0 */
	if (v3) {
		http = lb_y_get(doc, "x-amazon-apigateway-cors") != NULL ||
		    lb_y_get(doc, "x-amazon-apigateway-importexport-version") !=
		        NULL;
		for (size_t i = 0; !http && i < paths->n; i++)
			for (size_t m = 0; m < paths->items[i]->n; m++) {
				struct lb_ynode *in =
				    lb_y_get(paths->items[i]->items[m],
				        "x-amazon-apigateway-integration");

				http = http ||
				    lb_y_get(in, "payloadFormatVersion") !=
				        NULL;
			}
	}
	if (api == NULL &&
	    (api = lb_imp_api_new(imp, name, http, doc->line)) == NULL)
		return -1;
	schemes = v3 ? lb_y_get(lb_y_get(doc, "components"), "securitySchemes")
	             : lb_y_get(doc, "securityDefinitions");
	for (size_t i = 0;
	     schemes != NULL && schemes->kind == LB_Y_MAP && i < schemes->n;
	     i++)
		if (lb_y_get(
		        schemes->items[i], "x-amazon-apigateway-authorizer"))
			authorizer(
			    imp, api, schemes->keys[i], schemes->items[i]);
	if ((ks = lb_imp_sv(imp, doc, "x-amazon-apigateway-api-key-source")) !=
	    NULL)
		api->key_source = ks;
	lb_imp_lv(
	    imp, doc, "x-amazon-apigateway-binary-media-types", &api->binary);
	if (http && api->binary.n > 0) {
		lb_imp_note(imp, &api->notes,
		    "binary media types: an HTTP API decides from the "
		    "Content-Type itself");
		api->binary.n = 0;
	}
	lb_imp_gateway_responses(imp, api,
	    lb_y_get(doc, "x-amazon-apigateway-gateway-responses"), false);
	if ((x = lb_y_get(doc, "x-amazon-apigateway-cors")) != NULL)
		lb_imp_http_cors(imp, api, x, false);
	if ((x = lb_y_get(doc, "x-amazon-apigateway-request-validators")) !=
	    NULL)
		lb_imp_warn(imp, x->line,
		    "x-amazon-apigateway-request-validators: request "
		    "validation is not emulated");
	if ((x = lb_y_get(doc, "basePath")) != NULL && lb_y_str(x) != NULL &&
	    strcmp(x->str, "/") != 0)
		lb_imp_note(imp, &api->notes,
		    "basePath '%s' ignored, as API Gateway's import does by "
		    "default (--stage sets a stage)",
		    x->str);
	for (size_t i = 0; i < paths->n; i++) {
		struct lb_ynode *item = paths->items[i];

		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]);
		     m++) {
			struct lb_ynode *op = lb_y_get(item, methods[m]);

			static const char *const upper[] = { "GET", "PUT",
				"POST", "DELETE", "OPTIONS", "HEAD", "PATCH",
				"ANY" };

			if (op != NULL)
				operation(imp, doc, api, paths->keys[i],
				    upper[m], op, schemes);
		}
	}
	return 0;
}
