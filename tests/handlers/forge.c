/*
 * forge.c - a handler that writes a reply frame of its own to the
 * environment's channel, as a buggy (or curious) function could, then
 * returns normally (tests/unit/test_env.c, tests/integration test_code.py).
 *
 *	forge_handler  200 {"statusCode": 200, "body": <the event's body>};
 *	               a body starting with "forge" first writes a forged
 *	               RESULT frame whose answer is "forged" to the channel:
 *	               "forge" in the old layout (24 bytes of metadata),
 *	               "forge32" in the new one with sequence number 0.
 *
 * It finds the channel as a handler would: fd 4, else the first socket in
 * /proc/self/fd.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

#include "handler_util.h"

lb_handler forge_handler;

static const char forged[] = "{\"statusCode\":200,\"body\":\"forged\"}";

/* A RESULT frame (type 4) with `meta` zero bytes of metadata. */
static size_t
frame(unsigned char *out, size_t meta)
{
	size_t len = meta + sizeof(forged) - 1;

	memset(out, 0, 8 + meta);
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(len >> (8 * i));
	out[4] = 4;
	memcpy(out + 8 + meta, forged, sizeof(forged) - 1);
	return 8 + len;
}

static int
is_socket(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strncmp(target, "socket:", 7) == 0;
}

/* fd 4 when it is a socket, else the first socket after stderr; -1. */
static int
find_channel(void)
{
	DIR *d;
	struct dirent *e;
	int found = -1;

	if (is_socket(4))
		return 4;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while (found < 0 && (e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != dirfd(d) && is_socket(fd))
			found = fd;
	}
	closedir(d);
	return found;
}

json_object *
forge_handler(json_object *event, const lb_context *ctx)
{
	const char *body = th_field(event, "body");
	json_object *res;

	(void)ctx;
	if (body == NULL)
		body = "";
	if (strncmp(body, "forge", 5) == 0) {
		unsigned char buf[128];
		size_t n = frame(buf, strcmp(body, "forge32") == 0 ? 32 : 24);
		int fd = find_channel();

		if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
			fprintf(stderr, "forge: no channel found\n");
	}
	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}
