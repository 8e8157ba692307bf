/* cli_check.c - STUB, replaced by the real subcommand. */
#include <stdio.h>

#include "cli.h"

int
lb_cli_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "lambdabridge: check is not built yet\n");
	return 2;
}
