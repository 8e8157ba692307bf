/*
 * runtimes.c - the runtimes `lambdabridge import` maps without being told:
 * Lambda's managed Node.js and Python runtimes run here as custom runtimes
 * through AWS's runtime interface clients (aws-lambda-ric from npm,
 * awslambdaric from pip), installed under one folder (docs/runtimes.md);
 * and the check that what a mapped function runs is on this machine.
 */
#include <stdio.h>
#include <string.h>

#include "import/import_int.h"

/* what each piece of a built-in runtime is, and how to install it */
struct need {
	const char *path, *what, *install;
};

static bool
prefixed(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static void
add(struct lb_imp *imp, struct lb_imp_func *f, const char *v)
{
	lb_imp_strs_add(imp, &f->bootstrap, v);
}

bool
lb_imp_builtin_runtime(struct lb_imp *imp, struct lb_imp_func *f)
{
	const char *rt = f->runtime, *dir = imp->o->ric_dir;
	size_t n;

	if (rt == NULL || dir == NULL)
		return false;
	n = strlen(rt);
	if (prefixed(rt, "nodejs") && n > 8 && strcmp(rt + n - 2, ".x") == 0) {
		/* aws-lambda-ric 3+ reads the handler from _HANDLER */
		add(imp, f, "/usr/bin/node");
		add(imp, f,
		    lb_y_printf(&imp->a,
		        "%s/node/node_modules/aws-lambda-ric/index.mjs", dir));
		f->ric = "node";
		return true;
	}
	if (prefixed(rt, "python3.")) {
		/* awslambdaric takes it as its argument; `-m` puts the
		 * working directory (code_dir) on sys.path */
		add(imp, f, lb_y_printf(&imp->a, "%s/python/bin/python3", dir));
		add(imp, f, "-m");
		add(imp, f, "awslambdaric");
		add(imp, f, f->handler != NULL ? f->handler : "handler");
		f->ric = "python";
		return true;
	}
	return false;
}

static void
missing(struct lb_imp *imp, struct lb_imp_func *f, const struct need *w)
{
	lb_imp_warn(imp, f->line,
	    "function '%s' (%s): %s '%s' is not installed here: %s", f->name,
	    f->runtime != NULL ? f->runtime : "provided", w->what, w->path,
	    w->install);
}

void
lb_imp_check_installed(struct lb_imp *imp, struct lb_imp_func *f)
{
	const char *dir = imp->o->ric_dir;
	struct need w[2];
	size_t n = 0;

	if (imp->o->installed == NULL || f->unmapped != NULL)
		return;
	if (f->module != NULL) {
		/* once: every preflight function has the same module */
		if (f->cors_key != NULL && !imp->preflight_checked &&
		    imp->o->installed(f->module) != 1)
			lb_imp_warn(imp, f->line,
			    "CORS: the preflight handler '%s' is not installed "
			    "here: make install, or give --preflight MODULE",
			    f->module);
		imp->preflight_checked =
		    imp->preflight_checked || f->cors_key != NULL;
		return;
	}
	if (f->bootstrap.n == 0)
		return;
	if (f->ric != NULL && strcmp(f->ric, "node") == 0) {
		w[n++] = (struct need){ f->bootstrap.v[0], "Node.js",
			"apt-get install nodejs" };
		w[n++] = (struct need){ f->bootstrap.v[1],
			"AWS's Node.js runtime interface client",
			lb_y_printf(&imp->a,
			    "npm install --prefix %s/node aws-lambda-ric "
			    "(or give --ric-dir DIR, or --runtime %s=...)",
			    dir, f->runtime) };
	} else if (f->ric != NULL) {
		w[n++] = (struct need){
			lb_y_printf(&imp->a,
			    "%s/python/lib/python3*/site-packages/"
			    "awslambdaric",
			    dir),
			"AWS's Python runtime interface client",
			lb_y_printf(&imp->a,
			    "python3 -m venv %s/python && %s/python/bin/pip "
			    "install awslambdaric (or give --ric-dir DIR, or "
			    "--runtime %s=...)",
			    dir, dir, f->runtime)
		};
	} else {
		w[n++] = (struct need){ f->bootstrap.v[0], "the bootstrap",
			lb_y_printf(&imp->a,
			    "install it, or change --runtime %s", f->runtime) };
	}
	for (size_t i = 0; i < n; i++)
		if (w[i].path != NULL && w[i].install != NULL &&
		    imp->o->installed(w[i].path) != 1)
			missing(imp, f, &w[i]);
}
