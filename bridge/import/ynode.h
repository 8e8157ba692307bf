/*
 * ynode.h - the importer's document tree: a YAML or JSON document loaded
 * through libfyaml (the only file that includes it) into nodes kept in an
 * arena, with CloudFormation's short-form tags turned into the long form
 * (`!Ref X` -> {Ref: X}, `!GetAtt A.B` -> {Fn::GetAtt: [A, B]},
 * `!Sub s` -> {Fn::Sub: s}), anchors and merge keys resolved, and each
 * node's source line.  Scalars stay strings: the readers below decide what
 * is a number or a YAML 1.1 boolean, as CloudFormation does.
 */
#ifndef LB_YNODE_H
#define LB_YNODE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

enum lb_ykind { LB_Y_STR, LB_Y_MAP, LB_Y_SEQ };

struct lb_ynode {
	enum lb_ykind kind;
	int line;        /* 1-based source line; 0 when made by the importer */
	bool plain;      /* an unquoted scalar (may be a number or a boolean) */
	const char *str; /* LB_Y_STR: NUL-terminated */
	size_t n;        /* entries of a map or items of a sequence */
	const char **keys; /* LB_Y_MAP: keys[i] names items[i] */
	struct lb_ynode **items;
};

/*
 * Parses `len` bytes of `text` (YAML 1.2 or JSON; the first document of a
 * stream) into nodes allocated in `a`.  Returns the root, or NULL with the
 * reason ("LINE: message") in err.  *ndocs gets the number of documents.
 */
struct lb_ynode *lb_y_load(struct lb_arena *a, const char *text, size_t len,
    int *ndocs, char *err, size_t errlen);

/* Builders (in `a`; NULL when out of memory). */
struct lb_ynode *lb_y_new(struct lb_arena *a, enum lb_ykind kind, int line);
struct lb_ynode *lb_y_newstr(struct lb_arena *a, const char *s, int line);
/* Appends to a map (key) or a sequence (key NULL); -1 when out of memory. */
int lb_y_add(struct lb_arena *a, struct lb_ynode *n, const char *key,
    struct lb_ynode *v);
char *lb_y_strdup(struct lb_arena *a, const char *s);
char *lb_y_printf(struct lb_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Readers (borrowed results).  lb_y_get: a map's value for `key`, or
 * NULL; lb_y_str: a scalar's text or NULL; lb_y_bool: 1/0 for YAML 1.1
 * and 1.2 booleans (true/yes/on ...), -1 otherwise; lb_y_num: 0 and *v for
 * a decimal number, -1 otherwise. */
struct lb_ynode *lb_y_get(const struct lb_ynode *map, const char *key);
const char *lb_y_str(const struct lb_ynode *n);
int lb_y_bool(const struct lb_ynode *n);
int lb_y_num(const struct lb_ynode *n, double *v);
/* Case-insensitive lb_y_get (HTTP method keys, "Type" spellings). */
struct lb_ynode *lb_y_getci(const struct lb_ynode *map, const char *key);

#endif /* LB_YNODE_H */
