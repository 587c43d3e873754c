// SPDX-License-Identifier: MIT
/*
 * test_notify.c - systemd notification (notify.c) against a socket of our
 * own standing in for systemd's
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/cunit_run.h"
#include "notify.h"

static char dir[64] = "/tmp/vstack-notify.XXXXXX";
static char path[96];
static int sfd = -1;

static int suite_init(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/notify.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || bind(sfd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return 0;
}

static int suite_clean(void)
{
	if (sfd >= 0)
		close(sfd);
	unlink(path);
	rmdir(dir);
	return 0;
}

/**
 * recv_msg() - the next datagram sent to our socket, if any
 * @buf:	result, NUL-terminated
 * @len:	size of @buf
 *
 * Return: its length, or -1 if nothing is waiting
 */
static ssize_t recv_msg(char *buf, size_t len)
{
	ssize_t n = recv(sfd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Start as systemd would: NOTIFY_SOCKET, optionally a watchdog. */
static void env_systemd(const char *usec, const char *pid)
{
	setenv("NOTIFY_SOCKET", path, 1);
	if (usec)
		setenv("WATCHDOG_USEC", usec, 1);
	else
		unsetenv("WATCHDOG_USEC");
	if (pid)
		setenv("WATCHDOG_PID", pid, 1);
	else
		unsetenv("WATCHDOG_PID");
	notify_init();
}

static void test_notify_off(void)
{
	char buf[512];

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "2000000", 1);
	unsetenv("WATCHDOG_PID");
	notify_init();
	CU_ASSERT_FALSE(notify_enabled());
	/* A watchdog nobody can be told about is no watchdog. */
	CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);
	notify_ready("ready %d", 1);
	notify_status("status");
	notify_status_ready();
	notify_reloading("reloading");
	notify_stopping("stopping");
	notify_watchdog();
	CU_ASSERT_EQUAL(recv_msg(buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(errno, EAGAIN);

	/* Set but empty counts as not set. */
	setenv("NOTIFY_SOCKET", "", 1);
	notify_init();
	CU_ASSERT_FALSE(notify_enabled());
}

static void test_notify_messages(void)
{
	char buf[512];

	env_systemd(NULL, NULL);
	CU_ASSERT_TRUE(notify_enabled());
	CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);

	notify_ready("Serving: %u workers", 2U);
	CU_ASSERT(recv_msg(buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "READY=1\nSTATUS=Serving: 2 workers");

	/* A newline would start another assignment. */
	notify_status("two\nlines");
	recv_msg(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "STATUS=two lines");

	notify_status_ready();
	recv_msg(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "STATUS=Serving: 2 workers");

	notify_reloading("Reloading %s", "vstackd.conf");
	recv_msg(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "RELOADING=1\nSTATUS=Reloading vstackd.conf");

	notify_stopping("Stopping (%s)", "Terminated");
	recv_msg(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "STOPPING=1\nSTATUS=Stopping (Terminated)");

	/* No watchdog asked for: no keep-alive sent. */
	notify_watchdog();
	CU_ASSERT_EQUAL(recv_msg(buf, sizeof(buf)), -1);

	/* A status longer than systemd shows is cut, not dropped. */
	memset(buf, 'x', 400);
	buf[400] = '\0';
	notify_status("%s", buf);
	CU_ASSERT(recv_msg(buf, sizeof(buf)) > 100);
	CU_ASSERT_EQUAL(strncmp(buf, "STATUS=xxx", 10), 0);
}

static void test_notify_watchdog(void)
{
	char buf[512], pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	env_systemd("1500000", pid);
	CU_ASSERT_EQUAL(notify_watchdog_usec(), 1500000);
	notify_watchdog();
	CU_ASSERT(recv_msg(buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "WATCHDOG=1");

	/* Without WATCHDOG_PID the deadline is ours too. */
	env_systemd("30000000", NULL);
	CU_ASSERT_EQUAL(notify_watchdog_usec(), 30000000);

	/* Meant for another process (we forked): not ours to keep. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	env_systemd("1500000", pid);
	CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);
	notify_watchdog();
	CU_ASSERT_EQUAL(recv_msg(buf, sizeof(buf)), -1);

	env_systemd("soon", NULL);
	CU_ASSERT_EQUAL(notify_watchdog_usec(), 0);
}

static void test_notify_gone(void)
{
	char buf[512];

	/* systemd's socket vanished: a warning, and we carry on. */
	setenv("NOTIFY_SOCKET", "/nonexistent/vstack-notify.sock", 1);
	notify_init();
	CU_ASSERT_TRUE(notify_enabled());
	notify_ready("ready");
	notify_status("status");
	CU_ASSERT_EQUAL(recv_msg(buf, sizeof(buf)), -1);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "no NOTIFY_SOCKET: nothing sent", test_notify_off },
		{ "READY, STATUS, RELOADING, STOPPING", test_notify_messages },
		{ "watchdog: WATCHDOG_USEC and WATCHDOG_PID", test_notify_watchdog },
		{ "socket gone: no harm", test_notify_gone },
	};

	return cunit_run("notify", tests, sizeof(tests) / sizeof(tests[0]),
			 suite_init, suite_clean);
}
