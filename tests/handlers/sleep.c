/*
 * sleep.c - test handler: sleeps, then reports what it saw.
 *
 *	?ms=N (or a body that is a number N)  sleep N ms (default 0)
 *
 * Result: 200 {"slept_ms": N, "remaining_ms": R, "pid": P, "request_id": ..}
 * where R is lb_remaining_time_ms after the sleep.  Used for function and
 * integration timeouts, concurrency and throttling tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler sleep_handler;

json_object *
sleep_handler(json_object *event, const lb_context *ctx)
{
	const char *s = th_query(event, "ms");
	json_object *body, *b;
	struct timespec ts;
	long ms = 0;

	if (s == NULL && json_object_object_get_ex(event, "body", &b) &&
	    json_object_is_type(b, json_type_string))
		s = json_object_get_string(b);
	if (s != NULL)
		ms = strtol(s, NULL, 10);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;

	body = json_object_new_object();
	json_object_object_add(body, "slept_ms", json_object_new_int64(ms));
	json_object_object_add(body, "remaining_ms",
	    json_object_new_int64(lb_remaining_time_ms(ctx)));
	json_object_object_add(body, "pid", json_object_new_int(getpid()));
	json_object_object_add(
	    body, "request_id", json_object_new_string(ctx->aws_request_id));
	return th_json_200(body);
}
