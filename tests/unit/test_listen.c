/*
 * test_listen.c - listen addresses (one parser for gateway.listen and -l)
 * and the unix socket: a live one is refused, a stale one replaced,
 * another kind of file left alone; mode, owner and group.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fastcgi/listen.h"
#include "test.h"

void lb_test_suite_listen(void);

static void
parses(const char *s, int is_unix, const char *host, const char *port)
{
	struct lb_listen_addr a;
	const char *why = lb_listen_parse(s, &a);

	CU_ASSERT_PTR_NULL(why);
	if (why != NULL) {
		fprintf(stderr, "'%s': %s\n", s, why);
		return;
	}
	CU_ASSERT_EQUAL(a.is_unix, is_unix);
	if (is_unix) {
		CU_ASSERT_STRING_EQUAL(a.path, host);
	} else {
		CU_ASSERT_STRING_EQUAL(a.host, host);
		CU_ASSERT_STRING_EQUAL(a.port, port);
	}
}

static void
rejects(const char *s, const char *reason)
{
	struct lb_listen_addr a;
	const char *why = lb_listen_parse(s, &a);

	CU_ASSERT_PTR_NOT_NULL(why);
	if (why != NULL && strstr(why, reason) == NULL) {
		fprintf(stderr, "'%s': %s (want %s)\n", s, why, reason);
		CU_FAIL("another reason");
	}
}

static void
test_parse(void)
{
	char longpath[200];

	parses("unix:/run/lambdabridge/lambdabridge.sock", 1,
	    "/run/lambdabridge/lambdabridge.sock", NULL);
	parses("127.0.0.1:9000", 0, "127.0.0.1", "9000");
	parses("0.0.0.0:1", 0, "0.0.0.0", "1");
	parses("localhost:65535", 0, "localhost", "65535");
	parses("[::1]:9000", 0, "::1", "9000");
	parses("[::]:9000", 0, "::", "9000");
	/* a socket systemd passes, by its FileDescriptorName= */
	{
		struct lb_listen_addr a;

		CU_ASSERT_PTR_NULL(lb_listen_parse("systemd:api", &a));
		CU_ASSERT_EQUAL(a.is_systemd, 1);
		CU_ASSERT_EQUAL(a.is_unix, 0);
		CU_ASSERT_STRING_EQUAL(a.name, "api");
	}
	rejects("systemd:", "needs the socket's name");
	rejects("api", "\"systemd:NAME\"");
	/* what -l accepted and the config did not (bug 8) */
	rejects(":9000", "with a host (0.0.0.0 or [::] for every interface)");
	rejects("*:9000", "not '*'");
	rejects("127.0.0.1:0", "the port must be a number from 1 to 65535");
	rejects("[]:9000", "with a host");
	/* the rest */
	rejects("127.0.0.1:65536", "from 1 to 65535");
	rejects("127.0.0.1:http", "from 1 to 65535");
	rejects("127.0.0.1:", "from 1 to 65535");
	rejects("127.0.0.1:+80", "from 1 to 65535");
	rejects("nohost", "expected \"unix:/path\"");
	rejects("::1:9000", "inside [ ]");
	rejects("[127.0.0.1]:9000", "inside [ ]");
	rejects("[::1]9000", "expected \"unix:/path\"");
	rejects("a b:80", "an IP address or a host name");
	rejects("unix:", "needs a socket path");
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "unix:/", 6);
	rejects(longpath, "longer than 107 bytes");
}

static void
sock_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/lb-test-listen-%d-%s", (int)getpid(), name);
	unlink(buf);
}

/* Whether something accepts on the unix socket at path. */
static int
accepts(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/*
 * Bug 7: a second bridge on the path of a running one unlinked its socket
 * and served alongside it.
 */
static void
test_live_stale_and_files(void)
{
	char path[128], addr[160], err[512];
	struct stat before, after;
	int fd, fd2;

	sock_path(path, sizeof(path), "live");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	fd = lb_listen_open(addr, NULL, err, sizeof(err));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(stat(path, &before) == 0);
	/* a running process serves it: refused, left as it is */
	fd2 = lb_listen_open(addr, NULL, err, sizeof(err));
	CU_ASSERT_EQUAL(fd2, -1);
	if (fd2 >= 0)
		close(fd2);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "a running process already serves it"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, addr));
	CU_ASSERT_FATAL(stat(path, &after) == 0);
	CU_ASSERT_EQUAL(after.st_ino, before.st_ino);
	CU_ASSERT(accepts(path));
	/* its process gone, the socket is stale: replaced */
	close(fd);
	CU_ASSERT(!accepts(path));
	fd = lb_listen_open(addr, NULL, err, sizeof(err));
	CU_ASSERT(fd >= 0);
	CU_ASSERT(accepts(path));
	close(fd);
	unlink(path);
	/* never another kind of file */
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(lb_listen_open(addr, NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exists and is not a socket"));
	CU_ASSERT_FATAL(stat(path, &after) == 0);
	CU_ASSERT(S_ISREG(after.st_mode));
	unlink(path);
	/* an address that does not parse says why */
	CU_ASSERT_EQUAL(lb_listen_open("*:9000", NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot listen on '*:9000': "));
}

static void
test_mode_owner_group(void)
{
	char path[128], addr[160], err[512];
	struct lb_listen_opts o = { 0640, NULL, NULL };
	struct passwd *nobody = getpwnam("nobody");
	struct stat st;
	char gid[32];
	pid_t pid;
	int fd, status;

	sock_path(path, sizeof(path), "mode");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	/* the default: 0660, whatever the umask */
	umask(0);
	fd = lb_listen_open(addr, NULL, err, sizeof(err));
	umask(022);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
	close(fd);
	fd = lb_listen_open(addr, &o, err, sizeof(err));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	close(fd);
	/* our own group, by id: allowed to anyone */
	snprintf(gid, sizeof(gid), "%d", (int)getgid());
	o.group = gid;
	fd = lb_listen_open(addr, &o, err, sizeof(err));
	CU_ASSERT(fd >= 0);
	close(fd);
	o.group = "no-such-group-here";
	CU_ASSERT_EQUAL(lb_listen_open(addr, &o, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no group 'no-such-group-here'"));
	o.group = NULL;
	if (geteuid() != 0 || nobody == NULL) {
		unlink(path);
		return; /* the rest needs root */
	}
	o.owner = "nobody";
	o.group = "0";
	fd = lb_listen_open(addr, &o, err, sizeof(err));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_uid, nobody->pw_uid);
	CU_ASSERT_EQUAL(st.st_gid, 0);
	close(fd);
	unlink(path);
	/* not root: a clear error, and no socket left behind */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct lb_listen_opts root = { 0660, "root", NULL };

		if (setgid(nobody->pw_gid) < 0 || setuid(nobody->pw_uid) < 0)
			_exit(3);
		sock_path(path, sizeof(path), "nobody");
		snprintf(addr, sizeof(addr), "unix:%s", path);
		if (lb_listen_open(addr, &root, err, sizeof(err)) >= 0)
			_exit(4);
		if (strstr(err,
		        "cannot give the socket to 'root:': "
		        "Operation not permitted (only root can") == NULL) {
			fprintf(stderr, "%s\n", err);
			_exit(5);
		}
		_exit(access(path, F_OK) == 0 ? 6 : 0);
	}
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void
lb_test_suite_listen(void)
{
	static CU_TestInfo tests[] = {
		{ "addresses", test_parse },
		{ "live, stale and other files", test_live_stale_and_files },
		{ "mode, owner and group", test_mode_owner_group },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("listen", tests);
}
