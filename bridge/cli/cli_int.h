/*
 * cli_int.h - internals shared by the files of the cli layer (prefix
 * lb_cli__); never included from another layer.
 */
#ifndef LB_CLI_INT_H
#define LB_CLI_INT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads `f` to its end into a new buffer (free it), NUL-terminated after
 * the *len bytes read, which may contain NULs.  Returns NULL with errno set:
 * EFBIG when there are more than `max` bytes, ENOMEM, or the read's error.
 */
char *lb_cli__read_all(FILE *f, size_t max, size_t *len);

#endif /* LB_CLI_INT_H */
