/* SPDX-License-Identifier: MIT */
/*
 * notify.h - tell systemd we are ready, what we are doing, that we live
 *
 * Thin wrapper over libsystemd's sd_notify(). Without NOTIFY_SOCKET in the
 * environment (vstackd not started by systemd with Type=notify) every
 * function returns at once and sends nothing.
 */
#ifndef VSTACK_CTL_NOTIFY_H
#define VSTACK_CTL_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

void notify_init(void);
bool notify_enabled(void);
uint64_t notify_watchdog_usec(void);

void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_status_ready(void);
void notify_reloading(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void notify_stopping(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void notify_watchdog(void);

#endif /* VSTACK_CTL_NOTIFY_H */
