/*
 * serverless.c - serverless.yml (Serverless Framework v3/v4): not read
 * yet; the import says so.
 */
#include <stdio.h>

#include "import/import_int.h"

int
lb_imp_serverless(struct lb_imp *imp)
{
	snprintf(imp->err, sizeof(imp->err),
	    "%s: serverless.yml is not imported yet: run `serverless package` "
	    "and import its CloudFormation output, or write the configuration "
	    "by hand (docs/migrating.md)",
	    imp->o->file);
	return -1;
}
