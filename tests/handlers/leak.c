/*
 * leak.c - test handler: allocates memory (and touches it, so that it is
 * really used) 1 MB at a time.
 *
 *	?mb=N          allocates N MB, keeps them (a leak across warm calls),
 *	               returns 200 {"pid": P, "allocated_mb": total}
 *	(no mb)        allocates until malloc fails, then returns NULL with
 *	               errno ENOMEM: the worker reports Runtime.OutOfMemory
 *	?mode=use      as above, but then writes through the NULL malloc
 *	               returned, like a C handler that does not check (SIGSEGV)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler leak_handler;

#define MB (1024 * 1024)

static long total_mb; /* kept across warm invocations */

json_object *
leak_handler(json_object *event, const lb_context *ctx)
{
	const char *mb = th_query(event, "mb"), *mode = th_query(event, "mode");
	long want = mb != NULL ? strtol(mb, NULL, 10) : -1;
	json_object *res;
	char body[96];

	(void)ctx;
	for (long i = 0; want < 0 || i < want; i++) {
		char *p = malloc(MB);

		if (p == NULL) {
			if (mode != NULL && strcmp(mode, "use") == 0) {
				volatile char *volatile q = p;

				q[0] = 1; /* the unchecked malloc */
			}
			errno = ENOMEM;
			return NULL;
		}
		memset(p, 0xa5, MB); /* leaked on purpose */
		total_mb++;
	}
	snprintf(body, sizeof(body), "{\"pid\":%d,\"allocated_mb\":%ld}",
	    (int)getpid(), total_mb);
	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}
