/*
 * ctor_ids.c - a module whose constructor appends the effective uid it runs
 * as to the file that LB_TEST_CTOR_FILE names (when set): who runs a
 * module's code before any handler (the probe, each environment).
 * ctor_handler answers 200.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

json_object *ctor_handler(json_object *event, const lb_context *ctx);

__attribute__((constructor)) static void
record_uid(void)
{
	const char *path = getenv("LB_TEST_CTOR_FILE");
	char line[32];
	int fd;

	if (path == NULL)
		return;
	snprintf(line, sizeof(line), "%u\n", (unsigned)geteuid());
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		perror("ctor_ids");
	close(fd);
}

json_object *
ctor_handler(json_object *event, const lb_context *ctx)
{
	json_object *res = json_object_new_object();

	(void)event;
	(void)ctx;
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	return res;
}
