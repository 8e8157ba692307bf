/*
 * dump.h - the configuration as `lambdabridge check` prints it.
 */
#ifndef LB_DUMP_H
#define LB_DUMP_H

#include <stdio.h>

#include "config.h"

/*
 * Writes a human-readable summary of `cfg` (borrowed) to `out`: the API
 * type, listen address, stage and limits, then the route table (route key,
 * function, payload format, module:handler, timeout, memory, concurrency).
 * Write errors are left in `out` for the caller to see.
 */
void lb_dump_config(const struct lb_config *cfg, FILE *out);

#endif /* LB_DUMP_H */
