/*
 * cli_check.c - `lambdabridge check [--no-probe] -c FILE`: loads and
 * validates a configuration (probing every function's module unless
 * --no-probe), builds its router and prints the route table.  Every error
 * found goes to stderr as "FILE:LINE: setting: reason", then their count.
 * Exit status: 0 valid, 1 invalid, 2 usage error.
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

/* Each error of the load, as it is found. */
static void
report(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

/* The count after the errors, and the exit status. */
static int
invalid(const char *path, size_t n)
{
	fprintf(stderr, "lambdabridge: %zu error%s in '%s'\n", n,
	    n == 1 ? "" : "s", path);
	return 1;
}

int
lb_cli_check(int argc, char **argv)
{
	const char *path = NULL;
	struct lb_config *cfg;
	struct lb_router *router;
	char err[1024];
	size_t bad, nerrors;
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
	cfg = lb_config_load_all(path, probe ? lb_probe_module : NULL, report,
	    NULL, &nerrors, err, sizeof(err));
	if (cfg == NULL)
		return invalid(path, nerrors);
	if (lb_config_check_users(
	        cfg, lb_sandbox_privileged(), err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		lb_config_free(cfg);
		return invalid(path, 1);
	}
	/* lb_config_load checks routes with the router already; the gateway
	 * builds its own, so build one here too rather than trust that */
	router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, err, sizeof(err));
	if (router == NULL) {
		fprintf(stderr, "%s:%d: routes[%zu].route: %s\n", cfg->path,
		    bad < cfg->nroutes ? cfg->routes[bad].line : 0, bad, err);
		lb_config_free(cfg);
		return invalid(path, 1);
	}
	lb_router_free(router);
	lb_dump_config(cfg, stdout);
	printf("configuration '%s' is valid%s\n", path,
	    probe ? "" : " (modules not probed)");
	lb_config_free(cfg);
	return fflush(stdout) == 0 ? 0 : 1;
}
