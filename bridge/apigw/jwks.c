/*
 * jwks.c - a JWT authorizer's signing keys, fetched (libcurl, or a file)
 * on a pool thread and cached.
 *
 * One mutex guards the store's state; nothing slow runs under it.  A fetch
 * is one job at a time per store: callers that need its result queue as
 * waiters and are called back, in order, when it ends.  Every time the
 * store reasons about is the caller's `now_ms`, so that the tests move the
 * clock by hand.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "apigw/jwks.h"
#include "base/ids.h"
#include "base/log.h"

/* A discovery document or a JWKS fetch: connect, and the whole of it. */
#define FETCH_CONNECT_MS 5000
#define FETCH_TOTAL_MS   10000

struct waiter {
	lb_jwks_ready_fn *fn;
	void *arg;
	struct waiter *next;
};

struct lb_jwks_store {
	pthread_mutex_t mu;
	int refs; /* the owner's, and a running fetch's */
	char *name, *file, *uri, *issuer;
	/* under mu */
	struct lb_jwks *keys; /* NULL until a fetch succeeds */
	int64_t fetched_ms;   /* when the keys in hand were fetched */
	int64_t tried_ms;     /* when the last fetch started; 0: never */
	int fetching;
	struct waiter *waiters, **waiters_tail;
	struct lb_jwks_stats stats;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
curl_init(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* A response body, capped. */
struct body {
	char *p;
	size_t len;
	int over;
};

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;

	if (b->len + len > LB_JWKS_MAX_BYTES) {
		b->over = 1;
		return 0; /* ends the transfer */
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return len;
}

/* GETs `url` into b (LB_JWKS_MAX_BYTES + 1 bytes); 0 or -1 with err. */
static int
http_get(const char *url, struct body *b, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode rc;
	long status = 0;

	b->len = 0;
	b->over = 0;
	if (!curl_ok || (h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)FETCH_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)FETCH_TOTAL_MS);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "lambdabridge");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (b->over) {
		snprintf(err, errlen, "'%s' is over %d bytes", url,
		    LB_JWKS_MAX_BYTES);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "'%s': %s", url,
		    cerr[0] ? cerr : curl_easy_strerror(rc));
		return -1;
	}
	if (status != 200) {
		snprintf(err, errlen, "'%s': HTTP status %ld", url, status);
		return -1;
	}
	b->p[b->len] = '\0';
	return 0;
}

/* Reads `path` into b (at most LB_JWKS_MAX_BYTES); 0 or -1 with err. */
static int
file_get(const char *path, struct body *b, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		snprintf(
		    err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	n = fread(b->p, 1, LB_JWKS_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(
		    err, errlen, "cannot read '%s': %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	if (n > LB_JWKS_MAX_BYTES) {
		snprintf(err, errlen, "'%s' is over %d bytes", path,
		    LB_JWKS_MAX_BYTES);
		return -1;
	}
	b->len = n;
	b->p[n] = '\0';
	return 0;
}

/* The jwks_uri of the issuer's discovery document, as a new string. */
static char *
discover(const char *issuer, struct body *b, char *err, size_t errlen)
{
	size_t ilen = strlen(issuer);
	char *url, *uri = NULL;
	json_object *doc, *v;
	struct json_tokener *tok;

	while (ilen > 0 && issuer[ilen - 1] == '/')
		ilen--;
	if ((url = malloc(ilen + 64)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(url, ilen + 64, "%.*s/.well-known/openid-configuration",
	    (int)ilen, issuer);
	if (http_get(url, b, err, errlen) < 0) {
		free(url);
		return NULL;
	}
	if ((tok = json_tokener_new_ex(16)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(url);
		return NULL;
	}
	doc = json_tokener_parse_ex(tok, b->p, (int)b->len);
	json_tokener_free(tok);
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "jwks_uri", &v) ||
	    !json_object_is_type(v, json_type_string))
		snprintf(err, errlen, "'%s' has no jwks_uri", url);
	else if ((uri = strdup(json_object_get_string(v))) == NULL)
		snprintf(err, errlen, "out of memory");
	json_object_put(doc);
	free(url);
	return uri;
}

/* One fetch from the store's source: a new key set, or NULL with err. */
static struct lb_jwks *
fetch(struct lb_jwks_store *s, char *err, size_t errlen)
{
	struct body b = { malloc(LB_JWKS_MAX_BYTES + 1), 0, 0 };
	struct lb_jwks *set = NULL;
	char *uri = NULL, perr[200];
	const char *from;
	int rc;

	if (b.p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (s->file != NULL) {
		from = s->file;
		rc = file_get(s->file, &b, err, errlen);
	} else {
		if (s->uri == NULL &&
		    (uri = discover(s->issuer, &b, err, errlen)) == NULL) {
			free(b.p);
			return NULL;
		}
		from = s->uri != NULL ? s->uri : uri;
		rc = http_get(from, &b, err, errlen);
	}
	if (rc == 0 &&
	    (set = lb_jwks_parse(b.p, b.len, perr, sizeof(perr))) == NULL)
		snprintf(err, errlen, "'%s': %s", from, perr);
	free(uri);
	free(b.p);
	return set;
}

static void
store_unref(struct lb_jwks_store *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	lb_jwks_unref(s->keys);
	pthread_mutex_destroy(&s->mu);
	free(s->name);
	free(s->file);
	free(s->uri);
	free(s->issuer);
	free(s);
}

/* Puts a fetch's outcome in place (s->mu held); returns the waiters to
 * call back. */
static struct waiter *
settle(struct lb_jwks_store *s, struct lb_jwks *set, const char *err)
{
	struct waiter *w = s->waiters;

	if (set != NULL) {
		lb_jwks_unref(s->keys);
		s->keys = set;
		s->fetched_ms = s->tried_ms;
	} else {
		s->stats.failures++;
	}
	s->fetching = 0;
	s->waiters = NULL;
	s->waiters_tail = &s->waiters;
	if (set == NULL)
		lb_log(LB_LOG_WARN,
		    "authorizer '%s': cannot fetch its JWKS: %s%s", s->name,
		    err,
		    s->keys != NULL ? " (the keys in hand stay in use)" : "");
	else
		lb_log(LB_LOG_INFO,
		    "authorizer '%s': fetched its JWKS: %zu keys (%zu skipped)",
		    s->name, set->nkeys, set->skipped);
	return w;
}

static void
wake(struct waiter *w)
{
	while (w != NULL) {
		struct waiter *next = w->next;

		w->fn(w->arg);
		free(w);
		w = next;
	}
}

/* lb_job_fn: a fetch on a pool thread. */
static void
fetch_job(void *arg)
{
	struct lb_jwks_store *s = arg;
	struct lb_jwks *set;
	struct waiter *w;
	char err[512] = "";

	set = fetch(s, err, sizeof(err));
	pthread_mutex_lock(&s->mu);
	w = settle(s, set, err);
	pthread_mutex_unlock(&s->mu);
	wake(w);
	store_unref(s);
}

static char *
dup_or_null(const char *v, int *oom)
{
	char *d;

	if (v == NULL)
		return NULL;
	if ((d = strdup(v)) == NULL)
		*oom = 1;
	return d;
}

struct lb_jwks_store *
lb_jwks_store_new(const struct lb_jwks_source *src, char *err, size_t errlen)
{
	struct lb_jwks_store *s;
	int oom = 0;

	err[0] = '\0';
	if (src->file == NULL && src->uri == NULL && src->issuer == NULL) {
		snprintf(err, errlen, "no jwks_file, jwks_uri or issuer");
		return NULL;
	}
	pthread_once(&curl_once, curl_init);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->refs = 1;
	s->waiters_tail = &s->waiters;
	s->name = dup_or_null(src->name != NULL ? src->name : "-", &oom);
	s->file = dup_or_null(src->file, &oom);
	if (s->file == NULL) {
		s->uri = dup_or_null(src->uri, &oom);
		if (s->uri == NULL)
			s->issuer = dup_or_null(src->issuer, &oom);
	}
	if (oom) {
		snprintf(err, errlen, "out of memory");
		store_unref(s);
		return NULL;
	}
	if (s->file != NULL) {
		/* read now, so that a configuration with a bad file fails */
		s->keys = fetch(s, err, errlen);
		if (s->keys == NULL) {
			store_unref(s);
			return NULL;
		}
		s->fetched_ms = s->tried_ms = lb_now_ms();
	}
	return s;
}

void
lb_jwks_store_free(struct lb_jwks_store *s)
{
	if (s != NULL)
		store_unref(s);
}

/* Takes w out of the waiters (s->mu held). */
static void
unqueue(struct lb_jwks_store *s, struct waiter *w)
{
	struct waiter **p;

	for (p = &s->waiters; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	s->waiters_tail = &s->waiters;
	while (*s->waiters_tail != NULL)
		s->waiters_tail = &(*s->waiters_tail)->next;
}

enum lb_jwks_answer
lb_jwks_store_get(struct lb_jwks_store *s, const char *kid, int64_t now_ms,
    struct lb_loop *loop, lb_jwks_ready_fn *ready, void *arg,
    struct lb_jwks **keys)
{
	struct waiter *w = NULL;
	struct lb_jwks *set;
	char err[512] = "";
	int fresh, known, may_try;

	pthread_mutex_lock(&s->mu);
	fresh = s->keys != NULL && now_ms - s->fetched_ms < LB_JWKS_TTL_MS;
	/* a token without kid is refused whatever the keys: no fetch */
	known = kid == NULL || lb_jwks_find(s->keys, kid) != NULL;
	may_try = s->tried_ms == 0 || now_ms - s->tried_ms >= LB_JWKS_RETRY_MS;
	if (fresh && known) {
		*keys = lb_jwks_ref(s->keys);
		pthread_mutex_unlock(&s->mu);
		return LB_JWKS_READY;
	}
	if (!s->fetching && !may_try) {
		/* fetched a moment ago: what we have is the answer */
		*keys = s->keys != NULL ? lb_jwks_ref(s->keys) : NULL;
		pthread_mutex_unlock(&s->mu);
		return LB_JWKS_READY;
	}
	if (loop == NULL) {        /* no loop to wait on: fetch here */
		if (s->fetching) { /* someone else's: do not wait */
			*keys = s->keys != NULL ? lb_jwks_ref(s->keys) : NULL;
			pthread_mutex_unlock(&s->mu);
			return LB_JWKS_READY;
		}
		s->fetching = 1;
		s->tried_ms = now_ms;
		s->stats.fetches++;
		pthread_mutex_unlock(&s->mu);
		set = fetch(s, err, sizeof(err));
		pthread_mutex_lock(&s->mu);
		w = settle(s, set, err);
		*keys = s->keys != NULL ? lb_jwks_ref(s->keys) : NULL;
		pthread_mutex_unlock(&s->mu);
		wake(w);
		return LB_JWKS_READY;
	}
	/* a loop thread never fetches, not even out of memory: then the keys
	 * in hand answer */
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		*keys = s->keys != NULL ? lb_jwks_ref(s->keys) : NULL;
		pthread_mutex_unlock(&s->mu);
		return LB_JWKS_READY;
	}
	w->fn = ready;
	w->arg = arg;
	*s->waiters_tail = w;
	s->waiters_tail = &w->next;
	if (s->fetching) {
		pthread_mutex_unlock(&s->mu);
		return LB_JWKS_PENDING;
	}
	s->fetching = 1;
	s->tried_ms = now_ms;
	s->stats.fetches++;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->mu);
	if (lb_loop_defer(loop, fetch_job, s) == 0)
		return LB_JWKS_PENDING;
	/* out of memory: no fetch after all; those who queued meanwhile are
	 * called back as after a failed one, the caller answered here */
	pthread_mutex_lock(&s->mu);
	unqueue(s, w);
	__atomic_sub_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	free(w);
	w = settle(s, NULL, "out of memory");
	*keys = s->keys != NULL ? lb_jwks_ref(s->keys) : NULL;
	pthread_mutex_unlock(&s->mu);
	wake(w);
	return LB_JWKS_READY;
}

struct lb_jwks *
lb_jwks_store_keys(struct lb_jwks_store *s)
{
	struct lb_jwks *keys;

	pthread_mutex_lock(&s->mu);
	keys = s->keys != NULL ? lb_jwks_ref(s->keys) : NULL;
	pthread_mutex_unlock(&s->mu);
	return keys;
}

void
lb_jwks_store_stats(struct lb_jwks_store *s, struct lb_jwks_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}
