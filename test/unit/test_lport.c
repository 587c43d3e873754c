// SPDX-License-Identifier: MIT
/*
 * test_lport.c - local ports (vnet/lport.c) switched with a real TAP port
 *
 * A switch with two workers holds one TAP port, played by an AF_PACKET
 * socket as in test_switch.c, and two local ports whose callbacks record
 * what they get and send what the test queues for them. The local ports
 * are owned by different workers, so frames between them and from the TAP
 * cross workers (hand-off) as well as stay on one.
 *
 * Skips (77) when not root or without /dev/net/tun.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cunit_run.h"
#include "vnet.h"

#define NLOCAL 2
#define OUT_MAX 8
#define FRAME 128

/* One local port as the test sees it; the worker and the test share it
 * under @mu. */
struct tl {
	pthread_mutex_t mu;
	char name[16];
	uint8_t mac[6];
	unsigned attached, detached, got, from_self;
	int worker;                 /* the worker its callbacks ran on */
	uint8_t last[FRAME];        /* last frame received */
	uint8_t out[OUT_MAX][FRAME]; /* frames to send at the next poll */
	unsigned nout;
	bool hold;                  /* keep the next buffer received */
	uint8_t *held;
	struct vnet_lctx *lc;
};

static struct vnet *sw;
static struct tl loc[NLOCAL];
static char tap[16];
static int psock = -1;
static const uint8_t tap_mac[6] = { 0x02, 0, 0, 0, 0x7a, 0x01 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void tl_attach(void *ctx, struct vnet_lctx *lc, uint64_t now_ms)
{
	struct tl *t = ctx;

	(void)now_ms;
	pthread_mutex_lock(&t->mu);
	t->attached++;
	t->lc = lc;
	t->worker = (int)vnet_lport_worker_id(lc);
	pthread_mutex_unlock(&t->mu);
}

static void tl_input(void *ctx, struct vnet_lctx *lc, uint8_t *buf,
		     size_t len, uint64_t now_ms)
{
	struct tl *t = ctx;

	(void)now_ms;
	pthread_mutex_lock(&t->mu);
	t->got++;
	if (len >= 12 + 14 && !memcmp(buf + 12 + 6, t->mac, 6))
		t->from_self++;
	memcpy(t->last, buf, len < FRAME ? len : FRAME);
	if (t->worker != (int)vnet_lport_worker_id(lc))
		t->worker = -1; /* called on the wrong worker */
	if (t->hold && !t->held) {
		t->held = buf;
		buf = NULL;
	}
	pthread_mutex_unlock(&t->mu);
	vnet_lport_free(lc, buf);
}

static bool tl_poll(void *ctx, struct vnet_lctx *lc, uint64_t now_ms,
		    bool idle, uint64_t *deadline_ms)
{
	struct tl *t = ctx;
	unsigned i, n;

	(void)now_ms;
	(void)idle;
	*deadline_ms = UINT64_MAX;
	pthread_mutex_lock(&t->mu);
	n = t->nout;
	for (i = 0; i < n; i++) {
		uint8_t *b = vnet_lport_alloc(lc, FRAME);

		if (!b)
			break;
		memcpy(b, t->out[i], FRAME);
		vnet_lport_send(lc, b, FRAME);
	}
	t->nout = 0;
	pthread_mutex_unlock(&t->mu);
	return n > 0;
}

static void tl_detach(void *ctx, struct vnet_lctx *lc)
{
	struct tl *t = ctx;

	pthread_mutex_lock(&t->mu);
	t->detached++;
	vnet_lport_free(lc, t->held);
	t->held = NULL;
	pthread_mutex_unlock(&t->mu);
}

static const struct vnet_lport_ops tl_ops = {
	.attach = tl_attach,
	.input = tl_input,
	.poll = tl_poll,
	.detach = tl_detach,
};

/* vnet header (12, zero) + Ethernet + 0x88b5 (local experimental) + tag */
static void frame_build(uint8_t *b, const uint8_t *dst, const uint8_t *src,
			uint32_t tag)
{
	memset(b, 0, FRAME);
	memcpy(b + 12, dst, 6);
	memcpy(b + 18, src, 6);
	b[24] = 0x88;
	b[25] = 0xb5;
	memcpy(b + 26, &tag, 4);
}

/* Queue a frame on local port @i and wake its worker. */
static void tl_send(unsigned i, const uint8_t *dst, uint32_t tag)
{
	struct tl *t = &loc[i];

	pthread_mutex_lock(&t->mu);
	frame_build(t->out[t->nout++], dst, t->mac, tag);
	pthread_mutex_unlock(&t->mu);
	vnet_lport_kick(sw, t->name);
}

static unsigned tl_got(unsigned i)
{
	unsigned n;

	pthread_mutex_lock(&loc[i].mu);
	n = loc[i].got;
	pthread_mutex_unlock(&loc[i].mu);
	return n;
}

/* Wait up to 2 s for local port @i to have received @n frames. */
static bool tl_wait(unsigned i, unsigned n)
{
	int k;

	for (k = 0; k < 400 && tl_got(i) < n; k++)
		usleep(5000);
	return tl_got(i) >= n;
}

/* Next frame on the TAP from @src with @tag within @ms (PACKET_VNET_HDR
 * is off: Ethernet first). */
static bool tap_sees(const uint8_t *src, uint32_t tag, int ms)
{
	struct pollfd pfd = { .fd = psock, .events = POLLIN };
	uint8_t b[2048];
	ssize_t n;

	while (poll(&pfd, 1, ms) > 0) {
		n = recv(psock, b, sizeof(b), 0);
		if (n >= 18 && !memcmp(b + 6, src, 6) && !memcmp(b + 14, &tag, 4))
			return true;
	}
	return false;
}

static int link_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.15s", name);
	ret = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return ret;
}

static int suite_init(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	struct vnet_config c;
	char err[256], path[128];
	unsigned i;
	int fd, one = 1;

	vnet_config_default(&c);
	c.workers = 2;
	c.arena_bufs = 64;
	if (vnet_start(&c, &sw, err, sizeof(err))) {
		fprintf(stderr, "vnet_start: %s\n", err);
		return 1;
	}
	snprintf(tap, sizeof(tap), "vsl%d", (int)getpid());
	if (vnet_port_add(sw, &(struct vnet_port_spec){ .name = tap,
							 .offload = true },
			  err, sizeof(err))) {
		fprintf(stderr, "port add: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 tap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror(path);
		close(fd);
	}
	if (link_up(tap))
		return 1;
	psock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (psock < 0)
		return 1;
	setsockopt(psock, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		   sizeof(one));
	sll.sll_ifindex = (int)if_nametoindex(tap);
	if (bind(psock, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return 1;
	for (i = 0; i < NLOCAL; i++) {
		struct tl *t = &loc[i];
		int id;

		pthread_mutex_init(&t->mu, NULL);
		snprintf(t->name, sizeof(t->name), "vsl%d%c", (int)getpid(),
			 'a' + i);
		memcpy(t->mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0x7b, (uint8_t)i },
		       6);
		/* The first one's MAC is pinned, as an endpoint's is */
		id = vnet_lport_add(sw,
				    &(struct vnet_lport_spec){
					    .name = t->name,
					    .mac = i == 0 ? t->mac : NULL,
					    .ops = &tl_ops,
					    .ctx = t },
				    err, sizeof(err));
		if (id < 0) {
			fprintf(stderr, "lport add: %s\n", err);
			return 1;
		}
	}
	return 0;
}

static int suite_clean(void)
{
	if (psock >= 0)
		close(psock);
	vnet_stop(sw);
	return 0;
}

static void test_attached_on_owner(void)
{
	struct vnet_port_info pi;

	CU_ASSERT_EQUAL(loc[0].attached, 1);
	CU_ASSERT_EQUAL(loc[1].attached, 1);
	/* Spread over the workers: one each. */
	CU_ASSERT_EQUAL(vnet_lport_worker(sw, loc[0].name), loc[0].worker);
	CU_ASSERT_EQUAL(vnet_lport_worker(sw, loc[1].name), loc[1].worker);
	CU_ASSERT_NOT_EQUAL(loc[0].worker, loc[1].worker);
	CU_ASSERT(vnet_lport_wake_fd(sw, loc[0].name) >= 0);
	CU_ASSERT_EQUAL(vnet_port_get(sw, loc[0].name, &pi), 0);
	CU_ASSERT(pi.local);
	CU_ASSERT_EQUAL(pi.queues, 0);
}

static void test_errors(void)
{
	char err[128] = "";

	CU_ASSERT_EQUAL(vnet_lport_add(sw,
				       &(struct vnet_lport_spec){
					       .name = loc[0].name,
					       .ops = &tl_ops,
					       .ctx = &loc[0] },
				       err, sizeof(err)),
			-EEXIST);
	CU_ASSERT(strstr(err, "already exists") != NULL);
	CU_ASSERT_EQUAL(vnet_lport_add(sw,
				       &(struct vnet_lport_spec){
					       .name = "",
					       .ops = &tl_ops },
				       err, sizeof(err)),
			-EINVAL);
	/* A local port is not a device port, and the reverse. */
	CU_ASSERT_EQUAL(vnet_port_del(sw, loc[0].name), -EINVAL);
	CU_ASSERT_EQUAL(vnet_port_close(sw, loc[0].name), -EINVAL);
	CU_ASSERT_EQUAL(vnet_lport_del(sw, tap), -ENOENT);
	CU_ASSERT_EQUAL(vnet_lport_worker(sw, "nosuch"), -ENOENT);
}

static void test_broadcast_reaches_all_but_sender(void)
{
	unsigned g0 = tl_got(0), g1 = tl_got(1);

	tl_send(0, bcast, 0x1001);
	CU_ASSERT(tap_sees(loc[0].mac, 0x1001, 2000));
	CU_ASSERT(tl_wait(1, g1 + 1));
	usleep(20000);
	CU_ASSERT_EQUAL(tl_got(0), g0); /* no hairpin */
	CU_ASSERT_EQUAL(loc[0].from_self, 0);
	CU_ASSERT_EQUAL(loc[0].worker >= 0 && loc[1].worker >= 0, 1);
}

static void test_tap_to_local_unicast(void)
{
	uint8_t b[FRAME];
	unsigned g0, g1, k;

	tl_send(0, bcast, 0x2000); /* both learned */
	tl_send(1, bcast, 0x2001);
	usleep(50000);
	g0 = tl_got(0);
	g1 = tl_got(1);
	/* From the TAP, whichever queue (worker) the kernel picks: some
	 * frames reach their owner directly, others through a hand-off. */
	for (k = 0; k < 32; k++) {
		frame_build(b, loc[k & 1].mac, tap_mac, 0x2100 + k);
		CU_ASSERT_EQUAL(send(psock, b + 12, FRAME - 12, 0), FRAME - 12);
	}
	CU_ASSERT(tl_wait(0, g0 + 16));
	CU_ASSERT(tl_wait(1, g1 + 16));
	usleep(20000);
	CU_ASSERT_EQUAL(tl_got(0), g0 + 16);
	CU_ASSERT_EQUAL(tl_got(1), g1 + 16);
}

static void test_local_to_local_unicast(void)
{
	unsigned g0 = tl_got(0), g1 = tl_got(1);
	uint32_t tag;

	tl_send(0, loc[1].mac, 0x3000);
	CU_ASSERT(tl_wait(1, g1 + 1));
	memcpy(&tag, loc[1].last + 26, 4);
	CU_ASSERT_EQUAL(tag, 0x3000);
	tl_send(1, loc[0].mac, 0x3001);
	CU_ASSERT(tl_wait(0, g0 + 1));
	memcpy(&tag, loc[0].last + 26, 4);
	CU_ASSERT_EQUAL(tag, 0x3001);
	/* Unicast to a known port: the TAP sees nothing of it. */
	CU_ASSERT_FALSE(tap_sees(loc[0].mac, 0x3000, 50));
}

/* The TAP sending as local port 0 (pinned) cannot pull its frames away. */
static void test_pinned_mac_kept(void)
{
	struct vnet_port_info pi;
	uint64_t spoofed;
	uint8_t b[FRAME];
	unsigned g0, k;
	uint32_t tag;

	CU_ASSERT_EQUAL_FATAL(vnet_port_get(sw, tap, &pi), 0);
	spoofed = pi.stats.drops[VNET_DROP_SPOOF];
	for (k = 0; k < 4; k++) {
		frame_build(b, bcast, loc[0].mac, 0x5000 + k);
		CU_ASSERT_EQUAL(send(psock, b + 12, FRAME - 12, 0), FRAME - 12);
	}
	for (k = 0; k < 400; k++) {
		CU_ASSERT_EQUAL_FATAL(vnet_port_get(sw, tap, &pi), 0);
		if (pi.stats.drops[VNET_DROP_SPOOF] >= spoofed + 4)
			break;
		usleep(5000);
	}
	CU_ASSERT_EQUAL(pi.stats.drops[VNET_DROP_SPOOF], spoofed + 4);
	g0 = tl_got(0);
	tl_send(1, loc[0].mac, 0x5100);
	CU_ASSERT(tl_wait(0, g0 + 1));
	memcpy(&tag, loc[0].last + 26, 4);
	CU_ASSERT_EQUAL(tag, 0x5100);
	CU_ASSERT_FALSE(tap_sees(loc[1].mac, 0x5100, 50));
}

static void test_del_returns_held_buffers(void)
{
	struct vnet_port_info pi;
	unsigned g1 = tl_got(1);

	pthread_mutex_lock(&loc[1].mu);
	loc[1].hold = true;
	pthread_mutex_unlock(&loc[1].mu);
	tl_send(0, loc[1].mac, 0x4000);
	CU_ASSERT(tl_wait(1, g1 + 1));
	CU_ASSERT_PTR_NOT_NULL(loc[1].held);
	CU_ASSERT_EQUAL(vnet_lport_del(sw, loc[1].name), 0);
	CU_ASSERT_EQUAL(loc[1].detached, 1);
	CU_ASSERT_PTR_NULL(loc[1].held);
	CU_ASSERT_EQUAL(vnet_port_get(sw, loc[1].name, &pi), -ENOENT);
	/* Frames to the MAC it had are flooded now, and not given to it. */
	tl_send(0, loc[1].mac, 0x4001);
	CU_ASSERT(tap_sees(loc[0].mac, 0x4001, 2000));
	CU_ASSERT_EQUAL(tl_got(1), g1 + 1);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "attached on the owning worker", test_attached_on_owner },
		{ "errors", test_errors },
		{ "broadcast reaches all but the sender",
		  test_broadcast_reaches_all_but_sender },
		{ "TAP to local unicast, both workers",
		  test_tap_to_local_unicast },
		{ "local to local unicast across workers",
		  test_local_to_local_unicast },
		{ "a pinned MAC stays with its port", test_pinned_mac_kept },
		{ "del returns held buffers", test_del_returns_held_buffers },
	};

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK)) {
		fprintf(stderr, "test_lport: needs root and /dev/net/tun\n");
		return 77;
	}
	return cunit_run("lport", tests, sizeof(tests) / sizeof(tests[0]),
			 suite_init, suite_clean);
}
