/*
 * fcgi.c - the FastCGI side of the gateway (the only file that includes
 * fcgiapp.h).
 *
 * A fixed set of request threads each loops on FCGX_Accept_r (concurrent
 * accept() needs no lock on Linux; FASTCGI.md section 3).  Every param is
 * walked (nginx repeats HTTP_* params for repeated headers), the body is read
 * to the end of FCGI_STDIN whatever CONTENT_LENGTH says, and always drained
 * so that a kept connection stays in sync.
 *
 * Shutdown: lb_fcgi_stop() shuts the listening socket down, which makes
 * accept() fail in every thread, waits for the requests in progress, and
 * marks the server closed.  Threads idle on a connection nginx keeps open are
 * not joined: a request that still arrives on one is answered 503 without
 * touching the gateway, and the process exit closes the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fcgi.h"
#include "fmt.h"
#include "log.h"

extern char **environ;

/* Buffers a thread keeps across requests; shrunk after a large request. */
struct lb_fcgi_scratch {
	struct lb_param *params;
	size_t cap_params;
	char *body;
	size_t cap_body;
	char *head; /* response header block */
	size_t cap_head;
	char *after_log; /* the response's log lines, written after it */
};

#define SCRATCH_KEEP (256 * 1024)

struct lb_fcgi_state {
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int busy;   /* requests being handled */
	int closed; /* no request may enter the handler any more */
	int nthreads;
	pthread_t *tids;
};

/* Parses "host:port" or "[v6]:port" and binds a TCP socket. */
static int
listen_tcp(const char *addr, char *err, size_t errlen)
{
	char host[256];
	const char *port, *colon;
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1, rc;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "bad listen address '%s'", addr);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - addr - 1),
		    addr + 1);
		port = close + 2;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL) {
			snprintf(err, errlen,
			    "bad listen address '%s': want unix:/path or "
			    "host:port",
			    addr);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		port = colon + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", addr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		snprintf(err, errlen, "cannot listen on '%s': %s", addr,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* replace a stale socket, never another kind of file */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
			    "cannot listen on '%s': exists and is not a socket",
			    path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 1024) < 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	/* the web server usually runs as another user */
	chmod(path, 0666);
	return fd;
}

int
lb_fcgi_listen(const char *addr, char *err, size_t errlen)
{
	const char *lfds = getenv("LISTEN_FDS");
	const char *lpid = getenv("LISTEN_PID");
	int acc = 0, fd;
	socklen_t len = sizeof(acc);

	if (addr != NULL && strncmp(addr, "unix:", 5) == 0)
		return listen_unix(addr + 5, err, errlen);
	if (addr != NULL)
		return listen_tcp(addr, err, errlen);
	/* inherited: systemd socket activation passes fd 3, spawn-fcgi fd 0 */
	fd = 0;
	if (lfds != NULL && lpid != NULL && atoi(lfds) >= 1 &&
	    (pid_t)atol(lpid) == getpid())
		fd = 3;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc) {
		snprintf(err, errlen,
		    "no listen address (gateway.listen or -l) and fd %d is "
		    "not a listening socket",
		    fd);
		return -1;
	}
	return fd;
}

int
lb_fcgi_is_cgi(void)
{
	return FCGX_IsCGI();
}

/*
 * Splits each "NAME=value" of envp in place (libfcgi frees the strings
 * whole, so writing a NUL over '=' is safe) into scratch->params.
 */
static int
collect_params(struct lb_fcgi_scratch *sc, char **envp, size_t *n)
{
	size_t count = 0;

	for (char **e = envp; *e != NULL; e++)
		count++;
	if (count > sc->cap_params) {
		struct lb_param *p = realloc(sc->params, count * sizeof(*p));

		if (p == NULL)
			return -1;
		sc->params = p;
		sc->cap_params = count;
	}
	*n = 0;
	for (char **e = envp; *e != NULL; e++) {
		char *eq = strchr(*e, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		sc->params[*n].name = *e;
		sc->params[*n].value = eq + 1;
		(*n)++;
	}
	return 0;
}

static const char *
find_param(const struct lb_param *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

/* Reads the body through `get` until EOF; keeps at most `max` bytes. */
typedef int lb_fcgi_reader(void *src, char *buf, int n);

static int
read_body(struct lb_fcgi_scratch *sc, lb_fcgi_reader *get, void *src,
    const char *clen, size_t max, size_t *len, int *too_large)
{
	char trash[16384];
	size_t want = 0;

	*len = 0;
	*too_large = 0;
	if (clen != NULL && *clen != '\0')
		want = strtoull(clen, NULL, 10);
	if (want > max) {
		*too_large = 1;
		want = 0;
	}
	for (;;) {
		char *dst;
		size_t room;
		int r;

		if (*too_large) {
			dst = trash;
			room = sizeof(trash);
		} else {
			if (sc->cap_body - *len < 4096 || want > sc->cap_body) {
				size_t cap =
				    sc->cap_body ? sc->cap_body * 2 : 16384;
				char *b;

				while (cap < want + 1)
					cap *= 2;
				if (cap > max + 4096)
					cap = max + 4096;
				if (cap <= sc->cap_body)
					cap = sc->cap_body + 4096;
				b = realloc(sc->body, cap);
				if (b == NULL)
					return -1;
				sc->body = b;
				sc->cap_body = cap;
			}
			dst = sc->body + *len;
			room = sc->cap_body - *len - 1;
		}
		r = get(src, dst, room > 1 << 20 ? 1 << 20 : (int)room);
		if (r <= 0)
			break;
		if (*too_large)
			continue;
		*len += (size_t)r;
		if (*len > max) {
			*too_large = 1;
			*len = 0;
		}
	}
	if (!*too_large && sc->body != NULL)
		sc->body[*len] = '\0';
	if (*too_large)
		*len = 0;
	return 0;
}

static int
fcgx_reader(void *src, char *buf, int n)
{
	return FCGX_GetStr(buf, n, (FCGX_Stream *)src);
}

static int
stdin_reader(void *src, char *buf, int n)
{
	ssize_t r;

	(void)src;
	do {
		r = read(STDIN_FILENO, buf, (size_t)n);
	} while (r < 0 && errno == EINTR);
	return (int)r;
}

/*
 * Formats the CGI response head ("Status: 200 OK" and the headers) into
 * scratch->head.  Header values are written verbatim: response.c has
 * already rejected CR/LF.  Returns its length, or -1.
 */
static long
format_head(struct lb_fcgi_scratch *sc, const struct lb_http_response *resp)
{
	size_t need = 64, off;
	int status = resp->status ? resp->status : 500;
	struct lb_fmt f;

	for (size_t i = 0; i < resp->nheaders; i++)
		need += strlen(resp->headers[i].name) +
		    strlen(resp->headers[i].value) + 4;
	need += 32;
	if (need > sc->cap_head) {
		char *h = realloc(sc->head, need);

		if (h == NULL)
			return -1;
		sc->head = h;
		sc->cap_head = need;
	}
	lb_fmt_init(&f, sc->head, sc->cap_head);
	lb_fmt_str(&f, "Status: ");
	lb_fmt_i64(&f, status);
	lb_fmt_str(&f, " ");
	lb_fmt_str(&f, lb_http_reason(status));
	lb_fmt_str(&f, "\r\n");
	for (size_t i = 0; i < resp->nheaders; i++) {
		lb_fmt_str(&f, resp->headers[i].name);
		lb_fmt_str(&f, ": ");
		lb_fmt_str(&f, resp->headers[i].value);
		lb_fmt_str(&f, "\r\n");
	}
	/* always say how long the body is, so keep-alive needs no chunking */
	lb_fmt_str(&f, "Content-Length: ");
	lb_fmt_u64(&f, resp->body_len);
	lb_fmt_str(&f, "\r\n\r\n");
	off = lb_fmt_done(&f, sc->head);
	return (long)off;
}

static void
scratch_trim(struct lb_fcgi_scratch *sc)
{
	if (sc->cap_body > SCRATCH_KEEP) {
		free(sc->body);
		sc->body = NULL;
		sc->cap_body = 0;
	}
	if (sc->cap_head > SCRATCH_KEEP) {
		free(sc->head);
		sc->head = NULL;
		sc->cap_head = 0;
	}
}

static void
scratch_free(struct lb_fcgi_scratch *sc)
{
	free(sc->params);
	free(sc->body);
	free(sc->head);
}

static const char busy_response[] = "Status: 503 Service Unavailable\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 33\r\n\r\n"
                                    "{\"message\":\"Service Unavailable\"}";

/* Handles one accepted FastCGI request. */
static void
serve_one(
    struct lb_fcgi_server *srv, struct lb_fcgi_scratch *sc, FCGX_Request *fr)
{
	struct lb_http_request req;
	struct lb_http_response resp;
	size_t nparams = 0, body_len = 0;
	int too_large = 0;
	char trash[4096];
	long head;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	if (collect_params(sc, fr->envp, &nparams) < 0)
		goto oom;
	req.params = sc->params;
	req.nparams = nparams;
	req.method = find_param(sc->params, nparams, "REQUEST_METHOD");
	if (req.method == NULL)
		req.method = "";
	req.uri = find_param(sc->params, nparams, "REQUEST_URI");
	if (req.uri == NULL)
		req.uri = "";
	if (read_body(sc, fcgx_reader, fr->in,
	        find_param(sc->params, nparams, "CONTENT_LENGTH"),
	        __atomic_load_n(&srv->max_body, __ATOMIC_RELAXED), &body_len,
	        &too_large) < 0)
		goto oom;
	req.body = body_len > 0 ? sc->body : "";
	req.body_len = body_len;
	srv->handler(srv->arg, &req, too_large, &resp);
	head = format_head(sc, &resp);
	if (head < 0) {
		lb_http_response_clear(&resp);
		goto oom;
	}
	if (FCGX_PutStr(sc->head, (int)head, fr->out) < 0 ||
	    (resp.body_len > 0 &&
	        FCGX_PutStr(resp.body, (int)resp.body_len, fr->out) < 0))
		lb_log(LB_LOG_DEBUG,
		    "client went away before the response "
		    "was written: %s",
		    strerror(FCGX_GetError(fr->out)));
	sc->after_log = resp.log;
	resp.log = NULL;
	lb_http_response_clear(&resp);
	return;
oom:
	/* drain so that a kept connection stays usable */
	while (FCGX_GetStr(trash, (int)sizeof(trash), fr->in) > 0)
		;
	FCGX_PutStr(busy_response, (int)sizeof(busy_response) - 1, fr->out);
}

static void *
request_thread(void *p)
{
	struct lb_fcgi_server *srv = p;
	struct lb_fcgi_state *st = srv->threads_state;
	struct lb_fcgi_scratch sc;
	FCGX_Request fr;

	memset(&sc, 0, sizeof(sc));
	if (FCGX_InitRequest(&fr, srv->fd, 0) != 0) {
		lb_log(LB_LOG_ERROR, "FCGX_InitRequest failed");
		return NULL;
	}
	for (;;) {
		int closed;

		if (FCGX_Accept_r(&fr) < 0) {
			pthread_mutex_lock(&st->mu);
			closed = st->closed;
			pthread_mutex_unlock(&st->mu);
			if (closed)
				break;
			/* a transient accept failure: do not spin */
			usleep(10 * 1000);
			continue;
		}
		pthread_mutex_lock(&st->mu);
		closed = st->closed;
		if (!closed)
			st->busy++;
		pthread_mutex_unlock(&st->mu);
		if (closed) {
			FCGX_PutStr(busy_response,
			    (int)sizeof(busy_response) - 1, fr.out);
			FCGX_Finish_r(&fr);
			continue;
		}
		serve_one(srv, &sc, &fr);
		FCGX_Finish_r(&fr);
		/* the access line and END/REPORT: off the response's path */
		if (sc.after_log != NULL) {
			lb_log_raw(sc.after_log);
			free(sc.after_log);
			sc.after_log = NULL;
		}
		scratch_trim(&sc);
		pthread_mutex_lock(&st->mu);
		if (--st->busy == 0)
			pthread_cond_broadcast(&st->idle);
		pthread_mutex_unlock(&st->mu);
	}
	FCGX_Free(&fr, 1);
	scratch_free(&sc);
	return NULL;
}

int
lb_fcgi_start(struct lb_fcgi_server *srv)
{
	struct lb_fcgi_state *st;
	pthread_attr_t attr;

	if (FCGX_Init() != 0) {
		lb_log(LB_LOG_ERROR, "FCGX_Init failed");
		return -1;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -1;
	st->tids = calloc((size_t)srv->threads, sizeof(*st->tids));
	if (st->tids == NULL) {
		free(st);
		return -1;
	}
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->idle, NULL);
	srv->threads_state = st;
	pthread_attr_init(&attr);
	/* request threads need little stack: the work happens in workers */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* never joined: lb_fcgi_stop waits for the busy ones, and threads
	 * parked on kept connections end with the process */
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < srv->threads; i++) {
		if (pthread_create(&st->tids[i], &attr, request_thread, srv) !=
		    0) {
			lb_log(LB_LOG_WARN, "started only %d of %d threads", i,
			    srv->threads);
			break;
		}
		st->nthreads++;
	}
	pthread_attr_destroy(&attr);
	return st->nthreads > 0 ? 0 : -1;
}

void
lb_fcgi_stop(struct lb_fcgi_server *srv)
{
	struct lb_fcgi_state *st = srv->threads_state;

	if (st == NULL)
		return;
	/* accept() fails with EINVAL in every thread from now on */
	shutdown(srv->fd, SHUT_RDWR);
	pthread_mutex_lock(&st->mu);
	while (st->busy > 0)
		pthread_cond_wait(&st->idle, &st->mu);
	st->closed = 1;
	pthread_mutex_unlock(&st->mu);
	/*
	 * Threads blocked on kept connections stay; they never enter the
	 * handler again.  The state is deliberately not freed for them.
	 */
}

static int
cgi_write(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDOUT_FILENO, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
lb_fcgi_serve_cgi(struct lb_fcgi_server *srv)
{
	struct lb_fcgi_scratch sc;
	struct lb_http_request req;
	struct lb_http_response resp;
	size_t n = 0, body_len = 0;
	int too_large = 0, rc = -1;
	long head;
	char **env = NULL;

	memset(&sc, 0, sizeof(sc));
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	/* work on copies: collect_params writes into the strings */
	for (char **e = environ; *e != NULL; e++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (env == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((env[i] = strdup(environ[i])) == NULL)
			goto out;
	if (collect_params(&sc, env, &n) < 0)
		goto out;
	req.params = sc.params;
	req.nparams = n;
	req.method = find_param(sc.params, n, "REQUEST_METHOD");
	if (req.method == NULL)
		req.method = "";
	req.uri = find_param(sc.params, n, "REQUEST_URI");
	if (req.uri == NULL)
		req.uri = "";
	if (read_body(&sc, stdin_reader, NULL,
	        find_param(sc.params, n, "CONTENT_LENGTH"), srv->max_body,
	        &body_len, &too_large) < 0)
		goto out;
	req.body = body_len > 0 ? sc.body : "";
	req.body_len = body_len;
	srv->handler(srv->arg, &req, too_large, &resp);
	head = format_head(&sc, &resp);
	if (head >= 0 && cgi_write(sc.head, (size_t)head) == 0 &&
	    cgi_write(resp.body != NULL ? resp.body : "", resp.body_len) == 0)
		rc = 0;
	if (resp.log != NULL)
		lb_log_raw(resp.log);
	lb_http_response_clear(&resp);
out:
	if (env != NULL)
		for (size_t i = 0; env[i] != NULL; i++)
			free(env[i]);
	free(env);
	scratch_free(&sc);
	return rc;
}
