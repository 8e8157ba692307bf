/*
 * common.c - what the formats share: routes, throttling, an HTTP API's
 * CORS and gateway responses, read into the model (import_int.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "import/import_int.h"

struct lb_imp_route *
lb_imp_route_add(struct lb_imp *imp, struct lb_imp_api *api, const char *method,
    const char *path, const char *function, int line)
{
	struct lb_imp_route *r;
	char *key, *p;

	if (path == NULL || path[0] == '\0' || strcmp(path, "$default") == 0)
		key = lb_y_strdup(&imp->a, "$default");
	else
		key = lb_y_printf(&imp->a, "%s %s%s", method,
		    path[0] == '/' ? "" : "/", path);
	if (key == NULL)
		return NULL;
	for (p = key; *key != '$' && *p != '\0' && *p != ' '; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strncmp(key, "X-AMAZON-APIGATEWAY-ANY-METHOD ", 31) == 0)
		key = lb_y_printf(&imp->a, "ANY %s", key + 31);
	for (size_t i = 0; key != NULL && i < api->nroutes; i++)
		if (strcmp(api->routes[i]->key, key) == 0) {
			lb_imp_warn(imp, line,
			    "route '%s' is declared twice: the first is kept",
			    key);
			return NULL;
		}
	if (key == NULL || (r = lb_arena_alloc(&imp->a, sizeof(*r))) == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->function = function;
	r->line = line;
	r->rate = r->burst = LB_IMP_UNSET;
	if (lb_imp_push(imp, &api->routes, &api->nroutes, r) < 0)
		return NULL;
	return r;
}

void
lb_imp_throttle(struct lb_imp *imp, struct lb_ynode *m, const char *rate_key,
    const char *burst_key, double *rate, double *burst)
{
	double r, b;
	int hr = lb_imp_nv(imp, m, rate_key, &r);
	int hb = lb_imp_nv(imp, m, burst_key, &b);

	if (hr < 0 && hb < 0)
		return;
	if (hr < 0 || hb < 0) {
		lb_imp_warn(imp, m->line,
		    "%s and %s must be set together here: not carried over",
		    rate_key, burst_key);
		return;
	}
	*rate = r;
	*burst = b;
}

void
lb_imp_http_cors(
    struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *c, bool sam)
{
	struct lb_imp_cors *x = &api->cors;

	if (c == NULL)
		return;
	if (c->kind == LB_Y_STR && lb_y_bool(c) == 1) {
		/* CorsConfiguration: true */
		x->set = true;
		lb_imp_strs_add(imp, &x->origins, "*");
		lb_imp_strs_add(imp, &x->methods, "*");
		lb_imp_strs_add(imp, &x->headers, "*");
		return;
	}
	if ((c = lb_imp_eval(imp, c)) == NULL || c->kind != LB_Y_MAP) {
		if (c != NULL && lb_y_bool(c) != 0)
			lb_imp_warn(imp, c->line,
			    "CORS configuration not "
			    "understood: not carried over");
		return;
	}
	x->set = true;
	lb_imp_lv(imp, c, sam ? "AllowOrigins" : "allowOrigins", &x->origins);
	lb_imp_lv(imp, c, sam ? "AllowMethods" : "allowMethods", &x->methods);
	lb_imp_lv(imp, c, sam ? "AllowHeaders" : "allowHeaders", &x->headers);
	lb_imp_lv(imp, c, sam ? "ExposeHeaders" : "exposeHeaders", &x->expose);
	lb_imp_nv(imp, c, sam ? "MaxAge" : "maxAge", &x->max_age);
	x->credentials =
	    lb_imp_bv(imp, c, sam ? "AllowCredentials" : "allowCredentials");
}

static const char *const gw_types[] = { "MISSING_AUTHENTICATION_TOKEN",
	"RESOURCE_NOT_FOUND", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT",
	"THROTTLED", "QUOTA_EXCEEDED", "INVALID_API_KEY", "ACCESS_DENIED",
	"UNAUTHORIZED", "REQUEST_TOO_LARGE", "BAD_REQUEST_BODY",
	"API_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
	"AUTHORIZER_CONFIGURATION_ERROR", "EXPIRED_TOKEN", "INVALID_SIGNATURE",
	"DEFAULT_4XX", "DEFAULT_5XX" };

const char *
lb_imp_literal(struct lb_imp *imp, const char *v, int line, const char *name)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'')
		return lb_y_printf(&imp->a, "%.*s", (int)n - 2, v + 1);
	lb_imp_warn(imp, line,
	    "header '%s' maps '%s', not a static '...' value: not carried over",
	    name, v);
	return NULL;
}

void
lb_imp_gateway_responses(
    struct lb_imp *imp, struct lb_imp_api *api, struct lb_ynode *m, bool sam)
{
	if (m == NULL || (m = lb_imp_eval(imp, m)) == NULL ||
	    m->kind != LB_Y_MAP)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct lb_ynode *d = m->items[i], *hdrs, *tmpl;
		struct lb_imp_gwresp *g;
		bool known = false;

		for (size_t t = 0; t < sizeof(gw_types) / sizeof(gw_types[0]);
		     t++)
			known = known || strcmp(m->keys[i], gw_types[t]) == 0;
		if (!known) {
			lb_imp_warn(imp, d->line,
			    "gateway response type '%s' does not exist in "
			    "the bridge: not carried over",
			    m->keys[i]);
			continue;
		}
		if ((g = lb_arena_alloc(&imp->a, sizeof(*g))) == NULL)
			return;
		memset(g, 0, sizeof(*g));
		g->type = m->keys[i];
		g->status = LB_IMP_UNSET;
		lb_imp_nv(
		    imp, d, sam ? "StatusCode" : "statusCode", &g->status);
		tmpl = lb_y_get(
		    d, sam ? "ResponseTemplates" : "responseTemplates");
		if (tmpl != NULL && tmpl->kind == LB_Y_MAP && tmpl->n > 0) {
			struct lb_ynode *j = lb_y_get(tmpl, "application/json");

			g->body = lb_y_str(j != NULL ? j : tmpl->items[0]);
		}
		hdrs = lb_y_get(
		    d, sam ? "ResponseParameters" : "responseParameters");
		if (sam)
			hdrs = lb_y_get(hdrs, "Headers");
		if (hdrs != NULL && hdrs->kind == LB_Y_MAP &&
		    (g->headers = lb_y_new(&imp->a, LB_Y_MAP, hdrs->line)) !=
		        NULL)
			for (size_t h = 0; h < hdrs->n; h++) {
				const char *name = hdrs->keys[h], *v;

				if (!sam) {
					if (strncmp(name,
					        "gatewayresponse.header.",
					        23) != 0) {
						lb_imp_warn(imp,
						    hdrs->items[h]->line,
						    "response parameter '%s' "
						    "is "
						    "not carried over",
						    name);
						continue;
					}
					name += 23;
				}
				if ((v = lb_y_str(hdrs->items[h])) == NULL ||
				    (v = lb_imp_literal(imp, v,
				         hdrs->items[h]->line, name)) == NULL)
					continue;
				lb_y_add(&imp->a, g->headers, name,
				    lb_y_newstr(
				        &imp->a, v, hdrs->items[h]->line));
			}
		lb_imp_push(imp, &api->gwresps, &api->ngwresps, g);
	}
}
