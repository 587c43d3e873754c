/* SPDX-License-Identifier: MIT */
/*
 * fake_vstackd.h - vstackd's side of one libvstack context, built by hand:
 * the shared memory (a memfd with the header, the socket slots, the
 * command and completion queues and the data area, laid out as
 * struct fake_cfg says), the app socket as a socketpair, the doorbell and
 * wake-up eventfds, and the welcome that hands them over. What vstackd
 * does with them after the attach (answer commands, fill slots, write
 * rings, or do all of that wrong) is the test's: it reaches everything
 * through struct fake, and takes commands and posts completions with
 * fake_take() and fake_post().
 *
 * Used by test_libvstack (scripted answers, checked with CUnit) and
 * fuzz_lib_sock (a hostile vstackd). Nothing here asserts: each call
 * returns 0 or a negative errno and the caller checks it its own way.
 *
 * Header-only, like the other helpers here; all inline, so a program
 * that uses a part of it builds without warnings. Needs libvstack's
 * internals (vs_priv.h: vstack_client_static).
 */
#ifndef VSTACK_TEST_FAKE_VSTACKD_H
#define VSTACK_TEST_FAKE_VSTACKD_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vs_priv.h"

/**
 * struct fake_cfg - what a fake vstackd announces
 * @nsocks:	socket slots
 * @sq:		command queue entries, a power of two
 * @cq:		completion queue entries, a power of two
 * @data:	bytes in the data area, which ends the mapping
 * @data_align:	the data area starts at a multiple of this (64 puts it
 *		right after the queues; 4096, with @data a multiple of it,
 *		ends the mapping at a page's end, so one byte past the
 *		area faults)
 * @tenant:	the tenant the welcome names
 */
struct fake_cfg {
	uint32_t nsocks, sq, cq;
	uint64_t data, data_align;
	uint32_t tenant;
};

/**
 * struct fake - what vstackd would hold for one application
 * @app:	the application's end of the socketpair (to vs_ctx_attach_fd),
 *		-1 once handed over
 * @peer:	ours
 * @memfd:	the context
 * @bell:	the doorbell eventfd (the application rings it)
 * @wake:	the wake-up eventfd (we ring it)
 * @map:	our mapping of @memfd, @size bytes
 * @size:	bytes in the context
 * @shm:	its header, at @map
 * @cfg:	as given to fake_open()
 */
struct fake {
	int app, peer, memfd, bell, wake;
	uint8_t *map;
	size_t size;
	struct vsapp_shm *shm;
	struct fake_cfg cfg;
};

/**
 * fake_align64() - round up to a multiple of 64 (the layout's alignment)
 * @v:		offset
 *
 * Return: @v rounded up
 */
static inline uint64_t fake_align64(uint64_t v)
{
	return (v + 63) & ~63ull;
}

/**
 * fake_free() - close our descriptors (and the app's end if never handed
 * over) and unmap; what was never opened is skipped
 * @f:		from fake_open()
 */
static inline void fake_free(struct fake *f)
{
	if (f->map != MAP_FAILED)
		munmap(f->map, f->size);
	if (f->memfd >= 0)
		close(f->memfd);
	if (f->wake >= 0)
		close(f->wake);
	if (f->bell >= 0)
		close(f->bell);
	if (f->peer >= 0)
		close(f->peer);
	if (f->app >= 0)
		close(f->app);
}

/**
 * fake_open() - make a context: descriptors, memfd, mapping and a good
 * header (socket slots, command queue and completion queue 64-byte
 * aligned, then the data area at a multiple of @cfg->data_align)
 * @f:		filled in
 * @cfg:	the layout and the tenant
 *
 * Return: 0, or a negative errno (nothing is left open then)
 */
static inline int fake_open(struct fake *f, const struct fake_cfg *cfg)
{
	uint64_t socks_off = fake_align64(sizeof(struct vsapp_shm));
	uint64_t sq_off = socks_off + cfg->nsocks * sizeof(struct vsapp_sock);
	uint64_t cq_off =
		fake_align64(sq_off + cfg->sq * sizeof(struct vsapp_cmd));
	uint64_t data_off =
		fake_align64(cq_off + cfg->cq * sizeof(struct vsapp_cqe));
	int sv[2], ret;

	data_off = (data_off + cfg->data_align - 1) / cfg->data_align *
		   cfg->data_align;
	*f = (struct fake){.app = -1,
			   .peer = -1,
			   .memfd = -1,
			   .bell = -1,
			   .wake = -1,
			   .map = MAP_FAILED,
			   .size = data_off + cfg->data,
			   .cfg = *cfg};
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		goto fail;
	f->app = sv[0];
	f->peer = sv[1];
	f->bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->bell < 0 || f->wake < 0)
		goto fail;
	f->memfd =
		memfd_create("fake-vstackd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f->memfd < 0 || ftruncate(f->memfd, (off_t)f->size))
		goto fail;
	f->map = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->memfd, 0);
	if (f->map == MAP_FAILED)
		goto fail;
	f->shm = (struct vsapp_shm *)f->map;
	*f->shm = (struct vsapp_shm){
		.magic = VSAPP_MAGIC,
		.version = VSAPP_VERSION,
		.size = f->size,
		.nsocks = cfg->nsocks,
		.sq_entries = cfg->sq,
		.cq_entries = cfg->cq,
		.socks_off = socks_off,
		.sq_off = sq_off,
		.cq_off = cq_off,
		.data_off = data_off,
		.data_size = cfg->data,
	};
	return 0;
fail:
	ret = -errno;
	fake_free(f);
	return ret;
}

/**
 * fake_good_welcome() - the welcome vstackd sends when all is well:
 * endpoint "ep0", 10.0.0.5/24, the tenant of @f's configuration, @f's size
 * @f:		the context it hands over
 *
 * Return: the welcome, for the test to send as it is or spoilt
 */
static inline struct vsapp_welcome fake_good_welcome(const struct fake *f)
{
	struct vsapp_welcome w = {
		.magic = VSAPP_MAGIC,
		.version = VSAPP_VERSION,
		.tenant = f->cfg.tenant,
		.shm_size = f->size,
		.addr = htonl(0x0a000005),
		.prefix_len = 24,
		.endpoint = "ep0",
	};

	return w;
}

/**
 * fake_send() - send a welcome on our end of the app socket
 * @f:		the context
 * @w:		the welcome
 * @len:	bytes to send: sizeof(*w), or fewer, or up to 8 more (zeros)
 * @nfds:	how many of memfd, bell, wake and one extra eventfd (closed
 *		again on our side) go with it, 0 to 4
 *
 * Return: 0 once all @len bytes went out, or a negative errno
 */
static inline int fake_send(struct fake *f, const struct vsapp_welcome *w,
			    size_t len, int nfds)
{
	char raw[sizeof(*w) + 8] = {0};
	union {
		struct cmsghdr h;
		char raw[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = {.iov_base = raw, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[4] = {f->memfd, f->bell, f->wake, -1};
	struct cmsghdr *c;
	ssize_t n;
	int ret;

	if (len > sizeof(raw) || nfds < 0 || nfds > 4)
		return -EINVAL;
	memcpy(raw, w, len < sizeof(*w) ? len : sizeof(*w));
	if (nfds > 3) {
		fds[3] = eventfd(0, EFD_CLOEXEC);
		if (fds[3] < 0)
			return -errno;
	}
	if (nfds) {
		msg.msg_control = ctl.raw;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	n = sendmsg(f->peer, &msg, 0);
	ret = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	if (fds[3] >= 0)
		close(fds[3]);
	return ret;
}

/**
 * fake_attach() - vs_ctx_attach_fd() on the app's end, for endpoint "ep0"
 * (after fake_send()); the end is handed over, whatever the outcome
 * @f:		the context
 * @out:	the library's context, set on success
 *
 * Return: what vs_ctx_attach_fd() returned
 */
static inline int fake_attach(struct fake *f, struct vs_ctx **out)
{
	int ret = vs_ctx_attach_fd(f->app, "ep0", out);

	f->app = -1;
	return ret;
}

/**
 * fake_sock() - socket slot @idx in our mapping
 * @f:		the context
 * @idx:	slot, below @f->cfg.nsocks
 *
 * Return: the slot
 */
static inline struct vsapp_sock *fake_sock(struct fake *f, unsigned idx)
{
	return (struct vsapp_sock *)(f->map + f->shm->socks_off) + idx;
}

/**
 * fake_take() - take the next command off the queue, as vstackd's reader
 * @f:		the context
 * @cmd:	the command, copied out before its entry is given back
 *
 * Return: 0, or -EAGAIN with the queue empty
 */
static inline int fake_take(struct fake *f, struct vsapp_cmd *cmd)
{
	const struct vsapp_cmd *sq =
		(const struct vsapp_cmd *)(f->map + f->shm->sq_off);
	uint32_t h = atomic_load(&f->shm->sq_head);

	if (atomic_load(&f->shm->sq_tail) == h)
		return -EAGAIN;
	*cmd = sq[h & (f->cfg.sq - 1)];
	atomic_store(&f->shm->sq_head, h + 1);
	return 0;
}

/**
 * fake_post() - publish a completion, and wake the application if it
 * said it waits
 * @f:		the context
 * @c:		the completion
 *
 * Return: 0, or a negative errno if the wake-up could not be written
 */
static inline int fake_post(struct fake *f, const struct vsapp_cqe *c)
{
	struct vsapp_cqe *cq = (struct vsapp_cqe *)(f->map + f->shm->cq_off);
	uint32_t t = atomic_load(&f->shm->cq_tail);
	static const uint64_t one = 1;
	ssize_t n;

	cq[t & (f->cfg.cq - 1)] = *c;
	atomic_store(&f->shm->cq_tail, t + 1);
	if (!atomic_load(&f->shm->app_waiting))
		return 0;
	n = write(f->wake, &one, sizeof(one));
	return n < 0 ? -errno : (size_t)n == sizeof(one) ? 0 : -EIO;
}

#endif /* VSTACK_TEST_FAKE_VSTACKD_H */
