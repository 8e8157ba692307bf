/* test_util.c - helpers of test.h, and a tiny suite checking them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lambda/spawn.h"
#include "test.h"

extern char **environ;

const char *
lb_test_bin(void)
{
	const char *b = getenv("LB_TEST_BIN");

	return b != NULL && *b != '\0' ? b : "build/lambdabridge";
}

int64_t
lb_test_utc_ms(int y, int mon, int d, int h, int min)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = min;
	return (int64_t)timegm(&tm) * 1000;
}

const char *
lb_test_build_path(const char *rel, char *buf, size_t len)
{
	const char *b = getenv("LB_TEST_BUILD");

	snprintf(buf, len, "%s/%s", b != NULL && *b != '\0' ? b : "build", rel);
	return buf;
}

void
lb_test_worker_argv(char **argv, char *ver, const char *module,
    const char *handler, const char *memory)
{
	snprintf(ver, 16, "%d", LB_FRAME_VERSION);
	argv[0] = (char *)lb_test_bin();
	argv[1] = "__worker";
	argv[2 + LB_WARG_VERSION] = ver;
	argv[2 + LB_WARG_MODULE] = (char *)module;
	argv[2 + LB_WARG_HANDLER] = (char *)handler;
	argv[2 + LB_WARG_FUNCTION] = "fn";
	argv[2 + LB_WARG_FVERSION] = "$LATEST";
	argv[2 + LB_WARG_MEMORY] = (char *)memory;
	argv[2 + LB_WARG_ARN] = "arn:aws:lambda:us-east-1:0:function:fn";
	argv[2 + LB_WARG_GROUP] = "/aws/lambda/fn";
	argv[2 + LB_WARG_STREAM] = "stream";
	argv[2 + LB_WARG_RUNTIME] = "native";
	argv[2 + LB_WARG_CODE_DIR] = "";
	argv[2 + LB_WARG_COUNT] = NULL;
}

int
lb_test_worker_spawn(struct lb_test_worker *w, char **argv)
{
	struct timeval tv = { 20, 0 };
	struct lb_spawn sp = { 0 };
	char err[256];
	int sv[2];

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	lb_frame_reader_init(&w->r, LB_FRAME_MAX, 1);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sp.exe = argv[0];
	sp.argv = argv;
	sp.envp = environ;
	sp.fd3 = sp.fd4 = sv[1]; /* one socket both ways */
	sp.out_fd = -1;
	sp.err_fd = -1;
	w->pid = lb_spawn_start(&sp, err, sizeof(err));
	close(sv[1]);
	w->fd = sv[0];
	return w->pid < 0 ? -1 : 0;
}

int
lb_test_worker_send(struct lb_test_worker *w, const char *rid,
    const char *event, int64_t deadline_ms, const char *trace)
{
	unsigned char pre[LB_FRAME_INVOKE_MAX];
	struct lb_frame_invoke iv = { 0 };
	struct iovec iov[2];

	iv.deadline_ms = deadline_ms;
	iv.seq = ++w->seq;
	iv.request_id = rid;
	iv.request_id_len = strlen(rid);
	iv.trace_id = trace;
	iv.trace_id_len = strlen(trace);
	iov[0] = (struct iovec){ pre, lb_frame_invoke_encode(pre, &iv) };
	iov[1] = (struct iovec){ (void *)event, strlen(event) };
	return lb_frame_send(w->fd, LB_FRAME_INVOKE, iov, 2, 0);
}

int
lb_test_worker_read(struct lb_test_worker *w)
{
	int rc;

	lb_frame_reader_reset(&w->r);
	rc = lb_frame_reader_pump(&w->r, w->fd);
	return rc == LB_FRAME_DONE ? (int)w->r.type : rc;
}

int
lb_test_worker_stop(struct lb_test_worker *w)
{
	int status = -1;

	lb_frame_reader_reset(&w->r);
	close(w->fd);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

const char *
lb_test_worker_member(struct lb_test_worker *w, const char *key)
{
	static char buf[1024];
	json_object *o = json_tokener_parse(w->r.body), *v;

	buf[0] = '\0';
	if (o != NULL && json_object_object_get_ex(o, key, &v))
		snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	json_object_put(o);
	return buf;
}

static void
test_build_path(void)
{
	char buf[256];

	CU_ASSERT_PTR_NOT_NULL(
	    strstr(lb_test_build_path("x.so", buf, sizeof(buf)), "/x.so"));
}

void lb_test_suite_util(void);

void
lb_test_suite_util(void)
{
	static CU_TestInfo tests[] = {
		{ "build path", test_build_path },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("util", tests);
}
