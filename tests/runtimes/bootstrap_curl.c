/*
 * bootstrap_curl.c - a custom-runtime bootstrap on libcurl, in the shape of
 * aws-lambda-cpp (src/runtime.cpp): one easy handle reused for every call
 * (so one kept-alive connection), a header callback that collects the
 * Lambda-Runtime-* headers, POST .../response and POST .../error (with
 * Lambda-Runtime-Function-Error-Type) sent with an explicit content-length
 * from a read callback, and POST /runtime/init/error.  It knows nothing of
 * lambdabridge: it talks to whatever serves AWS_LAMBDA_RUNTIME_API.
 *
 * What an invocation does is chosen by the event's query parameter `do`
 * (queryStringParameters, payload 1.0 or 2.0):
 *
 *	echo (default)  200, body {"pid", "request_id", "function", "env",
 *	                "event", "count", "runtime", "cwd"}: the first five as
 *	                integ_echo (tests/handlers/integ_fn.c) makes them,
 *	                `count` the invocations this process served, `runtime`
 *	                the Lambda-Runtime-* headers of the `next` response
 *	pid             200 {"pid", "count", "request_id"}
 *	respond         the request body (base64-decoded when isBase64Encoded)
 *	                is the result, as integ_respond does
 *	badjson         POST .../error with a body that is not JSON (type
 *	                Function.Raw); prints "BOOT-BADJSON status=N"
 *	error           POST .../error, type BootError (`typeless=T`: the body
 *	                has no errorType, the header says T)
 *	sleep&ms=N      sleeps N ms, then like pid (`child=1`: first starts a
 *	                child that sleeps 600 s and prints "BOOT-TREE PID
 *	                CHILD")
 *	spin            burns CPU forever
 *	child           starts a child that sleeps 600 s; 200 {"pid", "child"}
 *	abort, crash    abort(), SIGSEGV
 *	exit&code=N     exit(N) in the middle of the invocation (these three
 *	                print "BOOT-DYING PID" first)
 *	big&n=N         a result whose body is N bytes of 'x'
 *	                (any action: `expect=1` posts the result with
 *	                Expect: 100-continue, as curl does past 1 MiB)
 *	print&tag=T     a line to stdout and one to stderr naming T, then pid
 *	alloc&mb=M      allocates and touches M MB (`hold_ms=N`: keeps them N ms),
 *	                then pid
 *	chunked         posts the response with Transfer-Encoding: chunked
 *	env&name=X      200 {"pid", "value": getenv(X) or null}
 *	rapi            exercises the Runtime API's own errors on a second
 *	                connection: a response to an unknown request id, a
 *	                POST and a GET of unknown paths, init/error after init,
 *	                a second `next`, a GET of .../response; answers
 *	                {"pid", "wrong_id": {"status", "body", "request_id"},
 *	                ...}; then it posts a second response to the same
 *	                invocation and prints "BOOT-RAPI second_response=JSON"
 *
 * At init, from the environment: BOOT_INIT_SLEEP_MS=N sleeps first,
 * BOOT_INIT_PRINT=T prints "BOOT-INIT T", BOOT_INIT_EXIT=N exits with N
 * before the first `next`, BOOT_INIT_ERROR=TYPE posts init/error and exits 1.
 *
 * Every failed call of the Runtime API is printed to stderr, as
 * aws-lambda-cpp logs them, and the loop goes on (a 413 to an oversized
 * response is the runtime's problem, not a reason to exit).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define API_PREFIX     "/2018-06-01/runtime"
#define USER_AGENT     "User-Agent: AWS_Lambda_Cpp/0.2.10 (lambdabridge-test)"
#define MAX_EVENT      (16L * 1024 * 1024)
#define JSON_FLAGS     (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define RAPI_BODY_KEEP 512

/* `expect=1`: POST the response with Expect: 100-continue, as plain
 * libcurl (and the tutorial's curl) does for bodies over 1 MiB */
static int send_expect;

struct buf {
	char *data;
	size_t len, cap;
};

/* The Lambda-Runtime-* headers of one `next` response. */
struct invocation {
	char request_id[128];
	char deadline_ms[32];
	char function_arn[512];
	char trace_id[512];
	char client_context[512];
	char cognito_identity[512];
	struct buf body;
	long status;
};

struct runtime {
	CURL *curl;
	char base[256]; /* http://HOST:PORT/2018-06-01/runtime */
	long count;
	const struct invocation *current;
	long linger_ms; /* after its answer, before its next `next` */
};

/* What a read callback sends. */
struct upload {
	const char *data;
	size_t len, off;
};

static void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (d == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static size_t
write_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > (size_t)MAX_EVENT)
		return 0;
	return buf_add(b, p, size * n) == 0 ? size * n : 0;
}

/* Copies the value of "Name: value\r\n" into dst when `name` matches. */
static void
take_header(
    const char *line, size_t len, const char *name, char *dst, size_t dstlen)
{
	size_t nl = strlen(name), vl;
	const char *v;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	v = line + nl + 1;
	vl = len - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 &&
	    (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl >= dstlen)
		vl = dstlen - 1;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
}

static size_t
write_header(char *p, size_t size, size_t n, void *arg)
{
	struct invocation *inv = arg;
	size_t len = size * n;

	take_header(p, len, "lambda-runtime-aws-request-id", inv->request_id,
	    sizeof(inv->request_id));
	take_header(p, len, "lambda-runtime-deadline-ms", inv->deadline_ms,
	    sizeof(inv->deadline_ms));
	take_header(p, len, "lambda-runtime-invoked-function-arn",
	    inv->function_arn, sizeof(inv->function_arn));
	take_header(p, len, "lambda-runtime-trace-id", inv->trace_id,
	    sizeof(inv->trace_id));
	take_header(p, len, "lambda-runtime-client-context",
	    inv->client_context, sizeof(inv->client_context));
	take_header(p, len, "lambda-runtime-cognito-identity",
	    inv->cognito_identity, sizeof(inv->cognito_identity));
	return len;
}

static size_t
read_upload(char *p, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t left = u->len - u->off, want = size * n;

	if (want > left)
		want = left;
	memcpy(p, u->data + u->off, want);
	u->off += want;
	return want;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The options every call shares, as aws-lambda-cpp sets them. */
static void
set_common(CURL *c, const char *url)
{
	curl_easy_reset(c); /* keeps the connection cache */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
}

/* GET .../invocation/next; 0 with inv filled, or -1. */
static int
next_invocation(struct runtime *rt, struct invocation *inv)
{
	char url[320];
	struct curl_slist *h = NULL;
	CURLcode rc;

	inv->request_id[0] = inv->deadline_ms[0] = inv->function_arn[0] =
	    inv->trace_id[0] = inv->client_context[0] =
	        inv->cognito_identity[0] = '\0';
	buf_reset(&inv->body);
	snprintf(url, sizeof(url), "%s/invocation/next", rt->base);
	set_common(rt->curl, url);
	h = curl_slist_append(h, USER_AGENT);
	curl_easy_setopt(rt->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, &inv->body);
	curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, write_header);
	curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, inv);
	rc = curl_easy_perform(rt->curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fprintf(
		    stderr, "bootstrap: next: %s\n", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &inv->status);
	if (inv->status != 200 || inv->request_id[0] == '\0') {
		fprintf(stderr,
		    "bootstrap: next: status %ld, request id '%s'\n",
		    inv->status, inv->request_id);
		return -1;
	}
	return 0;
}

/*
 * POSTs `len` bytes to `url` on handle c with the extra header lines in
 * `extra` (NULL-terminated); chunked = no content-length.  Returns the
 * status (0 when the call failed); the answer's body goes to `answer`.
 */
static long
post(CURL *c, const char *url, const char *data, size_t len,
    const char *const *extra, int chunked, struct buf *answer)
{
	struct upload u = { data, len, 0 };
	struct curl_slist *h = NULL;
	char cl[64];
	long status = 0;
	CURLcode rc;

	set_common(c, url);
	h = curl_slist_append(
	    h, send_expect ? "Expect: 100-continue" : "Expect:");
	h = curl_slist_append(h, USER_AGENT);
	h = curl_slist_append(h, "content-type: application/json");
	if (chunked) {
		h = curl_slist_append(h, "transfer-encoding: chunked");
	} else {
		h = curl_slist_append(h, "transfer-encoding:");
		snprintf(cl, sizeof(cl), "content-length: %zu", len);
		h = curl_slist_append(h, cl);
	}
	for (; extra != NULL && *extra != NULL; extra++)
		h = curl_slist_append(h, *extra);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (answer != NULL) {
		buf_reset(answer);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK)
		fprintf(stderr, "bootstrap: POST %s: %s\n", url,
		    curl_easy_strerror(rc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	/* the API's JSON answers end with a newline: one log line */
	while (answer != NULL && answer->len > 0 &&
	    answer->data[answer->len - 1] == '\n')
		answer->data[--answer->len] = '\0';
	return status;
}

static long
post_response(struct runtime *rt, const char *id, const char *data, size_t len,
    int chunked)
{
	char url[512];
	struct buf answer = { 0 };
	long st;

	snprintf(url, sizeof(url), "%s/invocation/%s/response", rt->base, id);
	st = post(rt->curl, url, data, len, NULL, chunked, &answer);
	if (st < 200 || st > 299)
		fprintf(stderr,
		    "bootstrap %d: response of %zu bytes: status %ld %s\n",
		    (int)getpid(), len, st, answer.data ? answer.data : "");
	free(answer.data);
	return st;
}

static long
post_error(
    struct runtime *rt, const char *path, const char *type, const char *body)
{
	char url[512], hdr[256];
	const char *extra[2] = { hdr, NULL };
	struct buf answer = { 0 };
	long st;

	snprintf(url, sizeof(url), "%s%s", rt->base, path);
	snprintf(
	    hdr, sizeof(hdr), "lambda-runtime-function-error-type: %s", type);
	st = post(rt->curl, url, body, strlen(body), extra, 0, &answer);
	if (st < 200 || st > 299)
		fprintf(stderr, "bootstrap: POST %s: status %ld %s\n", path, st,
		    answer.data ? answer.data : "");
	free(answer.data);
	return st;
}

/* ---- the function ---- */

static const char *
str_field(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static const char *
query(json_object *event, const char *name)
{
	json_object *q;

	if (event == NULL ||
	    !json_object_object_get_ex(event, "queryStringParameters", &q) ||
	    !json_object_is_type(q, json_type_object))
		return NULL;
	return str_field(q, name);
}

static json_object *
opt_string(const char *s)
{
	return s != NULL && *s != '\0' ? json_object_new_string(s) : NULL;
}

/* Takes ownership of `body_obj`: a 200 API Gateway result with its text. */
static json_object *
http_result(int status, json_object *body_obj)
{
	json_object *res = json_object_new_object();
	json_object *hdr = json_object_new_object();
	const char *s = json_object_to_json_string_ext(body_obj, JSON_FLAGS);

	json_object_object_add(
	    hdr, "Content-Type", json_object_new_string("application/json"));
	json_object_object_add(res, "statusCode", json_object_new_int(status));
	json_object_object_add(res, "headers", hdr);
	json_object_object_add(res, "body", json_object_new_string(s));
	json_object_put(body_obj);
	return res;
}

static json_object *
pid_object(struct runtime *rt)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "count", json_object_new_int64(rt->count));
	json_object_object_add(
	    o, "request_id", json_object_new_string(rt->current->request_id));
	return o;
}

static json_object *
echo(struct runtime *rt, struct invocation *inv, json_object *event)
{
	json_object *o = json_object_new_object(),
	            *r = json_object_new_object();
	char cwd[4096];

	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(
	    o, "request_id", json_object_new_string(inv->request_id));
	json_object_object_add(
	    o, "function", opt_string(getenv("AWS_LAMBDA_FUNCTION_NAME")));
	json_object_object_add(o, "env", opt_string(getenv("INTEG_VALUE")));
	json_object_object_add(o, "event", json_object_get(event));
	json_object_object_add(o, "count", json_object_new_int64(rt->count));
	json_object_object_add(
	    r, "request_id", json_object_new_string(inv->request_id));
	json_object_object_add(r, "deadline_ms", opt_string(inv->deadline_ms));
	json_object_object_add(
	    r, "function_arn", opt_string(inv->function_arn));
	json_object_object_add(r, "trace_id", opt_string(inv->trace_id));
	json_object_object_add(
	    r, "client_context", opt_string(inv->client_context));
	json_object_object_add(
	    r, "cognito_identity", opt_string(inv->cognito_identity));
	json_object_object_add(o, "runtime", r);
	json_object_object_add(o, "cwd",
	    opt_string(getcwd(cwd, sizeof(cwd)) != NULL ? cwd : NULL));
	return http_result(200, o);
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* A new NUL-terminated buffer; NULL when `s` is not base64. */
static char *
b64decode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

/* The result text of `respond`, or NULL (then *err says why). */
static char *
respond(json_object *event, const char **err)
{
	const char *body = str_field(event, "body");
	json_object *b64, *res;
	char *dec = NULL, *out;

	if (body == NULL) {
		*err = "no body";
		return NULL;
	}
	if (json_object_object_get_ex(event, "isBase64Encoded", &b64) &&
	    json_object_get_boolean(b64)) {
		dec = b64decode(body);
		if (dec == NULL) {
			*err = "bad base64";
			return NULL;
		}
		body = dec;
	}
	res = json_tokener_parse(body);
	free(dec);
	if (res == NULL) {
		*err = "body is not JSON";
		return NULL;
	}
	out = strdup(json_object_to_json_string_ext(res, JSON_FLAGS));
	json_object_put(res);
	return out;
}

static json_object *
big(const char *n)
{
	long len = n != NULL ? atol(n) : 7L * 1024 * 1024;
	json_object *o = json_object_new_object();
	char *s;

	if (len < 0 || len > 64L * 1024 * 1024)
		len = 0;
	s = malloc((size_t)len + 1);
	if (s == NULL)
		abort();
	memset(s, 'x', (size_t)len);
	s[len] = '\0';
	json_object_object_add(o, "statusCode", json_object_new_int(200));
	json_object_object_add(o, "body", json_object_new_string_len(s, len));
	free(s);
	return o;
}

/* Touches M MB page by page: volatile stores, which the compiler may not
 * drop as it drops a memset before a free. */
static void
alloc_mb(const char *mb, const char *hold_ms)
{
	long n = mb != NULL ? atol(mb) : 16;
	volatile char *p;

	if (n <= 0 || n > 4096)
		return;
	p = malloc((size_t)n << 20);
	if (p == NULL)
		return;
	for (size_t i = 0; i < ((size_t)n << 20); i += 4096)
		p[i] = 1;
	if (hold_ms != NULL)
		sleep_ms(atol(hold_ms));
	free((void *)p);
}

/* {"status", "body"} of a call on a separate handle (a second
 * connection, as a misbehaving runtime would open). */
static json_object *
rapi_call(const char *method, const char *url, const char *data)
{
	static struct invocation seen;
	CURL *c = curl_easy_init();
	struct buf answer = { 0 };
	json_object *o = json_object_new_object();
	long st = 0;

	seen.request_id[0] = '\0';
	if (strcmp(method, "GET") == 0) {
		set_common(c, url);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &seen);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	} else {
		st = post(c, url, data, strlen(data), NULL, 0, &answer);
	}
	if (answer.len > RAPI_BODY_KEEP)
		answer.data[RAPI_BODY_KEEP] = '\0';
	json_object_object_add(o, "status", json_object_new_int((int)st));
	json_object_object_add(o, "body",
	    json_object_new_string(answer.data != NULL ? answer.data : ""));
	json_object_object_add(o, "request_id", opt_string(seen.request_id));
	free(answer.data);
	curl_easy_cleanup(c);
	return o;
}

static json_object *
rapi(struct runtime *rt, struct invocation *inv)
{
	json_object *o = pid_object(rt);
	char url[512];

	snprintf(url, sizeof(url),
	    "%s/invocation/00000000-0000-0000-0000-000000000000/response",
	    rt->base);
	json_object_object_add(o, "wrong_id", rapi_call("POST", url, "{}"));
	snprintf(url, sizeof(url), "%s/invocation/%s/nonsense", rt->base,
	    inv->request_id);
	json_object_object_add(o, "unknown_post", rapi_call("POST", url, "{}"));
	snprintf(url, sizeof(url), "%s/no/such/path", rt->base);
	json_object_object_add(o, "unknown_path", rapi_call("GET", url, ""));
	snprintf(url, sizeof(url), "%s/init/error", rt->base);
	json_object_object_add(o, "init_error_after_init",
	    rapi_call("POST", url,
	        "{\"errorMessage\":\"late\",\"errorType\":\"Late\"}"));
	snprintf(url, sizeof(url), "%s/invocation/next", rt->base);
	json_object_object_add(o, "next_again", rapi_call("GET", url, ""));
	snprintf(url, sizeof(url), "%s/invocation/%s/response", rt->base,
	    inv->request_id);
	json_object_object_add(o, "wrong_method", rapi_call("GET", url, ""));
	return http_result(200, o);
}

/* POSTs the second response of `rapi` and prints what came back. */
static void
rapi_second(struct runtime *rt, struct invocation *inv)
{
	char url[512];
	json_object *o;

	snprintf(url, sizeof(url), "%s/invocation/%s/response", rt->base,
	    inv->request_id);
	o = rapi_call("POST", url, "{\"statusCode\":200,\"body\":\"again\"}");
	printf("BOOT-RAPI second_response=%s\n",
	    json_object_to_json_string_ext(o, JSON_FLAGS));
	fflush(stdout);
	json_object_put(o);
}

static void
send_result(
    struct runtime *rt, struct invocation *inv, json_object *res, int chunked)
{
	size_t len;
	const char *s =
	    json_object_to_json_string_length(res, JSON_FLAGS, &len);

	post_response(rt, inv->request_id, s, len, chunked);
	json_object_put(res);
}

static void
send_error(struct runtime *rt, struct invocation *inv, const char *typeless)
{
	char path[256];

	snprintf(path, sizeof(path), "/invocation/%s/error", inv->request_id);
	if (typeless != NULL)
		post_error(rt, path, typeless,
		    "{\"errorMessage\":\"asked to fail without a type\"}");
	else
		post_error(rt, path, "BootError",
		    "{\"errorMessage\":\"asked to fail\",\"errorType\":"
		    "\"BootError\",\"stackTrace\":[\"bootstrap_curl.c\"]}");
}

/* Which process ends: the tests look for it in the log. */
static void
dying(void)
{
	printf("BOOT-DYING %d\n", (int)getpid());
	fflush(stdout);
}

static void
handle(struct runtime *rt, struct invocation *inv)
{
	json_object *event =
	    json_tokener_parse(inv->body.data ? inv->body.data : "null");
	const char *what = query(event, "do");
	json_object *res = NULL;
	int chunked = 0;

	rt->count++;
	rt->current = inv;
	send_expect = query(event, "expect") != NULL;
	rt->linger_ms =
	    query(event, "linger") != NULL ? atol(query(event, "linger")) : 0;
	if (what == NULL || strcmp(what, "echo") == 0) {
		res = echo(rt, inv, event);
	} else if (strcmp(what, "pid") == 0) {
		res = http_result(200, pid_object(rt));
	} else if (strcmp(what, "respond") == 0) {
		const char *err = NULL;
		char *text = respond(event, &err);

		if (text == NULL) {
			char msg[256], path[256];

			snprintf(path, sizeof(path), "/invocation/%s/error",
			    inv->request_id);
			snprintf(msg, sizeof(msg),
			    "{\"errorMessage\":\"%s\",\"errorType\":"
			    "\"BootError\"}",
			    err);
			post_error(rt, path, "BootError", msg);
		} else {
			post_response(
			    rt, inv->request_id, text, strlen(text), 0);
			free(text);
		}
	} else if (strcmp(what, "badjson") == 0) {
		char path[256];

		snprintf(path, sizeof(path), "/invocation/%s/error",
		    inv->request_id);
		printf("BOOT-BADJSON status=%ld\n",
		    post_error(rt, path, "Function.Raw", "this is not JSON"));
		fflush(stdout);
	} else if (strcmp(what, "error") == 0) {
		send_error(rt, inv, query(event, "typeless"));
	} else if (strcmp(what, "sleep") == 0) {
		const char *ms = query(event, "ms");

		if (query(event, "child") != NULL) {
			pid_t child = fork();

			if (child == 0) {
				sleep_ms(600000);
				_exit(0);
			}
			printf("BOOT-TREE %d %d\n", (int)getpid(), (int)child);
			fflush(stdout);
		}
		sleep_ms(ms != NULL ? atol(ms) : 1000);
		res = http_result(200, pid_object(rt));
	} else if (strcmp(what, "spin") == 0) {
		for (volatile unsigned long spin = 0;; spin++)
			;
	} else if (strcmp(what, "child") == 0) {
		pid_t child = fork();
		json_object *o;

		if (child == 0) {
			sleep_ms(600000);
			_exit(0);
		}
		o = pid_object(rt);
		json_object_object_add(
		    o, "child", json_object_new_int((int)child));
		res = http_result(200, o);
	} else if (strcmp(what, "abort") == 0) {
		dying();
		abort();
	} else if (strcmp(what, "crash") == 0) {
		dying();
		raise(SIGSEGV);
	} else if (strcmp(what, "exit") == 0) {
		const char *code = query(event, "code");

		dying();
		exit(code != NULL ? atoi(code) : 3);
	} else if (strcmp(what, "big") == 0) {
		res = big(query(event, "n"));
	} else if (strcmp(what, "print") == 0) {
		const char *tag = query(event, "tag");

		printf("BOOT-STDOUT %s\n", tag ? tag : "-");
		fflush(stdout);
		fprintf(stderr, "BOOT-STDERR %s\n", tag ? tag : "-");
		res = http_result(200, pid_object(rt));
	} else if (strcmp(what, "alloc") == 0) {
		alloc_mb(query(event, "mb"), query(event, "hold_ms"));
		res = http_result(200, pid_object(rt));
	} else if (strcmp(what, "chunked") == 0) {
		res = http_result(200, pid_object(rt));
		chunked = 1;
	} else if (strcmp(what, "env") == 0) {
		const char *name = query(event, "name");
		const char *v = name != NULL ? getenv(name) : NULL;
		json_object *o = pid_object(rt);

		json_object_object_add(
		    o, "value", v != NULL ? json_object_new_string(v) : NULL);
		res = http_result(200, o);
	} else if (strcmp(what, "rapi") == 0) {
		send_result(rt, inv, rapi(rt, inv), 0);
		rapi_second(rt, inv);
	} else {
		char path[256], msg[256];

		snprintf(path, sizeof(path), "/invocation/%s/error",
		    inv->request_id);
		snprintf(msg, sizeof(msg),
		    "{\"errorMessage\":\"unknown action\",\"errorType\":"
		    "\"BootError\"}");
		post_error(rt, path, "BootError", msg);
	}
	if (res != NULL)
		send_result(rt, inv, res, chunked);
	json_object_put(event);
}

/* BOOT_INIT_*: what the function does before its first `next`. */
static void
init(struct runtime *rt)
{
	const char *v;

	if ((v = getenv("BOOT_INIT_SLEEP_MS")) != NULL)
		sleep_ms(atol(v));
	if ((v = getenv("BOOT_INIT_PRINT")) != NULL) {
		printf("BOOT-INIT %s\n", v);
		fflush(stdout);
	}
	if ((v = getenv("BOOT_INIT_EXIT")) != NULL)
		exit(atoi(v));
	if ((v = getenv("BOOT_INIT_ERROR")) != NULL) {
		char body[512];

		snprintf(body, sizeof(body),
		    "{\"errorMessage\":\"init failed on purpose\","
		    "\"errorType\":\"%s\",\"stackTrace\":[]}",
		    v);
		post_error(rt, "/init/error", v, body);
		exit(1);
	}
}

int
main(void)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	struct runtime rt = { 0 };
	struct invocation inv;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (api == NULL || *api == '\0') {
		fprintf(
		    stderr, "bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
		return 2;
	rt.curl = curl_easy_init();
	if (rt.curl == NULL)
		return 2;
	snprintf(rt.base, sizeof(rt.base), "http://%s%s", api, API_PREFIX);
	memset(&inv, 0, sizeof(inv));
	init(&rt);
	for (int failures = 0;;) {
		if (next_invocation(&rt, &inv) < 0) {
			/* aws-lambda-cpp retries a failed `next`; the
			 * server is gone when it fails three times */
			if (++failures >= 3)
				return 1;
			sleep_ms(100);
			continue;
		}
		failures = 0;
		handle(&rt, &inv);
		/* work after the answer (flushing, say): the environment is
		 * not idle until `next` */
		if (rt.linger_ms > 0)
			sleep_ms(rt.linger_ms);
	}
}
