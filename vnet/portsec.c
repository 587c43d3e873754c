// SPDX-License-Identifier: MIT
/*
 * portsec.c - port security: a port locked to its MAC and IP addresses
 *
 * See portsec.h for the policy. The frame has been through frame_parse():
 * its L3 header (if IP) is complete and its offsets are within the frame;
 * ARP is checked for length here.
 */
#include <netinet/in.h>
#include <string.h>

#include "portsec.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd
#define ARP_LEN 28 /* Ethernet/IPv4 ARP */
#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67

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
 * Return: true if its source is ours, or 0.0.0.0 from the DHCP client port
 */
static bool portsec_ipv4(const struct portsec *ps, const uint8_t *eth,
			 const struct frame_info *fi)
{
	const uint8_t *ip = eth + fi->l3_off, *udp;

	if (portsec_ip4_ok(ps, ip + 12))
		return true;
	if (!portsec_zero(ip + 12, 4) || fi->l4_proto != IPPROTO_UDP ||
	    !fi->l4_off || fi->l4_off + 8u > fi->eth_len)
		return false;
	udp = eth + fi->l4_off;
	return ((udp[0] << 8) | udp[1]) == DHCP_CLIENT_PORT &&
	       ((udp[2] << 8) | udp[3]) == DHCP_SERVER_PORT;
}

/**
 * portsec_ipv6() - may this IPv6 packet leave the port?
 * @ps:		policy
 * @eth:	frame
 * @fi:		what frame_parse() found
 *
 * Return: true if its source is ours, link-local, or :: in ICMPv6 (DAD)
 */
static bool portsec_ipv6(const struct portsec *ps, const uint8_t *eth,
			 const struct frame_info *fi)
{
	const uint8_t *src = eth + fi->l3_off + 8;
	unsigned i;

	for (i = 0; i < ps->n6; i++)
		if (!memcmp(ps->ip6[i], src, 16))
			return true;
	if (src[0] == 0xfe && (src[1] & 0xc0) == 0x80)
		return true;
	/* Next header right after the fixed header only: DAD messages
	 * carry no extension headers (RFC 4861 7.1 forbids none, but a
	 * kernel sends none). */
	return portsec_zero(src, 16) && eth[fi->l3_off + 6] == IPPROTO_ICMPV6;
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
