/* env.c - STUB, replaced by the real execution environments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

struct lb_envs {
	const struct lb_config *cfg;
};

struct lb_envs *
lb_envs_new(
    const struct lb_config *cfg, const char *self_exe, char *err, size_t errlen)
{
	(void)self_exe;
	(void)err;
	(void)errlen;
	struct lb_envs *e = calloc(1, sizeof(*e));

	if (e != NULL)
		e->cfg = cfg;
	return e;
}

int
lb_envs_invoke(struct lb_envs *envs, size_t function,
    const struct lb_invoke_request *rq, struct lb_invoke_result *res)
{
	(void)envs;
	(void)function;
	(void)rq;
	memset(res, 0, sizeof(*res));
	res->status = LB_INVOKE_INIT_ERROR;
	snprintf(res->error_type, sizeof(res->error_type), "Runtime.Unknown");
	return 0;
}

void
lb_invoke_result_clear(struct lb_invoke_result *res)
{
	free(res->payload);
	res->payload = NULL;
}

void
lb_envs_free(struct lb_envs *envs)
{
	free(envs);
}

void
lb_envs_dump_stats(struct lb_envs *envs, FILE *out)
{
	(void)envs;
	(void)out;
}
