/*
 * cli_envvars.c - `invoke --env-vars FILE`: SAM CLI's environment file,
 *
 *	{ "FunctionName": { "VAR": "value", ... },
 *	  "Parameters": { "VAR": "value", ... } }
 *
 * where "Parameters" applies to every function and a function's own object
 * wins over it.  As SAM CLI does, a file only overrides the variables the
 * function's configuration declares (its `environment`); the others are
 * ignored, each with a warning saying so.  Values are strings; numbers and
 * booleans are taken as their JSON text, null as "".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli_int.h"
#include "config.h"

/* The value of a file entry as the variable's text, or NULL (bad type). */
static const char *
value_text(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "";
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean: return json_object_get_string(v);
	default: return NULL;
	}
}

/* Applies one object of the file ("Parameters" or the function's). */
static int
apply(const char *path, const char *section, json_object *vars,
    struct lb_function *f, char *err, size_t errlen)
{
	if (!json_object_is_type(vars, json_type_object)) {
		snprintf(err, errlen,
		    "%s: \"%s\": expected an object of variables", path,
		    section);
		return -1;
	}
	json_object_object_foreach(vars, key, val)
	{
		const char *text = value_text(val);
		size_t i = 0;
		char *copy;

		if (text == NULL) {
			snprintf(err, errlen,
			    "%s: \"%s\".\"%s\": expected a string, number, "
			    "boolean or null",
			    path, section, key);
			return -1;
		}
		while (i < f->nenvironment &&
		    strcmp(f->environment[i].key, key) != 0)
			i++;
		if (i == f->nenvironment) {
			fprintf(stderr,
			    "lambdabridge: %s: \"%s\".\"%s\" ignored: function "
			    "'%s' declares no such variable in its environment "
			    "(as SAM CLI, --env-vars only overrides declared "
			    "variables)\n",
			    path, section, key, f->name);
			continue;
		}
		if ((copy = strdup(text)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(f->environment[i].value);
		f->environment[i].value = copy;
	}
	return 0;
}

int
lb_cli__env_vars_apply(
    const char *path, struct lb_function *f, char *err, size_t errlen)
{
	json_object *root, *vars;
	int rc = 0;

	root = json_object_from_file(path);
	if (root == NULL) {
		snprintf(err, errlen, "%s: cannot read as JSON: %s", path,
		    json_util_get_last_err() != NULL ? json_util_get_last_err()
		                                     : strerror(errno));
		return -1;
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen,
		    "%s: expected an object: { \"FunctionName\": { \"VAR\": "
		    "\"value\" }, \"Parameters\": { ... } }",
		    path);
		rc = -1;
	}
	if (rc == 0 && json_object_object_get_ex(root, "Parameters", &vars))
		rc = apply(path, "Parameters", vars, f, err, errlen);
	if (rc == 0 && json_object_object_get_ex(root, f->name, &vars))
		rc = apply(path, f->name, vars, f, err, errlen);
	json_object_put(root);
	return rc;
}
