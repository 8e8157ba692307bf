/*
 * test_authcache.c - the authorizers' result cache
 * (bridge/apigw/authcache.c): hits, expiry, replacement, one authorizer's
 * keys apart from another's, the memory bound (oldest out first), and
 * threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/authcache.h"
#include "test.h"

void lb_test_suite_authcache(void);

static int
has(struct lb_authcache *c, size_t a, const char *key, int64_t now,
    const char *want)
{
	size_t len = 0;
	char *v = lb_authcache_get(c, a, key, strlen(key), now, &len);
	int ok;

	if (v == NULL)
		return want == NULL;
	ok = want != NULL && strcmp(v, want) == 0 && len == strlen(want);
	free(v);
	return ok;
}

static void
put(struct lb_authcache *c, size_t a, const char *key, const char *v,
    int64_t expires)
{
	CU_ASSERT_EQUAL(
	    lb_authcache_put(c, a, key, strlen(key), v, strlen(v), expires), 0);
}

static void
test_hit_and_expiry(void)
{
	struct lb_authcache *c = lb_authcache_new(1 << 20);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(has(c, 0, "[\"tok\"]", 0, NULL));
	put(c, 0, "[\"tok\"]", "{\"a\":1}", 1000);
	CU_ASSERT(has(c, 0, "[\"tok\"]", 0, "{\"a\":1}"));
	CU_ASSERT(has(c, 0, "[\"tok\"]", 999, "{\"a\":1}"));
	/* another authorizer, another key */
	CU_ASSERT(has(c, 1, "[\"tok\"]", 0, NULL));
	CU_ASSERT(has(c, 0, "[\"tok2\"]", 0, NULL));
	CU_ASSERT_EQUAL(lb_authcache_count(c), 1);
	/* expired at its time: dropped */
	CU_ASSERT(has(c, 0, "[\"tok\"]", 1000, NULL));
	CU_ASSERT_EQUAL(lb_authcache_count(c), 0);
	CU_ASSERT_EQUAL(lb_authcache_bytes(c), 0);
	lb_authcache_free(c);
}

static void
test_replace(void)
{
	struct lb_authcache *c = lb_authcache_new(1 << 20);
	size_t bytes;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	put(c, 2, "k", "first", 100);
	bytes = lb_authcache_bytes(c);
	put(c, 2, "k", "again", 200);
	CU_ASSERT(has(c, 2, "k", 150, "again"));
	CU_ASSERT_EQUAL(lb_authcache_count(c), 1);
	CU_ASSERT_EQUAL(lb_authcache_bytes(c), bytes);
	/* keys with NUL bytes and of different lengths stay apart */
	CU_ASSERT_EQUAL(lb_authcache_put(c, 2, "a\0b", 3, "x", 1, 100), 0);
	CU_ASSERT(has(c, 2, "a", 0, NULL));
	lb_authcache_free(c);
}

static void
test_bound(void)
{
	struct lb_authcache *c;
	char key[32], val[200];
	size_t one;

	/* what one entry costs, then a cache for ten of them */
	c = lb_authcache_new(1 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	put(c, 0, "key-000", val, 1000);
	one = lb_authcache_bytes(c);
	lb_authcache_free(c);

	c = lb_authcache_new(one * 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 25; i++) {
		snprintf(key, sizeof(key), "key-%03d", i);
		put(c, 0, key, val, 1000);
		CU_ASSERT(lb_authcache_bytes(c) <= one * 10);
	}
	CU_ASSERT_EQUAL(lb_authcache_count(c), 10);
	/* the oldest went first */
	CU_ASSERT(has(c, 0, "key-014", 0, NULL));
	CU_ASSERT(has(c, 0, "key-015", 0, val));
	CU_ASSERT(has(c, 0, "key-024", 0, val));
	/* an entry over the whole bound is refused, nothing dropped */
	{
		size_t n = one * 10;
		char *big = malloc(n);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		memset(big, 'b', n);
		CU_ASSERT_EQUAL(
		    lb_authcache_put(c, 0, "big", 3, big, n, 1000), -1);
		free(big);
	}
	CU_ASSERT_EQUAL(lb_authcache_count(c), 10);
	lb_authcache_free(c);
}

struct worker {
	struct lb_authcache *c;
	int id;
	int hits;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	char key[32];

	for (int i = 0; i < 2000; i++) {
		size_t len;
		char *v;

		snprintf(key, sizeof(key), "k%d", (i * 7 + w->id) % 50);
		v = lb_authcache_get(w->c, 0, key, strlen(key), 0, &len);
		if (v != NULL) {
			w->hits += strcmp(v, key) == 0;
			free(v);
		} else {
			lb_authcache_put(
			    w->c, 0, key, strlen(key), key, strlen(key), 1000);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	struct lb_authcache *c = lb_authcache_new(4096);
	struct worker w[4];
	pthread_t t[4];
	int hits = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].id = i;
		w[i].hits = 0;
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		hits += w[i].hits;
	}
	CU_ASSERT(hits > 0);
	CU_ASSERT(lb_authcache_bytes(c) <= 4096);
	lb_authcache_free(c);
}

void
lb_test_suite_authcache(void)
{
	static CU_TestInfo tests[] = {
		{ "hit and expiry", test_hit_and_expiry },
		{ "replacement and keys", test_replace },
		{ "memory bound", test_bound },
		{ "threads", test_threads },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("authcache", tests);
}
