/* cli_invoke.c - STUB, replaced by the real subcommand. */
#include <stdio.h>

#include "cli.h"

int
lb_cli_invoke(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "lambdabridge: invoke is not built yet\n");
	return 2;
}
