// SPDX-License-Identifier: MIT
/*
 * log.c - leveled logging to stderr
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_level_cur = LOG_LEVEL_INFO;

static const char *const log_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/**
 * log_set_level() - set the most verbose level still printed
 * @level:	new level
 */
void log_set_level(enum log_level level)
{
	log_level_cur = level;
}

/**
 * log_get_level() - current level
 *
 * Return: the most verbose level printed
 */
enum log_level log_get_level(void)
{
	return log_level_cur;
}

/**
 * log_level_name() - name of a level, as --log-level takes it
 * @level:	level
 *
 * Return: static string
 */
const char *log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_LEVEL_DEBUG)
		return "?";
	return log_names[level];
}

/**
 * log_level_parse() - parse a --log-level value
 * @s:		"error", "warn" (or "warning"), "info" or "debug"
 * @level:	result
 *
 * Return: 0, or -EINVAL for anything else
 */
int log_level_parse(const char *s, enum log_level *level)
{
	unsigned i;

	for (i = 0; i <= LOG_LEVEL_DEBUG; i++) {
		if (!strcasecmp(s, log_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	if (!strcasecmp(s, "warning")) {
		*level = LOG_LEVEL_WARN;
		return 0;
	}
	return -EINVAL;
}

/**
 * log_vmsg() - log one line, va_list form
 * @level:	level of the event
 * @fmt:	printf format, without the trailing newline
 * @ap:		arguments
 */
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n, m, errno_saved = errno;

	if (level > log_level_cur)
		return;

	n = snprintf(line, sizeof(line), "%s: ", log_level_name(level));
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = errno_saved;
}

/**
 * log_msg() - log one line to stderr if @level is enabled
 * @level:	level of the event
 * @fmt:	printf format, without the trailing newline
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
