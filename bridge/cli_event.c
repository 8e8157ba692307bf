/* cli_event.c - STUB, replaced by the real subcommand. */
#include <stdio.h>

#include "cli.h"

int
lb_cli_event(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "lambdabridge: event is not built yet\n");
	return 2;
}
