/*
 * generation.c - the gateway's configuration generations (gateway_int.h):
 * a request holds a reference on the generation (config, router,
 * environments, buckets and quotas' counts) it started on; a reload swaps the
 * current generation, and the old one is freed, on a thread of its own,
 * once its last request has finished.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lambda/env.h"
#include "apigw/accesslog.h"
#include "base/logfile.h"
#include "apigw/authcache.h"
#include "apigw/gateway.h"
#include "apigw/gateway_int.h"
#include "apigw/jwks.h"
#include "apigw/quota.h"
#include "apigw/metrics.h"
#include "base/ids.h"
#include "apigw/router.h"
#include "apigw/admit.h"
#include "apigw/throttle.h"

struct lb_gateway {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lb_gen *cur;
	/* generations not yet freed, the current one included: a request
	 * may drop its reference after its response went out, so the
	 * gateway is freed only once the last of them is */
	int live;
	struct lb_quotas *quotas;   /* borrowed: every generation's counts */
	struct lb_metrics *metrics; /* counters kept across reloads */
};

static void
gen_free(struct lb_gen *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; g->route_buckets != NULL && i < g->cfg->nroutes; i++)
		lb_throttle_destroy(&g->route_buckets[i]);
	free(g->route_buckets);
	lb_throttle_destroy(&g->account_bucket);
	for (size_t i = 0; g->keys != NULL && i < g->cfg->napi_keys; i++) {
		lb_throttle_destroy(&g->keys[i].bucket);
	}
	free(g->keys);
	lb_authcache_free(g->authcache);
	for (size_t i = 0; g->jwks != NULL && i < g->cfg->nauthorizers; i++)
		lb_jwks_store_free(g->jwks[i]);
	free(g->jwks);
	free(g->authz);
	lb_accesslog_free(g->access_fmt);
	lb_logfile_close(g->access_file);
	lb_admit_gen_free(g->admit); /* its leases given back first */
	lb_envs_free(g->envs);
	lb_metrics_unbind(g);
	lb_router_free(g->router);
	lb_config_free(g->cfg);
	free(g);
}

/* Full buckets for the routes', the account's and the API keys'
 * throttling: a reload starts them afresh, as a new deployment does.  The
 * keys' quota counts are the gateway's, found by key id: they carry over
 * (quota.h). */
static int
buckets_init(struct lb_gen *g, struct lb_quotas *quotas)
{
	const struct lb_config *cfg = g->cfg;
	int64_t now = lb_mono_us();

	g->route_buckets = calloc(
	    cfg->nroutes > 0 ? cfg->nroutes : 1, sizeof(*g->route_buckets));
	if (g->route_buckets == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nroutes; i++)
		lb_throttle_init(
		    &g->route_buckets[i], cfg->routes[i].throttle, now);
	lb_throttle_init(&g->account_bucket, cfg->account_throttle, now);
	g->keys =
	    calloc(cfg->napi_keys > 0 ? cfg->napi_keys : 1, sizeof(*g->keys));
	if (g->keys == NULL)
		return -1;
	for (size_t i = 0; i < cfg->napi_keys; i++) {
		const struct lb_api_key *k = &cfg->api_keys[i];

		lb_throttle_init(&g->keys[i].bucket, k->throttle, now);
		if (k->quota_limit >= 0 &&
		    (g->keys[i].quota = lb_quotas_get(quotas, k->id)) == NULL)
			return -1;
	}
	g->authz = calloc(
	    cfg->nauthorizers > 0 ? cfg->nauthorizers : 1, sizeof(*g->authz));
	if (g->authz == NULL)
		return -1;
	/* a new deployment starts with an empty authorizer cache too */
	for (size_t i = 0; i < cfg->nauthorizers; i++)
		if (cfg->authorizers[i].ttl > 0 && g->authcache == NULL &&
		    (g->authcache = lb_authcache_new(LB_AUTHCACHE_MAX_BYTES)) ==
		        NULL)
			return -1;
	return 0;
}

/* A key store for every JWT authorizer (jwks.h): a jwks_file is read
 * now, so that a reload to a bad one is refused; URLs are fetched on
 * first use. */
static int
jwks_init(struct lb_gen *g, char *err, size_t errlen)
{
	const struct lb_config *cfg = g->cfg;
	char why[512];

	for (size_t i = 0; i < cfg->nauthorizers; i++) {
		const struct lb_authorizer *a = &cfg->authorizers[i];
		struct lb_jwks_source src = { a->name, a->jwks_file,
			a->jwks_uri, a->issuer };

		if (a->type != LB_AUTHORIZER_JWT)
			continue;
		if (g->jwks == NULL &&
		    (g->jwks = calloc(cfg->nauthorizers, sizeof(*g->jwks))) ==
		        NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		g->jwks[i] = lb_jwks_store_new(&src, why, sizeof(why));
		if (g->jwks[i] == NULL) {
			snprintf(err, errlen, "%s:%d: authorizers[%zu]: %s",
			    cfg->path, a->line, i, why);
			return -1;
		}
	}
	return 0;
}

/* gateway.access_log: its format compiled (checked by the loader) and its
 * file opened, so that a reload to a path that cannot be written is
 * refused. */
static int
access_init(struct lb_gen *g, char *err, size_t errlen)
{
	const struct lb_access_log *al = &g->cfg->access_log;
	char why[512];

	if (!al->set)
		return 0;
	g->access_fmt = lb_accesslog_parse(al->format, why, sizeof(why));
	if (g->access_fmt == NULL ||
	    (g->access_file = lb_logfile_open(al->path, why, sizeof(why))) ==
	        NULL) {
		snprintf(err, errlen, "%s: gateway.access_log: %s",
		    g->cfg->path, why);
		return -1;
	}
	return 0;
}

int
lb_gateway_reopen_logs(struct lb_gateway *gw, char *err, size_t errlen)
{
	struct lb_gen *g = lb_gen_acquire(gw);
	int rc = 0;

	if (g->access_file != NULL)
		rc = lb_logfile_reopen(g->access_file, err, errlen);
	lb_gen_release(gw, g);
	return rc;
}

/* Builds a generation over cfg (taking it) counting into m; NULL with err
 * on failure. */
static struct lb_gen *
gen_new(struct lb_quotas *quotas, struct lb_config *cfg, struct lb_metrics *m,
    char *err, size_t errlen)
{
	struct lb_gen *g = calloc(1, sizeof(*g));
	char why[512];
	size_t bad = 0;

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		lb_config_free(cfg);
		return NULL;
	}
	g->cfg = cfg;
	g->refs = 1;
	g->router =
	    lb_router_new(cfg->routes, cfg->nroutes, &bad, why, sizeof(why));
	if (g->router != NULL)
		lb_router_set_rest(g->router, cfg->api == LB_API_REST);
	if (g->router == NULL) {
		if (bad < cfg->nroutes)
			snprintf(err, errlen, "%s:%d: routes[%zu]: %s",
			    cfg->path, cfg->routes[bad].line, bad, why);
		else
			snprintf(err, errlen, "%s: routes: %s", cfg->path, why);
		gen_free(g);
		return NULL;
	}
	g->envs = lb_envs_new(cfg, lb_worker_exe(), err, errlen);
	if (g->envs == NULL) {
		gen_free(g);
		return NULL;
	}
	if (buckets_init(g, quotas) < 0 || lb_metrics_bind(m, g) < 0) {
		snprintf(err, errlen, "out of memory");
		gen_free(g);
		return NULL;
	}
	if (jwks_init(g, err, errlen) < 0 || access_init(g, err, errlen) < 0) {
		gen_free(g);
		return NULL;
	}
	g->admit = lb_admit_gen_new(cfg, err, errlen);
	if (g->admit == NULL && err[0] != '\0') {
		gen_free(g);
		return NULL;
	}
	return g;
}

struct lb_gateway *
lb_gateway_new(
    struct lb_config *cfg, struct lb_quotas *quotas, char *err, size_t errlen)
{
	struct lb_gateway *gw = calloc(1, sizeof(*gw));

	if (gw == NULL) {
		snprintf(err, errlen, "out of memory");
		lb_config_free(cfg);
		return NULL;
	}
	gw->quotas = quotas;
	gw->metrics = lb_metrics_new();
	if (gw->metrics == NULL) {
		snprintf(err, errlen, "out of memory");
		lb_config_free(cfg);
		free(gw);
		return NULL;
	}
	gw->cur = gen_new(quotas, cfg, gw->metrics, err, errlen);
	if (gw->cur == NULL) {
		lb_metrics_free(gw->metrics);
		free(gw);
		return NULL;
	}
	gw->live = 1;
	pthread_mutex_init(&gw->mu, NULL);
	pthread_cond_init(&gw->cv, NULL);
	return gw;
}

struct lb_gen *
lb_gen_acquire(struct lb_gateway *gw)
{
	struct lb_gen *g;

	pthread_mutex_lock(&gw->mu);
	g = gw->cur;
	g->refs++;
	pthread_mutex_unlock(&gw->mu);
	return g;
}

struct retire_arg {
	struct lb_gateway *gw;
	struct lb_gen *gen;
};

static void *
retire_thread(void *p)
{
	struct retire_arg *ra = p;
	struct lb_gateway *gw = ra->gw;

	gen_free(ra->gen);
	free(ra);
	pthread_mutex_lock(&gw->mu);
	if (--gw->live == 0)
		pthread_cond_broadcast(&gw->cv);
	pthread_mutex_unlock(&gw->mu);
	return NULL;
}

void
lb_gen_release(struct lb_gateway *gw, struct lb_gen *g)
{
	struct retire_arg *ra;
	pthread_t t;
	int last;

	pthread_mutex_lock(&gw->mu);
	last = --g->refs == 0;
	pthread_mutex_unlock(&gw->mu);
	if (!last)
		return;
	ra = malloc(sizeof(*ra));
	if (ra != NULL) {
		ra->gw = gw;
		ra->gen = g;
		if (pthread_create(&t, NULL, retire_thread, ra) == 0) {
			pthread_detach(t);
			return;
		}
		free(ra);
	}
	/* no thread: free it here, late but correct */
	ra = malloc(sizeof(*ra));
	if (ra == NULL) {
		gen_free(g);
		pthread_mutex_lock(&gw->mu);
		if (--gw->live == 0)
			pthread_cond_broadcast(&gw->cv);
		pthread_mutex_unlock(&gw->mu);
		return;
	}
	ra->gw = gw;
	ra->gen = g;
	retire_thread(ra);
}

int
lb_gateway_reload(
    struct lb_gateway *gw, struct lb_config *cfg, char *err, size_t errlen)
{
	struct lb_gen *g = gen_new(gw->quotas, cfg, gw->metrics, err, errlen),
	              *old;

	if (g == NULL)
		return -1;
	/*
	 * A changed function must start before the switch: a new module
	 * whose lb_init fails would otherwise answer every request with an
	 * init error.  gw->cur changes only here (one reloading thread).
	 */
	if (lb_envs_prime(g->envs, gw->cur->envs, err, errlen) < 0) {
		gen_free(g);
		return -1;
	}
	pthread_mutex_lock(&gw->mu);
	old = gw->cur;
	gw->cur = g;
	gw->live++;
	pthread_mutex_unlock(&gw->mu);
	lb_gen_release(gw, old);
	return 0;
}

size_t
lb_gateway_max_body(struct lb_gateway *gw)
{
	size_t max;

	pthread_mutex_lock(&gw->mu);
	max = gw->cur->cfg->max_request_body;
	pthread_mutex_unlock(&gw->mu);
	return max;
}

void
lb_gateway_shared_stats(struct lb_gateway *gw, struct lb_admit_stats *st)
{
	struct lb_gen *g = lb_gen_acquire(gw);

	lb_admit_stats(g->admit, st);
	lb_gen_release(gw, g);
}

void
lb_gateway_dump_stats(struct lb_gateway *gw, FILE *out)
{
	struct lb_gen *g = lb_gen_acquire(gw);

	lb_envs_dump_stats(g->envs, out);
	if (g->access_file != NULL)
		fprintf(out, "access_log '%s': lines_lost=%lu\n",
		    lb_logfile_path(g->access_file),
		    lb_logfile_lost(g->access_file));
	lb_admit_dump(g->admit, out);
	fprintf(out, "gateway: throttled=%llu over_quota=%llu\n",
	    (unsigned long long)__atomic_load_n(
	        &g->throttled, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(
	        &g->over_quota, __ATOMIC_RELAXED));
	for (size_t i = 0; i < g->cfg->nauthorizers; i++) {
		const struct lb_gen_authz *a = &g->authz[i];

		fprintf(out,
		    "authorizer %s: invoked=%llu cache_hits=%llu allowed=%llu "
		    "denied=%llu unauthorized=%llu failed=%llu\n",
		    g->cfg->authorizers[i].name,
		    (unsigned long long)__atomic_load_n(
		        &a->invoked, __ATOMIC_RELAXED),
		    (unsigned long long)__atomic_load_n(
		        &a->cache_hits, __ATOMIC_RELAXED),
		    (unsigned long long)__atomic_load_n(
		        &a->allowed, __ATOMIC_RELAXED),
		    (unsigned long long)__atomic_load_n(
		        &a->denied, __ATOMIC_RELAXED),
		    (unsigned long long)__atomic_load_n(
		        &a->unauthorized, __ATOMIC_RELAXED),
		    (unsigned long long)__atomic_load_n(
		        &a->failed, __ATOMIC_RELAXED));
	}
	for (size_t i = 0; i < g->cfg->napi_keys; i++) {
		const struct lb_api_key *k = &g->cfg->api_keys[i];
		long long used;

		if (k->quota_limit < 0)
			continue;
		used = lb_quota_used(g->keys[i].quota, k, lb_now_ms());
		fprintf(out, "api key %s: quota_used=%lld quota_limit=%d\n",
		    k->name, used, k->quota_limit);
	}
	lb_quotas_dump(gw->quotas, out);
	for (size_t i = 0; g->jwks != NULL && i < g->cfg->nauthorizers; i++) {
		struct lb_jwks_stats st;

		if (g->jwks[i] == NULL)
			continue;
		lb_jwks_store_stats(g->jwks[i], &st);
		fprintf(out,
		    "authorizer %s keys: jwks_fetches=%llu "
		    "jwks_failures=%llu\n",
		    g->cfg->authorizers[i].name, (unsigned long long)st.fetches,
		    (unsigned long long)st.failures);
	}
	lb_gen_release(gw, g);
}

int
lb_gateway_wait_ready(struct lb_gateway *gw, int64_t until_mono)
{
	struct lb_gen *g = lb_gen_acquire(gw);
	int rc = lb_envs_wait_provisioned(g->envs, until_mono);

	lb_gen_release(gw, g);
	return rc;
}

void
lb_gateway_status(struct lb_gateway *gw, char *buf, size_t len)
{
	struct lb_gen *g = lb_gen_acquire(gw);
	struct lb_envs_counts c;
	int inflight;

	lb_envs_counts(g->envs, &c);
	pthread_mutex_lock(&gw->mu);
	/* less this call's reference and the one it holds as current */
	inflight = g->refs - (g == gw->cur ? 2 : 1);
	pthread_mutex_unlock(&gw->mu);
	snprintf(buf, len,
	    "Requests in flight: %d; environments busy: %d, idle: %d, "
	    "starting: %d, provisioned ready: %d/%d; invocations: %llu, "
	    "errors: %llu, throttled: %llu",
	    inflight < 0 ? 0 : inflight, c.busy, c.idle, c.starting,
	    c.provisioned_ready, c.provisioned,
	    (unsigned long long)c.invocations, (unsigned long long)c.errors,
	    (unsigned long long)c.throttles +
	        (unsigned long long)__atomic_load_n(
	            &g->throttled, __ATOMIC_RELAXED));
	lb_gen_release(gw, g);
}

void
lb_gateway_free(struct lb_gateway *gw)
{
	if (gw == NULL)
		return;
	lb_gen_release(gw, gw->cur);
	pthread_mutex_lock(&gw->mu);
	while (gw->live > 0)
		pthread_cond_wait(&gw->cv, &gw->mu);
	pthread_mutex_unlock(&gw->mu);
	pthread_mutex_destroy(&gw->mu);
	pthread_cond_destroy(&gw->cv);
	lb_metrics_free(gw->metrics);
	free(gw);
}
