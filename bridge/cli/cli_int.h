/*
 * cli_int.h - internals shared by the files of the cli layer (prefix
 * lb_cli__); never included from another layer.
 */
#ifndef LB_CLI_INT_H
#define LB_CLI_INT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads `f` to its end into a new buffer (free it), NUL-terminated after
 * the *len bytes read, which may contain NULs.  Returns NULL with errno set:
 * EFBIG when there are more than `max` bytes, ENOMEM, or the read's error.
 */
char *lb_cli__read_all(FILE *f, size_t max, size_t *len);

struct lb_function;
struct lb_config;
struct lb_invoke_result;

/*
 * `invoke --env-vars FILE` (cli_envvars.c): SAM CLI's environment file
 * applied to function f's environment ("Parameters" first, then the
 * function's own object), overriding only the variables f declares.  0, or
 * -1 with the reason in err.
 */
int lb_cli__env_vars_apply(
    const char *path, struct lb_function *f, char *err, size_t errlen);

/*
 * `invoke --http` (cli_http.c): prints to `out` the HTTP response a client
 * would get for result `res` of function `fidx`, as the API Gateway of cfg
 * maps it (the first route naming the function gives the payload format):
 * a status line, the headers, a blank line and the body.  Returns the
 * HTTP status.
 */
int lb_cli__print_http(const struct lb_config *cfg, size_t fidx,
    const struct lb_invoke_result *res, const char *request_id, FILE *out);

#endif /* LB_CLI_INT_H */
