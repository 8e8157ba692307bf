/*
 * pathfind.c - a program found in $PATH (pathfind.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/pathfind.h"

int
lb_path_find(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		int n;

		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		n = snprintf(out, len, "%.*s/%s", end == p ? 1 : (int)(end - p),
		    end == p ? "." : p, name);
		if (n > 0 && (size_t)n < len && access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}
