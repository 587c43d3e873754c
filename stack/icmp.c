// SPDX-License-Identifier: MIT
/*
 * icmp.c - ICMP for IPv4: echo, errors, path MTU hints
 *
 * Theory of operation
 *
 * Input (RFC 792): the checksum covers the whole message. Echo requests are
 * answered with the same identifier, sequence number and data (RFC 1122
 * section 3.2.2.6), except those sent to a broadcast address, which the
 * same section lets a host ignore (and ignoring them defeats "smurf"
 * amplification). A "fragmentation needed" (type 3 code 4) whose quoted
 * header is one of ours is checked and passed to the caller's pmtu hook
 * (RFC 1191 section 4; when the router left the MTU field zero, the next
 * plateau below the quoted length is used, section 5). Other destination
 * unreachables about a datagram of ours are errors for the socket that
 * sent it: a hard one (RFC 1122 4.2.3.9) for a connected UDP socket
 * (udp_icmp_error()), any for a TCP connection still opening (the
 * unreach hook, tcp_unreach()), as Linux's udp_err() and tcp_v4_err()
 * take them. Other errors are counted.
 *
 * Errors we generate (port and protocol unreachable, reassembly time
 * exceeded) follow RFC 1122 section 3.2.2 and RFC 1812 section 4.3.2.7:
 * never about an ICMP error, a datagram sent to a broadcast or multicast
 * address, a fragment other than the first, or a source that is not a
 * unicast host. They quote as much of the datagram as fits in 576 bytes
 * (RFC 1812 section 4.3.2.3) and are rate-limited by a token bucket per
 * endpoint (RFC 1812 section 4.3.2.8): ICMP_RATE_BURST back to back,
 * ICMP_RATE_PER_SEC sustained.
 */

#include <errno.h>
#include <string.h>

#include "netif_priv.h"

static const char *const icmp_stat_names[] = {
#define ICMP_X(name, str) str,
	ICMP_STATS(ICMP_X)
#undef ICMP_X
};

/**
 * icmp_stat_name() - name of a counter
 * @s:	counter
 *
 * Return: its name, "unknown" when out of range
 */
const char *icmp_stat_name(enum icmp_stat s)
{
	if ((unsigned)s >= ICMP_STAT__COUNT)
		return "unknown";
	return icmp_stat_names[s];
}

/**
 * icmp_init() - full token bucket
 * @icmp:	ICMP state
 * @now_ms:	current time
 */
void icmp_init(struct icmp *icmp, uint64_t now_ms)
{
	memset(icmp, 0, sizeof(*icmp));
	tbucket_init(&icmp->errors, ICMP_RATE_PER_SEC, ICMP_RATE_BURST,
		     now_ms * 1000000ull);
}

/**
 * icmp_is_error() - an ICMP type is an error message
 * @type:	ICMP type
 *
 * Return: true unless it is a query or a reply (echo, timestamp,
 * information, address mask); unknown types count as errors, so that we
 * never answer them with an error
 */
static bool icmp_is_error(uint8_t type)
{
	switch (type) {
	case WIRE_ICMP_ECHOREPLY:
	case WIRE_ICMP_ECHO:
	case 13: /* timestamp */
	case 14: /* timestamp reply */
	case 15: /* information request */
	case 16: /* information reply */
	case 17: /* address mask request */
	case 18: /* address mask reply */
		return false;
	default:
		return true;
	}
}

/**
 * icmp_rate_ok() - take a token from the bucket
 * @icmp:	ICMP state
 * @now_ms:	current time
 *
 * Return: true when an error may be sent now
 */
static bool icmp_rate_ok(struct icmp *icmp, uint64_t now_ms)
{
	return tbucket_try(&icmp->errors, 1, now_ms * 1000000ull);
}

/**
 * icmp_send_error() - send an ICMP error about a datagram we received
 * @ni:		endpoint
 * @type:	ICMP type
 * @code:	ICMP code
 * @ip:		the offending datagram, from its IPv4 header (already
 *		validated by ipv4_input())
 * @len:	bytes available at @ip
 * @bcast:	the datagram came to a broadcast address (IP or link)
 * @now_ms:	current time
 *
 * Return: 0 when sent, -EINVAL when RFC 1122 forbids an error here,
 * -EAGAIN when rate-limited, -ENOBUFS without buffer, or what
 * ipv4_output() returned
 */
int icmp_send_error(struct netif *ni, uint8_t type, uint8_t code,
		    const uint8_t *ip, size_t len, bool bcast, uint64_t now_ms)
{
	const struct wire_ip4 *h = (const struct wire_ip4 *)ip;
	struct icmp *icmp = &ni->icmp;
	struct wire_icmp *m;
	size_t ihl, qlen;
	uint8_t *b;
	int ret;

	if (bcast || len < sizeof(*h))
		goto suppress;
	ihl = (h->ver_ihl & 0xfu) * 4;
	if (ihl < sizeof(*h) || ihl > len ||
	    (wire_h16(h->frag_off) & WIRE_IP4_OFFMASK))
		goto suppress;
	if (!h->saddr.be || wire_ip4_is_multicast(h->saddr) ||
	    netif_is_bcast(ni, h->saddr) || (wire_h32(h->saddr) >> 24) == 127 ||
	    (wire_h32(h->saddr) >> 28) == 0xf)
		goto suppress;
	if (wire_ip4_is_multicast(h->daddr) || netif_is_bcast(ni, h->daddr))
		goto suppress;
	if (h->proto == WIRE_IPPROTO_ICMP &&
	    (ihl >= len || icmp_is_error(ip[ihl])))
		goto suppress;

	if (!icmp_rate_ok(icmp, now_ms)) {
		icmp->stats[ICMP_STAT_TX_RATELIMITED]++;
		return -EAGAIN;
	}

	qlen = len;
	if (qlen > wire_h16(h->tot_len))
		qlen = wire_h16(h->tot_len);
	if (qlen > ICMP_ERR_MAX - WIRE_IP4_HLEN_MIN - sizeof(*m))
		qlen = ICMP_ERR_MAX - WIRE_IP4_HLEN_MIN - sizeof(*m);
	b = netif_alloc(ni, NETIF_L4_OFF + sizeof(*m) + qlen);
	if (!b) {
		icmp->stats[ICMP_STAT_TX_NOBUF]++;
		return -ENOBUFS;
	}
	m = (struct wire_icmp *)(b + NETIF_L4_OFF);
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->code = code;
	memcpy(m + 1, ip, qlen);
	m->csum = wire_csum(wire_csum_add(m, sizeof(*m) + qlen, 0));
	ret = ipv4_output(ni, b, sizeof(*m) + qlen, WIRE_IPPROTO_ICMP, h->saddr,
			  false, now_ms);
	if (!ret)
		icmp->stats[ICMP_STAT_TX_ERROR]++;
	return ret;

suppress:
	icmp->stats[ICMP_STAT_TX_SUPPRESSED]++;
	return -EINVAL;
}

/**
 * icmp_plateau() - RFC 1191 section 7 plateau below a datagram length
 * @len:	length of the datagram that was too big
 *
 * Return: the largest plateau MTU smaller than @len, at least 68
 */
static uint16_t icmp_plateau(uint16_t len)
{
	static const uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002,
					    1492,  1006,  508,	296,  68};
	unsigned i;

	for (i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return 68;
}

/**
 * icmp_frag_needed() - a "fragmentation needed" message
 * @ni:		endpoint
 * @m:		the message
 * @len:	its length (at least 8)
 */
static void icmp_frag_needed(struct netif *ni, const struct wire_icmp *m,
			     size_t len)
{
	const uint8_t *quote = (const uint8_t *)(m + 1);
	size_t qlen = len - sizeof(*m), ihl;
	const struct wire_ip4 *q = (const struct wire_ip4 *)quote;
	uint16_t mtu, qtot;

	if (qlen < sizeof(*q) || q->ver_ihl >> 4 != 4)
		goto bad;
	ihl = (q->ver_ihl & 0xfu) * 4;
	if (ihl < sizeof(*q) || ihl > qlen ||
	    !wire_eq32(q->saddr, ni->cfg.addr))
		goto bad;
	qtot = wire_h16(q->tot_len);
	mtu = wire_h16(m->un.frag.mtu);
	if (!mtu)
		mtu = icmp_plateau(qtot);
	/* RFC 1191 section 4: never below 68. Above that, no lower than
	 * NETIF_PMTU_MIN (as Linux, __ip_rt_update_pmtu()). A "new" MTU that
	 * would have carried the datagram, or that is not below our own, is
	 * bogus. */
	if (mtu < NETIF_MTU_MIN)
		goto bad;
	if (mtu < NETIF_PMTU_MIN)
		mtu = NETIF_PMTU_MIN;
	if (mtu >= ni->cfg.mtu || mtu >= qtot)
		goto bad;
	ni->icmp.stats[ICMP_STAT_RX_FRAG_NEEDED]++;
	if (ni->ops->pmtu)
		ni->ops->pmtu(ni->ctx, q->daddr, mtu, quote, qlen);
	return;
bad:
	ni->icmp.stats[ICMP_STAT_RX_FRAG_NEEDED_BAD]++;
}

/**
 * icmp_unreach_err() - the errno a destination unreachable code means
 * @code:	its code (not 4, fragmentation needed)
 * @hard:	set when it is a hard error (RFC 1122 4.2.3.9: protocol
 *		and port unreachable; and, as Linux counts them, those
 *		saying the destination is unknown or administratively
 *		prohibited): one that no retry will mend
 *
 * Return: a positive errno, 0 for a code RFC 792/1812 do not define
 */
static int icmp_unreach_err(uint8_t code, bool *hard)
{
	static const struct {
		int err;
		bool hard;
	} map[16] = {
		[0] = {ENETUNREACH, false},   /* net unreachable */
		[1] = {EHOSTUNREACH, false},  /* host unreachable */
		[2] = {ENOPROTOOPT, true},    /* protocol unreachable */
		[3] = {ECONNREFUSED, true},   /* port unreachable */
		[5] = {EOPNOTSUPP, false},    /* source route failed */
		[6] = {ENETUNREACH, true},    /* net unknown */
		[7] = {EHOSTDOWN, true},      /* host unknown */
		[8] = {ENONET, true},	      /* host isolated */
		[9] = {ENETUNREACH, true},    /* net prohibited */
		[10] = {EHOSTUNREACH, true},  /* host prohibited */
		[11] = {ENETUNREACH, false},  /* net unreachable for TOS */
		[12] = {EHOSTUNREACH, false}, /* host unreachable for TOS */
		[13] = {EHOSTUNREACH, true},  /* communication prohibited */
		[14] = {EHOSTUNREACH, true},  /* precedence violation */
		[15] = {EHOSTUNREACH, true},  /* precedence cutoff */
	};

	if (code >= 16) {
		*hard = false;
		return 0;
	}
	*hard = map[code].hard;
	return map[code].err;
}

/**
 * icmp_unreach() - a destination unreachable about a datagram of ours:
 * hard errors to the UDP socket connected to that port
 * (udp_icmp_error()), every one to TCP (the unreach hook), which ends a
 * connection still opening with it
 * @ni:		endpoint
 * @m:		the message
 * @len:	its length (at least 8)
 */
static void icmp_unreach(struct netif *ni, const struct wire_icmp *m,
			 size_t len)
{
	const uint8_t *quote = (const uint8_t *)(m + 1);
	const struct wire_ip4 *q = (const struct wire_ip4 *)quote;
	size_t qlen = len - sizeof(*m);
	bool hard;
	int err;

	if (qlen < sizeof(*q) || q->ver_ihl >> 4 != 4 ||
	    !wire_eq32(q->saddr, ni->cfg.addr))
		return;
	err = icmp_unreach_err(m->code, &hard);
	if (!err)
		return;
	if (hard)
		udp_icmp_error(ni, quote, qlen, err);
	if (q->proto == WIRE_IPPROTO_TCP && ni->ops->unreach)
		ni->ops->unreach(ni->ctx, q->daddr, err, quote, qlen);
}

/**
 * icmp_echo() - answer an echo request
 * @ni:		endpoint
 * @rx:		the request
 * @now_ms:	current time
 */
static void icmp_echo(struct netif *ni, const struct ipv4_rx *rx,
		      uint64_t now_ms)
{
	struct icmp *icmp = &ni->icmp;
	struct wire_icmp *m;
	uint8_t *b;

	if (rx->bcast) {
		icmp->stats[ICMP_STAT_RX_ECHO_BCAST]++;
		return;
	}
	icmp->stats[ICMP_STAT_RX_ECHO]++;
	b = netif_alloc(ni, NETIF_L4_OFF + rx->l4_len);
	if (!b) {
		icmp->stats[ICMP_STAT_TX_NOBUF]++;
		return;
	}
	memcpy(b + NETIF_L4_OFF, rx->buf + rx->l4_off, rx->l4_len);
	m = (struct wire_icmp *)(b + NETIF_L4_OFF);
	/* Only the type changes: RFC 1624 incremental update. */
	m->csum = wire_csum_update16(
		m->csum, (uint16_t)(m->type << 8 | m->code),
		(uint16_t)(WIRE_ICMP_ECHOREPLY << 8 | m->code));
	m->type = WIRE_ICMP_ECHOREPLY;
	if (!ipv4_output(ni, b, rx->l4_len, WIRE_IPPROTO_ICMP, rx->saddr, false,
			 now_ms))
		icmp->stats[ICMP_STAT_TX_ECHO_REPLY]++;
}

/**
 * icmp_input() - an ICMP message for us
 * @ni:		endpoint
 * @rx:		the datagram (its buffer is consumed)
 * @now_ms:	current time
 */
void icmp_input(struct netif *ni, struct ipv4_rx *rx, uint64_t now_ms)
{
	struct icmp *icmp = &ni->icmp;
	const struct wire_icmp *m;

	icmp->stats[ICMP_STAT_RX]++;
	if (rx->l4_len < sizeof(*m)) {
		icmp->stats[ICMP_STAT_RX_SHORT]++;
		goto out;
	}
	m = (const struct wire_icmp *)(rx->buf + rx->l4_off);
	if (!wire_csum_ok(wire_csum_add(m, rx->l4_len, 0))) {
		icmp->stats[ICMP_STAT_RX_CSUM]++;
		goto out;
	}

	switch (m->type) {
	case WIRE_ICMP_ECHO:
		icmp_echo(ni, rx, now_ms);
		break;
	case WIRE_ICMP_DEST_UNREACH:
		if (m->code == WIRE_ICMP_FRAG_NEEDED) {
			icmp_frag_needed(ni, m, rx->l4_len);
			break;
		}
		/* never from an error sent to a broadcast (RFC 1122
		 * 3.2.2: a host does not answer those, nor heed them) */
		if (!rx->bcast)
			icmp_unreach(ni, m, rx->l4_len);
		icmp->stats[ICMP_STAT_RX_ERROR]++;
		break;
	case WIRE_ICMP_TIME_EXCEEDED:
	case WIRE_ICMP_PARAMPROB:
	case 4: /* source quench, deprecated by RFC 6633 */
	case 5: /* redirect: a host on one link has nothing to learn */
		icmp->stats[ICMP_STAT_RX_ERROR]++;
		break;
	default:
		icmp->stats[ICMP_STAT_RX_OTHER]++;
	}
out:
	netif_free(ni, rx->buf);
}
