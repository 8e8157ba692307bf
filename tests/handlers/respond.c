/*
 * respond.c - test handler: returns, as its result, the JSON found in the
 * request body (base64-decoded first when isBase64Encoded), so that a test
 * can make the function answer anything: the integration response matrix.
 * A body that is not JSON is a function error (InvalidBody); a body of
 * `null` returns NULL (json-c has no null object): Runtime.HandlerError.
 */
#include <stdlib.h>
#include <string.h>

#include <lambdabridge.h>

lb_handler respond_handler;

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 `in` into a new buffer; NULL when it is not base64. */
static char *
b64decode(const char *in, size_t len, size_t *outlen)
{
	char *out = malloc(len / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (in[i] == '=' || in[i] == '\n' || in[i] == '\r')
			continue;
		v = b64val((unsigned char)in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)(acc >> bits & 0xff);
		}
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

json_object *
respond_handler(json_object *event, const lb_context *ctx)
{
	json_object *body, *b64, *result;
	json_tokener *tok;
	const char *text;
	char *decoded = NULL;
	size_t len, end;

	(void)ctx;
	if (!json_object_object_get_ex(event, "body", &body) ||
	    !json_object_is_type(body, json_type_string))
		return lb_error("InvalidBody", "the request has no body");
	text = json_object_get_string(body);
	len = (size_t)json_object_get_string_len(body);
	if (json_object_object_get_ex(event, "isBase64Encoded", &b64) &&
	    json_object_get_boolean(b64)) {
		decoded = b64decode(text, len, &len);
		if (decoded == NULL)
			return lb_error("InvalidBody", "body is not base64");
		text = decoded;
	}
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok == NULL) {
		free(decoded);
		return lb_error("OutOfMemory", "no tokener");
	}
	/* text is NUL-terminated: include the NUL to mark the end */
	result = json_tokener_parse_ex(tok, text, (int)len + 1);
	end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (json_tokener_get_error(tok) != json_tokener_success || end < len) {
		json_tokener_free(tok);
		json_object_put(result);
		free(decoded);
		return lb_error("InvalidBody", "the body is not JSON");
	}
	json_tokener_free(tok);
	free(decoded);
	/* A body of `null` gives NULL (json-c's null): a function error. */
	return result;
}
