/*
 * probe.h - the module probe of a configuration check (probe.c).
 */
#ifndef LB_PROBE_H
#define LB_PROBE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Checks in a child process that `module` loads and exports `symbol` (and
 * the ABI stamp); an lb_config_probe.  A bridge that may switch users
 * loads it as the ids lb_sandbox_probe_ids gave this thread, and without
 * them does not load it at all (returns 0: lb_config_check_users refuses
 * such a function).  Returns 0, or -1 with the reason.
 */
int lb_probe_module(
    const char *module, const char *symbol, char *err, size_t errlen);

/*
 * Whether a provided function's environments, run as uid/gid (`set_ids`;
 * else as this process), may execute `program` and enter `dir`: checked
 * with access(2) in a child that switched to those ids, so that a folder
 * on the way they cannot search counts too.  Returns 0, or -1 with the
 * reason ("'PATH': Permission denied").
 */
int lb_probe_exec(const char *program, const char *dir, int set_ids, uid_t uid,
    gid_t gid, char *err, size_t errlen);

#endif /* LB_PROBE_H */
