/*
 * config_table.c - applies a declarative table of settings (config_int.h)
 * to a libconfig group: each setting's type, range and validator, unknown
 * names and missing required ones, every error as "FILE:LINE: SETTING:
 * reason".  What the settings mean is the business of config.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/suggest.h"
#include "config_int.h"

int
lb_config__fail(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *fmt, ...)
{
	const char *file = c->path;
	unsigned line = 0;
	char *err = c->err, mine[1024];
	size_t errlen = c->errlen;
	va_list ap;
	int n;

	/* collecting: the caller's buffer keeps the first error */
	if (LB_CONFIG__COLLECTING(c) && c->nerrors++ > 0) {
		err = mine;
		errlen = sizeof(mine);
	}

	if (s != NULL) {
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	/* libconfig names an @include'd file as written: relative to dir */
	if (file != c->path && strcmp(file, c->path) != 0 && file[0] != '/' &&
	    c->dir != NULL)
		n = snprintf(
		    err, errlen, "%s/%s:%u: %s: ", c->dir, file, line, where);
	else
		n = snprintf(err, errlen, "%s:%u: %s: ", file, line, where);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	if (LB_CONFIG__COLLECTING(c) && errlen > 0)
		lb_config__report(c, err);
	return -1;
}

void
lb_config__report(struct lb_config__ctx *c, const char *msg)
{
	char line[2048];

	lb_log_escape(line, sizeof(line), msg, strlen(msg), 0);
	c->report(c->report_arg, line);
}

/* ---- "did you mean" ---- */

/* The known name of table `fields` nearest to `name`, or NULL. */
static const char *
suggest_field(
    const char *name, const struct lb_config__field *fields, size_t nfields)
{
	const char *names[128];
	size_t n = nfields < 128 ? nfields : 128;

	for (size_t i = 0; i < n; i++)
		names[i] = fields[i].name;
	return lb_suggest_pick(name, names, n);
}

int
lb_config__unknown(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *name, const char *const *names, size_t n,
    const char *known)
{
	const char *near = lb_suggest_pick(name, names, n);

	if (near != NULL)
		return lb_config__fail(
		    c, s, where, "unknown setting: did you mean '%s'?", near);
	return lb_config__fail(c, s, where, "unknown setting%s", known);
}

void
lb_config__setpath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static const char *
type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "a setting";
	}
}

int
lb_config__want_type(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, int type)
{
	int t = config_setting_type(s);

	if (t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return 0;
	return lb_config__fail(
	    c, s, where, "expected %s, not %s", type_name(type), type_name(t));
}

static int
copy_string(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const char *(*check)(const char *), char **dst)
{
	const char *v, *why;

	if (lb_config__want_type(c, s, where, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if (check != NULL && (why = check(v)) != NULL)
		return lb_config__fail(c, s, where, "'%s': %s", v, why);
	free(*dst);
	*dst = strdup(v);
	if (*dst == NULL)
		return lb_config__fail(c, s, where, "out of memory");
	return 0;
}

static int
get_number(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const struct lb_config__field *f, double *out)
{
	int t = config_setting_type(s);
	int integral = f->kind != LB_CONFIG__K_NUM;
	int below, above;
	double v;

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT && !integral)
		v = config_setting_get_float(s);
	else
		return lb_config__fail(c, s, where, "expected %s, not %s",
		    integral ? "an integer" : "a number", type_name(t));
	below = (f->flags & LB_CONFIG__MIN_EXCL) ? v <= f->min : v < f->min;
	above = v > f->max;
	if ((below || above) && integral)
		return lb_config__fail(c, s, where,
		    "%lld is out of range: must be from %lld to %lld",
		    (long long)v, (long long)f->min, (long long)f->max);
	if (below || above)
		return lb_config__fail(c, s, where,
		    "%g is out of range: must be %s %g and at most %g", v,
		    (f->flags & LB_CONFIG__MIN_EXCL) ? "greater than"
		                                     : "at least",
		    f->min, f->max);
	*out = v;
	return 0;
}

static int
parse_kv(struct lb_config__ctx *c, const config_setting_t *s, const char *where,
    const struct lb_config__field *f, struct lb_kv **kv, size_t *n)
{
	char sub[256];
	const char *why;
	int len;

	if (lb_config__want_type(c, s, where, CONFIG_TYPE_GROUP) < 0)
		return -1;
	len = config_setting_length(s);
	if (f->max > 0 && len > f->max)
		return lb_config__fail(
		    c, s, where, "more than %g entries", f->max);
	*kv = calloc(len > 0 ? (size_t)len : 1, sizeof(**kv));
	if (*kv == NULL)
		return lb_config__fail(c, s, where, "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *k = config_setting_name(e);

		lb_config__setpath(sub, sizeof(sub), "%s.%s", where, k);
		if (lb_config__want_type(c, e, sub, CONFIG_TYPE_STRING) < 0)
			return -1;
		if (f->check != NULL && (why = f->check(k)) != NULL)
			return lb_config__fail(c, e, sub, "%s", why);
		if (f->check_value != NULL &&
		    (why = f->check_value(config_setting_get_string(e))) !=
		        NULL)
			return lb_config__fail(c, e, sub, "%s", why);
		(*kv)[i].key = strdup(k);
		(*kv)[i].value = strdup(config_setting_get_string(e));
		*n = (size_t)i + 1;
		if ((*kv)[i].key == NULL || (*kv)[i].value == NULL)
			return lb_config__fail(c, e, sub, "out of memory");
	}
	return 0;
}

static int
parse_strlist(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const struct lb_config__field *f, char ***list,
    size_t *n)
{
	char sub[256];
	int len, t = config_setting_type(s);

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		return lb_config__fail(c, s, where,
		    "expected an array [ ... ], not %s", type_name(t));
	len = config_setting_length(s);
	if (f->max > 0 && len > f->max)
		return lb_config__fail(
		    c, s, where, "more than %g entries", f->max);
	*list = calloc(len > 0 ? (size_t)len : 1, sizeof(**list));
	if (*list == NULL)
		return lb_config__fail(c, s, where, "out of memory");
	for (int i = 0; i < len; i++) {
		lb_config__setpath(sub, sizeof(sub), "%s[%d]", where, i);
		if (copy_string(c, config_setting_get_elem(s, i), sub, f->check,
		        &(*list)[i]) < 0)
			return -1;
		*n = (size_t)i + 1;
	}
	return 0;
}

/*
 * Permissions as chmod takes them: a string of octal digits ("0660"), or
 * an integer whose digits are read as octal (libconfig reads 0660 as
 * decimal 660).
 */
static int
get_mode(struct lb_config__ctx *c, const config_setting_t *s, const char *where,
    const struct lb_config__field *f, int *dst)
{
	char buf[32];
	const char *v = buf;
	char *end;
	long m;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		v = config_setting_get_string(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT)
		snprintf(buf, sizeof(buf), "%d", config_setting_get_int(s));
	else
		return lb_config__fail(c, s, where,
		    "expected a string or an integer, not %s",
		    type_name(config_setting_type(s)));
	m = strtol(v, &end, 8);
	if (*v == '\0' || *end != '\0' || strspn(v, "01234567") != strlen(v) ||
	    m < f->min || m > f->max)
		return lb_config__fail(c, s, where,
		    "'%s': expected octal permissions from %o to %04o, such as "
		    "\"0660\"",
		    v, (unsigned)f->min, (unsigned)f->max);
	*dst = (int)m;
	return 0;
}

static int
parse_field(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const struct lb_config__field *f, void *dst)
{
	char *p = (char *)dst + f->off;
	const char *v;
	double d;

	switch (f->kind) {
	case LB_CONFIG__K_STR:
		return copy_string(c, s, where, f->check, (char **)p);
	case LB_CONFIG__K_INT:
		if (get_number(c, s, where, f, &d) < 0)
			return -1;
		*(int *)p = (int)d;
		return 0;
	case LB_CONFIG__K_SIZE:
		if (get_number(c, s, where, f, &d) < 0)
			return -1;
		*(size_t *)p = (size_t)d;
		return 0;
	case LB_CONFIG__K_NUM: return get_number(c, s, where, f, (double *)p);
	case LB_CONFIG__K_API:
		if (lb_config__want_type(c, s, where, CONFIG_TYPE_STRING) < 0)
			return -1;
		v = config_setting_get_string(s);
		if (strcmp(v, "http") == 0)
			*(enum lb_api *)p = LB_API_HTTP;
		else if (strcmp(v, "rest") == 0)
			*(enum lb_api *)p = LB_API_REST;
		else
			return lb_config__fail(c, s, where,
			    "'%s': expected \"http\" or \"rest\"", v);
		return 0;
	case LB_CONFIG__K_PAYLOAD:
		if (lb_config__want_type(c, s, where, CONFIG_TYPE_STRING) < 0)
			return -1;
		v = config_setting_get_string(s);
		if (strcmp(v, "1.0") == 0)
			*(int *)p = 1;
		else if (strcmp(v, "2.0") == 0)
			*(int *)p = 2;
		else
			return lb_config__fail(c, s, where,
			    "'%s': expected \"1.0\" or \"2.0\"", v);
		return 0;
	case LB_CONFIG__K_KV:
		return parse_kv(c, s, where, f, (struct lb_kv **)p,
		    (size_t *)((char *)dst + f->count_off));
	case LB_CONFIG__K_STRLIST:
		return parse_strlist(c, s, where, f, (char ***)p,
		    (size_t *)((char *)dst + f->count_off));
	case LB_CONFIG__K_BOOL:
		if (lb_config__want_type(c, s, where, CONFIG_TYPE_BOOL) < 0)
			return -1;
		*(int *)p = config_setting_get_bool(s) != 0;
		return 0;
	case LB_CONFIG__K_MODE: return get_mode(c, s, where, f, (int *)p);
	case LB_CONFIG__K_GROUP:
		*(int *)((char *)dst + f->count_off) = 1;
		return lb_config__parse_group(c, s, where, f->sub, f->nsub, p);
	}
	return lb_config__fail(c, s, where, "internal error: unknown kind");
}

/*
 * Applies the table `fields` to group `s` (named `where` in messages),
 * storing into `dst`: unknown names, wrong types, bad values and missing
 * required settings are errors.
 */
int
lb_config__parse_group(struct lb_config__ctx *c, const config_setting_t *s,
    const char *where, const struct lb_config__field *fields, size_t nfields,
    void *dst)
{
	char sub[256];
	const char *near, *suggested[8];
	size_t nsuggested = 0;
	int len, rc = 0;

	if (lb_config__want_type(c, s, where, CONFIG_TYPE_GROUP) < 0)
		return -1;
	len = config_setting_length(s);
	/* collecting (lb_config_load_all), every setting is looked at */
	for (int i = 0; i < len && (rc == 0 || LB_CONFIG__COLLECTING(c)); i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *name = config_setting_name(e);
		const struct lb_config__field *f = NULL;

		for (size_t j = 0; j < nfields && f == NULL; j++)
			if (strcmp(fields[j].name, name) == 0)
				f = &fields[j];
		lb_config__setpath(sub, sizeof(sub), "%s.%s", where, name);
		if (f == NULL &&
		    (near = suggest_field(name, fields, nfields)) != NULL) {
			rc = lb_config__fail(c, e, sub,
			    "unknown setting: did you mean '%s'?", near);
			if (nsuggested < 8)
				suggested[nsuggested++] = near;
		} else if (f == NULL)
			rc = lb_config__fail(c, e, sub, "unknown setting");
		else if (parse_field(c, e, sub, f, dst) < 0)
			rc = -1;
	}
	for (size_t j = 0; j < nfields && (rc == 0 || LB_CONFIG__COLLECTING(c));
	     j++) {
		size_t k = 0;

		if (!(fields[j].flags & LB_CONFIG__REQUIRED) ||
		    config_setting_get_member(s, fields[j].name) != NULL)
			continue;
		/* a misspelling of it was reported with its right name */
		while (k < nsuggested && suggested[k] != fields[j].name)
			k++;
		if (k < nsuggested) {
			rc = -1;
			continue;
		}
		lb_config__setpath(
		    sub, sizeof(sub), "%s.%s", where, fields[j].name);
		rc = lb_config__fail(c, s, sub, "missing (required)");
	}
	return rc;
}
