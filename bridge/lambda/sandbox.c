/*
 * sandbox.c - containment and confinement of execution environments
 * (sandbox.h).  Only this file includes seccomp.h.
 *
 * Containment: a worker is a child subreaper in its own process group that
 * dies with the thread that started it.  Whatever it starts stays below it
 * (an orphan comes back to it, whatever session it made), so the worker can
 * end them all when it exits or its gateway dies, and the gateway can stop
 * and kill the whole tree when it kills the worker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "lambda/sandbox.h"

/* cgroup v2: Lambda's limit on an environment's processes and threads,
 * and memory.max above the function's memory for the runtime itself */
#define CG_PIDS_MAX   "1024"
#define CG_RUNTIME_MB 32
#define CG_PREFIX     "lambdabridge-"
/* The stack lb_sandbox_spawn_into's child runs on until execve. */
#define CHILD_STACK (64 * 1024)
/* Descendants lb_sandbox_kill_tree stops and kills in one call. */
#define KILL_TREE_MAX 1024
/* Rounds of lb_sandbox_end_descendants (each reaps at least one). */
#define END_ROUNDS_MAX 4096

static uid_t trusted_uid;
static int trusted_set;

void
lb_sandbox_init(void)
{
	trusted_uid = getuid();
	trusted_set = 1;
}

/* ---- capabilities (raw capget/capset: three words of bits) ---- */

static int
caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };

	memset(data, 0, 2 * sizeof(*data));
	return (int)syscall(SYS_capget, &hdr, data);
}

static int
has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

int
lb_sandbox_privileged(void)
{
	struct __user_cap_data_struct d[2];

	if (geteuid() == 0)
		return 1;
	return caps_get(d) == 0 && has_cap(d, CAP_SETUID) &&
	    has_cap(d, CAP_SETGID);
}

int
lb_sandbox_ids(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL) {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	if (group == NULL)
		return 0;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 ||
	    grp == NULL) {
		snprintf(err, errlen, "unknown group '%s'", group);
		return -1;
	}
	*gid = gr.gr_gid;
	return 0;
}

static __thread struct {
	int set;
	uid_t uid;
	gid_t gid;
} probe_ids;

void
lb_sandbox_probe_ids(int set, uid_t uid, gid_t gid)
{
	probe_ids.set = set;
	probe_ids.uid = uid;
	probe_ids.gid = gid;
}

int
lb_sandbox_probe_ids_get(uid_t *uid, gid_t *gid)
{
	*uid = probe_ids.uid;
	*gid = probe_ids.gid;
	return probe_ids.set;
}

void
lb_sandbox_nodump(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
lb_sandbox_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct d[2];
	uint32_t keep = 1u << CAP_SETUID | 1u << CAP_SETGID |
	    1u << CAP_SETPCAP | 1u << CAP_KILL;

	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0) {
		snprintf(err, errlen, "cannot become group %u: %s",
		    (unsigned)gid, strerror(errno));
		return -1;
	}
	if (uid == 0)
		return 0;
	/* keep the permitted set across the uid change, then trim it */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "cannot become user %u: %s",
		    (unsigned)uid, strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, d) < 0) {
		snprintf(err, errlen, "cannot keep CAP_SETUID/CAP_SETGID: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- StrictModes ---- */

static int
check_one(const char *path, const struct stat *st, char *err, size_t errlen)
{
	uid_t mine = trusted_set ? trusted_uid : geteuid();

	if (st->st_uid != 0 && st->st_uid != mine) {
		snprintf(err, errlen,
		    "'%s' is owned by uid %u, not by root or uid %u", path,
		    (unsigned)st->st_uid, (unsigned)mine);
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	/* /tmp: others may add entries, not replace ours */
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return 0;
	snprintf(err, errlen, "'%s' is writable by %s (mode %04o)", path,
	    st->st_mode & S_IWOTH ? "everyone" : "its group",
	    (unsigned)(st->st_mode & 07777));
	return -1;
}

int
lb_sandbox_path_check(const char *path, char *err, size_t errlen)
{
	char *real = realpath(path, NULL), *slash;
	struct stat st;
	int rc = 0;

	if (real == NULL) {
		snprintf(err, errlen, "cannot resolve '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (lstat(real[0] != '\0' ? real : "/", &st) < 0) {
			snprintf(err, errlen, "cannot stat '%s': %s", real,
			    strerror(errno));
			rc = -1;
			break;
		}
		if (check_one(real[0] != '\0' ? real : "/", &st, err, errlen) <
		    0) {
			rc = -1;
			break;
		}
		if (real[0] == '\0')
			break;
		slash = strrchr(real, '/');
		*slash = '\0';
	}
	free(real);
	return rc;
}

/* ---- the seccomp profile ---- */

/* Calls no handler needs, each failing with EPERM. */
static const char *const denied[] = { "ptrace", "process_vm_readv",
	"process_vm_writev", "init_module", "finit_module", "delete_module",
	"create_module", "kexec_load", "kexec_file_load", "bpf",
	"perf_event_open", "mount", "umount2", "pivot_root", "chroot", "swapon",
	"swapoff", "reboot", "keyctl", "add_key", "request_key", "userfaultfd",
	"acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm", "unshare", "setns",
	"open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "quotactl",
	"vhangup", "syslog", "fanotify_init", "kcmp", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "uselib",
	"nfsservctl", "get_kernel_syms", "query_module", "_sysctl" };

static struct sock_fprog filter_prog;
static char filter_err[256];
static pthread_once_t filter_once = PTHREAD_ONCE_INIT;

static int
filter_rules(scmp_filter_ctx ctx)
{
	const uint64_t ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
	    CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;

	for (size_t i = 0; i < sizeof(denied) / sizeof(*denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);

		if (nr != __NR_SCMP_ERROR &&
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0)
			return -1;
	}
	/* new namespaces: clone's flags are an argument; clone3's are in
	 * memory, so it says ENOSYS and libc falls back to clone */
	for (int bit = 0; bit < 64; bit++) {
		uint64_t f = (uint64_t)1 << bit;

		if ((ns & f) != 0 &&
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		        SCMP_SYS(clone), 1,
		        SCMP_A0(SCMP_CMP_MASKED_EQ, f, f)) < 0)
			return -1;
	}
	return seccomp_rule_add(
	    ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

static void
filter_build(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct sock_filter *prog = NULL;
	off_t size;
	int fd = -1;

	if (ctx == NULL || filter_rules(ctx) < 0) {
		snprintf(filter_err, sizeof(filter_err),
		    "cannot build the seccomp profile");
		goto out;
	}
	/* libseccomp 2.5 exports to a descriptor only */
	fd = memfd_create("lb-seccomp", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0 ||
	    (size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    (prog = malloc((size_t)size)) == NULL ||
	    pread(fd, prog, (size_t)size, 0) != size) {
		snprintf(filter_err, sizeof(filter_err),
		    "cannot export the seccomp profile");
		free(prog);
		goto out;
	}
	filter_prog.filter = prog;
	filter_prog.len = (unsigned short)((size_t)size / sizeof(*prog));
out:
	if (fd >= 0)
		close(fd);
	if (ctx != NULL)
		seccomp_release(ctx);
}

const struct sock_fprog *
lb_sandbox_filter(char *err, size_t errlen)
{
	pthread_once(&filter_once, filter_build);
	if (filter_prog.filter == NULL) {
		snprintf(err, errlen, "%s", filter_err);
		return NULL;
	}
	return &filter_prog;
}

/* ---- the vfork child ---- */

int
lb_sandbox_child_ids(uid_t uid, gid_t gid)
{
	/* raw calls: libc's would signal the parent's threads */
	if (syscall(SYS_setgroups, 1, &gid) < 0 ||
	    syscall(SYS_setresgid, gid, gid, gid) < 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) < 0)
		return -1;
	return 0;
}

int
lb_sandbox_child_contain(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, LB_SANDBOX_DEATHSIG, 0, 0, 0) < 0)
		return -1;
	/* the parent died before the signal was armed */
	if (getppid() != parent) {
		errno = ESRCH;
		return -1;
	}
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int
lb_sandbox_child_confine(const struct sock_fprog *filter)
{
	/* EPERM without CAP_SETPCAP: then this is no longer root and
	 * execve gives it no capabilities anyway */
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (filter != NULL &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, filter, 0, 0) < 0)
		return -1;
	return 0;
}

/* ---- descendants ---- */

/* Writes "/proc/<pid>/task" or "/proc/self/task" (no snprintf: this runs
 * in signal handlers). */
static void
task_dir(char *out, pid_t pid)
{
	char num[16];
	size_t n = 0, i = 0;

	memcpy(out, "/proc/", 6);
	if (pid == 0) {
		memcpy(out + 6, "self/task", 10);
		return;
	}
	do
		num[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	while (n > 0)
		out[6 + i++] = num[--n];
	memcpy(out + 6 + i, "/task", 6);
}

/*
 * Calls fn(child, arg) for each child of each thread of pid (0: this
 * process).  Returns how many it saw.  Only system calls.
 */
static size_t
each_child(pid_t pid, void (*fn)(pid_t, void *), void *arg)
{
	char dir[48], buf[2048];
	size_t seen = 0;
	ssize_t got;
	int dfd;

	task_dir(dir, pid);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	while ((got = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char rd[512];
			long v = -1;
			ssize_t r;
			int cfd, tfd;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			tfd = openat(
			    dfd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (tfd < 0)
				continue;
			cfd = openat(tfd, "children", O_RDONLY | O_CLOEXEC);
			close(tfd);
			if (cfd < 0)
				continue;
			/* "pid pid pid " possibly split across reads */
			while ((r = read(cfd, rd, sizeof(rd))) > 0)
				for (ssize_t i = 0; i < r; i++) {
					if (rd[i] >= '0' && rd[i] <= '9') {
						v = (v < 0 ? 0 : v * 10) +
						    (rd[i] - '0');
						continue;
					}
					if (v > 0) {
						fn((pid_t)v, arg);
						seen++;
					}
					v = -1;
				}
			if (v > 0) {
				fn((pid_t)v, arg);
				seen++;
			}
			close(cfd);
		}
	}
	close(dfd);
	return seen;
}

static void
kill_one(pid_t pid, void *arg)
{
	(void)arg;
	kill(pid, SIGKILL);
}

void
lb_sandbox_end_descendants(void)
{
	int saved = errno;

	for (int round = 0; round < END_ROUNDS_MAX; round++) {
		if (each_child(0, kill_one, NULL) == 0)
			break;
		/* one dies; its children are ours in the next round */
		if (waitpid(-1, NULL, __WALL) < 0 && errno == ECHILD)
			break;
	}
	errno = saved;
}

static void
on_exit_end(void)
{
	lb_sandbox_end_descendants();
}

/* The gateway, when the guard was set (getppid() is async-signal-safe). */
static pid_t guard_parent;

static void
on_parent_death(int sig)
{
	(void)sig;
	/* the thread that started us ended, not the gateway: we now belong
	 * to another of its threads (the signal comes again when it ends) */
	if (getppid() == guard_parent)
		return;
	lb_sandbox_end_descendants();
	_exit(1);
}

void
lb_sandbox_worker_guard(void)
{
	struct sigaction sa;

	if (guard_parent != 0)
		return;
	guard_parent = getppid();
	lb_sandbox_nodump();
	atexit(on_exit_end);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_parent_death;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(LB_SANDBOX_DEATHSIG, &sa, NULL);
}

struct tree {
	pid_t pids[KILL_TREE_MAX];
	size_t n;
};

static void
stop_one(pid_t pid, void *arg)
{
	struct tree *t = arg;

	kill(pid, SIGSTOP);
	if (t->n < KILL_TREE_MAX)
		t->pids[t->n++] = pid;
}

void
lb_sandbox_kill_tree(pid_t pid)
{
	struct tree *t;

	if (pid <= 0)
		return;
	t = malloc(sizeof(*t));
	if (t != NULL) {
		/* top down, so that none forks while we look */
		kill(pid, SIGSTOP);
		t->pids[0] = pid;
		t->n = 1;
		for (size_t i = 0; i < t->n; i++)
			each_child(t->pids[i], stop_one, t);
		for (size_t i = 0; i < t->n; i++)
			kill(t->pids[i], SIGKILL);
		free(t);
	}
	kill(pid, SIGKILL);
	kill(-pid, SIGKILL);
}

/* ---- cgroup v2 ---- */

/* This bridge's cgroup, "" when it has none; environments are env-N in it */
static char cg_top[PATH_MAX];
static unsigned cg_seq;
static int cg_memory, cg_pids; /* controllers enabled in cg_top */

/* dir/name into out; -1 when it does not fit. */
static int
join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
write_at(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	size_t len = strlen(text);
	int fd, rc;

	if (join(path, sizeof(path), dir, name) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

/* The cgroup2 mount point joined with this process's cgroup ("0::PATH"). */
static int
cg_base(char *base, size_t len)
{
	char line[4096], mnt[PATH_MAX] = "", own[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (f == NULL)
		return -1;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - cgroup2 SRC OPTS" */
	while (mnt[0] == '\0' && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, " - cgroup2 ") != NULL &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			mnt[0] = '\0';
	fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	if (f == NULL)
		return -1;
	while (own[0] == '\0' && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(own, sizeof(own), "%s",
			    strcmp(line + 3, "/") == 0 ? "" : line + 3);
			if (own[0] == '\0')
				own[0] = '/', own[1] = '\0';
		}
	fclose(f);
	if (mnt[0] == '\0' || own[0] == '\0')
		return -1;
	snprintf(base, len, "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own);
	return 0;
}

/* Kills everything in dir and below, and removes them, children first. */
static void
cg_remove(const char *dir, int depth)
{
	DIR *d = depth < 4 ? opendir(dir) : NULL;
	struct dirent *e;
	char sub[PATH_MAX];

	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
		    join(sub, sizeof(sub), dir, e->d_name) == 0)
			cg_remove(sub, depth + 1);
	if (d != NULL)
		closedir(d);
	write_at(dir, "cgroup.kill", "1");
	/* the killed leave it asynchronously */
	for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(1000);
}

/* Removes what bridges that died (kill -9) left under base. */
static void
cg_sweep(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	char path[PATH_MAX];

	while (d != NULL && (e = readdir(d)) != NULL) {
		long pid;

		if (strncmp(e->d_name, CG_PREFIX, strlen(CG_PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(CG_PREFIX), NULL, 10);
		if (pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		if (join(path, sizeof(path), base, e->d_name) == 0)
			cg_remove(path, 0);
	}
	if (d != NULL)
		closedir(d);
}

static int
cg_chown(const char *dir, uid_t owner, gid_t group)
{
	static const char *const files[] = { "", "cgroup.procs",
		"cgroup.threads", "cgroup.subtree_control" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		if (join(path, sizeof(path), dir, files[i]) < 0 ||
		    chown(path, owner, group) < 0)
			return -1;
	}
	return 0;
}

int
lb_sandbox_cgroup_init(uid_t owner, gid_t group, char *err, size_t errlen)
{
	char base[PATH_MAX], top[PATH_MAX], leaf[PATH_MAX], name[32];

	if (cg_base(base, sizeof(base)) < 0) {
		snprintf(err, errlen, "no cgroup2 hierarchy");
		return -1;
	}
	cg_sweep(base);
	snprintf(name, sizeof(name), CG_PREFIX "%d", (int)getpid());
	if (join(top, sizeof(top), base, name) < 0 ||
	    join(leaf, sizeof(leaf), top, "gateway") < 0) {
		snprintf(err, errlen, "cgroup path too long");
		return -1;
	}
	if (mkdir(top, 0755) < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", top,
		    strerror(errno));
		return -1;
	}
	/* out of top, so that top may enable controllers for its children,
	 * and below it, so that moving a worker needs only top's files */
	if (mkdir(leaf, 0755) < 0 || write_at(leaf, "cgroup.procs", "0") < 0) {
		snprintf(err, errlen, "cannot move into '%s': %s", leaf,
		    strerror(errno));
		rmdir(leaf);
		rmdir(top);
		return -1;
	}
	cg_memory = write_at(top, "cgroup.subtree_control", "+memory") == 0;
	cg_pids = write_at(top, "cgroup.subtree_control", "+pids") == 0;
	if (owner != (uid_t)-1 &&
	    (cg_chown(top, owner, group) < 0 ||
	        cg_chown(leaf, owner, group) < 0)) {
		snprintf(err, errlen, "cannot hand '%s' to uid %u: %s", top,
		    (unsigned)owner, strerror(errno));
		return -1;
	}
	snprintf(cg_top, sizeof(cg_top), "%s", top);
	return 0;
}

void
lb_sandbox_cgroup_fini(void)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];

	if (cg_top[0] == '\0' || (d = opendir(cg_top)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "env-", 4) == 0 &&
		    join(path, sizeof(path), cg_top, e->d_name) == 0)
			cg_remove(path, 0);
	closedir(d);
}

/* The directory of environment cgroup id; -1 when it does not fit. */
static int
cg_dir(char *out, size_t len, unsigned id)
{
	char name[32];

	snprintf(name, sizeof(name), "env-%u", id);
	return join(out, len, cg_top, name);
}

int
lb_sandbox_cgroup_new(unsigned *id)
{
	char dir[PATH_MAX];
	unsigned n;
	int fd;

	*id = 0;
	if (cg_top[0] == '\0')
		return -1;
	n = __atomic_add_fetch(&cg_seq, 1, __ATOMIC_RELAXED);
	if (cg_dir(dir, sizeof(dir), n) < 0 || mkdir(dir, 0755) < 0)
		return -1;
	if (cg_pids)
		write_at(dir, "pids.max", CG_PIDS_MAX);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rmdir(dir);
		return -1;
	}
	*id = n;
	return fd;
}

void
lb_sandbox_cgroup_limit(unsigned id, int mb)
{
	char dir[PATH_MAX], bytes[32];

	if (id == 0 || !cg_memory || cg_dir(dir, sizeof(dir), id) < 0)
		return;
	snprintf(bytes, sizeof(bytes), "%llu",
	    ((unsigned long long)mb + CG_RUNTIME_MB) * 1024 * 1024);
	write_at(dir, "memory.max", bytes);
}

void
lb_sandbox_cgroup_kill(unsigned id)
{
	char dir[PATH_MAX];

	if (id != 0 && cg_dir(dir, sizeof(dir), id) == 0)
		write_at(dir, "cgroup.kill", "1");
}

void
lb_sandbox_cgroup_free(unsigned id)
{
	char dir[PATH_MAX];

	if (id != 0 && cg_dir(dir, sizeof(dir), id) == 0)
		cg_remove(dir, 0);
}

int
lb_sandbox_child_cgroup(int dirfd)
{
	int fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, "0", 1) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
/* clone3 on its own stack: the child calls fn(arg) there and never comes
 * back through the caller's frames, which the caller still needs. */
static long
clone3_call(struct clone_args *ca, void (*fn)(void *), void *arg)
{
	register long nr __asm__("rax") = SYS_clone3;
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;

	__asm__ volatile("syscall\n\t"
	                 "test %%rax, %%rax\n\t"
	                 "jnz 1f\n\t"
	                 "xor %%ebp, %%ebp\n\t"
	                 "mov %%r13, %%rdi\n\t"
	                 "call *%%r12\n\t"
	                 "mov $60, %%eax\n\t"
	                 "mov $127, %%edi\n\t"
	                 "syscall\n\t"
	                 "1:\n\t"
	                 : "+r"(nr)
	                 : "D"(ca), "S"(sizeof(*ca)), "r"(r12), "r"(r13)
	                 : "rcx", "r11", "rdx", "memory");
	return nr;
}

pid_t
lb_sandbox_spawn_into(int dirfd, void (*fn)(void *), void *arg)
{
	struct clone_args ca;
	size_t size = CHILD_STACK;
	void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	long r;

	if (stack == MAP_FAILED)
		return -1;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)stack;
	ca.stack_size = size;
	ca.cgroup = (uint64_t)dirfd;
	r = clone3_call(&ca, fn, arg);
	/* the child has exec'ed or exited: its stack is free again */
	munmap(stack, size);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
}
#else
pid_t
lb_sandbox_spawn_into(int dirfd, void (*fn)(void *), void *arg)
{
	(void)dirfd;
	(void)fn;
	(void)arg;
	errno = ENOSYS;
	return -1;
}
#endif
