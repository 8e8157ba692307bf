/*
 * service.c - systemd's readiness protocol and socket activation (see
 * service.h), through libsystemd's sd-daemon calls: never a protocol of our
 * own.  The passed sockets are kept from lb_service_init on; the messages
 * go out from the main thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "base/service.h"

#define DEFAULT_NAME "lambdabridge"

/* What lb_service_init took: the passed fds (from SD_LISTEN_FDS_START)
 * and their names; the fds not handed out are closed by nobody (they are
 * close-on-exec). */
static int nfds;
static char **fdnames;
static uint64_t watchdog_usec;

int
lb_service_init(char *err, size_t errlen)
{
	uint64_t usec = 0;
	int n;

	/* 1: unset LISTEN_* for every child */
	n = sd_listen_fds_with_names(1, &fdnames);
	if (n < 0) {
		snprintf(err, errlen,
		    "cannot take the sockets systemd passed: %s", strerror(-n));
		return -1;
	}
	nfds = n;
	if (sd_watchdog_enabled(1, &usec) > 0)
		watchdog_usec = usec;
	return n;
}

/* Names of the passed fds, "a, b", into buf. */
static void
list_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < nfds && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s'%s'",
		    i > 0 ? ", " : "", fdnames != NULL ? fdnames[i] : "?");

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int
lb_service_listen_fd(const char *name, char *err, size_t errlen)
{
	char names[512];
	int i, fd, rc;

	if (nfds <= 0)
		return -2;
	for (i = 0; i < nfds; i++)
		if (fdnames != NULL && fdnames[i] != NULL &&
		    strcmp(fdnames[i], name != NULL ? name : DEFAULT_NAME) == 0)
			break;
	if (i == nfds && name == NULL && nfds == 1)
		i = 0;
	list_names(names, sizeof(names));
	if (i == nfds) {
		snprintf(err, errlen,
		    "systemd passed no socket named '%s' (it passed %s: set "
		    "FileDescriptorName= in the socket unit)",
		    name != NULL ? name : DEFAULT_NAME, names);
		return -1;
	}
	fd = SD_LISTEN_FDS_START + i;
	rc = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);
	if (rc <= 0) {
		snprintf(err, errlen,
		    "the socket systemd passed as '%s' is not a listening "
		    "stream socket%s%s",
		    fdnames != NULL ? fdnames[i] : "?", rc < 0 ? ": " : "",
		    rc < 0 ? strerror(-rc) : "");
		return -1;
	}
	return fd;
}

int
lb_service_notifying(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}

void
lb_service_ready(const char *status)
{
	if (status != NULL)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		sd_notify(0, "READY=1");
}

void
lb_service_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	        (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
lb_service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void
lb_service_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

uint64_t
lb_service_watchdog_usec(void)
{
	return watchdog_usec;
}

void
lb_service_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}
