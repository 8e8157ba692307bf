/* cli_probe.c - STUB, replaced by the real subcommand. */
#include <stdio.h>

#include "cli.h"

int
lb_cli_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
