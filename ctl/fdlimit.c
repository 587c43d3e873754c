// SPDX-License-Identifier: MIT
/*
 * fdlimit.c - living with the open-files limit
 *
 * Every TAP queue vstackd serves is a descriptor, and so is every control,
 * application and metrics connection. Two things follow.
 *
 * At start, the soft limit is raised to the hard one (fdlimit_raise()):
 * the usual soft limit of 1024 would cap the switch at a few hundred
 * ports, and the kernel refuses a worker's table of registered files
 * larger than the limit. Up to the hard limit needs no privilege, and
 * vstackd uses no select(), whose sets stop at 1024.
 *
 * At the limit, accept() fails with EMFILE and leaves the connection in
 * the listener's backlog: the listener stays readable, and a poll loop
 * would spin on it at full speed, logging each turn, while the client
 * waits for ever. fdlimit_accept() keeps one descriptor in reserve for
 * that case: it gives the reserve up, takes the connection, tells the
 * client why in one line, closes it and takes the reserve back. The loop
 * makes progress, and the client gets an answer instead of a hang.
 *
 * The reserve is the control thread's: every listener is served there.
 *
 * Descriptors a parent leaks into vstackd (a shell's, a test harness's
 * pipe) are closed at start (fdlimit_close_inherited()), as a daemon
 * should: they count against the limit, and a pipe held open by vstackd
 * keeps whoever reads its other end waiting for an end that never comes.
 * Standard descriptors a parent left closed are opened on /dev/null.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fdlimit.h"
#include "log.h"

static int fdlimit_spare = -1;
static uint64_t fdlimit_last_log_s, fdlimit_shed_since_log;
static const char *fdlimit_shed_what = "";

/**
 * fdlimit_raise() - raise the soft open-files limit to the hard one
 * @want:	descriptors vstackd could use at most; a limit below it is
 *		worth a warning
 */
void fdlimit_raise(unsigned long want)
{
	struct rlimit rl;
	rlim_t old;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (old < rl.rlim_max && setrlimit(RLIMIT_NOFILE, &rl)) {
		log_warn("cannot raise the open-files limit from %llu to %llu: %s",
			 (unsigned long long)old,
			 (unsigned long long)rl.rlim_max, strerror(errno));
		rl.rlim_cur = old;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		log_warn("the open-files limit is %llu, below the %lu descriptors vstackd may need: every port queue and connection takes one (raise it with ulimit -n or LimitNOFILE=)",
			 (unsigned long long)rl.rlim_cur, want);
}

/**
 * fdlimit_close_listed() - close every descriptor above stderr that
 *			    /proc/self/fd lists: fdlimit_close_inherited()'s
 *			    way on kernels without close_range()
 *
 * Return: 0 or -errno
 */
int fdlimit_close_listed(void)
{
	struct dirent *de;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return -errno;
	/* procfs lists by descriptor number: closing as we go is safe. */
	while ((de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (!*end && end != de->d_name && fd >= 3 && fd != dirfd(dir))
			close((int)fd);
	}
	closedir(dir);
	return 0;
}

/**
 * fdlimit_close_inherited() - close every descriptor above stderr, and
 *			       open standard ones that are closed
 *
 * Called first thing in main(), before vstackd opens anything of its own.
 * close_range() where the kernel has it (5.9), else fdlimit_close_listed().
 * A standard descriptor the parent left closed gets /dev/null: otherwise
 * the first socket vstackd opens would take its number, and the log,
 * written to stderr, would go into it.
 *
 * Return: 0 or -errno
 */
int fdlimit_close_inherited(void)
{
	int fd, ret = 0, rc;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) != fd)
			ret = -EBADF;
	if (close_range(3, ~0U, 0) && (rc = fdlimit_close_listed()))
		ret = rc;
	return ret;
}

/**
 * fdlimit_reserve() - set aside the descriptor fdlimit_accept() sheds with
 *
 * Return: 0 or -errno
 */
int fdlimit_reserve(void)
{
	if (fdlimit_spare >= 0)
		return 0;
	fdlimit_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fdlimit_spare >= 0 ? 0 : -errno;
}

static uint64_t fdlimit_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/*
 * Report the connections shed. A client retrying in a loop must not flood
 * the log: a line a second at most, with the count since the last; what
 * is left is reported with the next connection taken (@flush).
 */
static void fdlimit_log(bool flush)
{
	uint64_t now = fdlimit_now_s();

	if (!fdlimit_shed_since_log || (!flush && now == fdlimit_last_log_s))
		return;
	log_warn("refused %llu %s connection(s): out of file descriptors (see ulimit -n, LimitNOFILE=)",
		 (unsigned long long)fdlimit_shed_since_log, fdlimit_shed_what);
	fdlimit_shed_since_log = 0;
	fdlimit_last_log_s = now;
}

/* Take the connection the limit keeps in the backlog, answer, close it.
 * Returns ECONNABORTED if there was one, else what accept4() said (an
 * accept fails for the limit before it looks at the backlog). */
static int fdlimit_shed(int lfd, const char *what, const void *refusal,
			size_t refusal_len)
{
	int fd, ret = ECONNABORTED;

	close(fdlimit_spare);
	fdlimit_spare = -1;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		if (refusal_len &&
		    send(fd, refusal, refusal_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* It sees the connection close instead. */
		}
		close(fd);
		fdlimit_shed_since_log++;
		fdlimit_shed_what = what;
	} else {
		ret = errno;
	}
	fdlimit_reserve();
	fdlimit_log(false);
	return ret;
}

/**
 * fdlimit_accept() - accept4() that sheds the connection at the limit
 * @lfd:	listening socket (non-blocking)
 * @what:	what it serves, for the log: "control", "application", ...
 * @refusal:	bytes sent to a connection shed for want of descriptors
 * @refusal_len: their length (0: just close it)
 *
 * Return: the connection (non-blocking, close-on-exec), or -1 with errno
 * as accept4() sets it, but for the limit: ECONNABORTED when a connection
 * was shed (and logged), EAGAIN when none was waiting.
 */
int fdlimit_accept(int lfd, const char *what, const void *refusal,
		   size_t refusal_len)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0)
		fdlimit_log(true);
	if (fd >= 0 || (errno != EMFILE && errno != ENFILE) ||
	    fdlimit_spare < 0)
		return fd;
	errno = fdlimit_shed(lfd, what, refusal, refusal_len);
	return -1;
}
