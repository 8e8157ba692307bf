/*
 * import.h - `lambdabridge import`: a SAM template, an OpenAPI/Swagger
 * definition with API Gateway's extensions or a serverless.yml read into a
 * lambdabridge configuration (docs/migrating.md).  Computes only: the
 * caller reads the file and writes the results.
 */
#ifndef LB_IMPORT_H
#define LB_IMPORT_H

#include <stddef.h>

enum lb_import_format {
	LB_IMPORT_AUTO,
	LB_IMPORT_SAM,
	LB_IMPORT_OPENAPI,
	LB_IMPORT_SERVERLESS
};

/* NAME=VALUE pairs as the command line gave them (borrowed). */
struct lb_import_kv {
	const char *name, *value;
};

struct lb_import_opts {
	enum lb_import_format format;
	const char *file;                  /* for messages: FILE:LINE */
	const char *api;                   /* --api NAME, or NULL */
	const char *stage;                 /* --stage NAME, or NULL */
	const struct lb_import_kv *params; /* --param K=V */
	size_t nparams;
	const struct lb_import_kv *functions; /* --function NAME=MODULE[:H] */
	size_t nfunctions;
	const struct lb_import_kv *runtimes; /* --runtime RT='argv ...' */
	size_t nruntimes;
	/* the preflight handler's module, for a REST API's CORS (NULL: not
	 * carried over) */
	const char *preflight;
	/* where the runtime interface clients are installed: DIR/node
	 * (aws-lambda-ric) and DIR/python (awslambdaric); NULL: no built-in
	 * runtimes */
	const char *ric_dir;
	/* whether a program or file a function needs is on this machine:
	 * 1 yes, 0 no (a warning says what to install); NULL: not asked */
	int (*installed)(const char *path);
};

/* What one import produced.  Free with lb_import_result_free. */
struct lb_import_result {
	char *config;   /* the configuration text, or NULL on an error */
	char *warnings; /* "FILE:LINE: reason\n" lines (maybe empty) */
	char *error;    /* the error, when config is NULL */
	size_t nwarnings;
};

/*
 * Imports `len` bytes of `text`.  Returns 0 (result->config set), or -1
 * with result->error set (NULL fields only when out of memory).
 */
int lb_import(const char *text, size_t len, const struct lb_import_opts *o,
    struct lb_import_result *result);
void lb_import_result_free(struct lb_import_result *r);

#endif /* LB_IMPORT_H */
