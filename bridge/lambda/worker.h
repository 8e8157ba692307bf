/*
 * worker.h - the worker side of an execution environment (`lambdabridge
 * __worker` and `__spare`): its channel and arguments, its entry points,
 * and loading a module (the worker's and the probe child's).
 */
#ifndef LB_WORKER_H
#define LB_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/frame.h"

/* The fds on which a worker is started with its channel: frames from the
 * gateway (a pipe) and its own (a socket); env.c says why.  Both may be one
 * socket (the unit tests' workers).  The worker moves them to high
 * close-on-exec numbers before it loads the module. */
#define LB_WORKER_FD     3
#define LB_WORKER_OUT_FD 4

/*
 * Worker argv after "__worker": the frame version, then these in order.
 * All of them are strings; env.c builds them, lb_worker_main parses them.
 * A provided-runtime worker (provided.h) has MODULE "" and the bootstrap's
 * argv (at least its absolute path) after them.
 */
enum lb_worker_arg {
	LB_WARG_VERSION,  /* LB_FRAME_VERSION */
	LB_WARG_MODULE,   /* absolute path of the .so */
	LB_WARG_HANDLER,  /* symbol */
	LB_WARG_FUNCTION, /* function name */
	LB_WARG_FVERSION, /* "$LATEST" */
	LB_WARG_MEMORY,   /* MB */
	LB_WARG_ARN,      /* invoked_function_arn */
	LB_WARG_GROUP,    /* log group */
	LB_WARG_STREAM,   /* log stream */
	LB_WARG_RUNTIME,  /* "native" or "provided" */
	LB_WARG_CODE_DIR, /* provided: the bootstrap's cwd; "" for native */
	LB_WARG_COUNT,    /* provided: the bootstrap's argv follows */
};

/*
 * Loads `path` (its pinned copy, or NULL for the file `module` itself) with
 * dlopen(RTLD_NOW | RTLD_LOCAL), checks its ABI stamp (lb_abi_version ==
 * LB_ABI_VERSION) and looks up `symbol` into *fn, which must be a function.
 * Returns the dlopen handle (never closed: the module may be running), or
 * NULL with the reason in err (naming `module`) and the Lambda error type
 * ("Runtime.ImportModuleError", "Runtime.HandlerNotFound") in *errtype.
 * Used by the worker and the probe.
 */
void *lb_worker_load(const char *path, const char *module, const char *symbol,
    void **fn, const char **errtype, char *err, size_t errlen);

/*
 * The frame side of a worker, for the provided-mode shim (provided.c):
 * the descriptor the gateway's frames come in on, once the channel is
 * hidden (see lb_worker_main).
 */
int lb_worker_chan_in(void);

/*
 * Sends a reply frame of `type` to the gateway: metadata `m`, then
 * body[0..len).  Blocks until it is written (frame.h, lb_frame_send).
 * 0, or -1 with errno.
 */
int lb_worker_reply(
    uint32_t type, const struct lb_frame_meta *m, const char *body, size_t len);

/*
 * Writes {"errorMessage":..,"errorType":..} into out[cap] (cap at least
 * 512; the message is cut to fit), without allocating: it also serves at
 * the memory limit.  Returns its length.
 */
size_t lb_worker_error_json(
    char *out, size_t cap, const char *etype, const char *message);

/*
 * Worker mode: the entry point of `lambdabridge __worker`; never returns to
 * the caller's main loop.  Returns the process exit status.
 */
int lb_worker_main(int argc, char **argv);

/*
 * Spare mode: the entry point of `lambdabridge __spare VERSION PADDING`
 * (argv is main's, program name first).  A worker started before any
 * function needs it waits for one START frame, takes the arguments and the
 * environment it carries, shows them in its command line where they fit in
 * the room PADDING left, and goes on as lb_worker_main.  Returns 0 when the
 * gateway closes the pipe first.
 */
int lb_worker_spare(int argc, char **argv);

#endif /* LB_WORKER_H */
