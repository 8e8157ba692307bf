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

#endif /* LB_MEDIA_H */
