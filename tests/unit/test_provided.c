/*
 * test_provided.c - provided.c: a `lambdabridge __worker` of a provided
 * runtime spoken to over its socketpair, with bootstraps written as AWS's
 * tutorial writes them (/bin/sh and curl): READY at the first `next`, the
 * event and its headers, RESULT and ERROR with their sequence, the settling
 * READY, init/error, exits mirrored, a missing bootstrap, chunked and
 * keep-alive requests, pipelined ones (a python3 runtime), the answers to
 * bad requests, the memory limit.
 * Every read is bounded by a socket timeout, every curl by --max-time.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/ids.h"
#include "lambda/frame.h"
#include "lambda/worker.h"
#include "test.h"

void lb_test_suite_provided(void);

#define ARN "arn:aws:lambda:us-east-1:0:function:pv"

/*
 * The bootstrap most tests run: the tutorial's loop, with what it does
 * chosen by the event.  "keepalive" answers and asks for the next event in
 * one curl (one connection: num_connects 0), "bad" makes every bad request
 * and answers with the statuses it got.
 */
static const char bootstrap[] =
    "#!/bin/sh\n"
    "R=http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\n"
    "C='curl -sS --max-time 20'\n"
    "have=0\n"
    "while :; do\n"
    "  [ $have = 1 ] || $C -D h -o ev \"$R/invocation/next\" || exit 9\n"
    "  have=0\n"
    "  id=$(grep -i '^lambda-runtime-aws-request-id:' h | tr -d '\\r' |"
    " cut -d' ' -f2)\n"
    "  case \"$(cat ev)\" in\n"
    "  *'\"exit\"'*) exit 3 ;;\n"
    "  *'\"kill\"'*) kill -9 $$ ;;\n"
    "  *'\"error\"'*) $C -o /dev/null"
    " -H 'Lambda-Runtime-Function-Error-Type: Runtime.Custom'"
    " -d '{\"errorMessage\":\"boom\",\"stackTrace\":[\"a\"]}'"
    " \"$R/invocation/$id/error\" ;;\n"
    "  *'\"chunked\"'*) $C -o /dev/null -H 'Transfer-Encoding: chunked'"
    " --data-binary @ev \"$R/invocation/$id/response\" ;;\n"
    "  *'\"headers\"'*) { tr -d '\\r' < h; pwd; } > hh;"
    " $C -o /dev/null --data-binary @hh \"$R/invocation/$id/response\" ;;\n"
    "  *'\"keepalive\"'*) $C -o /dev/null --data-binary @ev"
    " \"$R/invocation/$id/response\" --next -sS --max-time 20"
    " -w '%{num_connects}' -D h -o ev \"$R/invocation/next\" > nc;"
    " have=1 ;;\n"
    "  *'\"report\"'*) $C -o /dev/null --data-binary @nc"
    " \"$R/invocation/$id/response\" ;;\n"
    "  *'\"bad\"'*)\n"
    "    W='-o out -w %{http_code}'\n"
    "    a=$($C $W -d x \"$R/invocation/nope/response\")$(cat out)\n"
    "    b=$($C $W \"$R/foo\")\n"
    "    c=$($C $W -d x \"$R/invocation/next\")\n"
    "    d=$($C $W -D h2 \"$R/invocation/next\")\n"
    "    d2=$(grep -ic \"^lambda-runtime-aws-request-id: $id\" h2)\n"
    "    e=$($C $W -d '{}' \"$R/init/error\")$(cat out)\n"
    "    f=$($C $W -H 'Expect:' --data-binary @big"
    " \"$R/invocation/$id/response\")$(cat out)\n"
    "    g=$($C $W -d again \"$R/invocation/$id/response\")$(cat out)\n"
    "    printf '%s|' \"$a\" \"$b\" \"$c\" \"$d$d2\" \"$e\" \"$f\" \"$g\""
    " > nc ;;\n"
    "  *'\"big\"'*) $C -o /dev/null --data-binary @big"
    " \"$R/invocation/$id/response\" ;;\n"
    "  *'\"oom\"'*) exec python3 -c 'import time; x = b\"x\" * (200 << 20);"
    " time.sleep(20)' ;;\n"
    "  *) $C -o /dev/null --data-binary @ev"
    " \"$R/invocation/$id/response\" ;;\n"
    "  esac\n"
    "done\n";

/* A provided worker, and the directory of its bootstrap. */
struct pv {
	struct lb_test_worker w;
	char dir[64];
};

/* Writes dir/name with `text` and mode; 0 or -1. */
static int
put_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

/*
 * Starts a provided worker in a new directory holding `script` as its
 * bootstrap (NULL: none) with `mode`, running `exe` (relative to the
 * directory).
 */
static int
pv_start(struct pv *p, const char *script, mode_t mode, const char *exe,
    const char *mem)
{
	char ver[16], path[128];
	char *argv[4 + LB_WARG_COUNT];

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/lb-provided-XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return -1;
	if (script != NULL && put_file(p->dir, "bootstrap", script, mode) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", p->dir, exe);
	lb_test_worker_argv(argv, ver, "", "x.handler", mem);
	argv[2 + LB_WARG_ARN] = ARN;
	argv[2 + LB_WARG_RUNTIME] = "provided";
	argv[2 + LB_WARG_CODE_DIR] = p->dir;
	argv[2 + LB_WARG_COUNT] = path;
	argv[3 + LB_WARG_COUNT] = NULL;
	if (lb_test_worker_spawn(&p->w, argv) < 0)
		return -1;
	p->w.seq = 500;
	return 0;
}

/* The next reply's type, or a negative LB_FRAME_* code. */
static int
pv_read(struct pv *p)
{
	return lb_test_worker_read(&p->w);
}

/*
 * Runs one invocation: its reply's type (which must carry its sequence),
 * and for a RESULT or ERROR the settling READY that the bootstrap's next
 * `next` sends, unless `last` (the bootstrap goes on with no next).
 */
static int
pv_call(struct pv *p, const char *rid, const char *event, int last)
{
	int type;
	char *body;
	size_t len;
	struct lb_frame_meta m;

	if (lb_test_worker_send(
	        &p->w, rid, event, 1700000000123, "Root=1-abc;Sampled=1") < 0)
		return -1;
	type = pv_read(p);
	if (type <= 0)
		return type;
	CU_ASSERT_EQUAL(p->w.r.meta.seq, p->w.seq);
	if (last || (type != LB_FRAME_RESULT && type != LB_FRAME_ERROR))
		return type;
	/* keep this reply; read the settling READY after it */
	m = p->w.r.meta;
	body = lb_frame_reader_take(&p->w.r, &len);
	CU_ASSERT_EQUAL(pv_read(p), LB_FRAME_READY);
	CU_ASSERT_EQUAL(p->w.r.meta.seq, p->w.seq);
	lb_frame_reader_reset(&p->w.r);
	p->w.r.type = (uint32_t)type;
	p->w.r.meta = m;
	p->w.r.body = body;
	p->w.r.body_len = len;
	return type;
}

/* Closes the channel, reaps the worker, removes its directory. */
static int
pv_stop(struct pv *p)
{
	char cmd[128];
	int status = lb_test_worker_stop(&p->w);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", p->dir);
	return status;
}

/* The last reply's body member `key` as a string, or "". */
static const char *
member(struct pv *p, const char *key)
{
	return lb_test_worker_member(&p->w, key);
}

static void
test_session(void)
{
	struct pv p;
	int status;

	CU_ASSERT_FATAL(pv_start(&p, bootstrap, 0755, "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL_FATAL(pv_read(&p), LB_FRAME_READY);
	CU_ASSERT_EQUAL(p.w.r.meta.seq, 0);
	CU_ASSERT(p.w.r.meta.duration_us > 0);
	CU_ASSERT(p.w.r.meta.maxrss_kb > 0);
	/* the event, byte for byte, and its RESULT */
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-1", "{\"x\": [1, 2]}", 0), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(p.w.r.body, "{\"x\": [1, 2]}");
	CU_ASSERT(p.w.r.meta.maxrss_kb > 0);
	/* the headers of `next`, and the bootstrap's working directory */
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-2", "{\"headers\":1}", 0), LB_FRAME_RESULT);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(p.w.r.body, "Lambda-Runtime-Aws-Request-Id: rid-2\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(p.w.r.body, "Lambda-Runtime-Deadline-Ms: 1700000000123\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    p.w.r.body, "Lambda-Runtime-Invoked-Function-Arn: " ARN "\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    p.w.r.body, "Lambda-Runtime-Trace-Id: Root=1-abc;Sampled=1\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(p.w.r.body, "Content-Type: application/json\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.w.r.body, p.dir));
	/* an error, its type from the header */
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-3", "{\"error\":1}", 0), LB_FRAME_ERROR);
	CU_ASSERT_STRING_EQUAL(member(&p, "errorType"), "Runtime.Custom");
	CU_ASSERT_STRING_EQUAL(member(&p, "errorMessage"), "boom");
	CU_ASSERT_STRING_EQUAL(member(&p, "stackTrace"), "[ \"a\" ]");
	/* a chunked response */
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-4", "{\"chunked\":1}", 0), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(p.w.r.body, "{\"chunked\":1}");
	/* response and next on one connection */
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-5", "{\"keepalive\":1}", 0), LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-6", "{\"report\":1}", 0), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(p.w.r.body, "0");
	/* the gateway leaves: the bootstrap is ended, the worker exits 0 */
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Every wrong request gets RIE's answer, and breaks nothing. */
static void
test_bad_requests(void)
{
	struct pv p;
	char big[8192];
	FILE *f;
	int status;

	CU_ASSERT_FATAL(pv_start(&p, bootstrap, 0755, "bootstrap", "256") == 0);
	/* a response of 6 MiB + 101 bytes */
	snprintf(big, sizeof(big), "%s/big", p.dir);
	f = fopen(big, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 768; i++)
		fwrite(big, 1, sizeof(big), f);
	fwrite(big, 1, 101, f);
	fclose(f);

	CU_ASSERT_EQUAL_FATAL(pv_read(&p), LB_FRAME_READY);
	/* too big: the invocation fails as Lambda fails it */
	CU_ASSERT_EQUAL(pv_call(&p, "rid-b", "{\"bad\":1}", 0), LB_FRAME_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    member(&p, "errorType"), "Function.ResponseSizeTooLarge");
	CU_ASSERT_STRING_EQUAL(member(&p, "errorMessage"),
	    "Response payload size (6291557 bytes) exceeded maximum allowed "
	    "payload size (6291556 bytes).");
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-r", "{\"report\":1}", 0), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(p.w.r.body,
	    "400{\"errorMessage\":\"Invalid request ID\","
	    "\"errorType\":\"InvalidRequestID\"}|"
	    "404|405|2001|"
	    "403{\"errorMessage\":\"State transition from Running to "
	    "InitError failed for runtime. Error: State transition is not "
	    "allowed\",\"errorType\":\"InvalidStateTransition\"}|"
	    "413{\"errorMessage\":\"Exceeded maximum allowed payload size "
	    "(6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}|"
	    "403{\"errorMessage\":\"State transition from "
	    "RuntimeResponseSentState to InvocationResponse failed for "
	    "runtime. Error: State transition is not allowed\","
	    "\"errorType\":\"InvalidStateTransition\"}|");
	/* 5 MB fit */
	snprintf(big, sizeof(big), "%s/big", p.dir);
	CU_ASSERT_EQUAL(truncate(big, 5 << 20), 0);
	CU_ASSERT_EQUAL(
	    pv_call(&p, "rid-5m", "{\"big\":1}", 0), LB_FRAME_RESULT);
	CU_ASSERT_EQUAL(p.w.r.body_len, 5 << 20);
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_exits(void)
{
	struct pv p;
	int status;

	/* mid-invocation: the worker exits as the bootstrap did */
	CU_ASSERT_FATAL(pv_start(&p, bootstrap, 0755, "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL_FATAL(pv_read(&p), LB_FRAME_READY);
	CU_ASSERT_EQUAL(pv_call(&p, "r", "{\"exit\":1}", 1), LB_FRAME_EOF);
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 3);

	CU_ASSERT_FATAL(pv_start(&p, bootstrap, 0755, "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL_FATAL(pv_read(&p), LB_FRAME_READY);
	CU_ASSERT_EQUAL(pv_call(&p, "r", "{\"kill\":1}", 1), LB_FRAME_EOF);
	status = pv_stop(&p);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* before its first next */
	CU_ASSERT_FATAL(pv_start(&p, "#!/bin/sh\necho starting\nexit 7\n", 0755,
	                    "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_EOF);
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

static void
test_init_errors(void)
{
	struct pv p;
	int status;

	/* init/error: INIT_ERROR, the bootstrap is ended, exit 1 */
	CU_ASSERT_FATAL(pv_start(&p,
	                    "#!/bin/sh\n"
	                    "curl -sS --max-time 20 -o /dev/null"
	                    " -H 'Lambda-Runtime-Function-Error-Type: "
	                    "Runtime.NoConfig'"
	                    " -d '{\"errorMessage\":\"no config\"}'"
	                    " http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/"
	                    "runtime/init/error\n"
	                    "sleep 30\n",
	                    0755, "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(member(&p, "errorType"), "Runtime.NoConfig");
	CU_ASSERT_STRING_EQUAL(member(&p, "errorMessage"), "no config");
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_EOF);
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);

	/* no bootstrap; one that is not executable */
	CU_ASSERT_FATAL(pv_start(&p, NULL, 0, "nope", "256") == 0);
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    member(&p, "errorType"), "Runtime.InvalidEntrypoint");
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(member(&p, "errorMessage"), "fork/exec /tmp/lb-provided-"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    member(&p, "errorMessage"), "/nope: no such file or directory"));
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_EOF);
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT_FATAL(
	    pv_start(&p, "#!/bin/sh\n", 0644, "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    member(&p, "errorType"), "Runtime.InvalidEntrypoint");
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    member(&p, "errorMessage"), "/bootstrap: permission denied"));
	pv_stop(&p);
}

/* A code_dir it cannot enter: Runtime.InvalidWorkingDir. */
static void
test_bad_code_dir(void)
{
	struct pv p = { 0 };
	char ver[16];
	char *argv[4 + LB_WARG_COUNT];

	lb_test_worker_argv(argv, ver, "", "x.handler", "128");
	argv[2 + LB_WARG_RUNTIME] = "provided";
	argv[2 + LB_WARG_CODE_DIR] = "/nonexistent/lb-code";
	argv[2 + LB_WARG_COUNT] = "/bin/true";
	argv[3 + LB_WARG_COUNT] = NULL;
	CU_ASSERT_FATAL(lb_test_worker_spawn(&p.w, argv) == 0);
	CU_ASSERT_EQUAL(pv_read(&p), LB_FRAME_INIT_ERROR);
	CU_ASSERT_STRING_EQUAL(
	    member(&p, "errorType"), "Runtime.InvalidWorkingDir");
	CU_ASSERT_STRING_EQUAL(member(&p, "errorMessage"),
	    "chdir /nonexistent/lb-code: no such file or directory");
	CU_ASSERT(WIFEXITED(lb_test_worker_stop(&p.w)));
}

/*
 * A runtime of its own that pipelines: a response, a GET of an unknown
 * path, a response with a wrong id and the next `next`, in one write.
 * They are answered in order; the second event reports the statuses.
 */
static const char pipeliner[] =
    "#!/usr/bin/env python3\n"
    "import os, socket\n"
    "h, p = os.environ['AWS_LAMBDA_RUNTIME_API'].split(':')\n"
    "s = socket.create_connection((h, int(p)))\n"
    "f = s.makefile('rb')\n"
    "R = '/2018-06-01/runtime/invocation/'\n"
    "NEXT = ('GET %snext HTTP/1.1\\r\\n\\r\\n' % R).encode()\n"
    "def get():\n"
    "    st = f.readline().split()[1].decode()\n"
    "    hd = {}\n"
    "    while True:\n"
    "        l = f.readline().strip()\n"
    "        if not l:\n"
    "            break\n"
    "        k, v = l.decode().split(':', 1)\n"
    "        hd[k.lower()] = v.strip()\n"
    "    return st, hd, f.read(int(hd.get('content-length', 0)))\n"
    "def post(path, body):\n"
    "    return ('POST %s HTTP/1.1\\r\\nContent-Length: %d\\r\\n\\r\\n'"
    " % (path, len(body))).encode() + body\n"
    "s.sendall(NEXT)\n"
    "rid = get()[1]['lambda-runtime-aws-request-id']\n"
    "s.sendall(post(R + rid + '/response', b'\"first\"') +"
    " b'GET /foo HTTP/1.1\\r\\n\\r\\n' + post(R + 'x/response', b'1') +"
    " NEXT)\n"
    "codes = [get()[0] for i in range(3)]\n"
    "rid = get()[1]['lambda-runtime-aws-request-id']\n"
    "s.sendall(post(R + rid + '/response', ' '.join(codes).encode()))\n"
    "get()\n"
    "s.sendall(NEXT)\n"
    "get()\n";

static void
test_pipelined(void)
{
	struct pv p;
	int status;

	if (system("command -v python3 >/dev/null") != 0)
		return;
	CU_ASSERT_FATAL(pv_start(&p, pipeliner, 0755, "bootstrap", "256") == 0);
	CU_ASSERT_EQUAL_FATAL(pv_read(&p), LB_FRAME_READY);
	CU_ASSERT_EQUAL(pv_call(&p, "p-1", "{}", 0), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(p.w.r.body, "\"first\"");
	CU_ASSERT_EQUAL(pv_call(&p, "p-2", "{}", 0), LB_FRAME_RESULT);
	CU_ASSERT_STRING_EQUAL(p.w.r.body, "202 404 400");
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_memory(void)
{
	struct pv p;
	int status;

	if (system("command -v python3 >/dev/null") != 0)
		return;
	CU_ASSERT_FATAL(pv_start(&p, bootstrap, 0755, "bootstrap", "64") == 0);
	CU_ASSERT_EQUAL_FATAL(pv_read(&p), LB_FRAME_READY);
	CU_ASSERT_EQUAL(pv_call(&p, "r", "{\"oom\":1}", 1), LB_FRAME_OOM);
	CU_ASSERT_STRING_EQUAL(member(&p, "errorType"), "Runtime.OutOfMemory");
	CU_ASSERT(p.w.r.meta.maxrss_kb > 64 * 1024);
	status = pv_stop(&p);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 137);
}

void
lb_test_suite_provided(void)
{
	static CU_TestInfo tests[] = {
		{ "session", test_session },
		{ "bad requests", test_bad_requests },
		{ "exits mirrored", test_exits },
		{ "init errors", test_init_errors },
		{ "a code_dir it cannot enter", test_bad_code_dir },
		{ "pipelined requests", test_pipelined },
		{ "memory limit", test_memory },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("provided", tests);
}
