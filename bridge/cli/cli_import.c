/*
 * cli_import.c - `lambdabridge import [--format sam|openapi|serverless]
 * [--param K=V]... [--stage NAME] [--api NAME]
 * [--function NAME=MODULE[:HANDLER]]... [--runtime RUNTIME='ARGV']...
 * [--ric-dir DIR] [--preflight MODULE] FILE`:
 * the configuration on stdout, what was not carried over on stderr as
 * FILE:LINE: reason.  Exit status: 0 all carried over, 3 carried over with
 * warnings, 1 an error, 2 a usage error.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/pathfind.h"
#include "cli/cli.h"
#include "cli/cli_int.h"
#include "import/import.h"
#include "paths.h" /* generated: where `make install` puts the handlers */

#define IMPORT_MAX_INPUT (16u << 20)
#define IMPORT_MAX_KV    256

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: lambdabridge import [--format sam|openapi|serverless] "
	    "[--param K=V]...\n"
	    "           [--stage NAME] [--api NAME] "
	    "[--function NAME=MODULE[:HANDLER]]...\n"
	    "           [--runtime RUNTIME='COMMAND ARGS']... [--ric-dir DIR]\n"
	    "           [--preflight MODULE] FILE\n");
}

/*
 * o.installed: whether `path` is on this machine: an executable found in
 * $PATH for a bare name, else a file or folder (a shell pattern matches
 * any).
 */
static int
installed(const char *path)
{
	struct stat st;
	glob_t g;
	int rc;

	if (strchr(path, '/') == NULL) {
		char buf[PATH_MAX];

		return lb_path_find(path, buf, sizeof(buf)) == 0;
	}
	if (strpbrk(path, "*?[") == NULL)
		return stat(path, &st) == 0;
	rc = glob(path, GLOB_NOSORT, NULL, &g);
	globfree(&g);
	return rc == 0;
}

/* "K=V" into kv (pointing into arg); -1 without '=' */
static int
split_kv(char *arg, struct lb_import_kv *kv)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return -1;
	*eq = '\0';
	kv->name = arg;
	kv->value = eq + 1;
	return 0;
}

int
lb_cli_import(int argc, char **argv)
{
	static struct lb_import_kv params[IMPORT_MAX_KV],
	    functions[IMPORT_MAX_KV], runtimes[IMPORT_MAX_KV];
	struct lb_import_opts o = { .params = params,
		.functions = functions,
		.runtimes = runtimes,
		.preflight = LB_HANDLERDIR "/preflight.so",
		.ric_dir = LB_RICDIR,
		.installed = installed };
	struct lb_import_result r;
	const char *path = NULL;
	char *text;
	size_t len;
	FILE *f;
	int rc;

	/* argv[0] is "import" */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (path != NULL)
				goto bad;
			path = a;
			continue;
		}
		if (v == NULL)
			goto bad;
		i++;
		if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "sam") == 0)
				o.format = LB_IMPORT_SAM;
			else if (strcmp(v, "openapi") == 0)
				o.format = LB_IMPORT_OPENAPI;
			else if (strcmp(v, "serverless") == 0)
				o.format = LB_IMPORT_SERVERLESS;
			else
				goto bad;
		} else if (strcmp(a, "--stage") == 0) {
			o.stage = v;
		} else if (strcmp(a, "--api") == 0) {
			o.api = v;
		} else if (strcmp(a, "--preflight") == 0) {
			o.preflight = v;
		} else if (strcmp(a, "--ric-dir") == 0) {
			o.ric_dir = v;
		} else if (strcmp(a, "--param") == 0 &&
		    o.nparams < IMPORT_MAX_KV &&
		    split_kv(v, &params[o.nparams]) == 0) {
			o.nparams++;
		} else if (strcmp(a, "--function") == 0 &&
		    o.nfunctions < IMPORT_MAX_KV &&
		    split_kv(v, &functions[o.nfunctions]) == 0) {
			o.nfunctions++;
		} else if (strcmp(a, "--runtime") == 0 &&
		    o.nruntimes < IMPORT_MAX_KV &&
		    split_kv(v, &runtimes[o.nruntimes]) == 0) {
			o.nruntimes++;
		} else {
			goto bad;
		}
	}
	if (path == NULL)
		goto bad;
	o.file = path;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "lambdabridge: cannot open '%s': %s\n", path,
		    strerror(errno));
		return 1;
	}
	text = lb_cli__read_all(f, IMPORT_MAX_INPUT, &len);
	if (f != stdin)
		fclose(f);
	if (text == NULL) {
		fprintf(stderr, "lambdabridge: cannot read '%s': %s\n", path,
		    strerror(errno));
		return 1;
	}
	rc = lb_import(text, len, &o, &r);
	free(text);
	if (rc < 0) {
		fprintf(stderr, "lambdabridge: %s\n",
		    r.error != NULL ? r.error : "out of memory");
		lb_import_result_free(&r);
		return 1;
	}
	fputs(r.warnings, stderr);
	fputs(r.config, stdout);
	rc = r.nwarnings > 0 ? 3 : 0;
	lb_import_result_free(&r);
	return fflush(stdout) == 0 ? rc : 1;
bad:
	usage(stderr);
	return 2;
}
