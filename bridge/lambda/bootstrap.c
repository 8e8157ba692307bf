/*
 * bootstrap.c - the bootstrap process of a provided runtime (bootstrap.h):
 * fork+exec with the exec's failure passed back through a close-on-exec
 * pipe, RSS from /proc read with pread on descriptors kept open, reaping
 * through a SIGCHLD self-pipe, and the worker's exit mirroring the
 * bootstrap's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambda/bootstrap.h"
#include "lambda/sandbox.h"

/* The self-pipe's write end, for the handler. */
static int wake_fd = -1;

static void
on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(wake_fd, "c", 1) < 0) {
		/* full: a wake-up is pending anyway */
	}
	errno = saved;
}

/* pread()s a small /proc file into buf; its length, or 0. */
static size_t
read_proc(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, buf, len - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

uint64_t
lb_bootstrap_peak_kb(struct lb_bootstrap *b)
{
	char buf[2048];
	const char *p;
	uint64_t v;

	/* read with every result: a peak of the last milliseconds is the
	 * REPORT's Max Memory Used */
	if (read_proc(b->status_fd, buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "VmHWM:")) != NULL) {
		v = strtoull(p + 6, NULL, 10);
		if (v > b->hwm_kb)
			b->hwm_kb = v;
	}
	return b->hwm_kb > b->rss_kb ? b->hwm_kb : b->rss_kb;
}

uint64_t
lb_bootstrap_rss_kb(struct lb_bootstrap *b)
{
	static long page_kb;
	char buf[128], *p;
	unsigned long res;

	if (page_kb == 0)
		page_kb = sysconf(_SC_PAGESIZE) / 1024;
	/* "size resident shared ...", in pages */
	if (read_proc(b->statm_fd, buf, sizeof(buf)) == 0 ||
	    (p = strchr(buf, ' ')) == NULL)
		return 0;
	res = strtoul(p + 1, NULL, 10);
	b->rss_kb = (uint64_t)res * (uint64_t)page_kb;
	return b->rss_kb;
}

/* The child: never returns; a failure goes to `ep` as {stage, errno}. */
static void
child(pid_t parent, int ep, const char *code_dir, char *const *argv)
{
	int fail[2] = { 0, 0 };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(137);
	if (code_dir[0] != '\0' && chdir(code_dir) < 0) {
		fail[0] = 1;
		fail[1] = errno;
	} else {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		fail[0] = 2;
		fail[1] = errno;
	}
	if (write(ep, fail, sizeof(fail)) < 0)
		_exit(127);
	_exit(127);
}

/* Catches SIGCHLD into a new self-pipe; 0 or -1. */
static int
watch_children(struct lb_bootstrap *b)
{
	struct sigaction sa;
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	b->wake = p[0];
	b->wake_wr = wake_fd = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	return sigaction(SIGCHLD, &sa, NULL);
}

int
lb_bootstrap_start(struct lb_bootstrap *b, const char *code_dir,
    char *const *argv, const char **etype, char *err, size_t errlen)
{
	sigset_t all, old;
	pid_t parent = getpid(), pid;
	int ep[2], fail[2];
	char path[64], why[128];
	ssize_t n;

	memset(b, 0, sizeof(*b));
	b->wake = b->wake_wr = b->statm_fd = b->status_fd = -1;
	*etype = "Runtime.Unknown";
	if (watch_children(b) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot start the bootstrap: %s",
		    strerror(errno));
		return -1;
	}
	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(ep[0]);
		child(parent, ep[1], code_dir, argv);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (pid < 0) {
		snprintf(
		    err, errlen, "fork/exec %s: %s", argv[0], strerror(errno));
		close(ep[0]);
		return -1;
	}
	b->pid = pid;
	while ((n = read(ep[0], fail, sizeof(fail))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == (ssize_t)sizeof(fail)) {
		/* Go's words (lowercase), as Lambda says them */
		snprintf(why, sizeof(why), "%s", strerror(fail[1]));
		if (why[0] >= 'A' && why[0] <= 'Z')
			why[0] = (char)(why[0] - 'A' + 'a');
		*etype = fail[0] == 1 ? "Runtime.InvalidWorkingDir"
		                      : "Runtime.InvalidEntrypoint";
		snprintf(err, errlen, "%s %s: %s",
		    fail[0] == 1 ? "chdir" : "fork/exec",
		    fail[0] == 1 ? code_dir : argv[0], why);
		lb_bootstrap_kill(b);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	b->statm_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	b->status_fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

int
lb_bootstrap_reap(struct lb_bootstrap *b)
{
	char buf[64];
	int st, ended = 0;
	pid_t pid;

	while (read(b->wake, buf, sizeof(buf)) > 0)
		;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == b->pid) {
			b->pid = 0;
			b->status = st;
			ended = 1;
		}
	return ended;
}

void
lb_bootstrap_kill(struct lb_bootstrap *b)
{
	if (b->pid > 0)
		kill(b->pid, SIGKILL);
	lb_sandbox_end_descendants();
	b->pid = 0;
}

int
lb_bootstrap_mirror(struct lb_bootstrap *b)
{
	struct rlimit none = { 0, 0 };
	struct sigaction sa;
	sigset_t set;
	int sig;

	lb_sandbox_end_descendants();
	fflush(stdout);
	fflush(stderr);
	if (WIFEXITED(b->status))
		return WEXITSTATUS(b->status);
	sig = WTERMSIG(b->status);
	setrlimit(RLIMIT_CORE, &none);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	return 128 + sig;
}

void
lb_bootstrap_free(struct lb_bootstrap *b)
{
	if (b->pid > 0)
		lb_bootstrap_kill(b);
	if (b->statm_fd >= 0)
		close(b->statm_fd);
	if (b->status_fd >= 0)
		close(b->status_fd);
	b->statm_fd = b->status_fd = -1;
}
