/*
 * main.c - wiring: arguments, signals, start-up.  Nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "fastcgi/cgi.h"
#include "fastcgi/fcgi.h"
#include "apigw/gateway.h"
#include "apigw/quota.h"
#include "fastcgi/listen.h"
#include "base/fswatch.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/service.h"
#include "lambda/probe.h"
#include "lambda/sandbox.h"
#include "lambda/spawn.h"
#include "lambda/worker.h"

/*
 * Set by the signal handlers, which may run on any of the process's
 * threads at once: atomic, read with flag_take.  Each also writes a byte
 * to wake_pipe, which the main thread sleeps on.
 */
static int stop_flag;
static int reload_flag;
static int stats_flag;
static int wake_pipe[2] = { -1, -1 };

static void
flag_set(int *flag)
{
	int saved = errno;
	char c = 1;
	ssize_t w;

	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	/* a full pipe (EAGAIN) wakes the main thread all the same */
	if (wake_pipe[1] >= 0) {
		w = write(wake_pipe[1], &c, 1);
		(void)w;
	}
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
	    "usage: lambdabridge -c FILE [-l ADDR] [--watch] [--reset-state] "
	    "[-v]\n"
	    "       lambdabridge --version\n"
	    "       lambdabridge check -c FILE\n"
	    "       lambdabridge invoke -c FILE [--env-vars FILE] [--http] "
	    "FUNCTION [EVENT.json|-]\n"
	    "       lambdabridge start-api -c FILE [--port N] "
	    "[--server nginx|apache] [--host ADDR]\n"
	    "       lambdabridge event v1|v2 METHOD PATH [-H 'K: V']... "
	    "[-d BODY] [-c FILE]\n"
	    "       lambdabridge event authorizer token|request|v1|v2 METHOD "
	    "PATH [-H 'K: V']... [-c FILE]\n"
	    "       lambdabridge import [--format sam|openapi|serverless] "
	    "[--param K=V]... [--stage NAME]\n"
	    "           [--api NAME] [--function NAME=MODULE[:HANDLER]]... "
	    "[--runtime RT='ARGV']... FILE\n");
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

/* How often systemd hears the live counts (php-fpm's systemd_interval). */
#define STATUS_INTERVAL_MS 10000
/* --watch: quiet this long after a change before reloading, so that a
 * build writing several files is taken whole. */
#define WATCH_SETTLE_MS 200
/* Start-up waits this long at most for provisioned environments (their
 * init is capped at 10 s). */
#define PROVISION_WAIT_MS 12000

struct server_ctx {
	struct lb_fcgi_server srv;
	struct lb_gateway *gw;
	struct lb_quotas *quotas; /* quota counts, kept in gateway.state_dir */
	char *state_dir; /* the one in use (a reload does not move it) */
	int reset_state; /* --reset-state */
	const char *config_path;
	int watch;                  /* --watch: reload when a file changes */
	struct lb_fswatch *fswatch; /* with --watch */
	int notify;                 /* systemd waits for our messages */
	int64_t watchdog_ms;        /* WATCHDOG=1 this often, or 0 */
	int64_t next_watchdog, next_status;
};

/*
 * Watches the config file, every file it @includes and every function's
 * code (its module or its bootstrap program).  A path that cannot be
 * watched is logged; the others are.
 */
static void
watch_set(struct server_ctx *ctx, const struct lb_config *cfg)
{
	size_t n = cfg->nfiles + cfg->nfunctions;
	const char **paths;
	char err[512];

	if (ctx->fswatch == NULL)
		return;
	paths = calloc(n > 0 ? n : 1, sizeof(*paths));
	if (paths == NULL) {
		lb_log(LB_LOG_ERROR, "--watch: out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->nfiles; i++)
		paths[i] = cfg->files[i];
	for (size_t i = 0; i < cfg->nfunctions; i++)
		paths[cfg->nfiles + i] =
		    cfg->functions[i].runtime == LB_RUNTIME_PROVIDED
		    ? cfg->functions[i].bootstrap[0]
		    : cfg->functions[i].module;
	if (lb_fswatch_set(ctx->fswatch, paths, n, err, sizeof(err)) < 0)
		lb_log(LB_LOG_WARN, "--watch: %s", err);
	for (size_t i = 0; i < n; i++)
		lb_log(LB_LOG_DEBUG, "--watch: watching '%s'", paths[i]);
	free(paths);
}

/*
 * Reads the watcher: when a watched file changed, waits until no more
 * events come for WATCH_SETTLE_MS (a build finishing its writes) and says
 * whether to reload.
 */
static int
watch_changed(struct server_ctx *ctx)
{
	struct pollfd pfd = { lb_fswatch_fd(ctx->fswatch), POLLIN, 0 };
	char path[512], more[512];

	if (lb_fswatch_read(ctx->fswatch, path, sizeof(path)) == 0)
		return 0;
	lb_log(LB_LOG_INFO, "'%s' changed", path);
	while (poll(&pfd, 1, WATCH_SETTLE_MS) > 0 &&
	    !__atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST))
		lb_fswatch_read(ctx->fswatch, more, sizeof(more));
	return 1;
}

/* STATUS= with the live counts, now and every STATUS_INTERVAL_MS. */
static void
send_status(struct server_ctx *ctx, int64_t now)
{
	char status[512];

	if (!ctx->notify)
		return;
	lb_gateway_status(ctx->gw, status, sizeof(status));
	lb_service_status(status);
	ctx->next_status = now + STATUS_INTERVAL_MS;
}

/* Loads the config file again and swaps it in; a file that does not load
 * leaves the running configuration. */
static void
reload(struct server_ctx *ctx)
{
	struct lb_config *cfg;
	int timeout_ms;
	size_t max_buffered;
	char err[1024];

	lb_log(LB_LOG_INFO, "reloading '%s'", ctx->config_path);
	cfg =
	    lb_config_load(ctx->config_path, lb_probe_module, err, sizeof(err));
	if (cfg != NULL &&
	    lb_config_check_users(
	        cfg, lb_sandbox_privileged(), err, sizeof(err)) < 0) {
		lb_config_free(cfg);
		cfg = NULL;
	}
	if (cfg == NULL) {
		lb_log(LB_LOG_ERROR,
		    "reload rejected, keeping the running configuration: %s",
		    err);
		return;
	}
	watch_set(ctx, cfg);
	if ((cfg->state_dir == NULL) != (ctx->state_dir == NULL) ||
	    (cfg->state_dir != NULL &&
	        strcmp(cfg->state_dir, ctx->state_dir) != 0))
		lb_log(LB_LOG_WARN,
		    "gateway.state_dir changed: it takes effect at the next "
		    "start; quota counts stay in '%s'",
		    ctx->state_dir != NULL ? ctx->state_dir : "memory");
	/* the gateway owns cfg from here on */
	timeout_ms = (int)(cfg->connection_timeout * 1000);
	max_buffered = cfg->max_buffered;
	if (lb_gateway_reload(ctx->gw, cfg, err, sizeof(err)) < 0) {
		lb_log(LB_LOG_ERROR,
		    "reload rejected, keeping the running configuration: %s",
		    err);
		return;
	}
	__atomic_store_n(
	    &ctx->srv.max_body, lb_gateway_max_body(ctx->gw), __ATOMIC_RELAXED);
	__atomic_store_n(&ctx->srv.timeout_ms, timeout_ms, __ATOMIC_RELAXED);
	__atomic_store_n(
	    &ctx->srv.max_buffered, max_buffered, __ATOMIC_RELAXED);
	if (lb_gateway_wait_ready(ctx->gw, lb_mono_ms() + PROVISION_WAIT_MS) <
	    0)
		lb_log(LB_LOG_WARN,
		    "not every provisioned environment is ready after %d s",
		    PROVISION_WAIT_MS / 1000);
	lb_log(LB_LOG_INFO, "reloaded '%s'", ctx->config_path);
}

/* Milliseconds until the next timer (watchdog, status), or -1: none. */
static int
next_timeout(const struct server_ctx *ctx, int64_t now)
{
	int64_t next = INT64_MAX;

	if (ctx->watchdog_ms > 0 && ctx->next_watchdog < next)
		next = ctx->next_watchdog;
	if (ctx->notify && ctx->next_status < next)
		next = ctx->next_status;
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

/*
 * Runs on the main thread while the loop serves: sleeps in poll() on the
 * signal handlers' pipe and the --watch inotify fd, waking for nothing
 * else but systemd's watchdog and status timers when systemd wants them.
 */
static void
housekeeping(struct server_ctx *ctx)
{
	while (!__atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST)) {
		struct pollfd pfd[2];
		int n = 0, rc, reload_now;
		int64_t now = lb_mono_ms();
		char drain[64];

		pfd[n++] = (struct pollfd){ wake_pipe[0], POLLIN, 0 };
		if (ctx->fswatch != NULL)
			pfd[n++] = (struct pollfd){ lb_fswatch_fd(ctx->fswatch),
				POLLIN, 0 };
		rc = poll(pfd, (nfds_t)n, next_timeout(ctx, now));
		if (rc < 0 && errno != EINTR) {
			lb_log(LB_LOG_ERROR, "poll: %s", strerror(errno));
			break;
		}
		while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
			;
		if (__atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST))
			break;
		reload_now = flag_take(&reload_flag);
		if (ctx->fswatch != NULL && n > 1 &&
		    (pfd[1].revents & POLLIN) && watch_changed(ctx))
			reload_now = 1;
		if (reload_now) {
			lb_service_reloading();
			reload(ctx);
			/* READY=1 also after a rejected reload: the running
			 * configuration still serves */
			lb_service_ready(NULL);
			send_status(ctx, lb_mono_ms());
		}
		if (flag_take(&stats_flag)) {
			char why[512];

			/* as nginx and php-fpm: USR1 also reopens the log
			 * files, for logrotate */
			if (lb_gateway_reopen_logs(ctx->gw, why, sizeof(why)) <
			    0)
				lb_log(LB_LOG_ERROR,
				    "access log not reopened: %s", why);
			lb_gateway_dump_stats(ctx->gw, stderr);
			lb_fcgi_dump_stats(&ctx->srv, stderr);
			send_status(ctx, lb_mono_ms());
		}
		now = lb_mono_ms();
		if (ctx->watchdog_ms > 0 && now >= ctx->next_watchdog) {
			lb_service_watchdog();
			ctx->next_watchdog = now + ctx->watchdog_ms;
		}
		if (ctx->notify && now >= ctx->next_status)
			send_status(ctx, now);
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
		{ "reset-state", no_argument, NULL, 'R' },
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
		case 'R': ctx->reset_state = 1; break;
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

/*
 * Tells systemd (if it waits) that the bridge serves, with a first
 * STATUS=, and arms the watchdog and status timers.
 */
static void
announce(
    struct server_ctx *ctx, const char *listen_addr, int nloop, int threads)
{
	char status[512];
	uint64_t wd = lb_service_watchdog_usec();

	lb_log(LB_LOG_INFO,
	    "serving on %s with %d loop threads and %d pool threads",
	    listen_addr != NULL ? listen_addr : "inherited socket", nloop,
	    threads);
	ctx->notify = lb_service_notifying();
	/* half the interval, as sd_watchdog_enabled(3) recommends; only for
	 * a manager that listens */
	ctx->watchdog_ms = wd > 0 && ctx->notify ? (int64_t)(wd / 2000) : 0;
	if (wd > 0 && ctx->notify && ctx->watchdog_ms == 0)
		ctx->watchdog_ms = 1;
	ctx->next_watchdog = lb_mono_ms() + ctx->watchdog_ms;
	if (!ctx->notify)
		return;
	lb_gateway_status(ctx->gw, status, sizeof(status));
	lb_service_ready(status);
	ctx->next_status = lb_mono_ms() + STATUS_INTERVAL_MS;
}

/*
 * Before anything that may fail: the signal handlers' wake-up pipe, the
 * sockets systemd passed (and LISTEN_* out of the environment), the
 * --watch watcher.
 */
static int
serve_init(struct server_ctx *ctx, char *err, size_t errlen)
{
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (lb_service_init(err, errlen) < 0)
		return -1;
	if (ctx->watch && (ctx->fswatch = lb_fswatch_new(err, errlen)) == NULL)
		return -1;
	return 0;
}

static int
serve(int argc, char **argv)
{
	struct server_ctx ctx;
	struct lb_config *cfg = NULL;
	struct lb_listen_opts lopts;
	const char *listen_addr = NULL;
	char err[1024];
	int fd = -1, cgi, nloop, rc = 1, threads;

	memset(&ctx, 0, sizeof(ctx));
	if ((rc = serve_args(&ctx, &listen_addr, argc, argv)) >= 0)
		return rc;
	rc = 1;
	if (serve_init(&ctx, err, sizeof(err)) < 0)
		goto fail_config;
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
	/* a socket systemd passed is no CGI request */
	cgi = listen_addr == NULL && lb_service_listen_fd(NULL, err, 1) == -2 &&
	    lb_cgi_detect();
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
	threads = cfg->threads;
	/* as the user it runs as: the state file is that user's; a plain
	 * CGI run keeps no state (docs/operations.md section 5) */
	ctx.quotas = lb_quotas_new(
	    cgi ? NULL : cfg->state_dir, ctx.reset_state, err, sizeof(err));
	if (ctx.quotas == NULL)
		goto fail_state;
	if (cfg->state_dir != NULL &&
	    (ctx.state_dir = strdup(cfg->state_dir)) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail_state;
	}
	/* the gateway owns cfg from here on, also when it fails */
	ctx.gw = lb_gateway_new(cfg, ctx.quotas, err, sizeof(err));
	cfg = NULL;
	if (ctx.gw == NULL)
		goto fail_gateway;
	ctx.srv.fd = fd;
	ctx.srv.max_body = lb_gateway_max_body(ctx.gw);
	ctx.srv.handler = lb_gateway_handle;
	ctx.srv.arg = ctx.gw;
	if (cgi) {
		lb_cli_oneshot_explain(ctx.config_path);
		rc = lb_cgi_serve(&ctx.srv) == 0 ? 0 : 1;
		goto done;
	}
	nloop = lb_loop_default_threads();
	ctx.srv.loop = lb_loop_new(nloop, threads, err, sizeof(err));
	if (ctx.srv.loop == NULL)
		goto fail_loop;
	/* provisioned environments first: then "serving" and READY=1 mean
	 * that a request finds them (the socket queues until then) */
	if (lb_gateway_wait_ready(ctx.gw, lb_mono_ms() + PROVISION_WAIT_MS) < 0)
		lb_log(LB_LOG_WARN,
		    "not every provisioned environment is ready after %d s: "
		    "serving anyway",
		    PROVISION_WAIT_MS / 1000);
	if (lb_fcgi_start(&ctx.srv) < 0)
		goto fail_start; /* lb_fcgi_start logged why */
	announce(&ctx, listen_addr, nloop, threads);
	housekeeping(&ctx);
	lb_service_stopping();
	lb_log(LB_LOG_INFO, "draining");
	lb_fcgi_stop(&ctx.srv);
	/* no request in flight: kept connections get 503 from now on */
	lb_gateway_free(ctx.gw);
	lb_quotas_free(ctx.quotas); /* the last counts to the state file */
	free(ctx.state_dir);
	lb_loop_free(ctx.srv.loop);
	lb_fcgi_release(&ctx.srv);
	lb_fswatch_free(ctx.fswatch);
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
fail_state:
fail_drop:
fail_listen:
fail_users:
fail_config:
	fprintf(stderr, "lambdabridge: %s\n", err);
	lb_config_free(cfg);
out:
	lb_quotas_free(ctx.quotas);
	free(ctx.state_dir);
	if (fd >= 0)
		close(fd);
	lb_fswatch_free(ctx.fswatch);
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

		if (strcmp(cmd, "__worker") == 0 ||
		    strcmp(cmd, "__spare") == 0 || strcmp(cmd, "__probe") == 0)
			lb_spawn_name_self(argv[0]);
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
		if (strcmp(cmd, "start-api") == 0)
			return lb_cli_start_api(argc - 1, argv + 1);
		if (strcmp(cmd, "event") == 0)
			return lb_cli_event(argc - 1, argv + 1);
		if (strcmp(cmd, "import") == 0)
			return lb_cli_import(argc - 1, argv + 1);
		if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0)
			return lb_cli_version(argc - 1, argv + 1);
		if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	return serve(argc, argv);
}
