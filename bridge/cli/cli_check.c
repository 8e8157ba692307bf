/*
 * cli_check.c - `lambdabridge check [--no-probe] -c FILE`: loads and
 * validates a configuration (probing every function's module unless
 * --no-probe), builds its router and prints the route table.  Exit status:
 * 0 valid, 1 invalid (the reason on stderr), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dump.h"
#include "config.h"
#include "lambda/probe.h"
#include "apigw/router.h"
#include "lambda/sandbox.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: lambdabridge check [--no-probe] -c FILE\n");
}

int
lb_cli_check(int argc, char **argv)
{
	const char *path = NULL;
	struct lb_config *cfg;
	struct lb_router *router;
	char err[1024];
	size_t bad;
	int probe = 1;

	/* argv[0] is "check" */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--no-probe") == 0) {
			probe = 0;
		} else if (strcmp(a, "-c") == 0 && i + 1 < argc &&
		    path == NULL) {
			path = argv[++i];
		} else if (strncmp(a, "-c", 2) == 0 && a[2] != '\0' &&
		    path == NULL) {
			path = a + 2;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	cfg = lb_config_load(
	    path, probe ? lb_probe_module : NULL, err, sizeof(err));
	if (cfg == NULL ||
	    lb_config_check_users(
	        cfg, lb_sandbox_privileged(), err, sizeof(err)) < 0) {
		fprintf(stderr, "lambdabridge: %s\n", err);
		lb_config_free(cfg);
		return 1;
	}
	/* lb_config_load checks routes with the router already; the gateway
	 * builds its own, so build one here too rather than trust that */
	router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, err, sizeof(err));
	if (router == NULL) {
		fprintf(stderr, "lambdabridge: %s:%d: routes[%zu].route: %s\n",
		    cfg->path, bad < cfg->nroutes ? cfg->routes[bad].line : 0,
		    bad, err);
		lb_config_free(cfg);
		return 1;
	}
	lb_router_free(router);
	lb_dump_config(cfg, stdout);
	printf("configuration '%s' is valid%s\n", path,
	    probe ? "" : " (modules not probed)");
	lb_config_free(cfg);
	return fflush(stdout) == 0 ? 0 : 1;
}
