/*
 * listen.c - the gateway's listening socket (see listen.h).
 *
 * A unix socket is where the web server sends its clients' cookies and
 * Authorization headers, so the bridge does not take a path over lightly:
 * a socket some process accepts on is refused (two bridges would share
 * nginx's connections between them), only a stale one (connect() refused)
 * is replaced, and the new socket gets its mode, owner and group before
 * it listens, so nobody else can connect in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/service.h"
#include "fastcgi/listen.h"

#define BACKLOG 1024

const struct lb_listen_opts lb_listen_default = { 0660, NULL, NULL };

static const char want_addr[] =
    "expected \"unix:/path\", \"host:port\", \"[v6]:port\" or "
    "\"systemd:NAME\"";

const char *
lb_listen_parse(const char *s, struct lb_listen_addr *a)
{
	const char *host, *port, *colon;
	size_t hlen, n;
	long v = 0;

	memset(a, 0, sizeof(*a));
	if (strncmp(s, "systemd:", 8) == 0) {
		n = strlen(s + 8);
		if (n == 0)
			return "\"systemd:\" needs the socket's name "
			       "(FileDescriptorName=)";
		if (n >= sizeof(a->name))
			return "the socket name is longer than 255 bytes";
		a->is_systemd = 1;
		memcpy(a->name, s + 8, n + 1);
		return NULL;
	}
	if (strncmp(s, "unix:", 5) == 0) {
		n = strlen(s + 5);
		if (n == 0)
			return "\"unix:\" needs a socket path";
		if (n >= sizeof(a->path))
			return "the socket path is longer than 107 bytes";
		a->is_unix = 1;
		memcpy(a->path, s + 5, n + 1);
		return NULL;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return want_addr;
		host = s + 1;
		hlen = (size_t)(close - host);
		port = close + 2;
		if (hlen > 0 && memchr(host, ':', hlen) == NULL)
			return "expected an IPv6 address inside [ ]";
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return want_addr;
		host = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
		if (memchr(host, ':', hlen) != NULL)
			return "an IPv6 address goes inside [ ]: "
			       "\"[::1]:9000\"";
		for (size_t i = 0; i < hlen; i++)
			if (!(host[i] >= 'a' && host[i] <= 'z') &&
			    !(host[i] >= 'A' && host[i] <= 'Z') &&
			    !(host[i] >= '0' && host[i] <= '9') &&
			    strchr(".-_", host[i]) == NULL)
				return hlen == 1 && host[0] == '*'
				    ? "expected \"unix:/path\", \"host:port\" "
				      "or \"[v6]:port\" with an address, not "
				      "'*' (0.0.0.0 or [::] for every "
				      "interface)"
				    : "expected an IP address or a host name "
				      "before the port";
	}
	if (hlen == 0)
		return "expected \"unix:/path\", \"host:port\" or "
		       "\"[v6]:port\" with a host (0.0.0.0 or [::] for every "
		       "interface)";
	if (hlen >= sizeof(a->host))
		return "the host is longer than 255 bytes";
	n = strlen(port);
	if (n == 0 || n > 5 || strspn(port, "0123456789") != n ||
	    (v = strtol(port, NULL, 10)) < 1 || v > 65535)
		return "the port must be a number from 1 to 65535";
	memcpy(a->host, host, hlen);
	memcpy(a->port, port, n + 1);
	return NULL;
}

static int
listen_tcp(
    const char *addr, const struct lb_listen_addr *a, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", addr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, BACKLOG) == 0)
			break;
		snprintf(err, errlen, "cannot listen on '%s': %s", addr,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* A user or group: a name, or a number.  -1 when there is none such. */
static long
id_of(const char *name, int group)
{
	char *end;
	long v = strtol(name, &end, 10);
	struct group *g;
	struct passwd *p;

	if (*name != '\0' && *end == '\0' && v >= 0)
		return v;
	if (group) {
		g = getgrnam(name);
		return g != NULL ? (long)g->gr_gid : -1;
	}
	p = getpwnam(name);
	return p != NULL ? (long)p->pw_uid : -1;
}

/*
 * Whether a process accepts on the socket at `sun`: 1 yes, 0 a stale
 * socket (connection refused), -1 cannot tell (errno).
 */
static int
live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		rc = 1; /* accepted, or its backlog is full: alive */
	} else if (errno == ECONNREFUSED) {
		rc = 0;
	} else {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return rc;
}

static int
listen_unix(const char *addr, const struct lb_listen_addr *a,
    const struct lb_listen_opts *o, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	long uid = -1, gid = -1;
	mode_t old_mask;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
	if (o->owner != NULL && (uid = id_of(o->owner, 0)) < 0) {
		snprintf(err, errlen, "cannot listen on '%s': no user '%s'",
		    addr, o->owner);
		return -1;
	}
	if (o->group != NULL && (gid = id_of(o->group, 1)) < 0) {
		snprintf(err, errlen, "cannot listen on '%s': no group '%s'",
		    addr, o->group);
		return -1;
	}
	if (lstat(a->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
			    "cannot listen on '%s': exists and is not a socket",
			    addr);
			return -1;
		}
		rc = live(&sun);
		if (rc != 0) {
			snprintf(err, errlen,
			    rc > 0 ? "cannot listen on '%s': a running process "
			             "already serves it"
			           : "cannot listen on '%s': cannot tell "
			             "whether a process serves it: %s",
			    addr, strerror(errno));
			return -1;
		}
		unlink(a->path); /* stale */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", addr,
		    strerror(errno));
		return -1;
	}
	/* nobody may connect before the mode and owner are right: created
	 * private (start-up is single-threaded), listening last */
	old_mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", addr,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((uid >= 0 || gid >= 0) &&
	    chown(a->path, (uid_t)uid, (gid_t)gid) < 0) {
		snprintf(err, errlen,
		    "cannot listen on '%s': cannot give the socket to "
		    "'%s:%s': %s (only root can give it to another user, or "
		    "to a group the bridge's user is not in)",
		    addr, o->owner != NULL ? o->owner : "",
		    o->group != NULL ? o->group : "", strerror(errno));
		goto fail;
	}
	if (chmod(a->path, (mode_t)o->mode) < 0 || listen(fd, BACKLOG) < 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", addr,
		    strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlink(a->path);
	return -1;
}

int
lb_listen_open(
    const char *addr, const struct lb_listen_opts *o, char *err, size_t errlen)
{
	struct lb_listen_addr a;
	const char *why;
	int acc = 0, fd;
	socklen_t len = sizeof(acc);

	if (addr != NULL) {
		why = lb_listen_parse(addr, &a);
		if (why != NULL) {
			snprintf(err, errlen, "cannot listen on '%s': %s", addr,
			    why);
			return -1;
		}
		if (a.is_systemd) {
			fd = lb_service_listen_fd(a.name, err, errlen);
			if (fd == -2)
				snprintf(err, errlen,
				    "cannot listen on '%s': systemd passed no "
				    "socket (LISTEN_FDS)",
				    addr);
			return fd < 0 ? -1 : fd;
		}
		if (a.is_unix)
			return listen_unix(addr, &a,
			    o != NULL ? o : &lb_listen_default, err, errlen);
		return listen_tcp(addr, &a, err, errlen);
	}
	/* inherited: systemd's socket activation, else fd 0 (spawn-fcgi,
	 * mod_fcgid) */
	fd = lb_service_listen_fd(NULL, err, errlen);
	if (fd != -2)
		return fd;
	fd = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc) {
		snprintf(err, errlen,
		    "no listen address (gateway.listen or -l) and fd %d is "
		    "not a listening socket",
		    fd);
		return -1;
	}
	return fd;
}
