/*
 * cors.c - an HTTP API's CORS configuration (docs/apigw-facts.md section 5,
 * docs/configuration.md): origin matching, the preflight the gateway
 * answers itself, and the headers it puts on responses.  What API Gateway
 * does not document (the preflight's exact headers, "*" lists) is settled
 * as docs/apigw-facts.md section 5 says.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apigw/cors.h"
#include "apigw/router.h"

/* The methods a route may name besides OPTIONS and ANY (router.c): a
 * path has a route when one of them matches it. */
static const char *const route_methods[] = { "GET", "POST", "PUT", "PATCH",
	"DELETE", "HEAD" };

static int
alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

/* host[:port], or [v6]:port: no path, no wildcard. */
static int
host_ok(const char *h)
{
	size_t n = strlen(h);
	const char *colon;

	if (n == 0 || n > 300)
		return 0;
	for (const char *p = h; *p != '\0'; p++)
		if (!alpha((unsigned char)*p) && !digit((unsigned char)*p) &&
		    strchr("-._~[]:", *p) == NULL)
			return 0;
	colon = strrchr(h, ':');
	if (colon != NULL && strchr(colon, ']') == NULL) {
		if (colon == h || colon[1] == '\0')
			return 0;
		for (const char *p = colon + 1; *p != '\0'; p++)
			if (!digit((unsigned char)*p))
				return 0;
	}
	return 1;
}

/* The length of the scheme and "://" starting s, or 0. */
static size_t
scheme_len(const char *s)
{
	size_t n = 0;

	if (!alpha((unsigned char)s[0]))
		return 0;
	while (alpha((unsigned char)s[n]) || digit((unsigned char)s[n]) ||
	    s[n] == '+' || s[n] == '-' || s[n] == '.')
		n++;
	return strncmp(s + n, "://", 3) == 0 ? n + 3 : 0;
}

const char *
lb_cors_check_origin(const char *s)
{
	size_t n;

	if (strcmp(s, "*") == 0 || strcmp(s, "null") == 0)
		return NULL;
	n = scheme_len(s);
	if (n == 0)
		return "expected \"*\" or an origin such as "
		       "\"https://app.example\"";
	s += n;
	if (strcmp(s, "*") == 0)
		return NULL;
	if (s[0] == '*' && s[1] == '.')
		s += 2;
	if (strchr(s, '/') != NULL)
		return "an origin has no path (not even a final '/')";
	if (strchr(s, '*') != NULL)
		return "a wildcard is allowed only as \"*\", \"scheme://*\" or "
		       "\"scheme://*.domain\"";
	if (!host_ok(s))
		return "expected scheme://host or scheme://host:port";
	return NULL;
}

/* The entries of `list` joined with ",", or NULL when empty; sets *star
 * when one is "*".  -1 when out of memory. */
static int
join(char **list, size_t n, char **out, int *star)
{
	size_t len = 0;
	char *p;

	*out = NULL;
	if (star != NULL)
		*star = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		len += strlen(list[i]) + 1;
		if (star != NULL && strcmp(list[i], "*") == 0)
			*star = 1;
	}
	*out = p = malloc(len);
	if (p == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);

		if (i > 0)
			*p++ = ',';
		memcpy(p, list[i], l);
		p += l;
	}
	*p = '\0';
	return 0;
}

int
lb_cors_prepare(struct lb_cors *c)
{
	if (join(c->allow_methods, c->nallow_methods, &c->methods,
	        &c->any_method) < 0 ||
	    join(c->allow_headers, c->nallow_headers, &c->headers,
	        &c->any_header) < 0 ||
	    join(c->expose_headers, c->nexpose_headers, &c->expose, NULL) < 0)
		return -1;
	return 0;
}

static void
free_list(char **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

void
lb_cors_free(struct lb_cors *c)
{
	free_list(c->allow_origins, c->nallow_origins);
	free_list(c->allow_methods, c->nallow_methods);
	free_list(c->allow_headers, c->nallow_headers);
	free_list(c->expose_headers, c->nexpose_headers);
	free(c->methods);
	free(c->headers);
	free(c->expose);
	memset(c, 0, sizeof(*c));
}

/* Does the configured entry `e` (not "*") allow `origin`? */
static int
entry_allows(const char *e, const char *origin)
{
	size_t n = scheme_len(e), olen, dlen;
	const char *host, *domain;

	if (strcasecmp(e, origin) == 0)
		return 1;
	if (n == 0 || e[n] != '*' || strncasecmp(e, origin, n) != 0)
		return 0;
	host = origin + n;
	if (*host == '\0' || strchr(host, '/') != NULL)
		return 0;
	if (e[n + 1] == '\0') /* the prefix form */
		return 1;
	/* the subdomain form: a label or more before ".domain" */
	domain = e + n + 1;
	olen = strlen(host);
	dlen = strlen(domain);
	return olen > dlen && strcasecmp(host + olen - dlen, domain) == 0;
}

const char *
lb_cors_allow_origin(const struct lb_cors *c, const char *origin)
{
	int star = 0;

	if (origin == NULL || origin[0] == '\0')
		return NULL;
	for (size_t i = 0; i < c->nallow_origins; i++) {
		if (strcmp(c->allow_origins[i], "*") == 0)
			star = 1;
		else if (entry_allows(c->allow_origins[i], origin))
			return origin;
	}
	return star ? "*" : NULL;
}

/* Does some route of `router` match `path`, whatever its method? */
static int
path_routed(const struct lb_router *router, const char *path, size_t len)
{
	struct lb_router_match m;

	for (size_t i = 0; i < sizeof(route_methods) / sizeof(*route_methods);
	     i++)
		if (lb_router_match(router, route_methods[i], path, len, &m) ==
		    0)
			return 1;
	return 0;
}

static int
add(struct lb_http_response *resp, const char *name, const char *value)
{
	return lb_http_response_add_header(resp, name, value, (size_t)-1);
}

int
lb_cors_preflight(const struct lb_cors *c, const struct lb_router *router,
    const struct lb_http_request *req, const char *path, size_t path_len,
    struct lb_http_response *resp)
{
	const char *origin, *method, *headers, *allow;
	char age[16];
	int rc = 0;

	if (!c->set || strcmp(req->method, "OPTIONS") != 0)
		return 0;
	origin = lb_http_param(req, "HTTP_ORIGIN");
	method = lb_http_param(req, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	if (origin == NULL || origin[0] == '\0' || method == NULL ||
	    method[0] == '\0' || path == NULL ||
	    !path_routed(router, path, path_len))
		return 0;
	resp->status = 204;
	allow = lb_cors_allow_origin(c, origin);
	if (allow == NULL)
		return 1;
	headers = lb_http_param(req, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
	if (add(resp, "access-control-allow-origin", allow) < 0)
		goto fail;
	/* "*" answers with what was asked: a literal "*" means nothing to
	 * a browser sending credentials */
	if (c->any_method)
		rc = add(resp, "access-control-allow-methods", method);
	else if (c->methods != NULL)
		rc = add(resp, "access-control-allow-methods", c->methods);
	if (rc < 0)
		goto fail;
	if (c->any_header && headers != NULL && headers[0] != '\0')
		rc = add(resp, "access-control-allow-headers", headers);
	else if (!c->any_header && c->headers != NULL)
		rc = add(resp, "access-control-allow-headers", c->headers);
	if (rc < 0)
		goto fail;
	if (c->max_age != LB_CORS_NO_MAX_AGE) {
		int v = c->max_age < 0 ? -c->max_age : c->max_age;
		char *p = age + sizeof(age) - 1;

		*p = '\0';
		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		if (c->max_age < 0)
			*--p = '-';
		if (add(resp, "access-control-max-age", p) < 0)
			goto fail;
	}
	if (c->allow_credentials &&
	    add(resp, "access-control-allow-credentials", "true") < 0)
		goto fail;
	return 1;
fail:
	lb_http_response_clear(resp);
	return -1;
}

int
lb_cors_apply(const struct lb_cors *c, const struct lb_http_request *req,
    struct lb_http_response *resp)
{
	const char *allow;
	size_t j = 0;

	for (size_t i = 0; i < resp->nheaders; i++) {
		if (strncasecmp(resp->headers[i].name, "access-control-", 15) ==
		    0) {
			free(resp->headers[i].name);
			free(resp->headers[i].value);
			continue;
		}
		resp->headers[j++] = resp->headers[i];
	}
	resp->nheaders = j;
	allow = lb_cors_allow_origin(c, lb_http_param(req, "HTTP_ORIGIN"));
	if (allow == NULL)
		return 0;
	if (add(resp, "access-control-allow-origin", allow) < 0 ||
	    (c->allow_credentials &&
	        add(resp, "access-control-allow-credentials", "true") < 0) ||
	    (c->expose != NULL &&
	        add(resp, "access-control-expose-headers", c->expose) < 0))
		return -1;
	return 0;
}
