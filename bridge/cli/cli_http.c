/*
 * cli_http.c - `invoke --http`: the response a client would get, mapped
 * from the function's result by the same code as the gateway's
 * (apigw/response.c), or the gateway error API Gateway answers a failed
 * invocation with (apigw/gwerror.c, with the configuration's gateway
 * responses).
 */
#include <stdio.h>
#include <string.h>

#include "apigw/gwerror.h"
#include "apigw/response.h"
#include "base/ids.h"
#include "cli/cli_int.h"
#include "config.h"
#include "fastcgi/http.h"
#include "lambda/env.h"

/* The payload format the function's routes use: the first route's. */
static int
payload_format(const struct lb_config *cfg, size_t fidx)
{
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (cfg->routes[i].function == fidx)
			return cfg->routes[i].payload_format;
	return cfg->payload_format;
}

/* The gateway error for a failed invocation, as gateway.c picks it. */
static enum lb_gwerr
error_of(const struct lb_invoke_result *res)
{
	switch (res->status) {
	case LB_INVOKE_THROTTLED: return LB_GWERR_INTEGRATION_FAILURE;
	case LB_INVOKE_INTEGRATION_TIMEOUT: return LB_GWERR_INTEGRATION_TIMEOUT;
	default: return LB_GWERR_FUNCTION_ERROR;
	}
}

int
lb_cli__print_http(const struct lb_config *cfg, size_t fidx,
    const struct lb_invoke_result *res, const char *request_id, FILE *out)
{
	struct lb_http_response resp;
	struct lb_response_input in;
	struct lb_gwerror_vars v;
	char err[256], short_id[LB_IDS_SHORT_LEN + 1];
	int rest = cfg->api == LB_API_REST, rc = -1;
	enum lb_gwerr e = LB_GWERR_NONE;

	memset(&resp, 0, sizeof(resp));
	if (res->status == LB_INVOKE_OK) {
		memset(&in, 0, sizeof(in));
		in.rest = rest;
		in.payload_format = payload_format(cfg, fidx);
		in.output = res->payload != NULL ? res->payload : "";
		in.output_len = res->payload_len;
		in.binary_media_types = cfg->binary_media_types;
		in.nbinary_media_types = cfg->nbinary_media_types;
		rc = lb_response_map(&in, &resp, err, sizeof(err));
		if (rc == LB_RESPONSE_ECONFIG)
			e = LB_GWERR_API_CONFIGURATION_ERROR;
		else if (rc < 0)
			e = LB_GWERR_FUNCTION_ERROR;
		if (rc < 0)
			fprintf(stderr,
			    "lambdabridge: Execution failed due to "
			    "configuration error: %s\n",
			    err);
	} else {
		e = error_of(res);
	}
	lb_ids_short(short_id);
	if (e != LB_GWERR_NONE) {
		memset(&v, 0, sizeof(v));
		v.request_id = rest ? request_id : short_id;
		v.source_ip = "127.0.0.1";
		v.stage = cfg->stage;
		v.stage_variables = cfg->stage_variables;
		v.nstage_variables = cfg->nstage_variables;
		lb_http_response_clear(&resp);
		if (lb_gwerror_render(e, rest, cfg->responses, &v, &resp) < 0) {
			fprintf(stderr, "lambdabridge: out of memory\n");
			return 500;
		}
	}
	/* the request-id headers gateway.c adds to every response */
	if (rest)
		lb_http_response_add_header(
		    &resp, "x-amzn-RequestId", request_id, (size_t)-1);
	else
		lb_http_response_add_header(
		    &resp, "apigw-requestid", short_id, (size_t)-1);
	fprintf(out, "HTTP/1.1 %d %s\r\n", resp.status,
	    lb_http_reason(resp.status));
	for (size_t i = 0; i < resp.nheaders; i++)
		fprintf(out, "%s: %s\r\n", resp.headers[i].name,
		    resp.headers[i].value);
	fprintf(out, "content-length: %zu\r\n\r\n", resp.body_len);
	if (resp.body_len > 0)
		fwrite(resp.body, 1, resp.body_len, out);
	rc = resp.status;
	lb_http_response_clear(&resp);
	return rc;
}
