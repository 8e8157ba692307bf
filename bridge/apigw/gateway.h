/*
 * gateway.h - the request pipeline: route -> gateway checks -> event ->
 * invoke -> map.  Owns the running configuration generation (config, router,
 * environments) and swaps it on reload.
 */
#ifndef LB_GATEWAY_H
#define LB_GATEWAY_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "fastcgi/http.h"

struct lb_fcgi_req;

struct lb_gateway;

struct lb_quotas;

/*
 * Creates a gateway over `cfg` (takes ownership): builds the router and
 * starts the environments.  Its API keys count their quotas in `quotas`
 * (borrowed: free it after the gateway), every later configuration too.
 * Returns NULL with the reason in err.
 */
struct lb_gateway *lb_gateway_new(
    struct lb_config *cfg, struct lb_quotas *quotas, char *err, size_t errlen);

/*
 * Handles one request (an lb_fcgi_handler; `arg` is the gateway): route,
 * checks and event at once, then the invocation on the loop (or, for CGI,
 * blocking), then the mapping; the answer goes to lb_fcgi_respond(r).
 * Never fails: every error becomes an API Gateway-style response.
 */
void lb_gateway_handle(void *arg, struct lb_fcgi_req *r,
    const struct lb_http_request *req, int body_too_large);

/*
 * Replaces the configuration with `cfg` (takes ownership) for requests that
 * start from now on; requests in flight finish on the old one, whose
 * environments are then shut down.  The modules are pinned (code.h) and
 * one environment of every changed function must initialise first
 * (lb_envs_prime).  Returns 0, or -1 with the reason in err (the old
 * configuration keeps serving and cfg is freed).
 */
int lb_gateway_reload(
    struct lb_gateway *gw, struct lb_config *cfg, char *err, size_t errlen);

/* The current request body cap (for the FastCGI layer). */
size_t lb_gateway_max_body(struct lb_gateway *gw);

/*
 * Reopens the log files the gateway writes (gateway.access_log), as after
 * logrotate renamed them: lines from now on go to a new file at the
 * configured path.  0, or -1 with the reason in err (the old file stays in
 * use).
 */
int lb_gateway_reopen_logs(struct lb_gateway *gw, char *err, size_t errlen);

/* Writes per-function counters to `out`. */
void lb_gateway_dump_stats(struct lb_gateway *gw, FILE *out);

/*
 * The current generation's shared-state counters (apigw/admit.h): its
 * verdicts and its Redis client's state, calls, failures and changes of
 * state; zeros without gateway.shared_state.  Any thread.
 */
struct lb_admit_stats;
void lb_gateway_shared_stats(struct lb_gateway *gw, struct lb_admit_stats *st);

/*
 * Waits until the current generation's provisioned environments are past
 * their init, or until `until_mono` (lb_mono_ms): lb_envs_wait_provisioned's
 * 0, 1 (some failed, logged) or -1 (timed out).
 */
int lb_gateway_wait_ready(struct lb_gateway *gw, int64_t until_mono);

/*
 * One line of live counts (requests in flight, environments by state,
 * provisioned ones ready, invocations, errors, throttles) into buf, for
 * the service manager's STATUS=.  Any thread.
 */
void lb_gateway_status(struct lb_gateway *gw, char *buf, size_t len);

/* Drains requests in flight, stops every environment and frees the gateway. */
void lb_gateway_free(struct lb_gateway *gw);

#endif /* LB_GATEWAY_H */
