/*
 * config_logs.c - the logging settings: a function's advanced logging
 * controls (log_format, application_log_level, system_log_level) and
 * gateway.access_log (its path and format).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"
#include "apigw/accesslog.h"
#include "lambda/jsonlog.h"

const char *
lb_config__check_log_format(const char *s)
{
	return strcmp(s, "Text") == 0 || strcmp(s, "JSON") == 0
	    ? NULL
	    : "must be \"Text\" or \"JSON\"";
}

const char *
lb_config__check_app_log_level(const char *s)
{
	return lb_jsonlog_level_from_name(s) >= 0
	    ? NULL
	    : "must be \"TRACE\", \"DEBUG\", \"INFO\", \"WARN\", \"ERROR\" "
	      "or \"FATAL\"";
}

const char *
lb_config__check_sys_log_level(const char *s)
{
	int l = lb_jsonlog_level_from_name(s);

	return l == LB_JSONLOG_DEBUG || l == LB_JSONLOG_INFO ||
	        l == LB_JSONLOG_WARN
	    ? NULL
	    : "must be \"DEBUG\", \"INFO\" or \"WARN\"";
}

int
lb_config__function_logs(struct lb_config__ctx *c, const config_setting_t *fs,
    const char *where, struct lb_function *f)
{
	static const char *const levels[] = { "application_log_level",
		"system_log_level" };
	char sub[256];

	f->log_json =
	    f->log_format != NULL && strcmp(f->log_format, "JSON") == 0;
	f->app_log_level = LB_JSONLOG_INFO;
	f->sys_log_level = LB_JSONLOG_INFO;
	for (size_t i = 0; i < 2; i++) {
		const char *v = i == 0 ? f->app_level_name : f->sys_level_name;

		if (v == NULL)
			continue;
		lb_config__setpath(sub, sizeof(sub), "%s.%s", where, levels[i]);
		/* as Lambda's API: levels filter JSON records only */
		if (!f->log_json)
			return lb_config__fail(c,
			    config_setting_get_member(fs, levels[i]), sub,
			    "needs log_format = \"JSON\" (Lambda filters "
			    "levels only in the JSON log format)");
		*(i == 0 ? &f->app_log_level : &f->sys_log_level) =
		    lb_jsonlog_level_from_name(v);
	}
	return 0;
}

int
lb_config__check_access_log(
    struct lb_config__ctx *c, const config_setting_t *g, struct lb_config *cfg)
{
	const config_setting_t *s = config_setting_get_member(g, "access_log");
	struct lb_access_log *al = &cfg->access_log;
	struct lb_accesslog *fmt;
	char why[512], path[PATH_MAX + 1], *slash;
	struct stat st;
	int n;

	fmt = lb_accesslog_parse(al->format, why, sizeof(why));
	if (fmt == NULL)
		return lb_config__fail(c, lb_config__member_or(s, "format"),
		    "gateway.access_log.format", "%s", why);
	lb_accesslog_free(fmt);
	/* a relative path is the configuration folder's */
	n = al->path[0] == '/'
	    ? snprintf(path, sizeof(path), "%s", al->path)
	    : snprintf(path, sizeof(path), "%s/%s", c->dir, al->path);
	if (n < 0 || (size_t)n >= sizeof(path))
		return lb_config__fail(c, lb_config__member_or(s, "path"),
		    "gateway.access_log.path", "path too long");
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return lb_config__fail(c, lb_config__member_or(s, "path"),
		    "gateway.access_log.path", "'%s' is not a regular file",
		    path);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (stat(slash == path ? "/" : path, &st) < 0 || !S_ISDIR(st.st_mode))
		return lb_config__fail(c, lb_config__member_or(s, "path"),
		    "gateway.access_log.path", "no folder '%s' for the log",
		    slash == path ? "/" : path);
	*slash = '/';
	free(al->path);
	if ((al->path = strdup(path)) == NULL)
		return lb_config__fail(
		    c, s, "gateway.access_log", "out of memory");
	return 0;
}
