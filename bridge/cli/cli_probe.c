/*
 * cli_probe.c - `lambdabridge __probe MODULE SYMBOL` (internal): checks in a
 * process of its own that a module loads, carries the ABI stamp of this
 * binary and exports the handler symbol.  lb_probe_module runs it so that
 * config validation never dlopen's a module (and runs its constructors) in
 * the gateway itself.  Exit status: 0 ok, 1 the module is unusable (the
 * reason on stderr, one line), 2 usage.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "lambda/sandbox.h"
#include "lambda/worker.h"

int
lb_cli_probe(int argc, char **argv)
{
	const char *etype;
	char err[1024];
	void *dl, *fn;

	if (argc != 3) {
		fprintf(stderr, "usage: lambdabridge __probe MODULE SYMBOL\n");
		return 2;
	}
	/* whatever the module's constructors start ends with the probe */
	lb_sandbox_worker_guard();
	dl = lb_worker_load(
	    NULL, argv[1], argv[2], &fn, &etype, err, sizeof(err));
	if (dl == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* Not dlclose'd: the process exits now anyway. */
	return 0;
}
