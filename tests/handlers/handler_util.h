/*
 * handler_util.h - helpers shared by the test handlers (and test_event.c).
 * Header-only: each handler is a standalone module built against the
 * public ABI alone.
 */
#ifndef LB_TEST_HANDLER_UTIL_H
#define LB_TEST_HANDLER_UTIL_H

#include <lambdabridge.h>

/* The string member `key` of obj, or NULL (missing or not a string). */
static inline const char *
th_field(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The query parameter `name` of an event (payload 1.0 or 2.0), or NULL. */
static inline const char *
th_query(json_object *event, const char *name)
{
	json_object *q;

	if (!json_object_object_get_ex(event, "queryStringParameters", &q) ||
	    !json_object_is_type(q, json_type_object))
		return NULL;
	return th_field(q, name);
}

#endif /* LB_TEST_HANDLER_UTIL_H */
