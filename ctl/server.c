// SPDX-License-Identifier: MIT
/*
 * server.c - the control socket and the control thread's event loop
 *
 * Theory of operation
 *
 * One thread, one poll() over: the listening socket, a signalfd (SIGINT
 * and SIGTERM end the loop, SIGHUP reloads the config file), a half-second
 * timerfd that drives vnet_tick() (FDB aging, tenant rates), cmd_tick()
 * (tenants follow their cgroups' weights within a second, workers' CPU
 * use, ports whose device went away) and flushes the state directory, the
 * app socket and its applications' connections (appsrv.c, one epoll set),
 * the clients, and the sockets of the Prometheus endpoint when there is
 * one (http.c; the timer also enforces its deadlines).
 *
 * Resting. An idle vstackd should cost nothing, and the half-second tick
 * is most of what it costs then. After two seconds in which the workers
 * did nothing (not one frame, timer or wake-up: vnet_ctl_quiet()), no
 * client, metrics connection or throttled client was there and every
 * tenant bound to a cgroup can be followed through inotify (tenant.c;
 * its events are read as they come, and do not end a rest), the loop
 * rests: the timer fires once a minute (FDB entries expire on lookup
 * anyway; the tick only frees their slots and keeps times far from
 * wrapping). The first worker to find work after sleeping writes the
 * switch's eventfd (vnet_ctl_rest() has the handshake; a wake-up that
 * only brought a command is not work), and that, a signal or any
 * connection brings the half-second tick back at once, starting with a
 * tick so that rates are taken over the rest (nothing moved in it).
 *
 * A client is a non-blocking stream connection carrying newline-delimited
 * requests. Its input buffer holds one request of at most
 * PROTO_MAX_REQUEST bytes; a longer line gets an error response and the
 * connection is closed, since we cannot find where the next request
 * starts. Requests are answered in order, one at a time: while a response
 * has not been written out completely, the client's further input waits
 * (we stop polling for POLLIN), so a client that does not read cannot make
 * us buffer without bound. Nor can it keep its slot: a response that has
 * not moved for SERVER_WRITE_MS closes the connection, and when every slot
 * is taken, the client quiet for longest makes room, counting a response
 * stuck in its socket as quiet. The number of clients is bounded too, and so is
 * the rate at which one client's requests are answered: a budget of
 * SERVER_REQ_PER_SEC requests a second, in bursts of SERVER_REQ_BURST. A
 * client beyond it is not refused; its requests wait (we stop reading from
 * it) and are answered as the budget comes back, at the half-second tick,
 * so one busy client cannot keep the control thread from the others. Such
 * waits are counted (stats: control.throttled).
 *
 * Anyone who can connect may read (lists, stats). Commands that change
 * state need uid 0 or membership of the "vstack" group, judged from the
 * peer's credentials taken when it connected (SO_PEERCRED, and
 * SO_PEERGROUPS for its supplementary groups, or /proc/PID/status where
 * the kernel lacks that option).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "appsrv.h"
#include "cmd.h"
#include "fdlimit.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "proto.h"
#include "reconcile.h"
#include "server.h"
#include "state.h"
#include "tbucket.h"
#include "vnet.h"
#include "watchdog.h"

#define SERVER_MAX_CLIENTS 32
#define SERVER_REQUEST_MS 10000 /* to finish sending a request once begun */
#define SERVER_WRITE_MS 10000 /* to take some of a response (like http.c) */
#define SERVER_BACKLOG 16
#define SERVER_REQ_PER_SEC 200 /* requests one client gets answered */
#define SERVER_REQ_BURST 100
#define SERVER_MAX_GROUPS 256
#define SERVER_TICK_MS 500
#define SERVER_REST_TICK_MS 60000
/* Quiet ticks before resting: longer than a worker's longest busy-poll
 * (a second), so that every worker sleeps in its ring by then. */
#define SERVER_QUIET_TICKS 4

/* The control loop's poll() set: these, then the clients, then metrics. */
enum server_fd {
	SERVER_FD_LISTEN,
	SERVER_FD_SIGNAL,
	SERVER_FD_TIMER,
	SERVER_FD_APPS,
	SERVER_FD_SWITCH, /* a worker woke while the loop rests */
	SERVER_FD_CGROUPS, /* a tenant's cgroup changed */
	SERVER_FIXED_FDS
};

/**
 * struct server_client - one control connection
 * @fd:		socket, -1 if the slot is free
 * @pid:	peer process, at connect time
 * @uid:	peer user
 * @gid:	peer primary group
 * @ngroups:	number of @groups, -1 if unknown
 * @groups:	peer supplementary groups
 * @in:		request bytes received and not yet handled
 * @inlen:	bytes in @in
 * @out:	response not yet written, or NULL
 * @outlen:	length of @out
 * @outoff:	bytes of @out already written
 * @eof:	the peer closed its side, or we decided to hang up
 * @active_ms:	when it last sent something
 * @req_ms:	when the request at the start of @in began to arrive
 * @moved_ms:	when @out was queued or last took a write
 * @reqs:	requests it may have answered (SERVER_REQ_PER_SEC)
 * @throttled:	its requests wait for its budget
 */
struct server_client {
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[SERVER_MAX_GROUPS];
	char in[PROTO_MAX_REQUEST + 2];
	size_t inlen;
	char *out;
	size_t outlen;
	size_t outoff;
	bool eof;
	uint64_t active_ms;
	uint64_t req_ms;
	uint64_t moved_ms;
	struct tbucket reqs;
	bool throttled;
};

/**
 * struct server - the control socket and its clients
 * @path:	socket path
 * @ino:	inode of the socket we bound, to unlink only our own
 * @dev:	its device
 * @lfd:	listening socket
 * @clients:	client slots
 * @http:	the metrics endpoint served in the same loop, or NULL
 */
struct server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;
	dev_t dev;
	int lfd;
	struct server_client clients[SERVER_MAX_CLIENTS];
	struct http *http;
	struct appsrv *apps;
};

/**
 * server_now_ms() - monotonic time in milliseconds
 *
 * Return: milliseconds
 */
static uint64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * server_set_http() - serve a metrics endpoint in the control loop too
 * @s:		server
 * @h:		endpoint (still the caller's to close, after server_run())
 */
void server_set_http(struct server *s, struct http *h)
{
	s->http = h;
}

/**
 * server_set_apps() - accept applications of the shared stack in the
 *		       control loop too
 * @s:		server
 * @a:		the app socket (still the caller's to close, after
 *		server_run())
 */
void server_set_apps(struct server *s, struct appsrv *a)
{
	s->apps = a;
}

/**
 * server_signals_block() - block the signals the event loop handles
 * @set:	result: SIGINT, SIGTERM, SIGHUP
 *
 * Call before any thread starts, so every thread inherits the mask and the
 * signals reach the control thread's signalfd only. SIGPIPE is ignored:
 * a client hanging up is an error return, not a reason to exit.
 *
 * Return: 0 or -errno
 */
int server_signals_block(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/**
 * server_mkdir_parent() - create the socket's directory, like mkdir -p
 * @path:	socket path
 *
 * Return: 0 or -errno
 */
int server_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(p = strrchr(dir, '/')) || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/**
 * server_probe() - is another vstackd answering on this path?
 * @sa:		socket address
 * @err:	message if so, or on error
 * @errlen:	size of @err
 *
 * A socket file nobody listens on is left over from a daemon that did not
 * exit cleanly: it is removed.
 *
 * Return: 0 if the path is free (now), -EADDRINUSE or -errno otherwise
 */
static int server_probe(const struct sockaddr_un *sa, char *err,
			size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	if (lstat(sa->sun_path, &st)) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "cannot use %s: %s", sa->sun_path,
			 strerror(-rc));
		return rc;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket",
			 sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		snprintf(err, errlen, "vstackd already running on %s",
			 sa->sun_path);
		rc = -EADDRINUSE;
	} else if (errno == ECONNREFUSED) {
		log_info("removing stale socket %s", sa->sun_path);
		if (unlink(sa->sun_path) && errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "cannot remove stale %s: %s",
				 sa->sun_path, strerror(-rc));
		}
	} else {
		rc = -errno;
		snprintf(err, errlen, "cannot probe %s: %s", sa->sun_path,
			 strerror(-rc));
	}
	close(fd);
	return rc;
}

/**
 * server_open() - create the control socket
 * @out:	result
 * @path:	socket path
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * The socket is mode 0660, group "vstack" when that group exists, so that
 * its members can connect; its directory is created 0755 if missing.
 *
 * Return: 0, -EADDRINUSE if another vstackd answers there, or -errno
 */
int server_open(struct server **out, const char *path, char *err,
		size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct server *s = NULL;
	struct group *gr;
	struct stat st;
	unsigned i;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long (at most %zu bytes): %s",
			 sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);

	if ((rc = server_mkdir_parent(path))) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
			 path, strerror(-rc));
		return rc;
	}
	if ((rc = server_probe(&sa, err, errlen)))
		return rc;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < SERVER_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);

	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		goto out;
	}
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(-rc));
		goto out;
	}
	if (stat(path, &st) == 0) {
		s->ino = st.st_ino;
		s->dev = st.st_dev;
	}
	if (chmod(path, 0660)) {
		rc = -errno;
		snprintf(err, errlen, "cannot chmod %s: %s", path,
			 strerror(-rc));
		goto out;
	}
	if ((gr = getgrnam(SERVER_GROUP)) && chown(path, (uid_t)-1, gr->gr_gid))
		log_warn("cannot give %s to group %s: %s", path, SERVER_GROUP,
			 strerror(errno));
	if (listen(s->lfd, SERVER_BACKLOG)) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(-rc));
		goto out;
	}
	*out = s;
	return 0;
out:
	if (s->lfd >= 0) {
		close(s->lfd);
		if (s->ino)
			unlink(path);
	}
	free(s);
	return rc;
}

/**
 * server_close() - close every connection and remove the socket
 * @s:		server, may be NULL
 */
void server_close(struct server *s)
{
	struct stat st;
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
		if (s->clients[i].fd >= 0)
			close(s->clients[i].fd);
		free(s->clients[i].out);
	}
	close(s->lfd);
	/* Only if it is still ours: someone may have replaced it. */
	if (!stat(s->path, &st) && st.st_ino == s->ino && st.st_dev == s->dev)
		unlink(s->path);
	free(s);
}

/**
 * server_proc_groups() - a process's supplementary groups from /proc
 * @cl:		client, @pid set; fills @groups and @ngroups
 */
static void server_proc_groups(struct server_client *cl)
{
	char path[64], line[4096];
	FILE *f;

	cl->ngroups = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cl->pid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 7, *end;

		if (strncmp(line, "Groups:", 7))
			continue;
		cl->ngroups = 0;
		while (cl->ngroups < SERVER_MAX_GROUPS) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			cl->groups[cl->ngroups++] = (gid_t)g;
			p = end;
		}
		break;
	}
	fclose(f);
}

/**
 * server_client_creds() - take a new client's credentials
 * @cl:		client with @fd set
 *
 * Return: 0 or -errno
 */
static int server_client_creds(struct server_client *cl)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return -errno;
	cl->pid = uc.pid;
	cl->uid = uc.uid;
	cl->gid = uc.gid;

	len = sizeof(cl->groups);
	if (!getsockopt(cl->fd, SOL_SOCKET, SO_PEERGROUPS, cl->groups, &len))
		cl->ngroups = (int)(len / sizeof(gid_t));
	else
		server_proc_groups(cl);
	return 0;
}

/**
 * server_may_change() - may this client change vstackd's state?
 * @cl:		client
 *
 * Return: true for root and members of the vstack group
 */
static bool server_may_change(const struct server_client *cl)
{
	struct group *gr;
	int i;

	if (cl->uid == 0)
		return true;
	if (!(gr = getgrnam(SERVER_GROUP)))
		return false;
	if (cl->gid == gr->gr_gid)
		return true;
	for (i = 0; i < cl->ngroups; i++) {
		if (cl->groups[i] == gr->gr_gid)
			return true;
	}
	return false;
}

/**
 * server_client_close() - drop a client
 * @cl:		client
 */
static void server_client_close(struct server_client *cl)
{
	close(cl->fd);
	free(cl->out);
	cl->fd = -1;
	cl->out = NULL;
	cl->inlen = cl->outlen = cl->outoff = 0;
	cl->eof = false;
}

/**
 * server_flush() - write as much of the pending response as the socket takes
 * @cl:		client
 *
 * Return: 0 (done or would block), or -errno: drop the client
 */
static int server_flush(struct server_client *cl)
{
	while (cl->out && cl->outoff < cl->outlen) {
		ssize_t n = send(cl->fd, cl->out + cl->outoff,
				 cl->outlen - cl->outoff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		cl->outoff += (size_t)n;
		cl->moved_ms = server_now_ms();
	}
	/* What the client sent after the request just answered waited for
	 * us, not the reverse: its clock starts now. */
	cl->req_ms = server_now_ms();
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = 0;
	return 0;
}

/**
 * server_respond() - queue a response line and start writing it
 * @cl:		client, with no response pending
 * @line:	malloc'd line, or NULL if building it ran out of memory
 * @len:	its length
 *
 * Return: 0 or -errno: drop the client
 */
static int server_respond(struct server_client *cl, char *line, size_t len)
{
	if (!line)
		return -ENOMEM;
	cl->out = line;
	cl->outlen = len;
	cl->outoff = 0;
	cl->moved_ms = server_now_ms();
	return server_flush(cl);
}

/**
 * server_handle_line() - answer one request line
 * @cl:		client
 * @line:	request, without its newline
 * @len:	its length
 * @cmd:	command state
 *
 * Return: 0 or -errno: drop the client
 */
static int server_handle_line(struct server_client *cl, const char *line,
			      size_t len, struct cmd_ctx *cmd)
{
	struct json_object *result = NULL;
	struct proto_request req;
	char err[512], *out;
	size_t outlen = 0;
	int rc;

	if ((rc = proto_request_parse(line, len, &req, err, sizeof(err)))) {
		log_debug("client pid %d: bad request: %s", (int)cl->pid, err);
		out = proto_response_error(err, &outlen);
		return server_respond(cl, out, outlen);
	}
	log_debug("client pid %d uid %u: %s", (int)cl->pid, (unsigned)cl->uid,
		  proto_cmd_name(req.cmd));

	if (proto_cmd_changes_state(req.cmd) && !server_may_change(cl)) {
		snprintf(err, sizeof(err),
			 "permission denied: changing vstack needs root or the %s group",
			 SERVER_GROUP);
		rc = -EPERM;
	} else {
		rc = cmd_handle(cmd, &req, &result, err, sizeof(err));
	}
	if (rc) {
		if (proto_cmd_changes_state(req.cmd))
			log_info("%s by uid %u refused: %s",
				 proto_cmd_name(req.cmd), (unsigned)cl->uid, err);
		out = proto_response_error(err, &outlen);
	} else {
		out = proto_response_ok(result, &outlen);
	}
	proto_request_free(&req);
	return server_respond(cl, out, outlen);
}

/**
 * server_budget() - may a client have one more request answered now?
 * @cl:		client
 * @cmd:	command state, for the counters
 *
 * Return: true if so (one request is taken from its budget)
 */
static bool server_budget(struct server_client *cl, struct cmd_ctx *cmd)
{
	uint64_t now = server_now_ms();

	if (!tbucket_try(&cl->reqs, 1, now * 1000000ull)) {
		if (!cl->throttled)
			cmd->ctl.throttled++;
		cl->throttled = true;
		return false;
	}
	if (cl->throttled) {
		cl->throttled = false;
		cl->active_ms = now; /* we kept it waiting, not the reverse */
	}
	cmd->ctl.requests++;
	return true;
}

/**
 * server_process() - answer complete requests while no response is pending
 * @cl:		client
 * @cmd:	command state
 *
 * Return: 0 or -errno: drop the client
 */
static int server_process(struct server_client *cl, struct cmd_ctx *cmd)
{
	char *nl;
	size_t n;
	int rc;

	while (!cl->out && cl->inlen) {
		nl = memchr(cl->in, '\n', cl->inlen);
		if (!nl && cl->inlen > PROTO_MAX_REQUEST) {
			char err[64], *out;
			size_t outlen = 0;

			/* No way to find the next request: answer, hang up. */
			snprintf(err, sizeof(err), "request larger than %u bytes",
				 PROTO_MAX_REQUEST);
			cl->inlen = 0;
			cl->eof = true;
			out = proto_response_error(err, &outlen);
			return server_respond(cl, out, outlen);
		}
		if (!nl && !cl->eof)
			return 0;
		if (!server_budget(cl, cmd))
			return 0; /* the tick comes back for the rest */
		/* At EOF, a last line without its newline still counts. */
		n = nl ? (size_t)(nl - cl->in) : cl->inlen;
		rc = server_handle_line(cl, cl->in, n, cmd);
		if (nl)
			n++;
		memmove(cl->in, cl->in + n, cl->inlen - n);
		cl->inlen -= n;
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * server_read() - take what a client sent, answer complete requests
 * @cl:		client
 * @cmd:	command state
 *
 * Return: 0, or -errno: drop the client
 */
static int server_read(struct server_client *cl, struct cmd_ctx *cmd)
{
	ssize_t n;

	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, 0);
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
	if (n == 0)
		cl->eof = true;
	cl->active_ms = server_now_ms();
	if (!cl->inlen)
		cl->req_ms = cl->active_ms;
	cl->inlen += (size_t)n;
	return server_process(cl, cmd);
}

/**
 * server_quiet_since() - when a client last moved a byte either way
 * @cl:		client
 *
 * A client that is not reading its response is as quiet as one that
 * sends nothing: what counts then is when the response last moved.
 *
 * Return: CLOCK_MONOTONIC milliseconds
 */
static uint64_t server_quiet_since(const struct server_client *cl)
{
	if (cl->out && cl->moved_ms > cl->active_ms)
		return cl->moved_ms;
	return cl->active_ms;
}

/**
 * server_idlest() - the client quiet for longest
 * @s:		server
 *
 * Return: client, or NULL if there is none
 */
static struct server_client *server_idlest(struct server *s)
{
	struct server_client *best = NULL;
	unsigned i;

	for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
		struct server_client *cl = &s->clients[i];

		if (cl->fd >= 0 &&
		    (!best || server_quiet_since(cl) < server_quiet_since(best)))
			best = cl;
	}
	return best;
}

/**
 * server_reap_stalled() - close clients stuck halfway through a request,
 *			   or not reading their response
 * @s:		server
 *
 * A request is one line, sent at once by any real client; one begun more
 * than SERVER_REQUEST_MS ago and still not ended is not coming. A response
 * none of which the client has taken for SERVER_WRITE_MS will not be read
 * either (vstackctl reads as soon as it has sent).
 */
static void server_reap_stalled(struct server *s)
{
	uint64_t now = server_now_ms();
	unsigned i;

	for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
		struct server_client *cl = &s->clients[i];

		if (cl->fd >= 0 && cl->inlen && !cl->out && !cl->throttled &&
		    now - cl->req_ms > SERVER_REQUEST_MS) {
			log_info("control connection of pid %d sent half a request and stopped; closing it",
				 (int)cl->pid);
			server_client_close(cl);
		} else if (cl->fd >= 0 && cl->out &&
			   now - cl->moved_ms > SERVER_WRITE_MS) {
			log_info("control connection of pid %d has not read its response for %u s; closing it",
				 (int)cl->pid, SERVER_WRITE_MS / 1000);
			server_client_close(cl);
		}
	}
}

/**
 * server_resume() - answer what clients held back for their budget sent
 * @s:		server
 * @cmd:	command state
 */
static void server_resume(struct server *s, struct cmd_ctx *cmd)
{
	unsigned i;

	for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
		struct server_client *cl = &s->clients[i];
		int crc;

		if (cl->fd < 0 || !cl->throttled || cl->out)
			continue;
		crc = server_process(cl, cmd);
		if (crc || (cl->eof && !cl->out && !cl->inlen))
			server_client_close(cl);
	}
}

/**
 * server_accept() - take a new connection, if there is room
 * @s:		server
 */
static void server_accept(struct server *s)
{
	static const char nofd[] =
		"{\"version\":1,\"ok\":false,\"error\":\"vstackd is out of file descriptors (its open-files limit)\"}\n";
	struct server_client *cl = NULL;
	unsigned i;
	int fd, rc;

	fd = fdlimit_accept(s->lfd, "control", nofd, sizeof(nofd) - 1);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on %s: %s", s->path, strerror(errno));
		return;
	}
	for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
		if (s->clients[i].fd < 0) {
			cl = &s->clients[i];
			break;
		}
	}
	if (!cl && (cl = server_idlest(s))) {
		/* Full: the connection that has been quiet longest makes
		 * room, so idle or stalled clients, or clients that do not
		 * read, cannot lock everyone else out. */
		log_info("closing the control connection of pid %d, idle for %llu ms, to make room",
			 (int)cl->pid,
			 (unsigned long long)(server_now_ms() -
					      server_quiet_since(cl)));
		server_client_close(cl);
	}
	if (!cl) {
		static const char busy[] =
			"{\"version\":1,\"ok\":false,\"error\":\"vstackd is busy: too many control connections\"}\n";

		log_warn("refusing a control connection: %u already open",
			 SERVER_MAX_CLIENTS);
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* It will see the connection close instead. */
		}
		close(fd);
		return;
	}
	cl->fd = fd;
	cl->inlen = 0;
	cl->eof = false;
	cl->active_ms = server_now_ms();
	tbucket_init(&cl->reqs, SERVER_REQ_PER_SEC, SERVER_REQ_BURST,
		     cl->active_ms * 1000000ull);
	cl->throttled = false;
	if ((rc = server_client_creds(cl))) {
		log_warn("control connection without credentials: %s",
			 strerror(-rc));
		server_client_close(cl);
	}
}

/**
 * struct server_pace - how often the control loop ticks
 * @tfd:	its timerfd
 * @quiet:	quiet ticks in a row
 * @resting:	ticking once a minute
 */
struct server_pace {
	int tfd;
	unsigned quiet;
	bool resting;
};

static int server_pace_set(struct server_pace *p, unsigned ms)
{
	struct itimerspec its = {
		.it_interval = { ms / 1000, (long)(ms % 1000) * 1000000 },
		.it_value = { ms / 1000, (long)(ms % 1000) * 1000000 },
	};

	return timerfd_settime(p->tfd, 0, &its, NULL) ? -errno : 0;
}

/* Does anything here need the half-second tick? */
static bool server_needs_tick(const struct server *s, struct cmd_ctx *cmd)
{
	unsigned i;

	if (cmd_cgroups_need_tick(cmd) || (s->http && http_busy(s->http)) ||
	    appsrv_waiting(s->apps))
		return true;
	for (i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			return true;
	return false;
}

/* After a tick: rest once nothing has happened for long enough. */
static void server_pace_tick(struct server_pace *p, const struct server *s,
			     struct cmd_ctx *cmd, struct vnet *v)
{
	bool quiet = vnet_ctl_quiet(v) && !server_needs_tick(s, cmd);

	if (p->resting || !quiet) {
		p->quiet = 0;
		return;
	}
	if (++p->quiet < SERVER_QUIET_TICKS || !vnet_ctl_rest(v))
		return;
	if (server_pace_set(p, SERVER_REST_TICK_MS)) {
		vnet_ctl_awake(v);
		return;
	}
	p->resting = true;
	log_debug("idle: the control loop ticks once a minute");
}

/*
 * Something happened (a worker woke, a signal, a connection, a request):
 * no longer quiet, and if resting, tick now and every half second again.
 */
static void server_pace_wake(struct server_pace *p, struct cmd_ctx *cmd,
			     struct vnet *v, const struct pollfd *pfd,
			     nfds_t n)
{
	nfds_t i;

	for (i = 0; i < n; i++)
		if (i != SERVER_FD_TIMER && i != SERVER_FD_CGROUPS &&
		    pfd[i].revents)
			break;
	if (i == n)
		return;
	p->quiet = 0;
	if (!p->resting && !pfd[SERVER_FD_SWITCH].revents)
		return;
	vnet_ctl_awake(v);
	if (!p->resting)
		return;
	p->resting = false;
	if (server_pace_set(p, SERVER_TICK_MS))
		log_err("cannot set the control loop's timer: %s",
			strerror(errno));
	vnet_tick(v);
	cmd_tick(cmd);
	log_debug("busy: the control loop ticks every half second");
}

/**
 * server_run() - the control thread's event loop
 * @s:		server
 * @cmd:	command state
 * @v:		the switch, ticked every half second
 * @sigs:	signals blocked by server_signals_block()
 *
 * Return: 0 after SIGINT or SIGTERM, or -errno if the loop cannot go on
 */
int server_run(struct server *s, struct cmd_ctx *cmd, struct vnet *v,
	       const sigset_t *sigs)
{
	struct server_pace pace = { .tfd = -1 };
	struct pollfd pfd[SERVER_FIXED_FDS + SERVER_MAX_CLIENTS + HTTP_POLLFDS];
	struct pollfd *cpfd = &pfd[SERVER_FIXED_FDS];
	struct pollfd *hpfd = &pfd[SERVER_FIXED_FDS + SERVER_MAX_CLIENTS];
	int sfd = -1, tfd = -1, rc = 0;
	bool stop = false;
	unsigned i;

	sfd = signalfd(-1, sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	pace.tfd = tfd;
	if (sfd < 0 || tfd < 0 || server_pace_set(&pace, SERVER_TICK_MS)) {
		rc = -errno;
		log_err("cannot set up the control loop: %s", strerror(-rc));
		goto out;
	}

	while (!stop) {
		nfds_t n = SERVER_FIXED_FDS;

		watchdog_run(v); /* systemd keep-alive: see watchdog.c */
		pfd[SERVER_FD_LISTEN] = (struct pollfd){ .fd = s->lfd,
							 .events = POLLIN };
		pfd[SERVER_FD_SIGNAL] = (struct pollfd){ .fd = sfd,
							 .events = POLLIN };
		pfd[SERVER_FD_TIMER] = (struct pollfd){ .fd = tfd,
							.events = POLLIN };
		pfd[SERVER_FD_APPS] = (struct pollfd){
			.fd = s->apps ? appsrv_fd(s->apps) : -1,
			.events = POLLIN
		};
		pfd[SERVER_FD_SWITCH] = (struct pollfd){ .fd = vnet_ctl_fd(v),
							 .events = POLLIN };
		pfd[SERVER_FD_CGROUPS] = (struct pollfd){
			.fd = cmd_cgroup_fd(cmd), .events = POLLIN
		};
		cmd->ctl.clients = 0;
		for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
			struct server_client *cl = &s->clients[i];

			cpfd[i] = (struct pollfd){ .fd = -1 };
			if (cl->fd < 0)
				continue;
			cmd->ctl.clients++;
			cpfd[i].fd = cl->fd;
			cpfd[i].events = cl->out ? POLLOUT :
				(cl->eof || cl->throttled ? 0 : POLLIN);
			n = SERVER_FIXED_FDS + i + 1;
		}
		if (s->http)
			n = SERVER_FIXED_FDS + SERVER_MAX_CLIENTS +
			    http_pollfds(s->http, hpfd);

		if (poll(pfd, n, watchdog_poll_timeout()) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			log_err("poll: %s", strerror(-rc));
			break;
		}
		server_pace_wake(&pace, cmd, v, pfd, n);

		if (pfd[SERVER_FD_SIGNAL].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					struct reconcile_counts rn;
					char why[512];

					log_info("SIGHUP: reloading the configuration");
					if (reconcile_reload(cmd, &rn, why,
							     sizeof(why)))
						log_err("reload: %s", why);
					continue;
				}
				log_info("%s: shutting down",
					 strsignal((int)si.ssi_signo));
				notify_stopping("Stopping (%s)",
						strsignal((int)si.ssi_signo));
				stop = true;
			}
		}
		if (pfd[SERVER_FD_CGROUPS].revents & POLLIN)
			cmd_cgroup_events(cmd);
		if (pfd[SERVER_FD_TIMER].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
				vnet_tick(v);
				cmd_tick(cmd);
			}
			if (cmd->state)
				state_sync(cmd->state);
			server_reap_stalled(s);
			appsrv_tick(s->apps);
			server_resume(s, cmd);
			server_pace_tick(&pace, s, cmd, v);
		}

		for (i = 0; i < SERVER_MAX_CLIENTS; i++) {
			struct server_client *cl = &s->clients[i];
			short re = cpfd[i].revents;
			int crc = 0;

			if (cl->fd < 0 || cpfd[i].fd < 0 || !re)
				continue;
			if (re & POLLOUT) {
				crc = server_flush(cl);
				if (!crc && !cl->out)
					crc = server_process(cl, cmd);
			} else if (re & POLLIN) {
				crc = server_read(cl, cmd);
			} else if (re & (POLLHUP | POLLERR)) {
				crc = -EPIPE;
			}
			if (crc || (cl->eof && !cl->out && !cl->inlen))
				server_client_close(cl);
		}
		if (pfd[SERVER_FD_LISTEN].revents & POLLIN)
			server_accept(s);
		if (pfd[SERVER_FD_APPS].revents & POLLIN)
			appsrv_handle(s->apps);
		if (s->http)
			http_handle(s->http, hpfd);
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}
