/*
 * pool.c - the pools of an lb_envs, one per function: who its workers run
 * as and under which filter, their environment block (envvars.c), the
 * function's pinned module (code.h), and its concurrency reservation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "lambda/code.h"
#include "lambda/env_int.h"
#include "lambda/sandbox.h"

/*
 * Who p's workers run as and under which filter.  Without the privilege to
 * switch users, a function's user is ignored (logged), as php-fpm does.
 */
static int
pool_sandbox(struct pool *p, char *err, size_t errlen)
{
	const struct lb_function *fn = p->fn;

	if (fn->user != NULL && lb_sandbox_privileged())
		p->set_ids = 1;
	else if (fn->user != NULL &&
	    (fn->uid != geteuid() || fn->gid != getegid()))
		lb_log(LB_LOG_WARN,
		    "function '%s': not running as user '%s' (only a bridge "
		    "started as root switches users)",
		    fn->name, fn->user);
	if (fn->seccomp != NULL && strcmp(fn->seccomp, "default") == 0) {
		char why[256];

		p->filter = lb_sandbox_filter(why, sizeof(why));
		if (p->filter == NULL) {
			snprintf(
			    err, errlen, "function '%s': %s", fn->name, why);
			return -1;
		}
	}
	return 0;
}

/*
 * Pins pool i's module (code.h), or shares the copy of an earlier pool
 * with the same module.  0, or -1 with "FILE:LINE: setting: reason".
 */
static int
pool_pin(struct lb_envs *E, size_t i, char *err, size_t errlen)
{
	struct pool *p = &E->pools[i];
	char why[256];

	for (size_t j = 0; j < i && p->code_fd < 0; j++)
		if (E->pools[j].code_fd >= 0 &&
		    strcmp(E->pools[j].fn->module, p->fn->module) == 0)
			p->code_fd =
			    fcntl(E->pools[j].code_fd, F_DUPFD_CLOEXEC, 0);
	if (p->code_fd < 0)
		p->code_fd = lb_code_pin(p->fn->module, why, sizeof(why));
	else
		return 0;
	if (p->code_fd < 0) {
		snprintf(err, errlen,
		    "%s:%d: functions[%zu].module: "
		    "cannot use '%s': %s",
		    E->cfg->path, p->fn->line, i, p->fn->module, why);
		return -1;
	}
	return 0;
}

void
envi_pools_free(struct lb_envs *E)
{
	for (size_t i = 0; i < E->npools; i++) {
		struct pool *p = &E->pools[i];

		for (size_t j = 0; p->envp != NULL && j < p->nenvp; j++)
			free(p->envp[j]);
		free(p->envp);
		if (p->code_fd >= 0)
			close(p->code_fd);
	}
	free(E->pools);
	for (size_t j = 0; E->spare_envp != NULL && E->spare_envp[j] != NULL;
	     j++)
		free(E->spare_envp[j]);
	free(E->spare_envp);
}

/*
 * One pool per function of E->cfg (who its workers run as, their
 * environment, the pinned module), the spares' environment and the
 * unreserved concurrency.  0, or -1 with the reason in err (nothing kept).
 */
int
envi_pools_new(struct lb_envs *E, char *err, size_t errlen)
{
	const struct lb_config *cfg = E->cfg;
	long reserved = 0;

	E->pools = calloc(cfg->nfunctions + 1, sizeof(*E->pools));
	if (E->pools == NULL)
		goto fail_mem;
	for (size_t i = 0; i < cfg->nfunctions; i++)
		E->pools[i].code_fd = -1;
	E->npools = cfg->nfunctions;
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		struct pool *p = &E->pools[i];
		const struct lb_function *fn = &cfg->functions[i];

		p->envs = E;
		p->fn = fn;
		snprintf(p->arn, sizeof(p->arn),
		    "arn:aws:lambda:%s:%s:function:%s", cfg->region,
		    cfg->account_id, fn->name);
		snprintf(
		    p->group, sizeof(p->group), "/aws/lambda/%s", fn->name);
		snprintf(p->memory, sizeof(p->memory), "%d", fn->memory);
		if (pool_sandbox(p, err, errlen) < 0)
			goto fail;
		if (envi_pool_env_build(E, p) < 0)
			goto fail_mem;
		if (fn->runtime == LB_RUNTIME_NATIVE &&
		    pool_pin(E, i, err, errlen) < 0)
			goto fail;
		if (fn->reserved_concurrency >= 0)
			reserved += fn->reserved_concurrency;
	}
	if (envi_spare_env_build(E) < 0)
		goto fail_mem;
	E->unreserved_cap = cfg->account_concurrency - (int)reserved;
	if (E->unreserved_cap < 0)
		E->unreserved_cap = 0;
	return 0;
fail_mem:
	snprintf(err, errlen, "out of memory");
fail:
	envi_pools_free(E);
	return -1;
}

/*
 * Whether pool p would start its environments as `old` does: the same
 * runtime, pinned bytes or bootstrap, handler, memory and environment
 * block.
 */
int
envi_pool_same(const struct pool *p, const struct pool *old)
{
	const struct lb_function *f = p->fn, *o = old->fn;

	if (strcmp(f->handler, o->handler) != 0 || f->runtime != o->runtime ||
	    f->memory != o->memory || p->nenvp != old->nenvp ||
	    f->nbootstrap != o->nbootstrap ||
	    (f->runtime == LB_RUNTIME_NATIVE &&
	        !lb_code_same(p->code_fd, old->code_fd)))
		return 0;
	for (size_t i = 0; i < f->nbootstrap; i++)
		if (strcmp(f->bootstrap[i], o->bootstrap[i]) != 0)
			return 0;
	for (size_t i = 0; i < p->nenvp; i++)
		if (strcmp(p->envp[i], old->envp[i]) != 0)
			return 0;
	return 1;
}
