/* cli_stub.c - STUB subcommands, each replaced by its own cli_<name>.c. */
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

int
lb_cli_invoke(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "lambdabridge: invoke is not built yet\n");
	return 2;
}

int
lb_cli_event(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "lambdabridge: event is not built yet\n");
	return 2;
}

int
lb_cli_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
