/*
 * probe.c - the probes of a configuration check: loads a function's
 * module in a child process (`lambdabridge __probe`, cli_probe.c), never in
 * the gateway, so that a module that crashes or hangs while it loads costs
 * only the child; checks that a bootstrap's user may run it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/ids.h"
#include "lambda/probe.h"
#include "lambda/sandbox.h"
#include "lambda/spawn.h"

extern char **environ;

/* How long lb_probe_module waits for the probe process. */
#define PROBE_TIMEOUT_MS 10000

int
lb_probe_module(
    const char *module, const char *symbol, char *err, size_t errlen)
{
	char out[1024];
	char *argv[] = { "lambdabridge", "__probe", (char *)module,
		(char *)symbol, NULL };
	struct lb_spawn sp;
	int64_t deadline = lb_mono_ms() + PROBE_TIMEOUT_MS;
	size_t got = 0;
	int p[2], status = 0, timed_out = 0, set_ids = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	pid_t pid;

	if (lb_sandbox_privileged()) {
		if (!lb_sandbox_probe_ids_get(&uid, &gid))
			return 0;
		set_ids = 1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(
		    err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sp, 0, sizeof(sp));
	sp.exe = lb_worker_exe();
	sp.argv = argv;
	sp.envp = environ;
	sp.fd3 = sp.fd4 = -1;
	sp.out_fd = p[1];
	sp.err_fd = -1;
	/* module constructors run in it: as the function's user, with no
	 * capabilities; never as root unless named (a bridge that may switch
	 * users refuses a function without a user: lb_config_check_users) */
	sp.contain = sp.confine = 1;
	sp.set_ids = set_ids;
	sp.uid = uid;
	sp.gid = gid;
	pid = lb_spawn_start(&sp, err, errlen);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	/* Read its verdict until EOF, bounded in time and size. */
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = deadline - lb_mono_ms();
		ssize_t n;
		char sink[256];

		if (left <= 0) {
			timed_out = 1;
			lb_sandbox_kill_tree(pid);
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents == 0)
			continue;
		if (got < sizeof(out) - 1)
			n = read(p[0], out + got, sizeof(out) - 1 - got);
		else
			n = read(p[0], sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got < sizeof(out) - 1)
			got += (size_t)n;
	}
	close(p[0]);
	out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		snprintf(err, errlen, "probing '%s' timed out", module);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* The probe's first line is the reason. */
	out[strcspn(out, "\n")] = '\0';
	if (out[0] != '\0')
		snprintf(err, errlen, "%s", out);
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "loading '%s' killed the probe (%s)",
		    module, strsignal(WTERMSIG(status)));
	else
		snprintf(err, errlen, "cannot load '%s'", module);
	return -1;
}

int
lb_probe_exec(const char *program, const char *dir, int set_ids, uid_t uid,
    gid_t gid, char *err, size_t errlen)
{
	int p[2], res[2] = { 0, 0 }, status;
	ssize_t got;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(
		    err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* the child: system calls only */
		close(p[0]);
		if (set_ids &&
		    (setgroups(1, &gid) < 0 || setgid(gid) < 0 ||
		        setuid(uid) < 0))
			res[0] = 3;
		else if (access(dir, X_OK) < 0)
			res[0] = 2;
		else if (access(program, X_OK) < 0)
			res[0] = 1;
		res[1] = errno;
		if (write(p[1], res, sizeof(res)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	do
		got = read(p[0], res, sizeof(res));
	while (got < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(res)) {
		snprintf(err, errlen, "the access check failed");
		return -1;
	}
	if (res[0] == 0)
		return 0;
	if (res[0] == 3)
		snprintf(err, errlen, "cannot switch to uid %ld: %s", (long)uid,
		    strerror(res[1]));
	else
		snprintf(err, errlen, "'%s': %s", res[0] == 2 ? dir : program,
		    strerror(res[1]));
	return -1;
}
