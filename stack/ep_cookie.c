// SPDX-License-Identifier: MIT
/*
 * ep_cookie.c - SYN cookies for an endpoint's listeners (RFC 4987 3.6)
 *
 * When the children in SYN-RECEIVED reach the endpoint's bound, a SYN to a
 * listener is answered with a SYN-ACK whose sequence number is a cookie
 * and nothing is kept: 5 bits of a 64-second time slot, 3 bits naming one
 * of eight MSS values, 24 bits of a keyed hash of the 4-tuple, the
 * client's ISN and the slot. The ACK that comes back with cookie + 1 makes
 * the connection: the SYN it stands for is rebuilt and given to the
 * listener the ordinary way (the ISS forced to the cookie, the child's
 * SYN-ACK not sent since the client had the cookie's), and then the ACK to
 * the child. The price, paid only under a flood: no window scaling,
 * timestamps or SACK, and an MSS rounded down to the table.
 */

#include <string.h>

#include "ep.h"
#include "tcp_wire.h"

/* ---- SYN cookies (RFC 4987 section 3.6) ---- */

/* MSS values a cookie can carry (3 bits): common path MTUs less 40 */
static const uint16_t ep_cookie_mss[8] = {536,	1200, 1360, 1400,
					  1440, 1452, 1460, 8960};

#define EP_COOKIE_SLOT_MS 64000 /* the time counter ticks every 64 s */

/**
 * ep_cookie_make() - the cookie for a SYN
 * @t:		TCP layer
 * @syn:	the SYN (addresses, ports, sequence number)
 * @slot:	time slot (5 bits)
 * @mi:		MSS index (3 bits)
 *
 * Return: slot << 27 | mss index << 24 | 24 bits of a keyed hash of the
 * 4-tuple, the client's ISN and the slot
 */
static uint32_t ep_cookie_make(const struct ep_tcp *t,
			       const struct tcp_seg *syn, uint32_t slot,
			       uint32_t mi)
{
	uint64_t h = ep_tcp_mix(t, (uint64_t)syn->saddr << 32 | syn->sport,
				(uint64_t)syn->seq << 32 |
					(uint64_t)syn->dport << 8 | slot |
					0x5000000000000000ULL);

	h = ep_tcp_mix(t, h ^ mi, 0xc0c);
	return (slot & 31) << 27 | (mi & 7) << 24 | (uint32_t)(h & 0xffffff);
}

/**
 * ep_cookie_syn() - answer a SYN with a cookie, keeping no state
 * @ep:		endpoint
 * @lec:	listener
 * @syn:	the SYN
 */
void ep_cookie_syn(struct ep *ep, struct ep_conn *lec,
		   const struct tcp_seg *syn)
{
	struct ep_tcp *t = &ep->tcp;
	uint16_t peer = (syn->opts.has & TCP_O_MSS) && syn->opts.mss
				? syn->opts.mss
				: 536;
	uint32_t mi = 0, slot = (uint32_t)(ep->now / EP_COOKIE_SLOT_MS) & 31;
	struct tcp_seg sa;

	while (mi < 7 && ep_cookie_mss[mi + 1] <= peer &&
	       ep_cookie_mss[mi + 1] <= t->cfg.mss)
		mi++;
	memset(&sa, 0, sizeof(sa));
	sa.saddr = syn->daddr;
	sa.daddr = syn->saddr;
	sa.sport = syn->dport;
	sa.dport = syn->sport;
	sa.seq = ep_cookie_make(t, syn, slot, mi);
	sa.ack = syn->seq + 1;
	sa.flags = TCP_F_SYN | TCP_F_ACK;
	sa.win = (uint16_t)(lec->tcp.rbuf.size > 65535 ? 65535
						       : lec->tcp.rbuf.size);
	sa.opts.has = TCP_O_MSS;
	sa.opts.mss = t->cfg.mss;
	ep->stats[EP_STAT_COOKIE_SENT]++;
	t->cookie_last = ep->now ? ep->now : 1;
	ep_tcp_output(ep, NULL, &sa);
}

/**
 * ep_cookie_ack() - an ACK for a listener: make the connection if it
 * returns a valid cookie
 * @ep:		endpoint
 * @lec:	listener
 * @ack:	the segment (ACK set, SYN and RST clear)
 *
 * The connection is made the ordinary way from the SYN the cookie stands
 * for (same ISNs, the MSS from the cookie, no options), its own SYN-ACK
 * not sent (the peer has had the cookie's), and then given the ACK.
 *
 * Return: true if taken, false to treat @ack as TCP would without cookies
 */
bool ep_cookie_ack(struct ep *ep, struct ep_conn *lec,
		   const struct tcp_seg *ack)
{
	struct ep_tcp *t = &ep->tcp;
	uint32_t cookie = ack->ack - 1, now_slot, slot, mi, age;
	struct ep_conn *ec;
	struct tcp_seg syn;

	if (!t->syncookies || (ack->flags & (TCP_F_SYN | TCP_F_RST)) ||
	    !t->cookie_last || ep->now - t->cookie_last > 2 * EP_COOKIE_SLOT_MS)
		return false;
	now_slot = (uint32_t)(ep->now / EP_COOKIE_SLOT_MS) & 31;
	slot = cookie >> 27;
	mi = cookie >> 24 & 7;
	age = (now_slot - slot) & 31;
	memset(&syn, 0, sizeof(syn));
	syn.saddr = ack->saddr;
	syn.daddr = ack->daddr;
	syn.sport = ack->sport;
	syn.dport = ack->dport;
	syn.seq = ack->seq - 1;
	syn.flags = TCP_F_SYN;
	syn.win = ack->win;
	syn.opts.has = TCP_O_MSS;
	syn.opts.mss = ep_cookie_mss[mi];
	/* valid for one to two slots (64 to 128 s) */
	if (age > 1 || ep_cookie_make(t, &syn, slot, mi) != cookie) {
		ep->stats[EP_STAT_COOKIE_BAD]++;
		return false;
	}
	t->cookie = true;
	t->cookie_iss = cookie;
	t->mute = true;
	ep_tcp_touch(ep, lec);
	lec->tcp.synq_exempt = true;
	tcp_input(&lec->tcp, &syn, ep->now);
	lec->tcp.synq_exempt = false;
	t->mute = false;
	t->cookie = false;
	ec = ep_tcp_lookup(t, ack->saddr, ack->sport, ack->dport);
	if (!ec || ec->tcp.state != TCP_SYN_RECEIVED)
		return true; /* refused (pool, backlog, user): the peer's
			      * data will be answered with a reset */
	ep->stats[EP_STAT_COOKIE_OK]++;
	ep_tcp_touch(ep, ec);
	tcp_input(&ec->tcp, ack, ep->now);
	return true;
}
