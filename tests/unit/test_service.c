/*
 * test_service.c - the sockets systemd passes, as systemd passes them (fd
 * 3 on, LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES), taken through libsystemd:
 * by name, the only one, a wrong name, a socket that does not listen, and
 * the variables gone afterwards.  Each case runs in a child of its own:
 * what lb_service_init takes is the process's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/service.h"
#include "test.h"

void lb_test_suite_service(void);

/* A stream socket at `fd`, listening or not. */
static int
socket_at(int fd, int listening)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		return -1;
	if (listening && listen(s, 1) < 0)
		return -1;
	if (s != fd && (dup2(s, fd) < 0 || close(s) < 0))
		return -1;
	return 0;
}

/* Passes n sockets (the second not listening when `bad`) as systemd does. */
static int
pass(int n, const char *names, int bad)
{
	char pid[32];

	for (int i = 0; i < n; i++)
		if (socket_at(3 + i, !(bad && i == 1)) < 0)
			return -1;
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", n == 1 ? "1" : "2", 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
	return 0;
}

/* Runs `fn` in a child; its exit status is the number of the first check
 * that failed, 0 when all passed. */
static int
in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int
by_name(void)
{
	char err[256];

	if (pass(2, "metrics:api", 0) < 0)
		return 1;
	if (lb_service_init(err, sizeof(err)) != 2)
		return 2;
	/* gone for every child */
	if (getenv("LISTEN_PID") != NULL || getenv("LISTEN_FDS") != NULL ||
	    getenv("LISTEN_FDNAMES") != NULL)
		return 3;
	if (lb_service_listen_fd("api", err, sizeof(err)) != 4)
		return 4;
	if (lb_service_listen_fd("metrics", err, sizeof(err)) != 3)
		return 5;
	if (lb_service_listen_fd("nosuch", err, sizeof(err)) != -1 ||
	    strstr(err, "no socket named 'nosuch'") == NULL ||
	    strstr(err, "'metrics', 'api'") == NULL)
		return 6;
	/* two sockets, neither named lambdabridge: no default */
	if (lb_service_listen_fd(NULL, err, sizeof(err)) != -1 ||
	    strstr(err, "'lambdabridge'") == NULL)
		return 7;
	return 0;
}

static int
only_one(void)
{
	char err[256];

	if (pass(1, "whatever", 0) < 0)
		return 1;
	if (lb_service_init(err, sizeof(err)) != 1)
		return 2;
	if (lb_service_listen_fd(NULL, err, sizeof(err)) != 3)
		return 3;
	return 0;
}

static int
default_name(void)
{
	char err[256];

	if (pass(2, "other:lambdabridge", 0) < 0)
		return 1;
	if (lb_service_init(err, sizeof(err)) != 2)
		return 2;
	if (lb_service_listen_fd(NULL, err, sizeof(err)) != 4)
		return 3;
	return 0;
}

static int
not_listening(void)
{
	char err[256];

	if (pass(2, "a:b", 1) < 0)
		return 1;
	if (lb_service_init(err, sizeof(err)) != 2)
		return 2;
	if (lb_service_listen_fd("b", err, sizeof(err)) != -1 ||
	    strstr(err, "not a listening stream socket") == NULL)
		return 3;
	return 0;
}

static int
someone_elses(void)
{
	char err[256];

	if (pass(1, "lambdabridge", 0) < 0)
		return 1;
	setenv("LISTEN_PID", "1", 1); /* meant for another process */
	if (lb_service_init(err, sizeof(err)) != 0)
		return 2;
	if (lb_service_listen_fd(NULL, err, sizeof(err)) != -2)
		return 3;
	return 0;
}

static int
without_systemd(void)
{
	char err[256];

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	if (lb_service_init(err, sizeof(err)) != 0)
		return 1;
	if (lb_service_listen_fd("api", err, sizeof(err)) != -2)
		return 2;
	if (lb_service_notifying() || lb_service_watchdog_usec() != 0)
		return 3;
	/* no manager: these do nothing, and do not fail */
	lb_service_ready("x");
	lb_service_reloading();
	lb_service_status("y");
	lb_service_watchdog();
	lb_service_stopping();
	return 0;
}

static void
test_passed_sockets(void)
{
	CU_ASSERT_EQUAL(in_child(by_name), 0);
	CU_ASSERT_EQUAL(in_child(only_one), 0);
	CU_ASSERT_EQUAL(in_child(default_name), 0);
	CU_ASSERT_EQUAL(in_child(not_listening), 0);
	CU_ASSERT_EQUAL(in_child(someone_elses), 0);
	CU_ASSERT_EQUAL(in_child(without_systemd), 0);
}

void
lb_test_suite_service(void)
{
	static CU_TestInfo tests[] = {
		{ "passed sockets", test_passed_sockets },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("service", tests);
}
