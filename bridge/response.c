/* response.c - STUB, replaced by the real response mapper. */
#include <stdio.h>

#include "response.h"

int
lb_response_map(const struct lb_response_input *in,
    struct lb_http_response *resp, char *err, size_t errlen)
{
	(void)in;
	(void)resp;
	snprintf(err, errlen, "response mapping is not built yet");
	return -1;
}
