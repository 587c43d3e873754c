/* SPDX-License-Identifier: MIT */
/*
 * log.h - leveled logging to stderr for vstackd and vstackctl
 *
 * One line per event, "LEVEL: message", written with a single write(2) so
 * lines from several threads never interleave. journald adds the time and
 * the process under systemd, so we do not.
 */
#ifndef VSTACK_CTL_LOG_H
#define VSTACK_CTL_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *level);
const char *log_level_name(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* VSTACK_CTL_LOG_H */
