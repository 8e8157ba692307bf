/*
 * fuzz_json.c - libFuzzer target for json.c (`make fuzz`): whatever
 * lb_json_parse accepts, json-c (strict, UTF-8 checked) must accept as an
 * equal object, and lb_json_serialize must write json-c's exact text.
 * Crashes, leaks and undefined behaviour are caught by ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *o = lb_json_parse((const char *)data, size, 64), *r;
	json_tokener *tok;
	char *s;
	size_t len;

	if (o == NULL)
		return 0;
	tok = json_tokener_new_ex(64);
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	r = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_continue)
		r = json_tokener_parse_ex(tok, "", 1);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_equal(o, r))
		abort();
	s = lb_json_serialize(o, &len);
	if (s == NULL || strcmp(s, json_object_to_json_string_ext(o, FLAGS)))
		abort();
	free(s);
	json_object_put(o);
	json_object_put(r);
	json_tokener_free(tok);
	return 0;
}
