/*
 * provided.h - the worker of a `runtime = "provided"` function: a Runtime
 * API server on 127.0.0.1 for the function's own bootstrap, its child,
 * that turns the Runtime API into the frames a native worker exchanges
 * with the gateway (docs/design.md, "The worker of a provided runtime").
 */
#ifndef LB_PROVIDED_H
#define LB_PROVIDED_H

#include <stdint.h>

/* What the worker's arguments say about a provided runtime; borrowed. */
struct lb_provided {
	const char *code_dir; /* the bootstrap's working directory, or "" */
	char **argv;          /* the bootstrap's, NULL-terminated, absolute */
	const char *arn;      /* Lambda-Runtime-Invoked-Function-Arn */
	int memory_mb;        /* the RSS the bootstrap may reach */
	int64_t started_us;   /* lb_mono_us() when the worker started */
};

/*
 * Runs the shim until the bootstrap exits, posts init/error, passes its
 * memory, or the gateway closes the channel (lb_worker_chan_in and the
 * reply side of worker.h).  Returns the worker's exit status: the
 * bootstrap's own when it exited (when a signal ended it, the shim ends
 * itself with the same signal and does not return), 0 when the gateway
 * left, 1 after an INIT_ERROR, 137 after an OOM frame, 2 on a bad frame.
 */
int lb_provided_main(const struct lb_provided *p);

#endif /* LB_PROVIDED_H */
