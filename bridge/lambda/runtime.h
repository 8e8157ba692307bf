/*
 * runtime.h - the worker's side of the handler runtime helpers of
 * lambdabridge.h (runtime.c): the per-invocation state behind lb_error and
 * lb_remaining_time_ms.
 */
#ifndef LB_RUNTIME_H
#define LB_RUNTIME_H

/*
 * Per-invocation runtime state (the worker is single-threaded): starts an
 * invocation whose context lb_remaining_time_ms will see, clearing any
 * recorded lb_error.
 */
void lb_runtime_begin(void);

/*
 * Ends the invocation's handler call: frees what lb_event_body decoded for
 * it.  Keeps errno.
 */
void lb_runtime_end(void);

/*
 * The error the handler recorded with lb_error during this invocation:
 * returns 1 and sets the borrowed strings, or 0 when there was none.
 */
int lb_runtime_error(const char **type, const char **message);

#endif /* LB_RUNTIME_H */
