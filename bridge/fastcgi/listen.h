/*
 * listen.h - the gateway's listening socket: the address syntax, one
 * parser for gateway.listen and -l, and opening the socket.
 */
#ifndef LB_LISTEN_H
#define LB_LISTEN_H

#include <stddef.h>

/* A parsed listen address. */
struct lb_listen_addr {
	int is_unix;
	int is_systemd; /* "systemd:NAME": a socket systemd passes */
	char name[256]; /* its FileDescriptorName= */
	char path[108]; /* unix: the socket's path (sizeof sun_path) */
	char host[256]; /* TCP: an address or a name, without brackets */
	char port[6];   /* TCP: 1 to 65535 */
};

/*
 * Parses "unix:/path", "host:port", "[v6]:port" or "systemd:NAME" into *a.  A TCP address
 * needs a host ("0.0.0.0" or "[::]" for every interface; not "" or "*")
 * and a port from 1 to 65535.  Returns NULL, or the reason (a static
 * string).  No I/O.
 */
const char *lb_listen_parse(const char *s, struct lb_listen_addr *a);

/* How a unix socket the bridge creates is given to the web server. */
struct lb_listen_opts {
	int mode;          /* permissions, e.g. 0660 */
	const char *owner; /* user name or uid, or NULL: the bridge's */
	const char *group; /* group name or gid, or NULL: the bridge's */
};

/* The default: mode 0660, the bridge's user and group. */
extern const struct lb_listen_opts lb_listen_default;

/*
 * Opens the listening socket for `addr`, or for NULL an inherited one: the
 * socket systemd passed named "lambdabridge" (or the only one it passed;
 * lb_service_init must have run), else fd 0.  "systemd:NAME" is the
 * passed socket of that name.  A unix socket is
 * created with o's mode, owner and group (NULL o: lb_listen_default)
 * before it listens; an existing path is replaced only when it is a
 * socket nobody accepts on (a stale one): a live socket or another kind
 * of file is refused.  Returns the fd, or -1 with "cannot listen on
 * 'ADDR': reason" in err.
 */
int lb_listen_open(
    const char *addr, const struct lb_listen_opts *o, char *err, size_t errlen);

#endif /* LB_LISTEN_H */
