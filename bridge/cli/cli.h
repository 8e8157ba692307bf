/*
 * cli.h - the subcommands of the lambdabridge binary (docs/design.md
 * section 5).  Each takes the arguments after the subcommand name and returns
 * the exit status.
 */
#ifndef LB_CLI_H
#define LB_CLI_H

/* `lambdabridge check -c FILE`: validate, print the route table. */
int lb_cli_check(int argc, char **argv);

/* `lambdabridge invoke -c FILE FUNCTION [EVENT.json|-]`. */
int lb_cli_invoke(int argc, char **argv);

/* `lambdabridge event v1|v2 METHOD PATH [-H 'K: V']... [-d BODY] [-c FILE]`. */
int lb_cli_event(int argc, char **argv);

/* `lambdabridge import [...] FILE`: a SAM template, OpenAPI definition or
 * serverless.yml as a configuration on stdout (docs/migrating.md). */
int lb_cli_import(int argc, char **argv);

/*
 * `lambdabridge start-api -c FILE [--port N] [--server nginx|apache]
 * [--host ADDR] [--watch] [-v]`: a private web server in front of a bridge
 * until Ctrl-C (sam local start-api).
 */
int lb_cli_start_api(int argc, char **argv);

/* `lambdabridge __probe MODULE SYMBOL` (internal: used by lb_probe_module). */
int lb_cli_probe(int argc, char **argv);

/*
 * `lambdabridge --version` (-V): the version and commit, the handler ABI
 * version, and the libraries the build compiled against and runs with.
 */
int lb_cli_version(int argc, char **argv);

/*
 * Started on a terminal (stdin is one) without a listen address: says on
 * stderr that the process runs as a one-shot CGI program, why, and how to
 * serve instead.  Nothing when stdin is not a terminal.
 */
void lb_cli_oneshot_explain(const char *config_path);

#endif /* LB_CLI_H */
