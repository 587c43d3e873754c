// SPDX-License-Identifier: MIT
/*
 * fuzz_stack_tcp.c - libFuzzer target for TCP input, timers and user calls
 *
 * Every input starts from the same world: a listener (backlog 2, a pool of
 * two children) and an established connection with timestamps, SACK and
 * window scaling. The input is a sequence of records:
 *
 *   op (1 byte):  bits 0-2  what: 0-3 a segment, 4 a user call,
 *                           5 time passes and timers run, 6-7 a segment
 *                 bits 3-4  target: established, listener, child 0, 1
 *                 bit 5     relative: SEQ += RCV.NXT, ACK += SND.UNA of
 *                           the target, so that segments land in window
 *                 bit 6     listener: another source port; connection:
 *                           ports as given (else the connection's)
 *   segment:      length (2 bytes), then that many bytes of TCP header,
 *                 options and payload, parsed by tcp_wire_parse()
 *   user call:    1 byte: send, recv, shutdown, nodelay, close, abort,
 *                 path MTU
 *   time:         1 byte, times 13 ms
 *
 * Every emitted segment must build and parse back to the same fields, its
 * payload must lie inside the sender's ring and fit the MSS. Invariants of
 * the sequence variables are checked after every record. At the end all
 * connections are aborted and closed: every one must be released exactly
 * once with no timer left, or the target traps.
 *
 * Seeds: test/fuzz/corpus/stack_tcp/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "seq.h"
#include "tcp.h"
#include "tcp_wire.h"

#define FZ_RING 8192
#define FZ_ME	0x0a000001
#define FZ_PEER 0x0a000002

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tcp_conn fz_est, fz_lis, fz_kid[2];
static bool fz_kid_used[2];
static uint8_t fz_ring[4][FZ_RING];
static uint8_t fz_kring[2][2][FZ_RING];
static unsigned fz_allocs, fz_releases, fz_rel[4];
static uint64_t fz_now;
static uint32_t fz_peer_tsval;

/**
 * fz_output() - ops->output: the segment must be sound
 * @ctx:	unused
 * @c:		sender or NULL
 * @seg:	segment
 */
static void fz_output(void *ctx, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint8_t b[128];
	struct tcp_seg p;
	size_t hl;
	unsigned i;

	(void)ctx;
	hl = tcp_wire_build(b, sizeof(b), seg);
	if (hl < 20 || tcp_wire_parse(b, hl, &p))
		__builtin_trap();
	if (p.seq != seg->seq || p.flags != seg->flags || p.win != seg->win ||
	    p.sport != seg->sport || p.dport != seg->dport)
		__builtin_trap();
	if ((seg->flags & TCP_F_ACK) && p.ack != seg->ack)
		__builtin_trap();
	if (seg->len != seg->data[0].len + seg->data[1].len)
		__builtin_trap();
	if (!seg->len)
		return;
	if (!c || seg->len > c->mss || (seg->flags & TCP_F_SYN))
		__builtin_trap();
	for (i = 0; i < 2; i++) {
		const struct tcp_iov *v = &seg->data[i];

		if (!v->len)
			continue;
		if (v->base < c->sbuf.buf ||
		    v->base + v->len > c->sbuf.buf + c->sbuf.size)
			__builtin_trap();
	}
}

/**
 * fz_event() - ops->event: nothing
 * @ctx:	unused
 * @c:		connection
 * @ev:		events
 */
static void fz_event(void *ctx, struct tcp_conn *c, unsigned ev)
{
	(void)ctx;
	(void)c;
	(void)ev;
}

static const struct tcp_ops fz_ops;

/**
 * fz_cfg() - settings for every connection
 * @cfg:	filled in
 */
static void fz_cfg(struct tcp_cfg *cfg)
{
	tcp_cfg_default(cfg);
	cfg->rto_min_ms = 200;
	cfg->msl_ms = 500;
	cfg->backlog = 2;
	cfg->keepalive = true;
	cfg->keep_idle_ms = 3000;
	cfg->keep_intvl_ms = 500;
	cfg->keep_cnt = 2;
	cfg->syn_retries = 2;
	cfg->max_retries = 3;
}

/**
 * fz_alloc() - ops->accept_alloc from two slots
 * @ctx:	unused
 * @lc:		listener
 * @syn:	SYN
 * @iss:	ISS
 *
 * Return: a child or NULL
 */
static struct tcp_conn *fz_alloc(void *ctx, struct tcp_conn *lc,
				 const struct tcp_seg *syn, uint32_t *iss)
{
	struct tcp_cfg cfg;
	unsigned i;

	(void)ctx;
	(void)lc;
	for (i = 0; i < 2; i++)
		if (!fz_kid_used[i]) {
			fz_kid_used[i] = true;
			fz_allocs++;
			fz_cfg(&cfg);
			tcp_conn_init(&fz_kid[i], &fz_ops, NULL, &cfg,
				      fz_kring[i][0], FZ_RING, fz_kring[i][1],
				      FZ_RING);
			*iss = syn->seq * 31 + 0xfffff000u;
			return &fz_kid[i];
		}
	return NULL;
}

/**
 * fz_release() - ops->release: count, per connection
 * @ctx:	unused
 * @c:		connection
 */
static void fz_release(void *ctx, struct tcp_conn *c)
{
	(void)ctx;
	fz_releases++;
	if (c == &fz_est)
		fz_rel[0]++;
	else if (c == &fz_lis)
		fz_rel[1]++;
	else if (c == &fz_kid[0]) {
		fz_kid_used[0] = false;
		fz_rel[2]++;
	} else if (c == &fz_kid[1]) {
		fz_kid_used[1] = false;
		fz_rel[3]++;
	} else {
		__builtin_trap();
	}
}

static const struct tcp_ops fz_ops = {
	.output = fz_output,
	.event = fz_event,
	.accept_alloc = fz_alloc,
	.release = fz_release,
};

/**
 * fz_seg() - a peer segment with a timestamp
 * @flags:	TCP_F_*
 * @seq:	sequence number
 * @ack:	acknowledgment number
 *
 * Return: the segment
 */
static struct tcp_seg fz_seg(uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = FZ_PEER;
	s.daddr = FZ_ME;
	s.sport = 5000;
	s.dport = 80;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.win = 1000;
	s.opts.has = TCP_O_TS;
	s.opts.tsval = ++fz_peer_tsval;
	return s;
}

/**
 * fz_world() - the listener and the established connection
 */
static void fz_world(void)
{
	struct tcp_cfg cfg;
	struct tcp_seg s;

	fz_allocs = fz_releases = 0;
	memset(fz_rel, 0, sizeof(fz_rel));
	memset(fz_kid_used, 0, sizeof(fz_kid_used));
	fz_now = 1000;
	fz_peer_tsval = 100;
	fz_cfg(&cfg);
	tcp_conn_init(&fz_lis, &fz_ops, NULL, &cfg, fz_ring[0], FZ_RING,
		      fz_ring[1], FZ_RING);
	tcp_listen(&fz_lis, FZ_ME, 80);
	tcp_conn_init(&fz_est, &fz_ops, NULL, &cfg, fz_ring[2], FZ_RING,
		      fz_ring[3], FZ_RING);
	tcp_connect(&fz_est, FZ_ME, 80, FZ_PEER, 5000, 0xffffff00u, fz_now);
	s = fz_seg(TCP_F_SYN | TCP_F_ACK, 0x7ffffff0u, 0xffffff01u);
	s.opts.has |= TCP_O_MSS | TCP_O_WS | TCP_O_SACKOK;
	s.opts.mss = 1200;
	s.opts.ws = 2;
	tcp_input(&fz_est, &s, fz_now);
	if (fz_est.state != TCP_ESTABLISHED)
		__builtin_trap();
}

/**
 * fz_target() - connection a record talks to
 * @sel:	bits 3-4 of the op byte
 *
 * Return: the connection, NULL if that child slot is empty
 */
static struct tcp_conn *fz_target(unsigned sel)
{
	switch (sel) {
	case 0:
		return fz_est.released ? NULL : &fz_est;
	case 1:
		return fz_lis.released ? NULL : &fz_lis;
	default:
		return fz_kid_used[sel - 2] ? &fz_kid[sel - 2] : NULL;
	}
}

/**
 * fz_invariants() - what must hold between records
 * @c:	connection
 */
static void fz_invariants(const struct tcp_conn *c)
{
	unsigned i;

	if (c->released)
		return;
	if (c->state == TCP_LISTEN || c->state == TCP_CLOSED)
		return;
	if (SEQ_GT(c->snd_una, c->snd_nxt) || SEQ_GT(c->snd_nxt, c->snd_max))
		__builtin_trap();
	if (c->nooo > TCP_OOO_MAX || c->nsb > TCP_SB_MAX)
		__builtin_trap();
	if (c->state >= TCP_ESTABLISHED &&
	    (uint32_t)(c->rcv_nxt - c->rcv_read) > c->rbuf.size + 1)
		__builtin_trap();
	for (i = 0; i + 1 < c->nooo; i++)
		if (!SEQ_LT(c->ooo[i].end, c->ooo[i + 1].start))
			__builtin_trap();
	for (i = 0; i < c->nooo; i++)
		if (!SEQ_GT(c->ooo[i].start, c->rcv_nxt))
			__builtin_trap();
	for (i = 0; i + 1 < c->nsb; i++)
		if (SEQ_GT(c->sb[i].end, c->sb[i + 1].start))
			__builtin_trap();
}

/**
 * fz_user() - a user call on @c
 * @c:	connection
 * @b:	which
 */
static void fz_user(struct tcp_conn *c, uint8_t b)
{
	static uint8_t buf[3000];

	if (c->user_closed || c == &fz_lis)
		return;
	switch (b % 7) {
	case 0:
		memset(buf, b, sizeof(buf));
		tcp_send(c, buf, (size_t)b * 11 % sizeof(buf), fz_now);
		break;
	case 1:
		tcp_recv(c, buf, (size_t)b * 13 % sizeof(buf), fz_now);
		break;
	case 2:
		tcp_shutdown(c, fz_now);
		break;
	case 3:
		tcp_set_nodelay(c, b & 8, fz_now);
		break;
	case 4:
		if (c == &fz_est)
			tcp_close(c, fz_now);
		break;
	case 5:
		if (c == &fz_est)
			tcp_abort(c, fz_now);
		break;
	default:
		tcp_pmtu(c, c->snd_una + b / 7, 68 + (uint32_t)b * 6, fz_now);
		break;
	}
}

/**
 * fz_timers() - time passes
 * @ms:	how much
 */
static void fz_timers(uint64_t ms)
{
	struct tcp_conn *cs[4] = {&fz_est, &fz_lis, &fz_kid[0], &fz_kid[1]};
	unsigned i;

	fz_now += ms;
	for (i = 0; i < 4; i++) {
		if (i >= 2 && !fz_kid_used[i - 2])
			continue;
		if (cs[i]->released)
			continue;
		if (tcp_next_deadline(cs[i]) <= fz_now)
			tcp_timer(cs[i], fz_now);
	}
}

/**
 * LLVMFuzzerTestOneInput() - one input: records against the world
 * @data:	records
 * @size:	bytes
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	unsigned k;

	fz_world();
	while (i < size) {
		uint8_t op = data[i++];
		struct tcp_conn *c = fz_target((op >> 3) & 3);
		unsigned what = op & 7;

		if (what == 4) {
			if (i < size && c)
				fz_user(c, data[i]);
			i++;
		} else if (what == 5) {
			if (i < size)
				fz_timers((uint64_t)data[i] * 13);
			i++;
		} else {
			struct tcp_seg s;
			size_t n;

			if (size - i < 2)
				break;
			n = (size_t)data[i] << 8 | data[i + 1];
			i += 2;
			if (n > size - i)
				n = size - i;
			if (!tcp_wire_parse(data + i, n, &s) && c) {
				s.saddr = FZ_PEER;
				s.daddr = FZ_ME;
				if (op & 0x20) {
					s.seq += c->rcv_nxt;
					s.ack += c->snd_una;
				}
				if (c == &fz_lis && (op & 0x40))
					s.sport ^= 1; /* another peer */
				if (c != &fz_lis && !(op & 0x40)) {
					/* the tuple the caller's lookup
					 * would have matched */
					s.sport = c->rport;
					s.dport = c->lport;
				}
				tcp_input(c, &s, fz_now);
			}
			i += n;
		}
		fz_invariants(&fz_est);
		for (k = 0; k < 2; k++)
			if (fz_kid_used[k])
				fz_invariants(&fz_kid[k]);
	}

	/* the end: everything must come back */
	if (!fz_est.released) {
		tcp_abort(&fz_est, fz_now);
		tcp_close(&fz_est, fz_now);
	}
	for (k = 0; k < 2; k++)
		if (fz_kid_used[k] && !fz_kid[k].listener) {
			/* accepted: the user's to close */
			tcp_abort(&fz_kid[k], fz_now);
			tcp_close(&fz_kid[k], fz_now);
		}
	while (tcp_accept(&fz_lis))
		;
	for (k = 0; k < 2; k++)
		if (fz_kid_used[k] && !fz_kid[k].listener &&
		    !fz_kid[k].released) {
			tcp_abort(&fz_kid[k], fz_now);
			tcp_close(&fz_kid[k], fz_now);
		}
	if (!fz_lis.released)
		tcp_close(&fz_lis, fz_now);
	if (fz_rel[0] != 1 || fz_rel[1] != 1 || fz_kid_used[0] ||
	    fz_kid_used[1] || fz_releases != fz_allocs + 2)
		__builtin_trap();
	if (tcp_next_deadline(&fz_est) != UINT64_MAX)
		__builtin_trap();
	return 0;
}
