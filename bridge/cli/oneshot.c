/*
 * oneshot.c - what the serving command says when it finds itself on a
 * terminal with nothing to listen on: it is about to answer one CGI
 * request (the one its environment describes) and exit, which is rarely
 * what a person typing the command wanted.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

void
lb_cli_oneshot_explain(const char *config_path)
{
	if (!isatty(STDIN_FILENO))
		return;
	fprintf(stderr,
	    "lambdabridge: running as a one-shot CGI program: no listen "
	    "address was given\n"
	    "  (no -l, no gateway.listen in '%s') and no socket was "
	    "inherited (stdin is a terminal,\n"
	    "  not a socket from spawn-fcgi, mod_fcgid or systemd), so this "
	    "process answers the one\n"
	    "  request its CGI environment describes (REQUEST_METHOD, "
	    "REQUEST_URI, ...) with the body\n"
	    "  read from stdin (end it with Ctrl-D), and exits.  To serve "
	    "instead:\n"
	    "    lambdabridge -c %s -l 127.0.0.1:9000      FastCGI on a "
	    "port (or -l unix:/path/to.sock)\n"
	    "    gateway.listen = \"127.0.0.1:9000\";         the same, in "
	    "the configuration\n"
	    "    lambdabridge start-api -c %s               nginx in front, "
	    "on http://127.0.0.1:3000\n",
	    config_path, config_path, config_path);
}
