/*
 * handler_util.h - helpers shared by the test handlers (and test_event.c).
 * Header-only: each handler is a standalone module built against the
 * public ABI alone.
 */
#ifndef LB_TEST_HANDLER_UTIL_H
#define LB_TEST_HANDLER_UTIL_H

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* A 200 result whose body is the JSON text of `body`, which it frees. */
static inline json_object *
th_json_200(json_object *body)
{
	json_object *res = json_object_new_object();

	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body",
	    json_object_new_string(
	        json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN)));
	json_object_put(body);
	return res;
}

/*
 * Leaves two processes behind, both sleeping until killed: a child, and a
 * grandchild that called setsid() and whose parent exited (a double fork).
 * Sets pids[0] and pids[1]; 0, or -1.
 */
static inline int
th_leave_two(pid_t pids[2])
{
	pid_t mid;
	int p[2], ok;

	if (pipe(p) < 0)
		return -1;
	pids[0] = fork();
	if (pids[0] == 0) {
		pause();
		_exit(0);
	}
	mid = fork();
	if (mid == 0) {
		pid_t g;

		setsid();
		g = fork();
		if (g == 0) {
			pause();
			_exit(0);
		}
		_exit(write(p[1], &g, sizeof(g)) == (ssize_t)sizeof(g) ? 0 : 1);
	}
	close(p[1]);
	ok = pids[0] > 0 && mid > 0 &&
	    read(p[0], &pids[1], sizeof(pids[1])) == (ssize_t)sizeof(pids[1]);
	close(p[0]);
	if (mid > 0)
		waitpid(mid, NULL, 0);
	return ok ? 0 : -1;
}

#endif /* LB_TEST_HANDLER_UTIL_H */
