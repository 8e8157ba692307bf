/* event.c - STUB, replaced by the real event builder. */
#include <stdio.h>
#include <string.h>

#include "event.h"

int
lb_event_split_uri(
    const char *uri, const char **path, size_t *path_len, const char **query)
{
	const char *q = strchr(uri, '?');

	*path = uri;
	*path_len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	*query = q != NULL && q[1] != '\0' ? q + 1 : NULL;
	return *path_len > 0 && uri[0] == '/' ? 0 : -1;
}

int
lb_event_locate(const struct lb_config *cfg, const char *uri, const char **path,
    size_t *path_len, const char **query)
{
	(void)cfg;
	return lb_event_split_uri(uri, path, path_len, query);
}

json_object *
lb_event_build(const struct lb_event_input *in, char *err, size_t errlen)
{
	(void)in;
	snprintf(err, errlen, "event building is not built yet");
	return NULL;
}
