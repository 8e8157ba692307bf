/* gateway.c - STUB */
#include <stdio.h>
#include <stdlib.h>

#include "gateway.h"

struct lb_gateway {
	struct lb_config *cfg;
};

struct lb_gateway *
lb_gateway_new(struct lb_config *cfg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct lb_gateway *gw = calloc(1, sizeof(*gw));

	if (gw != NULL)
		gw->cfg = cfg;
	return gw;
}

void
lb_gateway_handle(void *arg, const struct lb_http_request *req,
    int body_too_large, struct lb_http_response *resp)
{
	(void)arg;
	(void)req;
	(void)body_too_large;
	resp->status = 500;
}

int
lb_gateway_reload(
    struct lb_gateway *gw, struct lb_config *cfg, char *err, size_t errlen)
{
	(void)gw;
	lb_config_free(cfg);
	snprintf(err, errlen, "reload is not built yet");
	return -1;
}

size_t
lb_gateway_max_body(struct lb_gateway *gw)
{
	(void)gw;
	return 10485760;
}

void
lb_gateway_dump_stats(struct lb_gateway *gw, FILE *out)
{
	(void)gw;
	(void)out;
}

void
lb_gateway_free(struct lb_gateway *gw)
{
	if (gw != NULL)
		lb_config_free(gw->cfg);
	free(gw);
}
