/*
 * fuzz_config.c - libFuzzer target for config.c (`make fuzz`): any bytes,
 * written to a file, are loaded as `lambdabridge check --no-probe` loads
 * them (lb_config_load without a probe: no module is opened, only found).
 * The loader must never crash, leak or abort (ASan/UBSan catch that); a
 * rejected file must get one line "FILE:LINE: reason" naming the file, and
 * an accepted one must dump and build a router as `check` does.
 *
 * The file lives in a private temp directory beside an empty "m.so", the
 * module every seed names (make fuzz rewrites the seeds' module paths), so
 * the fuzzer gets past the functions into the routes and keys.
 *
 * The same file is loaded again as `check` loads it, going on after each
 * error (lb_config_load_all): it must accept what lb_config_load accepts,
 * reject what it rejects with the same first error, and report every
 * error as one such line.  Inputs with
 * "@include" are skipped: they name files outside the input (a FIFO or
 * /dev/zero would hang the run, not find a bug).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cli/dump.h"
#include "apigw/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char conf_path[64];
static FILE *devnull;

/* Once: the temp directory with its empty module, removed at exit. */
static void
cleanup(void)
{
	char mod[64];

	snprintf(mod, sizeof(mod), "%.*s/m.so",
	    (int)(strrchr(conf_path, '/') - conf_path), conf_path);
	unlink(mod);
	unlink(conf_path);
	*strrchr(conf_path, '/') = '\0';
	rmdir(conf_path);
}

static void
setup(void)
{
	char dir[] = "/tmp/lb-fuzz-config-XXXXXX", mod[64];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(mod, sizeof(mod), "%s/m.so", dir);
	if ((f = fopen(mod, "w")) == NULL || fclose(f) != 0)
		abort();
	snprintf(conf_path, sizeof(conf_path), "%s/fuzz.conf", dir);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	atexit(cleanup);
}

static int
has_include(const uint8_t *data, size_t size)
{
	static const char word[] = "@include";

	for (size_t i = 0; i + sizeof(word) - 1 <= size; i++) {
		size_t j = 0;

		while (j < sizeof(word) - 1 &&
		    tolower(data[i + j]) == (unsigned char)word[j])
			j++;
		if (j == sizeof(word) - 1)
			return 1;
	}
	return 0;
}

/* "PATH:LINE: something" without control characters: one line. */
static void
check_message(const char *err)
{
	size_t n = strlen(conf_path);
	const char *p = err + n + 1;

	if (strncmp(err, conf_path, n) != 0 || err[n] != ':' ||
	    !isdigit((unsigned char)*p))
		abort();
	while (isdigit((unsigned char)*p))
		p++;
	if (p[0] != ':' || p[1] != ' ' || p[2] == '\0')
		abort();
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

/* lb_config_load_all's reports: each one line; counted. */
static void
report(void *arg, const char *msg)
{
	check_message(msg);
	(*(size_t *)arg)++;
}

/* check's load agrees with the daemon's: same verdict, same first error. */
static void
check_all(const struct lb_config *cfg, const char *err)
{
	struct lb_config *all;
	char all_err[1024];
	size_t reported = 0, nerrors = 0;

	all = lb_config_load_all(conf_path, NULL, report, &reported, &nerrors,
	    all_err, sizeof(all_err));
	if ((all == NULL) != (cfg == NULL))
		abort();
	if (all != NULL && (nerrors != 0 || reported != 0))
		abort();
	if (all == NULL &&
	    (nerrors == 0 || reported != nerrors || strcmp(err, all_err) != 0))
		abort();
	lb_config_free(all);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_config *cfg;
	struct lb_router *router;
	char err[1024];
	size_t bad;
	FILE *f;

	if (conf_path[0] == '\0')
		setup();
	if (has_include(data, size))
		return 0;
	if ((f = fopen(conf_path, "w")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	cfg = lb_config_load(conf_path, NULL, err, sizeof(err));
	check_all(cfg, err);
	if (cfg == NULL) {
		check_message(err);
		return 0;
	}
	router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, err, sizeof(err));
	if (router == NULL)
		abort(); /* lb_config_load checked the routes with a router */
	lb_router_free(router);
	lb_dump_config(cfg, devnull);
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (lb_config_function_index(
		        cfg, cfg->functions[cfg->routes[i].function].name) !=
		    (int)cfg->routes[i].function)
			abort();
	lb_config_free(cfg);
	return 0;
}
