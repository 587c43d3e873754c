// SPDX-License-Identifier: MIT
/*
 * fuzz_lib_sock.c - libFuzzer target for libvstack's sockets against a
 * hostile vstackd (stack/lib/vs_sock.c)
 *
 * vstackd writes the socket slots and the receive rings an application
 * reads; libvstack trusts none of it. Each input builds a real context (a
 * memfd mapped by both sides, a welcome on a socketpair, as vstackd hands
 * it over: vs_ctx_attach_fd(); test/lib/fake_vstackd.h) and plays vstackd
 * badly:
 *
 *   - two slots (a stream and a datagram socket) with geometry from the
 *     input, either any numbers at all or rings that fit, taken with
 *     vs_sock_setup() as the completion of SOCKET would;
 *   - then a script: vstackd writes a counter, the state, the events or
 *     error, or ring bytes; the application calls vs_recv, vs_send,
 *     vs_peek, vs_recvfrom, vs_sendto, vs_recv_zc and vs_recv_done,
 *     vs_poll and vs_getsockopt(NREAD), all non-blocking.
 *
 * Checked: nothing outside the mapping is touched (the mapping ends where
 * the context does) and nothing on our heap outside its blocks (ASan);
 * every call returns within its bounds; and libvstack writes no byte of
 * the data area outside the send rings of its own sockets (compared with
 * a copy around every call). The calls used here are the shared-memory
 * ones; the few commands they send (a datagram socket's pending error is
 * taken with GETOPT) are answered by a thread playing vstackd's queue.
 *
 * Seeds: test/fuzz/corpus/lib_sock/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <pthread.h>
#include <poll.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "vs_priv.h"

#include "../lib/fake_vstackd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSOCKS 4
#define SQ     8
#define CQ     8
#define DATA   8192
#define MAXOPS 256

/* The input, read front to back; zeros once it runs out */
struct in {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct in *in, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

/* What our vstackd announces */
static const struct fake_cfg announced = {
	.nsocks = NSOCKS,
	.sq = SQ,
	.cq = CQ,
	.data = DATA,
	/* The data area ends the mapping at a page's end: one byte past it
	 * faults. */
	.data_align = 4096,
	.tenant = 1,
};

/* vstackd's command queue: every command completes with res 0 */
struct responder {
	struct fake *f;
	_Atomic bool stop;
};

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	struct fake *f = r->f;

	/* "Asleep": libvstack rings the bell for every command */
	atomic_store(&f->shm->stack_waiting, 1);
	while (!atomic_load(&r->stop)) {
		struct pollfd p = {.fd = f->bell, .events = POLLIN};
		struct vsapp_cmd cmd;
		uint64_t v;

		if (fake_take(f, &cmd)) {
			if (poll(&p, 1, 100) > 0)
				(void)!read(f->bell, &v, sizeof(v));
			continue;
		}
		(void)fake_post(f, &(struct vsapp_cqe){.tag = cmd.tag,
						       .sock = cmd.sock});
	}
	return NULL;
}

/* Slot @idx of @type as vstackd publishes it: rings that fit in the
 * slot's own quarter of the data area, any sizes and offsets near the
 * area (inside, across its ends, outside), or any numbers at all. */
static void slot_fill(struct fake *f, struct in *in, unsigned idx,
		      uint32_t type)
{
	struct vsapp_sock *s = fake_sock(f, idx);
	uint64_t mode = take(in, 1), quarter = DATA / NSOCKS;

	memset(s, 0, sizeof(*s));
	s->type = mode & 0x80 ? (uint32_t)take(in, 1) : type;
	atomic_store(&s->gen, (uint32_t)take(in, 1));
	atomic_store(&s->state, mode & 0x40 ? (uint32_t)take(in, 1)
					    : VSAPP_S_CONNECTED);
	switch (mode & 3) {
	case 0: /* two rings of 32 to 512 bytes, apart */
		s->sbuf_size = 32u << (take(in, 1) % 5);
		s->rbuf_size = 32u << (take(in, 1) % 5);
		s->sbuf_off = f->shm->data_off + idx * quarter;
		s->rbuf_off = s->sbuf_off + 512;
		break;
	case 1: /* any powers of two, near the data area */
	case 2:
		s->sbuf_size = (uint32_t)(1ull << (take(in, 1) % 33));
		s->rbuf_size = (uint32_t)(1ull << (take(in, 1) % 33));
		s->sbuf_off = f->shm->data_off + (int16_t)take(in, 2);
		s->rbuf_off = f->shm->data_off + (int16_t)take(in, 2);
		break;
	default: /* anything at all */
		s->sbuf_size = (uint32_t)take(in, 4);
		s->rbuf_size = (uint32_t)take(in, 4);
		s->sbuf_off = take(in, 8);
		s->rbuf_off = take(in, 8);
		break;
	}
	/* Counters from where a last owner left them */
	atomic_store(&s->snd_head, (uint32_t)take(in, 4));
	atomic_store(&s->rcv_tail, (uint32_t)take(in, 4));
	atomic_store(&s->snd_tail, atomic_load(&s->snd_head) +
					   (uint32_t)(take(in, 1) & 0xf8));
	atomic_store(&s->rcv_head, atomic_load(&s->rcv_tail) -
					   (uint32_t)(take(in, 1) & 0xf8));
}

/* What vs_sock_setup() took: two rings in the data area, apart */
static void rings_sane(struct fake *f, struct vs_ctx *ctx, int idx)
{
	const struct vs_lsock *ls = &ctx->ls[idx];
	uint64_t lo = f->shm->data_off, hi = lo + f->shm->data_size;
	uint64_t so = (uint64_t)(ls->snd.base - (uint8_t *)ctx->map);
	uint64_t ro = (uint64_t)(ls->rcv.base - (uint8_t *)ctx->map);

	CHECK(vs_ring_size_ok(ls->snd.size, 1) &&
	      vs_ring_size_ok(ls->rcv.size, 1));
	CHECK(so >= lo && so + ls->snd.size <= hi);
	CHECK(ro >= lo && ro + ls->rcv.size <= hi);
	CHECK(so + ls->snd.size <= ro || ro + ls->rcv.size <= so);
}

/*
 * The data area after a call must equal the copy from before it, except
 * inside the send rings of the sockets libvstack took. (libvstack maps
 * the memfd at an address of its own: rings are compared as offsets.)
 */
static void same_outside_send_rings(struct fake *f, struct vs_ctx *ctx,
				    const uint8_t *before)
{
	const uint8_t *area = f->map + f->shm->data_off;
	size_t i, s;

	if (!memcmp(before, area, DATA))
		return;
	for (i = 0; i < DATA; i++) {
		uint64_t at = f->shm->data_off + i;
		bool ours = false;

		if (before[i] == area[i])
			continue;
		for (s = 0; s < NSOCKS; s++) {
			const struct vs_lsock *ls = &ctx->ls[s];
			uint64_t off =
				(uint64_t)(ls->snd.base - (uint8_t *)ctx->map);

			if (ls->use == VS_LS_OPEN && at >= off &&
			    at < off + ls->snd.size)
				ours = true;
		}
		CHECK(ours);
	}
}

static void play(struct fake *f, struct vs_ctx *ctx, struct in *in,
		 const int *socks, unsigned nsocks)
{
	static uint8_t before[DATA], buf[2048];
	uint8_t *area = f->map + f->shm->data_off;
	unsigned n;

	for (n = 0; n < MAXOPS && in->left; n++) {
		unsigned op = (unsigned)take(in, 1);
		int s = socks[(op >> 4) % nsocks];
		struct vsapp_sock *slot = fake_sock(f, (unsigned)s);
		size_t len = take(in, 2) % sizeof(buf);
		struct sockaddr_in sa = {.sin_family = AF_INET};
		struct vs_pollfd pf[2];
		struct iovec zc[2];
		ssize_t r;
		int v;

		memcpy(before, area, DATA);
		switch (op & 15) {
		case 0: /* vstackd moves its send-ring counter */
			atomic_store(&slot->snd_head, (uint32_t)take(in, 4));
			continue;
		case 1: /* ... its receive-ring counter */
			atomic_store(&slot->rcv_tail, (uint32_t)take(in, 4));
			continue;
		case 2: /* ... a little, as it would */
			atomic_fetch_add(&slot->rcv_tail, (uint32_t)len);
			continue;
		case 3: /* state, events, error */
			atomic_store(&slot->state, (uint32_t)take(in, 1));
			atomic_store(&slot->events, (uint32_t)take(in, 1));
			atomic_store(&slot->err, (int32_t)take(in, 1));
			continue;
		case 4: { /* ring bytes (anywhere in the data area) */
			size_t at = take(in, 2) % DATA;
			size_t k = len < DATA - at ? len : DATA - at;
			size_t i;

			for (i = 0; i < k; i++)
				area[at + i] = (uint8_t)take(in, 1);
			continue;
		}
		case 5:
			r = vs_recv(ctx, s, buf, len);
			CHECK(r < 0 || (size_t)r <= len);
			break;
		case 6:
			memset(buf, (int)op, len);
			r = vs_send(ctx, s, buf, len);
			CHECK(r < 0 || (size_t)r <= len);
			break;
		case 7:
			r = vs_peek(ctx, s, buf, len, &sa);
			CHECK(r < 0 || (size_t)r <= len);
			break;
		case 8:
			r = vs_recvfrom(ctx, s, buf, len, &sa);
			CHECK(r < 0 || (size_t)r <= len);
			break;
		case 9:
			sa.sin_addr.s_addr = (uint32_t)take(in, 4);
			sa.sin_port = (uint16_t)take(in, 2);
			r = vs_sendto(ctx, s, buf, len, &sa);
			CHECK(r < 0 || (size_t)r <= len);
			break;
		case 10:
			r = vs_recv_zc(ctx, s, zc);
			if (r > 0) {
				/* The pieces lie in the receive ring (both
				 * in libvstack's own mapping) */
				const struct vs_lsock *ls = &ctx->ls[s];
				int k;

				CHECK(zc[0].iov_len + zc[1].iov_len ==
				      (size_t)r);
				for (k = 0; k < 2; k++)
					CHECK(!zc[k].iov_len ||
					      ((uint8_t *)zc[k].iov_base >=
						       ls->rcv.base &&
					       (uint8_t *)zc[k].iov_base +
							       zc[k].iov_len <=
						       ls->rcv.base +
							       ls->rcv.size));
				(void)vs_recv_done(ctx, s,
						   len % (size_t)(r + 1));
			}
			break;
		case 11:
			(void)vs_recv_done(ctx, s, len);
			break;
		case 12:
			pf[0] = (struct vs_pollfd){.sock = socks[0],
						   .events = VS_POLLIN |
							     VS_POLLOUT};
			pf[1] = (struct vs_pollfd){.sock = socks[nsocks - 1],
						   .events = VS_POLLIN |
							     VS_POLLOUT};
			(void)vs_poll(ctx, pf, 2, 0);
			break;
		default:
			if (!vs_getsockopt(ctx, s, VS_OPT_NREAD, &v))
				CHECK(v >= 0);
			break;
		}
		same_outside_send_rings(f, ctx, before);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct vsapp_welcome w;
	struct fake f;
	struct responder r = {.f = &f};
	struct vs_ctx *ctx;
	int socks[2], n = 0, i;
	pthread_t rt;

	if (fake_open(&f, &announced))
		__builtin_trap(); /* the machine, not the input */
	/* The welcome with the memfd and both eventfds, then the attach */
	w = fake_good_welcome(&f);
	if (fake_send(&f, &w, sizeof(w), 3) || fake_attach(&f, &ctx))
		ctx = NULL;
	CHECK(ctx);
	CHECK(!pthread_create(&rt, NULL, responder_main, &r));
	slot_fill(&f, &in, 0, VSAPP_SOCK_STREAM);
	slot_fill(&f, &in, 1, VSAPP_SOCK_DGRAM);
	for (i = 0; i < 2; i++) {
		int ret;

		pthread_mutex_lock(&ctx->lock);
		ret = vs_sock_setup(ctx, (uint32_t)i,
				    i ? VSAPP_SOCK_DGRAM : VSAPP_SOCK_STREAM);
		pthread_mutex_unlock(&ctx->lock);
		if (ret) {
			CHECK(ret == -EPROTO);
			continue;
		}
		rings_sane(&f, ctx, i);
		CHECK(!vs_set_nonblock(ctx, i, 1));
		socks[n++] = i;
	}
	if (n)
		play(&f, ctx, &in, socks, (unsigned)n);
	atomic_store(&r.stop, true);
	(void)!write(f.bell, &(uint64_t){1}, sizeof(uint64_t));
	pthread_join(rt, NULL);
	vs_close_ctx(ctx);
	fake_free(&f);
	return 0;
}
