/*
 * main.c - wiring: arguments, signals, start-up.  Nothing else.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "fastcgi/cgi.h"
#include "fastcgi/fcgi.h"
#include "apigw/gateway.h"
#include "fastcgi/listen.h"
#include "base/log.h"
#include "lambda/probe.h"
#include "lambda/sandbox.h"
#include "lambda/worker.h"

/*
 * Set by the signal handlers, which may run on any of the process's
 * threads at once: atomic, read with flag_take.
 */
static int stop_flag;
static int reload_flag;
static int stats_flag;

static void
flag_set(int *flag)
{
	int saved = errno;

	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	errno = saved;
}

/* Whether *flag was set; clears it. */
static int
flag_take(int *flag)
{
	return __atomic_exchange_n(flag, 0, __ATOMIC_SEQ_CST);
}

static void
on_stop(int sig)
{
	(void)sig;
	flag_set(&stop_flag);
}

static void
on_hup(int sig)
{
	(void)sig;
	flag_set(&reload_flag);
}

static void
on_usr1(int sig)
{
	(void)sig;
	flag_set(&stats_flag);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: lambdabridge -c FILE [-l ADDR] [--watch] [-v]\n"
	    "       lambdabridge check -c FILE\n"
	    "       lambdabridge invoke -c FILE FUNCTION [EVENT.json|-]\n"
	    "       lambdabridge event v1|v2 METHOD PATH [-H 'K: V']... "
	    "[-d BODY] [-c FILE]\n"
	    "       lambdabridge event authorizer token|request|v1|v2 METHOD "
	    "PATH [-H 'K: V']... [-c FILE]\n");
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

struct server_ctx {
	struct lb_fcgi_server srv;
	struct lb_gateway *gw;
	const char *config_path;
	int watch;      /* --watch: reload when a file changes */
	char **watched; /* config file and functions' code */
	struct timespec *mtimes;
	size_t nwatched;
};

static struct timespec
mtime_of(const char *path)
{
	struct stat st;
	struct timespec zero = { 0, 0 };

	return stat(path, &st) == 0 ? st.st_mtim : zero;
}

static void
watch_clear(struct server_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nwatched; i++)
		free(ctx->watched[i]);
	free(ctx->watched);
	free(ctx->mtimes);
	ctx->watched = NULL;
	ctx->mtimes = NULL;
	ctx->nwatched = 0;
}

/* Remembers the config file and every function's code (its module or
 * its bootstrap program) with their mtimes. */
static void
watch_set(struct server_ctx *ctx, const struct lb_config *cfg)
{
	size_t n = cfg->nfunctions + 1;

	watch_clear(ctx);
	if (!ctx->watch)
		return;
	ctx->watched = calloc(n, sizeof(*ctx->watched));
	ctx->mtimes = calloc(n, sizeof(*ctx->mtimes));
	if (ctx->watched == NULL || ctx->mtimes == NULL)
		return;
	ctx->watched[ctx->nwatched++] = strdup(ctx->config_path);
	for (size_t i = 0; i < cfg->nfunctions; i++)
		ctx->watched[ctx->nwatched++] =
		    strdup(cfg->functions[i].runtime == LB_RUNTIME_PROVIDED
		            ? cfg->functions[i].bootstrap[0]
		            : cfg->functions[i].module);
	for (size_t i = 0; i < ctx->nwatched; i++)
		if (ctx->watched[i] != NULL)
			ctx->mtimes[i] = mtime_of(ctx->watched[i]);
}

static int
watch_changed(struct server_ctx *ctx)
{
	int changed = 0;

	for (size_t i = 0; i < ctx->nwatched; i++) {
		struct timespec t;

		if (ctx->watched[i] == NULL)
			continue;
		t = mtime_of(ctx->watched[i]);
		if (t.tv_sec != ctx->mtimes[i].tv_sec ||
		    t.tv_nsec != ctx->mtimes[i].tv_nsec) {
			lb_log(LB_LOG_INFO, "'%s' changed", ctx->watched[i]);
			ctx->mtimes[i] = t;
			changed = 1;
		}
	}
	return changed;
}

/* Runs on the main thread while the loop serves. */
static void
housekeeping(struct server_ctx *ctx)
{
	char err[1024];

	while (!__atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST)) {
		int reload;

		usleep(100 * 1000);
		reload = flag_take(&reload_flag);
		if (ctx->watch && watch_changed(ctx)) {
			/* let a build finish writing before loading it */
			usleep(200 * 1000);
			watch_changed(ctx);
			reload = 1;
		}
		if (reload) {
			struct lb_config *cfg;
			int timeout_ms;
			size_t max_buffered;

			lb_log(LB_LOG_INFO, "reloading '%s'", ctx->config_path);
			cfg = lb_config_load(ctx->config_path, lb_probe_module,
			    err, sizeof(err));
			if (cfg != NULL &&
			    lb_config_check_users(cfg, lb_sandbox_privileged(),
			        err, sizeof(err)) < 0) {
				lb_config_free(cfg);
				cfg = NULL;
			}
			if (cfg == NULL) {
				lb_log(LB_LOG_ERROR,
				    "reload rejected, keeping the running "
				    "configuration: %s",
				    err);
				continue;
			}
			watch_set(ctx, cfg);
			/* the gateway owns cfg from here on */
			timeout_ms = (int)(cfg->connection_timeout * 1000);
			max_buffered = cfg->max_buffered;
			if (lb_gateway_reload(ctx->gw, cfg, err, sizeof(err)) <
			    0) {
				lb_log(LB_LOG_ERROR,
				    "reload rejected, keeping the running "
				    "configuration: %s",
				    err);
				continue;
			}
			__atomic_store_n(&ctx->srv.max_body,
			    lb_gateway_max_body(ctx->gw), __ATOMIC_RELAXED);
			__atomic_store_n(
			    &ctx->srv.timeout_ms, timeout_ms, __ATOMIC_RELAXED);
			__atomic_store_n(&ctx->srv.max_buffered, max_buffered,
			    __ATOMIC_RELAXED);
			lb_log(LB_LOG_INFO, "reloaded '%s'", ctx->config_path);
		}
		if (flag_take(&stats_flag)) {
			lb_gateway_dump_stats(ctx->gw, stderr);
			lb_fcgi_dump_stats(&ctx->srv, stderr);
		}
	}
}

/*
 * After binding: a cgroup for the environments where it can have one, not
 * dumpable (its memory and /proc files are out of the functions' reach)
 * and, started as root, gateway.user/group with only the capabilities to
 * start and kill workers (docs/security.md).  Before any thread:
 * capabilities are per thread, and the cgroup move takes only this one.
 */
static int
drop_privileges(const struct lb_config *cfg, char *err, size_t errlen)
{
	int drop = cfg->user != NULL && geteuid() == 0;
	char why[512];

	/* a cgroup per environment where it can: then the subtree is the
	 * user's it drops to */
	if (lb_sandbox_cgroup_init(drop ? cfg->uid : (uid_t)-1,
	        drop ? cfg->gid : (gid_t)-1, why, sizeof(why)) == 0)
		lb_log(LB_LOG_INFO, "environments run in cgroups");
	else
		lb_log(LB_LOG_INFO,
		    "environments run without cgroups (%s): the worker "
		    "subreaper contains them",
		    why);
	if (cfg->user != NULL && geteuid() != 0)
		lb_log(LB_LOG_INFO,
		    "gateway.user '%s' ignored: not started as root",
		    cfg->user);
	else if (cfg->user != NULL &&
	    lb_sandbox_drop(cfg->uid, cfg->gid, err, errlen) < 0)
		return -1;
	lb_sandbox_nodump();
	return 0;
}

/*
 * The serving command's options into ctx and *listen_addr.  Returns -1 to
 * go on, or the exit status to end with (after --help or a usage error).
 */
static int
serve_args(
    struct server_ctx *ctx, const char **listen_addr, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "watch", no_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lb_listen_addr parsed;
	const char *why;
	int c;

	while ((c = getopt_long(argc, argv, "c:l:wvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': ctx->config_path = optarg; break;
		case 'l': *listen_addr = optarg; break;
		case 'w': ctx->watch = 1; break;
		case 'v': lb_log_init(LB_LOG_DEBUG, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (ctx->config_path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* -l is held to gateway.listen's rules */
	if (*listen_addr != NULL &&
	    (why = lb_listen_parse(*listen_addr, &parsed)) != NULL) {
		fprintf(
		    stderr, "lambdabridge: -l '%s': %s\n", *listen_addr, why);
		return 1;
	}
	return -1;
}

static int
serve(int argc, char **argv)
{
	struct server_ctx ctx;
	struct lb_config *cfg;
	struct lb_listen_opts lopts;
	const char *listen_addr = NULL;
	char err[1024];
	int fd = -1, cgi, nloop, rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	if ((rc = serve_args(&ctx, &listen_addr, argc, argv)) >= 0)
		return rc;
	rc = 1;
	install_signals();
	cfg =
	    lb_config_load(ctx.config_path, lb_probe_module, err, sizeof(err));
	if (cfg == NULL)
		goto fail_config;
	if (lb_config_check_users(
	        cfg, lb_sandbox_privileged(), err, sizeof(err)) < 0)
		goto fail_users;
	if (listen_addr == NULL)
		listen_addr = cfg->listen;
	watch_set(&ctx, cfg);
	cgi = listen_addr == NULL && lb_cgi_detect();
	if (!cgi) {
		lopts.mode = cfg->listen_mode;
		lopts.owner = cfg->listen_owner;
		lopts.group = cfg->listen_group;
		fd = lb_listen_open(listen_addr, &lopts, err, sizeof(err));
		if (fd < 0)
			goto fail_listen;
	}
	if (drop_privileges(cfg, err, sizeof(err)) < 0)
		goto fail_drop;
	ctx.srv.timeout_ms = (int)(cfg->connection_timeout * 1000);
	ctx.srv.max_buffered = cfg->max_buffered;
	/* the gateway owns cfg from here on, also when it fails */
	ctx.gw = lb_gateway_new(cfg, err, sizeof(err));
	if (ctx.gw == NULL)
		goto fail_gateway;
	ctx.srv.fd = fd;
	ctx.srv.max_body = lb_gateway_max_body(ctx.gw);
	ctx.srv.handler = lb_gateway_handle;
	ctx.srv.arg = ctx.gw;
	if (cgi) {
		rc = lb_cgi_serve(&ctx.srv) == 0 ? 0 : 1;
		goto done;
	}
	nloop = lb_loop_default_threads();
	ctx.srv.loop = lb_loop_new(nloop, cfg->threads, err, sizeof(err));
	if (ctx.srv.loop == NULL)
		goto fail_loop;
	lb_log(LB_LOG_INFO,
	    "serving on %s with %d loop threads and %d pool "
	    "threads",
	    listen_addr != NULL ? listen_addr : "inherited socket", nloop,
	    cfg->threads);
	if (lb_fcgi_start(&ctx.srv) < 0)
		goto fail_start; /* lb_fcgi_start logged why */
	housekeeping(&ctx);
	lb_log(LB_LOG_INFO, "draining");
	lb_fcgi_stop(&ctx.srv);
	/* no request in flight: kept connections get 503 from now on */
	lb_gateway_free(ctx.gw);
	lb_loop_free(ctx.srv.loop);
	lb_fcgi_release(&ctx.srv);
	watch_clear(&ctx);
	lb_sandbox_cgroup_fini();
	lb_log(LB_LOG_INFO, "stopped");
	return 0;

fail_start:
	/* the loop goes first: the server's state may hold its timer */
	lb_loop_free(ctx.srv.loop);
	lb_fcgi_release(&ctx.srv);
	goto done;
fail_loop:
	fprintf(stderr, "lambdabridge: %s\n", err);
done:
	lb_gateway_free(ctx.gw);
	goto out;
fail_gateway:
	fprintf(stderr, "lambdabridge: %s\n", err);
	goto out;
fail_drop:
fail_listen:
fail_users:
	fprintf(stderr, "lambdabridge: %s\n", err);
	lb_config_free(cfg);
	goto out;
fail_config:
	fprintf(stderr, "lambdabridge: %s\n", err);
	return 1;
out:
	if (fd >= 0)
		close(fd);
	watch_clear(&ctx);
	lb_sandbox_cgroup_fini();
	return rc;
}

/*
 * Bodies pass through malloc several times per request.  With glibc's
 * defaults a buffer over 128 KB is mmap'ed and unmapped each time, or the
 * heap grows and is trimmed back each time: page faults and zeroing for
 * every 100 KB request.  Keep buffers up to 4 MB on the heap and trim only
 * above 8 MB per arena (the gateway and the worker alike), which bounds
 * what a burst of large requests leaves behind.
 */
static void
tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
}

int
main(int argc, char **argv)
{
	tune_malloc();
	lb_sandbox_init();
	if (argc >= 2) {
		const char *cmd = argv[1];

		if (strcmp(cmd, "__worker") == 0)
			return lb_worker_main(argc - 1, argv + 1);
		if (strcmp(cmd, "__spare") == 0)
			return lb_worker_spare(argc, argv);
		if (strcmp(cmd, "__probe") == 0)
			return lb_cli_probe(argc - 1, argv + 1);
		if (strcmp(cmd, "check") == 0)
			return lb_cli_check(argc - 1, argv + 1);
		if (strcmp(cmd, "invoke") == 0)
			return lb_cli_invoke(argc - 1, argv + 1);
		if (strcmp(cmd, "event") == 0)
			return lb_cli_event(argc - 1, argv + 1);
		if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	return serve(argc, argv);
}
