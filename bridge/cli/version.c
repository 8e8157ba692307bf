/*
 * version.c - `lambdabridge --version`: what a bug report needs to name
 * the build.  The build-time versions come from the Makefile (version.h);
 * the run-time ones from the libraries that can tell.
 */
#include <gnu/libc-version.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "lambdabridge.h"
#include "version.h"

int
lb_cli_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: lambdabridge --version\n");
		return 2;
	}
	printf("lambdabridge %s%s%s%s\n", LB_VERSION,
	    LB_COMMIT[0] != '\0' ? " (" : "", LB_COMMIT,
	    LB_COMMIT[0] != '\0' ? ")" : "");
	printf("handler ABI version %d\n", LB_ABI_VERSION);
	printf("built with: %s\n", LB_BUILD_LIBS);
	printf("running with: json-c %s, glibc %s\n", json_c_version(),
	    gnu_get_libc_version());
	return 0;
}
