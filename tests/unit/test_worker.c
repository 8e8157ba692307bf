/*
 * test_worker.c - spawn.c and worker.c: lb_spawn_start (fds, environment,
 * limits, exec failures), the __probe subcommand, and a worker spoken to
 * directly over its socketpair (READY, RESULT, ERROR, INIT_ERROR, OOM,
 * EOF).  Runs the binary under test (lb_test_bin) and the test handlers;
 * every read is bounded by a socket timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lambda/frame.h"
#include "base/ids.h"
#include "test.h"
#include "lambda/spawn.h"
#include "lambda/worker.h"

void lb_test_suite_worker(void);

extern char **environ;

/* Reads fd until EOF (bounded by its receive timeout) into buf. */
static size_t
slurp(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

static int
wait_status(pid_t pid)
{
	int status = -1;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static void
set_timeout(int fd, int sec)
{
	struct timeval tv = { sec, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Runs argv with out+err captured; returns the wait status. */
static int
run(char *const *argv, char *const *envp, int fd3, char *out, size_t len)
{
	struct lb_spawn sp = { 0 };
	char err[256];
	int p[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return -1;
	set_timeout(p[0], 20);
	sp.exe = argv[0];
	sp.argv = argv;
	sp.envp = envp;
	sp.fd3 = fd3;
	sp.fd4 = -1;
	sp.out_fd = p[1];
	sp.err_fd = -1;
	pid = lb_spawn_start(&sp, err, sizeof(err));
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	slurp(p[0], out, len);
	close(p[0]);
	status = wait_status(pid);
	return status;
}

static void
test_spawn_exec_failure(void)
{
	char *argv[] = { "/nonexistent/lambdabridge", NULL };
	struct lb_spawn sp = { 0 };
	char err[256] = "";

	sp.exe = argv[0];
	sp.argv = argv;
	sp.envp = environ;
	sp.fd3 = sp.fd4 = -1;
	sp.out_fd = -1;
	sp.err_fd = -1;
	CU_ASSERT_EQUAL(lb_spawn_start(&sp, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "execve"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

/* The child sees exactly fds 0-3, its own environment and no core dumps. */
static void
test_spawn_fds_env_limits(void)
{
	char *argv[] = { "/bin/sh", "-c",
		"echo X=$X; ulimit -c; ls /proc/self/fd | tr '\\n' ' '", NULL };
	char *envp[] = { "X=42", "PATH=/usr/bin:/bin", NULL };
	char out[1024];
	int sv[2], stray, status;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	/* a descriptor without close-on-exec that must not leak */
	stray = fcntl(sv[1], F_DUPFD, 50);
	CU_ASSERT_FATAL(stray >= 50);
	status = run(argv, envp, sv[0], out, sizeof(out));
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "X=42\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n0\n"));
	/* ls lists 0 1 2 3 and the directory it reads (4) */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "0 1 2 3 "));
	CU_ASSERT_PTR_NULL(strstr(out, "50"));
	CU_ASSERT_PTR_NULL(strstr(out, " 5 "));
	close(stray);
	close(sv[0]);
	close(sv[1]);
}

static int
probe(const char *module, const char *symbol, char *out, size_t len)
{
	char path[512];
	char *argv[] = { (char *)lb_test_bin(), "__probe", path, (char *)symbol,
		NULL };
	int status;

	lb_test_build_path(module, path, sizeof(path));
	status = run(argv, environ, -1, out, len);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static void
test_probe(void)
{
	char out[1024];

	CU_ASSERT_EQUAL(
	    probe("tests/handlers/sleep.so", "sleep_handler", out, 1024), 0);
	CU_ASSERT_EQUAL(probe("tests/handlers/sleep.so", "nope", out, 1024), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "does not export 'nope'"));
	CU_ASSERT_EQUAL(
	    probe("tests/handlers/noabi.so", "noabi_handler", out, 1024), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "lb_abi_version"));
	CU_ASSERT_EQUAL(
	    probe("tests/handlers/badabi.so", "badabi_handler", out, 1024), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ABI 999"));
	CU_ASSERT_EQUAL(probe("tests/handlers/missing.so", "x", out, 1024), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "cannot load"));
	/* a data symbol is no handler; an IFUNC is */
	CU_ASSERT_EQUAL(
	    probe("tests/handlers/notfn.so", "notfn_data", out, 1024), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "handler 'notfn_data' in '"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "notfn.so' is not a function"));
	CU_ASSERT_EQUAL(
	    probe("tests/handlers/notfn.so", "notfn_counter", out, 1024), 1);
	CU_ASSERT_EQUAL(
	    probe("tests/handlers/notfn.so", "notfn_ifunc", out, 1024), 0);
	CU_ASSERT_EQUAL(
	    probe("tests/handlers/notfn.so", "notfn_handler", out, 1024), 0);
}

/* Sends an fd of the file at `path` over sock, as the gateway passes a
 * pinned module; 0 or -1. */
static int
send_fd(int sock, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = lb_frame_send_fd(sock, fd);
	close(fd);
	return rc;
}

static int
wk_start(struct lb_test_worker *w, const char *module, const char *symbol,
    const char *memory)
{
	char path[512], ver[16];
	char *argv[4 + LB_WARG_COUNT];

	lb_test_build_path(module, path, sizeof(path));
	lb_test_worker_argv(argv, ver, path, symbol, memory);
	if (lb_test_worker_spawn(w, argv) < 0)
		return -1;
	/* the module, as the gateway passes its pinned copy */
	if (send_fd(w->fd, path) < 0)
		return -1;
	w->seq = 1000;
	return 0;
}

static int
wk_invoke(struct lb_test_worker *w, const char *rid, const char *event)
{
	int rc;

	if (lb_test_worker_send(
	        w, rid, event, lb_now_ms() + 10000, "Root=1-test") < 0)
		return -1;
	rc = lb_test_worker_read(w);
	/* every reply carries its INVOKE's sequence number */
	if (rc > 0)
		CU_ASSERT_EQUAL(w->r.meta.seq, w->seq);
	return rc;
}

/*
 * Whether worker `pid` holds its channel only on close-on-exec descriptors
 * of 1000 and more: fd 3 and 4 are closed, and nothing between 5 and 999
 * but what the worker opened itself (not sockets or pipes).
 */
static int
channel_hidden(pid_t pid)
{
	char path[64], line[256];
	int high = 0;

	for (int fd = 3; fd < 1100; fd++) {
		char target[64];
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "socket:", 7) != 0 &&
		    strncmp(target, "pipe:", 5) != 0)
			continue;
		if (fd < 1000)
			return 0;
		snprintf(
		    path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
		f = fopen(path, "r");
		if (f == NULL)
			return 0;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "flags:", 6) == 0 &&
			    (strtoul(line + 6, NULL, 8) & O_CLOEXEC))
				high++;
		fclose(f);
	}
	return high == 2;
}

static void
test_worker_session(void)
{
	struct lb_test_worker w;
	int status;

	CU_ASSERT_FATAL(
	    wk_start(&w, "tests/handlers/env.so", "env_handler", "256") == 0);
	CU_ASSERT_EQUAL_FATAL(lb_test_worker_read(&w), LB_FRAME_READY);
	CU_ASSERT(w.r.meta.maxrss_kb > 0);
	CU_ASSERT_EQUAL(w.r.meta.seq, 0);
	CU_ASSERT(channel_hidden(w.pid));
	CU_ASSERT_EQUAL(wk_invoke(&w, "rid-1", "{\"x\":1}"), LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(w.r.body[w.r.body_len], '\0');
	{
		json_object *res = json_tokener_parse(w.r.body), *body = NULL,
		            *ctx, *v;
		json_object *text = NULL;

		if (res != NULL &&
		    json_object_object_get_ex(res, "body", &text))
			body = json_tokener_parse(json_object_get_string(text));
		CU_ASSERT_PTR_NOT_NULL(body);
		CU_ASSERT(json_object_object_get_ex(body, "context", &ctx));
		CU_ASSERT(
		    json_object_object_get_ex(ctx, "aws_request_id", &v) &&
		    strcmp(json_object_get_string(v), "rid-1") == 0);
		CU_ASSERT(
		    json_object_object_get_ex(ctx, "memory_limit_in_mb", &v) &&
		    json_object_get_int(v) == 256);
		CU_ASSERT(json_object_object_get_ex(body, "trace_id", &v) &&
		    strcmp(json_object_get_string(v), "Root=1-test") == 0);
		CU_ASSERT(json_object_object_get_ex(body, "remaining_ms", &v) &&
		    json_object_get_int64(v) > 0 &&
		    json_object_get_int64(v) <= 10000);
		json_object_put(body);
		json_object_put(res);
	}
	/* an event that is not JSON is an error, and the worker lives on */
	CU_ASSERT_EQUAL(wk_invoke(&w, "rid-2", "{\"x\":"), LB_FRAME_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "Runtime.InvalidEvent");
	CU_ASSERT_EQUAL(wk_invoke(&w, "rid-3", "{}"), LB_FRAME_RESULT);
	status = lb_test_worker_stop(&w);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_worker_errors(void)
{
	struct lb_test_worker w;
	int status;

	CU_ASSERT_FATAL(wk_start(&w, "tests/handlers/error.so", "error_handler",
	                    "128") == 0);
	CU_ASSERT_EQUAL_FATAL(lb_test_worker_read(&w), LB_FRAME_READY);
	CU_ASSERT_EQUAL(wk_invoke(&w, "r1", "{}"), LB_FRAME_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "ValidationError");
	CU_ASSERT_STRING_EQUAL(lb_test_worker_member(&w, "errorMessage"),
	    "bad request 'r1' (\"quoted\")");
	CU_ASSERT_EQUAL(wk_invoke(&w, "r2",
	                    "{\"queryStringParameters\":{\"mode\":\"null\"}}"),
	    LB_FRAME_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "Runtime.HandlerError");
	/* the previous invocation's lb_error does not leak into this one */
	CU_ASSERT_EQUAL(
	    wk_invoke(
	        &w, "r3", "{\"queryStringParameters\":{\"mode\":\"ignored\"}}"),
	    LB_FRAME_RESULT);
	status = lb_test_worker_stop(&w);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* lb_init fails: INIT_ERROR, then exit */
	CU_ASSERT_FATAL(wk_start(&w, "tests/handlers/initfail.so",
	                    "initfail_handler", "128") == 0);
	CU_ASSERT_EQUAL(lb_test_worker_read(&w), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "Runtime.InitError");
	CU_ASSERT_EQUAL(lb_test_worker_read(&w), LB_FRAME_EOF);
	status = lb_test_worker_stop(&w);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) != 0);

	/* a missing symbol */
	CU_ASSERT_FATAL(
	    wk_start(&w, "tests/handlers/error.so", "nope", "128") == 0);
	CU_ASSERT_EQUAL(lb_test_worker_read(&w), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "Runtime.HandlerNotFound");
	lb_test_worker_stop(&w);

	/* a data symbol: refused at load, nothing is called */
	CU_ASSERT_FATAL(
	    wk_start(&w, "tests/handlers/notfn.so", "notfn_data", "128") == 0);
	CU_ASSERT_EQUAL(lb_test_worker_read(&w), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "Runtime.HandlerNotFound");
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    lb_test_worker_member(&w, "errorMessage"), "is not a function"));
	lb_test_worker_stop(&w);
	CU_ASSERT_FATAL(
	    wk_start(&w, "tests/handlers/notfn.so", "notfn_ifunc", "128") == 0);
	CU_ASSERT_EQUAL_FATAL(lb_test_worker_read(&w), LB_FRAME_READY);
	CU_ASSERT_EQUAL(wk_invoke(&w, "r5", "{}"), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(w.r.body, "2");
	lb_test_worker_stop(&w);

	/* a result over 6 MB */
	CU_ASSERT_FATAL(
	    wk_start(&w, "tests/handlers/big.so", "big_handler", "128") == 0);
	CU_ASSERT_EQUAL_FATAL(lb_test_worker_read(&w), LB_FRAME_READY);
	CU_ASSERT_EQUAL(wk_invoke(&w, "r4", "{}"), LB_FRAME_ERROR);
	CU_ASSERT_STRING_EQUAL(lb_test_worker_member(&w, "errorType"),
	    "Function.ResponseSizeTooLarge");
	lb_test_worker_stop(&w);
}

static void
test_worker_crash_and_oom(void)
{
	struct lb_test_worker w;
	int status;

	CU_ASSERT_FATAL(wk_start(&w, "tests/handlers/crash.so", "crash_handler",
	                    "128") == 0);
	CU_ASSERT_EQUAL_FATAL(lb_test_worker_read(&w), LB_FRAME_READY);
	CU_ASSERT_EQUAL(wk_invoke(&w, "r1",
	                    "{\"queryStringParameters\":{\"how\":\"exit\"}}"),
	    LB_FRAME_EOF);
	status = lb_test_worker_stop(&w);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 3);

	/* no RLIMIT_AS under ASan: the leak would take the machine */
	if (strstr(lb_test_bin(), "asan") != NULL)
		return;
	CU_ASSERT_FATAL(
	    wk_start(&w, "tests/handlers/leak.so", "leak_handler", "128") == 0);
	CU_ASSERT_EQUAL_FATAL(lb_test_worker_read(&w), LB_FRAME_READY);
	/* 64 MB fit in 128 MB; then allocating until failure is an OOM */
	CU_ASSERT_EQUAL(
	    wk_invoke(&w, "r1", "{\"queryStringParameters\":{\"mb\":\"64\"}}"),
	    LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(wk_invoke(&w, "r2", "{}"), LB_FRAME_OOM);
	CU_ASSERT_STRING_EQUAL(
	    lb_test_worker_member(&w, "errorType"), "Runtime.OutOfMemory");
	CU_ASSERT(w.r.meta.maxrss_kb > 100 * 1024);
	CU_ASSERT(w.r.meta.maxrss_kb < 256 * 1024);
	status = lb_test_worker_stop(&w);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 137);
}

void
lb_test_suite_worker(void)
{
	static CU_TestInfo tests[] = {
		{ "spawn exec failure", test_spawn_exec_failure },
		{ "spawn fds, environment, limits", test_spawn_fds_env_limits },
		{ "probe", test_probe },
		{ "worker session", test_worker_session },
		{ "worker errors", test_worker_errors },
		{ "worker crash and oom", test_worker_crash_and_oom },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("worker", tests);
}
