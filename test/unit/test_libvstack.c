// SPDX-License-Identifier: MIT
/*
 * test_libvstack.c - CUnit suites for libvstack (stack/lib/) without
 * vstackd: ring arithmetic for stream bytes and datagram records across
 * the ring's end and the counters' wrap; the welcome and the shared-memory
 * layout, built by hand on a socketpair and a memfd, good and bad; slots
 * and counters vstackd could get wrong; and a vanished vstackd, which
 * must turn every call into ECONNABORTED and never hang.
 *
 * Where a command needs a completion, a small responder thread answers
 * the one command the test expects; data transfer is tested end-to-end
 * against the real vstackd, not here.
 */
#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vs_priv.h"

#include "../lib/fake_vstackd.h"

/* ---- ring arithmetic ------------------------------------------------- */

static void test_ring_stream_used(void)
{
	uint32_t used = 0;

	CU_ASSERT(vs_ring_stream_used(10, 20, 16, &used) == 0 && used == 10);
	/* Across the counters' wrap at 2^32 */
	CU_ASSERT(vs_ring_stream_used(0xfffffffau, 6, 16, &used) == 0 &&
		  used == 12);
	CU_ASSERT(vs_ring_stream_used(5, 5, 16, &used) == 0 && used == 0);
	CU_ASSERT(vs_ring_stream_used(0, 16, 16, &used) == 0 && used == 16);
	/* More than the ring holds, or a head ahead of the tail */
	CU_ASSERT(vs_ring_stream_used(0, 17, 16, &used) == -EPROTO);
	CU_ASSERT(vs_ring_stream_used(20, 10, 16, &used) == -EPROTO);
	CU_ASSERT(vs_ring_size_ok(1, 1));
	CU_ASSERT(vs_ring_size_ok(1u << 31, 1));
	CU_ASSERT(!vs_ring_size_ok(0, 1));
	CU_ASSERT(!vs_ring_size_ok(24, 1));
	CU_ASSERT(!vs_ring_size_ok(16, 32));
	CU_ASSERT(!vs_ring_size_ok(0xffffffffu, 1));
}

static void test_ring_stream_copy(void)
{
	uint8_t mem[16 + 8], out[16];
	struct vs_ring r = {.base = mem, .size = 16};
	const uint8_t in[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	unsigned i;

	memset(mem, 0xee, sizeof(mem));
	/* Byte k at base[k % 16]: position 12 puts 4 bytes at the end and 6
	 * at the start. */
	vs_ring_write(&r, 12, in, 10);
	CU_ASSERT(mem[12] == 0 && mem[15] == 3 && mem[0] == 4 && mem[5] == 9);
	CU_ASSERT(mem[6] == 0xee);
	vs_ring_read(&r, 12, out, 10);
	CU_ASSERT(memcmp(out, in, 10) == 0);
	/* Positions near 2^32: the same offsets, no write past the end */
	vs_ring_write(&r, 0xfffffffcu, in, 10);
	CU_ASSERT(mem[12] == 0 && mem[0] == 4);
	vs_ring_read(&r, 0xfffffffcu, out, 10);
	CU_ASSERT(memcmp(out, in, 10) == 0);
	/* A length larger than the ring is clamped, never beyond base+size */
	{
		uint8_t big[40];

		memset(big, 0x11, sizeof(big));
		vs_ring_write(&r, 3, big, sizeof(big));
		CU_ASSERT(mem[0] == 0x11 && mem[15] == 0x11);
	}
	for (i = 16; i < sizeof(mem); i++)
		CU_ASSERT(mem[i] == 0xee);
}

static void test_ring_dgram_basic(void)
{
	uint8_t mem[64], buf[64];
	struct vs_ring r = {.base = mem, .size = 64};
	struct vsapp_dgram h = {.len = 5, .addr = 0x0100007f, .port = 53};
	struct vsapp_dgram g;
	uint32_t head = 0, tail = 0;

	memset(mem, 0, sizeof(mem));
	CU_ASSERT(vs_ring_dgram_rec(0) == 16);
	CU_ASSERT(vs_ring_dgram_rec(1) == 24);
	CU_ASSERT(vs_ring_dgram_rec(8) == 24);
	CU_ASSERT(vs_ring_dgram_rec(9) == 32);
	CU_ASSERT(vs_ring_dgram_get(&r, &head, tail, &g, buf, 64) == -EAGAIN);
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, "hello") == 0);
	CU_ASSERT(tail == 24);
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, "world") == 0);
	CU_ASSERT(tail == 48);
	/* 16 bytes left, a 24-byte record: no room (the skip would fit, but
	 * the record would not after it either) */
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, "again") == -EAGAIN);
	CU_ASSERT(vs_ring_dgram_fits(&r, head, 48, 5));
	CU_ASSERT(tail == 64); /* the skip went in: 16 bytes, a WRAP header */
	CU_ASSERT(vs_ring_dgram_get(&r, &head, tail, &g, buf, 64) == 0);
	CU_ASSERT(g.len == 5 && g.addr == 0x0100007f && g.port == 53);
	CU_ASSERT(memcmp(buf, "hello", 5) == 0 && head == 24);
	/* Truncation: the record is consumed whole */
	CU_ASSERT(vs_ring_dgram_get(&r, &head, tail, &g, buf, 2) == 0);
	CU_ASSERT(g.len == 5 && memcmp(buf, "wo", 2) == 0 && head == 48);
	/* The WRAP record is skipped, then the ring is empty */
	CU_ASSERT(vs_ring_dgram_get(&r, &head, tail, &g, buf, 64) == -EAGAIN);
	CU_ASSERT(head == 64);
	/* Too large for this ring, or for UDP */
	h.len = 49;
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, buf) == -EMSGSIZE);
	h.len = VS_DGRAM_MAX + 1;
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, buf) == -EMSGSIZE);
	/* A record filling the whole ring fits an empty ring at offset 0 */
	h.len = 48;
	memset(buf, 0x5a, 48);
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, buf) == 0);
	CU_ASSERT(tail == 128);
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, buf) == -EAGAIN);
	memset(buf, 0, 48);
	CU_ASSERT(vs_ring_dgram_get(&r, &head, tail, &g, buf, 64) == 0);
	CU_ASSERT(g.len == 48 && buf[0] == 0x5a && buf[47] == 0x5a);
	/* Our counter ahead of theirs by more than the ring: refused */
	CU_ASSERT(vs_ring_dgram_put(&r, 0, &tail, &h, buf) == -EPROTO);
}

static void test_ring_dgram_short_skip(void)
{
	uint8_t mem[64], buf[64];
	struct vs_ring r = {.base = mem, .size = 64};
	struct vsapp_dgram h = {.len = 32}, g;
	uint32_t head = 0, tail = 0;

	/* 48 bytes then 8 left before the end: too few for a header, so the
	 * writer skips them without one and the reader does the same. */
	memset(mem, 0xab, sizeof(mem));
	memset(buf, 0, sizeof(buf));
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, buf) == 0);
	CU_ASSERT(tail == 48);
	head = 48;
	h.len = 1;
	memset(mem + 56, 0xcd, 8); /* garbage where no header may be read */
	tail = 56;
	head = 56;
	CU_ASSERT(vs_ring_dgram_put(&r, head, &tail, &h, "x") == 0);
	CU_ASSERT(tail == 64 + 24);
	CU_ASSERT(mem[56] == 0xcd); /* nothing written in the short gap */
	CU_ASSERT(vs_ring_dgram_get(&r, &head, tail, &g, buf, 64) == 0);
	CU_ASSERT(g.len == 1 && buf[0] == 'x' && head == tail);
}

static void test_ring_dgram_malformed(void)
{
	uint8_t mem[64], buf[64];
	struct vs_ring r = {.base = mem, .size = 64};
	struct vsapp_dgram h = {0}, g;
	uint32_t head;

	memset(mem, 0, sizeof(mem));
	/* A length running past the end of the ring */
	h.len = 40;
	memcpy(mem + 16, &h, sizeof(h));
	head = 16;
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 16 + 48, &g, buf, 64) ==
		  -EPROTO);
	CU_ASSERT(head == 16);
	/* A length beyond what was published */
	h.len = 8;
	memcpy(mem, &h, sizeof(h));
	head = 0;
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 16, &g, buf, 64) == -EPROTO);
	/* Less than a header published */
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 8, &g, buf, 64) == -EPROTO);
	/* A huge length */
	h.len = 0x7fffffff;
	memcpy(mem, &h, sizeof(h));
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 64, &g, buf, 64) == -EPROTO);
	/* A head that is not a multiple of 8 */
	head = 4;
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 36, &g, buf, 64) == -EPROTO);
	/* A WRAP with the rest of the ring not published */
	h.len = VSAPP_DGRAM_WRAP;
	memcpy(mem + 32, &h, sizeof(h));
	head = 32;
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 48, &g, buf, 64) == -EPROTO);
	/* More published than the ring holds */
	head = 0;
	CU_ASSERT(vs_ring_dgram_get(&r, &head, 65, &g, buf, 64) == -EPROTO);
}

static void test_ring_dgram_many(void)
{
	uint8_t mem[256], in[200], out[200];
	struct vs_ring r = {.base = mem, .size = 256};
	/* Start just before the counters wrap at 2^32 */
	uint32_t head = 0xffffff00u, tail = 0xffffff00u;
	struct vsapp_dgram h = {0}, g;
	unsigned sent = 0, got = 0, i, step;
	int ret;

	for (step = 0; step < 2000 && got < 500; step++) {
		if (sent < 500) {
			h.len = (sent * 37) % 200;
			h.port = (uint16_t)sent;
			for (i = 0; i < h.len; i++)
				in[i] = (uint8_t)(sent + i);
			ret = vs_ring_dgram_put(&r, head, &tail, &h, in);
			CU_ASSERT(ret == 0 || ret == -EAGAIN);
			if (!ret)
				sent++;
		}
		/* Read every other step so the ring fills up at times */
		if (step % 2)
			continue;
		ret = vs_ring_dgram_get(&r, &head, tail, &g, out, sizeof(out));
		CU_ASSERT(ret == 0 || ret == -EAGAIN);
		if (ret)
			continue;
		CU_ASSERT(g.port == (uint16_t)got);
		CU_ASSERT(g.len == (got * 37) % 200);
		for (i = 0; i < g.len; i++)
			if (out[i] != (uint8_t)(got + i))
				break;
		CU_ASSERT(i == g.len);
		got++;
	}
	CU_ASSERT(got == 500);
	CU_ASSERT(tail < 0xffffff00u); /* the counters did wrap */
}

/* ---- a hand-built context -------------------------------------------- */

/* vstackd's side of it (memfd, layout, welcome, queues) is
 * test/lib/fake_vstackd.h, shared with fuzz_lib_sock. */

#define FAKE_NSOCKS 4
#define FAKE_SQ	    8
#define FAKE_CQ	    8
#define FAKE_DATA   4096

/* What our vstackd announces */
static const struct fake_cfg announced = {
	.nsocks = FAKE_NSOCKS,
	.sq = FAKE_SQ,
	.cq = FAKE_CQ,
	.data = FAKE_DATA,
	.data_align = 64,
	.tenant = 7,
};

/* A fresh context; the test stops if the machine cannot make one */
static void fake_init(struct fake *f)
{
	CU_ASSERT_FATAL(fake_open(f, &announced) == 0);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* Attach with a welcome @len bytes long carrying @nfds descriptors; the
 * app's end is handed over. Return: what vs_ctx_attach_fd() said (0:
 * *out is set). */
static int attach_with(struct fake *f, const struct vsapp_welcome *w,
		       size_t len, int nfds, struct vs_ctx **out)
{
	CU_ASSERT(fake_send(f, w, len, nfds) == 0);
	return fake_attach(f, out);
}

/* Attach something that must be refused with @want; no descriptor may
 * be left behind. */
static void expect_refused(struct fake *f, const struct vsapp_welcome *w,
			   size_t len, int nfds, int want)
{
	struct vs_ctx *ctx = NULL;
	int before, ret;

	before = count_fds();
	ret = attach_with(f, w, len, nfds, &ctx);
	CU_ASSERT(ret == want);
	if (ret != want)
		fprintf(stderr, "\n  got %d (%s), want %d\n", ret,
			vs_open_error(), want);
	CU_ASSERT(ctx == NULL);
	CU_ASSERT(vs_open_error()[0] != '\0');
	/* The app end was closed, the received descriptors too. */
	CU_ASSERT(count_fds() == before - 1);
	fake_free(f);
}

static void test_welcome_good(void)
{
	struct vsapp_hello hello;
	struct vsapp_welcome w;
	struct vs_ctx_info info;
	struct vs_ctx *ctx = NULL;
	struct fake f;

	fake_init(&f);
	w = fake_good_welcome(&f);
	CU_ASSERT_FATAL(attach_with(&f, &w, sizeof(w), 3, &ctx) == 0);
	CU_ASSERT_FATAL(ctx != NULL);
	CU_ASSERT(vs_open_error()[0] == '\0');
	/* The hello the library sent */
	CU_ASSERT(recv(f.peer, &hello, sizeof(hello), MSG_DONTWAIT) ==
		  sizeof(hello));
	CU_ASSERT(hello.magic == VSAPP_MAGIC && hello.version == VSAPP_VERSION);
	CU_ASSERT(strcmp(hello.endpoint, "ep0") == 0 && hello.flags == 0);
	CU_ASSERT(vs_ctx_get_info(ctx, &info) == 0);
	CU_ASSERT(strcmp(info.endpoint, "ep0") == 0 && info.tenant == 7);
	CU_ASSERT(info.addr.s_addr == htonl(0x0a000005) &&
		  info.prefix_len == 24);
	CU_ASSERT(vs_ctx_fd(ctx) >= 0);
	/* Nothing to wait for yet: polling nothing times out */
	CU_ASSERT(vs_poll(ctx, NULL, 0, 0) == 0);
	CU_ASSERT(vs_poll(ctx, NULL, 0, 20) == 0);
	/* Sockets that were never created */
	CU_ASSERT(vs_send(ctx, 0, "x", 1) == -1 && errno == EBADF);
	CU_ASSERT(vs_recv(ctx, FAKE_NSOCKS, &w, 1) == -1 && errno == EBADF);
	CU_ASSERT(vs_close(ctx, -1) == -1 && errno == EBADF);
	CU_ASSERT(vs_socket(ctx, 3) == -1 && errno == EINVAL);
	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_welcome_refusal(void)
{
	struct vsapp_welcome w;
	struct fake f;

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.err = ENOENT;
	snprintf(w.msg, sizeof(w.msg), "no endpoint \"ep0\" for tenant 7");
	expect_refused(&f, &w, sizeof(w), 0, -ENOENT);
	CU_ASSERT(strstr(vs_open_error(), "no endpoint") != NULL);

	/* A refusal that carries descriptors anyway: they are closed */
	fake_init(&f);
	w = fake_good_welcome(&f);
	w.err = EPERM;
	memset(w.msg, 'A', sizeof(w.msg)); /* not terminated */
	w.msg[3] = '\n';		   /* not printable */
	expect_refused(&f, &w, sizeof(w), 3, -EPERM);
	CU_ASSERT(strchr(vs_open_error(), '\n') == NULL);
}

static void test_welcome_bad(void)
{
	struct vsapp_welcome w;
	struct fake f;

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.magic ^= 1;
	expect_refused(&f, &w, sizeof(w), 3, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.version = VSAPP_VERSION + 1;
	expect_refused(&f, &w, sizeof(w), 3, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	expect_refused(&f, &w, sizeof(w) - 1, 3, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	expect_refused(&f, &w, sizeof(w) + 4, 3, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.err = -5;
	expect_refused(&f, &w, sizeof(w), 0, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.err = 100000;
	expect_refused(&f, &w, sizeof(w), 0, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	expect_refused(&f, &w, sizeof(w), 0, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	expect_refused(&f, &w, sizeof(w), 2, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	expect_refused(&f, &w, sizeof(w), 4, -EPROTO);

	/* Sizes: smaller than the header, larger than the memfd */
	fake_init(&f);
	w = fake_good_welcome(&f);
	w.shm_size = 64;
	expect_refused(&f, &w, sizeof(w), 3, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.shm_size = f.size + 4096;
	expect_refused(&f, &w, sizeof(w), 3, -EPROTO);

	fake_init(&f);
	w = fake_good_welcome(&f);
	w.shm_size = ~0ull;
	expect_refused(&f, &w, sizeof(w), 3, -EPROTO);
}

static void test_welcome_no_answer(void)
{
	struct vs_ctx *ctx = NULL;
	struct fake f;
	char long_name[VSAPP_NAME_MAX + 1];

	/* vstackd reads the hello and closes without a word */
	fake_init(&f);
	CU_ASSERT(shutdown(f.peer, SHUT_WR) == 0);
	CU_ASSERT(vs_ctx_attach_fd(f.app, NULL, &ctx) == -ECONNRESET);
	CU_ASSERT(strstr(vs_open_error(), "closed") != NULL);
	f.app = -1;
	CU_ASSERT(ctx == NULL);
	fake_free(&f);

	/* A name the hello cannot carry */
	fake_init(&f);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CU_ASSERT(vs_ctx_attach_fd(f.app, long_name, &ctx) == -ENAMETOOLONG);
	f.app = -1;
	fake_free(&f);
}

static void test_welcome_timeout(void)
{
	struct vs_ctx *ctx = NULL;
	struct timespec a, b;
	struct fake f;

	/* vstackd keeps the connection open and never answers: the attach
	 * gives up after VS_OPEN_TIMEOUT_MS */
	fake_init(&f);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CU_ASSERT(vs_ctx_attach_fd(f.app, NULL, &ctx) == -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	f.app = -1;
	CU_ASSERT(b.tv_sec - a.tv_sec <= VS_OPEN_TIMEOUT_MS / 1000 + 2);
	fake_free(&f);
}

/* Apply @tweak to the shared header of a fresh fake and expect it to be
 * refused. */
static void expect_layout_refused(void (*tweak)(struct fake *f))
{
	struct vsapp_welcome w;
	struct fake f;

	fake_init(&f);
	tweak(&f);
	w = fake_good_welcome(&f);
	expect_refused(&f, &w, sizeof(w), 3, -EPROTO);
}

static void tw_magic(struct fake *f)
{
	f->shm->magic = 0;
}
static void tw_size(struct fake *f)
{
	f->shm->size = f->size - 64;
}
static void tw_nsocks0(struct fake *f)
{
	f->shm->nsocks = 0;
}
static void tw_nsocks_big(struct fake *f)
{
	f->shm->nsocks = 100000;
}
static void tw_sq3(struct fake *f)
{
	f->shm->sq_entries = 3;
}
static void tw_cq0(struct fake *f)
{
	f->shm->cq_entries = 0;
}
static void tw_socks_misaligned(struct fake *f)
{
	f->shm->socks_off += 8;
}
static void tw_sq_outside(struct fake *f)
{
	f->shm->sq_off = f->size - 8;
}
static void tw_cq_overflow(struct fake *f)
{
	f->shm->cq_off = ~0ull - 7;
}
static void tw_data_outside(struct fake *f)
{
	f->shm->data_size = FAKE_DATA + 1;
}
static void tw_data_zero(struct fake *f)
{
	f->shm->data_size = 0;
}
static void tw_overlap(struct fake *f)
{
	f->shm->cq_off = f->shm->sq_off + 8;
}
static void tw_in_header(struct fake *f)
{
	f->shm->socks_off = 0;
}
static void tw_data_over_socks(struct fake *f)
{
	f->shm->data_off = f->shm->socks_off;
}
static void tw_queue_counters(struct fake *f)
{
	atomic_store(&f->shm->cq_tail, FAKE_CQ + 1);
}

static void test_layout_bad(void)
{
	expect_layout_refused(tw_magic);
	expect_layout_refused(tw_size);
	expect_layout_refused(tw_nsocks0);
	expect_layout_refused(tw_nsocks_big);
	expect_layout_refused(tw_sq3);
	expect_layout_refused(tw_cq0);
	expect_layout_refused(tw_socks_misaligned);
	expect_layout_refused(tw_sq_outside);
	expect_layout_refused(tw_cq_overflow);
	expect_layout_refused(tw_data_outside);
	expect_layout_refused(tw_data_zero);
	expect_layout_refused(tw_overlap);
	expect_layout_refused(tw_in_header);
	expect_layout_refused(tw_data_over_socks);
	expect_layout_refused(tw_queue_counters);
}

static void test_layout_check_direct(void)
{
	struct vs_layout l;
	char why[96];
	struct fake f;

	fake_init(&f);
	CU_ASSERT(vs_shm_check(f.shm, f.size, &l, why, sizeof(why)) == 0);
	CU_ASSERT(l.nsocks == FAKE_NSOCKS && l.sq_entries == FAKE_SQ);
	CU_ASSERT(l.data_off + l.data_size == f.size);
	CU_ASSERT(vs_shm_check(f.shm, 16, &l, why, sizeof(why)) == -EPROTO);
	f.shm->sq_entries = 1u << 21;
	CU_ASSERT(vs_shm_check(f.shm, f.size, &l, why, sizeof(why)) == -EPROTO);
	CU_ASSERT(strstr(why, "queue") != NULL);
	fake_free(&f);
}

/* ---- a responder: answers the commands a test expects ---------------- */

/**
 * struct responder - one scripted answer per command
 * @f:		the fake
 * @n:		commands to answer
 * @res:	res for each
 * @cmds:	the commands seen
 * @extra:	a completion with this tag is posted before each answer
 *		(0: none), to check that strangers' completions are dropped
 * @batch:	take all @n commands before answering any (as vstackd does
 *		with an ACCEPT that waits while a CLOSE comes)
 */
struct responder {
	struct fake *f;
	unsigned n;
	bool batch;
	int32_t res[4];
	struct vsapp_cmd cmds[4];
	uint64_t extra;
};

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	struct fake *f = r->f;
	struct vsapp_cqe c;
	unsigned i, spins;
	int empty;

	for (i = 0; i < r->n; i++) {
		if (r->batch && i == 0) {
			for (spins = 0;
			     atomic_load(&f->shm->sq_tail) -
					     atomic_load(&f->shm->sq_head) <
				     r->n &&
			     spins < 5000;
			     spins++)
				usleep(1000);
		}
		for (spins = 0;
		     (empty = fake_take(f, &r->cmds[i])) && spins < 5000;
		     spins++)
			usleep(1000);
		if (empty)
			break; /* the test fails on what is missing */
		if (r->extra) {
			memset(&c, 0, sizeof(c));
			c.tag = r->extra;
			CU_ASSERT(fake_post(f, &c) == 0);
		}
		memset(&c, 0, sizeof(c));
		c.tag = r->cmds[i].tag;
		c.res = r->res[i];
		usleep(2000); /* let the caller go to sleep first */
		CU_ASSERT(fake_post(f, &c) == 0);
	}
	return NULL;
}

/* Fill slot @idx as vstackd would for a new socket of @type. */
static void fake_slot(struct fake *f, unsigned idx, uint32_t type,
		      uint32_t state)
{
	struct vsapp_sock *s = fake_sock(f, idx);

	memset(s, 0, sizeof(*s));
	atomic_store(&s->gen, 3);
	atomic_store(&s->state, state);
	s->type = type;
	s->sbuf_size = 512;
	s->rbuf_size = 512;
	s->sbuf_off = f->shm->data_off + idx * 1024;
	s->rbuf_off = s->sbuf_off + 512;
}

static struct vs_ctx *fake_ctx(struct fake *f)
{
	struct vsapp_welcome w;
	struct vs_ctx *ctx = NULL;

	fake_init(f);
	w = fake_good_welcome(f);
	CU_ASSERT(fake_send(f, &w, sizeof(w), 3) == 0);
	CU_ASSERT_FATAL(fake_attach(f, &ctx) == 0);
	return ctx;
}

/* vs_socket() with the responder answering @res, slot prepared by the
 * caller; returns what vs_socket() returned, errno in *err. */
static int socket_via(struct fake *f, struct vs_ctx *ctx, int type, int res,
		      uint64_t extra, struct responder *r, int *err)
{
	pthread_t t;
	int s;

	memset(r, 0, sizeof(*r));
	r->f = f;
	r->n = 1;
	r->res[0] = res;
	r->extra = extra;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, responder_main, r) == 0);
	errno = 0;
	s = vs_socket(ctx, type);
	*err = errno;
	pthread_join(t, NULL);
	return s;
}

static void test_socket_slot_checks(void)
{
	struct responder r;
	struct vs_ctx *ctx;
	struct fake f;
	int s, err;

	ctx = fake_ctx(&f);
	/* A good slot; a stranger's completion arrives first and is dropped */
	fake_slot(&f, 1, VSAPP_SOCK_STREAM, VSAPP_S_OPEN);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 1, 0xdead, &r, &err);
	CU_ASSERT(s == 1);
	CU_ASSERT(r.cmds[0].op == VSAPP_OP_SOCKET &&
		  r.cmds[0].arg == VSAPP_SOCK_STREAM);
	CU_ASSERT(ctx->stray == 1);
	CU_ASSERT(atomic_load(&f.shm->app_waiting) == 0);

	/* An error completion becomes errno */
	s = socket_via(&f, ctx, VS_SOCK_DGRAM, -EMFILE, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EMFILE);

	/* Slots that make no sense: refused, and given back with an abort */
	fake_slot(&f, 2, VSAPP_SOCK_STREAM, VSAPP_S_OPEN);
	fake_sock(&f, 2)->rbuf_off = f.size - 100; /* past the data area */
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 2, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EPROTO);
	CU_ASSERT(atomic_load(&f.shm->sq_tail) - atomic_load(&f.shm->sq_head) ==
		  1); /* the CLOSE */
	atomic_store(&f.shm->sq_head, atomic_load(&f.shm->sq_tail));

	fake_slot(&f, 2, VSAPP_SOCK_STREAM, VSAPP_S_OPEN);
	fake_sock(&f, 2)->sbuf_size = 500; /* not a power of two */
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 2, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EPROTO);
	atomic_store(&f.shm->sq_head, atomic_load(&f.shm->sq_tail));

	fake_slot(&f, 2, VSAPP_SOCK_STREAM, VSAPP_S_OPEN);
	fake_sock(&f, 2)->rbuf_off = fake_sock(&f, 2)->sbuf_off + 256;
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 2, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EPROTO); /* rings overlap */
	atomic_store(&f.shm->sq_head, atomic_load(&f.shm->sq_tail));

	fake_slot(&f, 2, VSAPP_SOCK_DGRAM, VSAPP_S_OPEN);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 2, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EPROTO); /* not the type asked for */
	atomic_store(&f.shm->sq_head, atomic_load(&f.shm->sq_tail));

	s = socket_via(&f, ctx, VS_SOCK_STREAM, FAKE_NSOCKS, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EPROTO); /* no such slot */

	s = socket_via(&f, ctx, VS_SOCK_STREAM, 1, 0, &r, &err);
	CU_ASSERT(s == -1 && err == EPROTO); /* slot 1 is ours already */

	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_counters_clamped(void)
{
	struct vs_pollfd p = {.events = VS_POLLIN | VS_POLLOUT};
	struct vsapp_sock *slot;
	struct responder r;
	struct vs_ctx *ctx;
	struct fake f;
	char buf[64];
	int s, d, err;

	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(s == 0);
	slot = fake_sock(&f, 0);
	CU_ASSERT(vs_set_nonblock(ctx, s, 1) == 0);
	/* Empty and connected: writable, not readable; EAGAIN on read */
	p.sock = s;
	CU_ASSERT(vs_poll(ctx, &p, 1, 0) == 1 && p.revents == VS_POLLOUT);
	CU_ASSERT(vs_recv(ctx, s, buf, sizeof(buf)) == -1 && errno == EAGAIN);
	/* vstackd claims more received bytes than the ring holds */
	atomic_store(&slot->rcv_tail, 513);
	CU_ASSERT(vs_recv(ctx, s, buf, sizeof(buf)) == -1 && errno == EPROTO);
	CU_ASSERT(vs_poll(ctx, &p, 1, 0) == 1 && p.revents == VS_POLLERR);
	/* The socket stays broken; no byte was written past the rings */
	CU_ASSERT(vs_send(ctx, s, "x", 1) == -1 && errno == EPROTO);

	/* A send ring whose head runs ahead of what we wrote */
	fake_slot(&f, 1, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	d = socket_via(&f, ctx, VS_SOCK_STREAM, 1, 0, &r, &err);
	CU_ASSERT_FATAL(d == 1);
	vs_set_nonblock(ctx, d, 1);
	atomic_store(&fake_sock(&f, 1)->snd_head, 100);
	CU_ASSERT(vs_send(ctx, d, "x", 1) == -1 && errno == EPROTO);

	/* A datagram socket with a malformed record */
	fake_slot(&f, 2, VSAPP_SOCK_DGRAM, VSAPP_S_OPEN);
	d = socket_via(&f, ctx, VS_SOCK_DGRAM, 2, 0, &r, &err);
	CU_ASSERT_FATAL(d == 2);
	vs_set_nonblock(ctx, d, 1);
	CU_ASSERT(vs_recv(ctx, d, buf, sizeof(buf)) == -1 && errno == EAGAIN);
	CU_ASSERT(vs_send(ctx, d, "x", 1) == -1 && errno == EDESTADDRREQ);
	{
		struct vsapp_dgram h = {.len = 4000};
		struct vsapp_sock *ds = fake_sock(&f, 2);

		memcpy(f.map + ds->rbuf_off, &h, sizeof(h));
		atomic_store(&ds->rcv_tail, 64);
	}
	CU_ASSERT(vs_recv(ctx, d, buf, sizeof(buf)) == -1 && errno == EPROTO);

	/* The slot's generation changing under us (reuse before close) */
	fake_slot(&f, 3, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	d = socket_via(&f, ctx, VS_SOCK_STREAM, 3, 0, &r, &err);
	CU_ASSERT_FATAL(d == 3);
	atomic_store(&fake_sock(&f, 3)->gen, 99);
	CU_ASSERT(vs_recv(ctx, d, buf, sizeof(buf)) == -1 && errno == EPROTO);

	vs_close_ctx(ctx);
	fake_free(&f);
}

/* VS_OPT_NREAD and vs_peek() read the shared counters and leave the data. */
static void test_peek_nread(void)
{
	struct vsapp_dgram h = {.len = 4, .addr = htonl(0x0a000001),
				.port = 9};
	struct sockaddr_in from;
	struct responder r;
	struct vs_ring ring;
	struct vsapp_sock *ds;
	struct vs_ctx *ctx;
	struct fake f;
	uint32_t tail = 0;
	char buf[16];
	int s, d, err, v = -1;

	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(s == 0);
	vs_set_nonblock(ctx, s, 1);
	CU_ASSERT(vs_getsockopt(ctx, s, VS_OPT_NREAD, &v) == 0 && v == 0);
	CU_ASSERT(vs_peek(ctx, s, buf, 4, NULL) == -1 && errno == EAGAIN);
	memcpy(f.map + fake_sock(&f, 0)->rbuf_off, "hello", 5);
	atomic_store(&fake_sock(&f, 0)->rcv_tail, 5);
	CU_ASSERT(vs_getsockopt(ctx, s, VS_OPT_NREAD, &v) == 0 && v == 5);
	CU_ASSERT(vs_peek(ctx, s, buf, 3, NULL) == 3 && !memcmp(buf, "hel", 3));
	CU_ASSERT(vs_getsockopt(ctx, s, VS_OPT_NREAD, &v) == 0 && v == 5);
	CU_ASSERT(vs_recv(ctx, s, buf, sizeof(buf)) == 5 &&
		  !memcmp(buf, "hello", 5));
	CU_ASSERT(vs_getsockopt(ctx, s, VS_OPT_NREAD, &v) == 0 && v == 0);

	fake_slot(&f, 1, VSAPP_SOCK_DGRAM, VSAPP_S_OPEN);
	d = socket_via(&f, ctx, VS_SOCK_DGRAM, 1, 0, &r, &err);
	CU_ASSERT_FATAL(d == 1);
	ds = fake_sock(&f, 1);
	ring.base = f.map + ds->rbuf_off;
	ring.size = ds->rbuf_size;
	CU_ASSERT_FATAL(vs_ring_dgram_put(&ring, 0, &tail, &h, "abcd") == 0);
	atomic_store(&ds->rcv_tail, tail);
	CU_ASSERT(vs_getsockopt(ctx, d, VS_OPT_NREAD, &v) == 0 && v == 4);
	CU_ASSERT(vs_peek(ctx, d, buf, 2, &from) == 2 && !memcmp(buf, "ab", 2));
	CU_ASSERT(from.sin_port == htons(9) &&
		  from.sin_addr.s_addr == htonl(0x0a000001));
	CU_ASSERT(vs_recvfrom(ctx, d, buf, sizeof(buf), NULL) == 4 &&
		  !memcmp(buf, "abcd", 4));
	CU_ASSERT(vs_getsockopt(ctx, d, VS_OPT_NREAD, &v) == 0 && v == 0);
	vs_close_ctx(ctx);
	fake_free(&f);
}

/* A slot whose closing thread has not run since its CLOSE completed may
 * be handed out again (another thread's SOCKET completed after it). */
static void test_slot_reused_while_closing(void)
{
	struct responder r;
	struct vs_ctx *ctx;
	struct fake f;
	int s, err;

	ctx = fake_ctx(&f);
	ctx->ls[2].use = VS_LS_CLOSING;
	ctx->ls[2].gen = 2;
	fake_slot(&f, 2, VSAPP_SOCK_STREAM, VSAPP_S_OPEN);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 2, 0, &r, &err);
	CU_ASSERT(s == 2 && ctx->ls[2].use == VS_LS_OPEN &&
		  ctx->ls[2].gen == 3);
	vs_close_ctx(ctx);
	fake_free(&f);
}

struct reaper {
	struct fake *f;
	struct vs_ctx *ctx;
};

/* Answers one command without waking anyone (as if another thread had
 * drained the wake-up), then reaps the completion with vs_poll(). */
static void *reaper_main(void *arg)
{
	struct reaper *rp = arg;
	struct fake *f = rp->f;
	struct vsapp_cmd *sq = (struct vsapp_cmd *)(f->map + f->shm->sq_off);
	struct vsapp_cqe *cq = (struct vsapp_cqe *)(f->map + f->shm->cq_off);
	uint32_t h = atomic_load(&f->shm->sq_head), t;
	unsigned spins;

	for (spins = 0; atomic_load(&f->shm->sq_tail) == h && spins < 5000;
	     spins++)
		usleep(1000);
	t = atomic_load(&f->shm->cq_tail);
	memset(&cq[t & (FAKE_CQ - 1)], 0, sizeof(cq[0]));
	cq[t & (FAKE_CQ - 1)].tag = sq[h & (FAKE_SQ - 1)].tag;
	cq[t & (FAKE_CQ - 1)].res = -EMFILE;
	atomic_store(&f->shm->sq_head, h + 1);
	usleep(20000); /* the caller sleeps in poll() by now */
	atomic_store(&f->shm->cq_tail, t + 1);
	(void)vs_poll(rp->ctx, NULL, 0, 0);
	return NULL;
}

/* A blocked call's completion reaped by another thread wakes it. */
static void test_reaped_by_another(void)
{
	struct reaper rp;
	struct vs_ctx *ctx;
	struct fake f;
	pthread_t t;

	ctx = fake_ctx(&f);
	rp.f = &f;
	rp.ctx = ctx;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, reaper_main, &rp) == 0);
	errno = 0;
	CU_ASSERT(vs_socket(ctx, VS_SOCK_STREAM) == -1 && errno == EMFILE);
	pthread_join(t, NULL);
	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_cq_overrun(void)
{
	struct vs_ctx *ctx;
	struct fake f;

	/* vstackd publishes more completions than the queue holds */
	ctx = fake_ctx(&f);
	atomic_store(&f.shm->cq_tail, FAKE_CQ + 3);
	CU_ASSERT(vs_poll(ctx, NULL, 0, 0) == -1 && errno == EPROTO);
	CU_ASSERT(vs_socket(ctx, VS_SOCK_STREAM) == -1 && errno == EPROTO);
	vs_close_ctx(ctx);
	fake_free(&f);
}

struct blocked {
	struct vs_ctx *ctx;
	int s;
	bool accept;
	int ret, err;
};

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;
	char buf[8];

	errno = 0;
	if (b->accept)
		b->ret = vs_accept(b->ctx, b->s, NULL);
	else
		b->ret = (int)vs_recv(b->ctx, b->s, buf, sizeof(buf));
	b->err = errno;
	return NULL;
}

static void test_close_wakes_blocked(void)
{
	struct responder r, r2;
	struct blocked b = {0};
	struct vs_ctx *ctx;
	pthread_t t, rt;
	struct fake f;
	int l, err;

	/* A thread blocked in vs_accept(); the listener is closed: vstackd
	 * cancels the ACCEPT with ECONNABORTED, the thread sees EBADF. */
	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_STREAM, VSAPP_S_LISTEN);
	l = socket_via(&f, ctx, VS_SOCK_STREAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(l == 0);
	memset(&r2, 0, sizeof(r2));
	r2.f = &f;
	r2.n = 2;
	r2.batch = true;
	r2.res[0] = -ECONNABORTED;
	r2.res[1] = 0;
	CU_ASSERT_FATAL(pthread_create(&rt, NULL, responder_main, &r2) == 0);
	b.ctx = ctx;
	b.s = l;
	b.accept = true;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, blocked_main, &b) == 0);
	usleep(50 * 1000);
	CU_ASSERT(vs_close(ctx, l) == 0);
	pthread_join(t, NULL);
	pthread_join(rt, NULL);
	CU_ASSERT(r2.cmds[0].op == VSAPP_OP_ACCEPT &&
		  r2.cmds[1].op == VSAPP_OP_CLOSE);
	CU_ASSERT(b.ret == -1 && b.err == EBADF);

	/* A thread blocked in vs_recv() on a connection that is closed */
	fake_slot(&f, 1, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	l = socket_via(&f, ctx, VS_SOCK_STREAM, 1, 0, &r, &err);
	CU_ASSERT_FATAL(l == 1);
	memset(&b, 0, sizeof(b));
	b.ctx = ctx;
	b.s = l;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, blocked_main, &b) == 0);
	usleep(50 * 1000);
	memset(&r2, 0, sizeof(r2));
	r2.f = &f;
	r2.n = 1;
	CU_ASSERT_FATAL(pthread_create(&rt, NULL, responder_main, &r2) == 0);
	CU_ASSERT(vs_close(ctx, l) == 0);
	pthread_join(t, NULL);
	pthread_join(rt, NULL);
	CU_ASSERT(b.ret == -1 && b.err == EBADF);
	/* and the number is free: a send on it is EBADF too */
	CU_ASSERT(vs_send(ctx, l, "x", 1) == -1 && errno == EBADF);
	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_nonblocking_connect(void)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(80)};
	struct vs_pollfd p = {.events = VS_POLLOUT};
	struct vsapp_cmd *sq, cmd;
	struct vsapp_cqe c = {0};
	struct responder r;
	struct vs_ctx *ctx;
	struct fake f;
	int s, err;

	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_STREAM, VSAPP_S_OPEN);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(s == 0);
	vs_set_nonblock(ctx, s, 1);
	to.sin_addr.s_addr = htonl(0x0a000002);
	CU_ASSERT(vs_connect(ctx, s, &to) == -1 && errno == EINPROGRESS);
	CU_ASSERT(vs_connect(ctx, s, &to) == -1 && errno == EALREADY);
	sq = (struct vsapp_cmd *)(f.map + f.shm->sq_off);
	cmd = sq[atomic_load(&f.shm->sq_head) & (FAKE_SQ - 1)];
	atomic_store(&f.shm->sq_head, atomic_load(&f.shm->sq_tail));
	CU_ASSERT(cmd.op == VSAPP_OP_CONNECT && cmd.port == 80 &&
		  cmd.addr == htonl(0x0a000002));
	CU_ASSERT((cmd.tag & VS_TAG_DETACHED) != 0);
	/* Not taken by vstackd yet: the slot says OPEN, which must read as
	 * connecting, not as a hang-up */
	p.sock = s;
	CU_ASSERT(vs_poll(ctx, &p, 1, 0) == 0);
	CU_ASSERT(vs_send(ctx, s, "x", 1) == -1 && errno == EAGAIN);
	/* Refused: the completion lands in the socket */
	c.tag = cmd.tag;
	c.res = -ECONNREFUSED;
	CU_ASSERT(fake_post(&f, &c) == 0);
	atomic_store(&fake_sock(&f, 0)->state, VSAPP_S_CLOSED);
	CU_ASSERT(vs_poll(ctx, &p, 1, 0) == 1 && (p.revents & VS_POLLERR));
	CU_ASSERT(ctx->stray == 0);
	/* the outcome, once */
	CU_ASSERT(vs_connect(ctx, s, &to) == -1 && errno == ECONNREFUSED);
	vs_close_ctx(ctx);
	fake_free(&f);
}

/*
 * A datagram socket vstackd closed (reset: counters that made no sense),
 * its error already taken: a blocking receive fails with EBADFD at once,
 * where it used to spin for ever (the closed slot reads as readable).
 */
static void test_dgram_closed_blocking(void)
{
	struct sockaddr_in from, to = {.sin_family = AF_INET,
				       .sin_port = htons(53)};
	struct responder r;
	struct vs_ctx *ctx;
	struct fake f;
	char b[16];
	int s, err;

	to.sin_addr.s_addr = htonl(0x0a000002);
	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_DGRAM, VSAPP_S_OPEN);
	s = socket_via(&f, ctx, VS_SOCK_DGRAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(s == 0);
	atomic_store(&fake_sock(&f, 0)->state, VSAPP_S_CLOSED);
	CU_ASSERT(vs_recvfrom(ctx, s, b, sizeof(b), &from) == -1 &&
		  errno == EBADFD);
	CU_ASSERT(vs_sendto(ctx, s, "x", 1, &to) == -1 && errno == EBADFD);
	vs_close_ctx(ctx);
	fake_free(&f);
}

/* ---- vstackd gone ----------------------------------------------------- */

static void *closer_main(void *arg)
{
	struct fake *f = arg;

	usleep(100 * 1000);
	shutdown(f->peer, SHUT_RDWR);
	return NULL;
}

static void *blocked_socket_main(void *arg)
{
	struct vs_ctx *ctx = arg;
	intptr_t ret;

	ret = vs_socket(ctx, VS_SOCK_STREAM) == -1 ? errno : 0;
	return (void *)ret;
}

static void test_gone_while_waiting(void)
{
	struct vs_ctx *ctx;
	pthread_t c, t[2];
	struct fake f;
	void *ret;
	int i;

	/* Three threads wait for completions that never come (one polls,
	 * two follow); vstackd goes away: all three fail, none hangs. */
	ctx = fake_ctx(&f);
	CU_ASSERT_FATAL(pthread_create(&c, NULL, closer_main, &f) == 0);
	for (i = 0; i < 2; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, blocked_socket_main,
					       ctx) == 0);
	CU_ASSERT(vs_socket(ctx, VS_SOCK_DGRAM) == -1 && errno == ECONNABORTED);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], &ret);
		CU_ASSERT((intptr_t)ret == ECONNABORTED);
	}
	pthread_join(c, NULL);
	/* and from now on every call says so */
	CU_ASSERT(vs_poll(ctx, NULL, 0, -1) == -1 && errno == ECONNABORTED);
	CU_ASSERT(vs_ctx_arm(ctx) == -1 && errno == ECONNABORTED);
	CU_ASSERT(vs_ctx_ack(ctx) == -1 && errno == ECONNABORTED);
	CU_ASSERT(vs_send(ctx, 0, "x", 1) == -1 && errno == ECONNABORTED);
	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_gone_nonblocking(void)
{
	struct vs_pollfd p = {.events = VS_POLLIN};
	struct responder r;
	struct vs_ctx *ctx;
	struct fake f;
	char buf[8];
	int s, err;

	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(s == 0);
	CU_ASSERT(vs_set_nonblock(ctx, s, 1) == 0);
	CU_ASSERT(vs_recv(ctx, s, buf, sizeof(buf)) == -1 && errno == EAGAIN);
	/* The event-loop descriptor becomes readable when vstackd goes */
	CU_ASSERT(vs_ctx_arm(ctx) == 0);
	CU_ASSERT(atomic_load(&f.shm->app_waiting) == 1);
	CU_ASSERT(vs_ctx_error(ctx) == 0);
	close(f.peer);
	f.peer = eventfd(0, 0);
	{
		struct pollfd pf = {.fd = vs_ctx_fd(ctx), .events = POLLIN};

		CU_ASSERT(poll(&pf, 1, 2000) == 1);
	}
	/* Asked before any call failed: it looks at the app socket itself */
	CU_ASSERT(vs_ctx_error(ctx) == ECONNABORTED);
	CU_ASSERT(vs_ctx_error(ctx) == ECONNABORTED);
	/* A non-blocking loop learns it at its next EAGAIN, not never */
	CU_ASSERT(vs_recv(ctx, s, buf, sizeof(buf)) == -1 &&
		  errno == ECONNABORTED);
	CU_ASSERT(vs_ctx_ack(ctx) == -1 && errno == ECONNABORTED);
	CU_ASSERT(atomic_load(&f.shm->app_waiting) == 0);
	CU_ASSERT(vs_poll(ctx, &p, 1, 0) == -1 && errno == ECONNABORTED);
	CU_ASSERT(vs_close(ctx, s) == -1 && errno == ECONNABORTED);
	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_gone_blocking_recv(void)
{
	struct responder r;
	struct vs_ctx *ctx;
	pthread_t c;
	struct fake f;
	char buf[8];
	int s, err;

	/* A blocking read on a socket with no data: vstackd goes away */
	ctx = fake_ctx(&f);
	fake_slot(&f, 0, VSAPP_SOCK_STREAM, VSAPP_S_CONNECTED);
	s = socket_via(&f, ctx, VS_SOCK_STREAM, 0, 0, &r, &err);
	CU_ASSERT_FATAL(s == 0);
	CU_ASSERT_FATAL(pthread_create(&c, NULL, closer_main, &f) == 0);
	CU_ASSERT(vs_recv(ctx, s, buf, sizeof(buf)) == -1 &&
		  errno == ECONNABORTED);
	pthread_join(c, NULL);
	vs_close_ctx(ctx);
	fake_free(&f);
}

static void test_no_daemon(void)
{
	/* vs_open() against a socket path where nobody listens */
	setenv(VSAPP_SOCKET_ENV, "/nonexistent/vstack-app.sock", 1);
	errno = 0;
	CU_ASSERT(vs_open(NULL) == NULL);
	CU_ASSERT(errno == ENOENT);
	CU_ASSERT(strstr(vs_open_error(), "/nonexistent") != NULL);
	/* vs_open_at() goes where it is told, whatever the environment */
	errno = 0;
	CU_ASSERT(vs_open_at("/nonexistent/other.sock", NULL) == NULL);
	CU_ASSERT(errno == ENOENT);
	CU_ASSERT(strstr(vs_open_error(), "/nonexistent/other.sock") != NULL);
	/* ... and NULL or "" is vs_open()'s choice */
	CU_ASSERT(vs_open_at("", NULL) == NULL);
	CU_ASSERT(strstr(vs_open_error(), "/nonexistent/vstack-app.sock") !=
		  NULL);
	unsetenv(VSAPP_SOCKET_ENV);
}

static void watchdog(int sig)
{
	(void)sig;
	/* A hang is the failure this suite exists to catch. */
	static const char m[] = "test_libvstack: hung, killed by alarm\n";
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(2);
	_exit(2);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	signal(SIGALRM, watchdog);
	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ring", NULL, NULL);
	CU_add_test(s, "stream_used", test_ring_stream_used);
	CU_add_test(s, "stream_copy", test_ring_stream_copy);
	CU_add_test(s, "dgram_basic", test_ring_dgram_basic);
	CU_add_test(s, "dgram_short_skip", test_ring_dgram_short_skip);
	CU_add_test(s, "dgram_malformed", test_ring_dgram_malformed);
	CU_add_test(s, "dgram_many_wrap", test_ring_dgram_many);
	s = CU_add_suite("attach", NULL, NULL);
	CU_add_test(s, "welcome_good", test_welcome_good);
	CU_add_test(s, "welcome_refusal", test_welcome_refusal);
	CU_add_test(s, "welcome_bad", test_welcome_bad);
	CU_add_test(s, "welcome_no_answer", test_welcome_no_answer);
	CU_add_test(s, "welcome_timeout", test_welcome_timeout);
	CU_add_test(s, "layout_bad", test_layout_bad);
	CU_add_test(s, "layout_check", test_layout_check_direct);
	CU_add_test(s, "no_daemon", test_no_daemon);
	s = CU_add_suite("shm", NULL, NULL);
	CU_add_test(s, "socket_slot_checks", test_socket_slot_checks);
	CU_add_test(s, "counters_clamped", test_counters_clamped);
	CU_add_test(s, "cq_overrun", test_cq_overrun);
	CU_add_test(s, "close_wakes_blocked", test_close_wakes_blocked);
	CU_add_test(s, "nonblocking_connect", test_nonblocking_connect);
	CU_add_test(s, "dgram_closed_blocking", test_dgram_closed_blocking);
	CU_add_test(s, "peek_nread", test_peek_nread);
	CU_add_test(s, "slot_reused_while_closing",
		    test_slot_reused_while_closing);
	CU_add_test(s, "reaped_by_another", test_reaped_by_another);
	s = CU_add_suite("gone", NULL, NULL);
	CU_add_test(s, "while_waiting", test_gone_while_waiting);
	CU_add_test(s, "nonblocking", test_gone_nonblocking);
	CU_add_test(s, "blocking_recv", test_gone_blocking_recv);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
