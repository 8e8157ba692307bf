/*
 * dump.c - the configuration as `lambdabridge check` prints it: the API
 * type, listen address, stage, limits and CORS, the authorizers, then the
 * route table (with each route's authorizer).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/dump.h"

static int
width(const char *s, int w)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

/* A function's code as the route table shows it: module:handler, or a
 * provided runtime's bootstrap and handler. */
static void
dump_code(char *buf, size_t len, const struct lb_function *f)
{
	if (f->runtime == LB_RUNTIME_PROVIDED)
		snprintf(
		    buf, len, "provided:%s (%s)", f->bootstrap[0], f->handler);
	else
		snprintf(buf, len, "%s:%s", f->module, f->handler);
}

/* The authorizers, one line each (routes name theirs in the table). */
static void
dump_authorizers(const struct lb_config *cfg, FILE *out)
{
	if (cfg->nauthorizers == 0)
		return;
	fprintf(out, "authorizers:\n");
	for (size_t i = 0; i < cfg->nauthorizers; i++) {
		const struct lb_authorizer *a = &cfg->authorizers[i];

		fprintf(out, "  %s: %s", a->name,
		    lb_config_authorizer_type_name(a->type));
		if (a->type != LB_AUTHORIZER_JWT)
			fprintf(out, ", function %s",
			    cfg->functions[a->function].name);
		for (size_t j = 0; j < a->nidentity; j++)
			fprintf(out, "%s%s", j == 0 ? ", identity " : " ",
			    a->identity[j].source);
		if (a->validation_expression != NULL)
			fprintf(out, ", matching %s", a->validation_expression);
		if (a->type == LB_AUTHORIZER_JWT) {
			fprintf(out, ", issuer %s, audience", a->issuer);
			for (size_t j = 0; j < a->naudience; j++)
				fprintf(out, "%s%s", j == 0 ? " " : ",",
				    a->audience[j]);
			fprintf(out, ", keys %s",
			    a->jwks_file != NULL      ? a->jwks_file
			        : a->jwks_uri != NULL ? a->jwks_uri
			                              : "by OIDC discovery");
		} else {
			if (cfg->api == LB_API_HTTP)
				fprintf(out, ", payload %s%s",
				    a->payload_format == 1 ? "1.0" : "2.0",
				    a->simple_responses ? ", simple responses"
				                        : "");
			if (a->ttl > 0)
				fprintf(out, ", cached %ds", a->ttl);
			else
				fprintf(out, ", not cached");
		}
		fprintf(out, "\n");
	}
}

void
lb_dump_config(const struct lb_config *cfg, FILE *out)
{
	int wk = (int)strlen("ROUTE"), wf = (int)strlen("FUNCTION");
	int wm = (int)strlen("MODULE:HANDLER");
	char buf[PATH_MAX + 300];

	fprintf(out, "config: %s\n", cfg->path);
	fprintf(out, "api:    %s (payload %s by default)\n",
	    cfg->api == LB_API_REST ? "rest" : "http",
	    cfg->payload_format == 1 ? "1.0" : "2.0");
	fprintf(out, "listen: %s\n",
	    cfg->listen != NULL ? cfg->listen : "(inherited socket)");
	fprintf(out, "stage:  %s\n", cfg->stage);
	if (cfg->state_dir != NULL)
		fprintf(out, "state:  %s/quotas.db (quota counts)\n",
		    cfg->state_dir);
	fprintf(out,
	    "limits: integration timeout %gs, account concurrency %d, "
	    "request body %zu bytes\n",
	    cfg->integration_timeout, cfg->account_concurrency,
	    cfg->max_request_body);
	fprintf(out, "throttling: ");
	if (cfg->throttle.rate >= 0)
		fprintf(out, "each route %g/s, burst %d (unless its own)",
		    cfg->throttle.rate, cfg->throttle.burst);
	else
		fprintf(out, "no stage default");
	if (cfg->account_throttle.rate >= 0)
		fprintf(out, "; all routes together %g/s, burst %d\n",
		    cfg->account_throttle.rate, cfg->account_throttle.burst);
	else
		fprintf(out, "; no account limit\n");
	if (cfg->metrics_path != NULL) {
		fprintf(out, "metrics: GET %s, before the routes, for",
		    cfg->metrics_path);
		for (size_t i = 0; i < cfg->nmetrics_allow; i++)
			fprintf(out, "%s%s", i > 0 ? "," : " ",
			    cfg->metrics_allow[i]);
		fprintf(out, "%s\n",
		    cfg->metrics_allow == NULL
		        ? " loopback (127.0.0.0/8,::1/128)"
		        : "");
	}
	if (cfg->cors.set) {
		fprintf(out, "cors:   origins");
		for (size_t i = 0; i < cfg->cors.nallow_origins; i++)
			fprintf(out, "%s%s", i > 0 ? "," : " ",
			    cfg->cors.allow_origins[i]);
		fprintf(out, "%s; methods %s; headers %s%s\n",
		    cfg->cors.nallow_origins == 0 ? " (none)" : "",
		    cfg->cors.methods != NULL ? cfg->cors.methods : "(none)",
		    cfg->cors.headers != NULL ? cfg->cors.headers : "(none)",
		    cfg->cors.allow_credentials ? "; credentials" : "");
	}
	if (cfg->api == LB_API_REST) {
		size_t on = 0;

		for (size_t i = 0; i < cfg->napi_keys; i++)
			on += cfg->api_keys[i].enabled != 0;
		fprintf(
		    out, "api keys: %zu (%zu enabled)\n", cfg->napi_keys, on);
	}
	dump_authorizers(cfg, out);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct lb_route *r = &cfg->routes[i];
		const struct lb_function *f = &cfg->functions[r->function];

		wk = width(r->key, wk);
		wf = width(f->name, wf);
		dump_code(buf, sizeof(buf), f);
		wm = width(buf, wm);
	}
	fprintf(out, "routes:\n");
	if (cfg->nroutes == 0) {
		fprintf(out,
		    "  (none: every request gets the API's "
		    "no-route error)\n");
		return;
	}
	fprintf(out, "  %-*s  %-*s  %-7s  %-*s  %7s  %8s  %s\n", wk, "ROUTE",
	    wf, "FUNCTION", "PAYLOAD", wm, "MODULE:HANDLER", "TIMEOUT",
	    "MEMORY", "CONCURRENCY");
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct lb_route *r = &cfg->routes[i];
		const struct lb_function *f = &cfg->functions[r->function];
		char tmo[32], mem[32], conc[512];

		dump_code(buf, sizeof(buf), f);
		snprintf(tmo, sizeof(tmo), "%gs", f->timeout);
		snprintf(mem, sizeof(mem), "%d MB", f->memory);
		if (f->reserved_concurrency >= 0)
			snprintf(conc, sizeof(conc), "reserved %d",
			    f->reserved_concurrency);
		else
			snprintf(conc, sizeof(conc), "unreserved");
		if (f->provisioned > 0) {
			size_t n = strlen(conc);

			snprintf(conc + n, sizeof(conc) - n, ", provisioned %d",
			    f->provisioned);
		}
		if (r->throttle.rate >= 0) {
			size_t n = strlen(conc);

			snprintf(conc + n, sizeof(conc) - n,
			    "; throttled %g/s, burst %d", r->throttle.rate,
			    r->throttle.burst);
		}
		if (r->api_key_required) {
			size_t n = strlen(conc);

			snprintf(
			    conc + n, sizeof(conc) - n, "; API key required");
		}
		if (r->authorizer != NULL) {
			size_t n = strlen(conc);

			snprintf(conc + n, sizeof(conc) - n, "; authorizer %s",
			    r->authorizer->name);
			for (size_t j = 0; j < r->nscopes; j++) {
				n = strlen(conc);
				snprintf(conc + n, sizeof(conc) - n, "%s%s",
				    j == 0 ? " scopes " : ",", r->scopes[j]);
			}
		}
		fprintf(out, "  %-*s  %-*s  %-7s  %-*s  %7s  %8s  %s\n", wk,
		    r->key, wf, f->name, r->payload_format == 1 ? "1.0" : "2.0",
		    wm, buf, tmo, mem, conc);
	}
}
