/*
 * hello_fcgi.c - the baseline of `make bench`: the smallest libfcgi program
 * that does what the bench asks of lambdabridge, in its best configuration
 * (docs/fastcgi-facts.md section 1, case b7: N threads on FCGX_Accept_r, no
 * accept mutex, behind nginx with fastcgi_keep_conn).
 *
 *   hello_fcgi -l unix:/path/to.sock [-t THREADS]
 *   hello_fcgi -l 127.0.0.1:9000 [-t THREADS]
 *
 * GET /hello answers "hello"; /echo (and /echo/...) answers the request body
 * as application/octet-stream; anything else is 404.  Every request's body
 * is read to its end before FCGX_Finish_r so that kept connections stay in
 * step (docs/fastcgi-facts.md section 3).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define DEFAULT_THREADS 64
#define MAX_THREADS     1024
#define MAX_BODY        (16 * 1024 * 1024)

struct body {
	char *data;
	size_t len;
	size_t cap;
};

static int listen_fd = -1;

static void
on_term(int sig)
{
	(void)sig;
	_exit(0);
}

/*
 * Reads FCGI_STDIN to its end.  With `keep`, the first MAX_BODY bytes are
 * kept in `b` (the rest is read and dropped); without, everything is dropped.
 */
static int
read_body(FCGX_Stream *in, struct body *b, int keep)
{
	char scratch[16384];
	char *dst;
	size_t room;
	int n;

	b->len = 0;
	for (;;) {
		if (keep && b->cap - b->len < 4096 && b->cap < MAX_BODY) {
			size_t ncap = b->cap == 0 ? 65536 : b->cap * 2;
			char *p = realloc(b->data, ncap);

			if (p == NULL)
				return -1;
			b->data = p;
			b->cap = ncap;
		}
		if (keep && b->cap > b->len) {
			dst = b->data + b->len;
			room = b->cap - b->len;
		} else {
			dst = scratch;
			room = sizeof(scratch);
		}
		n = FCGX_GetStr(dst, (int)room, in);
		if (n <= 0)
			break;
		if (dst != scratch)
			b->len += (size_t)n;
	}
	return FCGX_GetError(in) == 0 ? 0 : -1;
}

static int
path_is(const char *uri, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(uri, prefix, n) != 0)
		return 0;
	return uri[n] == '\0' || uri[n] == '?' || uri[n] == '/';
}

static void
serve(FCGX_Request *r, struct body *b)
{
	const char *uri = FCGX_GetParam("REQUEST_URI", r->envp);
	char head[128];
	int n;

	if (uri == NULL)
		uri = "/";
	if (path_is(uri, "/echo")) {
		if (read_body(r->in, b, 1) < 0) {
			FCGX_PutS("Status: 400 Bad Request\r\n"
			          "Content-Type: text/plain\r\n\r\nbad body\n",
			    r->out);
			return;
		}
		/* FCGX_FPrintF has its own formatter (no %zu): format here */
		n = snprintf(head, sizeof(head),
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Length: %zu\r\n\r\n",
		    b->len);
		FCGX_PutStr(head, n, r->out);
		if (b->len > 0)
			FCGX_PutStr(b->data, (int)b->len, r->out);
		return;
	}
	read_body(r->in, b, 0);
	if (path_is(uri, "/hello"))
		FCGX_PutS("Content-Type: text/plain\r\n"
		          "Content-Length: 5\r\n\r\nhello",
		    r->out);
	else
		FCGX_PutS("Status: 404 Not Found\r\n"
		          "Content-Type: text/plain\r\n"
		          "Content-Length: 10\r\n\r\nnot found\n",
		    r->out);
}

static void *
worker(void *arg)
{
	FCGX_Request r;
	struct body b = { NULL, 0, 0 };

	(void)arg;
	if (FCGX_InitRequest(&r, listen_fd, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&r) >= 0) {
		serve(&r, &b);
		FCGX_Finish_r(&r);
	}
	free(b.data);
	return NULL;
}

static int
open_listen(const char *addr)
{
	if (strncmp(addr, "unix:", 5) == 0) {
		addr += 5;
		if (unlink(addr) < 0 && errno != ENOENT)
			return -1;
	}
	return FCGX_OpenSocket(addr, 1024);
}

int
main(int argc, char **argv)
{
	const char *addr = NULL;
	pthread_t *tids;
	struct sigaction sa;
	int c, i, nthreads = DEFAULT_THREADS;

	while ((c = getopt(argc, argv, "l:t:")) != -1) {
		switch (c) {
		case 'l': addr = optarg; break;
		case 't': nthreads = atoi(optarg); break;
		default:
			addr = NULL;
			optind = argc + 1;
			break;
		}
	}
	if (addr == NULL || optind != argc || nthreads < 1 ||
	    nthreads > MAX_THREADS) {
		fprintf(stderr,
		    "usage: hello_fcgi -l unix:/path|host:port [-t THREADS]\n");
		return 2;
	}
	/* Before FCGX_Init, so libfcgi leaves SIGTERM/SIGINT to us. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (FCGX_Init() != 0) {
		fprintf(stderr, "hello_fcgi: FCGX_Init failed\n");
		return 1;
	}
	listen_fd = open_listen(addr);
	if (listen_fd < 0) {
		fprintf(stderr, "hello_fcgi: cannot listen on '%s': %s\n", addr,
		    strerror(errno));
		return 1;
	}
	tids = calloc((size_t)nthreads, sizeof(*tids));
	if (tids == NULL)
		return 1;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
			fprintf(
			    stderr, "hello_fcgi: cannot start thread %d\n", i);
			return 1;
		}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}
