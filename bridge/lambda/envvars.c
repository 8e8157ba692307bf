/*
 * envvars.c - the environment variables of a function's workers: Lambda's
 * reserved ones, the function's own, and the gateway's passthrough (also
 * the spares' environment).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/env_int.h"
#include "lambda/jsonlog.h"

char *
envi_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static int
is_reserved(const char *key)
{
	static const char *const names[] = { "_HANDLER", "_X_AMZN_TRACE_ID",
		"AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
		"LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_ACCESS_KEY",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN" };

	if (strncmp(key, "AWS_LAMBDA_", 11) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

static int
envp_add(struct pool *p, size_t cap, char *s)
{
	if (s == NULL || p->nenvp + 1 >= cap) {
		free(s);
		return -1;
	}
	p->envp[p->nenvp++] = s;
	p->envp[p->nenvp] = NULL;
	return 0;
}

/* Whether the function's own environment sets `key`. */
static int
fn_sets(const struct lb_function *fn, const char *key)
{
	for (size_t i = 0; i < fn->nenvironment; i++)
		if (strcmp(fn->environment[i].key, key) == 0)
			return 1;
	return 0;
}

/*
 * Whether the function's environment sets a variable that only a process
 * start reads (the dynamic linker's, glibc's tunables and malloc settings,
 * the sanitizers'): its workers then never start from a spare.
 */
static int
sets_startup_var(const struct lb_function *fn)
{
	for (size_t i = 0; i < fn->nenvironment; i++) {
		const char *k = fn->environment[i].key;
		size_t n = strlen(k);

		if (strncmp(k, "LD_", 3) == 0 || strncmp(k, "GLIBC_", 6) == 0 ||
		    strncmp(k, "MALLOC_", 7) == 0 ||
		    (n >= 11 && strcmp(k + n - 11, "SAN_OPTIONS") == 0))
			return 1;
	}
	return 0;
}

/* The gateway's variables its workers get (pool and spare environments). */
static const char *const passthrough[] = { "LD_LIBRARY_PATH", "ASAN_OPTIONS",
	"UBSAN_OPTIONS", "LSAN_OPTIONS" };
#define NPASSTHROUGH (sizeof(passthrough) / sizeof(*passthrough))

/*
 * Builds the spares' environment until START replaces it: the passthrough
 * variables, which the dynamic linker and the sanitizers read at the
 * process start.
 */
int
envi_spare_env_build(struct lb_envs *E)
{
	size_t n = 0;
	const char *v;

	E->spare_envp = calloc(NPASSTHROUGH + 1, sizeof(*E->spare_envp));
	if (E->spare_envp == NULL)
		return -1;
	for (size_t i = 0; i < NPASSTHROUGH; i++)
		if ((v = getenv(passthrough[i])) != NULL &&
		    (E->spare_envp[n++] =
		            envi_asprintf("%s=%s", passthrough[i], v)) == NULL)
			return -1;
	return 0;
}

/* Builds the pool's constant environment block (everything but the
 * per-environment stream name and initialization type). */
int
envi_pool_env_build(struct lb_envs *E, struct pool *p)
{
	const struct lb_config *cfg = E->cfg;
	const struct lb_function *fn = p->fn;
	size_t cap = 32 + fn->nenvironment;
	const char *path = getenv("PATH");
	char *root, *slash;
	int rc = 0;

	p->envp = calloc(cap, sizeof(*p->envp));
	if (p->envp == NULL)
		return -1;
	/* the task root: a provided function's code_dir, a module's folder */
	root = strdup(
	    fn->runtime == LB_RUNTIME_PROVIDED ? fn->code_dir : fn->module);
	if (root == NULL)
		return -1;
	slash = strrchr(root, '/');
	if (slash != NULL && fn->runtime == LB_RUNTIME_NATIVE)
		*(slash == root ? slash + 1 : slash) = '\0';
	rc |= envp_add(
	    p, cap, envi_asprintf("AWS_LAMBDA_FUNCTION_NAME=%s", fn->name));
	rc |= envp_add(p, cap,
	    envi_asprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", fn->memory));
	rc |= envp_add(p, cap,
	    envi_asprintf("AWS_LAMBDA_FUNCTION_VERSION=%s", fn->version));
	rc |= envp_add(
	    p, cap, envi_asprintf("AWS_LAMBDA_LOG_GROUP_NAME=%s", p->group));
	/* the advanced logging controls, as Lambda passes them on: the
	 * level only in the JSON format */
	rc |= envp_add(p, cap,
	    strdup(fn->log_json ? "AWS_LAMBDA_LOG_FORMAT=JSON"
	                        : "AWS_LAMBDA_LOG_FORMAT=Text"));
	if (fn->log_json)
		rc |= envp_add(p, cap,
		    envi_asprintf("AWS_LAMBDA_LOG_LEVEL=%s",
		        lb_jsonlog_level_name(fn->app_log_level)));
	rc |= envp_add(p, cap, envi_asprintf("AWS_REGION=%s", cfg->region));
	rc |= envp_add(
	    p, cap, envi_asprintf("AWS_DEFAULT_REGION=%s", cfg->region));
	/* Lambda names its managed runtimes here; a custom runtime (provided)
	 * gets no AWS_EXECUTION_ENV */
	if (fn->runtime == LB_RUNTIME_NATIVE)
		rc |=
		    envp_add(p, cap, strdup("AWS_EXECUTION_ENV=lambdabridge"));
	rc |= envp_add(p, cap, envi_asprintf("_HANDLER=%s", fn->handler));
	rc |= envp_add(p, cap, envi_asprintf("LAMBDA_TASK_ROOT=%s", root));
	rc |= envp_add(
	    p, cap, envi_asprintf("LAMBDA_RUNTIME_DIR=%s", E->runtime_dir));
	free(root);
	if (!fn_sets(fn, "TZ"))
		rc |= envp_add(p, cap, strdup("TZ=UTC"));
	if (!fn_sets(fn, "LANG"))
		rc |= envp_add(p, cap, strdup("LANG=en_US.UTF-8"));
	if (!fn_sets(fn, "PATH"))
		rc |= envp_add(p, cap,
		    envi_asprintf("PATH=%s",
		        path != NULL ? path : "/usr/local/bin:/usr/bin:/bin"));
	p->spare_ok = fn->runtime == LB_RUNTIME_NATIVE &&
	    !sets_startup_var(fn) && p->filter == NULL &&
	    (!p->set_ids || (fn->uid == geteuid() && fn->gid == getegid()));
	for (size_t i = 0; i < NPASSTHROUGH; i++) {
		const char *v = getenv(passthrough[i]);

		if (fn->runtime == LB_RUNTIME_PROVIDED &&
		    strcmp(passthrough[i], "LD_LIBRARY_PATH") == 0)
			continue;
		if (v != NULL && !fn_sets(fn, passthrough[i]))
			rc |= envp_add(
			    p, cap, envi_asprintf("%s=%s", passthrough[i], v));
	}
	/* Lambda's custom runtimes find libraries in the task root and its
	 * lib/ (after the system's) */
	if (fn->runtime == LB_RUNTIME_PROVIDED &&
	    !fn_sets(fn, "LD_LIBRARY_PATH")) {
		const char *v = getenv("LD_LIBRARY_PATH");

		rc |= envp_add(p, cap,
		    envi_asprintf("LD_LIBRARY_PATH=%s%s%s:%s/lib",
		        v != NULL ? v : "", v != NULL && *v != '\0' ? ":" : "",
		        fn->code_dir, fn->code_dir));
	}
	for (size_t i = 0; i < fn->nenvironment; i++)
		if (!is_reserved(fn->environment[i].key))
			rc |= envp_add(p, cap,
			    envi_asprintf("%s=%s", fn->environment[i].key,
			        fn->environment[i].value));
	return rc != 0 ? -1 : 0;
}
