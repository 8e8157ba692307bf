/*
 * service.h - what the bridge tells its service manager, and the sockets
 * the manager passes: systemd's readiness protocol and socket activation,
 * through libsystemd (the only module that includes it).  Without systemd
 * (no NOTIFY_SOCKET, no LISTEN_FDS) every call does nothing.
 */
#ifndef LB_SERVICE_H
#define LB_SERVICE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Takes the sockets systemd passed (LISTEN_FDS, LISTEN_FDNAMES) and unsets
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so that no child (workers,
 * bootstraps) mistakes them for its own.  Call once, before any thread.
 * Returns how many were passed, or -1 with the reason in err.
 */
int lb_service_init(char *err, size_t errlen);

/*
 * The passed listening stream socket named `name` (FileDescriptorName=),
 * or for NULL the one named "lambdabridge", else the only one passed.
 * Returns the fd (the caller owns it), -1 with the reason in err, or -2
 * when systemd passed no socket at all (err untouched).
 */
int lb_service_listen_fd(const char *name, char *err, size_t errlen);

/* The manager was told nothing yet and waits for READY=1: whether
 * NOTIFY_SOCKET is set. */
int lb_service_notifying(void);

/* READY=1 with a STATUS= line (may be NULL). */
void lb_service_ready(const char *status);

/* RELOADING=1 with MONOTONIC_USEC= (now, CLOCK_MONOTONIC). */
void lb_service_reloading(void);

/* STOPPING=1. */
void lb_service_stopping(void);

/* STATUS=status. */
void lb_service_status(const char *status);

/*
 * The watchdog interval systemd expects WATCHDOG=1 within (WatchdogSec=,
 * WATCHDOG_USEC), in microseconds; 0 when there is none.
 */
uint64_t lb_service_watchdog_usec(void);

/* WATCHDOG=1. */
void lb_service_watchdog(void);

#endif /* LB_SERVICE_H */
