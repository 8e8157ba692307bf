/*
 * flood.c - test handler: writes a lot of log output, then returns.
 *
 *	?mb=N       N MB (default 8) of lines, alternating stdout and stderr
 *	?line=N     line length (default 100; a huge N makes one giant line)
 *
 * Result: 200 {"pid": P, "bytes": written}.  The gateway must keep
 * draining the worker's output pipe while it waits for the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lambdabridge.h>

lb_handler flood_handler;

static long
query_long(json_object *event, const char *name, long def)
{
	json_object *qs, *v;

	if (!json_object_object_get_ex(event, "queryStringParameters", &qs) ||
	    !json_object_object_get_ex(qs, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return def;
	return strtol(json_object_get_string(v), NULL, 10);
}

json_object *
flood_handler(json_object *event, const lb_context *ctx)
{
	long total = query_long(event, "mb", 8) * 1024 * 1024;
	long linelen = query_long(event, "line", 100), written = 0;
	json_object *res;
	char *line, body[96];

	(void)ctx;
	if (linelen < 2 || linelen > 64L * 1024 * 1024)
		linelen = 100;
	line = malloc((size_t)linelen);
	if (line == NULL)
		return lb_error("OutOfMemory", "no line buffer");
	memset(line, 'f', (size_t)linelen - 1);
	line[linelen - 1] = '\n';
	for (long i = 0; written < total; i++) {
		fwrite(line, 1, (size_t)linelen, i % 2 == 0 ? stdout : stderr);
		written += linelen;
	}
	free(line);
	snprintf(body, sizeof(body), "{\"pid\":%d,\"bytes\":%ld}",
	    (int)getpid(), written);
	res = json_object_new_object();
	json_object_object_add(res, "statusCode", json_object_new_int(200));
	json_object_object_add(res, "body", json_object_new_string(body));
	return res;
}
