/*
 * sandbox_fn.c - handlers for the integration group `sandbox`
 * (docs/security.md): a function that leaves processes behind, and one
 * that tries to reach the gateway and other functions.
 *
 * sb_fork?file=F[&then=sleep|crash]: leaves a child and a setsid()'d,
 *   orphaned grandchild sleeping (th_leave_two); writes "WORKER CHILD
 *   GRANDCHILD\n" to F; then returns, sleeps a minute, or crashes.
 * sb_probe[?gw=PID&victim=PID]: reports who it runs as and what it could
 *   do: read /proc/gw/environ, PTRACE_ATTACH to gw, kill victim (errno
 *   names, "ok" when it could), PTRACE_TRACEME in a child ("traceme"),
 *   NoNewPrivs, CapEff and Seccomp of its /proc/self/status, and its pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

json_object *sb_fork(json_object *event, const lb_context *ctx);
json_object *sb_probe(json_object *event, const lb_context *ctx);

static json_object *
text_result(int status, const char *body)
{
	json_object *res = json_object_new_object();

	json_object_object_add(res, "statusCode", json_object_new_int(status));
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}

static void
nap(int seconds)
{
	struct timespec ts = { seconds, 0 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

json_object *
sb_fork(json_object *event, const lb_context *ctx)
{
	const char *file = th_query(event, "file");
	const char *then = th_query(event, "then");
	char line[96];
	pid_t pids[2];
	int fd;

	(void)ctx;
	if (file == NULL || th_leave_two(pids) < 0)
		return lb_error("SandboxError", "no file or cannot fork");
	snprintf(line, sizeof(line), "%d %d %d\n", (int)getpid(), (int)pids[0],
	    (int)pids[1]);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return lb_error("SandboxError", "%s", strerror(errno));
	close(fd);
	if (then != NULL && strcmp(then, "sleep") == 0)
		nap(60);
	if (then != NULL && strcmp(then, "crash") == 0)
		raise(SIGSEGV);
	return text_result(200, line);
}

static const char *
outcome(int rc)
{
	return rc == 0 ? "ok" : strerrorname_np(errno);
}

/* The value of `key` in /proc/self/status, or "?". */
static void
status_field(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kl = strlen(key);

	snprintf(out, len, "?");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			char *v = line + kl + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			break;
		}
	fclose(f);
}

json_object *
sb_probe(json_object *event, const lb_context *ctx)
{
	const char *gw = th_query(event, "gw");
	const char *victim = th_query(event, "victim");
	json_object *r = json_object_new_object();
	char buf[256], path[64];
	const char *body;
	json_object *res;

	(void)ctx;
	json_object_object_add(r, "pid", json_object_new_int(getpid()));
	json_object_object_add(r, "uid", json_object_new_int((int)getuid()));
	json_object_object_add(r, "euid", json_object_new_int((int)geteuid()));
	json_object_object_add(r, "gid", json_object_new_int((int)getgid()));
	status_field("NoNewPrivs", buf, sizeof(buf));
	json_object_object_add(r, "nnp", json_object_new_string(buf));
	status_field("CapEff", buf, sizeof(buf));
	json_object_object_add(r, "capeff", json_object_new_string(buf));
	status_field("Seccomp", buf, sizeof(buf));
	json_object_object_add(r, "seccomp", json_object_new_string(buf));
	if (gw != NULL) {
		int fd;

		snprintf(path, sizeof(path), "/proc/%s/environ", gw);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		json_object_object_add(r, "environ",
		    json_object_new_string(outcome(fd < 0 ? -1 : 0)));
		if (fd >= 0)
			close(fd);
		json_object_object_add(r, "ptrace",
		    json_object_new_string(outcome(
		        ptrace(PTRACE_ATTACH, (pid_t)atoi(gw), NULL, NULL) < 0
		            ? -1
		            : 0)));
	}
	{
		/* a seccomp filter fails even this; a child, so that nobody
		 * traces the worker */
		pid_t c = fork();
		int st = 0;

		if (c == 0)
			_exit(ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno
			                                                : 0);
		waitpid(c, &st, 0);
		errno = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
		json_object_object_add(r, "traceme",
		    json_object_new_string(outcome(errno == 0 ? 0 : -1)));
	}
	if (victim != NULL)
		json_object_object_add(r, "kill",
		    json_object_new_string(
		        outcome(kill((pid_t)atoi(victim), SIGKILL))));
	body = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
	res = text_result(200, body);
	json_object_put(r);
	return res;
}
