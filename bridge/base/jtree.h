/*
 * jtree.h - a JSON tree built in an arena (arena.h): no allocation per
 * node, keys in insertion order, strings with their length (NUL bytes
 * survive).  Written out as JSON text directly, or turned into json-c
 * objects; both give the same JSON, strings escaped as json-c escapes
 * them.  Builders ignore failures as they go: an allocation that fails
 * sets the arena's oom flag, which the caller checks once at the end.
 */
#ifndef LB_JTREE_H
#define LB_JTREE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/arena.h"
#include "base/json.h"

/* JSON null is a NULL node pointer. */
enum lb_jtree_type {
	LB_JTREE_BOOL,
	LB_JTREE_INT,
	LB_JTREE_STR,
	LB_JTREE_OBJ,
	LB_JTREE_ARR,
	LB_JTREE_RAW, /* str: a JSON value as text, written as is */
	LB_JTREE_B64, /* str: bytes, written as a base64 string */
};

struct lb_jnode;

/* An object member (key set) or an array item (key NULL). */
struct lb_jitem {
	const char *key;      /* NUL-terminated */
	struct lb_jnode *val; /* NULL is JSON null */
	struct lb_jitem *next;
};

struct lb_jnode {
	enum lb_jtree_type type;
	int64_t num;     /* BOOL, INT; STR: 1 if it needs no escapes */
	const char *str; /* STR, not NUL-terminated */
	size_t len;
	struct lb_jitem *first, *last; /* OBJ, ARR */
	size_t count;
	struct lb_jitem **index; /* big objects: open addressing by key */
	size_t index_cap;        /* a power of two, over twice count */
};

/* A new empty node of `type` in a, or NULL (a->oom set). */
struct lb_jnode *lb_jtree_new(struct lb_arena *a, enum lb_jtree_type type);

/* A number, or NULL (a->oom set). */
struct lb_jnode *lb_jtree_int(struct lb_arena *a, int64_t v);

/* true or false, or NULL (a->oom set). */
struct lb_jnode *lb_jtree_bool(struct lb_arena *a, int v);

/*
 * A string of len bytes of UTF-8, borrowed: s must outlive the tree.
 * NULL (a->oom set) when out of memory or len is over INT_MAX (json-c's
 * limit).
 */
struct lb_jnode *lb_jtree_str(struct lb_arena *a, const char *s, size_t len);

/*
 * A JSON value given as its text (written as json-c writes it, PLAIN and
 * NOSLASHESCAPE), borrowed: s must outlive the tree.  NULL (a->oom set)
 * when out of memory.  lb_jtree_to_json parses it (text that is not JSON
 * sets *oom).
 */
struct lb_jnode *lb_jtree_raw(struct lb_arena *a, const char *s, size_t len);

/*
 * The string that is len bytes of s in base64, borrowed: s must outlive the
 * tree.  It is encoded when written, straight into the text (no copy of
 * its own).  NULL (a->oom set) when out of memory or the base64 would be
 * over INT_MAX bytes.
 */
struct lb_jnode *lb_jtree_b64(struct lb_arena *a, const void *s, size_t len);

/* The same, copied into the arena. */
struct lb_jnode *lb_jtree_str_copy(
    struct lb_arena *a, const char *s, size_t len);

/*
 * Appends val under `key` to object c, or as an item to array c (key
 * NULL).  The key is borrowed: it must outlive the tree (a constant, or
 * arena memory).  A NULL c sets a->oom; a NULL val is JSON null.
 */
void lb_jtree_append(struct lb_arena *a, struct lb_jnode *c, const char *key,
    struct lb_jnode *val);

/* The member of object o under `key`, or NULL.  Borrowed. */
struct lb_jitem *lb_jtree_find(struct lb_jnode *o, const char *key);

/* Appends val under the constant, new `key`; a NULL val means out of
 * memory (a->oom set). */
void lb_jtree_put(struct lb_arena *a, struct lb_jnode *obj, const char *key,
    struct lb_jnode *val);

/* Appends JSON null under the constant, new `key`. */
void lb_jtree_put_null(
    struct lb_arena *a, struct lb_jnode *obj, const char *key);

/*
 * Sets `key` (copied into the arena) to val: a key already there keeps its
 * place and takes the new value, as json-c does.  A NULL obj, key or val
 * means out of memory (a->oom set).
 */
void lb_jtree_put_dyn(struct lb_arena *a, struct lb_jnode *obj, const char *key,
    struct lb_jnode *val);

/* Appends val to array arr; a NULL val means out of memory (a->oom set). */
void lb_jtree_push(
    struct lb_arena *a, struct lb_jnode *arr, struct lb_jnode *val);

/*
 * The tree under e as json-c objects: returns a new reference (NULL for
 * JSON null), setting *oom when a part could not be made.
 */
json_object *lb_jtree_to_json(const struct lb_jnode *e, int *oom);

/*
 * Writes the tree under e to jb as JSON text: exactly what
 * json_object_to_json_string_ext(lb_jtree_to_json(e),
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) gives.
 */
void lb_jtree_write(struct lb_jbuf *jb, const struct lb_jnode *e);

#endif /* LB_JTREE_H */
