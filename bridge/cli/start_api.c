/*
 * start_api.c - `lambdabridge start-api -c FILE [--port N] [--server
 * nginx|apache] [--host ADDR] [--watch] [-v]`: what `sam local start-api`
 * is to SAM, for any configuration.  A private nginx (or Apache) on
 * HOST:PORT in front of a bridge on a unix socket, both in a new temp
 * directory, as the current user; the URL and the routes printed; both
 * stopped, and the directory removed, on Ctrl-C or SIGTERM.
 *
 * The server configurations are the shipped ones (nginx/run.conf.in and
 * fastcgi.conf, apache/run.conf.in and lambdabridge.conf: the files the
 * integration tests run), compiled in by scripts/embed and written into
 * the directory with their placeholders filled, as scripts/run does.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/pathfind.h"
#include "cli/cli.h"
#include "config.h"
#include "lambda/spawn.h"
#include "server_confs.h"

#define START_WAIT_MS 15000 /* the bridge's socket, the server's port */
#define STOP_WAIT_MS  10000 /* then SIGKILL */

struct start_api {
	const char *config;
	const char *host;
	const char *server; /* "nginx" or "apache" */
	int port;
	int watch, verbose;
	char dir[64];           /* the private directory */
	char sock[PATH_MAX];    /* the bridge's socket in it */
	char program[PATH_MAX]; /* nginx or apache2 */
	pid_t bridge, web;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: lambdabridge start-api -c FILE [--port N] "
	    "[--server nginx|apache]\n"
	    "           [--host 127.0.0.1] [--watch] [-v]\n");
}

static int
parse_args(struct start_api *sa, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "server", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "watch", no_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long port;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:s:H:wvh", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c': sa->config = optarg; break;
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    port < 1 || port > 65535) {
				fprintf(stderr,
				    "lambdabridge start-api: --port '%s': "
				    "expected a port from 1 to 65535\n",
				    optarg);
				return 2;
			}
			sa->port = (int)port;
			break;
		case 's':
			if (strcmp(optarg, "nginx") != 0 &&
			    strcmp(optarg, "apache") != 0) {
				fprintf(stderr,
				    "lambdabridge start-api: --server '%s': "
				    "expected nginx or apache\n",
				    optarg);
				return 2;
			}
			sa->server = optarg;
			break;
		case 'H': sa->host = optarg; break;
		case 'w': sa->watch = 1; break;
		case 'v': sa->verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (sa->config == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The first of names found in $PATH or the sbin directories, into out. */
static int
find_program(const char *const *names, char *out)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/local/sbin",
		"/sbin" };

	for (; *names != NULL; names++) {
		if (lb_path_find(*names, out, PATH_MAX) == 0)
			return 0;
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(out, PATH_MAX, "%s/%s", dirs[i], *names);
			if (access(out, X_OK) == 0)
				return 0;
		}
	}
	return -1;
}

/* The web server is installed (and, for Apache, its FastCGI proxy). */
static int
check_server(struct start_api *sa)
{
	static const char *const nginx[] = { "nginx", NULL };
	static const char *const apache[] = { "apache2", "httpd", NULL };
	static const char *const mod =
	    "/usr/lib/apache2/modules/mod_proxy_fcgi.so";
	int is_nginx = strcmp(sa->server, "nginx") == 0;
	const char *env = getenv(is_nginx ? "NGINX" : "APACHE");
	int found;

	/* NGINX= and APACHE= name the binary, as for make run */
	if (env != NULL && *env != '\0') {
		snprintf(sa->program, sizeof(sa->program), "%s", env);
		found = access(env, X_OK) == 0;
	} else {
		found =
		    find_program(is_nginx ? nginx : apache, sa->program) == 0;
	}
	if (!found && env != NULL && *env != '\0') {
		fprintf(stderr,
		    "lambdabridge start-api: %s is not installed: %s='%s' is "
		    "not an executable\n",
		    is_nginx ? "nginx" : "Apache",
		    is_nginx ? "NGINX" : "APACHE", env);
		return -1;
	}
	if (!found) {
		fprintf(stderr,
		    "lambdabridge start-api: %s is not installed (not in "
		    "$PATH nor /usr/sbin): apt-get install %s%s\n",
		    is_nginx ? "nginx" : "Apache (apache2)",
		    is_nginx ? "nginx" : "apache2",
		    is_nginx ? ", or --server apache" : ", or --server nginx");
		return -1;
	}
	if (!is_nginx && access(mod, R_OK) != 0) {
		fprintf(stderr,
		    "lambdabridge start-api: Apache has no mod_proxy_fcgi "
		    "('%s'): apt-get install apache2\n",
		    mod);
		return -1;
	}
	return 0;
}

/* host:port, IPv6 in brackets, as both servers write a listen address. */
static void
listen_addr(const struct start_api *sa, char *out, size_t len)
{
	if (strchr(sa->host, ':') != NULL && sa->host[0] != '[')
		snprintf(out, len, "[%s]:%d", sa->host, sa->port);
	else
		snprintf(out, len, "%s:%d", sa->host, sa->port);
}

/* Whether HOST:PORT can be bound now (the server binds it right after). */
static int
check_port(const struct start_api *sa)
{
	struct addrinfo hints, *ai = NULL;
	char port[16], host[256];
	int fd, rc, one = 1;
	size_t hl = strlen(sa->host);

	snprintf(port, sizeof(port), "%d", sa->port);
	snprintf(host, sizeof(host), "%s", sa->host);
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fprintf(stderr,
		    "lambdabridge start-api: --host '%s': %s (an IP address "
		    "such as 127.0.0.1 or ::1)\n",
		    sa->host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -1;
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EADDRINUSE)
			fprintf(stderr,
			    "lambdabridge start-api: port %d on %s is "
			    "taken: stop what uses it, or pick another with "
			    "--port N\n",
			    sa->port, sa->host);
		else if (rc < 0)
			fprintf(stderr,
			    "lambdabridge start-api: cannot listen on %s "
			    "port %d: %s\n",
			    sa->host, sa->port, strerror(errno));
		close(fd);
	}
	freeaddrinfo(ai);
	return rc < 0 ? -1 : 0;
}

/*
 * Writes template `text` to DIR/rel with every @KEY@ of subs (pairs of
 * "KEY", value, NULL-terminated) replaced; "127.0.0.1:@PORT@" becomes the
 * --host's address.  An @KEY@ left is an error, as scripts/run says.
 */
static int
write_conf(const struct start_api *sa, const char *rel, const char *text,
    const char *const *subs)
{
	char path[PATH_MAX], key[64], addr[300];
	const char *p = text, *at, *end, *v;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", sa->dir, rel);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr,
		    "lambdabridge start-api: cannot write '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	listen_addr(sa, addr, sizeof(addr));
	while ((at = strchr(p, '@')) != NULL) {
		fwrite(p, 1, (size_t)(at - p), f);
		end = at + 1;
		while ((*end >= 'A' && *end <= 'Z') || *end == '_')
			end++;
		if (*end != '@' || end == at + 1 ||
		    (size_t)(end - at) >= sizeof(key)) {
			fputc('@', f);
			p = at + 1;
			continue;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(end - at - 1), at + 1);
		v = NULL;
		for (size_t i = 0; subs[i] != NULL; i += 2)
			if (strcmp(subs[i], key) == 0)
				v = subs[i + 1];
		if (v == NULL) {
			fprintf(stderr,
			    "lambdabridge start-api: %s: no value for @%s@\n",
			    rel, key);
			rc = -1;
			break;
		}
		fputs(v, f);
		p = end + 1;
	}
	if (rc == 0)
		fputs(p, f);
	if (fclose(f) != 0)
		rc = -1;
	/* the templates listen on 127.0.0.1:@PORT@: rewrite for --host */
	if (rc == 0 && strcmp(sa->host, "127.0.0.1") != 0) {
		char *all = NULL, *hit, prefix[32];
		size_t n = 0;
		FILE *in = fopen(path, "r");
		FILE *mem = open_memstream(&all, &n);

		snprintf(prefix, sizeof(prefix), "127.0.0.1:%d", sa->port);
		if (in == NULL || mem == NULL) {
			rc = -1;
		} else {
			int ch;

			while ((ch = fgetc(in)) != EOF)
				fputc(ch, mem);
			fclose(mem);
			mem = NULL;
			f = fopen(path, "w");
			for (p = all; f != NULL && (hit = strstr(p, prefix));
			     p = hit + strlen(prefix)) {
				fwrite(p, 1, (size_t)(hit - p), f);
				fputs(addr, f);
			}
			if (f == NULL || (fputs(p, f), fclose(f)) != 0)
				rc = -1;
		}
		if (in != NULL)
			fclose(in);
		if (mem != NULL)
			fclose(mem);
		free(all);
	}
	return rc;
}

/* The servers' configurations, into the private directory. */
static int
write_confs(const struct start_api *sa, const char *user, const char *group)
{
	char port[16], nginx_user[256], self[PATH_MAX];
	const char *const subs[] = { "PREFIX", sa->dir, "PORT", port, "SOCKET",
		sa->sock, "REPO", sa->dir, "USER",
		strcmp(sa->server, "nginx") == 0 ? nginx_user : user, "GROUP",
		group, "BIN", self, "CONFIG", sa->config, NULL };
	char sub[PATH_MAX];

	snprintf(port, sizeof(port), "%d", sa->port);
	snprintf(self, sizeof(self), "%s", lb_self_exe());
	if (geteuid() == 0)
		snprintf(
		    nginx_user, sizeof(nginx_user), "user %s %s;", user, group);
	else
		snprintf(nginx_user, sizeof(nginx_user),
		    "# not root: nginx keeps our user");
	if (strcmp(sa->server, "nginx") == 0) {
		snprintf(sub, sizeof(sub), "%s/nginx", sa->dir);
		if (mkdir(sub, 0755) < 0)
			return -1;
		return write_conf(sa, "nginx/fastcgi.conf",
		           lb_embed_nginx_fastcgi_conf, subs) < 0 ||
		        write_conf(sa, "nginx.conf", lb_embed_nginx_run_conf_in,
		            subs) < 0
		    ? -1
		    : 0;
	}
	snprintf(sub, sizeof(sub), "%s/apache", sa->dir);
	if (mkdir(sub, 0755) < 0)
		return -1;
	return write_conf(sa, "apache/lambdabridge.conf",
	           lb_embed_apache_lambdabridge_conf, subs) < 0 ||
	        write_conf(
	            sa, "httpd.conf", lb_embed_apache_run_conf_in, subs) < 0
	    ? -1
	    : 0;
}

/* Starts argv in its own process group, ended with us (SIGTERM). */
static pid_t
spawn(char *const *argv)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "lambdabridge start-api: cannot run '%s': %s\n",
	    argv[0], strerror(errno));
	_exit(127);
}

/* Whether pid still runs (reaping it when not). */
static int
alive(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, WNOHANG) == 0;
}

/* Whether a unix or TCP endpoint accepts a connection now. */
static int
accepts(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, sa, len) == 0;
	close(fd);
	return ok;
}

static int
sock_accepts(const char *path)
{
	struct sockaddr_un un;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un.sun_path))
		return 0;
	memcpy(un.sun_path, path, strlen(path) + 1);
	return accepts((struct sockaddr *)&un, sizeof(un));
}

static int
port_accepts(const struct start_api *sa)
{
	struct addrinfo hints, *ai = NULL;
	char port[16];
	int ok;

	snprintf(port, sizeof(port), "%d", sa->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(sa->host, port, &hints, &ai) != 0)
		return 0;
	ok = accepts(ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return ok;
}

/* Waits until ready(sa) or the process ends or the time is up. */
static int
wait_ready(struct start_api *sa, pid_t pid, int (*ready)(struct start_api *))
{
	for (int waited = 0; waited < START_WAIT_MS; waited += 50) {
		if (stop_signal != 0 || !alive(pid))
			return -1;
		if (ready(sa))
			return 0;
		poll(NULL, 0, 50);
	}
	return -1;
}

static int
bridge_ready(struct start_api *sa)
{
	return sock_accepts(sa->sock);
}

static int
web_ready(struct start_api *sa)
{
	return port_accepts(sa);
}

/* Signals pid's group, waits STOP_WAIT_MS, then SIGKILLs it. */
static void
stop(pid_t pid, int sig)
{
	int st;

	if (pid <= 0)
		return;
	kill(-pid, sig);
	kill(pid, sig);
	for (int waited = 0; waited < STOP_WAIT_MS; waited += 50) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		poll(NULL, 0, 50);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Prints the tail of the directory's FILE (a server's error log). */
static void
show_log(const struct start_api *sa, const char *file)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sa->dir, file);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "  %s: %s", file, line);
	fclose(f);
}

/* The URL and each route, as sam local start-api lists its mounts. */
static void
print_routes(const struct start_api *sa, const struct lb_config *cfg)
{
	char addr[300];

	listen_addr(sa, addr, sizeof(addr));
	printf("\nlambdabridge is serving '%s' behind %s on http://%s\n\n",
	    sa->config, sa->server, addr);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct lb_route *r = &cfg->routes[i];
		const char *fn = cfg->functions[r->function].name;

		if (r->path == NULL)
			printf("  %-7s http://%s/...  (any other request) -> "
			       "%s\n",
			    "ANY", addr, fn);
		else
			printf("  %-7s http://%s%s -> %s\n", r->method, addr,
			    r->path, fn);
	}
	if (cfg->nroutes == 0)
		printf("  (no routes: every request gets %s)\n",
		    cfg->api == LB_API_REST ? "403" : "404");
	printf("\nThe bridge's and %s's logs follow here; their files are in "
	       "%s (removed on exit).\n"
	       "Stop with Ctrl-C.\n\n",
	    sa->server, sa->dir);
	fflush(stdout);
}

/* Until a signal, or until one of the two ends; then both stop. */
static int
serve(struct start_api *sa)
{
	int rc = 0;

	while (stop_signal == 0) {
		if (!alive(sa->bridge)) {
			fprintf(stderr,
			    "lambdabridge start-api: the bridge exited\n");
			sa->bridge = 0;
			rc = 1;
			break;
		}
		if (!alive(sa->web)) {
			fprintf(stderr, "lambdabridge start-api: %s exited\n",
			    sa->server);
			sa->web = 0;
			rc = 1;
			break;
		}
		poll(NULL, 0, 200);
	}
	return rc;
}

/* Starts the bridge on the socket; as root, opens it to the server. */
static int
start_bridge(struct start_api *sa, gid_t gid)
{
	char listen[PATH_MAX + 8], self[PATH_MAX];
	char *argv[8];
	int n = 0;

	snprintf(self, sizeof(self), "%s", lb_self_exe());
	snprintf(listen, sizeof(listen), "unix:%s", sa->sock);
	argv[n++] = self;
	argv[n++] = "-c";
	argv[n++] = (char *)sa->config;
	argv[n++] = "-l";
	argv[n++] = listen;
	if (sa->watch)
		argv[n++] = "--watch";
	if (sa->verbose)
		argv[n++] = "-v";
	argv[n] = NULL;
	sa->bridge = spawn(argv);
	if (sa->bridge < 0 || wait_ready(sa, sa->bridge, bridge_ready) < 0) {
		if (stop_signal == 0)
			fprintf(stderr,
			    "lambdabridge start-api: the bridge did not "
			    "start (its error is above)\n");
		return -1;
	}
	/* the socket is 0660 (gateway.listen_mode): the server's workers,
	 * nobody when we are root, reach it through its group */
	if (geteuid() == 0 && chown(sa->sock, (uid_t)-1, gid) < 0) {
		fprintf(stderr, "lambdabridge start-api: chown '%s': %s\n",
		    sa->sock, strerror(errno));
		return -1;
	}
	return 0;
}

static int
start_web(struct start_api *sa)
{
	char conf[PATH_MAX];
	char *argv[8];
	int n = 0, nginx = strcmp(sa->server, "nginx") == 0;

	argv[n++] = sa->program;
	if (nginx) {
		snprintf(conf, sizeof(conf), "%s/nginx.conf", sa->dir);
		argv[n++] = "-p";
		argv[n++] = sa->dir;
		argv[n++] = "-c";
		argv[n++] = conf;
		argv[n++] = "-e";
		argv[n++] = "stderr";
	} else {
		snprintf(conf, sizeof(conf), "%s/httpd.conf", sa->dir);
		argv[n++] = "-d";
		argv[n++] = sa->dir;
		argv[n++] = "-f";
		argv[n++] = conf;
		argv[n++] = "-DFOREGROUND";
	}
	argv[n] = NULL;
	sa->web = spawn(argv);
	if (sa->web < 0 || wait_ready(sa, sa->web, web_ready) < 0) {
		if (stop_signal == 0) {
			fprintf(stderr,
			    "lambdabridge start-api: %s did not start on "
			    "%s port %d\n",
			    sa->server, sa->host, sa->port);
			show_log(sa, "error.log");
		}
		return -1;
	}
	return 0;
}

/* Who the servers' workers run as when we are root: nobody. */
static void
server_user(char *user, char *group, size_t len, gid_t *gid)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr;

	if (geteuid() == 0 && (pw = getpwnam("nobody")) == NULL)
		pw = getpwuid(geteuid());
	snprintf(user, len, "%s", pw != NULL ? pw->pw_name : "nobody");
	*gid = pw != NULL ? pw->pw_gid : getegid();
	gr = getgrgid(*gid);
	snprintf(group, len, "%s", gr != NULL ? gr->gr_name : "nogroup");
}

int
lb_cli_start_api(int argc, char **argv)
{
	struct start_api sa = {
		.host = "127.0.0.1", .server = "nginx", .port = 3000
	};
	struct sigaction act;
	struct lb_config *cfg;
	char err[1024], user[64], group[64];
	gid_t gid;
	int rc;

	if ((rc = parse_args(&sa, argc, argv)) >= 0)
		return rc;
	cfg = lb_config_load(sa.config, NULL, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr,
		    "%s\n(lambdabridge check -c %s lists every "
		    "error)\n",
		    err, sa.config);
		return 1;
	}
	if (check_server(&sa) < 0 || check_port(&sa) < 0) {
		lb_config_free(cfg);
		return 1;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigemptyset(&act.sa_mask);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGHUP, &act, NULL);
	snprintf(sa.dir, sizeof(sa.dir), "/tmp/lambdabridge-api.XXXXXX");
	if (mkdtemp(sa.dir) == NULL) {
		fprintf(stderr, "lambdabridge start-api: mkdtemp: %s\n",
		    strerror(errno));
		lb_config_free(cfg);
		return 1;
	}
	/* the servers' workers (nobody, when we are root) go through it */
	chmod(sa.dir, 0711);
	snprintf(sa.sock, sizeof(sa.sock), "%s/lambdabridge.sock", sa.dir);
	server_user(user, group, sizeof(user), &gid);
	rc = 1;
	if (write_confs(&sa, user, group) < 0) {
		fprintf(stderr,
		    "lambdabridge start-api: cannot write the %s "
		    "configuration in '%s'\n",
		    sa.server, sa.dir);
		goto out;
	}
	if (start_bridge(&sa, gid) < 0 || start_web(&sa) < 0)
		goto out;
	print_routes(&sa, cfg);
	rc = serve(&sa);
out:
	if (stop_signal != 0)
		fprintf(stderr, "\nlambdabridge start-api: stopping\n");
	/* the server first (nginx's graceful stop is SIGQUIT), then the
	 * bridge, which drains */
	stop(sa.web, strcmp(sa.server, "nginx") == 0 ? SIGQUIT : SIGTERM);
	stop(sa.bridge, SIGTERM);
	nftw(sa.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	lb_config_free(cfg);
	return stop_signal != 0 && rc == 0 ? 0 : rc;
}
