/* gwerror.c - STUB, replaced by the real gateway responses. */
#include <string.h>

#include "gwerror.h"
#include "http.h"

int
lb_gwerror_info(enum lb_gwerr type, int rest, struct lb_gwerror_info *info)
{
	(void)type;
	(void)rest;
	info->status = 500;
	info->body = "{\"message\":\"Internal Server Error\"}";
	info->error_type = NULL;
	return 0;
}

enum lb_gwerr
lb_gwerror_from_name(const char *name)
{
	(void)name;
	return LB_GWERR_NONE;
}

const char *
lb_gwerror_name(enum lb_gwerr type)
{
	(void)type;
	return "UNKNOWN";
}

int
lb_gwerror_render(enum lb_gwerr type, int rest,
    const struct lb_gateway_response *overrides, struct lb_http_response *resp)
{
	struct lb_gwerror_info info;

	(void)overrides;
	lb_gwerror_info(type, rest, &info);
	resp->status = info.status;
	if (lb_http_response_add_header(
	        resp, "Content-Type", "application/json", (size_t)-1) < 0)
		return -1;
	return lb_http_response_set_body(resp, info.body, strlen(info.body));
}
