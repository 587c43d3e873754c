// SPDX-License-Identifier: MIT
/*
 * app.c - the app socket, control thread side (stack.h: stack_app_*)
 *
 * Theory of operation
 *
 * The control plane accepts a connection on the app socket, finds the
 * peer's tenant and calls stack_app_new(). The connection then goes
 * through two phases:
 *
 * HELLO:   stack_app_io() reads the one struct vsapp_hello (every field
 *          checked), picks the endpoint (named, or the tenant's only
 *          one), builds the context (app_ctx_create(): memfd, mapping,
 *          queues, ring allocator, wake-up eventfd), hands it to the
 *          endpoint's worker (EP_REQ_APP_ADD, waiting for the worker's
 *          acknowledgement), then sends struct vsapp_welcome with the
 *          memfd, a dup of the worker's wake fd (the doorbell) and the
 *          wake-up eventfd (SCM_RIGHTS). Any failure is answered with a
 *          welcome carrying a positive errno and a one-line message, and
 *          the connection is to be closed (stack_app_io() returns < 0).
 * RUNNING: the connection carries nothing; EOF, a hang-up or any byte
 *          ends it. stack_app_free() takes the context back from the
 *          worker (EP_REQ_APP_DEL: every TCP connection of the
 *          application reset, listeners closed, rings freed; the worker
 *          acknowledges) and then unmaps and closes everything.
 *
 * If the endpoint is deleted first, its worker drops the context while
 * detaching (sockets read ENETDOWN) and the connection is shut down, so
 * the application sees vstackd's side gone; stack_app_free() then only
 * frees memory.
 *
 * Memory: the memfd is sized for the header, APP_NSOCKS socket slots,
 * the queues and APP_DATA_SIZE of ring area; it is sparse, pages exist
 * only once a ring is written, and a freed ring's pages are punched out
 * (app_run.c), so an application's footprint follows its open sockets.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"

/**
 * struct stack_app - one connection on the app socket
 * @s:		stack
 * @fd:		the connection
 * @tenant:	the peer's tenant
 * @pid:	the peer's pid
 * @running:	the welcome was sent
 * @ep:		endpoint of the context, NULL when none (or it is gone)
 * @ctx:	the context, owned by the endpoint's worker while @ep is set
 * @next:	the stack's list
 */
struct stack_app {
	struct stack *s;
	int fd;
	uint32_t tenant;
	pid_t pid;
	bool running;
	struct ep *ep;
	struct app_ctx *ctx;
	struct stack_app *next;
};

/**
 * app_align() - round up
 * @v:	value
 * @a:	power of two
 *
 * Return: @v rounded up to @a
 */
static uint64_t app_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/**
 * app_ctx_create() - build a context for @ep: memfd, mapping, queues
 * @ep:		endpoint
 * @out:	the context
 *
 * Return: 0 or -errno
 */
int app_ctx_create(struct ep *ep, struct app_ctx **out)
{
	struct app_ctx *a = calloc(1, sizeof(*a));
	uint64_t socks_off, sq_off, cq_off, data_off, size;
	struct vsapp_shm *shm;
	int ret;

	if (!a)
		return -ENOMEM;
	a->memfd = a->wake_fd = -1;
	socks_off = app_align(sizeof(struct vsapp_shm), 64);
	sq_off = app_align(socks_off + (uint64_t)APP_NSOCKS *
					       sizeof(struct vsapp_sock),
			   64);
	cq_off = app_align(sq_off + (uint64_t)APP_SQ_ENTRIES *
					    sizeof(struct vsapp_cmd),
			   64);
	data_off = app_align(cq_off + (uint64_t)APP_CQ_ENTRIES *
					      sizeof(struct vsapp_cqe),
			     APP_PAGE);
	size = data_off + APP_DATA_SIZE;

	a->memfd = memfd_create("vstack-app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (a->memfd < 0) {
		ret = -errno;
		goto err;
	}
	/* sealed: an application that could shrink the file would make the
	 * worker's next access to the mapping fault (SIGBUS) */
	if (ftruncate(a->memfd, (off_t)size) ||
	    fcntl(a->memfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		ret = -errno;
		goto err;
	}
	shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a->memfd, 0);
	if (shm == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	a->shm = shm;
	a->size = size;
	a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->wake_fd < 0) {
		ret = -errno;
		goto err;
	}
	ret = app_mem_init(&a->mem, APP_DATA_SIZE);
	if (ret)
		goto err;
	shm->magic = VSAPP_MAGIC;
	shm->version = VSAPP_VERSION;
	shm->size = size;
	shm->nsocks = APP_NSOCKS;
	shm->sq_entries = APP_SQ_ENTRIES;
	shm->cq_entries = APP_CQ_ENTRIES;
	shm->socks_off = socks_off;
	shm->sq_off = sq_off;
	shm->cq_off = cq_off;
	shm->data_off = data_off;
	shm->data_size = APP_DATA_SIZE;
	a->socks_off = socks_off;
	a->sq_off = sq_off;
	a->cq_off = cq_off;
	a->data_off = data_off;
	a->ep = ep;
	*out = a;
	return 0;
err:
	app_ctx_destroy(a);
	return ret;
}

/**
 * app_ctx_destroy() - unmap and close a context no worker holds
 * @a:	context (NULL is fine)
 */
void app_ctx_destroy(struct app_ctx *a)
{
	if (!a)
		return;
	app_mem_fini(&a->mem);
	if (a->shm)
		munmap(a->shm, a->size);
	if (a->memfd >= 0)
		close(a->memfd);
	if (a->wake_fd >= 0)
		close(a->wake_fd);
	free(a);
}

/**
 * app_send_welcome() - answer the hello
 * @a:		connection
 * @err:	0 or a positive errno
 * @msg:	why, for an error
 * @fds:	the three descriptors on success, NULL otherwise
 *
 * Return: 0 or -errno
 */
static int app_send_welcome(struct stack_app *a, int err, const char *msg,
			    const int *fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VSAPP_NFDS)];
		struct cmsghdr align;
	} u;
	struct vsapp_welcome w;
	struct iovec iov = {.iov_base = &w, .iov_len = sizeof(w)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	memset(&w, 0, sizeof(w));
	w.magic = VSAPP_MAGIC;
	w.version = VSAPP_VERSION;
	w.err = err;
	w.tenant = a->tenant;
	if (msg)
		snprintf(w.msg, sizeof(w.msg), "%s", msg);
	if (!err && a->ep) {
		w.shm_size = a->ctx->size;
		w.addr = a->ep->spec.addr;
		w.prefix_len = a->ep->spec.prefix_len;
		snprintf(w.endpoint, sizeof(w.endpoint), "%s", a->ep->name);
	}
	if (fds) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * VSAPP_NFDS);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * VSAPP_NFDS);
	}
	n = sendmsg(a->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(w) ? 0 : -EIO;
}

/**
 * app_tenant_count() - running contexts of a tenant
 * @s:		stack
 * @tenant:	tenant id
 *
 * Return: how many
 */
static unsigned app_tenant_count(struct stack *s, uint32_t tenant)
{
	struct stack_app *a;
	unsigned n = 0;

	for (a = s->apps; a; a = a->next)
		n += a->tenant == tenant && a->ctx && a->ep;
	return n;
}

/**
 * app_worker_req() - hand a request to the worker and wait for it
 * @a:		connection
 * @type:	request
 */
static void app_worker_req(struct stack_app *a, enum ep_req_type type)
{
	struct ep_req r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.app = a->ctx;
	sem_init(&r.done, 0, 0);
	ep_request(a->ep, &r);
	stack_ep_kick(a->s, a->ep);
	while (sem_wait(&r.done) && errno == EINTR)
		;
	sem_destroy(&r.done);
}

/**
 * stack_app_new() - take over an accepted app-socket connection
 * @s:		stack
 * @fd:		the connection (non-blocking SOCK_SEQPACKET)
 * @tenant:	the peer's tenant
 * @pid:	the peer's pid
 * @out:	the application
 *
 * On failure @fd is still the caller's: it answers the peer (a welcome
 * with the reason) and closes it.
 *
 * Return: 0, -EPERM when the tenant has no endpoint, -ENOMEM
 */
int stack_app_new(struct stack *s, int fd, uint32_t tenant, pid_t pid,
		  struct stack_app **out)
{
	struct stack_app *a;

	if (!stack_tenant_has_ep(s, tenant))
		return -EPERM; /* the caller answers and closes @fd */
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->s = s;
	a->fd = fd;
	a->tenant = tenant;
	a->pid = pid;
	a->next = s->apps;
	s->apps = a;
	*out = a;
	return 0;
}

/**
 * app_pick() - the endpoint a hello asks for
 * @a:		connection
 * @h:		the hello (checked)
 * @msg:	why not, one line
 * @msglen:	room there
 *
 * Return: 0 with a->ep set, or a positive errno
 */
static int app_pick(struct stack_app *a, const struct vsapp_hello *h, char *msg,
		    size_t msglen)
{
	struct ep *ep, *only = NULL;
	unsigned n = 0;

	if (h->endpoint[0]) {
		ep = stack_ep_find(a->s, h->endpoint);
		if (!ep || ep->spec.tenant != a->tenant) {
			snprintf(msg, msglen, "no endpoint %s for tenant %u",
				 h->endpoint, a->tenant);
			return ENOENT;
		}
		a->ep = ep;
		return 0;
	}
	for (ep = stack_ep_first(a->s); ep; ep = ep->next)
		if (ep->spec.tenant == a->tenant) {
			only = ep;
			n++;
		}
	if (!n) {
		snprintf(msg, msglen, "tenant %u has no endpoint", a->tenant);
		return EPERM;
	}
	if (n > 1) {
		snprintf(msg, msglen, "tenant %u has %u endpoints: name one",
			 a->tenant, n);
		return ENOENT;
	}
	a->ep = only;
	return 0;
}

/**
 * app_hello() - read and answer the hello
 * @a:	connection in the HELLO phase
 *
 * Return: 0 (welcome sent, or nothing to read yet), < 0 to free
 */
static int app_hello(struct stack_app *a)
{
	struct vsapp_hello h;
	char msg[VSAPP_MSG_MAX] = "";
	uint8_t buf[sizeof(h) + 1];
	int fds[VSAPP_NFDS], err = 0, ret, wfd;
	ssize_t n;

	n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	memcpy(&h, buf, sizeof(h) < (size_t)n ? sizeof(h) : (size_t)n);
	if (n != (ssize_t)sizeof(h) || h.magic != VSAPP_MAGIC ||
	    h.version != VSAPP_VERSION || h.flags || h.reserved ||
	    !memchr(h.endpoint, 0, sizeof(h.endpoint))) {
		snprintf(msg, sizeof(msg), "bad hello");
		err = EPROTO;
		goto fail;
	}
	err = app_pick(a, &h, msg, sizeof(msg));
	if (err)
		goto fail;
	if (app_tenant_count(a->s, a->tenant) >= EP_APPS_PER_TENANT) {
		snprintf(msg, sizeof(msg), "tenant %u has %d contexts already",
			 a->tenant, EP_APPS_PER_TENANT);
		err = EMFILE;
		goto fail;
	}
	ret = app_ctx_create(a->ep, &a->ctx);
	if (ret) {
		snprintf(msg, sizeof(msg), "cannot create the context: %s",
			 strerror(-ret));
		err = -ret;
		goto fail;
	}
	wfd = stack_ep_wake_fd(a->s, a->ep);
	fds[0] = a->ctx->memfd;
	fds[1] = wfd >= 0 ? fcntl(wfd, F_DUPFD_CLOEXEC, 0) : -1;
	fds[2] = a->ctx->wake_fd;
	if (fds[1] < 0) {
		snprintf(msg, sizeof(msg), "no doorbell for the worker");
		err = EIO;
		goto fail;
	}
	app_worker_req(a, EP_REQ_APP_ADD);
	ret = app_send_welcome(a, 0, NULL, fds);
	close(fds[1]);
	if (ret)
		return ret; /* stack_app_free() takes the context back */
	a->running = true;
	return 0;
fail:
	app_ctx_destroy(a->ctx);
	a->ctx = NULL;
	a->ep = NULL;
	app_send_welcome(a, err, msg, NULL);
	return -err;
}

/**
 * stack_app_io() - the connection is readable or hung up
 * @a:	application
 *
 * Return: 0 to keep it, < 0 to free it
 */
int stack_app_io(struct stack_app *a)
{
	uint8_t b[64];
	ssize_t n;

	if (!a->running)
		return app_hello(a);
	n = recv(a->fd, b, sizeof(b), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	/* EOF, or bytes on a connection that carries none */
	return n == 0 ? -ECONNRESET : -EPROTO;
}

/**
 * stack_app_fd() - the connection's descriptor
 * @a:	application
 *
 * Return: the fd to poll
 */
int stack_app_fd(const struct stack_app *a)
{
	return a->fd;
}

/**
 * stack_app_running() - has the application been welcomed (past HELLO)?
 * @a:	application
 *
 * Return: true once its context is running
 */
bool stack_app_running(const struct stack_app *a)
{
	return a->running;
}

/**
 * stack_app_free() - release everything of an application
 * @a:	application (NULL is fine)
 */
void stack_app_free(struct stack_app *a)
{
	struct stack_app **pp;

	if (!a)
		return;
	if (a->ctx && a->ep)
		app_worker_req(a, EP_REQ_APP_DEL);
	app_ctx_destroy(a->ctx);
	for (pp = a->s ? &a->s->apps : NULL; pp && *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	close(a->fd);
	free(a);
}

/**
 * app_ep_gone() - an endpoint was deleted: its applications lose it
 * @s:	stack
 * @ep:	the endpoint (its worker dropped the contexts while detaching)
 */
void app_ep_gone(struct stack *s, struct ep *ep)
{
	struct stack_app *a;

	for (a = s->apps; a; a = a->next)
		if (a->ep == ep) {
			a->ep = NULL;
			shutdown(a->fd, SHUT_RDWR);
		}
}

/**
 * app_stack_gone() - the stack closes before its applications are freed:
 * they keep nothing of it (stack_app_free() then only frees them)
 * @s:	stack (its endpoints are deleted already)
 */
void app_stack_gone(struct stack *s)
{
	struct stack_app *a, *next;

	for (a = s->apps; a; a = next) {
		next = a->next;
		a->s = NULL;
		a->next = NULL;
	}
	s->apps = NULL;
}
