/*
 * authcache.c - the authorizers' result cache: a chained hash table whose
 * entries are also on a list in the order they were stored, so that the
 * oldest is dropped first when the cache is over its bound.  One mutex:
 * a hit costs a hash, a compare and a copy of a few hundred bytes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apigw/authcache.h"

#define NBUCKETS 4096 /* a power of two */

struct entry {
	struct entry *chain; /* next in the bucket */
	struct entry *older; /* the list, oldest first */
	struct entry *newer;
	size_t authorizer;
	uint64_t hash;
	int64_t expires_ms;
	size_t keylen, vlen;
	char *value; /* after the key, NUL-terminated */
	char key[];
};

struct lb_authcache {
	pthread_mutex_t lock;
	size_t max_bytes, bytes, count;
	struct entry *oldest, *newest;
	struct entry *buckets[NBUCKETS];
};

static uint64_t
hash(size_t authorizer, const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ull ^ authorizer;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ull;
	}
	return h;
}

static size_t
entry_size(size_t keylen, size_t vlen)
{
	return sizeof(struct entry) + keylen + vlen + 1;
}

struct lb_authcache *
lb_authcache_new(size_t max_bytes)
{
	struct lb_authcache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max_bytes = max_bytes;
	return c;
}

/* Takes e off its bucket and the list and frees it (lock held). */
static void
drop(struct lb_authcache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[e->hash & (NBUCKETS - 1)];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->bytes -= entry_size(e->keylen, e->vlen);
	c->count--;
	free(e);
}

static struct entry *
find(struct lb_authcache *c, size_t authorizer, const char *key, size_t len,
    uint64_t h)
{
	for (struct entry *e = c->buckets[h & (NBUCKETS - 1)]; e != NULL;
	     e = e->chain)
		if (e->hash == h && e->authorizer == authorizer &&
		    e->keylen == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

char *
lb_authcache_get(struct lb_authcache *c, size_t authorizer, const char *key,
    size_t keylen, int64_t now_ms, size_t *len)
{
	uint64_t h = hash(authorizer, key, keylen);
	struct entry *e;
	char *copy = NULL;

	pthread_mutex_lock(&c->lock);
	e = find(c, authorizer, key, keylen, h);
	if (e != NULL && e->expires_ms <= now_ms) {
		drop(c, e);
		e = NULL;
	}
	if (e != NULL && (copy = malloc(e->vlen + 1)) != NULL) {
		memcpy(copy, e->value, e->vlen + 1);
		*len = e->vlen;
	}
	pthread_mutex_unlock(&c->lock);
	return copy;
}

int
lb_authcache_put(struct lb_authcache *c, size_t authorizer, const char *key,
    size_t keylen, const char *value, size_t vlen, int64_t expires_ms)
{
	uint64_t h = hash(authorizer, key, keylen);
	size_t size = entry_size(keylen, vlen);
	struct entry *e, *old;

	if (size > c->max_bytes || size < vlen)
		return -1;
	e = malloc(size);
	if (e == NULL)
		return -1;
	e->authorizer = authorizer;
	e->hash = h;
	e->expires_ms = expires_ms;
	e->keylen = keylen;
	e->vlen = vlen;
	memcpy(e->key, key, keylen);
	e->value = e->key + keylen;
	memcpy(e->value, value, vlen);
	e->value[vlen] = '\0';

	pthread_mutex_lock(&c->lock);
	if ((old = find(c, authorizer, key, keylen, h)) != NULL)
		drop(c, old);
	while (c->oldest != NULL && c->bytes + size > c->max_bytes)
		drop(c, c->oldest);
	e->chain = c->buckets[h & (NBUCKETS - 1)];
	c->buckets[h & (NBUCKETS - 1)] = e;
	e->newer = NULL;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->bytes += size;
	c->count++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

size_t
lb_authcache_count(struct lb_authcache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

size_t
lb_authcache_bytes(struct lb_authcache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->bytes;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
lb_authcache_free(struct lb_authcache *c)
{
	if (c == NULL)
		return;
	while (c->oldest != NULL) {
		struct entry *e = c->oldest;

		c->oldest = e->newer;
		free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}
