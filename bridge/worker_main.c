/*
 * worker_main.c - `lambdabridge-worker`, the program every execution
 * environment, spare worker and module probe runs (`__worker`, `__spare`,
 * `__probe`, as `lambdabridge` itself still runs them).  It links only
 * what those need: a cold start execs it, and each shared library the
 * gateway alone uses (libcurl and what it pulls in, OpenSSL, libfyaml,
 * libsystemd) would cost every exec its loading (docs/performance.md).
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lambda/sandbox.h"
#include "lambda/spawn.h"
#include "lambda/worker.h"

int
main(int argc, char **argv)
{
	/* as the gateway's main sets it for the workers it runs itself */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	lb_sandbox_init();
	lb_spawn_name_self(argv[0]);
	if (argc >= 2 && strcmp(argv[1], "__worker") == 0)
		return lb_worker_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "__spare") == 0)
		return lb_worker_spare(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "__probe") == 0)
		return lb_cli_probe(argc - 1, argv + 1);
	fprintf(stderr,
	    "lambdabridge-worker: started by lambdabridge for its "
	    "execution environments, not by hand\n");
	return 2;
}
