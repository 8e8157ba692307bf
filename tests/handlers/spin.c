/*
 * spin.c - test handler: burns CPU without ever sleeping or returning (the
 * function timeout must kill it).  ?ms=N spins only N ms, then returns 200
 * {"pid": P}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

lb_handler spin_handler;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_object *
spin_handler(json_object *event, const lb_context *ctx)
{
	json_object *qs, *v, *res;
	volatile uint64_t n = 0;
	int64_t until = -1;
	char body[64];

	(void)ctx;
	if (json_object_object_get_ex(event, "queryStringParameters", &qs) &&
	    json_object_object_get_ex(qs, "ms", &v) &&
	    json_object_is_type(v, json_type_string))
		until = now_ms() + strtol(json_object_get_string(v), NULL, 10);
	while (until < 0 || now_ms() < until)
		for (int i = 0; i < 100000; i++)
			n++;
	snprintf(body, sizeof(body), "{\"pid\":%d}", (int)getpid());
	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}
