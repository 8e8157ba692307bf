/*
 * fuzz_import.c - libFuzzer target for the importer (`make fuzz`): any
 * bytes as a template, OpenAPI definition or serverless.yml.
 *
 * The input's first byte steers: its low two bits the --format (auto, sam,
 * openapi, serverless), bit 2 adds --api NAME, bit 3 a --param, a
 * --function and a --runtime.  The rest is the file.  The import must
 * either fail with an error or give a configuration and its warnings;
 * crashes, leaks and undefined behaviour are caught by ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* o.installed: some things are, some are not */
static int
installed(const char *path)
{
	return strlen(path) % 2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lb_import_kv params[] = { { "Stage", "prod" } };
	static const struct lb_import_kv functions[] = { { "F", "m.so:h" } };
	static const struct lb_import_kv runtimes[] = { { "nodejs20.x",
	    "node x" } };
	struct lb_import_opts o;
	struct lb_import_result r;
	int rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.format = (enum lb_import_format)(data[0] & 3);
	o.file = "fuzz.yaml";
	if (data[0] & 4)
		o.api = "ServerlessRestApi";
	if (data[0] & 8) {
		o.params = params;
		o.nparams = 1;
		o.functions = functions;
		o.nfunctions = 1;
		o.runtimes = runtimes;
		o.nruntimes = 1;
		/* a REST API's CORS, the built-in runtimes, their checks */
		o.preflight = "preflight.so";
		o.ric_dir = "/ric";
		o.installed = installed;
	}
	rc = lb_import((const char *)data + 1, size - 1, &o, &r);
	if (rc == 0 && (r.config == NULL || r.warnings == NULL))
		abort();
	if (rc < 0 && r.config != NULL)
		abort();
	lb_import_result_free(&r);
	return 0;
}
