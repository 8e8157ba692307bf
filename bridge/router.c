/* router.c - STUB, replaced by the real router. */
#include <stdio.h>
#include <stdlib.h>

#include "router.h"

struct lb_router {
	int unused;
};

int
lb_router_parse_key(
    const char *key, char **method, char **path, char *err, size_t errlen)
{
	(void)method;
	(void)path;
	snprintf(err, errlen, "'%s': routing is not built yet", key);
	return -1;
}

struct lb_router *
lb_router_new(const struct lb_route *routes, size_t nroutes, size_t *bad,
    char *err, size_t errlen)
{
	(void)routes;
	(void)nroutes;
	*bad = 0;
	snprintf(err, errlen, "routing is not built yet");
	return NULL;
}

void
lb_router_free(struct lb_router *r)
{
	free(r);
}

int
lb_router_match(const struct lb_router *r, const char *method, const char *path,
    size_t path_len, struct lb_router_match *m)
{
	(void)r;
	(void)method;
	(void)path;
	(void)path_len;
	(void)m;
	return -1;
}
