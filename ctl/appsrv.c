// SPDX-License-Identifier: MIT
/*
 * appsrv.c - the app socket: applications attach to the shared stack
 *
 * Theory of operation
 *
 * The listening socket and every application connection sit in one epoll
 * set, whose descriptor the control loop polls. When it is readable,
 * appsrv_handle() takes the events that are ready, without blocking:
 *
 *   - a new connection: its peer credentials name its pid (translated into
 *     our pid namespace by the kernel), /proc/PID/cgroup its cgroup, and
 *     the tenant whose cgroup contains it, the deepest one when they nest,
 *     is its tenant; an application in no tenant's cgroup belongs to the
 *     default tenant. The connection goes to stack_app_new() with that
 *     tenant. A refusal there (no endpoint for the tenant, too many
 *     applications) is answered here with a struct vsapp_welcome carrying
 *     the error and its reason, then the connection is closed;
 *   - readable or hung up: stack_app_io() reads the hello or notices the
 *     end; when it says so, stack_app_free() releases everything the
 *     application held and the connection is closed.
 *
 * The socket is mode 0666: who may use the stack is decided by tenant, not
 * by file permissions (an application in a container runs as any user).
 * So any local user can connect, and the bounds are what keep one from
 * locking the others out: the number of connections (APPSRV_MAX_APPS), of
 * them those of one peer uid (APPSRV_MAX_APPS_PER_UID; root is only held
 * to the first), and the time from connect to hello (APPSRV_HELLO_MS,
 * enforced by appsrv_tick() from the control loop's tick): a connection
 * that has not sent it by then, or that is being refused and never sent
 * it, is closed. The stack bounds the contexts of each tenant.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "app_proto.h"
#include "appsrv.h"
#include "cgroup.h"
#include "fdlimit.h"
#include "log.h"
#include "server.h"
#include "stack.h"
#include "tenant.h"

#define APPSRV_BACKLOG 128
#define APPSRV_EVENTS 64 /* epoll events taken per call */

/* epoll data of the listening socket; connections carry their app */
#define APPSRV_LISTENER ((void *)1)

/**
 * struct appsrv_conn - one application connection
 * @app:	its state in the stack, NULL for a connection being refused
 * @fd:		the connection (the stack's once @app is set)
 * @pid:	the peer's pid, for messages
 * @uid:	the peer's uid (APPSRV_MAX_APPS_PER_UID)
 * @since_ms:	when it connected (APPSRV_HELLO_MS)
 * @refuse_err:	why it is refused (positive errno), with @refuse_msg
 * @next, @prev: in the server's list of connections
 */
struct appsrv_conn {
	struct stack_app *app;
	int fd;
	pid_t pid;
	uid_t uid;
	uint64_t since_ms;
	int refuse_err;
	char refuse_msg[VSAPP_MSG_MAX];
	struct appsrv_conn *next, *prev;
};

struct appsrv {
	int lfd;
	int epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stack *stack;
	struct tenant_table *tenants;
	struct appsrv_conn *conns;
	unsigned napps;
};

struct appsrv_find {
	const char *path, *cpu_path;
	uint32_t id;
	int best;
	const char *name;
};

static void appsrv_walk_tenant(const struct tenant *tn, void *ctx)
{
	struct appsrv_find *f = ctx;
	int m = cgroup_contains(tn->cgroup, f->path, f->cpu_path);

	if (m > f->best) {
		f->best = m;
		f->id = tn->id;
		f->name = tn->name;
	}
}

/**
 * appsrv_tenant_of() - the tenant a process belongs to
 * @a:		server
 * @pid:	the process
 * @name:	its tenant's name, for messages
 *
 * Return: the tenant id (0, the default tenant, when no tenant's cgroup
 *	   contains the process or its cgroup cannot be read)
 */
static uint32_t appsrv_tenant_of(struct appsrv *a, pid_t pid,
				 const char **name)
{
	char path[512] = "", cpu_path[512] = "";
	struct appsrv_find f = { .path = path, .cpu_path = cpu_path,
				 .name = TENANT_DEFAULT };
	int rc;

	rc = cgroup_of_pid(pid, path, sizeof(path), cpu_path,
			   sizeof(cpu_path));
	if (rc)
		log_warn("app pid %d: cannot read its cgroup (%s); it is put in tenant %s",
			 (int)pid, strerror(-rc), TENANT_DEFAULT);
	else
		tenant_foreach(a->tenants, appsrv_walk_tenant, &f);
	*name = f.name;
	return f.id;
}

/**
 * appsrv_now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: now
 */
static uint64_t appsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * appsrv_uid_count() - connections of one peer uid
 * @a:		server
 * @uid:	the uid
 *
 * Return: their number
 */
static unsigned appsrv_uid_count(const struct appsrv *a, uid_t uid)
{
	const struct appsrv_conn *c;
	unsigned n = 0;

	for (c = a->conns; c; c = c->next)
		n += c->uid == uid;
	return n;
}

/**
 * appsrv_refuse() - tell an application why it cannot attach, and close
 * @fd:		its connection
 * @err:	positive errno
 * @msg:	one line
 */
static void appsrv_refuse(int fd, int err, const char *msg)
{
	struct vsapp_welcome w = { .magic = VSAPP_MAGIC,
				   .version = VSAPP_VERSION,
				   .err = err };

	snprintf(w.msg, sizeof(w.msg), "%s", msg);
	if (send(fd, &w, sizeof(w), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* It sees the connection close instead. */
	}
	close(fd);
}

/**
 * appsrv_refuse_now() - the refused application sent its hello (or went):
 *			 take it and answer with the reason
 * @conn:	the connection being refused
 */
static void appsrv_refuse_now(struct appsrv_conn *conn)
{
	struct vsapp_welcome w = { .magic = VSAPP_MAGIC,
				   .version = VSAPP_VERSION,
				   .err = conn->refuse_err };
	char hello[sizeof(struct vsapp_hello) + 64];

	while (recv(conn->fd, hello, sizeof(hello), MSG_DONTWAIT) > 0)
		;
	snprintf(w.msg, sizeof(w.msg), "%s", conn->refuse_msg);
	if (send(conn->fd, &w, sizeof(w), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* It sees the connection close instead. */
	}
}

/* Take one connection: find its tenant, give it to the stack. */
static void appsrv_accept_one(struct appsrv *a, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct appsrv_conn *conn;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	const char *tname;
	char msg[VSAPP_MSG_MAX];
	uint32_t tenant;
	int rc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    cred.pid <= 0) {
		appsrv_refuse(fd, EPROTO, "no peer credentials");
		return;
	}
	if (a->napps >= APPSRV_MAX_APPS) {
		log_warn("refusing app pid %d: %u applications attached already",
			 (int)cred.pid, a->napps);
		appsrv_refuse(fd, EMFILE,
			      "vstackd is busy: too many applications attached");
		return;
	}
	if (cred.uid != 0 &&
	    appsrv_uid_count(a, cred.uid) >= APPSRV_MAX_APPS_PER_UID) {
		log_warn("refusing app pid %d: uid %u has %u applications attached already",
			 (int)cred.pid, (unsigned)cred.uid,
			 APPSRV_MAX_APPS_PER_UID);
		snprintf(msg, sizeof(msg),
			 "too many applications of uid %u attached (at most %u)",
			 (unsigned)cred.uid, APPSRV_MAX_APPS_PER_UID);
		appsrv_refuse(fd, EMFILE, msg);
		return;
	}
	tenant = appsrv_tenant_of(a, cred.pid, &tname);
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		appsrv_refuse(fd, ENOMEM, "vstackd is out of memory");
		return;
	}
	conn->pid = cred.pid;
	conn->uid = cred.uid;
	conn->since_ms = appsrv_now_ms();
	rc = stack_app_new(a->stack, fd, tenant, cred.pid, &conn->app);
	if (rc) {
		if (rc == -EPERM)
			snprintf(msg, sizeof(msg),
				 "tenant %s has no endpoint (add one with: vstackctl endpoint add NAME --tenant %s --address ADDR/LEN)",
				 tname, tname);
		else
			snprintf(msg, sizeof(msg), "cannot attach: %s",
				 strerror(-rc));
		log_info("app pid %d (tenant %s) refused: %s", (int)cred.pid,
			 tname, msg);
		/* Answered once its hello is in: closing a connection with
		 * unread data would reset it before it reads the reason. */
		conn->app = NULL;
		conn->refuse_err = -rc;
		snprintf(conn->refuse_msg, sizeof(conn->refuse_msg), "%s",
			 msg);
	}
	conn->fd = fd;
	ev.data.ptr = conn;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		log_warn("app pid %d: epoll: %s", (int)cred.pid,
			 strerror(errno));
		if (conn->app)
			stack_app_free(conn->app);
		else
			close(fd);
		free(conn);
		return;
	}
	conn->next = a->conns;
	if (a->conns)
		a->conns->prev = conn;
	a->conns = conn;
	a->napps++;
	log_debug("app pid %d attached (tenant %s)", (int)cred.pid, tname);
}

/* Drain the listening socket's backlog. */
static void appsrv_accept(struct appsrv *a)
{
	int fd;

	static const struct vsapp_welcome nofd = {
		.magic = VSAPP_MAGIC,
		.version = VSAPP_VERSION,
		.err = EMFILE,
		.msg = "vstackd is out of file descriptors (its open-files limit)",
	};

	while ((fd = fdlimit_accept(a->lfd, "application", &nofd,
				    sizeof(nofd))) >= 0)
		appsrv_accept_one(a, fd);
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		log_warn("accept on %s: %s", a->path, strerror(errno));
}

/* An application is done: release it in the stack, drop the connection. */
static void appsrv_conn_close(struct appsrv *a, struct appsrv_conn *conn)
{
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	log_debug("app pid %d detached", (int)conn->pid);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		a->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	if (conn->app)
		stack_app_free(conn->app);
	else
		close(conn->fd);
	free(conn);
	a->napps--;
}

/**
 * appsrv_handle() - handle whatever is ready on the app socket and its
 *		     connections, without blocking
 * @a:		server
 */
void appsrv_handle(struct appsrv *a)
{
	struct epoll_event ev[APPSRV_EVENTS];
	int n, i;

	n = epoll_wait(a->epfd, ev, APPSRV_EVENTS, 0);
	for (i = 0; i < n; i++) {
		struct appsrv_conn *conn = ev[i].data.ptr;

		if (ev[i].data.ptr == APPSRV_LISTENER) {
			appsrv_accept(a);
			continue;
		}
		if (!conn->app) {
			appsrv_refuse_now(conn);
			appsrv_conn_close(a, conn);
		} else if (stack_app_io(conn->app) < 0) {
			appsrv_conn_close(a, conn);
		}
	}
}

/* Has @conn yet to send its hello (or is it being refused)? */
static bool appsrv_conn_waiting(const struct appsrv_conn *conn)
{
	return !conn->app || !stack_app_running(conn->app);
}

/**
 * appsrv_tick() - close the connections that sent no hello in time
 * @a:		server, or NULL
 *
 * From the control loop's tick. A refused connection is told why first.
 */
void appsrv_tick(struct appsrv *a)
{
	struct appsrv_conn *conn, *next;
	uint64_t now = appsrv_now_ms();
	unsigned n = 0;

	if (!a)
		return;
	for (conn = a->conns; conn; conn = next) {
		next = conn->next;
		if (!appsrv_conn_waiting(conn) ||
		    now - conn->since_ms <= APPSRV_HELLO_MS)
			continue;
		if (!conn->app)
			appsrv_refuse_now(conn);
		appsrv_conn_close(a, conn);
		n++;
	}
	if (n)
		log_info("closed %u application connection%s that sent no hello within %u ms",
			 n, n == 1 ? "" : "s", APPSRV_HELLO_MS);
}

/**
 * appsrv_waiting() - does some connection wait for its hello (so the
 *		      control loop must keep ticking)?
 * @a:		server, or NULL
 *
 * Return: true if so
 */
bool appsrv_waiting(const struct appsrv *a)
{
	const struct appsrv_conn *conn;

	for (conn = a ? a->conns : NULL; conn; conn = conn->next)
		if (appsrv_conn_waiting(conn))
			return true;
	return false;
}

/**
 * appsrv_open() - create the app socket
 * @out:	result
 * @path:	socket path; an old socket there is replaced (the control
 *		socket's probe has made sure no other vstackd runs)
 * @stack:	the shared stack applications attach to
 * @tenants:	tenant table, to find an application's tenant
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int appsrv_open(struct appsrv **out, const char *path, struct stack *stack,
		struct tenant_table *tenants, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.ptr = APPSRV_LISTENER };
	struct appsrv *a;
	struct stat st;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen,
			 "app socket path too long (at most %zu bytes): %s",
			 sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((rc = server_mkdir_parent(path))) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
			 path, strerror(-rc));
		return rc;
	}
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
				 path);
			return -EEXIST;
		}
		unlink(path);
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->stack = stack;
	a->tenants = tenants;
	a->epfd = -1;
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (a->lfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		goto fail;
	}
	if (bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		snprintf(err, errlen, "cannot bind %s: %s", path,
			 strerror(-rc));
		close(a->lfd);
		a->lfd = -1;
		goto fail;
	}
	if (chmod(path, 0666) || listen(a->lfd, APPSRV_BACKLOG)) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(-rc));
		goto fail;
	}
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0 || epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev)) {
		rc = -errno;
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		goto fail;
	}
	*out = a;
	return 0;
fail:
	if (a->lfd >= 0) {
		close(a->lfd);
		unlink(path);
	}
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
	return rc;
}

/**
 * appsrv_fd() - the descriptor the control loop polls for POLLIN
 * @a:		server
 *
 * Return: the epoll descriptor
 */
int appsrv_fd(const struct appsrv *a)
{
	return a->epfd;
}

/**
 * appsrv_count() - applications attached
 * @a:		server
 *
 * Return: their number
 */
unsigned appsrv_count(const struct appsrv *a)
{
	return a ? a->napps : 0;
}

/**
 * appsrv_close() - release every application and remove the socket
 * @a:		server, or NULL
 *
 * Called before the stack closes; the applications see their connection
 * end and fail their calls with ECONNABORTED.
 */
void appsrv_close(struct appsrv *a)
{
	if (!a)
		return;
	close(a->lfd);
	unlink(a->path);
	while (a->conns)
		appsrv_conn_close(a, a->conns);
	close(a->epfd);
	free(a);
}
