/*
 * spawn.c - starting a process from the gateway (lb_spawn_start, by
 * vfork+exec, safe in a multithreaded process) and the path of the running
 * binary to exec (lb_self_exe).  Environments (env.c, spare.c) and the
 * module probe (probe.c) start their children with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambda/sandbox.h"
#include "lambda/spawn.h"
#include "lambda/worker.h"
#include "paths.h" /* generated: where `make install` puts things */

static int worker_fd_for(const char *exe);

/* Child side of lb_spawn_start: async-signal-safe calls only. */
static void
child_fail(int errpipe, int step)
{
	int e[2] = { errno, step };

	while (write(errpipe, e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Closes every fd in [lo, hi) (async-signal-safe). */
static void
child_close_range(int lo, int hi)
{
	if (lo >= hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi - 1, 0) == 0)
		return;
#endif
	for (int fd = lo; fd < hi; fd++)
		close(fd);
}

/* Closes every fd >= lo except keep[0] and keep[1] (-1: none), below
 * maxfd or, with close_range, all of them (async-signal-safe). */
static void
child_close_from(int lo, const int keep[2], long maxfd)
{
	int k0 = keep[0], k1 = keep[1],
	    end = maxfd > INT_MAX ? INT_MAX : (int)maxfd;

	if (k0 > k1) {
		int t = k0;
		k0 = k1;
		k1 = t;
	}
	if (k0 >= lo) {
		child_close_range(lo, k0);
		lo = k0 + 1;
	}
	if (k1 >= lo) {
		child_close_range(lo, k1);
		lo = k1 + 1;
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, ~0U, 0) == 0)
		return;
#endif
	child_close_range(lo, end);
}

enum {
	STEP_DUP = 1,
	STEP_DEVNULL,
	STEP_IDS,
	STEP_CONTAIN,
	STEP_CONFINE,
	STEP_EXEC
};

static void
child_run(const struct lb_spawn *sp, int exe_fd, int errpipe, long maxfd,
    pid_t parent, int in_cgroup)
{
	struct sigaction sa;
	struct rlimit core = { 0, 0 };
	sigset_t none;
	int hi_err = -1, hi3 = -1, hi4 = -1, hiout = -1, hierr = -1, hiexe = -1;
	int null, keep[2];

	/* Default dispositions first, then unblock (the parent blocked all). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* fails harmlessly for KILL/STOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* first, as the gateway's user; without it, the subreaper contains */
	if (sp->join_cgroup && !in_cgroup)
		(void)lb_sandbox_child_cgroup(sp->cgroup_fd);

	/*
	 * Move every source fd above the targets first so that dup2 onto 0..3
	 * cannot clobber a source that happens to be numbered 0..3.  The high
	 * copies are close-on-exec.
	 */
	hi_err = fcntl(errpipe, F_DUPFD_CLOEXEC, 10);
	if (hi_err < 0)
		child_fail(errpipe, STEP_DUP);
	errpipe = hi_err;
	if (exe_fd >= 0 && (hiexe = fcntl(exe_fd, F_DUPFD_CLOEXEC, 10)) < 0)
		child_fail(errpipe, STEP_DUP);
	if (sp->fd3 >= 0 && (hi3 = fcntl(sp->fd3, F_DUPFD_CLOEXEC, 10)) < 0)
		child_fail(errpipe, STEP_DUP);
	if (sp->fd3 >= 0 && sp->fd4 >= 0 &&
	    (hi4 = fcntl(sp->fd4, F_DUPFD_CLOEXEC, 10)) < 0)
		child_fail(errpipe, STEP_DUP);
	if (sp->out_fd >= 0 &&
	    (hiout = fcntl(sp->out_fd, F_DUPFD_CLOEXEC, 10)) < 0)
		child_fail(errpipe, STEP_DUP);
	if (sp->err_fd >= 0 &&
	    (hierr = fcntl(sp->err_fd, F_DUPFD_CLOEXEC, 10)) < 0)
		child_fail(errpipe, STEP_DUP);

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		child_fail(errpipe, STEP_DEVNULL);
	if (dup2(null, 0) < 0 || dup2(hiout >= 0 ? hiout : null, 1) < 0 ||
	    dup2(hierr >= 0      ? hierr
	            : hiout >= 0 ? hiout
	                         : null,
	        2) < 0)
		child_fail(errpipe, STEP_DUP);
	if (hi3 >= 0 && dup2(hi3, LB_WORKER_FD) < 0)
		child_fail(errpipe, STEP_DUP);
	if (hi4 >= 0 && dup2(hi4, LB_WORKER_OUT_FD) < 0)
		child_fail(errpipe, STEP_DUP);
	keep[0] = errpipe;
	keep[1] = hiexe;
	child_close_from(hi4 >= 0 ? LB_WORKER_OUT_FD + 1
	        : hi3 >= 0        ? LB_WORKER_FD + 1
	                          : LB_WORKER_FD,
	    keep, maxfd);

	setrlimit(RLIMIT_CORE, &core);
	/* Own process group: a Ctrl-C meant for the gateway must not kill
	 * in-flight invocations (the gateway drains and stops them itself). */
	setpgid(0, 0);
	/* ids first: changing them clears the death signal */
	if (sp->set_ids && lb_sandbox_child_ids(sp->uid, sp->gid) < 0)
		child_fail(errpipe, STEP_IDS);
	if (sp->contain && lb_sandbox_child_contain(parent) < 0)
		child_fail(errpipe, STEP_CONTAIN);
	if (sp->confine && lb_sandbox_child_confine(sp->filter) < 0)
		child_fail(errpipe, STEP_CONFINE);
	/* the worker held open since start-up (worker_init): the file this
	 * gateway was started with, even if an upgrade replaced it since */
	if (hiexe >= 0)
		syscall(
		    SYS_execveat, hiexe, "", sp->argv, sp->envp, AT_EMPTY_PATH);
	else
		execve(sp->exe, sp->argv, sp->envp);
	child_fail(errpipe, STEP_EXEC);
}

/* What the child of lb_sandbox_spawn_into gets. */
struct child_args {
	const struct lb_spawn *sp;
	int exe_fd;
	int rd, wr;
	long maxfd;
	pid_t parent;
};

static void
child_entry(void *arg)
{
	struct child_args *a = arg;

	close(a->rd);
	child_run(a->sp, a->exe_fd, a->wr, a->maxfd, a->parent, 1);
}

/*
 * vfork: the child borrows the gateway's address space until execve instead
 * of copying its page tables (a fork of a 30 MB, 64-thread process costs
 * milliseconds, then copy-on-write faults in the gateway).  child_run only
 * makes async-signal-safe calls that touch nothing of the parent's but
 * errno, and never returns.  Nothing here changes after vfork returns.
 * A child for a cgroup is born in it the same way where it can be
 * (lb_sandbox_spawn_into), else it moves there itself.
 */
static pid_t
spawn_child(const struct lb_spawn *sp, int exe_fd, int rd, int wr, long maxfd)
{
	struct child_args a = { sp, exe_fd, rd, wr, maxfd, getpid() };
	pid_t pid;

	if (sp->join_cgroup &&
	    (pid = lb_sandbox_spawn_into(sp->cgroup_fd, child_entry, &a)) >= 0)
		return pid;
	pid = vfork();
	if (pid == 0) {
		close(rd);
		child_run(sp, exe_fd, wr, maxfd, a.parent, 0);
	}
	return pid;
}

pid_t
lb_spawn_start(const struct lb_spawn *sp, char *err, size_t errlen)
{
	static const char *steps[] = { "", "dup2", "open /dev/null",
		"switching user", "prctl", "confining", "execve" };
	sigset_t all, old;
	struct rlimit nofile;
	long maxfd = 1024;
	int ep[2], e[2], status;
	ssize_t n;
	pid_t pid;

	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur != RLIM_INFINITY)
		maxfd =
		    nofile.rlim_cur > 1048576 ? 1048576 : (long)nofile.rlim_cur;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(
		    err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	/* No signal handler may run in the child before it resets them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = spawn_child(sp, worker_fd_for(sp->exe), ep[0], ep[1], maxfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		close(ep[0]);
		return -1;
	}
	/* EOF on the close-on-exec pipe means execve succeeded. */
	do
		n = read(ep[0], e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		snprintf(err, errlen, "cannot start '%s': %s: %s", sp->exe,
		    e[1] > 0 && e[1] <= STEP_EXEC ? steps[e[1]] : "?",
		    strerror(e[0]));
		return -1;
	}
	return pid;
}

static char self_path[PATH_MAX];
static pthread_once_t self_once = PTHREAD_ONCE_INIT;
/* lb_worker_exe's path, and that file held open (O_PATH) from the first
 * call on, -1 when it could not be opened */
static char worker_path[PATH_MAX];
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;
static int worker_fd = -1;

static void
self_init(void)
{
	static const char deleted[] = " (deleted)";
	ssize_t n =
	    readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	size_t dl = sizeof(deleted) - 1;

	/* A binary replaced on disk (rebuilt) is still /proc/self/exe. */
	if (n <= 0 || (size_t)n >= sizeof(self_path) - 1 ||
	    ((size_t)n > dl && memcmp(self_path + n - dl, deleted, dl) == 0)) {
		snprintf(self_path, sizeof(self_path), "/proc/self/exe");
		return;
	}
	self_path[n] = '\0';
}

const char *
lb_self_exe(void)
{
	pthread_once(&self_once, self_init);
	return self_path;
}

/* path is an executable file: worker_path takes it */
static int
worker_try(const char *dir, int dirlen, const char *rel)
{
	int n = snprintf(worker_path, sizeof(worker_path), "%.*s%s%s", dirlen,
	    dir, dirlen > 0 ? "/" : "", rel);

	return n > 0 && (size_t)n < sizeof(worker_path) &&
	    access(worker_path, X_OK) == 0;
}

/*
 * Where lambdabridge-worker is: beside the binary (the build tree), then
 * where `make install` put it relative to the binary (so that a staged
 * DESTDIR tree or a moved prefix runs its own worker), then where it was
 * installed (build/paths.h), else the binary itself.
 */
static void
worker_init(void)
{
	const char *self = lb_self_exe();
	const char *slash = strrchr(self, '/');
	/* /proc/self/exe (a replaced binary) has no folder to look in */
	int dl = slash != NULL && strncmp(self, "/proc/", 6) != 0
	    ? (int)(slash - self)
	    : -1;

	if (dl >= 0 && worker_try(self, dl, "lambdabridge-worker"))
		goto hold;
	if (dl >= 0 && worker_try(self, dl, LB_WORKER_FROM_BINDIR))
		goto hold;
	if (worker_try("", 0, LB_WORKER_PATH))
		goto hold;
	snprintf(worker_path, sizeof(worker_path), "%s", self);
hold:
	worker_fd = open(worker_path, O_PATH | O_CLOEXEC);
}

/*
 * The worker is exec'ed from the file it was when the gateway first
 * looked (an O_PATH descriptor held open), not by its path: an upgrade
 * (dpkg, make install) replaces the file by renaming a new one over it,
 * and until the gateway itself is restarted its environments must run
 * the worker that speaks its frames.  Other programs (a probe of another
 * binary, tests) are exec'ed by path.
 */
static int
worker_fd_for(const char *exe)
{
	pthread_once(&worker_once, worker_init);
	return worker_fd >= 0 && strcmp(exe, worker_path) == 0 ? worker_fd : -1;
}

const char *
lb_worker_exe(void)
{
	pthread_once(&worker_once, worker_init);
	return worker_path;
}

void
lb_spawn_name_self(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	/* the kernel keeps the first 15 bytes */
	prctl(PR_SET_NAME, slash != NULL ? slash + 1 : argv0, 0, 0, 0);
}
