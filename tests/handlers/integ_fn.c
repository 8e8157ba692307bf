/*
 * integ_fn.c - handlers for the integration tests (tests/integration).
 *
 *	integ_echo     200, body = {"pid", "request_id", "function", "env",
 *	               "event"} as JSON text: the event exactly as received
 *	integ_respond  returns the JSON in the request body (base64-decoded
 *	               when isBase64Encoded) as its result, for the response
 *	               matrix; a body that is not JSON is a function error
 *	integ_ctl      does what the query parameter `do` says:
 *	               pid (default)  200 {"pid": N}
 *	               sleep&ms=N     sleeps N ms, then like pid
 *	               spin           burns CPU forever
 *	               crash          SIGSEGV
 *	               abort          abort()
 *	               exit           exit(3)
 *	               leak           allocates 1 MB blocks until the memory
 *	                              limit, then uses the NULL it got (a C
 *	                              handler that does not check malloc)
 *	               flood          writes 8 MB of log lines, then like pid
 *	               big&n=N        a result whose body is N bytes
 *	               error          lb_error("IntegError", ...)
 *	               env&name=X     200 {"pid": N, "value": getenv(X) or null}
 *	               nan            returns a bare NaN double (not JSON)
 *	               forge          prints a line with CR and ESC in it, then
 *	                              lb_error with CR/LF in type and message
 *
 * Everything a test needs to tell environments apart (the pid) is in the
 * result.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler integ_echo;
lb_handler integ_respond;
lb_handler integ_ctl;

static json_object *
http_result(int status, const char *body, size_t len)
{
	json_object *res = json_object_new_object();
	json_object *hdr = json_object_new_object();

	json_object_object_add(
	    hdr, "Content-Type", json_object_new_string("application/json"));
	json_object_object_add(res, "statusCode", json_object_new_int(status));
	json_object_object_add(res, "headers", hdr);
	json_object_object_add(
	    res, "body", json_object_new_string_len(body, (int)len));
	return res;
}

/* Takes ownership of `obj`; returns a 200 result whose body is its text. */
static json_object *
json_result(json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	json_object *res = http_result(200, s, len);

	json_object_put(obj);
	return res;
}

json_object *
integ_echo(json_object *event, const lb_context *ctx)
{
	json_object *out = json_object_new_object();
	const char *greeting = getenv("INTEG_VALUE");

	json_object_object_add(out, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(
	    out, "request_id", json_object_new_string(ctx->aws_request_id));
	json_object_object_add(
	    out, "function", json_object_new_string(ctx->function_name));
	json_object_object_add(out, "env",
	    greeting != NULL ? json_object_new_string(greeting) : NULL);
	json_object_object_add(out, "event", json_object_get(event));
	return json_result(out);
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

/* Decodes base64 into a new buffer (NUL-terminated); NULL when invalid. */
static char *
b64decode(const char *s, size_t *outlen)
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
	*outlen = o;
	return out;
}

json_object *
integ_respond(json_object *event, const lb_context *ctx)
{
	const char *body = th_field(event, "body");
	json_object *b64, *res;
	char *dec = NULL;
	size_t len;

	(void)ctx;
	if (body == NULL)
		return lb_error("IntegError", "no body");
	if (json_object_object_get_ex(event, "isBase64Encoded", &b64) &&
	    json_object_get_boolean(b64)) {
		dec = b64decode(body, &len);
		if (dec == NULL)
			return lb_error("IntegError", "bad base64");
		body = dec;
	}
	res = json_tokener_parse(body);
	free(dec);
	if (res == NULL)
		return lb_error("IntegError", "body is not JSON");
	return res;
}

static json_object *
pid_result(json_object *extra_key_value, const char *key)
{
	json_object *out = json_object_new_object();

	json_object_object_add(out, "pid", json_object_new_int((int)getpid()));
	if (key != NULL)
		json_object_object_add(out, key, extra_key_value);
	return json_result(out);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* keeps the compiler from eliding the leaked blocks */
static void *volatile leak_sink;

static json_object *
leak(void)
{
	/* bounded by the environment's RLIMIT_AS long before 64 GB */
	for (int i = 0; i < 65536; i++) {
		char *p = malloc(1 << 20);

		/* no check, like the code this stands for: NULL crashes */
		memset(p, 1, 1 << 20);
		leak_sink = p;
	}
	return lb_error("IntegError", "64 GB allocated without a limit");
}

static json_object *
big(const char *n)
{
	long len = n != NULL ? atol(n) : 7 * 1024 * 1024;
	char *s;
	json_object *res;

	if (len < 0 || len > 64L * 1024 * 1024)
		return lb_error("IntegError", "bad size");
	s = malloc((size_t)len + 1);
	if (s == NULL)
		return lb_error("IntegError", "out of memory");
	memset(s, 'x', (size_t)len);
	s[len] = '\0';
	res = http_result(200, s, (size_t)len);
	free(s);
	return res;
}

json_object *
integ_ctl(json_object *event, const lb_context *ctx)
{
	const char *what = th_query(event, "do");
	volatile unsigned long spin = 0;

	(void)ctx;
	if (what == NULL || strcmp(what, "pid") == 0)
		return pid_result(NULL, NULL);
	if (strcmp(what, "sleep") == 0) {
		const char *ms = th_query(event, "ms");

		sleep_ms(ms != NULL ? atol(ms) : 1000);
		return pid_result(NULL, NULL);
	}
	if (strcmp(what, "spin") == 0)
		for (;;)
			spin++;
	if (strcmp(what, "crash") == 0) {
		raise(SIGSEGV);
		return lb_error("IntegError", "still alive after SIGSEGV");
	}
	if (strcmp(what, "abort") == 0)
		abort();
	if (strcmp(what, "exit") == 0)
		exit(3);
	if (strcmp(what, "leak") == 0)
		return leak();
	if (strcmp(what, "flood") == 0) {
		for (int i = 0; i < 100000; i++)
			printf(
			    "flood line %d "
			    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			    "xxxxxxxxxxxxxxxxxxxx\n",
			    i);
		fflush(stdout);
		return pid_result(NULL, NULL);
	}
	if (strcmp(what, "big") == 0)
		return big(th_query(event, "n"));
	if (strcmp(what, "error") == 0)
		return lb_error("IntegError", "asked to fail");
	if (strcmp(what, "nan") == 0)
		return json_object_new_double(NAN);
	if (strcmp(what, "forge") == 0) {
		printf("stdout\rFORGED-STDOUT \x1b[31mred\x1b[0m\n");
		fflush(stdout);
		return lb_error("Forged\r\nFORGED-TYPE",
		    "message\r\nFORGED-MESSAGE\n2026-01-01T00:00:00.000Z ERROR "
		    "forged");
	}
	if (strcmp(what, "env") == 0) {
		const char *name = th_query(event, "name");
		const char *v = name != NULL ? getenv(name) : NULL;

		return pid_result(
		    v != NULL ? json_object_new_string(v) : NULL, "value");
	}
	return lb_error("IntegError", "unknown action '%s'", what);
}
