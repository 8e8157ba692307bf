/*
 * integ_fault.c - the handler of the fault suite (tests/integration/
 * test_faults.py).  integ_fault does what the query parameter `do` says:
 *
 *	pid (default)  200 {"pid": N, "variant": V}
 *	sleep&ms=N     sleeps N ms, then like pid
 *	fork&ms=N      starts a child in a session of its own that sleeps
 *	               60 s, sleeps N ms itself, then like pid with "child"
 *
 * V is 1 here and 2 in integ_fault_b.so, this file built again with 4 KB
 * of int3 ahead of the handler: every byte of code is elsewhere there, so
 * a worker still running code from a module copied over in place crashes
 * (or sees the other variant) rather than going on unharmed.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

#ifndef INTEG_FAULT_VARIANT
#define INTEG_FAULT_VARIANT 1
#endif

lb_handler integ_fault;

#if INTEG_FAULT_VARIANT != 1
/* the linker puts .text.hot ahead of every .text */
__asm__(".section .text.hot,\"ax\",@progbits\n"
        ".skip 4096, 0xcc\n"
        ".previous\n");
#endif

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static json_object *
result(pid_t child)
{
	json_object *out = json_object_new_object(), *res, *hdr;

	json_object_object_add(out, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(
	    out, "variant", json_object_new_int(INTEG_FAULT_VARIANT));
	if (child > 0)
		json_object_object_add(
		    out, "child", json_object_new_int((int)child));
	res = json_object_new_object();
	hdr = json_object_new_object();
	json_object_object_add(
	    hdr, "Content-Type", json_object_new_string("application/json"));
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "headers", hdr);
	json_object_object_add(res, "body",
	    json_object_new_string(json_object_to_json_string_ext(
	        out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(out);
	return res;
}

json_object *
integ_fault(json_object *event, const lb_context *ctx)
{
	const char *what = th_query(event, "do");
	const char *ms = th_query(event, "ms");
	pid_t child = 0;

	(void)ctx;
	if (what != NULL && strcmp(what, "fork") == 0) {
		child = fork();
		if (child < 0)
			return lb_error("IntegError", "fork failed");
		if (child == 0) {
			setsid();
			sleep_ms(60000);
			_exit(0);
		}
	} else if (what != NULL && strcmp(what, "pid") != 0 &&
	    strcmp(what, "sleep") != 0) {
		return lb_error("IntegError", "unknown action '%s'", what);
	}
	if (ms != NULL)
		sleep_ms(atol(ms));
	return result(child);
}
