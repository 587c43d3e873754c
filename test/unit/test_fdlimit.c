// SPDX-License-Identifier: MIT
/*
 * test_fdlimit.c - the open-files limit: raised at start, and connections
 * shed with an answer when it is reached (fdlimit.c), against real
 * listening sockets in a process whose limit the test lowers
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "../lib/cunit_run.h"
#include "fdlimit.h"

#define FILL_MAX 256 /* descriptors the test may take to reach its limit */

static struct rlimit saved;

static int suite_init(void)
{
	return getrlimit(RLIMIT_NOFILE, &saved) ? -1 : 0;
}

static int suite_clean(void)
{
	return setrlimit(RLIMIT_NOFILE, &saved) ? -1 : 0;
}

/* A listening socket in the abstract namespace, non-blocking, and its
 * address for clients. */
static int listener(struct sockaddr_un *sa, socklen_t *salen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			     (size_t)snprintf(sa->sun_path + 1,
					      sizeof(sa->sun_path) - 1,
					      "vstack-fdlimit-%d", (int)getpid()));
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, *salen) ||
	    listen(fd, 8)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int client(const struct sockaddr_un *sa, socklen_t salen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, salen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Take every descriptor left under the limit; returns how many. */
static int fill(int *fds)
{
	int n = 0;

	while (n < FILL_MAX && (fds[n] = dup(0)) >= 0)
		n++;
	return n;
}

static void unfill(int *fds, int n)
{
	while (n--)
		close(fds[n]);
}

static void lower_limit(rlim_t to)
{
	struct rlimit rl = { .rlim_cur = to, .rlim_max = saved.rlim_max };

	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

/* At the limit, the connection is taken, answered and closed, so the
 * listener is not left readable; with room again, accepting works. */
static void test_shed_at_limit(void)
{
	static const char why[] = "out of descriptors\n";
	struct sockaddr_un sa;
	int fds[FILL_MAX], nfill, lfd, c1, c2, fd;
	char buf[64];
	socklen_t salen;
	ssize_t n;

	lfd = listener(&sa, &salen);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_FATAL(fdlimit_reserve() == 0);
	c1 = client(&sa, salen);
	c2 = client(&sa, salen);
	CU_ASSERT_FATAL(c1 >= 0 && c2 >= 0);
	lower_limit(64);
	nfill = fill(fds);
	CU_ASSERT_FATAL(nfill < FILL_MAX);

	/* The plain accept fails and leaves the connection waiting. */
	CU_ASSERT(accept4(lfd, NULL, NULL, SOCK_NONBLOCK) < 0 &&
		  errno == EMFILE);

	errno = 0;
	CU_ASSERT(fdlimit_accept(lfd, "test", why, sizeof(why) - 1) == -1);
	CU_ASSERT(errno == ECONNABORTED);
	n = recv(c1, buf, sizeof(buf), 0);
	CU_ASSERT(n == (ssize_t)sizeof(why) - 1 &&
		  !memcmp(buf, why, sizeof(why) - 1));
	CU_ASSERT(recv(c1, buf, sizeof(buf), 0) == 0); /* then closed */

	/* The reserve was taken back: the second one is shed too. */
	errno = 0;
	CU_ASSERT(fdlimit_accept(lfd, "test", NULL, 0) == -1);
	CU_ASSERT(errno == ECONNABORTED);
	CU_ASSERT(recv(c2, buf, sizeof(buf), 0) == 0);

	/* Nothing is left waiting. */
	CU_ASSERT(fdlimit_accept(lfd, "test", NULL, 0) == -1 &&
		  errno == EAGAIN);

	/* With room, a connection is accepted as usual. */
	close(c1);
	c1 = client(&sa, salen);
	unfill(fds, nfill);
	CU_ASSERT_FATAL(c1 >= 0);
	fd = fdlimit_accept(lfd, "test", why, sizeof(why) - 1);
	CU_ASSERT(fd >= 0);
	if (fd >= 0) {
		CU_ASSERT(send(fd, "x", 1, MSG_NOSIGNAL) == 1);
		CU_ASSERT(recv(c1, buf, sizeof(buf), 0) == 1);
		close(fd);
	}
	close(c1);
	close(c2);
	close(lfd);
	CU_ASSERT(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

/* Errors other than the limit's are the caller's, as accept4() gives them. */
static void test_other_errors(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	CU_ASSERT_FATAL(fd >= 0);
	errno = 0;
	CU_ASSERT(fdlimit_accept(fd, "test", NULL, 0) == -1 &&
		  errno == EINVAL); /* not listening */
	close(fd);
	errno = 0;
	CU_ASSERT(fdlimit_accept(-1, "test", NULL, 0) == -1 && errno == EBADF);
}

/* The soft limit goes up to the hard one; one already there stays. */
static void test_raise(void)
{
	struct rlimit rl;

	CU_ASSERT_FATAL(saved.rlim_max >= 2);
	lower_limit(saved.rlim_max / 2);
	fdlimit_raise(0);
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CU_ASSERT(rl.rlim_cur == saved.rlim_max);
	CU_ASSERT(rl.rlim_max == saved.rlim_max);
	fdlimit_raise(0);
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CU_ASSERT(rl.rlim_cur == saved.rlim_max);
	CU_ASSERT(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

/*
 * In a child (the suite's own descriptors stay): a pipe, a socket and a
 * descriptor far up are closed by @close_fn; stdin, stdout and stderr are
 * kept. The child's exit status is the number of checks that failed.
 */
static int closed_in_child(int (*close_fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int p[2], s, fd, bad = 0;

		/* Standard descriptors the runner left closed are taken by
		 * /dev/null first, or the pipe would get their numbers. */
		for (fd = 0; fd < 3; fd++)
			if (fcntl(fd, F_GETFD) == -1 &&
			    open("/dev/null", O_RDWR) != fd)
				_exit(102);
		if (pipe(p) || (s = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    dup2(p[0], 1000) != 1000)
			_exit(100);
		if (close_fn())
			_exit(101);
		bad += fcntl(p[0], F_GETFD) != -1 || errno != EBADF;
		bad += fcntl(p[1], F_GETFD) != -1 || errno != EBADF;
		bad += fcntl(s, F_GETFD) != -1 || errno != EBADF;
		bad += fcntl(1000, F_GETFD) != -1 || errno != EBADF;
		bad += fcntl(0, F_GETFD) == -1;
		bad += fcntl(1, F_GETFD) == -1;
		bad += fcntl(2, F_GETFD) == -1;
		/* The numbers are free again: the next descriptor is 3. */
		s = open("/dev/null", O_RDONLY);
		bad += s != 3;
		_exit(bad);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What a parent leaks is closed, by close_range() and by the /proc walk. */
static void test_close_inherited(void)
{
	CU_ASSERT_EQUAL(closed_in_child(fdlimit_close_inherited), 0);
	CU_ASSERT_EQUAL(closed_in_child(fdlimit_close_listed), 0);
}

/* A standard descriptor left closed is opened on /dev/null, so that no
 * socket takes the number the log is written to. */
static void test_std_reopened(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct stat st, null;
		int bad = 0;

		close(2);
		close(0);
		if (fdlimit_close_inherited())
			_exit(101);
		if (stat("/dev/null", &null))
			_exit(102);
		bad += fstat(0, &st) || st.st_rdev != null.st_rdev;
		bad += fstat(2, &st) || st.st_rdev != null.st_rdev;
		bad += fcntl(1, F_GETFD) == -1;
		bad += open("/dev/null", O_RDONLY) != 3;
		_exit(bad);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "shed at the limit", test_shed_at_limit },
		{ "other accept errors", test_other_errors },
		{ "raise the soft limit", test_raise },
		{ "close inherited descriptors", test_close_inherited },
		{ "closed standard descriptors reopened", test_std_reopened },
	};

	return cunit_run("fdlimit", tests, sizeof(tests) / sizeof(tests[0]),
			 suite_init, suite_clean);
}
