/*
 * config_routes.c - what a request meets before a function: the `routes`
 * (checked by building a router), the REST API's `api_keys` with their
 * usage plans, the `gateway_responses` overrides, and gateway.cors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "apigw/router.h"

int
lb_config__load_responses(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg)
{
	char where[256];
	int len;

	if (lb_config__want_type(c, g, "gateway_responses", CONFIG_TYPE_GROUP) <
	    0)
		return -1;
	len = config_setting_length(g);
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(g, i);
		const char *name = config_setting_name(e);
		enum lb_gwerr type = lb_gwerror_from_name(name);
		struct lb_gateway_response *r;

		lb_config__setpath(
		    where, sizeof(where), "gateway_responses.%s", name);
		if (type <= LB_GWERR_NONE || type >= LB_GWERR_COUNT)
			return lb_config__fail(c, e, where,
			    "unknown gateway response type (see "
			    "docs/configuration.md)");
		r = &cfg->responses[type];
		if (lb_config__parse_group(c, e, where,
		        lb_config__response_fields, lb_config__nresponse_fields,
		        r) < 0)
			return -1;
		r->set = 1;
	}
	return 0;
}

int
lb_config__check_cors(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg)
{
	const config_setting_t *s = config_setting_get_member(g, "cors");
	struct lb_cors *cors = &cfg->cors;

	if (cfg->api != LB_API_HTTP)
		return lb_config__fail(c, s, "gateway.cors",
		    "only HTTP APIs have a CORS configuration (a REST API "
		    "answers preflights with an OPTIONS route: see "
		    "docs/configuration.md)");
	for (size_t i = 0; cors->allow_credentials && i < cors->nallow_origins;
	     i++)
		if (strcmp(cors->allow_origins[i], "*") == 0)
			return lb_config__fail(c,
			    lb_config__member_or(s, "allow_credentials"),
			    "gateway.cors.allow_credentials",
			    "allow-credentials is not supported if "
			    "'allow-origin' is * (as API Gateway says)");
	if (lb_cors_prepare(cors) < 0)
		return lb_config__fail(c, s, "gateway.cors", "out of memory");
	return 0;
}

/* Whether two keys share what must be unique: 0, or the clash's name. */
static const char *
key_clash(const struct lb_api_key *a, const struct lb_api_key *b)
{
	if (strcmp(a->name, b->name) == 0)
		return "name";
	if (strcmp(a->value, b->value) == 0)
		return "value";
	if (strcmp(a->id, b->id) == 0)
		return "id";
	return NULL;
}

/* api_keys: REST APIs only (an HTTP API has none, as on AWS). */
int
lb_config__load_api_keys(struct lb_config__ctx *c, const config_setting_t *list,
    struct lb_config *cfg)
{
	char where[64];
	int len;

	if (lb_config__want_type(c, list, "api_keys", CONFIG_TYPE_LIST) < 0)
		return -1;
	len = config_setting_length(list);
	if (len > 0 && cfg->api != LB_API_REST)
		return lb_config__fail(
		    c, list, "api_keys", "only REST APIs have API keys");
	if (len > 10000)
		return lb_config__fail(
		    c, list, "api_keys", "more than 10000 keys");
	cfg->api_keys =
	    calloc(len > 0 ? (size_t)len : 1, sizeof(*cfg->api_keys));
	if (cfg->api_keys == NULL)
		return lb_config__fail(c, list, "api_keys", "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *ks = config_setting_get_elem(list, i);
		struct lb_api_key *k = &cfg->api_keys[i];
		char id[11];

		cfg->napi_keys = (size_t)i + 1;
		k->enabled = 1;
		k->throttle = lb_config__no_throttle;
		k->quota_limit = -1;
		k->line = (int)config_setting_source_line(ks);
		lb_config__setpath(where, sizeof(where), "api_keys[%d]", i);
		if (lb_config__parse_group(c, ks, where,
		        lb_config__api_key_fields, lb_config__napi_key_fields,
		        k) < 0)
			return -1;
		lb_config__setpath(where, sizeof(where), "api_keys[%d].", i);
		if (lb_config__throttle_pair(c, ks, where, "", &k->throttle) <
		    0)
			return -1;
		if (lb_config__check_pair(c, ks, where, "quota_limit",
		        k->quota_limit >= 0, "quota_period",
		        k->quota_period_name != NULL) < 0)
			return -1;
		if (k->quota_period_name != NULL)
			k->quota_period = k->quota_period_name[0] == 'D'
			    ? LB_QUOTA_DAY
			    : k->quota_period_name[0] == 'W' ? LB_QUOTA_WEEK
			                                     : LB_QUOTA_MONTH;
		if (k->id == NULL) {
			lb_config__derive_api_id(k->name, id);
			if ((k->id = strdup(id)) == NULL)
				return lb_config__fail(
				    c, ks, where, "out of memory");
		}
		for (int j = 0; j < i; j++) {
			const char *what = key_clash(&cfg->api_keys[j], k);

			if (what == NULL)
				continue;
			lb_config__setpath(
			    where, sizeof(where), "api_keys[%d].%s", i, what);
			return lb_config__fail(c,
			    lb_config__member_or(ks, what), where,
			    "the same as api_keys[%d]'s (line %d)", j,
			    cfg->api_keys[j].line);
		}
	}
	return 0;
}

int
lb_config__load_routes(struct lb_config__ctx *c, const config_setting_t *list,
    struct lb_config *cfg)
{
	char where[64], why[512];
	struct lb_router *router;
	size_t bad;
	int len, failed = 0;

	if (lb_config__want_type(c, list, "routes", CONFIG_TYPE_LIST) < 0)
		return -1;
	len = config_setting_length(list);
	cfg->routes = calloc(len > 0 ? (size_t)len : 1, sizeof(*cfg->routes));
	if (cfg->routes == NULL)
		return lb_config__fail(c, list, "routes", "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *rs = config_setting_get_elem(list, i);
		struct lb_route *r = &cfg->routes[i];
		struct lb_config__route_src src = { .throttle = { -1, -1 } };
		char prefix[48];
		int fn, rc = -1;

		cfg->nroutes = (size_t)i + 1;
		r->line = (int)config_setting_source_line(rs);
		lb_config__setpath(where, sizeof(where), "routes[%d]", i);
		if (lb_config__parse_group(c, rs, where,
		        lb_config__route_fields, lb_config__nroute_fields,
		        &src) < 0)
			goto next;
		lb_config__setpath(prefix, sizeof(prefix), "routes[%d].", i);
		if (lb_config__throttle_pair(c, rs, prefix, "", &src.throttle) <
		    0)
			goto next;
		r->throttle =
		    src.throttle.rate >= 0 ? src.throttle : cfg->throttle;
		r->api_key_required = src.api_key_required;
		if (r->api_key_required && cfg->api != LB_API_REST) {
			lb_config__setpath(where, sizeof(where),
			    "routes[%d].api_key_required", i);
			lb_config__fail(c,
			    config_setting_get_member(rs, "api_key_required"),
			    where, "only REST APIs have API keys");
			goto next;
		}
		r->key = src.route;
		src.route = NULL;
		lb_config__setpath(where, sizeof(where), "routes[%d].route", i);
		if (lb_router_parse_key(
		        r->key, &r->method, &r->path, why, sizeof(why)) < 0) {
			lb_config__fail(c,
			    config_setting_get_member(rs, "route"), where, "%s",
			    why);
			goto next;
		}
		lb_config__setpath(
		    where, sizeof(where), "routes[%d].function", i);
		fn = lb_config_function_index(cfg, src.function);
		if (fn < 0) {
			lb_config__fail(c,
			    config_setting_get_member(rs, "function"), where,
			    "no function named '%s'", src.function);
			goto next;
		}
		r->function = (size_t)fn;
		if (lb_config__route_authorizer(c, rs, i, &src, cfg, r) < 0)
			goto next;
		r->payload_format = src.payload_format != 0
		    ? src.payload_format
		    : cfg->payload_format;
		if (cfg->api == LB_API_REST && r->payload_format != 1) {
			lb_config__setpath(where, sizeof(where),
			    "routes[%d].payload_format", i);
			lb_config__fail(c,
			    config_setting_get_member(rs, "payload_format"),
			    where,
			    "REST APIs support only payload format \"1.0\"");
			goto next;
		}
		rc = 0;
	next:
		free(src.route);
		free(src.function);
		free(src.authorizer);
		for (size_t j = 0; j < src.nscopes; j++)
			free(src.scopes[j]);
		free(src.scopes);
		/* collecting every error, the next route too */
		if (rc < 0 && !LB_CONFIG__COLLECTING(c))
			return -1;
		failed |= rc < 0;
	}
	if (failed)
		return -1;
	/* conflicts (same method and template) are the router's to find */
	router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, why, sizeof(why));
	if (router == NULL) {
		const config_setting_t *rs =
		    config_setting_get_elem(list, (unsigned)bad);

		lb_config__setpath(
		    where, sizeof(where), "routes[%zu].route", bad);
		return lb_config__fail(c,
		    config_setting_get_member(rs, "route"), where, "%s", why);
	}
	lb_router_free(router);
	return 0;
}
