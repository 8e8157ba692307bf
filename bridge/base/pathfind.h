/*
 * pathfind.h - a program named without a slash, found in $PATH as execvp
 * finds it.
 */
#ifndef LB_PATHFIND_H
#define LB_PATHFIND_H

#include <stddef.h>

/*
 * The first "DIR/name" of $PATH that is executable, into out[0..len): an
 * empty entry at the start or between two colons is the current folder,
 * and an unset or empty $PATH is "/usr/local/bin:/usr/bin:/bin", as
 * execvp takes them (a trailing ':' adds nothing here).  0, or -1 when no
 * entry has it (or its path does not fit).
 */
int lb_path_find(const char *name, char *out, size_t len);

#endif /* LB_PATHFIND_H */
