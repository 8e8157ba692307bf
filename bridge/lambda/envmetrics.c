/*
 * envmetrics.c - an invocation's counts into its function's metrics
 * (lb_fn_metrics, env.h), when the gateway set them: relaxed atomic
 * adds, since two generations may count into the same function's.
 */
#include <string.h>

#include "lambda/env_int.h"

#define ADD(field, n) __atomic_add_fetch(&(field), (n), __ATOMIC_RELAXED)

void
lb_envs_set_metrics(struct lb_envs *E, size_t function, struct lb_fn_metrics *m)
{
	if (E == NULL || function >= E->npools)
		return;
	pthread_mutex_lock(&E->mu);
	E->pools[function].metrics = m;
	pthread_mutex_unlock(&E->mu);
}

void
envi_metrics_begin(struct pool *p, int ok)
{
	if (p->metrics == NULL)
		return;
	if (ok)
		ADD(p->metrics->invocations, 1);
	else
		ADD(p->metrics->throttles, 1);
}

void
envi_metrics_slot(struct pool *p, int delta)
{
	if (p->metrics != NULL)
		ADD(p->metrics->concurrent, delta);
}

void
envi_metrics_cold(struct pool *p)
{
	if (p->metrics != NULL)
		ADD(p->metrics->cold_starts, 1);
}

/* The kind of a failed result (LB_FN_ERR_COUNT: not a failure). */
static enum lb_fn_error
error_kind(const struct lb_invoke_result *res)
{
	switch (res->status) {
	case LB_INVOKE_OK:
	case LB_INVOKE_INTEGRATION_TIMEOUT:
	case LB_INVOKE_THROTTLED: return LB_FN_ERR_COUNT;
	case LB_INVOKE_FUNCTION_ERROR: return LB_FN_ERR_UNHANDLED;
	case LB_INVOKE_INIT_ERROR:
		/* no environment could be started at all */
		if (strcmp(res->error_type, "Runtime.Unknown") == 0)
			return LB_FN_ERR_UNKNOWN;
		return LB_FN_ERR_INIT;
	case LB_INVOKE_TIMEOUT: return LB_FN_ERR_TIMEOUT;
	case LB_INVOKE_TOO_LARGE: return LB_FN_ERR_TOO_LARGE;
	case LB_INVOKE_CRASH:
		if (strcmp(res->error_type, "Runtime.OutOfMemory") == 0)
			return LB_FN_ERR_OOM;
		if (strcmp(res->error_type, "Runtime.ExitError") == 0)
			return LB_FN_ERR_EXIT;
		return LB_FN_ERR_UNKNOWN;
	}
	return LB_FN_ERR_UNKNOWN;
}

void
envi_metrics_complete(struct pool *p, const struct inv *inv)
{
	struct lb_fn_metrics *m = p->metrics;
	enum lb_fn_error kind;

	if (m == NULL)
		return;
	kind = error_kind(&inv->res);
	if (kind != LB_FN_ERR_COUNT)
		ADD(m->errors[kind], 1);
	if (kind == LB_FN_ERR_TIMEOUT)
		ADD(m->timeouts, 1);
	/* as REPORT lines: a Duration once the event was sent, an Init
	 * Duration with it on a cold start */
	if (inv->start_mono > 0) {
		lb_prom_hist_observe(
		    &m->duration, (int64_t)(inv->res.duration_ms * 1000.0));
		if (inv->cold)
			lb_prom_hist_observe(
			    &m->init, (int64_t)(inv->init_ms * 1000.0));
	}
}
