/*
 * admit.c - admission through the shared state (admit.h): the key names
 * of one generation, the admit script's arguments for a request, and what
 * its verdict means for the gateway's checks.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/admit.h"
#include "apigw/throttle.h"

/* A bucket as the admit script takes it (key NULL: not limited). */
struct bucket {
	char *key;
	char rate[32], burst[16];
};

/*
 * A function's leases that this bridge holds in Redis: those in use, and
 * up to `block` more kept for its next requests (the pool), so that most
 * requests of a busy function need no call.  Spares are taken only while
 * that leaves half the limit unheld, given back as soon as a reply shows
 * more than half held, and every heartbeat (a third of shared_lease_ttl)
 * anyway: the cap is never exceeded, and a bridge's spares can keep
 * another from a free slot only near the cap, for that long at most.
 */
struct lease {
	char *key; /* conc:fn:NAME, or conc:unreserved */
	char limit[24], keep[24];
	int64_t lim;
	int64_t block; /* spares: limit / 16, at most 32; 0 below 16 */
	pthread_mutex_t mu;
	uint64_t epoch; /* the connection they are held on */
	int64_t held, used;
	int pressure; /* over half the limit held: no spares */
};

struct lb_admit_gen {
	const struct lb_config *cfg;
	struct lb_redis *R;
	char prefix[256];
	char alive[300]; /* PREFIX "alive:" */
	struct bucket account;
	struct bucket *routes; /* one per route */
	struct bucket *keys;   /* one per API key */
	struct lease *leases;  /* one per function */
	size_t nleases;
	uint64_t admitted, throttled, over_quota, no_lease; /* atomic */
	uint64_t failed_local, failed_closed;
	uint64_t pooled; /* leases taken from the pool, without a call */
};

static void
count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* b for limits lim under the key kind:name; 0, or -1 out of memory. */
static int
bucket_init(struct bucket *b, const char *prefix, const char *kind,
    const char *name, struct lb_throttle_limits lim)
{
	if (lim.rate < 0)
		return 0;
	snprintf(b->rate, sizeof(b->rate), "%.17g", lim.rate);
	snprintf(b->burst, sizeof(b->burst), "%d", lim.burst);
	b->key = lb_shared_key(prefix, kind, name);
	return b->key != NULL ? 0 : -1;
}

/* The route's name in its keys: "GET /path", or "$default". */
static int
route_buckets(struct lb_admit_gen *ag)
{
	const struct lb_config *cfg = ag->cfg;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct lb_route *r = &cfg->routes[i];
		char name[1024];

		snprintf(name, sizeof(name), "%s%s%s",
		    r->method != NULL ? r->method : "$default",
		    r->path != NULL ? " " : "", r->path != NULL ? r->path : "");
		if (bucket_init(&ag->routes[i], ag->prefix, "tb:route", name,
		        r->throttle) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->napi_keys; i++)
		if (bucket_init(&ag->keys[i], ag->prefix, "tb:key",
		        cfg->api_keys[i].name, cfg->api_keys[i].throttle) < 0)
			return -1;
	return bucket_init(
	    &ag->account, ag->prefix, "tb:stage", NULL, cfg->account_throttle);
}

/* A reserved function's own hash; the others share the unreserved one,
 * as Lambda's account concurrency less the reservations. */
static int
leases_init(struct lb_admit_gen *ag)
{
	const struct lb_config *cfg = ag->cfg;
	long reserved = 0, unreserved;

	for (size_t i = 0; i < cfg->nfunctions; i++)
		if (cfg->functions[i].reserved_concurrency >= 0)
			reserved += cfg->functions[i].reserved_concurrency;
	unreserved = cfg->account_concurrency - reserved;
	if (unreserved < 0)
		unreserved = 0;
	for (size_t i = 0; i < cfg->nfunctions; i++) {
		const struct lb_function *fn = &cfg->functions[i];
		struct lease *l = &ag->leases[i];

		l->lim = fn->reserved_concurrency >= 0
		    ? fn->reserved_concurrency
		    : unreserved;
		l->key = fn->reserved_concurrency >= 0
		    ? lb_shared_key(ag->prefix, "conc:fn", fn->name)
		    : lb_shared_key(ag->prefix, "conc:unreserved", NULL);
		l->block = !cfg->shared_lease_pool || l->lim < 16 ? 0
		    : l->lim / 16 > 32                            ? 32
		                                                  : l->lim / 16;
		snprintf(l->limit, sizeof(l->limit), "%lld", (long long)l->lim);
		snprintf(
		    l->keep, sizeof(l->keep), "%lld", (long long)(l->lim / 2));
		if (l->key == NULL)
			return -1;
	}
	return 0;
}

static void heartbeat(void *arg, struct lb_redis *R, uint64_t epoch);

struct lb_admit_gen *
lb_admit_gen_new(const struct lb_config *cfg, char *err, size_t errlen)
{
	struct lb_admit_gen *ag;
	struct lb_redis_opts o;

	err[0] = '\0';
	if (cfg->shared_state == NULL)
		return NULL;
	memset(&o, 0, sizeof(o));
	if (lb_shared_url_parse(cfg->shared_state, &o.url) != NULL) {
		snprintf(err, errlen, "gateway.shared_state: '%s' is invalid",
		    cfg->shared_state);
		return NULL;
	}
	ag = calloc(1, sizeof(*ag));
	if (ag == NULL)
		goto fail_mem;
	ag->cfg = cfg;
	if (lb_shared_prefix(ag->prefix, sizeof(ag->prefix),
	        cfg->api_id != NULL ? cfg->api_id : "-", cfg->stage) < 0) {
		snprintf(err, errlen, "gateway.stage: too long for a key");
		goto fail;
	}
	ag->routes = calloc(cfg->nroutes + 1, sizeof(*ag->routes));
	ag->keys = calloc(cfg->napi_keys + 1, sizeof(*ag->keys));
	ag->leases = calloc(cfg->nfunctions + 1, sizeof(*ag->leases));
	if (ag->leases == NULL)
		goto fail_mem;
	for (size_t i = 0; i < cfg->nfunctions; i++)
		pthread_mutex_init(&ag->leases[i].mu, NULL);
	ag->nleases = cfg->nfunctions;
	if (ag->routes == NULL || ag->keys == NULL || route_buckets(ag) < 0 ||
	    leases_init(ag) < 0)
		goto fail_mem;
	snprintf(ag->alive, sizeof(ag->alive), "%salive:", ag->prefix);
	o.timeout_ms = (int)(cfg->shared_state_timeout * 1000.0 + 0.5);
	if (o.timeout_ms < 1)
		o.timeout_ms = 1;
	o.lease_ttl_ms = (int)(cfg->shared_lease_ttl * 1000.0 + 0.5);
	if (o.lease_ttl_ms < 30)
		o.lease_ttl_ms = 30;
	o.alive_prefix = ag->alive;
	o.on_failure = cfg->shared_state_closed ? "closed" : "local";
	o.heartbeat = heartbeat;
	o.heartbeat_arg = ag;
	ag->R = lb_redis_new(&o, err, errlen);
	if (ag->R == NULL)
		goto fail;
	return ag;
fail_mem:
	snprintf(err, errlen, "out of memory");
fail:
	lb_admit_gen_free(ag);
	return NULL;
}

void
lb_admit_gen_free(struct lb_admit_gen *ag)
{
	const struct lb_config *cfg;

	if (ag == NULL)
		return;
	cfg = ag->cfg;
	/* the spares go back before the client stops (its last requests
	 * have ended: a generation is freed after them) */
	for (size_t i = 0; ag->R != NULL && i < ag->nleases; i++) {
		struct lease *l = &ag->leases[i];
		int64_t give;
		uint64_t epoch;

		pthread_mutex_lock(&l->mu); /* the heartbeat may run */
		give = l->held - l->used;
		epoch = l->epoch;
		l->held = l->used;
		pthread_mutex_unlock(&l->mu);
		lb_redis_release(ag->R, l->key, epoch, give);
	}
	lb_redis_free(ag->R);
	for (size_t i = 0; ag->routes != NULL && i < cfg->nroutes; i++)
		free(ag->routes[i].key);
	for (size_t i = 0; ag->keys != NULL && i < cfg->napi_keys; i++)
		free(ag->keys[i].key);
	for (size_t i = 0; i < ag->nleases; i++) {
		free(ag->leases[i].key);
		pthread_mutex_destroy(&ag->leases[i].mu);
	}
	free(ag->account.key);
	free(ag->routes);
	free(ag->keys);
	free(ag->leases);
	free(ag);
}

/* lb_redis_done_fn: the admit script's answer. */
static void
admitted(void *arg, const struct lb_shared_reply *reply, uint64_t epoch)
{
	struct lb_admit *a = arg;
	struct lease *l = &a->ag->leases[a->fn];
	int64_t granted, total;

	a->verdict = lb_shared_verdict(reply, NULL);
	a->epoch = epoch;
	a->leased = 0;
	if (a->verdict == LB_SHARED_OK &&
	    lb_shared_lease(reply, &granted, &total) == 0 && granted > 0) {
		pthread_mutex_lock(&l->mu);
		if (l->epoch != epoch) {
			/* a new connection: what was held expires */
			l->epoch = epoch;
			l->held = l->used = 0;
		}
		l->held += granted;
		l->used++;
		l->pressure = total > l->lim / 2;
		pthread_mutex_unlock(&l->mu);
		a->leased = 1;
	}
	a->cb(a->arg);
}

/* A lease from the pool, without a call: 1 when a has it. */
static int
pool_take(struct lb_admit_gen *ag, struct lease *l, struct lb_admit *a)
{
	uint64_t epoch = lb_redis_epoch(ag->R);
	int ok;

	pthread_mutex_lock(&l->mu);
	ok = epoch != 0 && l->epoch == epoch && l->used < l->held;
	if (ok)
		l->used++;
	pthread_mutex_unlock(&l->mu);
	if (!ok)
		return 0;
	count(&ag->pooled);
	a->verdict = LB_SHARED_OK;
	a->epoch = epoch;
	a->leased = 1;
	return 1;
}

/* How many spares to ask for with the next lease. */
static int64_t
pool_extra(struct lease *l)
{
	int64_t extra;

	pthread_mutex_lock(&l->mu);
	extra = l->pressure ? 0 : l->block - (l->held - l->used);
	pthread_mutex_unlock(&l->mu);
	return extra > 0 ? extra : 0;
}

/* redis.h's heartbeat: every spare goes back. */
static void
heartbeat(void *arg, struct lb_redis *R, uint64_t epoch)
{
	struct lb_admit_gen *ag = arg;

	for (size_t i = 0; i < ag->nleases; i++) {
		struct lease *l = &ag->leases[i];
		int64_t give = 0;

		pthread_mutex_lock(&l->mu);
		if (l->epoch == epoch) {
			give = l->held - l->used;
			l->held = l->used;
		}
		pthread_mutex_unlock(&l->mu);
		lb_redis_release(R, l->key, epoch, give);
	}
}

/*
 * Sends the admit script for a: the buckets b (nb of them), the quota
 * (quota_key NULL: none), then a lease of l.  1 when pending, 0 when
 * decided now (the client is down).
 */
static int
ask(struct lb_admit *a, struct lease *l, const struct bucket *const *b,
    size_t nb, const char *quota_key, const char *qlimit, const char *expire)
{
	const char *keys[6], *args[16];
	char extra[24];
	size_t nk = 0, na = 0;

	args[na++] = a->ag->alive;
	args[na++] = nb == 0 ? "0" : nb == 1 ? "1" : nb == 2 ? "2" : "3";
	args[na++] = quota_key != NULL ? "1" : "0";
	args[na++] = "1"; /* a lease */
	for (size_t i = 0; i < nb; i++) {
		keys[nk++] = b[i]->key;
		args[na++] = b[i]->rate;
		args[na++] = b[i]->burst;
	}
	if (quota_key != NULL) {
		keys[nk++] = quota_key;
		args[na++] = qlimit;
		args[na++] = expire;
	}
	snprintf(extra, sizeof(extra), "%lld", (long long)pool_extra(l));
	keys[nk++] = l->key;
	args[na++] = l->limit;
	args[na++] = extra;
	args[na++] = l->keep;
	return lb_redis_script(a->ag->R, LB_SHARED_ADMIT, keys, nk, args, na,
	           admitted, a) == 0;
}

/* Nothing but a lease to take: the pool may have one, else ask. */
static int
lease_only(struct lb_admit *a, struct lease *l)
{
	if (l->block > 0 && pool_take(a->ag, l, a))
		return 0;
	return ask(a, l, NULL, 0, NULL, NULL, NULL);
}

int
lb_admit_lease(struct lb_admit *a, struct lb_admit_gen *ag, size_t fn,
    lb_admit_fn *cb, void *arg)
{
	a->ag = ag;
	a->fn = fn;
	a->cb = cb;
	a->arg = arg;
	a->verdict = LB_SHARED_FAILED;
	return lease_only(a, &ag->leases[fn]);
}

int
lb_admit_lease_refused(const struct lb_admit *a)
{
	struct lb_admit_gen *ag = a->ag;

	if (ag == NULL || a->verdict == LB_SHARED_OK)
		return 0;
	if (a->verdict == LB_SHARED_NO_LEASE) {
		count(&ag->no_lease);
		return 1;
	}
	if (ag->cfg->shared_state_closed) {
		count(&ag->failed_closed);
		return 1;
	}
	count(&ag->failed_local);
	return 0;
}

int
lb_admit_start(struct lb_admit *a, struct lb_admit_gen *ag, size_t route,
    long key, int64_t now_ms, lb_admit_fn *cb, void *arg)
{
	const struct lb_config *cfg = ag->cfg;
	const struct bucket *b[3];
	char quota_key[512], expire[24], limit[16];
	struct lease *l;
	size_t nb = 0;
	int quota = 0;

	a->ag = ag;
	a->fn = cfg->routes[route].function;
	a->cb = cb;
	a->arg = arg;
	a->verdict = LB_SHARED_FAILED;
	l = &ag->leases[a->fn];
	/* the usage plan's, the stage's route, then the account's, as the
	 * local checks take them */
	if (cfg->shared_throttle) {
		if (key >= 0 && ag->keys[key].key != NULL)
			b[nb++] = &ag->keys[key];
		if (ag->routes[route].key != NULL)
			b[nb++] = &ag->routes[route];
		if (ag->account.key != NULL)
			b[nb++] = &ag->account;
	}
	if (key >= 0 && cfg->api_keys[key].quota_limit >= 0) {
		const struct lb_api_key *k = &cfg->api_keys[key];
		int64_t end = lb_quota_period_end(k->quota_period, now_ms);
		int n = snprintf(quota_key, sizeof(quota_key),
		    "%squota:%s:%" PRId64, ag->prefix, k->name, end);

		if (n < 0 || (size_t)n >= sizeof(quota_key))
			return 0;
		/* kept a day past the period, for whoever reads it */
		snprintf(
		    expire, sizeof(expire), "%" PRId64, end + 86400 * 1000);
		quota = 1;
	}
	if (nb == 0 && !quota)
		return lease_only(a, l);
	if (quota)
		snprintf(
		    limit, sizeof(limit), "%d", cfg->api_keys[key].quota_limit);
	return ask(a, l, b, nb, quota ? quota_key : NULL, limit, expire);
}

enum lb_gwerr
lb_admit_check(const struct lb_admit *a)
{
	struct lb_admit_gen *ag = a->ag;

	if (ag == NULL)
		return LB_GWERR_NONE;
	switch (a->verdict) {
	case LB_SHARED_OK: count(&ag->admitted); return LB_GWERR_NONE;
	case LB_SHARED_THROTTLED:
		count(&ag->throttled);
		return LB_GWERR_THROTTLED;
	case LB_SHARED_OVER_QUOTA:
		count(&ag->over_quota);
		return LB_GWERR_QUOTA_EXCEEDED;
	case LB_SHARED_NO_LEASE: return LB_GWERR_NONE; /* lb_admit_no_lease */
	case LB_SHARED_FAILED: break;
	}
	if (ag->cfg->shared_state_closed) {
		count(&ag->failed_closed);
		return LB_GWERR_THROTTLED;
	}
	count(&ag->failed_local);
	return LB_GWERR_NONE;
}

int
lb_admit_local(const struct lb_admit *a, enum lb_admit_scope scope)
{
	if (a->ag == NULL || a->verdict == LB_SHARED_FAILED)
		return 1;
	return scope == LB_ADMIT_BUCKETS && !a->ag->cfg->shared_throttle;
}

int
lb_admit_no_lease(const struct lb_admit *a)
{
	if (a->ag == NULL || a->verdict != LB_SHARED_NO_LEASE)
		return 0;
	count(&a->ag->no_lease);
	return 1;
}

void
lb_admit_end(struct lb_admit *a)
{
	struct lease *l;
	int64_t give = 0;

	if (a->ag == NULL || !a->leased)
		return;
	a->leased = 0;
	l = &a->ag->leases[a->fn];
	pthread_mutex_lock(&l->mu);
	if (l->epoch == a->epoch) {
		l->used--;
		give = l->held - l->used - (l->pressure ? 0 : l->block);
		if (give > 0)
			l->held -= give;
	}
	pthread_mutex_unlock(&l->mu);
	lb_redis_release(a->ag->R, l->key, a->epoch, give);
}

static uint64_t
get(uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void
lb_admit_stats(struct lb_admit_gen *ag, struct lb_admit_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ag == NULL)
		return;
	st->admitted = get(&ag->admitted);
	st->throttled = get(&ag->throttled);
	st->over_quota = get(&ag->over_quota);
	st->no_lease = get(&ag->no_lease);
	st->failed_local = get(&ag->failed_local);
	st->failed_closed = get(&ag->failed_closed);
	st->pooled = get(&ag->pooled);
	lb_redis_stats(ag->R, &st->redis);
}

void
lb_admit_dump(struct lb_admit_gen *ag, FILE *out)
{
	struct lb_admit_stats st;

	if (ag == NULL)
		return;
	lb_admit_stats(ag, &st);
	fprintf(out,
	    "shared state: %s admitted=%llu pooled=%llu throttled=%llu "
	    "over_quota=%llu "
	    "no_lease=%llu failed_local=%llu failed_closed=%llu "
	    "commands=%llu failed=%llu timeouts=%llu downs=%llu ups=%llu "
	    "noscript=%llu\n",
	    st.redis.up ? "up" : "down", (unsigned long long)st.admitted,
	    (unsigned long long)st.pooled, (unsigned long long)st.throttled,
	    (unsigned long long)st.over_quota, (unsigned long long)st.no_lease,
	    (unsigned long long)st.failed_local,
	    (unsigned long long)st.failed_closed,
	    (unsigned long long)st.redis.commands,
	    (unsigned long long)st.redis.failed,
	    (unsigned long long)st.redis.timeouts,
	    (unsigned long long)st.redis.downs,
	    (unsigned long long)st.redis.ups,
	    (unsigned long long)st.redis.noscript);
}
