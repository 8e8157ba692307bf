/*
 * ids.h - request identifiers in API Gateway's formats and time helpers.
 * Thread-safe; random bits come from getrandom(2) through a per-thread
 * generator.
 */
#ifndef LB_IDS_H
#define LB_IDS_H

#include <stdint.h>

#define LB_IDS_UUID_LEN  36 /* 7c2af7db-31f3-42b5-8a6d-9ffc74e3b9e0 */
#define LB_IDS_SHORT_LEN 16 /* ATfSdF7nPHcErRA= */
#define LB_IDS_TRACE_LEN 40 /* Root=1-5f84c7a9-6e1b2a3c4d5e6f7a8b9c0d1e */

/* A lowercase UUID v4 into out[LB_IDS_UUID_LEN + 1]. */
void lb_ids_uuid(char *out);

/* A 16-char API Gateway extended id (base64 alphabet, ending '='). */
void lb_ids_short(char *out);

/* An X-Amzn-Trace-Id root at time `ms` into out[LB_IDS_TRACE_LEN + 1]. */
void lb_ids_trace(char *out, int64_t ms);

/* Wall clock in ms since the epoch. */
int64_t lb_now_ms(void);

/* Monotonic clock in ms. */
int64_t lb_mono_ms(void);

/* Monotonic clock in microseconds. */
int64_t lb_mono_us(void);

#endif /* LB_IDS_H */
