/*
 * ynode.c - a YAML/JSON document as the importer's tree (ynode.h): the
 * only file that includes libfyaml.
 */
#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import/ynode.h"

#define Y_MAX_DEPTH 200
#define Y_MAX_NODES 2000000

struct yload {
	struct lb_arena *a;
	size_t nodes;
	char *err;
	size_t errlen;
};

char *
lb_y_strdup(struct lb_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = lb_arena_alloc(a, n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static char *
y_strndup(struct lb_arena *a, const char *s, size_t n)
{
	char *p = lb_arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
lb_y_printf(struct lb_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = lb_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

struct lb_ynode *
lb_y_new(struct lb_arena *a, enum lb_ykind kind, int line)
{
	struct lb_ynode *n = lb_arena_alloc(a, sizeof(*n));

	if (n != NULL) {
		memset(n, 0, sizeof(*n));
		n->kind = kind;
		n->line = line;
	}
	return n;
}

struct lb_ynode *
lb_y_newstr(struct lb_arena *a, const char *s, int line)
{
	struct lb_ynode *n = lb_y_new(a, LB_Y_STR, line);

	if (n != NULL && (n->str = lb_y_strdup(a, s)) == NULL)
		return NULL;
	return n;
}

int
lb_y_add(
    struct lb_arena *a, struct lb_ynode *n, const char *key, struct lb_ynode *v)
{
	/* capacities are the powers of two: grow when n is one */
	if (n->n == 0 || (n->n & (n->n - 1)) == 0) {
		size_t cap = n->n == 0 ? 4 : n->n * 2;
		struct lb_ynode **items;

		if (n->n < 4 && n->items != NULL)
			goto store;
		items = lb_arena_alloc(a, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		if (n->n > 0)
			memcpy(items, n->items, n->n * sizeof(*items));
		n->items = items;
		if (n->kind == LB_Y_MAP) {
			const char **keys =
			    lb_arena_alloc(a, cap * sizeof(*keys));

			if (keys == NULL)
				return -1;
			if (n->n > 0)
				memcpy(keys, n->keys, n->n * sizeof(*keys));
			n->keys = keys;
		}
	}
store:
	n->items[n->n] = v;
	if (n->kind == LB_Y_MAP)
		n->keys[n->n] = key;
	n->n++;
	return 0;
}

static int
tok_line(struct fy_token *t)
{
	const struct fy_mark *m = t != NULL ? fy_token_start_mark(t) : NULL;

	return m != NULL ? m->line + 1 : 0;
}

static struct lb_ynode *convert(
    struct yload *y, struct fy_node *fn, int line, int depth);

static int
fail(struct yload *y, int line, const char *msg)
{
	snprintf(y->err, y->errlen, "%d: %s", line, msg);
	return -1;
}

/* `!Tag value` as {Fn::Tag: value} (Ref and Condition keep their names;
 * a !GetAtt scalar splits at its first dot), as SAM CLI's loader does */
static struct lb_ynode *
wrap_tag(struct yload *y, const char *tag, size_t tlen, struct lb_ynode *v)
{
	struct lb_ynode *m = lb_y_new(y->a, LB_Y_MAP, v->line);
	char *key;

	if (m == NULL)
		return NULL;
	tag++, tlen--; /* the '!' */
	if ((tlen == 3 && memcmp(tag, "Ref", 3) == 0) ||
	    (tlen == 9 && memcmp(tag, "Condition", 9) == 0))
		key = y_strndup(y->a, tag, tlen);
	else
		key = lb_y_printf(y->a, "Fn::%.*s", (int)tlen, tag);
	if (key == NULL)
		return NULL;
	if (strcmp(key, "Fn::GetAtt") == 0 && v->kind == LB_Y_STR) {
		const char *dot = strchr(v->str, '.');
		struct lb_ynode *seq = lb_y_new(y->a, LB_Y_SEQ, v->line);
		struct lb_ynode *a, *b;

		if (seq == NULL)
			return NULL;
		a = lb_y_new(y->a, LB_Y_STR, v->line);
		b = lb_y_new(y->a, LB_Y_STR, v->line);
		if (a == NULL || b == NULL)
			return NULL;
		a->str = dot != NULL ? y_strndup(y->a, v->str, dot - v->str)
		                     : v->str;
		b->str = dot != NULL ? dot + 1 : "";
		if (a->str == NULL || lb_y_add(y->a, seq, NULL, a) < 0 ||
		    lb_y_add(y->a, seq, NULL, b) < 0)
			return NULL;
		v = seq;
	}
	if (lb_y_add(y->a, m, key, v) < 0)
		return NULL;
	return m;
}

static struct lb_ynode *
convert(struct yload *y, struct fy_node *fn, int line, int depth)
{
	struct lb_ynode *n;
	const char *tag;
	size_t tlen = 0, len;
	void *it = NULL;

	if (depth > Y_MAX_DEPTH) {
		fail(y, line, "nested too deeply");
		return NULL;
	}
	if (++y->nodes > Y_MAX_NODES) {
		fail(y, line, "too many nodes");
		return NULL;
	}
	if (fy_node_get_tag_token(fn) != NULL)
		line = tok_line(fy_node_get_tag_token(fn));
	switch (fy_node_get_type(fn)) {
	case FYNT_SCALAR: {
		const char *s = fy_node_get_scalar(fn, &len);

		if (fy_node_get_scalar_token(fn) != NULL)
			line = tok_line(fy_node_get_scalar_token(fn));
		n = lb_y_new(y->a, LB_Y_STR, line);
		if (n == NULL ||
		    (n->str = y_strndup(y->a, s != NULL ? s : "",
		         s != NULL ? len : 0)) == NULL)
			goto oom;
		n->plain = fy_node_get_style(fn) == FYNS_PLAIN;
		break;
	}
	case FYNT_SEQUENCE: {
		struct fy_node *c;

		n = lb_y_new(y->a, LB_Y_SEQ, line);
		if (n == NULL)
			goto oom;
		while ((c = fy_node_sequence_iterate(fn, &it)) != NULL) {
			struct lb_ynode *v = convert(y, c, line, depth + 1);

			if (v == NULL)
				return NULL;
			if (n->n == 0 && n->line == 0)
				n->line = v->line;
			if (lb_y_add(y->a, n, NULL, v) < 0)
				goto oom;
		}
		break;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *p;

		n = lb_y_new(y->a, LB_Y_MAP, line);
		if (n == NULL)
			goto oom;
		while ((p = fy_node_mapping_iterate(fn, &it)) != NULL) {
			struct fy_node *k = fy_node_pair_key(p);
			struct fy_node *v = fy_node_pair_value(p);
			struct lb_ynode *kv, *vv;
			int kl = line;

			if (k == NULL || fy_node_get_type(k) != FYNT_SCALAR) {
				fail(y, line, "a mapping key is not a scalar");
				return NULL;
			}
			kv = convert(y, k, line, depth + 1);
			if (kv == NULL)
				return NULL;
			if (kv->kind != LB_Y_STR) { /* `!Tag key: ...` */
				fail(y, kv->line, "a mapping key has a tag");
				return NULL;
			}
			kl = kv->line;
			if (n->n == 0)
				n->line = kl;
			if (v == NULL) {
				vv = lb_y_newstr(y->a, "", kl);
				if (vv != NULL)
					vv->plain = true;
			} else {
				vv = convert(y, v, kl, depth + 1);
			}
			if (vv == NULL)
				return NULL;
			if (lb_y_add(y->a, n, kv->str, vv) < 0)
				goto oom;
		}
		break;
	}
	default: fail(y, line, "unknown node type"); return NULL;
	}
	tag = fy_node_get_tag(fn, &tlen);
	if (tag != NULL && tlen > 1 && tag[0] == '!' && tag[1] != '!') {
		n = wrap_tag(y, tag, tlen, n);
		if (n == NULL)
			goto oom;
	}
	return n;
oom:
	fail(y, line, "out of memory");
	return NULL;
}

/* libfyaml's messages ("NAME:LINE:COL: error: MSG"): the first error
 * becomes "LINE: MSG" in the caller's buffer */
struct ydiag {
	char *err;
	size_t errlen;
	bool got;
};

static void
on_diag(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct ydiag *d = user;
	const char *e;
	int line = 0, col = 0;
	size_t n;

	(void)diag;
	if (d->got || (e = memmem(buf, len, ": error: ", 9)) == NULL)
		return;
	/* back over ":COL" and ":LINE" */
	{
		const char *q = e;
		int seps = 0;

		while (q > buf && seps < 2) {
			q--;
			if (*q == ':')
				seps++;
			else if (*q < '0' || *q > '9')
				break;
		}
		if (seps == 2)
			sscanf(q, ":%d:%d", &line, &col);
	}
	e += 9;
	n = len - (size_t)(e - buf);
	while (n > 0 && (e[n - 1] == '\n' || e[n - 1] == '\r'))
		n--;
	snprintf(d->err, d->errlen, "%d: %.*s", line, (int)n, e);
	d->got = true;
}

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 when it
 * is not one (overlong forms, surrogates and values past U+10FFFF too). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Templates are UTF-8 (CloudFormation's rule): anything else is refused
 * before libfyaml sees it (its 0.7 scanner can loop on invalid bytes). */
static int
check_utf8(const char *text, size_t len, char *err, size_t errlen)
{
	int line = 1;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_len((const unsigned char *)text + i, len - i);

		if (n == 0 || text[i] == '\0') {
			snprintf(err, errlen, "%d: not UTF-8 text (byte %zu)",
			    line, i + 1);
			return -1;
		}
		if (text[i] == '\n')
			line++;
		i += n;
	}
	return 0;
}

struct lb_ynode *
lb_y_load(struct lb_arena *a, const char *text, size_t len, int *ndocs,
    char *err, size_t errlen)
{
	struct yload y = { .a = a, .err = err, .errlen = errlen };
	struct ydiag yd = { .err = err, .errlen = errlen };
	struct fy_parse_cfg cfg;
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag;
	struct fy_parser *p;
	struct fy_document *d, *first = NULL;
	struct lb_ynode *root = NULL;
	size_t i = 0;

	*ndocs = 0;
	if (check_utf8(text, len, err, errlen) < 0)
		return NULL;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = on_diag;
	dcfg.user = &yd;
	dcfg.colorize = false;
	dcfg.show_source = false;
	dcfg.level = FYET_ERROR;
	diag = fy_diag_create(&dcfg);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT |
	    (i < len && text[i] == '{' ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE);
	cfg.diag = diag;
	p = fy_parser_create(&cfg);
	if (diag == NULL || p == NULL ||
	    fy_parser_set_string(p, text, len) != 0) {
		snprintf(err, errlen, "0: cannot start the YAML parser");
		goto out;
	}
	while ((d = fy_parse_load_document(p)) != NULL) {
		(*ndocs)++;
		if (first == NULL)
			first = d;
		else
			fy_parse_document_destroy(p, d);
	}
	if (fy_parser_get_stream_error(p) || first == NULL) {
		if (!yd.got)
			snprintf(err, errlen, "%d: %s", 1,
			    first == NULL ? "no YAML document"
			                  : "invalid YAML");
		goto out;
	}
	if (fy_document_root(first) == NULL) {
		snprintf(err, errlen, "1: empty document");
		goto out;
	}
	root = convert(&y, fy_document_root(first), 1, 0);
out:
	if (first != NULL)
		fy_parse_document_destroy(p, first);
	if (p != NULL)
		fy_parser_destroy(p);
	if (diag != NULL)
		fy_diag_destroy(diag);
	return root;
}

struct lb_ynode *
lb_y_get(const struct lb_ynode *map, const char *key)
{
	if (map == NULL || map->kind != LB_Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

struct lb_ynode *
lb_y_getci(const struct lb_ynode *map, const char *key)
{
	if (map == NULL || map->kind != LB_Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcasecmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

const char *
lb_y_str(const struct lb_ynode *n)
{
	return n != NULL && n->kind == LB_Y_STR ? n->str : NULL;
}

int
lb_y_bool(const struct lb_ynode *n)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
		"YES", "on", "On", "ON", "y", "Y" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
		"NO", "off", "Off", "OFF", "n", "N" };

	if (n == NULL || n->kind != LB_Y_STR)
		return -1;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(n->str, yes[i]) == 0)
			return 1;
		if (strcmp(n->str, no[i]) == 0)
			return 0;
	}
	return -1;
}

int
lb_y_num(const struct lb_ynode *n, double *v)
{
	char *end;

	if (n == NULL || n->kind != LB_Y_STR || n->str[0] == '\0' ||
	    isspace((unsigned char)n->str[0]))
		return -1;
	errno = 0;
	*v = strtod(n->str, &end);
	if (*end != '\0' || errno != 0 || *v != *v)
		return -1;
	return 0;
}
