/* media.h - media type matching for binaryMediaTypes.  Pure. */
#ifndef LB_MEDIA_H
#define LB_MEDIA_H

#include <stddef.h>

/*
 * Does `content_type` (parameters such as "; charset=utf-8" ignored, ASCII
 * case-insensitive) match one of `types`: exactly, as "type/ *" (written
 * without the space), or "* / *"?  NULL or empty content_type never matches.
 */
int lb_media_match(const char *content_type, char *const *types, size_t ntypes);

/*
 * The essence of `content_type` ("type/subtype"): returns it with leading
 * blanks skipped and sets *len to its length without parameters and
 * trailing blanks.  NULL gives NULL and *len = 0.
 */
const char *lb_media_essence(const char *content_type, size_t *len);

#endif /* LB_MEDIA_H */
