/*
 * event.c - the API Gateway proxy event, payload 1.0 and 2.0
 * (docs/apigw-facts.md sections 1 and 2; the choices FastCGI forces are in
 * docs/events.md).
 *
 * Every string that comes from the request goes through jstr(): bytes that
 * are not UTF-8 are replaced with U+FFFD so the event is always valid JSON,
 * and strings are built with their length so NUL bytes survive.  Scratch
 * buffers live in the per-call builder: no globals, no per-request state
 * outside the call.
 *
 * The event is built as a JSON tree in one arena (base/jtree.h), then
 * either written out as JSON text directly (lb_event_build_text: the
 * gateway's hot path, no per-node allocation) or turned into json-c
 * objects (lb_event_build: `lambdabridge event` and the tests).  Both give
 * the same JSON: keys in insertion order, a repeated dynamic key replacing
 * the value in place, strings escaped as json-c escapes them.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "base/b64.h"
#include "apigw/event.h"
#include "apigw/headers.h"
#include "base/json.h"
#include "base/jtree.h"
#include "apigw/media.h"
#include "base/url.h"

/* A scratch buffer: a small inline area, a heap one when that is short. */
struct buf {
	char *heap;
	size_t cap;
	char small[512];
};

/* The state of one lb_event_build call. */
struct bld {
	const struct lb_event_input *in;
	const struct lb_config *cfg;
	const struct lb_http_request *req;
	const struct lb_route *route;
	int rest;              /* REST API (else HTTP API) */
	struct lb_arena arena; /* the tree; arena.oom: something failed */
	struct lb_headers hdr;
	const char *path; /* stage-less raw path */
	size_t path_len;
	const char *full; /* raw path with the stage, as requested */
	size_t full_len;
	char *full_heap; /* owned, when full had to be rebuilt */
	const char *stage;
	const char *api_id;
	char api_id_buf[16];
	const char *content_type;
	const char *user_agent;
	const char *source_ip;
	const char *protocol;
	struct buf key, val, san, tmp;
	struct lb_http_request req_copy;
};

/* n bytes from the build's arena (NULL sets oom). */
static void *
alloc(struct bld *b, size_t n)
{
	return lb_arena_alloc(&b->arena, n);
}

static char *
buf_get(struct bld *b, struct buf *s, size_t n)
{
	char *p;

	if (n <= sizeof(s->small))
		return s->small;
	if (n <= s->cap)
		return s->heap;
	p = realloc(s->heap, n);
	if (p == NULL) {
		b->arena.oom = 1;
		return NULL;
	}
	s->heap = p;
	s->cap = n;
	return p;
}

static void
buf_free(struct buf *s)
{
	free(s->heap);
	s->heap = NULL;
	s->cap = 0;
}

/* A JSON string of bytes that are known to be UTF-8, not copied: s must
 * outlive the build. */
static struct lb_jnode *
jborrow(struct bld *b, const char *s, size_t len)
{
	return lb_jtree_str(&b->arena, s, len);
}

/* The same, copied into the build's arena. */
static struct lb_jnode *
jraw(struct bld *b, const char *s, size_t len)
{
	return lb_jtree_str_copy(&b->arena, s, len);
}

/* A JSON string of request bytes: invalid UTF-8 becomes U+FFFD. */
static struct lb_jnode *
jstr(struct bld *b, const char *s, size_t len)
{
	char *d;

	if (lb_url_utf8_valid(s, len))
		return jraw(b, s, len);
	if (len > SIZE_MAX / 3 || (d = buf_get(b, &b->san, len * 3)) == NULL) {
		b->arena.oom = 1;
		return NULL;
	}
	return jraw(b, d, lb_url_utf8_sanitize(s, len, d));
}

static struct lb_jnode *
jcstr(struct bld *b, const char *s)
{
	return jstr(b, s, strlen(s));
}

/*
 * An object key from request bytes, NUL-terminated in `s`: valid UTF-8, and
 * NUL-free (json-c keys are C strings; callers never pass NULs).
 */
static const char *
jkey(struct bld *b, struct buf *s, const char *k, size_t len)
{
	char *d;

	if (len > SIZE_MAX / 3 - 1 ||
	    (d = buf_get(b, s, len * 3 + 1)) == NULL) {
		b->arena.oom = 1;
		return NULL;
	}
	if (lb_url_utf8_valid(k, len)) {
		memmove(d, k, len);
		d[len] = '\0';
	} else {
		d[lb_url_utf8_sanitize(k, len, d)] = '\0';
	}
	return d;
}

/* The tree calls on the build's arena (jtree.h says what each does). */
static void
put(struct bld *b, struct lb_jnode *obj, const char *key, struct lb_jnode *val)
{
	lb_jtree_put(&b->arena, obj, key, val);
}

static void
put_null(struct bld *b, struct lb_jnode *obj, const char *key)
{
	lb_jtree_put_null(&b->arena, obj, key);
}

static void
put_dyn(
    struct bld *b, struct lb_jnode *obj, const char *key, struct lb_jnode *val)
{
	lb_jtree_put_dyn(&b->arena, obj, key, val);
}

static struct lb_jnode *
new_obj(struct bld *b)
{
	return lb_jtree_new(&b->arena, LB_JTREE_OBJ);
}

static struct lb_jnode *
new_arr(struct bld *b)
{
	return lb_jtree_new(&b->arena, LB_JTREE_ARR);
}

static void
arr_add(struct bld *b, struct lb_jnode *arr, struct lb_jnode *val)
{
	lb_jtree_push(&b->arena, arr, val);
}

/*
 * Percent-decodes (flags: LB_URL_PLUS or 0) into `s`.  A NUL byte cannot be
 * in a key (json-c keys are C strings), so with `nul_raw` "%00" stays as
 * is.  Sets *out and returns the length; the result is not yet UTF-8
 * checked.
 */
static size_t
decode(struct bld *b, struct buf *s, const char *src, size_t len, int flags,
    int nul_raw, const char **out)
{
	char *d;

	*out = src;
	if (nul_raw)
		flags |= LB_URL_KEEP_NUL;
	if (!lb_url_needs_decode(src, len, flags))
		return len;
	if ((d = buf_get(b, s, len + 1)) == NULL)
		return 0;
	*out = d;
	return lb_url_decode(src, len, d, flags);
}

static int
is_named_stage(const char *stage)
{
	return stage != NULL && *stage != '\0' &&
	    strcmp(stage, "$default") != 0;
}

int
lb_event_split_uri(
    const char *uri, const char **path, size_t *path_len, const char **query)
{
	const char *p = uri;

	*path = NULL;
	*path_len = 0;
	*query = NULL;
	if (uri == NULL || *uri == '\0')
		return -1;
	if (*p != '/') {
		/* absolute-form "scheme://authority/path" (Apache passes it) */
		const char *s = strstr(uri, "://");

		if (s == NULL || s == uri)
			return -1;
		for (const char *c = uri; c < s; c++)
			if (!((*c >= 'a' && *c <= 'z') ||
			        (*c >= 'A' && *c <= 'Z') ||
			        (c > uri &&
			            ((*c >= '0' && *c <= '9') || *c == '+' ||
			                *c == '-' || *c == '.'))))
				return -1;
		p = s + 3 + strcspn(s + 3, "/?#");
		if (*p != '/')
			return -1;
	}
	*path = p;
	*path_len = strcspn(p, "?");
	if (p[*path_len] == '?' && p[*path_len + 1] != '\0')
		*query = p + *path_len + 1;
	return 0;
}

int
lb_event_locate(const struct lb_config *cfg, const char *uri, const char **path,
    size_t *path_len, const char **query)
{
	const char *stage = cfg != NULL ? cfg->stage : NULL, *p;
	size_t slen, len;

	if (lb_event_split_uri(uri, path, path_len, query) != 0)
		return -1;
	if (!is_named_stage(stage))
		return 0;
	p = *path;
	len = *path_len;
	slen = strlen(stage);
	if (len < 1 + slen || memcmp(p + 1, stage, slen) != 0 ||
	    (len > 1 + slen && p[1 + slen] != '/'))
		return -1;
	if (len == 1 + slen) {
		*path = "/";
		*path_len = 1;
		return 0;
	}
	p += 1 + slen;
	len -= 1 + slen;
	/* "/stage//x" routes as "/x" (docs/apigw-facts.md 1.4) */
	while (len > 1 && p[1] == '/') {
		p++;
		len--;
	}
	*path = p;
	*path_len = len;
	return 0;
}

/* --- shared pieces ------------------------------------------------------ */

/* Last value of header `name`, or NULL. */
static const char *
header_last(const struct lb_headers *h, const char *name)
{
	size_t i = lb_headers_find(h, name);

	return i == LB_HEADERS_NONE ? NULL : h->v[h->v[i].last].value;
}

static const char *
header_first(const struct lb_headers *h, const char *name)
{
	size_t i = lb_headers_find(h, name);

	return i == LB_HEADERS_NONE ? NULL : h->v[i].value;
}

static const char *
param_nonempty(const struct lb_http_request *req, const char *name)
{
	const char *v = lb_http_param(req, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* 6 (or n) lowercase alphanumerics derived from a string: stable ids. */
static void
derive_id(const char *a, const char *c, char *out, size_t n)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t h = 1469598103934665603ULL;

	for (const char *s = a; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *s = c; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = alnum[h % 36];
		h /= 36;
		if (h == 0)
			h = 0x9e3779b97f4a7c15ULL ^ i;
	}
	out[n] = '\0';
}

/* "10/Jul/2026:19:19:04 +0000", locale-independent, UTC. */
static void
format_time(int64_t ms, char *out, size_t len)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(out, len, "01/Jan/1970:00:00:00 +0000");
		return;
	}
	if (len < sizeof("01/Jan/1970:00:00:00 +0000") || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		snprintf(out, len, "01/Jan/1970:00:00:00 +0000");
		return;
	}
	/* by hand: snprintf costs more than the rest of the event's fields */
	{
		int y = tm.tm_year + 1900;
		char *o = out;

		*o++ = (char)('0' + tm.tm_mday / 10);
		*o++ = (char)('0' + tm.tm_mday % 10);
		*o++ = '/';
		memcpy(o, months[tm.tm_mon], 3);
		o += 3;
		*o++ = '/';
		*o++ = (char)('0' + y / 1000);
		*o++ = (char)('0' + y / 100 % 10);
		*o++ = (char)('0' + y / 10 % 10);
		*o++ = (char)('0' + y % 10);
		for (int i = 0; i < 3; i++) {
			int v = i == 0 ? tm.tm_hour
			    : i == 1   ? tm.tm_min
			               : tm.tm_sec;

			*o++ = ':';
			*o++ = (char)('0' + v / 10);
			*o++ = (char)('0' + v % 10);
		}
		memcpy(o, " +0000", 7);
	}
}

/* Length of a host name without its ":port" (IPv6 literals kept whole). */
static size_t
host_len(const char *d)
{
	if (*d == '[') {
		const char *e = strchr(d, ']');

		return e != NULL ? (size_t)(e - d + 1) : strlen(d);
	}
	return strcspn(d, ":");
}

/*
 * domainName: the configured one, else the Host (SERVER_NAME, "localhost")
 * without a port: a DNS name, as on AWS.  Sets *len.
 */
static const char *
domain_name(const struct bld *b, size_t *len)
{
	const char *d = b->cfg->domain_name;

	if (d == NULL || *d == '\0')
		d = header_first(&b->hdr, "host");
	if (d == NULL || *d == '\0')
		d = param_nonempty(b->req, "SERVER_NAME");
	if (d == NULL || *d == '\0' || host_len(d) == 0)
		d = "localhost";
	*len = host_len(d);
	return d;
}

/* domainPrefix: the first label (an IPv6 literal or a port ends it too). */
static size_t
domain_prefix_len(const char *d, size_t len)
{
	size_t n;

	if (*d == '[')
		return len;
	n = strcspn(d, ".:");
	return n < len ? n : len;
}

static void
put_common_context(struct bld *b, struct lb_jnode *rc)
{
	size_t dlen;
	const char *dn = domain_name(b, &dlen), *acct = b->cfg->account_id;

	if (acct == NULL || *acct == '\0')
		acct = "123456789012";
	put(b, rc, "accountId", jcstr(b, acct));
	put(b, rc, "apiId", jcstr(b, b->api_id));
	put(b, rc, "domainName", jstr(b, dn, dlen));
	put(b, rc, "domainPrefix", jstr(b, dn, domain_prefix_len(dn, dlen)));
}

/*
 * Can the body go into the event as a JSON string without changing a byte?
 * Any well-formed UTF-8 can (a NUL byte becomes "\u0000", as on AWS).
 */
static int
body_is_text(const char *body, size_t len)
{
	return lb_url_utf8_valid(body, len);
}

/* HTTP API: text content types (docs/apigw-facts.md 2.6); everything else is
 * binary. */
static int
http_api_text_type(const char *ct)
{
	static const char *const text[] = { "application/json",
		"application/xml", "application/javascript", NULL };
	size_t len;

	ct = lb_media_essence(ct, &len);
	if (len > 5 && strncasecmp(ct, "text/", 5) == 0)
		return 1;
	for (size_t i = 0; text[i] != NULL; i++)
		if (strlen(text[i]) == len &&
		    strncasecmp(ct, text[i], len) == 0)
			return 1;
	return 0;
}

/* Adds body (or null/omitted when empty) and isBase64Encoded. */
static void
put_body(struct bld *b, struct lb_jnode *ev, int v2)
{
	const char *body = b->req->body;
	size_t len = b->req->body_len;
	int binary;
	struct lb_jnode *o;

	if (body == NULL || len == 0) {
		if (!v2)
			put_null(b, ev, "body");
		put(b, ev, "isBase64Encoded", lb_jtree_bool(&b->arena, 0));
		return;
	}
	if (b->rest)
		binary = lb_media_match(b->content_type,
		    b->cfg->binary_media_types, b->cfg->nbinary_media_types);
	else
		binary = !http_api_text_type(b->content_type);
	/* never corrupt bytes: what JSON text cannot carry goes base64 */
	if (!binary && !body_is_text(body, len))
		binary = 1;
	if (binary) {
		/* encoded as the text is written: straight into the frame */
		o = lb_jtree_b64(&b->arena, body, len);
	} else {
		/* the request's body outlives the build: no copy */
		o = jborrow(b, body, len);
	}
	put(b, ev, "body", o);
	put(b, ev, "isBase64Encoded", lb_jtree_bool(&b->arena, binary));
}

static void
put_stage_variables(struct bld *b, struct lb_jnode *ev, int v2)
{
	struct lb_jnode *sv;

	if (b->cfg->nstage_variables == 0) {
		if (!v2)
			put_null(b, ev, "stageVariables");
		return;
	}
	sv = new_obj(b);
	for (size_t i = 0; i < b->cfg->nstage_variables; i++) {
		const struct lb_kv *kv = &b->cfg->stage_variables[i];

		put_dyn(b, sv, jkey(b, &b->key, kv->key, strlen(kv->key)),
		    jcstr(b, kv->value));
	}
	put(b, ev, "stageVariables", sv);
}

/*
 * pathParameters: REST keeps the raw values (docs/apigw-facts.md 1.4), the HTTP
 * API decodes them like its paths (docs/apigw-facts.md 2.5; "%00" stays as is).
 */
static void
put_path_parameters(struct bld *b, struct lb_jnode *ev, int v2)
{
	const struct lb_router_match *m = b->in->match;
	struct lb_jnode *pp;

	if (m->nparams == 0) {
		if (!v2)
			put_null(b, ev, "pathParameters");
		return;
	}
	pp = new_obj(b);
	for (size_t i = 0; i < m->nparams && i < LB_ROUTER_MAX_PARAMS; i++) {
		const struct lb_router_param *p = &m->params[i];
		const char *v = p->value != NULL ? p->value : "";
		size_t len = p->value != NULL ? p->value_len : 0;

		if (!b->rest)
			len = decode(b, &b->val, v, len, 0, 1, &v);
		put_dyn(b, pp, jkey(b, &b->key, p->name, p->name_len),
		    jstr(b, v, len));
	}
	put(b, ev, "pathParameters", pp);
}

/*
 * Parses the query into an object of arrays (every value, in order), keys
 * and values decoded with '+' as a space.  Returns NULL when there is no
 * query or no pair in it.  REST also splits on ';' (docs/apigw-facts.md 1.3).
 */
static struct lb_jnode *
query_multi(struct bld *b)
{
	const char *q = b->in->query, *end;
	int flags = LB_URL_PLUS | (b->rest ? LB_URL_SEMICOLON : 0);
	struct lb_url_pair p;
	struct lb_jnode *mv = NULL;

	if (q == NULL)
		return NULL;
	end = q + strlen(q);
	while (!b->arena.oom && lb_url_query_next(&q, end, flags, &p)) {
		const char *k, *v, *key;
		size_t klen, vlen;
		struct lb_jnode *arr;
		struct lb_jitem *it;

		if (mv == NULL && (mv = new_obj(b)) == NULL)
			return NULL;
		klen = decode(b, &b->tmp, p.key, p.key_len, LB_URL_PLUS, 1, &k);
		key = jkey(b, &b->key, k, klen);
		vlen = decode(
		    b, &b->val, p.value, p.value_len, LB_URL_PLUS, 0, &v);
		if (key == NULL)
			break;
		if ((it = lb_jtree_find(mv, key)) != NULL) {
			arr_add(b, it->val, jstr(b, v, vlen));
			continue;
		}
		arr = new_arr(b);
		arr_add(b, arr, jstr(b, v, vlen));
		put_dyn(b, mv, key, arr);
	}
	return mv;
}

/* --- payload 1.0 -------------------------------------------------------- */

static void
put_headers_v1(struct bld *b, struct lb_jnode *ev)
{
	struct lb_jnode *single, *multi;

	if (b->hdr.n == 0) {
		put_null(b, ev, "headers");
		put_null(b, ev, "multiValueHeaders");
		return;
	}
	single = new_obj(b);
	multi = new_obj(b);
	for (size_t i = 0; i < b->hdr.n && !b->arena.oom; i++) {
		const struct lb_headers_entry *e = &b->hdr.v[i];
		struct lb_jnode *arr, *last = NULL;
		const char *key;

		if (!e->first)
			continue;
		if (b->rest) {
			char *t = buf_get(b, &b->tmp, e->name_len + 1);

			if (t == NULL)
				break;
			lb_headers_title_case(e->name, e->name_len, t);
			key = jkey(b, &b->key, t, e->name_len);
		} else {
			key = jkey(b, &b->key, e->name, e->name_len);
		}
		arr = new_arr(b);
		for (size_t j = i; j != LB_HEADERS_NONE; j = b->hdr.v[j].next) {
			last =
			    jstr(b, b->hdr.v[j].value, b->hdr.v[j].value_len);
			arr_add(b, arr, last);
		}
		/* the single-value map shares the last value's string */
		put_dyn(b, single, key, b->arena.oom ? NULL : last);
		put_dyn(b, multi, key, arr);
	}
	put(b, ev, "headers", single);
	put(b, ev, "multiValueHeaders", multi);
}

static void
put_query_v1(struct bld *b, struct lb_jnode *ev)
{
	struct lb_jnode *multi = query_multi(b), *single;

	if (multi == NULL) {
		put_null(b, ev, "queryStringParameters");
		put_null(b, ev, "multiValueQueryStringParameters");
		return;
	}
	single = new_obj(b);
	for (struct lb_jitem *m = multi->first; m != NULL; m = m->next)
		put_dyn(b, single, m->key,
		    m->val->last != NULL ? m->val->last->val : NULL);
	put(b, ev, "queryStringParameters", single);
	put(b, ev, "multiValueQueryStringParameters", multi);
}

/* An HTTP API path: decoded, except "%00" (a path holds no NUL). */
static struct lb_jnode *
decoded_path(struct bld *b, const char *p, size_t len)
{
	len = decode(b, &b->val, p, len, 0, 1, &p);
	return jstr(b, p, len);
}

static struct lb_jnode *
identity_v1(struct bld *b)
{
	static const char *const nulls[] = { "cognitoAuthenticationProvider",
		"cognitoAuthenticationType", "cognitoIdentityId",
		"cognitoIdentityPoolId", "principalOrgId", NULL };
	const struct lb_api_key *key = b->in->api_key;
	struct lb_jnode *id = new_obj(b);

	put_null(b, id, "accessKey");
	put_null(b, id, "accountId");
	/* only when the method requires an API key (docs/apigw-facts.md 1.8) */
	if (key != NULL) {
		put(b, id, "apiKey", jcstr(b, key->value));
		put(b, id, "apiKeyId", jcstr(b, key->id));
	}
	put_null(b, id, "caller");
	for (size_t i = 0; nulls[i] != NULL; i++)
		put_null(b, id, nulls[i]);
	put(b, id, "sourceIp", jcstr(b, b->source_ip));
	put_null(b, id, "user");
	if (b->user_agent != NULL)
		put(b, id, "userAgent", jcstr(b, b->user_agent));
	else
		put_null(b, id, "userAgent");
	put_null(b, id, "userArn");
	return id;
}

/* requestContext.authorizer, when an authorizer let the request in. */
static void
put_authorizer(struct bld *b, struct lb_jnode *rc)
{
	if (b->in->authorizer != NULL)
		put(b, rc, "authorizer",
		    lb_jtree_raw(
		        &b->arena, b->in->authorizer, b->in->authorizer_len));
}

/* The identity sources' values joined with "," (payload 1.0). */
static struct lb_jnode *
identity_joined(struct bld *b)
{
	const struct lb_event_input *in = b->in;
	size_t total = 1;
	char *d, *o;

	for (size_t i = 0; i < in->nidentity; i++)
		total += strlen(in->identity[i]) + 1;
	if ((d = alloc(b, total)) == NULL)
		return NULL;
	o = d;
	for (size_t i = 0; i < in->nidentity; i++) {
		size_t n = strlen(in->identity[i]);

		if (i > 0)
			*o++ = ',';
		memcpy(o, in->identity[i], n);
		o += n;
	}
	return jstr(b, d, (size_t)(o - d));
}

/* The head of a REQUEST authorizer's event (event.h). */
static void
put_authorizer_head(struct bld *b, struct lb_jnode *ev, int v2)
{
	const struct lb_event_input *in = b->in;
	const char *arn = in->method_arn != NULL ? in->method_arn : "";

	put(b, ev, "type", jborrow(b, "REQUEST", 7));
	put(b, ev, v2 ? "routeArn" : "methodArn", jcstr(b, arn));
	if (b->rest)
		return;
	if (v2) {
		struct lb_jnode *arr = new_arr(b);

		for (size_t i = 0; i < in->nidentity; i++)
			arr_add(b, arr, jcstr(b, in->identity[i]));
		put(b, ev, "identitySource", arr);
		return;
	}
	put(b, ev, "identitySource", identity_joined(b));
	put(b, ev, "authorizationToken", identity_joined(b));
}

static struct lb_jnode *
context_v1(struct bld *b, const char *resource)
{
	const struct lb_event_input *in = b->in;
	struct lb_jnode *rc = new_obj(b);
	char id[16], when[40];

	put_common_context(b, rc);
	put_authorizer(b, rc);
	if (b->rest) {
		derive_id(b->api_id, b->stage, id, 6);
		put(b, rc, "deploymentId", jcstr(b, id));
	}
	put(b, rc, "extendedRequestId", jcstr(b, in->short_id));
	put(b, rc, "httpMethod", jcstr(b, b->req->method));
	put(b, rc, "identity", identity_v1(b));
	if (b->rest)
		put(b, rc, "path", jstr(b, b->full, b->full_len));
	else
		put(b, rc, "path", decoded_path(b, b->full, b->full_len));
	put(b, rc, "protocol", jcstr(b, b->protocol));
	put(b, rc, "requestId",
	    jcstr(b, b->rest ? in->request_id : in->short_id));
	format_time(in->time_ms, when, sizeof(when));
	put(b, rc, "requestTime", jcstr(b, when));
	put(b, rc, "requestTimeEpoch", lb_jtree_int(&b->arena, in->time_ms));
	if (b->rest) {
		derive_id(resource, NULL, id, 6);
		put(b, rc, "resourceId", jcstr(b, id));
	} else {
		put_null(b, rc, "resourceId");
	}
	put(b, rc, "resourcePath", jcstr(b, resource));
	put(b, rc, "stage", jcstr(b, b->stage));
	return rc;
}

static struct lb_jnode *
build_v1(struct bld *b)
{
	struct lb_jnode *ev = new_obj(b);
	const char *resource =
	    b->route->path != NULL ? b->route->path : "$default";

	if (!b->rest)
		put(b, ev, "version", jborrow(b, "1.0", 3));
	if (b->in->authorizer_event)
		put_authorizer_head(b, ev, 0);
	put(b, ev, "resource", jcstr(b, resource));
	if (b->rest)
		put(b, ev, "path", jstr(b, b->path, b->path_len));
	else
		put(b, ev, "path", decoded_path(b, b->full, b->full_len));
	put(b, ev, "httpMethod", jcstr(b, b->req->method));
	put_headers_v1(b, ev);
	put_query_v1(b, ev);
	put_path_parameters(b, ev, 0);
	put_stage_variables(b, ev, 0);
	put(b, ev, "requestContext", context_v1(b, resource));
	if (!b->in->authorizer_event)
		put_body(b, ev, 0);
	return ev;
}

/* --- payload 2.0 -------------------------------------------------------- */

/* Joins the chain of header entry i with ",". */
static struct lb_jnode *
joined_header(struct bld *b, size_t i)
{
	const struct lb_headers_entry *e = &b->hdr.v[i];
	size_t total = 0;
	char *d, *o;

	if (e->count == 1)
		return jstr(b, e->value, e->value_len);
	for (size_t j = i; j != LB_HEADERS_NONE; j = b->hdr.v[j].next)
		total += b->hdr.v[j].value_len + 1;
	if ((d = buf_get(b, &b->tmp, total)) == NULL)
		return NULL;
	o = d;
	for (size_t j = i; j != LB_HEADERS_NONE; j = b->hdr.v[j].next) {
		if (o != d)
			*o++ = ',';
		memcpy(o, b->hdr.v[j].value, b->hdr.v[j].value_len);
		o += b->hdr.v[j].value_len;
	}
	return jstr(b, d, (size_t)(o - d));
}

/*
 * The next separator of cookie pairs in [s, end): ';', or ", " (Apache joins
 * repeated Cookie headers with ", "; a cookie value never holds ", "), or
 * NULL.
 */
static const char *
cookie_sep(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s == ';' || (*s == ',' && s + 1 < end && s[1] == ' '))
			return s;
	return NULL;
}

/*
 * cookies: every Cookie header split into its pairs, trimmed, values as sent
 * (docs/apigw-facts.md 2.3).
 */
static void
put_cookies(struct bld *b, struct lb_jnode *ev)
{
	size_t i = lb_headers_find(&b->hdr, "cookie");
	struct lb_jnode *arr = NULL;

	for (; i != LB_HEADERS_NONE; i = b->hdr.v[i].next) {
		const char *s = b->hdr.v[i].value;
		const char *end = s + b->hdr.v[i].value_len;

		while (s < end) {
			const char *e = cookie_sep(s, end);
			const char *a = s, *z = e != NULL ? e : end;

			while (a < z && (*a == ' ' || *a == '\t'))
				a++;
			while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
				z--;
			if (z > a) {
				if (arr == NULL)
					arr = new_arr(b);
				arr_add(b, arr, jstr(b, a, (size_t)(z - a)));
			}
			s = e != NULL ? e + 1 : end;
		}
	}
	if (arr != NULL)
		put(b, ev, "cookies", arr);
}

static void
put_headers_v2(struct bld *b, struct lb_jnode *ev)
{
	struct lb_jnode *h = new_obj(b);

	for (size_t i = 0; i < b->hdr.n && !b->arena.oom; i++) {
		const struct lb_headers_entry *e = &b->hdr.v[i];

		if (!e->first || strcmp(e->name, "cookie") == 0)
			continue;
		put_dyn(b, h, jkey(b, &b->key, e->name, e->name_len),
		    joined_header(b, i));
	}
	put(b, ev, "headers", h);
}

static void
put_query_v2(struct bld *b, struct lb_jnode *ev)
{
	struct lb_jnode *q = query_multi(b);

	if (q == NULL)
		return;
	for (struct lb_jitem *m = q->first; m != NULL && !b->arena.oom;
	     m = m->next) {
		struct lb_jnode *arr = m->val;
		size_t total = 0;
		char *d, *o;

		if (arr->count == 1) {
			m->val = arr->first->val;
			continue;
		}
		for (struct lb_jitem *it = arr->first; it != NULL;
		     it = it->next)
			total += it->val->len + 1;
		if ((d = alloc(b, total)) == NULL)
			break;
		o = d;
		for (struct lb_jitem *it = arr->first; it != NULL;
		     it = it->next) {
			if (it != arr->first)
				*o++ = ',';
			memcpy(o, it->val->str, it->val->len);
			o += it->val->len;
		}
		/* the joined values, in place of the list */
		m->val = jborrow(b, d, (size_t)(o - d));
	}
	put(b, ev, "queryStringParameters", q);
}

static struct lb_jnode *
context_v2(struct bld *b)
{
	const struct lb_event_input *in = b->in;
	struct lb_jnode *rc = new_obj(b), *http = new_obj(b);
	char when[40];

	put_common_context(b, rc);
	put_authorizer(b, rc);
	put(b, http, "method", jcstr(b, b->req->method));
	put(b, http, "path", decoded_path(b, b->full, b->full_len));
	put(b, http, "protocol", jcstr(b, b->protocol));
	put(b, http, "sourceIp", jcstr(b, b->source_ip));
	put(b, http, "userAgent",
	    jcstr(b, b->user_agent != NULL ? b->user_agent : ""));
	put(b, rc, "http", http);
	put(b, rc, "requestId", jcstr(b, in->short_id));
	put(b, rc, "routeKey",
	    jcstr(b, b->route->key != NULL ? b->route->key : "$default"));
	put(b, rc, "stage", jcstr(b, b->stage));
	format_time(in->time_ms, when, sizeof(when));
	put(b, rc, "time", jcstr(b, when));
	put(b, rc, "timeEpoch", lb_jtree_int(&b->arena, in->time_ms));
	return rc;
}

static struct lb_jnode *
build_v2(struct bld *b)
{
	struct lb_jnode *ev = new_obj(b);
	const char *q = b->in->query;

	put(b, ev, "version", jborrow(b, "2.0", 3));
	if (b->in->authorizer_event)
		put_authorizer_head(b, ev, 1);
	put(b, ev, "routeKey",
	    jcstr(b, b->route->key != NULL ? b->route->key : "$default"));
	put(b, ev, "rawPath", decoded_path(b, b->full, b->full_len));
	put(b, ev, "rawQueryString", q != NULL ? jcstr(b, q) : jraw(b, "", 0));
	put_cookies(b, ev);
	put_headers_v2(b, ev);
	put_query_v2(b, ev);
	put_path_parameters(b, ev, 1);
	put_stage_variables(b, ev, 1);
	put(b, ev, "requestContext", context_v2(b));
	if (!b->in->authorizer_event)
		put_body(b, ev, 1);
	return ev;
}

/* --- entry point -------------------------------------------------------- */

/*
 * The raw path as requested, stage included: from REQUEST_URI, or rebuilt
 * as "/{stage}" + path when the URI is unusable (hand-made inputs).
 */
static void
full_path(struct bld *b)
{
	const char *p, *q;
	size_t len, slen, n;

	if (lb_event_split_uri(b->req->uri, &p, &len, &q) == 0) {
		b->full = p;
		b->full_len = len;
		return;
	}
	b->full = b->path;
	b->full_len = b->path_len;
	if (!is_named_stage(b->stage))
		return;
	slen = strlen(b->stage);
	n = 1 + slen + b->path_len;
	if ((b->full_heap = malloc(n)) == NULL) {
		b->arena.oom = 1;
		return;
	}
	b->full_heap[0] = '/';
	memcpy(b->full_heap + 1, b->stage, slen);
	memcpy(b->full_heap + 1 + slen, b->path, b->path_len);
	b->full = b->full_heap;
	b->full_len = n;
}

static void
bld_free(struct bld *b)
{
	free(b->full_heap);
	lb_headers_free(&b->hdr);
	buf_free(&b->key);
	buf_free(&b->val);
	buf_free(&b->san);
	buf_free(&b->tmp);
	lb_arena_free(&b->arena);
	free(b);
}

/*
 * Builds the event tree for `in`.  Returns the builder (free it with
 * bld_free; the tree lives in its arena) with *root set, or NULL with the
 * reason in err.
 */
static struct bld *
build_tree(const struct lb_event_input *in, struct lb_jnode **root, char *err,
    size_t errlen)
{
	struct bld *b;
	struct lb_http_request *req;
	const char *v;
	int v2;

	*root = NULL;
	if (in == NULL || in->cfg == NULL || in->req == NULL ||
	    in->match == NULL || in->match->route == NULL ||
	    in->request_id == NULL || in->short_id == NULL) {
		snprintf(err, errlen, "incomplete event input");
		return NULL;
	}
	/* zeroed but for the scratch buffers' inline areas (2 KB) */
	b = malloc(sizeof(*b));
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(b, 0, offsetof(struct bld, key));
	b->key.heap = b->val.heap = b->san.heap = b->tmp.heap = NULL;
	b->key.cap = b->val.cap = b->san.cap = b->tmp.cap = 0;
	/* a robust copy: never a NULL method or URI */
	req = &b->req_copy;
	*req = *in->req;
	if (req->method == NULL)
		req->method = "";
	if (req->uri == NULL)
		req->uri = "";
	if (req->params == NULL)
		req->nparams = 0;
	if (req->body == NULL)
		req->body_len = 0;
	b->in = in;
	b->cfg = in->cfg;
	b->req = req;
	b->route = in->match->route;
	b->rest = in->cfg->api == LB_API_REST;
	b->stage = in->cfg->stage != NULL ? in->cfg->stage : "$default";
	b->api_id = in->cfg->api_id;
	if (b->api_id == NULL || *b->api_id == '\0') {
		derive_id(in->cfg->path, "api", b->api_id_buf, 10);
		b->api_id = b->api_id_buf;
	}
	b->path = in->path != NULL && in->path_len > 0 ? in->path : "/";
	b->path_len = in->path != NULL && in->path_len > 0 ? in->path_len : 1;
	v2 = b->route->payload_format == 2;

	/* the header rules belong to the API type, not the payload format */
	if (lb_headers_collect(&b->hdr, req,
	        b->rest ? LB_HEADERS_V1 : LB_HEADERS_V2, in->trace_id,
	        in->cfg->domain_name) != 0) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return NULL;
	}
	full_path(b);
	b->content_type = header_first(&b->hdr, "content-type");
	b->user_agent = header_last(&b->hdr, "user-agent");
	v = param_nonempty(req, "REMOTE_ADDR");
	b->source_ip = v != NULL ? v : "";
	v = param_nonempty(req, "SERVER_PROTOCOL");
	b->protocol = v != NULL ? v : "HTTP/1.1";

	if (!b->arena.oom)
		*root = v2 ? build_v2(b) : build_v1(b);
	if (b->arena.oom || *root == NULL) {
		snprintf(err, errlen, "out of memory");
		bld_free(b);
		return NULL;
	}
	return b;
}

json_object *
lb_event_build(const struct lb_event_input *in, char *err, size_t errlen)
{
	struct lb_jnode *root;
	struct bld *b = build_tree(in, &root, err, errlen);
	json_object *o;
	int oom = 0;

	if (b == NULL)
		return NULL;
	o = lb_jtree_to_json(root, &oom);
	bld_free(b);
	if (oom) {
		json_object_put(o);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return o;
}

char *
lb_event_build_text(
    const struct lb_event_input *in, size_t *len, char *err, size_t errlen)
{
	struct lb_jnode *root;
	struct bld *b = build_tree(in, &root, err, errlen);
	struct lb_jbuf jb = { 0 };
	char *s;

	if (b == NULL)
		return NULL;
	/* one allocation for most events: the body (maybe base64) and 4 KB */
	jb.buf = malloc(jb.cap = b->req->body_len / 3 * 4 + 4096);
	if (jb.buf == NULL)
		jb.cap = 0;
	lb_jtree_write(&jb, root);
	bld_free(b);
	s = lb_jbuf_finish(&jb, len);
	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return s;
}
