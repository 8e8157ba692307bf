/*
 * authorizer.c - a Lambda authorizer's inputs and outputs: identity
 * sources, methodArn, events, cache keys, and requestContext.authorizer
 * (docs/authorizers.md).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/authorizer.h"
#include "apigw/event.h"
#include "base/json.h"
#include "base/url.h"

void
lb_authorizer_identity_clear(struct lb_authorizer_identity *id)
{
	for (size_t i = 0; i < id->n; i++)
		free(id->values[i]);
	memset(id, 0, sizeof(*id));
}

/* A header's first value by its lowercase name, from the CGI params. */
static const char *
header(const struct lb_http_request *req, const char *name)
{
	char cgi[300];
	size_t n = 0;

	if (strcmp(name, "content-type") == 0)
		return lb_http_param(req, "CONTENT_TYPE");
	if (strcmp(name, "content-length") == 0)
		return lb_http_param(req, "CONTENT_LENGTH");
	memcpy(cgi, "HTTP_", 5);
	for (const char *p = name; *p != '\0' && n + 6 < sizeof(cgi); p++)
		cgi[5 + n++] = *p == '-'     ? '_'
		    : *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A')
		                             : *p;
	cgi[5 + n] = '\0';
	return lb_http_param(req, cgi);
}

/* The last value of query parameter `name` (decoded, '+' a space), as a
 * new string; NULL when absent (or out of memory: *oom set). */
static char *
query_value(const char *query, const char *name, int rest, int *oom)
{
	int flags = LB_URL_PLUS | (rest ? LB_URL_SEMICOLON : 0);
	const char *cur = query, *end;
	struct lb_url_pair p;
	char *found = NULL;

	if (query == NULL)
		return NULL;
	end = query + strlen(query);
	while (lb_url_query_next(&cur, end, flags, &p)) {
		char *k = malloc(p.key_len + 1), *v;
		size_t klen;

		if (k == NULL) {
			*oom = 1;
			break;
		}
		klen = lb_url_decode(p.key, p.key_len, k, LB_URL_PLUS);
		k[klen] = '\0';
		if (klen != strlen(name) || memcmp(k, name, klen) != 0) {
			free(k);
			continue;
		}
		free(k);
		if ((v = malloc(p.value_len + 1)) == NULL) {
			*oom = 1;
			break;
		}
		v[lb_url_decode(p.value, p.value_len, v,
		    LB_URL_PLUS | LB_URL_KEEP_NUL)] = '\0';
		free(found);
		found = v;
	}
	return found;
}

/* The value of context variable `name` (config_authorizers.c's list). */
static const char *
context_value(const struct lb_authorizer_input *in, const char *name, char *buf,
    size_t len)
{
	const struct lb_config *cfg = in->cfg;
	const struct lb_route *r = in->match->route;
	const char *v;

	if (strcmp(name, "httpMethod") == 0)
		return in->req->method;
	if (strcmp(name, "path") == 0) {
		snprintf(buf, len, "%.*s", (int)in->path_len, in->path);
		return buf;
	}
	if (strcmp(name, "resourcePath") == 0)
		return r->path != NULL ? r->path : "$default";
	if (strcmp(name, "routeKey") == 0)
		return r->key != NULL ? r->key : "$default";
	if (strcmp(name, "stage") == 0)
		return cfg->stage;
	if (strcmp(name, "apiId") == 0)
		return cfg->api_id;
	if (strcmp(name, "accountId") == 0)
		return cfg->account_id;
	if (strcmp(name, "domainName") == 0) {
		v = cfg->domain_name != NULL ? cfg->domain_name
		                             : header(in->req, "host");
		return v != NULL ? v : "localhost";
	}
	if (strcmp(name, "identity.sourceIp") == 0)
		return lb_http_param(in->req, "REMOTE_ADDR");
	if (strcmp(name, "identity.userAgent") == 0)
		return header(in->req, "user-agent");
	return NULL;
}

int
lb_authorizer_identity(
    const struct lb_authorizer_input *in, struct lb_authorizer_identity *id)
{
	const struct lb_authorizer *a = in->a;
	int rest = in->cfg->api == LB_API_REST;
	char buf[2048];

	for (size_t i = 0; i < a->nidentity && i < LB_AUTHORIZER_MAX_IDENTITY;
	     i++) {
		const struct lb_identity_source *s = &a->identity[i];
		const char *v = NULL;
		char *copy = NULL;
		int oom = 0;

		switch (s->kind) {
		case LB_IDENTITY_HEADER: v = header(in->req, s->name); break;
		case LB_IDENTITY_QUERY:
			copy = query_value(in->query, s->name, rest, &oom);
			if (oom)
				return -1;
			break;
		case LB_IDENTITY_STAGE_VARIABLE:
			for (size_t j = 0; j < in->cfg->nstage_variables; j++)
				if (strcmp(in->cfg->stage_variables[j].key,
				        s->name) == 0)
					v = in->cfg->stage_variables[j].value;
			break;
		case LB_IDENTITY_CONTEXT:
			v = context_value(in, s->name, buf, sizeof(buf));
			break;
		}
		if (copy == NULL && v != NULL && (copy = strdup(v)) == NULL)
			return -1;
		if (copy == NULL || copy[0] == '\0') {
			free(copy);
			return 1;
		}
		id->values[id->n++] = copy;
	}
	if (a->type == LB_AUTHORIZER_TOKEN && a->validation_re != NULL &&
	    (id->n == 0 ||
	        regexec(a->validation_re, id->values[0], 0, NULL, 0) != 0))
		return 1;
	return 0;
}

char *
lb_authorizer_arn(const struct lb_config *cfg, const char *method,
    const char *path, size_t path_len)
{
	char *s;

	if (path_len > 0 && path[0] == '/') {
		path++;
		path_len--;
	}
	if (asprintf(&s, "arn:aws:execute-api:%s:%s:%s/%s/%s/%.*s", cfg->region,
	        cfg->account_id, cfg->api_id, cfg->stage, method, (int)path_len,
	        path) < 0)
		return NULL;
	return s;
}

static void
put_lit(struct lb_jbuf *jb, const char *s)
{
	lb_jbuf_put(jb, s, strlen(s));
}

/* A JSON string of bytes that may not be UTF-8 (U+FFFD for those). */
static void
put_string(struct lb_jbuf *jb, const char *s)
{
	size_t len = strlen(s);
	char *d;

	if (lb_url_utf8_valid(s, len)) {
		lb_jbuf_string(jb, s, len);
		return;
	}
	if ((d = malloc(len * 3 + 1)) == NULL) {
		jb->oom = 1;
		return;
	}
	lb_jbuf_string(jb, d, lb_url_utf8_sanitize(s, len, d));
	free(d);
}

char *
lb_authorizer_event(const struct lb_authorizer_input *in,
    const struct lb_authorizer_identity *id, const char *arn, size_t *len,
    char *err, size_t errlen)
{
	struct lb_event_input ev;
	struct lb_route route;
	struct lb_router_match match;
	char *s;

	if (in->a->type == LB_AUTHORIZER_TOKEN) {
		struct lb_jbuf jb = { 0 };

		put_lit(&jb, "{\"type\":\"TOKEN\",\"authorizationToken\":");
		put_string(&jb, id->n > 0 ? id->values[0] : "");
		put_lit(&jb, ",\"methodArn\":");
		put_string(&jb, arn);
		lb_jbuf_put(&jb, "}", 1);
		s = lb_jbuf_finish(&jb, len);
		if (s == NULL)
			snprintf(err, errlen, "out of memory");
		return s;
	}
	/* the proxy event's builder, in the authorizer's payload format */
	route = *in->match->route;
	route.payload_format = in->a->payload_format;
	match = *in->match;
	match.route = &route;
	memset(&ev, 0, sizeof(ev));
	ev.cfg = in->cfg;
	ev.req = in->req;
	ev.match = &match;
	ev.path = in->path;
	ev.path_len = in->path_len;
	ev.query = in->query;
	ev.request_id = in->request_id;
	ev.short_id = in->short_id;
	ev.trace_id = in->trace_id;
	ev.time_ms = in->time_ms;
	ev.authorizer_event = 1;
	ev.method_arn = arn;
	ev.identity = (const char *const *)id->values;
	ev.nidentity = id->n;
	return lb_event_build_text(&ev, len, err, errlen);
}

char *
lb_authorizer_cache_key(const struct lb_authorizer_identity *id, size_t *len)
{
	struct lb_jbuf jb = { 0 };

	/* a JSON array of the values: unambiguous */
	lb_jbuf_put(&jb, "[", 1);
	for (size_t i = 0; i < id->n; i++) {
		if (i > 0)
			lb_jbuf_put(&jb, ",", 1);
		lb_jbuf_string(&jb, id->values[i], strlen(id->values[i]));
	}
	lb_jbuf_put(&jb, "]", 1);
	return lb_jbuf_finish(&jb, len);
}

enum lb_policy_mode
lb_authorizer_mode(const struct lb_config *cfg, const struct lb_authorizer *a)
{
	if (cfg->api == LB_API_REST)
		return LB_POLICY_IAM_REST;
	return a->simple_responses ? LB_POLICY_SIMPLE : LB_POLICY_IAM_HTTP;
}

char *
lb_authorizer_context(const struct lb_policy *p, int payload_format,
    int64_t latency_ms, size_t *len)
{
	struct lb_jbuf jb = { 0 };
	const char *ctx = p->context;
	size_t n = ctx != NULL ? strlen(ctx) : 0;

	if (payload_format == 2) {
		put_lit(&jb, "{\"lambda\":");
		if (ctx != NULL)
			lb_jbuf_put(&jb, ctx, n);
		else
			lb_jbuf_put(&jb, "{}", 2);
		lb_jbuf_put(&jb, "}", 1);
		return lb_jbuf_finish(&jb, len);
	}
	/* the context's members, then principalId and integrationLatency */
	lb_jbuf_put(&jb, "{", 1);
	if (n > 2) {
		lb_jbuf_put(&jb, ctx + 1, n - 2);
		lb_jbuf_put(&jb, ",", 1);
	}
	if (p->principal_id != NULL) {
		put_lit(&jb, "\"principalId\":");
		put_string(&jb, p->principal_id);
		lb_jbuf_put(&jb, ",", 1);
	}
	put_lit(&jb, "\"integrationLatency\":");
	lb_jbuf_i64(&jb, latency_ms);
	lb_jbuf_put(&jb, "}", 1);
	return lb_jbuf_finish(&jb, len);
}
