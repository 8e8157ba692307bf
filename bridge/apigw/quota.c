/*
 * quota.c - usage-plan quota counts (see quota.h).
 *
 * A count is a mutex and three numbers; the request path takes the mutex,
 * compares and adds, nothing else.  The flush thread wakes every
 * LB_QUOTA_FLUSH_MS, copies each count under its mutex, and writes those
 * that differ from what it wrote last in one transaction (qstore.c): the
 * disk is never waited for while a count's mutex is held.  Counts are
 * never freed before the table, so generations hold plain pointers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apigw/qstore.h"
#include "apigw/quota.h"
#include "base/ids.h"
#include "base/log.h"

struct lb_quota_count {
	struct lb_quota_count *next;
	char *id;
	pthread_mutex_t mu; /* guards period, start_ms, end_ms, used */
	enum lb_quota_period period;
	int64_t start_ms, end_ms; /* the counted period; end 0: none yet */
	int64_t used;
	/* what the store holds (the flusher's, under flush_mu) */
	enum lb_quota_period saved_period;
	int64_t saved_start, saved_used;
};

struct lb_quotas {
	pthread_mutex_t mu; /* guards the list, stop */
	pthread_cond_t cv;
	struct lb_quota_count *list;
	size_t count;
	struct lb_qstore *store;  /* NULL: in memory only */
	pthread_mutex_t flush_mu; /* one flush at a time */
	pthread_t thread;
	int running, stop;
	/* (flush_mu) */
	uint64_t flushes, failures;
	int failing;
	int64_t last_flush_mono; /* 0: never */
};

/* Creates the count of `id` (list lock held); NULL: out of memory. */
static struct lb_quota_count *
count_new(struct lb_quotas *qs, const char *id)
{
	struct lb_quota_count *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->id = strdup(id)) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->next = qs->list;
	qs->list = c;
	qs->count++;
	return c;
}

static struct lb_quota_count *
count_find(struct lb_quotas *qs, const char *id)
{
	for (struct lb_quota_count *c = qs->list; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

struct lb_quota_count *
lb_quotas_get(struct lb_quotas *qs, const char *id)
{
	struct lb_quota_count *c;

	pthread_mutex_lock(&qs->mu);
	c = count_find(qs, id);
	if (c == NULL)
		c = count_new(qs, id);
	pthread_mutex_unlock(&qs->mu);
	return c;
}

/* A row of the file, unless its period is over (before the thread). */
static int
load_row(void *arg, const struct lb_qstore_row *row)
{
	struct lb_quotas *qs = arg;
	int64_t end = lb_quota_period_end(row->period, row->start_ms);
	struct lb_quota_count *c;

	if (end <= lb_now_ms() || count_find(qs, row->id) != NULL)
		return 0;
	if ((c = count_new(qs, row->id)) == NULL)
		return -1;
	c->period = c->saved_period = row->period;
	c->start_ms = c->saved_start = row->start_ms;
	c->end_ms = end;
	c->used = c->saved_used = row->used;
	return 0;
}

int
lb_quota_take(
    struct lb_quota_count *c, const struct lb_api_key *k, int64_t now_ms)
{
	int ok;

	if (c == NULL || k->quota_limit < 0)
		return 1;
	pthread_mutex_lock(&c->mu);
	if (now_ms >= c->end_ms || c->period != k->quota_period) {
		c->period = k->quota_period;
		c->start_ms = lb_quota_period_start(c->period, now_ms);
		c->end_ms = lb_quota_period_end(c->period, now_ms);
		c->used = 0;
	}
	ok = c->used < k->quota_limit;
	if (ok)
		c->used++;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

int64_t
lb_quota_used(
    struct lb_quota_count *c, const struct lb_api_key *k, int64_t now_ms)
{
	int64_t used;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	used = now_ms < c->end_ms && c->period == k->quota_period ? c->used : 0;
	pthread_mutex_unlock(&c->mu);
	return used;
}

int
lb_quotas_flush(struct lb_quotas *qs, char *err, size_t errlen)
{
	struct lb_qstore_row *rows;
	struct lb_quota_count **who;
	size_t n = 0, cap;
	int rc = 0;

	if (qs->store == NULL)
		return 0;
	pthread_mutex_lock(&qs->flush_mu);
	pthread_mutex_lock(&qs->mu);
	cap = qs->count;
	rows = calloc(cap > 0 ? cap : 1, sizeof(*rows));
	who = calloc(cap > 0 ? cap : 1, sizeof(*who));
	for (struct lb_quota_count *c = qs->list;
	     rows != NULL && who != NULL && c != NULL; c = c->next) {
		struct lb_qstore_row r = { c->id, 0, 0, 0 };

		pthread_mutex_lock(&c->mu);
		r.period = c->period;
		r.start_ms = c->start_ms;
		r.used = c->used;
		pthread_mutex_unlock(&c->mu);
		/* never counted (end 0), or as written last time */
		if (r.period == LB_QUOTA_NONE ||
		    (r.period == c->saved_period &&
		        r.start_ms == c->saved_start &&
		        r.used == c->saved_used))
			continue;
		who[n] = c;
		rows[n++] = r;
	}
	pthread_mutex_unlock(&qs->mu);
	if (rows == NULL || who == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	} else if (n > 0 &&
	    lb_qstore_save(qs->store, rows, n, err, errlen) < 0) {
		rc = -1;
	}
	if (rc == 0)
		for (size_t i = 0; i < n; i++) {
			who[i]->saved_period = rows[i].period;
			who[i]->saved_start = rows[i].start_ms;
			who[i]->saved_used = rows[i].used;
		}
	if (rc == 0)
		qs->flushes++;
	else
		qs->failures++;
	qs->last_flush_mono = rc == 0 ? lb_mono_ms() : qs->last_flush_mono;
	pthread_mutex_unlock(&qs->flush_mu);
	free(rows);
	free(who);
	return rc;
}

/* A flush from the thread: a failure is logged once until one works. */
static void
flush_logged(struct lb_quotas *qs)
{
	char err[512];
	int rc = lb_quotas_flush(qs, err, sizeof(err));

	if (rc < 0 && !qs->failing)
		lb_log(LB_LOG_ERROR,
		    "cannot write the quota counts to '%s': %s (trying again "
		    "every second)",
		    lb_qstore_path(qs->store), err);
	else if (rc == 0 && qs->failing)
		lb_log(LB_LOG_INFO, "quota counts written to '%s' again",
		    lb_qstore_path(qs->store));
	qs->failing = rc < 0;
}

/* Adds ms to a CLOCK_MONOTONIC deadline. */
static void
deadline_add(struct timespec *ts, int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *
flush_thread(void *arg)
{
	struct lb_quotas *qs = arg;
	struct timespec next, now;

	clock_gettime(CLOCK_MONOTONIC, &next);
	deadline_add(&next, LB_QUOTA_FLUSH_MS);
	pthread_mutex_lock(&qs->mu);
	while (!qs->stop) {
		if (pthread_cond_timedwait(&qs->cv, &qs->mu, &next) !=
		        ETIMEDOUT ||
		    qs->stop)
			continue;
		pthread_mutex_unlock(&qs->mu);
		flush_logged(qs);
		/* every interval from the last deadline, or from now when a
		 * slow write ran past it */
		deadline_add(&next, LB_QUOTA_FLUSH_MS);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec)) {
			next = now;
			deadline_add(&next, LB_QUOTA_FLUSH_MS);
		}
		pthread_mutex_lock(&qs->mu);
	}
	pthread_mutex_unlock(&qs->mu);
	return NULL;
}

struct lb_quotas *
lb_quotas_new(const char *state_dir, int reset, char *err, size_t errlen)
{
	struct lb_quotas *qs = calloc(1, sizeof(*qs));
	pthread_condattr_t ca;
	char moved[4096], why[512];

	if (qs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&qs->mu, NULL);
	pthread_mutex_init(&qs->flush_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&qs->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (state_dir == NULL)
		return qs;
	qs->store =
	    lb_qstore_open(state_dir, reset, moved, sizeof(moved), err, errlen);
	if (qs->store == NULL)
		goto fail;
	if (moved[0] != '\0')
		lb_log(LB_LOG_WARN,
		    "--reset-state: the state file was moved to '%s'; quota "
		    "counts start from zero in '%s'",
		    moved, lb_qstore_path(qs->store));
	if (lb_qstore_load(qs->store, load_row, qs, why, sizeof(why)) < 0 ||
	    lb_qstore_prune(qs->store, lb_now_ms(), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "state file '%s': %s",
		    lb_qstore_path(qs->store), why);
		goto fail;
	}
	if (pthread_create(&qs->thread, NULL, flush_thread, qs) != 0) {
		snprintf(err, errlen, "cannot start the quota flush thread");
		goto fail;
	}
	qs->running = 1;
	lb_log(LB_LOG_INFO, "quota counts of %zu keys read from '%s'",
	    qs->count, lb_qstore_path(qs->store));
	return qs;
fail:
	lb_quotas_free(qs);
	return NULL;
}

void
lb_quotas_dump(struct lb_quotas *qs, FILE *out)
{
	int64_t age;
	size_t n;

	pthread_mutex_lock(&qs->mu);
	n = qs->count;
	pthread_mutex_unlock(&qs->mu);
	if (qs->store == NULL) {
		fprintf(out,
		    "state: in memory (gateway.state_dir not set) keys=%zu\n",
		    n);
		return;
	}
	pthread_mutex_lock(&qs->flush_mu);
	age = qs->last_flush_mono > 0 ? lb_mono_ms() - qs->last_flush_mono : -1;
	fprintf(out,
	    "state: file '%s' keys=%zu flushes=%llu failures=%llu "
	    "last_flush_ms_ago=%lld\n",
	    lb_qstore_path(qs->store), n, (unsigned long long)qs->flushes,
	    (unsigned long long)qs->failures, (long long)age);
	pthread_mutex_unlock(&qs->flush_mu);
}

void
lb_quotas_free(struct lb_quotas *qs)
{
	struct lb_quota_count *c, *next;
	char err[512];

	if (qs == NULL)
		return;
	if (qs->running) {
		pthread_mutex_lock(&qs->mu);
		qs->stop = 1;
		pthread_cond_signal(&qs->cv);
		pthread_mutex_unlock(&qs->mu);
		pthread_join(qs->thread, NULL);
		if (lb_quotas_flush(qs, err, sizeof(err)) < 0)
			lb_log(LB_LOG_ERROR,
			    "cannot write the quota counts to '%s' at exit: "
			    "%s",
			    lb_qstore_path(qs->store), err);
	}
	lb_qstore_close(qs->store);
	for (c = qs->list; c != NULL; c = next) {
		next = c->next;
		pthread_mutex_destroy(&c->mu);
		free(c->id);
		free(c);
	}
	pthread_cond_destroy(&qs->cv);
	pthread_mutex_destroy(&qs->flush_mu);
	pthread_mutex_destroy(&qs->mu);
	free(qs);
}
