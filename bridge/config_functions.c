/*
 * config_functions.c - the `functions` section of the configuration: each
 * function's settings (lb_config__function_fields), its module found and
 * checked, its user, the concurrency Lambda would let the account reserve,
 * and the module probe.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"
#include "lambda/sandbox.h"

#define ENV_TOTAL_MAX 4096 /* Lambda: 4 KB of environment variables */

/* Resolves f->module against `dir` and checks that the file is there. */
static int
resolve_module(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const char *dir, struct lb_function *f)
{
	const config_setting_t *s = config_setting_get_member(fs, "module");
	char joined[PATH_MAX + 1], sub[256];
	char *real;
	struct stat st;
	int n;

	lb_config__setpath(sub, sizeof(sub), "%s.module", where);
	if (f->module[0] == '/')
		n = snprintf(joined, sizeof(joined), "%s", f->module);
	else
		n = snprintf(joined, sizeof(joined), "%s/%s", dir, f->module);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return lb_config__fail(c, s, sub, "path too long");
	real = realpath(joined, NULL);
	if (real == NULL)
		return lb_config__fail(c, s, sub, "cannot find module '%s': %s",
		    joined, strerror(errno));
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		lb_config__fail(
		    c, s, sub, "module '%s' is not a regular file", real);
		free(real);
		return -1;
	}
	free(f->module);
	f->module = real;
	return 0;
}

/* A function's user and group, gateway.user's by default; its module
 * under StrictModes. */
static int
function_ids(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const struct lb_config *cfg, struct lb_function *f)
{
	char prefix[80];

	if (cfg->strict_modes) {
		lb_config__setpath(prefix, sizeof(prefix), "%s.module", where);
		if (lb_config__strict_path(c,
		        config_setting_get_member(fs, "module"), prefix,
		        f->module) < 0)
			return -1;
	}
	lb_config__setpath(prefix, sizeof(prefix), "%s.", where);
	if (f->user == NULL && f->group == NULL && cfg->user != NULL) {
		if ((f->user = strdup(cfg->user)) == NULL ||
		    (cfg->group != NULL &&
		        (f->group = strdup(cfg->group)) == NULL))
			return lb_config__fail(c, fs, where, "out of memory");
		f->uid = cfg->uid;
		f->gid = cfg->gid;
		return 0;
	}
	return lb_config__resolve_ids(
	    c, fs, prefix, f->user, f->group, &f->uid, &f->gid);
}

int
lb_config__load_functions(struct lb_config__ctx *c,
    const config_setting_t *list, const char *dir, struct lb_config *cfg)
{
	char where[64];
	int len;

	if (lb_config__want_type(c, list, "functions", CONFIG_TYPE_LIST) < 0)
		return -1;
	len = config_setting_length(list);
	cfg->functions =
	    calloc(len > 0 ? (size_t)len : 1, sizeof(*cfg->functions));
	if (cfg->functions == NULL)
		return lb_config__fail(c, list, "functions", "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *fs = config_setting_get_elem(list, i);
		struct lb_function *f = &cfg->functions[i];
		size_t envsize = 0;

		cfg->nfunctions = (size_t)i + 1;
		f->timeout = 3;
		f->memory = 128;
		f->reserved_concurrency = -1;
		f->idle_timeout = 300;
		f->line = (int)config_setting_source_line(fs);
		lb_config__setpath(where, sizeof(where), "functions[%d]", i);
		if (lb_config__parse_group(c, fs, where,
		        lb_config__function_fields, lb_config__nfunction_fields,
		        f) < 0)
			return -1;
		if (lb_config__dup_default(&f->version, "$LATEST") == NULL)
			return lb_config__fail(c, fs, where, "out of memory");
		for (int j = 0; j < i; j++) {
			if (strcmp(cfg->functions[j].name, f->name) != 0)
				continue;
			lb_config__setpath(
			    where, sizeof(where), "functions[%d].name", i);
			return lb_config__fail(c,
			    config_setting_get_member(fs, "name"), where,
			    "duplicate function '%s' (first defined at line "
			    "%d)",
			    f->name, cfg->functions[j].line);
		}
		for (size_t j = 0; j < f->nenvironment; j++)
			envsize += strlen(f->environment[j].key) +
			    strlen(f->environment[j].value);
		if (envsize > ENV_TOTAL_MAX) {
			lb_config__setpath(where, sizeof(where),
			    "functions[%d].environment", i);
			return lb_config__fail(c,
			    config_setting_get_member(fs, "environment"), where,
			    "%zu bytes of variables: Lambda allows at most "
			    "%d",
			    envsize, ENV_TOTAL_MAX);
		}
		if (resolve_module(c, fs, where, dir, f) < 0 ||
		    function_ids(c, fs, where, cfg, f) < 0)
			return -1;
	}
	return 0;
}

/*
 * Concurrency as Lambda accounts it: reserved concurrency comes out of the
 * account's pool, and the unreserved rest must keep room for the functions
 * without a reservation (Lambda keeps 100; we keep 1).
 */
int
lb_config__check_concurrency(struct lb_config__ctx *c,
    const config_setting_t *list, struct lb_config *cfg)
{
	long reserved = 0, provisioned = 0;
	int unreserved = 0;
	char where[64];

	for (size_t i = 0; i < cfg->nfunctions; i++)
		if (cfg->functions[i].reserved_concurrency < 0)
			unreserved = 1;
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		const struct lb_function *f = &cfg->functions[i];
		const config_setting_t *fs =
		    config_setting_get_elem(list, (unsigned)i);
		long pool;

		if (f->reserved_concurrency < 0)
			continue;
		lb_config__setpath(where, sizeof(where),
		    "functions[%zu].reserved_concurrency", i);
		reserved += f->reserved_concurrency;
		pool = cfg->account_concurrency - (unreserved ? 1 : 0);
		if (reserved > pool)
			return lb_config__fail(c,
			    config_setting_get_member(
			        fs, "reserved_concurrency"),
			    where,
			    "%ld reserved in total, over the %ld the account "
			    "can reserve (gateway.account_concurrency %d%s)",
			    reserved, pool, cfg->account_concurrency,
			    unreserved ? " minus 1 left for the unreserved "
			                 "functions"
			               : "");
		if (f->provisioned > f->reserved_concurrency) {
			lb_config__setpath(where, sizeof(where),
			    "functions[%zu].provisioned", i);
			return lb_config__fail(c,
			    config_setting_get_member(fs, "provisioned"), where,
			    "%d is more than the function's "
			    "reserved_concurrency (%d)",
			    f->provisioned, f->reserved_concurrency);
		}
	}
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		const struct lb_function *f = &cfg->functions[i];

		if (f->reserved_concurrency >= 0 || f->provisioned == 0)
			continue;
		provisioned += f->provisioned;
		if (provisioned > cfg->account_concurrency - reserved) {
			lb_config__setpath(where, sizeof(where),
			    "functions[%zu].provisioned", i);
			return lb_config__fail(c,
			    config_setting_get_member(
			        config_setting_get_elem(list, (unsigned)i),
			        "provisioned"),
			    where,
			    "%ld provisioned in total for unreserved "
			    "functions, over the %ld unreserved account "
			    "concurrency",
			    provisioned, cfg->account_concurrency - reserved);
		}
	}
	return 0;
}

int
lb_config__probe_modules(struct lb_config__ctx *c, const config_setting_t *list,
    lb_config_probe *probe, struct lb_config *cfg)
{
	char where[64], why[512];
	int rc;

	for (size_t i = 0; i < cfg->nfunctions; i++) {
		const struct lb_function *f = &cfg->functions[i];
		const config_setting_t *fs =
		    config_setting_get_elem(list, (unsigned)i);

		why[0] = '\0';
		/* its constructors run as the function would */
		lb_sandbox_probe_ids(f->user != NULL, f->uid, f->gid);
		rc = probe(f->module, f->handler, why, sizeof(why));
		lb_sandbox_probe_ids(0, 0, 0);
		if (rc == 0)
			continue;
		lb_config__setpath(
		    where, sizeof(where), "functions[%zu].handler", i);
		return lb_config__fail(c,
		    config_setting_get_member(fs, "handler"), where,
		    "cannot use '%s' from module '%s': %s", f->handler,
		    f->module, why[0] != '\0' ? why : "probe failed");
	}
	return 0;
}
