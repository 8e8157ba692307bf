/*
 * code.h - pinned function code: a private, immutable copy of a module taken
 * when a configuration is loaded (a sealed memfd), from which every
 * environment of that configuration loads its module.  The user's file may
 * then change at any time; nothing runs the new bytes until a reload pins
 * them, as a deploy does on AWS.
 */
#ifndef LB_CODE_H
#define LB_CODE_H

#include <stddef.h>

/*
 * Checks that buf[0..len) is a whole ELF shared object for this machine:
 * its header, its program headers, the file bytes of every segment and its
 * section headers all lie inside the buffer (a file caught half-written
 * fails).  Returns 0, or -1 with the reason in err.  Pure.
 */
int lb_code_elf_check(
    const unsigned char *buf, size_t len, char *err, size_t errlen);

/*
 * Reads the module at `path` once into a memfd, checks it with
 * lb_code_elf_check and seals it (no write, shrink or grow, no further
 * seals).  A file that changes while it is read is read again, a few times
 * at most.  Returns the memfd (close-on-exec; the caller closes it), or -1
 * with the reason in err.
 */
int lb_code_pin(const char *path, char *err, size_t errlen);

/* Whether two pinned copies hold the same bytes (1) or not (0). */
int lb_code_same(int fd_a, int fd_b);

#endif /* LB_CODE_H */
