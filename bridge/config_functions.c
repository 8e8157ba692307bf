/*
 * config_functions.c - the `functions` section of the configuration: each
 * function's settings (lb_config__function_fields), its code found and
 * checked (a native module, or a provided runtime's bootstrap), its user, the concurrency Lambda would let the account reserve,
 * and the module probe.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "base/pathfind.h"
#include "lambda/probe.h"
#include "lambda/sandbox.h"

#define ENV_TOTAL_MAX 4096 /* Lambda: 4 KB of environment variables */

/* `path` against `dir` unless absolute, into out[PATH_MAX + 1]. */
static int
join_path(char *out, const char *dir, const char *path)
{
	int n = path[0] == '/'
	    ? snprintf(out, PATH_MAX + 1, "%s", path)
	    : snprintf(out, PATH_MAX + 1, "%s/%s", dir, path);

	return n < 0 || n > PATH_MAX ? -1 : 0;
}

/* Resolves f->module against `dir` and checks that the file is there. */
static int
resolve_module(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const char *dir, struct lb_function *f)
{
	const config_setting_t *s = config_setting_get_member(fs, "module");
	char joined[PATH_MAX + 1], sub[256];
	char *real;
	struct stat st;

	lb_config__setpath(sub, sizeof(sub), "%s.module", where);
	if (join_path(joined, dir, f->module) < 0)
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

/* The handler as its runtime wants it. */
static int
check_handler(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const char *handler, const char *(*check)(const char *))
{
	const char *why = check(handler);
	char sub[256];

	if (why == NULL)
		return 0;
	lb_config__setpath(sub, sizeof(sub), "%s.handler", where);
	return lb_config__fail(c, config_setting_get_member(fs, "handler"), sub,
	    "'%s': %s", handler, why);
}

/* The settings of the other runtime must not be there. */
static int
runtime_only(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const char *name, const char *runtime)
{
	const config_setting_t *s = config_setting_get_member(fs, name);
	char sub[256];

	if (s == NULL)
		return 0;
	lb_config__setpath(sub, sizeof(sub), "%s.%s", where, name);
	return lb_config__fail(c, s, sub,
	    "only for runtime = \"%s\" (this function's runtime is \"%s\")",
	    runtime, strcmp(runtime, "native") == 0 ? "provided" : "native");
}

/*
 * A provided function: code_dir (a folder) and bootstrap (argv; its
 * program CODE_DIR/bootstrap by default, a relative path against the
 * configuration's folder, a bare name from $PATH), both made absolute.
 * Whether the function's user may run it is checked with its ids.
 */
static int
resolve_provided(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const char *dir, struct lb_function *f)
{
	const config_setting_t *bs = config_setting_get_member(fs, "bootstrap");
	const config_setting_t *cs = config_setting_get_member(fs, "code_dir");
	char path[PATH_MAX + 1], sub[256];
	struct stat st;
	char *real;

	if (runtime_only(c, fs, where, "module", "native") < 0 ||
	    check_handler(
	        c, fs, where, f->handler, lb_config__check_handler_chars) < 0)
		return -1;
	if (f->code_dir == NULL && bs == NULL)
		return lb_config__fail(c, fs, where,
		    "runtime = \"provided\" needs code_dir or bootstrap");
	lb_config__setpath(sub, sizeof(sub), "%s.bootstrap", where);
	if (bs != NULL && f->nbootstrap == 0)
		return lb_config__fail(c, bs, sub,
		    "expected the program and its arguments, not an empty "
		    "list");
	if (f->code_dir != NULL) {
		lb_config__setpath(sub, sizeof(sub), "%s.code_dir", where);
		if (join_path(path, dir, f->code_dir) < 0)
			return lb_config__fail(c, cs, sub, "path too long");
		if ((real = realpath(path, NULL)) == NULL)
			return lb_config__fail(c, cs, sub,
			    "cannot find '%s': %s", path, strerror(errno));
		free(f->code_dir);
		f->code_dir = real;
		if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
			return lb_config__fail(
			    c, cs, sub, "'%s' is not a folder", real);
	}
	lb_config__setpath(sub, sizeof(sub), "%s.bootstrap", where);
	if (f->nbootstrap == 0) {
		f->bootstrap = calloc(2, sizeof(*f->bootstrap));
		if (f->bootstrap == NULL)
			return lb_config__fail(c, fs, where, "out of memory");
		f->nbootstrap = 1;
		if (join_path(path, f->code_dir, "bootstrap") < 0)
			return lb_config__fail(c, cs, sub, "path too long");
	} else if (strchr(f->bootstrap[0], '/') == NULL) {
		if (lb_path_find(f->bootstrap[0], path, sizeof(path)) < 0)
			return lb_config__fail(c, bs, sub,
			    "cannot find '%s' in $PATH", f->bootstrap[0]);
	} else if (join_path(path, dir, f->bootstrap[0]) < 0) {
		return lb_config__fail(c, bs, sub, "path too long");
	}
	if (stat(path, &st) < 0)
		return lb_config__fail(c, bs != NULL ? bs : fs, sub,
		    "cannot find '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return lb_config__fail(c, bs != NULL ? bs : fs, sub,
		    "'%s' is not a regular file", path);
	free(f->bootstrap[0]);
	if ((f->bootstrap[0] = strdup(path)) == NULL)
		return lb_config__fail(c, fs, where, "out of memory");
	if (f->code_dir == NULL) {
		char *slash;

		if ((f->code_dir = strdup(path)) == NULL)
			return lb_config__fail(c, fs, where, "out of memory");
		slash = strrchr(f->code_dir, '/');
		*(slash == f->code_dir ? slash + 1 : slash) = '\0';
	}
	return 0;
}

/* A native function: its module, and a handler that is a symbol. */
static int
resolve_native(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const char *dir, struct lb_function *f)
{
	char sub[256];

	if (runtime_only(c, fs, where, "bootstrap", "provided") < 0 ||
	    runtime_only(c, fs, where, "code_dir", "provided") < 0)
		return -1;
	if (f->module == NULL) {
		lb_config__setpath(sub, sizeof(sub), "%s.module", where);
		return lb_config__fail(c, fs, sub, "missing (required)");
	}
	return check_handler(
	           c, fs, where, f->handler, lb_config__check_symbol) < 0
	    ? -1
	    : resolve_module(c, fs, where, dir, f);
}

/* The bootstrap runs as the function's user: it must be able to enter
 * code_dir and execute the program (and under StrictModes, the file and
 * its folders must be safe). */
static int
check_bootstrap(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const struct lb_config *cfg, const struct lb_function *f)
{
	const config_setting_t *bs = config_setting_get_member(fs, "bootstrap");
	int set_ids = f->user != NULL && lb_sandbox_privileged();
	char sub[256], why[PATH_MAX + 64];

	lb_config__setpath(sub, sizeof(sub), "%s.bootstrap", where);
	if (bs == NULL)
		bs = fs;
	if (cfg->strict_modes &&
	    lb_config__strict_path(c, bs, sub, f->bootstrap[0]) < 0)
		return -1;
	if (lb_probe_exec(f->bootstrap[0], f->code_dir, set_ids, f->uid, f->gid,
	        why, sizeof(why)) < 0)
		return lb_config__fail(c, bs, sub, "%s (as %s%s)", why,
		    f->user != NULL ? "user " : "the bridge's user",
		    f->user != NULL ? f->user : "");
	return 0;
}

/* A function's user and group, gateway.user's by default; its module
 * under StrictModes. */
static int
function_ids(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, const struct lb_config *cfg, struct lb_function *f)
{
	char prefix[80];

	if (cfg->strict_modes && f->runtime == LB_RUNTIME_NATIVE) {
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
	int len, rc = 0;

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
		        f) < 0) {
			/* collecting, the next function's settings too */
			if (!LB_CONFIG__COLLECTING(c))
				return -1;
			rc = -1;
			continue;
		}
		if (lb_config__dup_default(&f->version, "$LATEST") == NULL)
			return lb_config__fail(c, fs, where, "out of memory");
		if (lb_config__function_logs(c, fs, where, f) < 0)
			return -1;
		for (int j = 0; j < i; j++) {
			if (cfg->functions[j].name == NULL ||
			    strcmp(cfg->functions[j].name, f->name) != 0)
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
		if (f->runtime_name != NULL &&
		    strcmp(f->runtime_name, "provided") == 0)
			f->runtime = LB_RUNTIME_PROVIDED;
		if ((f->runtime == LB_RUNTIME_PROVIDED
		            ? resolve_provided(c, fs, where, dir, f)
		            : resolve_native(c, fs, where, dir, f)) < 0 ||
		    function_ids(c, fs, where, cfg, f) < 0)
			return -1;
		if (f->runtime == LB_RUNTIME_PROVIDED &&
		    check_bootstrap(c, fs, where, cfg, f) < 0)
			return -1;
	}
	return rc;
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

/* Whether an earlier native function of cfg loads the same module and
 * handler as functions[i], as the same ids: its probe answers for both. */
static int
probed_before(const struct lb_config *cfg, size_t i)
{
	const struct lb_function *f = &cfg->functions[i];

	for (size_t j = 0; j < i; j++) {
		const struct lb_function *e = &cfg->functions[j];

		if (e->runtime == LB_RUNTIME_NATIVE &&
		    strcmp(e->module, f->module) == 0 &&
		    strcmp(e->handler, f->handler) == 0 &&
		    (e->user != NULL) == (f->user != NULL) &&
		    (f->user == NULL || (e->uid == f->uid && e->gid == f->gid)))
			return 1;
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

		if (f->runtime != LB_RUNTIME_NATIVE)
			continue; /* a bootstrap is checked, never run here */
		/* one child per module, handler and ids: 1,000 functions of
		 * one module start (and reload) in one probe, not 1,000 */
		if (probed_before(cfg, i))
			continue;
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
