// SPDX-License-Identifier: MIT
/*
 * test_portsec.c - unit tests of port security (vnet/portsec.c)
 *
 * Frames come from the shared test frame builder (source 52:54:00:00:00:01,
 * 10.0.0.1 / fd00::1), go through frame_parse() as on the data path, and
 * are then judged against policies that do or do not match them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "../lib/cunit_run.h"
#include "../lib/frame_builder.h"
#include "portsec.h"

static uint8_t buf[TB_CAP];

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };

/* A policy for our MAC, with 10.0.0.1 and fd00::1 if @ip. */
static void test_policy(struct portsec *ps, bool ip)
{
	memset(ps, 0, sizeof(*ps));
	memcpy(ps->mac, our_mac, 6);
	ps->lock_ip = ip;
	if (!ip)
		return;
	inet_pton(AF_INET, "10.0.0.1", ps->ip4[0]);
	ps->n4 = 1;
	inet_pton(AF_INET6, "fd00::1", ps->ip6[0]);
	ps->n6 = 1;
}

/* Build @s, parse it; return whether @ps lets it through. */
static bool test_judge(const struct portsec *ps, const struct tb_spec *s,
		       void (*edit)(struct tb_frame *f))
{
	struct frame_info fi;
	struct tb_frame f;
	size_t len = tb_build(buf, s, &f);

	if (edit)
		edit(&f);
	if (s->l3 == 4)
		tb_ip4_csum(&f);
	CU_ASSERT_EQUAL_FATAL(frame_parse(buf, len, &fi), FRAME_OK);
	return portsec_allows(ps, f.eth, &fi);
}

static void edit_src_mac(struct tb_frame *f) { f->eth[11] = 0x99; }
static void edit_ip4_src(struct tb_frame *f) { f->eth[f->l3_off + 15] = 7; }
static void edit_ip4_zero(struct tb_frame *f) { memset(f->eth + f->l3_off + 12, 0, 4); }
static void edit_dhcp(struct tb_frame *f)
{
	memset(f->eth + f->l3_off + 12, 0, 4);
	tb_be16(f->eth + f->l4_off, 68);
	tb_be16(f->eth + f->l4_off + 2, 67);
}
/* A DHCP reply from our own address, or a DHCPv6 one from link-local */
static void edit_dhcp_reply(struct tb_frame *f)
{
	tb_be16(f->eth + f->l4_off, 67);
	tb_be16(f->eth + f->l4_off + 2, 68);
}
static void edit_ip6_src(struct tb_frame *f) { f->eth[f->l3_off + 23] = 9; }
/* Our link-local address, the kernel's from our MAC (RFC 4291 2.5.1,
 * modified EUI-64): fe80::5054:ff:fe00:1 */
static void put_our_ll(uint8_t *a)
{
	static const uint8_t ll[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
					0x50, 0x54, 0x00, 0xff,
					0xfe, 0x00, 0x00, 0x01 };

	memcpy(a, ll, 16);
}
/* Someone else's link-local address: fe80::9 */
static void put_their_ll(uint8_t *a)
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[15] = 9;
}
static void edit_ip6_ll(struct tb_frame *f) { put_our_ll(f->eth + f->l3_off + 8); }
static void edit_ip6_their_ll(struct tb_frame *f)
{
	put_their_ll(f->eth + f->l3_off + 8);
}
/* Our MAC's interface identifier under another prefix than fe80::/64 */
static void edit_ip6_ll_subnet(struct tb_frame *f)
{
	edit_ip6_ll(f);
	f->eth[f->l3_off + 8 + 7] = 1;
}
/* fe80::1234, given to the port as one of its addresses */
static void edit_ip6_ll_conf(struct tb_frame *f)
{
	put_their_ll(f->eth + f->l3_off + 8);
	f->eth[f->l3_off + 8 + 14] = 0x12;
	f->eth[f->l3_off + 8 + 15] = 0x34;
}
static void edit_ip6_zero(struct tb_frame *f) { memset(f->eth + f->l3_off + 8, 0, 16); }
static void edit_dhcp6(struct tb_frame *f)
{
	edit_ip6_ll(f);
	tb_be16(f->eth + f->l4_off, 546);
	tb_be16(f->eth + f->l4_off + 2, 547);
}
static void edit_dhcp6_reply(struct tb_frame *f)
{
	edit_ip6_ll(f);
	tb_be16(f->eth + f->l4_off, 547);
	tb_be16(f->eth + f->l4_off + 2, 546);
}

#define TGT_OUR_LL   0    /* target our link-local address */
#define TGT_THEIR_LL 0xff /* target fe80::9 */

/* Neighbour discovery (32 bytes of ICMPv6) from our link-local address:
 * @type, target fd00::@tgt (or TGT_OUR_LL, TGT_THEIR_LL), one link-layer
 * address option (type @opt) with our MAC, or another if @other_mac. */
static void nd_edit(struct tb_frame *f, uint8_t type, uint8_t tgt,
		    uint8_t opt, bool other_mac)
{
	uint8_t *icmp = f->eth + f->l4_off;

	edit_ip6_ll(f);
	memset(icmp, 0, 32);
	icmp[0] = type;
	if (tgt == TGT_OUR_LL) {
		put_our_ll(icmp + 8);
	} else if (tgt == TGT_THEIR_LL) {
		put_their_ll(icmp + 8);
	} else {
		icmp[8] = 0xfd;
		icmp[23] = tgt;
	}
	icmp[24] = opt;
	icmp[25] = 1;
	memcpy(icmp + 26, our_mac, 6);
	if (other_mac)
		icmp[31] = 0x77;
}
static void edit_na_ours(struct tb_frame *f) { nd_edit(f, 136, 1, 2, false); }
static void edit_na_ll(struct tb_frame *f) { nd_edit(f, 136, TGT_OUR_LL, 2, false); }
static void edit_na_their_ll(struct tb_frame *f)
{
	nd_edit(f, 136, TGT_THEIR_LL, 2, false);
}
/* The same, from fe80::9 itself */
static void edit_na_their_ll_from(struct tb_frame *f)
{
	nd_edit(f, 136, TGT_THEIR_LL, 2, false);
	edit_ip6_their_ll(f);
}
static void edit_na_ll_conf(struct tb_frame *f)
{
	nd_edit(f, 136, TGT_THEIR_LL, 2, false);
	f->eth[f->l4_off + 22] = 0x12;
	f->eth[f->l4_off + 23] = 0x34;
}
/* A neighbour solicitation from fe80::9 with our MAC as its source
 * link-layer address: its target learns fe80::9 is at our MAC (RFC
 * 4861 7.2.3) */
static void edit_ns_from_their_ll(struct tb_frame *f)
{
	nd_edit(f, 135, 2, 1, false);
	edit_ip6_their_ll(f);
}
/* Duplicate address detection (from ::, no option) for @tgt: a node
 * doing DAD for that address gives it up (RFC 4862 5.4.3) */
static void dad_edit(struct tb_frame *f, uint8_t tgt)
{
	nd_edit(f, 135, tgt, 1, false);
	edit_ip6_zero(f);
	/* a nonce option (RFC 7527), never a source link-layer address */
	memset(f->eth + f->l4_off + 24, 0x5a, 8);
	f->eth[f->l4_off + 24] = 14;
	f->eth[f->l4_off + 25] = 1;
}
static void edit_dad_ours(struct tb_frame *f) { dad_edit(f, 1); }
static void edit_dad_our_ll(struct tb_frame *f) { dad_edit(f, TGT_OUR_LL); }
static void edit_dad_theirs(struct tb_frame *f) { dad_edit(f, 2); }
static void edit_dad_their_ll(struct tb_frame *f) { dad_edit(f, TGT_THEIR_LL); }
static void edit_na_theirs(struct tb_frame *f) { nd_edit(f, 136, 2, 2, false); }
static void edit_na_their_mac(struct tb_frame *f) { nd_edit(f, 136, 1, 2, true); }
static void edit_ns_theirs(struct tb_frame *f) { nd_edit(f, 135, 2, 1, false); }
static void edit_ns_their_mac(struct tb_frame *f) { nd_edit(f, 135, 2, 1, true); }
static void edit_ns_opt_len0(struct tb_frame *f)
{
	nd_edit(f, 135, 2, 1, false);
	f->eth[f->l4_off + 25] = 0;
}
static void edit_ns_opt_long(struct tb_frame *f)
{
	nd_edit(f, 135, 2, 1, false);
	f->eth[f->l4_off + 25] = 2; /* 16 bytes: past the packet */
}
static void edit_ra(struct tb_frame *f) { nd_edit(f, 134, 0, 1, false); }
static void edit_redirect(struct tb_frame *f) { nd_edit(f, 137, 2, 2, false); }
static void edit_arp_sender_ip(struct tb_frame *f) { f->eth[f->l3_off + 17] = 5; }
static void edit_arp_sender_mac(struct tb_frame *f) { f->eth[f->l3_off + 13] = 5; }
static void edit_arp_probe(struct tb_frame *f) { memset(f->eth + f->l3_off + 14, 0, 4); }
static void edit_ethertype(struct tb_frame *f) { tb_be16(f->eth + 12, 0x88cc); /* LLDP */ }

static void test_mac_only(void)
{
	struct tb_spec tcp4 = { .l3 = 4, .proto = IPPROTO_TCP, .payload = 100 };
	struct tb_spec arp = { .l3 = 0 };
	struct portsec ps;

	test_policy(&ps, false);
	CU_ASSERT(test_judge(&ps, &tcp4, NULL));
	CU_ASSERT(!test_judge(&ps, &tcp4, edit_src_mac));
	/* Without addresses, IP sources are not policed. */
	CU_ASSERT(test_judge(&ps, &tcp4, edit_ip4_src));
	CU_ASSERT(test_judge(&ps, &arp, edit_arp_sender_ip));
	CU_ASSERT(test_judge(&ps, &arp, edit_ethertype));
}

static void test_ipv4(void)
{
	struct tb_spec tcp4 = { .l3 = 4, .proto = IPPROTO_TCP, .payload = 100 };
	struct tb_spec udp4 = { .l3 = 4, .proto = IPPROTO_UDP, .payload = 300 };
	struct tb_spec vlan = { .vlan = 0x8100, .l3 = 4, .proto = IPPROTO_UDP };
	struct portsec ps;

	test_policy(&ps, true);
	CU_ASSERT(test_judge(&ps, &tcp4, NULL));
	CU_ASSERT(!test_judge(&ps, &tcp4, edit_src_mac));
	CU_ASSERT(!test_judge(&ps, &tcp4, edit_ip4_src));
	CU_ASSERT(!test_judge(&ps, &tcp4, edit_ip4_zero));
	CU_ASSERT(!test_judge(&ps, &udp4, edit_ip4_zero));
	CU_ASSERT(test_judge(&ps, &udp4, edit_dhcp));
	CU_ASSERT(test_judge(&ps, &udp4, NULL));
	CU_ASSERT(!test_judge(&ps, &udp4, edit_dhcp_reply));
	CU_ASSERT(!test_judge(&ps, &vlan, NULL));
	/* A second address of the port is as good as the first. */
	inet_pton(AF_INET, "10.0.0.7", ps.ip4[1]);
	ps.n4 = 2;
	CU_ASSERT(test_judge(&ps, &tcp4, edit_ip4_src));
}

static void test_ipv6(void)
{
	struct tb_spec tcp6 = { .l3 = 6, .proto = IPPROTO_TCP, .payload = 100 };
	struct tb_spec icmp6 = { .l3 = 6, .proto = IPPROTO_ICMPV6, .payload = 24 };
	struct tb_spec udp6 = { .l3 = 6, .proto = IPPROTO_UDP, .payload = 100 };
	struct portsec ps;

	test_policy(&ps, true);
	CU_ASSERT(test_judge(&ps, &tcp6, NULL));
	CU_ASSERT(!test_judge(&ps, &tcp6, edit_ip6_src));
	/* link-local: the one from our MAC, not another tenant's */
	CU_ASSERT(test_judge(&ps, &tcp6, edit_ip6_ll));
	CU_ASSERT(!test_judge(&ps, &tcp6, edit_ip6_their_ll));
	CU_ASSERT(!test_judge(&ps, &tcp6, edit_ip6_ll_subnet));
	CU_ASSERT(!test_judge(&ps, &tcp6, edit_ip6_ll_conf));
	CU_ASSERT(!test_judge(&ps, &tcp6, edit_ip6_zero));
	CU_ASSERT(test_judge(&ps, &icmp6, edit_ip6_zero));
	CU_ASSERT(test_judge(&ps, &udp6, edit_dhcp6));
	CU_ASSERT(!test_judge(&ps, &udp6, edit_dhcp6_reply));
	/* a link-local address given to the port is one of its own */
	inet_pton(AF_INET6, "fe80::1234", ps.ip6[1]);
	ps.n6 = 2;
	CU_ASSERT(test_judge(&ps, &tcp6, edit_ip6_ll_conf));
	CU_ASSERT(test_judge(&ps, &tcp6, edit_ip6_ll));
	CU_ASSERT(!test_judge(&ps, &tcp6, edit_ip6_their_ll));
}

/**
 * test_nd() - neighbour discovery is held to ARP's rule: advertise only
 * our own addresses and MAC; no router advertisements or redirects
 */
static void test_nd(void)
{
	struct tb_spec nd = { .l3 = 6, .proto = IPPROTO_ICMPV6, .payload = 32 };
	struct portsec ps;

	test_policy(&ps, true);
	CU_ASSERT(test_judge(&ps, &nd, edit_na_ours));
	CU_ASSERT(test_judge(&ps, &nd, edit_na_ll));
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_theirs));
	/* another tenant's link-local address is not ours to announce */
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_their_ll));
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_their_ll_from));
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_ll_conf));
	CU_ASSERT(!test_judge(&ps, &nd, edit_ns_from_their_ll));
	/* DAD only for our own addresses */
	CU_ASSERT(test_judge(&ps, &nd, edit_dad_ours));
	CU_ASSERT(test_judge(&ps, &nd, edit_dad_our_ll));
	CU_ASSERT(!test_judge(&ps, &nd, edit_dad_theirs));
	CU_ASSERT(!test_judge(&ps, &nd, edit_dad_their_ll));
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_their_mac));
	CU_ASSERT(test_judge(&ps, &nd, edit_ns_theirs));
	CU_ASSERT(!test_judge(&ps, &nd, edit_ns_their_mac));
	CU_ASSERT(!test_judge(&ps, &nd, edit_ns_opt_len0));
	CU_ASSERT(!test_judge(&ps, &nd, edit_ns_opt_long));
	CU_ASSERT(!test_judge(&ps, &nd, edit_ra));
	CU_ASSERT(!test_judge(&ps, &nd, edit_redirect));
	/* a link-local address given to the port may be announced */
	inet_pton(AF_INET6, "fe80::1234", ps.ip6[1]);
	ps.n6 = 2;
	CU_ASSERT(test_judge(&ps, &nd, edit_na_ll_conf));
	CU_ASSERT(test_judge(&ps, &nd, edit_na_ll));
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_their_ll));
	/* a port locked to its MAC only does not police IP */
	test_policy(&ps, false);
	CU_ASSERT(test_judge(&ps, &nd, edit_na_theirs));
	CU_ASSERT(test_judge(&ps, &nd, edit_na_their_ll));
	CU_ASSERT(test_judge(&ps, &nd, edit_ra));
}

/**
 * test_nd_long_chain() - neighbour discovery behind an extension header
 * chain too long for frame_parse() to follow is not let through unseen:
 * a Linux receiver walks any number of them to the router advertisement
 */
static void test_nd_long_chain(void)
{
	static const uint8_t ext[] = {
		IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS,
		IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS,
		IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS};
	struct tb_spec nd = { .l3 = 6, .proto = IPPROTO_ICMPV6, .payload = 32,
			      .ext6 = ext, .n_ext6 = 8 };
	struct tb_spec tcp6 = { .l3 = 6, .proto = IPPROTO_TCP, .payload = 100,
				.ext6 = ext, .n_ext6 = 9 };
	struct portsec ps;

	test_policy(&ps, true);
	/* eight: frame_parse() finds the ICMPv6 header, portsec judges it */
	CU_ASSERT(!test_judge(&ps, &nd, edit_ra));
	CU_ASSERT(test_judge(&ps, &nd, edit_na_ours));
	/* nine: it does not; neither passes unjudged */
	nd.n_ext6 = 9;
	CU_ASSERT(!test_judge(&ps, &nd, edit_ra));
	CU_ASSERT(!test_judge(&ps, &nd, edit_na_theirs));
	CU_ASSERT(!test_judge(&ps, &tcp6, NULL));
	/* a port locked to its MAC only does not police IP */
	test_policy(&ps, false);
	CU_ASSERT(test_judge(&ps, &tcp6, NULL));
}

static void test_arp_and_others(void)
{
	struct tb_spec arp = { .l3 = 0 };
	struct portsec ps;

	test_policy(&ps, true);
	CU_ASSERT(test_judge(&ps, &arp, NULL));
	CU_ASSERT(!test_judge(&ps, &arp, edit_arp_sender_ip));
	CU_ASSERT(!test_judge(&ps, &arp, edit_arp_sender_mac));
	CU_ASSERT(test_judge(&ps, &arp, edit_arp_probe));
	CU_ASSERT(!test_judge(&ps, &arp, edit_ethertype));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "MAC lock only", test_mac_only },
		{ "IPv4 sources", test_ipv4 },
		{ "IPv6 sources", test_ipv6 },
		{ "neighbour discovery", test_nd },
		{ "neighbour discovery behind a long chain", test_nd_long_chain },
		{ "ARP and other ethertypes", test_arp_and_others },
	};

	return cunit_run("portsec", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
