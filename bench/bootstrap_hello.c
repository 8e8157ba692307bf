/*
 * bootstrap_hello.c - the custom-runtime bootstrap of `make bench` case G:
 * the invocation loop of AWS's C++ runtime client (aws-lambda-cpp) in C on
 * libcurl, with a handler that answers "hello".
 *
 * As that client does: one curl easy handle for the life of the process,
 * reset and set up again before each request (a reset keeps libcurl's
 * connection cache, so the connection to the Runtime API stays open);
 * GET .../invocation/next with no timeout, the request id taken from the
 * Lambda-Runtime-Aws-Request-Id header; POST .../invocation/ID/response
 * with a Content-Length and no `Expect: 100-continue`; again.  A `next`
 * that is not 2xx is retried; a result the API does not accept ends the
 * process, as aws-lambda-cpp's loop returns.  docs/runtime-api.md has the
 * API.
 *
 * Usage: bootstrap_hello  (AWS_LAMBDA_RUNTIME_API=host:port in the
 * environment).  It writes nothing but its errors, on stderr.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/* aws-lambda-cpp gives a result 100 ms; the bench's box is shared and
 * loaded, so a second: a timeout here would be a bench failure, not a
 * measurement. */
#define POST_TIMEOUT_MS    1000L
#define CONNECT_TIMEOUT_MS 1000L
#define MAX_NEXT_FAILURES  100 /* consecutive non-2xx answers to `next` */
#define REQUEST_ID_MAX     128

static const char hello_result[] =
    "{\"statusCode\":200,\"headers\":{\"content-type\":\"text/plain\"},"
    "\"body\":\"hello\"}";

struct next_answer {
	char request_id[REQUEST_ID_MAX];
	size_t body_len; /* the event: counted, not used by this handler */
};

/* libcurl's header callback: keeps Lambda-Runtime-Aws-Request-Id. */
static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	static const char name[] = "lambda-runtime-aws-request-id:";
	struct next_answer *a = arg;
	size_t len = size * n, nlen = sizeof(name) - 1, vlen;
	const char *v, *end;

	if (len <= nlen || strncasecmp(line, name, nlen) != 0)
		return len;
	v = line + nlen;
	end = line + len;
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	vlen = (size_t)(end - v);
	if (vlen >= sizeof(a->request_id))
		return 0; /* not a request id: fail the transfer */
	memcpy(a->request_id, v, vlen);
	a->request_id[vlen] = '\0';
	return len;
}

static size_t
on_event(char *data, size_t size, size_t n, void *arg)
{
	struct next_answer *a = arg;

	(void)data;
	a->body_len += size * n;
	return size * n;
}

static size_t
on_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/*
 * GET .../invocation/next into `a`.  Returns the HTTP status, or -1 when
 * no answer came (the API is gone).
 */
static long
get_next(CURL *h, const char *url, struct next_answer *a)
{
	long status = 0;
	CURLcode rc;

	memset(a, 0, sizeof(*a));
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L); /* it may wait forever */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_event);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "bootstrap_hello: GET %s: %s\n", url,
		    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/*
 * POSTs `body` to `url`.  Returns the HTTP status, or -1 when no answer
 * came.
 */
static long
post_result(CURL *h, const char *url, const char *body, size_t len)
{
	struct curl_slist *hdrs = NULL, *t;
	long status = 0;
	CURLcode rc;

	t = curl_slist_append(hdrs, "Content-Type: application/json");
	if (t == NULL)
		return -1;
	hdrs = t;
	t = curl_slist_append(hdrs, "Expect:");
	if (t == NULL) {
		curl_slist_free_all(hdrs);
		return -1;
	}
	hdrs = t;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, POST_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_discard);
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		fprintf(stderr, "bootstrap_hello: POST %s: %s\n", url,
		    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

int
main(void)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	char next_url[512], post_url[512 + REQUEST_ID_MAX];
	struct next_answer a;
	int failures = 0;
	CURL *h;

	if (api == NULL || *api == '\0') {
		fprintf(stderr,
		    "bootstrap_hello: AWS_LAMBDA_RUNTIME_API is not set\n");
		return 1;
	}
	if (snprintf(next_url, sizeof(next_url),
	        "http://%s/2018-06-01/runtime/invocation/next",
	        api) >= (int)sizeof(next_url)) {
		fprintf(stderr,
		    "bootstrap_hello: AWS_LAMBDA_RUNTIME_API is too long\n");
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h = curl_easy_init()) == NULL) {
		fprintf(stderr, "bootstrap_hello: cannot initialize libcurl\n");
		return 1;
	}
	for (;;) {
		long st = get_next(h, next_url, &a);

		if (st < 0)
			break;
		if (st < 200 || st > 299 || a.request_id[0] == '\0') {
			fprintf(stderr,
			    "bootstrap_hello: next answered %ld%s\n", st,
			    a.request_id[0] == '\0' ? " without a request id"
			                            : "");
			if (++failures >= MAX_NEXT_FAILURES)
				break;
			continue;
		}
		failures = 0;
		snprintf(post_url, sizeof(post_url),
		    "http://%s/2018-06-01/runtime/invocation/%s/response", api,
		    a.request_id);
		st = post_result(
		    h, post_url, hello_result, sizeof(hello_result) - 1);
		if (st < 200 || st > 299) {
			if (st >= 0)
				fprintf(stderr,
				    "bootstrap_hello: %s: result answered "
				    "%ld\n",
				    a.request_id, st);
			break;
		}
	}
	/* only an error leaves the loop */
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 1;
}
