/*
 * crash.c - test handler: the environment dies during the invocation.
 *
 *	?how=segv (default)  writes through a NULL pointer (SIGSEGV)
 *	?how=abort           abort() (SIGABRT)
 *	?how=exit            exit(3) (Runtime.ExitError)
 *	?how=kill            raise(SIGKILL)
 *	?how=none            returns 200 {"pid": P}: to see the environment
 *	                     that replaces a crashed one
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler crash_handler;

json_object *
crash_handler(json_object *event, const lb_context *ctx)
{
	json_object *res;
	const char *how = th_query(event, "how");
	char body[64];

	(void)ctx;
	if (how == NULL)
		how = "segv";
	fprintf(stderr, "crash: about to '%s'\n", how);
	fflush(stderr);
	if (strcmp(how, "abort") == 0) {
		abort();
	} else if (strcmp(how, "exit") == 0) {
		exit(3);
	} else if (strcmp(how, "kill") == 0) {
		raise(SIGKILL);
	} else if (strcmp(how, "none") != 0) {
		volatile int *volatile p = NULL;

		*p = 1;
	}
	snprintf(body, sizeof(body), "{\"pid\":%d}", (int)getpid());
	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}
