// SPDX-License-Identifier: MIT
/*
 * test_lport_deliver.c - lport_deliver() to another worker's local port,
 * white box
 *
 * A frame switched to a local port that another worker owns is copied
 * into a hand-off buffer, and the arena buffer it came in is given back.
 * The copy must be taken first: the reference given back may be the last
 * one (a segment gso_segment() cut for the port has no other), and a
 * buffer back in the arena is the next read's, which the kernel may fill
 * at once (worker_read() of a starved port, whose ring_sqe() submits when
 * the submission queue is full).
 *
 * lport.c is compiled into this program with the worker and switch
 * functions it calls replaced by the stand-ins below: worker_buf_put()
 * gives the buffer back and, when it went back to the arena, fills it as
 * such a read would. Nothing of worker.c or vnet.c is linked.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../lib/cunit_run.h"
#include "../../vnet/lport.c"

#define TLD_LEN 200
#define TLD_READ_FILL 0xee /* what the next read brought into the buffer */

static struct vnet tld_v;
static struct worker tld_w[2];
static struct vnet_port tld_port;
static unsigned tld_puts, tld_freed;

/* ---- stand-ins for worker.c and vnet.c ---------------------------------- */

void worker_buf_put(struct worker *w, uint32_t buf)
{
	tld_puts++;
	if (arena_put(&w->arena, buf)) {
		tld_freed++;
		memset(arena_buf(&w->arena, buf), TLD_READ_FILL,
		       w->arena.buf_size);
	}
}

void worker_net_link(struct worker *w, uint16_t id)
{
	(void)w;
	(void)id;
}

void worker_net_unlink(struct worker *w, uint16_t id)
{
	(void)w;
	(void)id;
}

void worker_tenant_link(struct worker *w, uint16_t id)
{
	(void)w;
	(void)id;
}

void worker_tenant_unlink(struct worker *w, uint16_t id)
{
	(void)w;
	(void)id;
}

void worker_rx(struct worker *w, uint16_t src, uint32_t buf, size_t len,
	       uint32_t now_ms)
{
	(void)w;
	(void)src;
	(void)buf;
	(void)len;
	(void)now_ms;
}

int vnet_broadcast(struct vnet *v, enum wcmd_type type, struct vnet_port *p)
{
	(void)v;
	(void)type;
	(void)p;
	return -ENOSYS;
}

int vnet_net_get(struct vnet *v, const char *name, char *err, size_t errlen)
{
	(void)v;
	(void)name;
	(void)err;
	(void)errlen;
	return -ENOSYS;
}

int vnet_port_find(const struct vnet *v, const char *name)
{
	(void)v;
	(void)name;
	return -1;
}

int vnet_port_slot(const struct vnet *v, char *err, size_t errlen)
{
	(void)v;
	(void)err;
	(void)errlen;
	return -ENOSPC;
}


void vnet_net_put(struct vnet *v, uint16_t net)
{
	(void)v;
	(void)net;
}

int vnet_port_pin(struct vnet *v, struct vnet_port *p, const uint8_t mac[6],
		  char *err, size_t errlen)
{
	(void)v;
	(void)p;
	(void)mac;
	(void)err;
	(void)errlen;
	return -ENOSYS;
}

void vnet_port_fdb_max(struct vnet *v, struct vnet_port *p,
		       const uint32_t *max)
{
	(void)v;
	(void)p;
	(void)max;
}

int vnet_port_remove(struct vnet *v, int id, bool destroy)
{
	(void)v;
	(void)id;
	(void)destroy;
	return -ENOSYS;
}

/* ---- the suite ---------------------------------------------------------- */

/* Worker 0 switches, worker 1 owns local port 3. */
static int tld_init(void)
{
	struct worker *w = &tld_w[0], *o = &tld_w[1];

	tld_v.nworkers = 2;
	tld_v.workers = tld_w;
	tld_port.id = 3;
	tld_port.gen = 1;
	tld_port.owner = 1;
	w->v = o->v = &tld_v;
	o->id = 1;
	w->ports = calloc(VNET_MAX_PORTS, sizeof(*w->ports));
	w->stats = calloc(VNET_MAX_PORTS, sizeof(*w->stats));
	o->ho = calloc(WORKER_LQ_MAX, sizeof(*o->ho));
	o->ring.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->ports || !w->stats || !o->ho || o->ring.wake_fd < 0 ||
	    arena_init(&w->arena, 4, 2048) ||
	    pthread_mutex_init(&o->ho_lock, NULL))
		return 1;
	w->ports[3].p = &tld_port;
	w->ports[3].local = true;
	return 0;
}

static int tld_clean(void)
{
	free(tld_w[0].ports);
	free(tld_w[0].stats);
	free(tld_w[1].ho);
	close(tld_w[1].ring.wake_fd);
	arena_free(&tld_w[0].arena);
	return 0;
}

/**
 * test_handoff_copy() - the owner gets the frame as it was switched, also
 * when the switching worker's reference was the buffer's last
 */
static void test_handoff_copy(void)
{
	struct worker *w = &tld_w[0], *o = &tld_w[1];
	uint8_t want[TLD_LEN];
	unsigned i;
	int b;

	for (i = 0; i < TLD_LEN; i++)
		want[i] = (uint8_t)(i * 13 + 1);

	/* a segment's buffer: one reference, the one handed over */
	b = arena_get(&w->arena);
	CU_ASSERT_FATAL(b >= 0);
	memcpy(arena_buf(&w->arena, (uint32_t)b), want, TLD_LEN);
	tld_puts = tld_freed = 0;
	lport_deliver(w, 3, (uint32_t)b, arena_buf(&w->arena, (uint32_t)b),
		      TLD_LEN);
	CU_ASSERT_EQUAL(tld_puts, 1);
	CU_ASSERT_EQUAL(tld_freed, 1);
	CU_ASSERT_EQUAL_FATAL(o->ho_n, 1);
	CU_ASSERT_EQUAL(o->ho[0].len, TLD_LEN);
	CU_ASSERT_EQUAL(o->ho[0].port, 3);
	CU_ASSERT_EQUAL(memcmp(o->ho[0].buf, want, TLD_LEN), 0);
	CU_ASSERT_EQUAL(w->stats[3].tx_packets, 1);
	free(o->ho[0].buf);
	o->ho_n = 0;

	/* a flood's buffer: the reference given back is not the last */
	b = arena_get(&w->arena);
	CU_ASSERT_FATAL(b >= 0);
	arena_ref(&w->arena, (uint32_t)b);
	memcpy(arena_buf(&w->arena, (uint32_t)b), want, TLD_LEN);
	tld_puts = tld_freed = 0;
	lport_deliver(w, 3, (uint32_t)b, arena_buf(&w->arena, (uint32_t)b),
		      TLD_LEN);
	CU_ASSERT_EQUAL(tld_puts, 1);
	CU_ASSERT_EQUAL(tld_freed, 0);
	CU_ASSERT_EQUAL_FATAL(o->ho_n, 1);
	CU_ASSERT_EQUAL(memcmp(o->ho[0].buf, want, TLD_LEN), 0);
	free(o->ho[0].buf);
	o->ho_n = 0;
	worker_buf_put(w, (uint32_t)b);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "hand-off copies before giving the buffer back",
		  test_handoff_copy },
	};

	return cunit_run("lport_deliver", tests,
			 sizeof(tests) / sizeof(tests[0]), tld_init,
			 tld_clean);
}
