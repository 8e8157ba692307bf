/*
 * counter.c - shows warm starts: state that survives between invocations.
 *
 * Each execution environment (worker process) loads the module once, so a
 * static variable keeps its value across the invocations that environment
 * serves, exactly like a global in a Lambda function.  Different
 * environments (see the pid) count separately, and a cold start begins at 0
 * again: never rely on it for anything but caches.
 *
 *	GET /counter -> {"count": 3, "pid": 4242, "initialized_at": 1700000000000}
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

lb_handler counter_handler;

static int64_t count;          /* invocations served by this environment */
static int64_t initialized_at; /* ms since the epoch, set by lb_init */

/*
 * lb_init runs once per environment, before its first event: the place for
 * expensive set-up (connections, caches).  Its duration is the "Init
 * Duration" of the cold start's REPORT line.  Non-zero = Runtime.InitError.
 */
int
lb_init(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	initialized_at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

json_object *
counter_handler(json_object *event, const lb_context *ctx)
{
	json_object *res, *body, *headers;
	const char *text;

	(void)event;
	(void)ctx;
	count++;

	body = json_object_new_object();
	json_object_object_add(body, "count", json_object_new_int64(count));
	json_object_object_add(body, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(
	    body, "initialized_at", json_object_new_int64(initialized_at));
	text = json_object_to_json_string_ext(
	    body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	res = json_object_new_object();
	headers = json_object_new_object();
	json_object_object_add(headers, "content-type",
	    json_object_new_string("application/json"));
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "headers", headers);
	/* copy the text before `body` (which owns it) is freed */
	json_object_object_add(res, "body", json_object_new_string(text));
	json_object_put(body);
	return res;
}
