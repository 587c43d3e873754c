/* SPDX-License-Identifier: MIT */
/*
 * vstack.h - libvstack: sockets served by the shared stack in vstackd
 *
 * An application attaches to vstackd once (vs_open()) and gets a context:
 * shared memory holding its sockets' ring buffers and two queues (commands
 * and completions). Sockets are small integers naming slots of that
 * context; they are not file descriptors. Data moves by copying into and
 * out of the rings and moving counters: vs_send() and vs_recv() make no
 * system call unless vstackd's worker sleeps (then one eventfd write) or
 * the call has to wait. Control calls (vs_socket(), vs_connect(), ...)
 * post a command and wait for its completion.
 *
 * Errors: every call returns -1 (NULL for vs_open()) and sets errno, as
 * the socket calls do. Beyond the usual values:
 *   ECONNABORTED  vstackd is gone (it exited or crashed): every later call
 *                 on the context fails with it; close the context and
 *                 vs_open() again.
 *   EPROTO        vstackd broke the shared-memory protocol (a counter,
 *                 offset or size out of range) for this socket or the
 *                 whole context; the library refuses to follow it.
 * There is no SIGPIPE: writing to a closed connection fails with EPIPE.
 * A blocking call interrupted by a signal carries on waiting (as with
 * SA_RESTART); it never fails with EINTR. Before it sleeps, a blocking
 * call keeps looking for VSTACK_SPIN_US microseconds (environment,
 * default 20, 0 for never), which catches quick replies without a
 * wake-up.
 *
 * Threads. A context may be shared by threads: control calls are
 * serialised by a mutex around the queues, and each waits for its own
 * completion (matched by tag) while completions for other threads are
 * handed over to them. Blocking data calls on different sockets may run
 * in different threads at once. For one socket, at most one thread at a
 * time may send and at most one at a time may receive (one sender and one
 * receiver thread together are fine). vs_close() on a socket another
 * thread is blocked on (in vs_accept(), vs_connect(), vs_send(),
 * vs_recv()) wakes that thread with EBADF; it must not race with a call
 * that is only starting, as with close(2) on a file descriptor.
 * vs_close_ctx() must be the last call on a context. A context is not
 * inherited across fork(2): a child must not use its parent's contexts
 * (it may vs_open() its own).
 *
 * Event loops. vs_ctx_fd() is one file descriptor (an epoll instance)
 * that becomes readable when the state of some socket of the context may
 * have changed or vstackd went away. vstackd only signals it while the
 * context is armed, so an event loop that sleeps in epoll_wait(2) or
 * poll(2) does this:
 *
 *	for (;;) {
 *		vs_ctx_arm(ctx);                 // 1. ask to be woken up
 *		n = vs_poll(ctx, items, k, 0);   // 2. check once more
 *		if (n == 0)
 *			epoll_wait(ep, evs, 16, -1); // 3. ep holds vs_ctx_fd()
 *		vs_ctx_ack(ctx);                 // 4. drain, disarm
 *		n = vs_poll(ctx, items, k, 0);   // 5. handle what is ready
 *		...
 *	}
 *
 * Step 2 closes the race between the last look at the sockets and
 * arming: anything that happens after vs_ctx_arm() makes the fd readable.
 * The fd is level-triggered until vs_ctx_ack() drains it. While armed,
 * vstackd pays a system call per event to wake the application, so a
 * loop that has work to do should not stay armed. Use the fd integration
 * from one thread per context. Blocking calls made by other threads on
 * the same context share the wake-up: vs_ctx_ack() gives it back to a
 * blocked call whose completion it found, but a blocked call's wait may
 * take a wake-up from the event loop, so after such a call returns the
 * loop should look at its sockets again (vs_poll() with timeout 0).
 *
 * Only IPv4 for now: addresses are struct sockaddr_in (sin_family
 * AF_INET); the stack owns the endpoint's one address, INADDR_ANY in
 * vs_bind() means that address.
 */
#ifndef VSTACK_H
#define VSTACK_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VS_API __attribute__((visibility("default")))

struct vs_ctx;

/* Socket types for vs_socket() (the same values as app_proto.h's) */
#define VS_SOCK_STREAM 1
#define VS_SOCK_DGRAM  2

/* vs_shutdown() how: the values of SHUT_RD, SHUT_WR, SHUT_RDWR */
#define VS_SHUT_RD   0
#define VS_SHUT_WR   1
#define VS_SHUT_RDWR 2

/* Options for vs_setsockopt()/vs_getsockopt(); values are ints */
#define VS_OPT_NODELAY	 1 /* TCP_NODELAY */
#define VS_OPT_KEEPALIVE 2 /* SO_KEEPALIVE */
#define VS_OPT_REUSEADDR 3 /* SO_REUSEADDR: bind over TIME-WAIT, and a
			    * stream port bound by another socket with it
			    * while neither listens */
#define VS_OPT_ERROR	 4 /* SO_ERROR: get and clear */
#define VS_OPT_SNDBUF	 5 /* send ring bytes: get only */
#define VS_OPT_RCVBUF	 6 /* receive ring bytes: get only */
#define VS_OPT_NREAD	 7 /* FIONREAD: bytes ready to read (datagram: the
			    * next one's payload); get only, answered from
			    * the shared counters without a round trip */
#define VS_OPT_BROADCAST 8 /* SO_BROADCAST: without it a datagram to the
			    * limited or the subnet's broadcast address
			    * fails with EACCES (vs_sendto(), vs_connect()) */

/* Flags of vs_recvmsg() (the values of MSG_PEEK and MSG_TRUNC); in its
 * *msg_flags, VS_MSG_TRUNC says that a datagram was longer than the room */
#define VS_MSG_PEEK  0x02
#define VS_MSG_TRUNC 0x20

/* vs_poll() event bits (the values of POLLIN, POLLOUT, ...) */
#define VS_POLLIN   0x001
#define VS_POLLOUT  0x004
#define VS_POLLERR  0x008
#define VS_POLLHUP  0x010
#define VS_POLLNVAL 0x020
/* reads have ended (the peer's FIN, or VS_SHUT_RD): only when asked for */
#define VS_POLLRDHUP 0x2000

/**
 * struct vs_pollfd - one socket for vs_poll()
 * @sock:	the socket; a negative value is ignored (revents 0)
 * @events:	VS_POLLIN and/or VS_POLLOUT, and VS_POLLRDHUP
 * @revents:	set by vs_poll(): the ready subset of @events, plus
 *		VS_POLLERR, VS_POLLHUP, VS_POLLNVAL whenever they apply
 */
struct vs_pollfd {
	int sock;
	short events;
	short revents;
};

/**
 * struct vs_ctx_info - what vstackd told the application when attaching
 * @endpoint:	the endpoint's name
 * @addr:	its IPv4 address
 * @prefix_len:	its on-link prefix
 * @tenant:	the tenant the application was put in
 */
struct vs_ctx_info {
	char endpoint[16];
	struct in_addr addr;
	unsigned prefix_len;
	uint32_t tenant;
};

/**
 * vs_open() - attach to vstackd
 * @endpoint:	endpoint name (at most 15 characters), NULL or "" for the
 *		tenant's only one
 *
 * Connects to the app socket named by the environment variable
 * VSTACK_APP_SOCKET, else /run/vstack/app.sock, and maps the context.
 *
 * Return: the context, or NULL with errno set: EPERM (the tenant has no
 * endpoint), ENOENT (no such endpoint), EMFILE (too many contexts),
 * ENAMETOOLONG, ETIMEDOUT (vstackd did not answer within 5 s), EPROTO
 * (the answer was malformed), or what connect(2) or mmap(2) said.
 * vs_open_error() then says why in one line.
 */
VS_API struct vs_ctx *vs_open(const char *endpoint);

/**
 * vs_open_at() - vs_open() through a given app socket
 * @path:	the app socket's path; NULL or "" for vs_open()'s choice
 * @endpoint:	as vs_open()'s
 *
 * For a caller that must attach again later to the same vstackd even if
 * its environment changed meanwhile (the preload shim remembers the
 * socket its program started with).
 *
 * Return: as vs_open()
 */
VS_API struct vs_ctx *vs_open_at(const char *path, const char *endpoint);

/**
 * vs_open_error() - why the last vs_open() of this thread failed
 *
 * Return: a one-line message (vstackd's own when it refused), "" when
 * there was no failure. Valid until the thread's next vs_open().
 */
VS_API const char *vs_open_error(void);

/**
 * vs_close_ctx() - detach from vstackd and free the context
 * @ctx:	the context, or NULL
 *
 * vstackd releases every socket still open, as at process exit
 * (connections are reset); vs_close() them first for an orderly end.
 */
VS_API void vs_close_ctx(struct vs_ctx *ctx);

/**
 * vs_ctx_error() - is vstackd still there
 * @ctx:	the context
 *
 * Checks the app socket (one system call). Once vstackd has gone away (it
 * stopped, crashed or is being upgraded), every call on the context fails
 * and keeps failing: open a new context with vs_open() when vstackd is
 * back, and make the sockets afresh.
 *
 * Return: 0 while vstackd is there, else the positive errno every call on
 * the context now fails with (ECONNABORTED, or EPROTO after a protocol
 * violation)
 */
VS_API int vs_ctx_error(struct vs_ctx *ctx);

/**
 * vs_ctx_get_info() - the endpoint, address and tenant of a context
 * @ctx:	the context
 * @info:	filled in
 *
 * Return: 0
 */
VS_API int vs_ctx_get_info(struct vs_ctx *ctx, struct vs_ctx_info *info);

/**
 * vs_socket() - create a socket
 * @ctx:	the context
 * @type:	VS_SOCK_STREAM (TCP) or VS_SOCK_DGRAM (UDP)
 *
 * Return: the socket (>= 0), or -1 with errno (EINVAL, EMFILE, ENOBUFS,
 * ECONNABORTED, EPROTO)
 */
VS_API int vs_socket(struct vs_ctx *ctx, int type);

/**
 * vs_bind() - give a socket its local port
 * @ctx:	the context
 * @s:		the socket
 * @addr:	AF_INET; INADDR_ANY or the endpoint's address; port 0 for an
 *		ephemeral one
 *
 * Return: 0, or -1 with errno (EADDRINUSE, EADDRNOTAVAIL, EINVAL, ...)
 */
VS_API int vs_bind(struct vs_ctx *ctx, int s, const struct sockaddr_in *addr);

/**
 * vs_listen() - make a stream socket a listener
 * @ctx:	the context
 * @s:		the socket
 * @backlog:	connections that may wait for vs_accept(), as listen(2)'s
 *		on Linux: one more than it says (0 lets one wait), at most
 *		4096 (a negative one counts as that)
 *
 * Again on a listener, as Linux: only the backlog changes.
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_listen(struct vs_ctx *ctx, int s, int backlog);

/**
 * vs_accept() - take a connection from a listener
 * @ctx:	the context
 * @s:		the listener
 * @peer:	filled with the peer's address, or NULL
 *
 * Blocks until a connection is there unless @s is non-blocking.
 *
 * Return: the new socket (blocking, like every new socket), or -1 with
 * errno (EAGAIN when non-blocking and none is ready)
 */
VS_API int vs_accept(struct vs_ctx *ctx, int s, struct sockaddr_in *peer);

/**
 * vs_connect() - connect a socket
 * @ctx:	the context
 * @s:		the socket
 * @addr:	AF_INET peer address and port
 *
 * Stream: blocks until established unless @s is non-blocking, then fails
 * with EINPROGRESS; writability in vs_poll() (or VS_POLLERR, and
 * VS_OPT_ERROR) tells the outcome. Datagram: sets the default
 * destination, at once; AF_UNSPEC (or AF_INET 0.0.0.0 port 0) dissolves
 * it and, as Linux, gives back a local port picked automatically (not one
 * the application bound with vs_bind() to a port other than 0).
 *
 * Return: 0, or -1 with errno (ECONNREFUSED, ETIMEDOUT, EINPROGRESS,
 * EALREADY, EISCONN, ...)
 */
VS_API int vs_connect(struct vs_ctx *ctx, int s,
		      const struct sockaddr_in *addr);

/**
 * vs_send() - write to a socket
 * @ctx:	the context
 * @s:		the socket
 * @buf:	the bytes
 * @len:	how many
 *
 * Stream: blocking sockets return when all @len bytes are in the send
 * ring; non-blocking ones take what fits. Datagram: one datagram to the
 * connected peer.
 *
 * Return: bytes taken, or -1 with errno (EAGAIN, EPIPE: a stream shut
 * for writing, closed or not connected, as Linux; ECONNRESET, EMSGSIZE,
 * EDESTADDRREQ, ...)
 */
VS_API ssize_t vs_send(struct vs_ctx *ctx, int s, const void *buf, size_t len);

/**
 * vs_recv() - read from a socket
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the bytes
 * @len:	room in @buf
 *
 * Stream: returns what is there (at most @len), blocking while nothing is
 * unless non-blocking. Datagram: one datagram, truncated to @len (the
 * rest is discarded).
 *
 * Return: bytes read, 0 at end of stream, or -1 with errno (EAGAIN,
 * ENOTCONN, ECONNRESET, ETIMEDOUT, ...)
 */
VS_API ssize_t vs_recv(struct vs_ctx *ctx, int s, void *buf, size_t len);

/**
 * vs_recv_zc() - a stream socket's received bytes where they lie
 * @ctx:	the context
 * @s:		the socket
 * @iov:	set to one or two slices of the shared receive ring (two when
 *		the bytes wrap around its end)
 *
 * No copy: the application reads the bytes in place, then gives them back
 * with vs_recv_done() (which reopens the window over them). Blocks like
 * vs_recv() unless non-blocking.
 *
 * Return: bytes in the slices, 0 at end of stream, or -1 with errno (as
 * vs_recv(); EOPNOTSUPP on a datagram socket)
 */
VS_API ssize_t vs_recv_zc(struct vs_ctx *ctx, int s, struct iovec iov[2]);

/**
 * vs_recv_done() - consume the first @len bytes vs_recv_zc() showed
 * @ctx:	the context
 * @s:		the socket
 * @len:	bytes, at most what is there
 *
 * Return: 0, or -1 with errno (EINVAL when @len is more than there is)
 */
VS_API int vs_recv_done(struct vs_ctx *ctx, int s, size_t len);

/**
 * vs_sendto() - send one datagram
 * @ctx:	the context
 * @s:		the socket
 * @buf:	the payload
 * @len:	its length, at most 65507
 * @to:		AF_INET destination, or NULL for the connected one
 *
 * On a stream socket @to is ignored and this is vs_send().
 *
 * Return: @len, or -1 with errno (EAGAIN, EMSGSIZE, EDESTADDRREQ, ...)
 */
VS_API ssize_t vs_sendto(struct vs_ctx *ctx, int s, const void *buf, size_t len,
			 const struct sockaddr_in *to);

/**
 * vs_recvfrom() - receive one datagram and its sender
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the payload
 * @len:	room in @buf; a longer datagram is truncated
 * @from:	filled with the sender, or NULL
 *
 * On a stream socket this is vs_recv() and @from gets the peer.
 *
 * Return: bytes copied, or -1 with errno
 */
VS_API ssize_t vs_recvfrom(struct vs_ctx *ctx, int s, void *buf, size_t len,
			   struct sockaddr_in *from);

/**
 * vs_recvmsg() - vs_recvfrom() with flags, telling a truncated datagram
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the bytes
 * @len:	room in @buf
 * @from:	filled with the sender (stream: the peer), or NULL
 * @flags:	0, VS_MSG_PEEK (as vs_peek(): never waits), VS_MSG_TRUNC
 *		(datagram only: return the datagram's whole length, as
 *		recv(2) with MSG_TRUNC does for UDP)
 * @msg_flags:	set to VS_MSG_TRUNC when the datagram was longer than @len
 *		(the rest is discarded), else 0; or NULL
 *
 * Return: bytes copied (with VS_MSG_TRUNC: the datagram's length), 0 at
 * end of stream, or -1 with errno (as vs_recvfrom(); EINVAL for unknown
 * flags, EOPNOTSUPP for VS_MSG_TRUNC on a stream)
 */
VS_API ssize_t vs_recvmsg(struct vs_ctx *ctx, int s, void *buf, size_t len,
			  struct sockaddr_in *from, int flags, int *msg_flags);

/**
 * vs_peek() - copy what vs_recv() would return, leaving it to read
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the bytes
 * @len:	room in @buf
 *
 * Never waits (MSG_PEEK|MSG_DONTWAIT). Stream: at most @len of the bytes
 * there, 0 at end of stream. Datagram: the next datagram, truncated to
 * @len, and its sender in @from.
 *
 * Return: bytes copied, or -1 with errno (EAGAIN when nothing is there,
 * ENOTCONN, ...)
 */
VS_API ssize_t vs_peek(struct vs_ctx *ctx, int s, void *buf, size_t len,
		       struct sockaddr_in *from);

/**
 * vs_shutdown() - end one or both directions
 * @ctx:	the context
 * @s:		the socket
 * @how:	VS_SHUT_RD, VS_SHUT_WR or VS_SHUT_RDWR
 *
 * The FIN goes after every byte already passed to vs_send(). After
 * VS_SHUT_RD (or VS_SHUT_RDWR) reads of a stream end at once, as at the
 * peer's FIN: the bytes already received, then 0 (a blocked vs_recv()
 * returns). On a listener they stop it, as on Linux: the connections not
 * accepted yet are reset, and vs_accept() (also one blocked in another
 * thread) fails with EINVAL. On a stream still connecting they end the
 * attempt, as on Linux: the error is ECONNRESET, and the socket may
 * connect again. On a datagram socket, as on Linux,
 * VS_SHUT_WR makes later sends fail with EPIPE; with no peer the call
 * fails with ENOTCONN but takes effect all the same.
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_shutdown(struct vs_ctx *ctx, int s, int how);

/**
 * vs_close() - close a socket
 * @ctx:	the context
 * @s:		the socket
 *
 * An orderly close: bytes already sent still go out. The number @s is
 * released even when this fails.
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_close(struct vs_ctx *ctx, int s);

/**
 * vs_set_nonblock() - make a socket's calls non-blocking or blocking
 * @ctx:	the context
 * @s:		the socket
 * @on:		non-zero for non-blocking
 *
 * Return: 0, or -1 with errno (EBADF)
 */
VS_API int vs_set_nonblock(struct vs_ctx *ctx, int s, int on);

/**
 * vs_setsockopt() - set an option
 * @ctx:	the context
 * @s:		the socket
 * @opt:	VS_OPT_*
 * @value:	the value
 *
 * Return: 0, or -1 with errno (ENOPROTOOPT, EINVAL, ...)
 */
VS_API int vs_setsockopt(struct vs_ctx *ctx, int s, int opt, int value);

/**
 * vs_getsockopt() - read an option
 * @ctx:	the context
 * @s:		the socket
 * @opt:	VS_OPT_*
 * @value:	where to put the value
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_getsockopt(struct vs_ctx *ctx, int s, int opt, int *value);

/**
 * vs_getsockname() - a socket's local address and port
 * @ctx:	the context
 * @s:		the socket
 * @addr:	filled in (AF_INET)
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_getsockname(struct vs_ctx *ctx, int s, struct sockaddr_in *addr);

/**
 * vs_getpeername() - a connected socket's peer
 * @ctx:	the context
 * @s:		the socket
 * @addr:	filled in (AF_INET)
 *
 * Return: 0, or -1 with errno (ENOTCONN)
 */
VS_API int vs_getpeername(struct vs_ctx *ctx, int s, struct sockaddr_in *addr);

/**
 * vs_poll() - readiness of sockets, waiting while none is ready
 * @ctx:	the context
 * @items:	the sockets and the events wanted
 * @n:		how many
 * @timeout_ms:	-1 to wait for ever, 0 not to wait
 *
 * Readable: bytes or a datagram to read, end of stream, an error, or
 * (listener) a connection to accept. Writable: connected with room in the
 * send ring (datagram: room for a small datagram).
 *
 * Return: the number of items with non-zero revents (0 on timeout), or
 * -1 with errno (ECONNABORTED, EINVAL)
 */
VS_API int vs_poll(struct vs_ctx *ctx, struct vs_pollfd *items, unsigned n,
		   int timeout_ms);

/**
 * vs_ctx_fd() - a file descriptor for the application's own event loop
 * @ctx:	the context
 *
 * Readable (level-triggered) when vstackd woke the armed context or went
 * away. See "Event loops" at the top of this header. Owned by the
 * context: do not close it.
 *
 * Return: the descriptor
 */
VS_API int vs_ctx_fd(struct vs_ctx *ctx);

/**
 * vs_ctx_arm() - ask vstackd to make vs_ctx_fd() readable on changes
 * @ctx:	the context
 *
 * Call before sleeping on vs_ctx_fd(), then check the sockets once more
 * (vs_poll() with timeout 0) and sleep only if nothing is ready. Arming
 * twice is arming once.
 *
 * Return: 0, or -1 with errno ECONNABORTED
 */
VS_API int vs_ctx_arm(struct vs_ctx *ctx);

/**
 * vs_ctx_ack() - after waking up: drain vs_ctx_fd() and disarm
 * @ctx:	the context
 *
 * Return: 0, or -1 with errno ECONNABORTED when vstackd is gone
 */
VS_API int vs_ctx_ack(struct vs_ctx *ctx);

/**
 * vs_ctx_spin_ns() - how long a blocking call looks before it sleeps
 * @ctx:	the context
 *
 * VSTACK_SPIN_US as libvstack read it, for event loops that want to look
 * as long as libvstack's own blocking calls do before they arm and sleep.
 *
 * Return: nanoseconds, 0 when they never look
 */
VS_API int64_t vs_ctx_spin_ns(struct vs_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* VSTACK_H */
