/*
 * cli_input.c - reading what the subcommands are given on a file or stdin:
 * `invoke`'s EVENT.json and `event`'s -d @FILE.
 */
#include <errno.h>
#include <stdlib.h>

#include "cli/cli_int.h"

char *
lb_cli__read_all(FILE *f, size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	int saved;

	if (buf == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		size_t r;

		if (n + 1 >= cap) {
			if (cap > max + 1) {
				errno = EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		r = fread(buf + n, 1, cap - 1 - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				goto fail;
			break;
		}
	}
	if (n > max) {
		errno = EFBIG;
		goto fail;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	saved = errno;
	free(buf);
	errno = saved;
	return NULL;
}
