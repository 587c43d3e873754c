// SPDX-License-Identifier: MIT
/*
 * notify.c - systemd readiness, status and watchdog notification
 *
 * A Type=notify service gets NOTIFY_SOCKET, a datagram socket that takes
 * newline-separated KEY=VALUE assignments: READY=1 once the service can be
 * used, RELOADING=1 and STOPPING=1 around those phases, STATUS= for
 * "systemctl status", WATCHDOG=1 as a keep-alive. With WatchdogSec= set,
 * systemd also passes WATCHDOG_USEC (the deadline) and WATCHDOG_PID (the
 * process it means); a service that does not send WATCHDOG=1 within that
 * time is killed with SIGABRT and, with Restart=on-failure, restarted.
 * libsystemd speaks the protocol (sd_notify(), sd_watchdog_enabled()).
 *
 * notify_init() reads the environment once, in the process that serves
 * (after the fork to the background, whose child is not WATCHDOG_PID).
 * Without NOTIFY_SOCKET nothing is ever sent and no watchdog is reported,
 * whatever WATCHDOG_USEC says: there is no one to send it to.
 *
 * A failed send is logged once, as a warning: systemd going away is not a
 * reason for vstackd to stop switching.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

#define NOTIFY_STATUS_MAX 256

static bool notify_on;
static uint64_t notify_wd_usec;
static bool notify_warned;
/* The STATUS= of the last READY=1, for notify_status_ready(). */
static char notify_ready_text[NOTIFY_STATUS_MAX];

/**
 * notify_init() - read NOTIFY_SOCKET and the watchdog settings
 */
void notify_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	notify_on = sock && *sock;
	notify_wd_usec = 0;
	notify_warned = false;
	if (!notify_on)
		return;
	/* > 0 only if WATCHDOG_USEC is set and WATCHDOG_PID, if set, is us. */
	if (sd_watchdog_enabled(0, &usec) > 0)
		notify_wd_usec = usec;
	log_debug("systemd notification on %s, watchdog %s", sock,
		  notify_wd_usec ? "on" : "off");
}

/**
 * notify_enabled() - are we talking to systemd?
 *
 * Return: true if NOTIFY_SOCKET was set at notify_init()
 */
bool notify_enabled(void)
{
	return notify_on;
}

/**
 * notify_watchdog_usec() - the watchdog deadline systemd gave us
 *
 * Return: microseconds within which WATCHDOG=1 must come, 0 if no watchdog
 */
uint64_t notify_watchdog_usec(void)
{
	return notify_wd_usec;
}

/**
 * notify_send() - send assignments, warn once if that fails
 * @state:	newline-separated KEY=VALUE lines
 */
static void notify_send(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0 && !notify_warned) {
		notify_warned = true;
		log_warn("cannot notify systemd: %s", strerror(-rc));
	}
}

/**
 * notify_vsend() - send @head followed by STATUS=<formatted text>
 * @head:	assignments before the status, each ending in '\n', or ""
 * @keep:	where to keep a copy of the status text, or NULL
 * @fmt:	status text
 * @ap:		its arguments
 *
 * A newline in the text would start a new assignment: it becomes a space.
 */
__attribute__((format(printf, 3, 0)))
static void notify_vsend(const char *head, char *keep, const char *fmt,
			 va_list ap)
{
	char status[NOTIFY_STATUS_MAX], msg[NOTIFY_STATUS_MAX + 64];
	char *p;

	vsnprintf(status, sizeof(status), fmt, ap);
	for (p = status; (p = strchr(p, '\n'));)
		*p = ' ';
	if (keep)
		memcpy(keep, status, sizeof(status));
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", head, status);
	notify_send(msg);
}

/**
 * notify_ready() - READY=1: start-up (or a reload) is complete
 * @fmt:	status text, e.g. what we serve
 */
void notify_ready(const char *fmt, ...)
{
	va_list ap;

	if (!notify_on)
		return;
	va_start(ap, fmt);
	notify_vsend("READY=1\n", notify_ready_text, fmt, ap);
	va_end(ap);
}

/**
 * notify_status() - STATUS=: one line for "systemctl status"
 * @fmt:	status text
 */
void notify_status(const char *fmt, ...)
{
	va_list ap;

	if (!notify_on)
		return;
	va_start(ap, fmt);
	notify_vsend("", NULL, fmt, ap);
	va_end(ap);
}

/**
 * notify_status_ready() - STATUS= again as it was at the last READY=1
 *
 * For when a passing condition that changed the status is over.
 */
void notify_status_ready(void)
{
	char msg[NOTIFY_STATUS_MAX + 16];

	if (!notify_on)
		return;
	snprintf(msg, sizeof(msg), "STATUS=%s", notify_ready_text);
	notify_send(msg);
}

/**
 * notify_reloading() - RELOADING=1: re-reading the configuration
 * @fmt:	status text
 *
 * Send notify_ready() when the reload is done.
 */
void notify_reloading(const char *fmt, ...)
{
	va_list ap;

	if (!notify_on)
		return;
	va_start(ap, fmt);
	notify_vsend("RELOADING=1\n", NULL, fmt, ap);
	va_end(ap);
}

/**
 * notify_stopping() - STOPPING=1: shutting down
 * @fmt:	status text, e.g. the signal that asked for it
 */
void notify_stopping(const char *fmt, ...)
{
	va_list ap;

	if (!notify_on)
		return;
	va_start(ap, fmt);
	notify_vsend("STOPPING=1\n", NULL, fmt, ap);
	va_end(ap);
}

/**
 * notify_watchdog() - WATCHDOG=1: we are alive, if systemd asked to know
 */
void notify_watchdog(void)
{
	if (notify_on && notify_wd_usec)
		notify_send("WATCHDOG=1");
}
