/* media.c - media type matching for binaryMediaTypes. */
#include <string.h>
#include <strings.h>

#include "apigw/media.h"

static int
match_one(const char *ct, size_t ctlen, const char *pat)
{
	size_t plen = strlen(pat);
	const char *slash;

	if (strcmp(pat, "*/*") == 0)
		return 1;
	if (plen >= 2 && strcmp(pat + plen - 2, "/*") == 0) {
		slash = memchr(ct, '/', ctlen);
		return slash != NULL && (size_t)(slash - ct) == plen - 2 &&
		    strncasecmp(ct, pat, plen - 2) == 0;
	}
	return ctlen == plen && strncasecmp(ct, pat, plen) == 0;
}

const char *
lb_media_essence(const char *content_type, size_t *len)
{
	size_t n;

	*len = 0;
	if (content_type == NULL)
		return NULL;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	n = strcspn(content_type, ";");
	while (n > 0 &&
	    (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
		n--;
	*len = n;
	return content_type;
}

int
lb_media_match(const char *content_type, char *const *types, size_t ntypes)
{
	size_t len;

	content_type = lb_media_essence(content_type, &len);
	if (len == 0)
		return 0;
	for (size_t i = 0; i < ntypes; i++)
		if (match_one(content_type, len, types[i]))
			return 1;
	return 0;
}
