/*
 * jtree.c - the JSON tree (see jtree.h).  Objects past INDEX_FROM members
 * (the query and header maps of a big request) get a hash index, so that
 * replacing a repeated key stays cheap.
 */
#include <limits.h>
#include <string.h>

#include "base/b64.h"
#include "base/jtree.h"

#define INDEX_FROM 16 /* members before an object gets an index */

struct lb_jnode *
lb_jtree_new(struct lb_arena *a, enum lb_jtree_type type)
{
	struct lb_jnode *e = lb_arena_alloc(a, sizeof(*e));

	if (e != NULL) {
		memset(e, 0, sizeof(*e));
		e->type = type;
	}
	return e;
}

struct lb_jnode *
lb_jtree_int(struct lb_arena *a, int64_t v)
{
	struct lb_jnode *e = lb_jtree_new(a, LB_JTREE_INT);

	if (e != NULL)
		e->num = v;
	return e;
}

struct lb_jnode *
lb_jtree_bool(struct lb_arena *a, int v)
{
	struct lb_jnode *e = lb_jtree_new(a, LB_JTREE_BOOL);

	if (e != NULL)
		e->num = v != 0;
	return e;
}

static size_t
key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*k != '\0')
		h = (h ^ (unsigned char)*k++) * 1099511628211ULL;
	return (size_t)h;
}

static void
index_put(struct lb_jnode *o, struct lb_jitem *it)
{
	size_t mask = o->index_cap - 1, i = key_hash(it->key) & mask;

	while (o->index[i] != NULL)
		i = (i + 1) & mask;
	o->index[i] = it;
}

/* (Re)builds o's index with room for twice its members. */
static void
index_grow(struct lb_arena *a, struct lb_jnode *o)
{
	size_t cap = 64;
	struct lb_jitem **ix;

	while (cap < 4 * o->count)
		cap *= 2;
	if ((ix = lb_arena_alloc(a, cap * sizeof(*ix))) == NULL)
		return;
	memset(ix, 0, cap * sizeof(*ix));
	o->index = ix;
	o->index_cap = cap;
	for (struct lb_jitem *it = o->first; it != NULL; it = it->next)
		index_put(o, it);
}

void
lb_jtree_append(struct lb_arena *a, struct lb_jnode *c, const char *key,
    struct lb_jnode *val)
{
	struct lb_jitem *it;

	if (c == NULL || (it = lb_arena_alloc(a, sizeof(*it))) == NULL) {
		a->oom = 1;
		return;
	}
	it->key = key;
	it->val = val;
	it->next = NULL;
	if (c->last != NULL)
		c->last->next = it;
	else
		c->first = it;
	c->last = it;
	c->count++;
	/* objects with many request keys (query, headers) get an index */
	if (key != NULL && c->count >= INDEX_FROM) {
		if (c->index == NULL || 2 * c->count > c->index_cap)
			index_grow(a, c);
		else
			index_put(c, it);
	}
}

struct lb_jitem *
lb_jtree_find(struct lb_jnode *o, const char *key)
{
	if (o->index != NULL) {
		size_t mask = o->index_cap - 1, i = key_hash(key) & mask;

		for (; o->index[i] != NULL; i = (i + 1) & mask)
			if (strcmp(o->index[i]->key, key) == 0)
				return o->index[i];
		return NULL;
	}
	for (struct lb_jitem *it = o->first; it != NULL; it = it->next)
		if (strcmp(it->key, key) == 0)
			return it;
	return NULL;
}

struct lb_jnode *
lb_jtree_str(struct lb_arena *a, const char *s, size_t len)
{
	struct lb_jnode *o = lb_jtree_new(a, LB_JTREE_STR);

	if (o == NULL || len > INT_MAX) {
		a->oom = 1;
		return NULL;
	}
	o->str = s;
	o->len = len;
	return o;
}

struct lb_jnode *
lb_jtree_raw(struct lb_arena *a, const char *s, size_t len)
{
	struct lb_jnode *o = lb_jtree_str(a, s, len);

	if (o != NULL)
		o->type = LB_JTREE_RAW;
	return o;
}

struct lb_jnode *
lb_jtree_b64(struct lb_arena *a, const void *s, size_t len)
{
	struct lb_jnode *o;

	if (len > (size_t)INT_MAX / 4 * 3) {
		a->oom = 1;
		return NULL;
	}
	o = lb_jtree_str(a, s, len);
	if (o != NULL)
		o->type = LB_JTREE_B64;
	return o;
}

struct lb_jnode *
lb_jtree_str_copy(struct lb_arena *a, const char *s, size_t len)
{
	char *d = len <= INT_MAX ? lb_arena_alloc(a, len) : NULL;

	if (d == NULL) {
		a->oom = 1;
		return NULL;
	}
	memcpy(d, s, len);
	return lb_jtree_str(a, d, len);
}

void
lb_jtree_put(struct lb_arena *a, struct lb_jnode *obj, const char *key,
    struct lb_jnode *val)
{
	if (val == NULL) {
		a->oom = 1;
		return;
	}
	lb_jtree_append(a, obj, key, val);
}

void
lb_jtree_put_null(struct lb_arena *a, struct lb_jnode *obj, const char *key)
{
	lb_jtree_append(a, obj, key, NULL);
}

void
lb_jtree_put_dyn(struct lb_arena *a, struct lb_jnode *obj, const char *key,
    struct lb_jnode *val)
{
	struct lb_jitem *it;
	size_t n;
	char *k;

	if (obj == NULL || val == NULL || key == NULL) {
		a->oom = 1;
		return;
	}
	if ((it = lb_jtree_find(obj, key)) != NULL) {
		it->val = val;
		return;
	}
	n = strlen(key);
	if ((k = lb_arena_alloc(a, n + 1)) == NULL)
		return;
	memcpy(k, key, n + 1);
	lb_jtree_append(a, obj, k, val);
}

void
lb_jtree_push(struct lb_arena *a, struct lb_jnode *arr, struct lb_jnode *val)
{
	if (val == NULL) {
		a->oom = 1;
		return;
	}
	lb_jtree_append(a, arr, NULL, val);
}

json_object *
lb_jtree_to_json(const struct lb_jnode *e, int *oom)
{
	json_object *o = NULL;

	if (e == NULL)
		return NULL;
	switch (e->type) {
	case LB_JTREE_BOOL: o = json_object_new_boolean((int)e->num); break;
	case LB_JTREE_INT: o = json_object_new_int64(e->num); break;
	case LB_JTREE_STR:
		o = json_object_new_string_len(e->str, (int)e->len);
		break;
	case LB_JTREE_B64: {
		char *d = malloc(lb_b64_encoded_size(e->len));

		if (d == NULL)
			break;
		o = json_object_new_string_len(
		    d, (int)lb_b64_encode(e->str, e->len, d));
		free(d);
		break;
	}
	case LB_JTREE_RAW: {
		struct json_tokener *t = json_tokener_new();

		if (t == NULL)
			break;
		o = json_tokener_parse_ex(t, e->str, (int)e->len);
		if (o != NULL &&
		    json_tokener_get_error(t) != json_tokener_success) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(t);
		/* the text "null" parses as NULL: not a failure */
		if (o == NULL && e->len == 4 && memcmp(e->str, "null", 4) == 0)
			return NULL;
		break;
	}
	case LB_JTREE_OBJ:
		o = json_object_new_object();
		for (struct lb_jitem *it = e->first; o != NULL && it != NULL;
		     it = it->next) {
			json_object *v = lb_jtree_to_json(it->val, oom);

			if (json_object_object_add(o, it->key, v) != 0) {
				json_object_put(v);
				*oom = 1;
			}
		}
		break;
	case LB_JTREE_ARR:
		o = json_object_new_array();
		for (struct lb_jitem *it = e->first; o != NULL && it != NULL;
		     it = it->next) {
			json_object *v = lb_jtree_to_json(it->val, oom);

			if (json_object_array_add(o, v) != 0) {
				json_object_put(v);
				*oom = 1;
			}
		}
		break;
	}
	if (o == NULL)
		*oom = 1;
	return o;
}

void
lb_jtree_write(struct lb_jbuf *jb, const struct lb_jnode *e)
{
	if (e == NULL) {
		lb_jbuf_put(jb, "null", 4);
		return;
	}
	switch (e->type) {
	case LB_JTREE_BOOL:
		if (e->num)
			lb_jbuf_put(jb, "true", 4);
		else
			lb_jbuf_put(jb, "false", 5);
		return;
	case LB_JTREE_INT: lb_jbuf_i64(jb, e->num); return;
	case LB_JTREE_STR:
		if (e->num) {
			lb_jbuf_put(jb, "\"", 1);
			lb_jbuf_put(jb, e->str, e->len);
			lb_jbuf_put(jb, "\"", 1);
		} else
			lb_jbuf_string(jb, e->str, e->len);
		return;
	case LB_JTREE_RAW: lb_jbuf_put(jb, e->str, e->len); return;
	case LB_JTREE_B64: lb_jbuf_b64(jb, e->str, e->len); return;
	case LB_JTREE_OBJ:
	case LB_JTREE_ARR:
		lb_jbuf_put(jb, e->type == LB_JTREE_OBJ ? "{" : "[", 1);
		for (const struct lb_jitem *it = e->first; it != NULL;
		     it = it->next) {
			if (it != e->first)
				lb_jbuf_put(jb, ",", 1);
			if (e->type == LB_JTREE_OBJ) {
				lb_jbuf_string(jb, it->key, strlen(it->key));
				lb_jbuf_put(jb, ":", 1);
			}
			lb_jtree_write(jb, it->val);
		}
		lb_jbuf_put(jb, e->type == LB_JTREE_OBJ ? "}" : "]", 1);
		return;
	}
}
