/*
 * router.c - route keys and matching with API Gateway's rules
 * (docs/apigw-facts.md sections 1.4 and 2.5).
 *
 * The routes are kept in a segment trie: each node has its static children
 * (sorted, found by binary search), at most one {var} child, and two slot
 * arrays indexed by method: the routes whose template ends at the node and
 * the routes whose {proxy+} starts after it.  Matching walks the trie depth
 * first trying static, then {var}, then {proxy+} at every position, so the
 * first route found is the most specific one compared segment by segment
 * from the left; a template that matches the path but has neither the
 * request's method nor ANY is passed over (HTTP API semantics: POST /test/5
 * falls to ANY /{proxy+}).  Matching allocates nothing; the recursion is as
 * deep as the longest template.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "apigw/router.h"

/* The methods a route key may name; ANY is last. */
static const char *const methods[] = {
	"GET",
	"POST",
	"PUT",
	"PATCH",
	"DELETE",
	"HEAD",
	"OPTIONS",
	"ANY",
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))
#define ANY_IDX  ((int)NMETHODS - 1)

/* A route with its variable names, in template order. */
struct rinfo {
	const struct lb_route *route;
	size_t nparams;
	int greedy; /* the last parameter is a {proxy+} */
	struct {
		const char *name; /* into route->path */
		size_t len;
	} names[LB_ROUTER_MAX_PARAMS];
};

struct node {
	const char *seg; /* static segment text, into some route->path */
	size_t seg_len;
	struct node **statics; /* sorted by seg_cmp */
	size_t nstatics;
	struct node *var;
	const struct rinfo *here[NMETHODS];   /* templates ending here */
	const struct rinfo *greedy[NMETHODS]; /* {proxy+} after this node */
};

struct lb_router {
	struct node *root;
	struct rinfo *infos; /* one per route */
	const struct rinfo *deflt;
	int rest; /* REST: a resource without the method is "no route" */
};

/* One segment of a template: [s, s + len), its kind and variable name. */
enum seg_kind { SEG_STATIC, SEG_VAR, SEG_GREEDY };

struct seg {
	const char *s;
	size_t len;
	enum seg_kind kind;
	const char *name; /* variables: without braces and '+' */
	size_t name_len;
};

static int
method_index(const char *m, size_t len)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (strlen(methods[i]) == len &&
		    memcmp(methods[i], m, len) == 0)
			return (int)i;
	return -1;
}

static int
var_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Characters a static segment may hold: visible ASCII except the URL's
 * query/fragment delimiters and the variable braces. */
static int
static_char(int c)
{
	return c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '{' &&
	    c != '}';
}

/*
 * Reads the segment of template `path` that starts after the '/' at *p and
 * advances *p to the next '/' or the end.  Returns 0, or -1 with the reason.
 */
static int
next_segment(const char **p, struct seg *sg, char *err, size_t errlen)
{
	const char *s = *p + 1, *e = s;

	while (*e != '\0' && *e != '/')
		e++;
	*p = e;
	sg->s = s;
	sg->len = (size_t)(e - s);
	sg->name = NULL;
	sg->name_len = 0;
	if (sg->len == 0) {
		snprintf(err, errlen, "empty path segment");
		return -1;
	}
	if (s[0] == '{') {
		const char *n = s + 1, *ne = e - 1;

		if (*ne != '}') {
			snprintf(err, errlen,
			    "segment '%.*s' must be static or a whole "
			    "{variable}",
			    (int)sg->len, s);
			return -1;
		}
		sg->kind = SEG_VAR;
		if (ne > n && ne[-1] == '+') {
			sg->kind = SEG_GREEDY;
			ne--;
		}
		sg->name = n;
		sg->name_len = (size_t)(ne - n);
		if (sg->name_len == 0) {
			snprintf(err, errlen,
			    "segment '%.*s' has an empty variable name",
			    (int)sg->len, s);
			return -1;
		}
		for (const char *q = n; q < ne; q++) {
			if (!var_name_char((unsigned char)*q)) {
				snprintf(err, errlen,
				    "invalid variable name in '%.*s' (use "
				    "A-Z a-z 0-9 _ . -)",
				    (int)sg->len, s);
				return -1;
			}
		}
		return 0;
	}
	sg->kind = SEG_STATIC;
	for (const char *q = s; q < e; q++) {
		if (*q == '{' || *q == '}') {
			snprintf(err, errlen,
			    "segment '%.*s' must be static or a whole "
			    "{variable}",
			    (int)sg->len, s);
			return -1;
		}
		if (!static_char((unsigned char)*q)) {
			snprintf(err, errlen,
			    "invalid character 0x%02x in segment '%.*s'",
			    (unsigned char)*q, (int)sg->len, s);
			return -1;
		}
	}
	return 0;
}

/*
 * Checks the path template `path` and, when `ri` is not NULL, records its
 * variable names.  Returns 0, or -1 with the reason (without the key).
 */
static int
check_template(const char *path, struct rinfo *ri, char *err, size_t errlen)
{
	struct seg sg;
	struct {
		const char *name;
		size_t len;
	} names[LB_ROUTER_MAX_PARAMS];
	size_t nnames = 0;
	const char *p = path;
	int greedy = 0;

	if (path[0] != '/') {
		snprintf(err, errlen, "the path must start with '/'");
		return -1;
	}
	if (strcmp(path, "/") == 0)
		goto done;
	while (*p != '\0') {
		if (greedy) {
			snprintf(err, errlen,
			    "the greedy variable '{%.*s+}' must be the last "
			    "segment",
			    (int)names[nnames - 1].len, names[nnames - 1].name);
			return -1;
		}
		if (next_segment(&p, &sg, err, errlen) < 0)
			return -1;
		if (sg.kind == SEG_STATIC)
			continue;
		for (size_t i = 0; i < nnames; i++) {
			if (names[i].len == sg.name_len &&
			    memcmp(names[i].name, sg.name, sg.name_len) == 0) {
				snprintf(err, errlen,
				    "duplicate variable '%.*s'",
				    (int)sg.name_len, sg.name);
				return -1;
			}
		}
		if (nnames == LB_ROUTER_MAX_PARAMS) {
			snprintf(err, errlen, "more than %d path variables",
			    LB_ROUTER_MAX_PARAMS);
			return -1;
		}
		names[nnames].name = sg.name;
		names[nnames].len = sg.name_len;
		nnames++;
		greedy = sg.kind == SEG_GREEDY;
	}
done:
	if (ri != NULL) {
		ri->nparams = nnames;
		ri->greedy = greedy;
		for (size_t i = 0; i < nnames; i++) {
			ri->names[i].name = names[i].name;
			ri->names[i].len = names[i].len;
		}
	}
	return 0;
}

int
lb_router_parse_key(
    const char *key, char **method, char **path, char *err, size_t errlen)
{
	const char *sp;
	char why[256];

	*method = NULL;
	*path = NULL;
	if (strcmp(key, "$default") == 0)
		return 0;
	sp = strchr(key, ' ');
	if (sp == NULL || sp == key) {
		snprintf(err, errlen,
		    "invalid route '%s': expected \"METHOD /path\" or "
		    "\"$default\"",
		    key);
		return -1;
	}
	if (method_index(key, (size_t)(sp - key)) < 0) {
		snprintf(err, errlen,
		    "invalid route '%s': unknown method '%.*s' (use GET, "
		    "POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY)",
		    key, (int)(sp - key), key);
		return -1;
	}
	if (check_template(sp + 1, NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid route '%s': %s", key, why);
		return -1;
	}
	*method = strndup(key, (size_t)(sp - key));
	*path = strdup(sp + 1);
	if (*method == NULL || *path == NULL) {
		free(*method);
		free(*path);
		*method = NULL;
		*path = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
seg_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* The static child of `n` for segment [s, s + len), and where it would go. */
static struct node *
find_static(const struct node *n, const char *s, size_t len, size_t *pos)
{
	size_t lo = 0, hi = n->nstatics;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct node *c = n->statics[mid];
		int d = seg_cmp(s, len, c->seg, c->seg_len);

		if (d == 0)
			return c;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (pos != NULL)
		*pos = lo;
	return NULL;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nstatics; i++)
		node_free(n->statics[i]);
	free(n->statics);
	node_free(n->var);
	free(n);
}

/* The child of `n` for template segment `sg`, created when missing. */
static struct node *
child_for(struct node *n, const struct seg *sg)
{
	struct node *c, **v;
	size_t pos = 0;

	if (sg->kind == SEG_VAR) {
		if (n->var == NULL)
			n->var = calloc(1, sizeof(*n->var));
		return n->var;
	}
	c = find_static(n, sg->s, sg->len, &pos);
	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	v = realloc(n->statics, (n->nstatics + 1) * sizeof(*v));
	if (c == NULL || v == NULL) {
		free(c);
		if (v != NULL)
			n->statics = v;
		return NULL;
	}
	n->statics = v;
	memmove(v + pos + 1, v + pos, (n->nstatics - pos) * sizeof(*v));
	v[pos] = c;
	n->nstatics++;
	c->seg = sg->s;
	c->seg_len = sg->len;
	return c;
}

/* Puts `ri` in `*slot`, or explains the conflict with the route there. */
static int
take_slot(
    const struct rinfo **slot, const struct rinfo *ri, char *err, size_t errlen)
{
	const struct lb_route *other;

	if (*slot == NULL) {
		*slot = ri;
		return 0;
	}
	other = (*slot)->route;
	if (other->line > 0)
		snprintf(err, errlen,
		    "route '%s' has the same method and path template as "
		    "'%s' (line %d)",
		    ri->route->key, other->key, other->line);
	else
		snprintf(err, errlen,
		    "route '%s' has the same method and path template as '%s'",
		    ri->route->key, other->key);
	return -1;
}

static int
insert(struct lb_router *r, const struct rinfo *ri, char *err, size_t errlen)
{
	const struct lb_route *rt = ri->route;
	struct node *n = r->root;
	const char *p = rt->path;
	struct seg sg;
	char why[256];
	int m;

	if (rt->method == NULL || rt->path == NULL)
		return take_slot(&r->deflt, ri, err, errlen);
	m = method_index(rt->method, strlen(rt->method));
	if (m < 0) {
		snprintf(err, errlen, "route '%s': unknown method '%s'",
		    rt->key, rt->method);
		return -1;
	}
	if (strcmp(p, "/") == 0)
		return take_slot(&n->here[m], ri, err, errlen);
	while (*p != '\0') {
		if (next_segment(&p, &sg, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "route '%s': %s", rt->key, why);
			return -1;
		}
		if (sg.kind == SEG_GREEDY)
			return take_slot(&n->greedy[m], ri, err, errlen);
		n = child_for(n, &sg);
		if (n == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return take_slot(&n->here[m], ri, err, errlen);
}

struct lb_router *
lb_router_new(const struct lb_route *routes, size_t nroutes, size_t *bad,
    char *err, size_t errlen)
{
	struct lb_router *r;
	char why[256];

	*bad = 0;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto nomem;
	r->root = calloc(1, sizeof(*r->root));
	r->infos = calloc(nroutes > 0 ? nroutes : 1, sizeof(*r->infos));
	if (r->root == NULL || r->infos == NULL)
		goto nomem;
	for (size_t i = 0; i < nroutes; i++) {
		struct rinfo *ri = &r->infos[i];

		ri->route = &routes[i];
		*bad = i;
		if (routes[i].path != NULL &&
		    check_template(routes[i].path, ri, why, sizeof(why)) < 0) {
			snprintf(
			    err, errlen, "route '%s': %s", routes[i].key, why);
			goto fail;
		}
		if (insert(r, ri, err, errlen) < 0)
			goto fail;
	}
	return r;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	lb_router_free(r);
	return NULL;
}

void
lb_router_set_rest(struct lb_router *r, int rest)
{
	r->rest = rest;
}

void
lb_router_free(struct lb_router *r)
{
	if (r == NULL)
		return;
	node_free(r->root);
	free(r->infos);
	free(r);
}

struct walk {
	int method;  /* index into methods, or -1 for an unlisted method */
	int rest;    /* REST rules (lb_router_set_rest) */
	int blocked; /* REST: the path matched a resource without the method */
	const char *end;
	size_t nvals;
	struct {
		const char *s;
		size_t len;
	} vals[LB_ROUTER_MAX_PARAMS + 1];
};

static const struct rinfo *
pick(const struct rinfo *const *slots, struct walk *w)
{
	if (w->method >= 0 && slots[w->method] != NULL)
		return slots[w->method];
	if (slots[ANY_IDX] != NULL || !w->rest)
		return slots[ANY_IDX];
	/* REST matches the resource by path first, then the method */
	for (size_t i = 0; i < NMETHODS; i++)
		if (slots[i] != NULL)
			w->blocked = 1;
	return NULL;
}

/*
 * The most specific route under `n` for the rest of the path, `rest` (the
 * end, or a '/' followed by the next segment).  Records the variable values
 * in w->vals.
 */
static const struct rinfo *
walk(const struct node *n, const char *rest, struct walk *w)
{
	const struct rinfo *ri;
	const char *seg, *e;
	size_t len, nvals = w->nvals;

	if (rest == w->end)
		return pick(n->here, w);
	seg = rest + 1;
	e = memchr(seg, '/', (size_t)(w->end - seg));
	if (e == NULL)
		e = w->end;
	len = (size_t)(e - seg);
	if (len > 0) {
		const struct node *c = find_static(n, seg, len, NULL);

		if (c != NULL && (ri = walk(c, e, w)) != NULL)
			return ri;
		if (w->blocked)
			return NULL;
		if (n->var != NULL && nvals < LB_ROUTER_MAX_PARAMS) {
			w->vals[nvals].s = seg;
			w->vals[nvals].len = len;
			w->nvals = nvals + 1;
			if ((ri = walk(n->var, e, w)) != NULL)
				return ri;
			w->nvals = nvals;
			if (w->blocked)
				return NULL;
		}
	}
	/* {proxy+}: one or more segments, never an empty value */
	if (seg < w->end && (ri = pick(n->greedy, w)) != NULL) {
		w->vals[nvals].s = seg;
		w->vals[nvals].len = (size_t)(w->end - seg);
		w->nvals = nvals + 1;
		return ri;
	}
	return NULL;
}

int
lb_router_match(const struct lb_router *r, const char *method, const char *path,
    size_t path_len, struct lb_router_match *m)
{
	const struct rinfo *ri = NULL;
	struct walk w;

	m->route = NULL;
	m->nparams = 0;
	w.blocked = 0;
	if (path_len > 0 && path[0] == '/') {
		w.method = method_index(method, strlen(method));
		w.rest = r->rest;
		w.end = path + path_len;
		/* "/payment/" is "/payment"; a greedy value loses the slash */
		if (w.end[-1] == '/')
			w.end--;
		w.nvals = 0;
		ri = walk(r->root, path, &w);
	}
	if (ri == NULL) {
		if (r->deflt == NULL || (r->rest && w.blocked))
			return -1;
		m->route = r->deflt->route;
		return 0;
	}
	m->route = ri->route;
	m->nparams = ri->nparams;
	for (size_t i = 0; i < ri->nparams && i < w.nvals; i++) {
		m->params[i].name = ri->names[i].name;
		m->params[i].name_len = ri->names[i].len;
		m->params[i].value = w.vals[i].s;
		m->params[i].value_len = w.vals[i].len;
	}
	return 0;
}
