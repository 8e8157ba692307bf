/* config.c - STUB, replaced by the real loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct lb_config *
lb_config_load(
    const char *path, lb_config_probe *probe, char *err, size_t errlen)
{
	(void)probe;
	snprintf(
	    err, errlen, "%s: configuration loading is not built yet", path);
	return NULL;
}

void
lb_config_free(struct lb_config *cfg)
{
	free(cfg);
}

int
lb_config_function_index(const struct lb_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nfunctions; i++)
		if (strcmp(cfg->functions[i].name, name) == 0)
			return (int)i;
	return -1;
}
