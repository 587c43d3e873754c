// SPDX-License-Identifier: MIT
/*
 * portsec.c - port security: a port locked to its MAC and IP addresses
 *
 * See portsec.h for the policy. The frame has been through frame_parse():
 * its L3 header (if IP) is complete and its offsets are within the frame;
 * ARP is checked for length here.
 */
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>

#include "portsec.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd
#define ARP_LEN 28 /* Ethernet/IPv4 ARP */
#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547

/**
 * portsec_udp_is() - is this a UDP datagram from port @sport to @dport?
 * @eth:	frame
 * @fi:		what frame_parse() found
 * @sport:	source port
 * @dport:	destination port
 *
 * Return: true if its UDP header is there and has those ports
 */
static bool portsec_udp_is(const uint8_t *eth, const struct frame_info *fi,
			   int sport, int dport)
{
	const uint8_t *udp = eth + fi->l4_off;

	return fi->l4_proto == IPPROTO_UDP && fi->l4_off &&
	       fi->l4_off + 8u <= fi->eth_len &&
	       ((udp[0] << 8) | udp[1]) == sport &&
	       ((udp[2] << 8) | udp[3]) == dport;
}

static bool portsec_ip4_ok(const struct portsec *ps, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < ps->n4; i++)
		if (!memcmp(ps->ip4[i], a, 4))
			return true;
	return false;
}

static bool portsec_zero(const uint8_t *a, unsigned n)
{
	while (n--)
		if (*a++)
			return false;
	return true;
}

/**
 * portsec_ipv4() - may this IPv4 packet leave the port?
 * @ps:		policy
 * @eth:	frame
 * @fi:		what frame_parse() found
 *
 * A locked tenant is a DHCP client, never a server: a DHCP reply (server
 * port to client port) does not leave, whatever its source, or it could
 * hand its neighbours another gateway or DNS server.
 *
 * Return: true if its source is ours, or 0.0.0.0 from the DHCP client port
 */
static bool portsec_ipv4(const struct portsec *ps, const uint8_t *eth,
			 const struct frame_info *fi)
{
	const uint8_t *ip = eth + fi->l3_off;

	if (portsec_udp_is(eth, fi, DHCP_SERVER_PORT, DHCP_CLIENT_PORT))
		return false;
	if (portsec_ip4_ok(ps, ip + 12))
		return true;
	return portsec_zero(ip + 12, 4) &&
	       portsec_udp_is(eth, fi, DHCP_CLIENT_PORT, DHCP_SERVER_PORT);
}

static bool portsec_ip6_ok(const struct portsec *ps, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < ps->n6; i++)
		if (!memcmp(ps->ip6[i], a, 16))
			return true;
	return false;
}

/**
 * portsec_ll_derived() - is this the link-local address of the port's MAC?
 * @ps:		policy
 * @a:		IPv6 address
 *
 * What the tenant's kernel makes up by default: fe80::/64 and the
 * modified EUI-64 interface identifier of the MAC, its universal/local
 * bit inverted and ff:fe in the middle (RFC 4862 5.3, RFC 4291 2.5.1 and
 * appendix A).
 *
 * Return: true if @a is fe80::<EUI-64 of ps->mac>
 */
static bool portsec_ll_derived(const struct portsec *ps, const uint8_t *a)
{
	static const uint8_t prefix[8] = {0xfe, 0x80};
	const uint8_t *m = ps->mac;

	return !memcmp(a, prefix, 8) && a[8] == (m[0] ^ 0x02) && a[9] == m[1] &&
	       a[10] == m[2] && a[11] == 0xff && a[12] == 0xfe &&
	       a[13] == m[3] && a[14] == m[4] && a[15] == m[5];
}

/**
 * portsec_ip6_owned() - is this IPv6 address the port's?
 * @ps:		policy
 * @a:		IPv6 address
 *
 * Return: true for one of the port's addresses (a link-local one among
 * them if it was given one) or the link-local address of its MAC
 */
static bool portsec_ip6_owned(const struct portsec *ps, const uint8_t *a)
{
	return portsec_ip6_ok(ps, a) || portsec_ll_derived(ps, a);
}

/**
 * portsec_nd() - may this ICMPv6 message leave the port?
 * @ps:		policy
 * @icmp:	the ICMPv6 message
 * @len:	its length, up to the end of the IPv6 packet
 * @dad:	the packet's source is :: (duplicate address detection)
 *
 * Neighbour discovery is IPv6's ARP, and is held to the same rule: a
 * neighbour advertisement may only announce one of the port's own
 * addresses (portsec_ip6_owned(): link-local ones too, or a tenant could
 * take over a neighbour's fe80:: address, which routers and link-local
 * services are reached at), and a link-layer address option in any of
 * them only the port's MAC. A solicitation from :: is a node's duplicate
 * address detection for its own tentative address: one for another's
 * address would make that node give it up (RFC 4862 5.4.3), so it is
 * only allowed for the port's. Router advertisements and redirects,
 * which redirect other tenants' traffic, do not leave a locked port
 * (RFC 6104: rogue RAs).
 *
 * Return: true to let it go
 */
static bool portsec_nd(const struct portsec *ps, const uint8_t *icmp,
		       uint32_t len, bool dad)
{
	uint32_t off, olen;

	if (len < 4)
		return false;
	switch (icmp[0]) {
	case ND_ROUTER_SOLICIT:
		off = 8;
		break;
	case ND_NEIGHBOR_SOLICIT:
		if (dad && (len < 24 || !portsec_ip6_owned(ps, icmp + 8)))
			return false;
		off = 24;
		break;
	case ND_NEIGHBOR_ADVERT:
		if (len < 24 || !portsec_ip6_owned(ps, icmp + 8))
			return false;
		off = 24;
		break;
	case ND_ROUTER_ADVERT:
	case ND_REDIRECT:
		return false;
	default:
		return true;
	}
	if (len < off)
		return false;
	/* options: type, length in units of 8 bytes (RFC 4861 4.6) */
	for (; off < len; off += olen) {
		if (len - off < 2 || !icmp[off + 1])
			return false;
		olen = icmp[off + 1] * 8U;
		if (olen > len - off)
			return false;
		if ((icmp[off] == ND_OPT_SOURCE_LINKADDR ||
		     icmp[off] == ND_OPT_TARGET_LINKADDR) &&
		    (olen < 8 || memcmp(icmp + off + 2, ps->mac, 6)))
			return false;
	}
	return true;
}

/**
 * portsec_ipv6() - may this IPv6 packet leave the port?
 * @ps:		policy
 * @eth:	frame
 * @fi:		what frame_parse() found
 *
 * DHCPv6 replies (server or relay port to client port) do not leave, as
 * for IPv4 (portsec_ipv4()). A link-local source must be the port's as
 * much as any other (portsec_ip6_owned()): a neighbour solicitation from
 * another's fe80:: address, with the port's MAC as its link-layer
 * address, tells its target that address is here (RFC 4861 7.2.3).
 *
 * Return: true if its source is ours (link-local included), or :: in
 * ICMPv6 (DAD)
 */
static bool portsec_ipv6(const struct portsec *ps, const uint8_t *eth,
			 const struct frame_info *fi)
{
	const uint8_t *ip = eth + fi->l3_off, *src = ip + 8;
	uint32_t end = fi->l3_off + 40U + (uint32_t)((ip[4] << 8) | ip[5]);

	if (end > fi->eth_len)
		end = fi->eth_len; /* frame_parse() saw to it; to be sure */
	/* An upper-layer header we could not find is not judged, but the
	 * receivers find it: a router advertisement or a neighbour
	 * advertisement for another's address behind nine destination
	 * options headers is one to Linux. What we cannot police does
	 * not leave, as for VLAN tags. */
	if (fi->l4_unknown ||
	    portsec_udp_is(eth, fi, DHCP6_SERVER_PORT, DHCP6_CLIENT_PORT))
		return false;
	if (fi->l4_proto == IPPROTO_ICMPV6 && fi->l4_off &&
	    (fi->l4_off > end ||
	     !portsec_nd(ps, eth + fi->l4_off, end - fi->l4_off,
			 portsec_zero(src, 16))))
		return false;
	if (portsec_ip6_owned(ps, src))
		return true;
	/* Next header right after the fixed header only: DAD messages
	 * carry no extension headers (RFC 4861 7.1 forbids none, but a
	 * kernel sends none). */
	return portsec_zero(src, 16) && ip[6] == IPPROTO_ICMPV6;
}

/**
 * portsec_arp() - may this ARP packet leave the port?
 * @ps:		policy
 * @eth:	frame (untagged: ARP starts at byte 14)
 * @len:	Ethernet frame length
 *
 * Return: true if it is Ethernet/IPv4 ARP whose sender is us (MAC, and one
 * of our addresses or 0.0.0.0 for a probe)
 */
static bool portsec_arp(const struct portsec *ps, const uint8_t *eth,
			uint32_t len)
{
	const uint8_t *arp = eth + ETH_HLEN_MIN;

	if (len < ETH_HLEN_MIN + ARP_LEN || arp[4] != 6 || arp[5] != 4)
		return false;
	if (memcmp(arp + 8, ps->mac, 6))
		return false;
	return portsec_ip4_ok(ps, arp + 14) || portsec_zero(arp + 14, 4);
}

/**
 * portsec_allows() - may a frame from a locked port go on?
 * @ps:		the port's policy
 * @eth:	the Ethernet frame
 * @fi:		what frame_parse() found (it accepted the frame)
 *
 * Return: true to forward it, false to drop it as spoofed
 */
bool portsec_allows(const struct portsec *ps, const uint8_t *eth,
		    const struct frame_info *fi)
{
	if (memcmp(eth + 6, ps->mac, 6))
		return false;
	if (!ps->lock_ip)
		return true;
	if (fi->l3_off != ETH_HLEN_MIN)
		return false; /* VLAN-tagged: not policed, not allowed */
	switch (fi->ethertype) {
	case ETH_P_IPV4:
		return fi->l3 == 4 && portsec_ipv4(ps, eth, fi);
	case ETH_P_IPV6:
		return fi->l3 == 6 && portsec_ipv6(ps, eth, fi);
	case ETH_P_ARP:
		return portsec_arp(ps, eth, fi->eth_len);
	default:
		return false;
	}
}
