/*
 * http.c - request param lookup and response building (no I/O).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fastcgi/http.h"

int
lb_http_is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
lb_http_is_value_ctl(int c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

const char *
lb_http_param(const struct lb_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

int
lb_http_response_add_header(struct lb_http_response *resp, const char *name,
    const char *value, size_t value_len)
{
	struct lb_header *h;
	char *n, *v;

	if (value_len == (size_t)-1)
		value_len = strlen(value);
	if (resp->nheaders == resp->cap_headers) {
		size_t cap = resp->cap_headers ? resp->cap_headers * 2 : 8;

		h = realloc(resp->headers, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		resp->headers = h;
		resp->cap_headers = cap;
	}
	n = strdup(name);
	v = malloc(value_len + 1);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -1;
	}
	memcpy(v, value, value_len);
	v[value_len] = '\0';
	resp->headers[resp->nheaders].name = n;
	resp->headers[resp->nheaders].value = v;
	resp->nheaders++;
	return 0;
}

const char *
lb_http_response_header(const struct lb_http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void
lb_http_response_remove_header(struct lb_http_response *resp, const char *name)
{
	size_t j = 0;

	for (size_t i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			free(resp->headers[i].name);
			free(resp->headers[i].value);
			continue;
		}
		resp->headers[j++] = resp->headers[i];
	}
	resp->nheaders = j;
}

int
lb_http_response_set_body(
    struct lb_http_response *resp, const char *body, size_t len)
{
	char *b = malloc(len + 1);

	if (b == NULL)
		return -1;
	if (len > 0)
		memcpy(b, body, len);
	b[len] = '\0';
	lb_http_response_take_body(resp, b, len);
	return 0;
}

void
lb_http_response_take_body(
    struct lb_http_response *resp, char *body, size_t len)
{
	free(resp->body);
	resp->body = body;
	resp->body_len = len;
}

void
lb_http_response_clear(struct lb_http_response *resp)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	free(resp->body);
	free(resp->log);
	memset(resp, 0, sizeof(*resp));
}

const char *
lb_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}
