/*
 * intrinsic.c - CloudFormation's intrinsic functions, resolved offline as
 * SAM CLI does: parameters (their Default, or --param), the pseudo
 * parameters from the bridge's region and account, a resource's Ref as its
 * logical id, `Fn::GetAtt F.Arn` as a synthetic Lambda ARN, Fn::Sub (both
 * forms), Join, Select, Split, If with Conditions, FindInMap.  What cannot
 * be resolved is a warning at its line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"

#define EV_MAX_DEPTH 64

static struct lb_ynode novalue = { .kind = LB_Y_STR, .str = "" };

static struct lb_ynode *ev(struct lb_imp *imp, struct lb_ynode *n, int depth);

static const char *
param_override(struct lb_imp *imp, const char *name)
{
	for (size_t i = 0; i < imp->o->nparams; i++)
		if (strcmp(imp->o->params[i].name, name) == 0)
			return imp->o->params[i].value;
	return NULL;
}

static bool
is_function(struct lb_imp *imp, const char *id)
{
	struct lb_ynode *r = lb_y_get(imp->resources, id);
	const char *t = lb_y_str(lb_y_get(r, "Type"));

	if (t == NULL)
		return imp->any_arn_is_function;
	return strcmp(t, "AWS::Serverless::Function") == 0 ||
	    strcmp(t, "AWS::Lambda::Function") == 0;
}

/* a name as Ref sees it; &novalue for AWS::NoValue */
static struct lb_ynode *
ref(struct lb_imp *imp, const char *name, int line, int depth)
{
	const char *v = param_override(imp, name);
	struct lb_ynode *p;

	if (v != NULL)
		return lb_y_newstr(&imp->a, v, line);
	if (strncmp(name, "AWS::", 5) == 0) {
		const char *s = name + 5;

		if (strcmp(s, "Region") == 0)
			v = imp->region;
		else if (strcmp(s, "AccountId") == 0)
			v = imp->account;
		else if (strcmp(s, "StackName") == 0)
			v = "local";
		else if (strcmp(s, "Partition") == 0)
			v = "aws";
		else if (strcmp(s, "URLSuffix") == 0)
			v = "amazonaws.com";
		else if (strcmp(s, "NoValue") == 0)
			return &novalue;
		if (v == NULL) {
			lb_imp_warn(imp, line,
			    "pseudo parameter '%s' has no local value", name);
			return NULL;
		}
		return lb_y_newstr(&imp->a, v, line);
	}
	if ((p = lb_y_get(imp->params, name)) != NULL) {
		struct lb_ynode *d = lb_y_get(p, "Default");

		if (d == NULL) {
			lb_imp_warn(imp, line,
			    "parameter '%s' has no Default: give --param "
			    "%s=VALUE",
			    name, name);
			return NULL;
		}
		return ev(imp, d, depth + 1);
	}
	if (lb_y_get(imp->resources, name) != NULL)
		return lb_y_newstr(&imp->a, name, line);
	lb_imp_warn(imp, line, "Ref to unknown name '%s'", name);
	return NULL;
}

static struct lb_ynode *
getatt(struct lb_imp *imp, const char *id, const char *att, int line)
{
	if (strcmp(att, "Arn") == 0 && is_function(imp, id)) {
		char *arn =
		    lb_y_printf(&imp->a, "arn:aws:lambda:%s:%s:function:%s",
		        imp->region, imp->account, id);

		return arn != NULL ? lb_y_newstr(&imp->a, arn, line) : NULL;
	}
	lb_imp_warn(imp, line,
	    "Fn::GetAtt %s.%s cannot be resolved (only a function's Arn can)",
	    id, att);
	return NULL;
}

/* a scalar result's text (a number or a boolean is text too) */
static const char *
text(struct lb_ynode *n)
{
	return n != NULL && n != &novalue && n->kind == LB_Y_STR ? n->str
	                                                         : NULL;
}

static struct lb_ynode *
sub(struct lb_imp *imp, struct lb_ynode *arg, int line, int depth)
{
	struct lb_ynode *vars = NULL, *tmpl = arg;
	const char *s;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	struct lb_ynode *r = NULL;

	if (arg->kind == LB_Y_SEQ && arg->n == 2) {
		tmpl = arg->items[0];
		vars = arg->items[1];
	}
	if ((s = lb_y_str(tmpl)) == NULL) {
		lb_imp_warn(imp, line, "Fn::Sub needs a string");
		return NULL;
	}
	if ((f = open_memstream(&out, &outlen)) == NULL)
		return NULL;
	while (*s != '\0') {
		const char *end;
		char *name;
		struct lb_ynode *v;

		if (s[0] != '$' || s[1] != '{' ||
		    (end = strchr(s + 2, '}')) == NULL) {
			fputc(*s++, f);
			continue;
		}
		if (s[2] == '!') { /* ${!Literal} is ${Literal} */
			fprintf(f, "${%.*s}", (int)(end - s - 3), s + 3);
			s = end + 1;
			continue;
		}
		name = lb_y_printf(&imp->a, "%.*s", (int)(end - s - 2), s + 2);
		if (name == NULL)
			goto out;
		if ((v = lb_y_get(vars, name)) != NULL) {
			v = ev(imp, v, depth + 1);
		} else if (strchr(name, '.') != NULL &&
		    strncmp(name, "AWS::", 5) != 0) {
			char *dot = strchr(name, '.');

			*dot = '\0';
			if (strncmp(name, "stageVariables", 14) == 0) {
				lb_imp_warn(imp, line,
				    "'${stageVariables.%s}' in Fn::Sub is not "
				    "supported",
				    dot + 1);
				v = NULL;
			} else {
				v = getatt(imp, name, dot + 1, line);
			}
		} else {
			v = ref(imp, name, line, depth);
		}
		if (text(v) == NULL)
			goto out;
		fputs(text(v), f);
		s = end + 1;
	}
	if (fflush(f) == 0)
		r = lb_y_newstr(&imp->a, out, line);
out:
	fclose(f);
	free(out);
	return r;
}

static bool cond_eval(
    struct lb_imp *imp, struct lb_ynode *c, int depth, bool *ok);

bool
lb_imp_condition(struct lb_imp *imp, const char *name, int line)
{
	struct lb_ynode *c = lb_y_get(imp->conditions, name);
	bool ok = true, v;

	if (c == NULL) {
		lb_imp_warn(
		    imp, line, "unknown condition '%s' (taken as true)", name);
		return true;
	}
	v = cond_eval(imp, c, 1, &ok);
	return ok ? v : true;
}

static bool
cond_eval(struct lb_imp *imp, struct lb_ynode *c, int depth, bool *ok)
{
	struct lb_ynode *a;
	const char *k;

	if (depth > EV_MAX_DEPTH || c == NULL || c->kind != LB_Y_MAP ||
	    c->n != 1) {
		if (c != NULL && c->kind == LB_Y_STR && lb_y_bool(c) >= 0)
			return lb_y_bool(c) == 1;
		goto bad;
	}
	k = c->keys[0];
	a = c->items[0];
	if (strcmp(k, "Condition") == 0 && lb_y_str(a) != NULL) {
		struct lb_ynode *d = lb_y_get(imp->conditions, a->str);

		if (d == NULL)
			goto bad;
		return cond_eval(imp, d, depth + 1, ok);
	}
	if (a->kind != LB_Y_SEQ)
		goto bad;
	if (strcmp(k, "Fn::Equals") == 0 && a->n == 2) {
		const char *x = text(ev(imp, a->items[0], depth + 1));
		const char *y = text(ev(imp, a->items[1], depth + 1));

		if (x == NULL || y == NULL)
			goto bad;
		return strcmp(x, y) == 0;
	}
	if (strcmp(k, "Fn::Not") == 0 && a->n == 1)
		return !cond_eval(imp, a->items[0], depth + 1, ok);
	if (strcmp(k, "Fn::And") == 0 || strcmp(k, "Fn::Or") == 0) {
		bool and = k[4] == 'A', r = and;

		for (size_t i = 0; i < a->n; i++) {
			bool v = cond_eval(imp, a->items[i], depth + 1, ok);

			r = and? (r && v) : (r || v);
		}
		return r;
	}
bad:
	if (*ok)
		lb_imp_warn(imp, c != NULL ? c->line : 0,
		    "condition cannot be evaluated (taken as true)");
	*ok = false;
	return true;
}

static struct lb_ynode *
fn(struct lb_imp *imp, const char *k, struct lb_ynode *a, int line, int depth)
{
	if (strcmp(k, "Ref") == 0) {
		if (lb_y_str(a) == NULL)
			goto bad;
		return ref(imp, a->str, line, depth);
	}
	if (strcmp(k, "Fn::GetAtt") == 0) {
		const char *id, *att;

		if (a->kind == LB_Y_STR) { /* the long form's "A.B" */
			char *s = lb_y_strdup(&imp->a, a->str), *dot;

			if (s == NULL || (dot = strchr(s, '.')) == NULL)
				goto bad;
			*dot = '\0';
			return getatt(imp, s, dot + 1, line);
		}
		if (a->kind != LB_Y_SEQ || a->n != 2 ||
		    (id = lb_y_str(a->items[0])) == NULL ||
		    (att = text(ev(imp, a->items[1], depth + 1))) == NULL)
			goto bad;
		return getatt(imp, id, att, line);
	}
	if (strcmp(k, "Fn::Sub") == 0)
		return sub(imp, a, line, depth);
	if (strcmp(k, "Fn::Join") == 0) {
		struct lb_ynode *list;
		const char *d;
		char *out = NULL;
		size_t outlen = 0;
		FILE *f;
		struct lb_ynode *r = NULL;

		if (a->kind != LB_Y_SEQ || a->n != 2 ||
		    (d = lb_y_str(a->items[0])) == NULL ||
		    (list = ev(imp, a->items[1], depth + 1)) == NULL ||
		    list->kind != LB_Y_SEQ)
			goto bad;
		if ((f = open_memstream(&out, &outlen)) == NULL)
			return NULL;
		for (size_t i = 0; i < list->n; i++) {
			if (text(list->items[i]) == NULL)
				break;
			fprintf(f, "%s%s", i > 0 ? d : "", list->items[i]->str);
			if (i + 1 == list->n && fflush(f) == 0)
				r = lb_y_newstr(&imp->a, out, line);
		}
		if (list->n == 0)
			r = lb_y_newstr(&imp->a, "", line);
		fclose(f);
		free(out);
		if (r == NULL)
			goto bad;
		return r;
	}
	if (strcmp(k, "Fn::Select") == 0) {
		struct lb_ynode *list;
		double i;

		if (a->kind != LB_Y_SEQ || a->n != 2 ||
		    lb_y_num(ev(imp, a->items[0], depth + 1), &i) < 0 ||
		    (list = ev(imp, a->items[1], depth + 1)) == NULL ||
		    list->kind != LB_Y_SEQ || i < 0 || i >= (double)list->n)
			goto bad;
		return list->items[(size_t)i];
	}
	if (strcmp(k, "Fn::Split") == 0) {
		const char *d, *s;
		struct lb_ynode *seq;

		if (a->kind != LB_Y_SEQ || a->n != 2 ||
		    (d = lb_y_str(a->items[0])) == NULL || d[0] == '\0' ||
		    (s = text(ev(imp, a->items[1], depth + 1))) == NULL ||
		    (seq = lb_y_new(&imp->a, LB_Y_SEQ, line)) == NULL)
			goto bad;
		for (;;) {
			const char *e = strstr(s, d);
			char *p = lb_y_printf(&imp->a, "%.*s",
			    (int)(e != NULL ? (size_t)(e - s) : strlen(s)), s);

			if (p == NULL ||
			    lb_y_add(&imp->a, seq, NULL,
			        lb_y_newstr(&imp->a, p, line)) < 0)
				return NULL;
			if (e == NULL)
				break;
			s = e + strlen(d);
		}
		return seq;
	}
	if (strcmp(k, "Fn::If") == 0) {
		const char *c;

		if (a->kind != LB_Y_SEQ || a->n != 3 ||
		    (c = lb_y_str(a->items[0])) == NULL)
			goto bad;
		return ev(imp, a->items[lb_imp_condition(imp, c, line) ? 1 : 2],
		    depth + 1);
	}
	if (strcmp(k, "Fn::FindInMap") == 0) {
		struct lb_ynode *m = imp->mappings;

		if (a->kind != LB_Y_SEQ || a->n != 3)
			goto bad;
		for (size_t i = 0; i < 3; i++) {
			const char *key = text(ev(imp, a->items[i], depth + 1));

			if (key == NULL || (m = lb_y_get(m, key)) == NULL) {
				lb_imp_warn(imp, line,
				    "Fn::FindInMap: no entry '%s'",
				    key != NULL ? key : "?");
				return NULL;
			}
		}
		return ev(imp, m, depth + 1);
	}
	lb_imp_warn(imp, line, "intrinsic '%s' is not supported offline", k);
	return NULL;
bad:
	lb_imp_warn(imp, line, "malformed or unresolvable %s", k);
	return NULL;
}

static bool
is_intrinsic(const struct lb_ynode *n)
{
	return n->kind == LB_Y_MAP && n->n == 1 &&
	    (strcmp(n->keys[0], "Ref") == 0 ||
	        strncmp(n->keys[0], "Fn::", 4) == 0);
}

static struct lb_ynode *
ev(struct lb_imp *imp, struct lb_ynode *n, int depth)
{
	struct lb_ynode *r;

	if (n == NULL)
		return NULL;
	if (depth > EV_MAX_DEPTH) {
		lb_imp_warn(imp, n->line, "intrinsics nested too deeply");
		return NULL;
	}
	if (n->kind == LB_Y_STR) {
		if (strstr(n->str, "{{resolve:") != NULL) {
			lb_imp_warn(imp, n->line,
			    "dynamic reference '%s' cannot be resolved offline",
			    n->str);
			return NULL;
		}
		return n;
	}
	if (is_intrinsic(n))
		return fn(imp, n->keys[0], n->items[0], n->line, depth);
	r = lb_y_new(&imp->a, n->kind, n->line);
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		struct lb_ynode *v = ev(imp, n->items[i], depth + 1);

		if (v == NULL || v == &novalue)
			continue;
		if (lb_y_add(&imp->a, r,
		        n->kind == LB_Y_MAP ? n->keys[i] : NULL, v) < 0)
			return NULL;
	}
	return r;
}

struct lb_ynode *
lb_imp_eval(struct lb_imp *imp, struct lb_ynode *n)
{
	struct lb_ynode *r = ev(imp, n, 0);

	return r == &novalue ? NULL : r;
}

const char *
lb_imp_sv(struct lb_imp *imp, struct lb_ynode *map, const char *key)
{
	struct lb_ynode *v = lb_y_get(map, key);

	if (v == NULL)
		return NULL;
	v = lb_imp_eval(imp, v);
	if (v != NULL && v->kind != LB_Y_STR) {
		lb_imp_warn(imp, v->line, "'%s' is not a string", key);
		return NULL;
	}
	return text(v);
}

int
lb_imp_nv(struct lb_imp *imp, struct lb_ynode *map, const char *key, double *v)
{
	struct lb_ynode *n = lb_y_get(map, key);
	const char *s = lb_imp_sv(imp, map, key);
	struct lb_ynode tmp = { .kind = LB_Y_STR, .str = s };

	if (s == NULL)
		return -1;
	if (lb_y_num(&tmp, v) < 0) {
		lb_imp_warn(imp, n->line, "'%s' is not a number: '%s'", key, s);
		return -1;
	}
	return 0;
}

int
lb_imp_bv(struct lb_imp *imp, struct lb_ynode *map, const char *key)
{
	struct lb_ynode *n = lb_y_get(map, key);

	if (n == NULL)
		return -1;
	n = lb_imp_eval(imp, n);
	return lb_y_bool(n);
}

void
lb_imp_lv(struct lb_imp *imp, struct lb_ynode *map, const char *key,
    struct lb_imp_strs *out)
{
	struct lb_ynode *n = lb_y_get(map, key);

	if (n == NULL || (n = lb_imp_eval(imp, n)) == NULL)
		return;
	if (n->kind == LB_Y_STR) {
		lb_imp_strs_add(imp, out, n->str);
		return;
	}
	for (size_t i = 0; n->kind == LB_Y_SEQ && i < n->n; i++)
		if (text(n->items[i]) != NULL)
			lb_imp_strs_add(imp, out, n->items[i]->str);
}
