#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""badframes.py - hostile frames from inside a tenant, for a bounded time.

Run inside the tenant's namespace; sends through a packet socket on IFACE,
with a virtio-net header (PACKET_VNET_HDR) so that GSO and checksum offload
metadata are the sender's to choose, as a malicious guest kernel's would be.

malformed: for --seconds (at most --count frames), cycle through broken
    frames towards --dst MACs: Ethernet header only, IPv4 with impossible
    header and total lengths or a wrong header checksum, garbage options, TCP with bad data offsets,
    bogus and overlapping fragments, IPv6 with lying payload lengths and
    looping extension headers, stacked VLAN tags, runt ARP, random bytes,
    and GSO frames whose metadata lies (segment size 1 or huge, header
    length past the end, checksum offsets out of bounds, TCP metadata on
    UDP, UDP metadata on TCP). The kernel refuses some of them (counted as
    refused); the rest reach the switch.
macflood: --count frames, each from a new random unicast source MAC, to
    --dst (the first one), as fast as the socket takes them; with --pool N,
    the sources cycle through N random addresses, so that those a switch
    learned stay fresh and its table stays full.
csumspoof: --count gratuitous ARPs from our own MAC and --src-ip (which
    port security lets through) whose virtio-net header asks for a checksum
    to be completed over the sender address: completing it would write
    --victim-ip's low half there, claiming that address after the check.
    The switch must refuse the request (drop reason csum).
spoof: UDP datagrams to --dst (the first one) and --dst-ip that claim to
    come from someone else, in turn: --src-mac with --src-ip (impersonating
    that host), our own MAC with --src-ip (a forged address only), and a
    random MAC with a random address of --src-ip's /16; for --seconds, at
    most --count frames. A locked port must drop every one as spoofed.

Prints one JSON line: {"sent": N, "refused": M}.
"""
import argparse
import json
import os
import random
import socket
import struct
import time

PACKET_VNET_HDR = 15
SOL_PACKET = 263
ETH_P_ALL = 0x0003
VNET_HDR = struct.Struct("<BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4 = 0, 1, 3, 4, 5
NEEDS_CSUM = 1


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip_csum(data):
    """RFC 1071 checksum of an even number of bytes."""
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, ihl=5, total=None, frag=0, opts=b"",
         src=bytes([10, 250, 0, 1]), dst=bytes([10, 250, 0, 2]), good_csum=True):
    """An IPv4 packet; its header checksum is right unless good_csum is
    False, so that each malformed packet is caught for what it breaks."""
    hdr_len = ihl * 4
    total = total if total is not None else 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | (ihl & 15), 0, total & 0xFFFF,
                    random.getrandbits(16), frag, 64, proto, 0, src, dst)
    h = h + opts if hdr_len >= 20 else h
    c = ip_csum(h[:max(20, min(hdr_len, len(h)))]) if good_csum else 0xDEAD
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def tcp(doff=5, payload=b""):
    return struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, (doff & 15) << 4, 0x18,
                       65535, 0, 0) + payload


def udp(length=None, payload=b""):
    return struct.pack("!HHHH", 1234, 53,
                       (length if length is not None else 8 + len(payload)) & 0xFFFF,
                       0) + payload


def ipv6(nh, payload, plen=None):
    return struct.pack("!IHBB16s16s", 6 << 28,
                       (plen if plen is not None else len(payload)) & 0xFFFF,
                       nh, 64, b"\xfd" + b"\x00" * 14 + b"\x01",
                       b"\xfd" + b"\x00" * 14 + b"\x02") + payload


def malformed(rnd, dst, src):
    """Yield (vnet header, frame) pairs, forever, in a fixed cycle."""
    eth4 = dst + src + b"\x08\x00"
    eth6 = dst + src + b"\x86\xdd"
    none = VNET_HDR.pack(0, GSO_NONE, 0, 0, 0, 0)
    big = os.urandom(3000)
    while True:
        yield none, dst + src + b"\x08\x00"                              # Ethernet only
        yield none, eth4 + b"\x45\x00"                                    # cut IPv4 header
        yield none, eth4 + ipv4(6, tcp(), ihl=15)                         # IHL past the end
        yield none, eth4 + ipv4(6, tcp(), ihl=3)                          # IHL < 5
        yield none, eth4 + ipv4(17, udp(), good_csum=False)               # header checksum
        yield none, eth4 + ipv4(17, udp(), total=60000)                   # total > frame
        yield none, eth4 + ipv4(17, udp(), total=8)                       # total < header
        yield none, eth4 + ipv4(6, tcp(), ihl=15, opts=os.urandom(40))    # garbage options
        yield none, eth4 + ipv4(6, tcp(doff=0))                           # TCP offset 0
        yield none, eth4 + ipv4(6, tcp(doff=15))                          # TCP offset past end
        yield none, eth4 + ipv4(17, udp(length=4000))                     # UDP length lies
        yield none, eth4 + ipv4(17, udp(payload=big[:64]),
                                frag=0x2000 | rnd.randrange(0x1FFF))      # bogus fragment
        yield none, eth4 + ipv4(17, big[:1400], frag=0x1FFF)              # fragment past 64K
        yield none, eth6 + ipv6(6, tcp(), plen=9000)                      # payload length lies
        yield none, eth6 + ipv6(0, b"\x00\x00" + b"\x00" * 6 * 100)       # hop-by-hop chain
        yield none, dst + src + b"\x81\x00" * 20 + b"\x08\x00" + ipv4(6, tcp())  # VLAN stack
        yield none, dst + src + b"\x08\x06" + b"\x00\x01\x08"             # runt ARP
        yield none, dst + src + os.urandom(2) + os.urandom(rnd.randrange(1, 200))
        # Offload metadata that lies.
        p4 = eth4 + ipv4(6, tcp(payload=big[:2800]))
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, 54, 1, 34, 16), p4    # segment size 1
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, 54, 65535, 34, 16), p4
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, 4000, 1000, 34, 16), p4  # hdr_len past end
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_NONE, 0, 0, 3000, 16), p4    # csum start past end
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_NONE, 0, 0, 34, 3000), p4    # csum offset past end
        u4 = eth4 + ipv4(17, udp(payload=big[:2800]))
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, 42, 1000, 34, 16), u4  # TCP GSO on UDP
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_UDP_L4, 42, 1000, 34, 6), p4  # USO on TCP
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_UDP, 42, 1000, 34, 6), u4     # UFO
        p6 = eth6 + ipv6(6, tcp(payload=big[:2800]))
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV6, 74, 1000, 54, 16), p4  # v6 GSO on v4
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, 74, 1000, 54, 16), p6  # v4 GSO on v6
        yield VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV6, 74, 1000, 54, 16),     \
            eth6 + ipv6(6, tcp(doff=15, payload=big[:2000]))             # bad offset, GSO
        yield VNET_HDR.pack(rnd.getrandbits(8), rnd.getrandbits(8), rnd.getrandbits(16),
                            rnd.getrandbits(16), rnd.getrandbits(16),
                            rnd.getrandbits(16)), p4                      # random metadata


def spoofed(rnd, dst, src, victim_mac, victim_ip, dst_ip):
    """Yield frames with a forged source, forever, in a fixed cycle."""
    none = VNET_HDR.pack(0, GSO_NONE, 0, 0, 0, 0)
    payload = udp(payload=b"s" * 18)
    while True:
        rand_mac = bytes([(rnd.getrandbits(8) & 0xFC) | 0x02]) + rnd.randbytes(5)
        rand_ip = victim_ip[:2] + rnd.randbytes(2)
        for smac, sip in ((victim_mac, victim_ip), (src, victim_ip), (rand_mac, rand_ip)):
            yield none + dst + smac + b"\x08\x00" + ipv4(17, payload, src=sip, dst=dst_ip)


def csum_spoof_arp(dst, src, own_ip, victim_ip):
    """A gratuitous ARP from own_ip with NEEDS_CSUM over its sender address.

    The checksum covers eth[30:] (the low half of the sender address and
    on) and is stored at eth[30]; one padding word is chosen so that it
    comes out as the victim's low half: the sum of the rest, S, plus the
    word P must fold to ~V, so P = ~V + ~S (ones' complement)."""
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src + own_ip + bytes(6) + own_ip
    eth = bytearray(dst + src + b"\x08\x06" + arp + bytes(60 - 14 - len(arp)))
    want = ~struct.unpack("!H", victim_ip[2:])[0] & 0xFFFF
    rest = ~ip_csum(bytes(eth[30:])) & 0xFFFF  # S, folded
    p = want + (~rest & 0xFFFF)
    while p >> 16:
        p = (p & 0xFFFF) + (p >> 16)
    struct.pack_into("!H", eth, 44, p)
    hdr = VNET_HDR.pack(NEEDS_CSUM, GSO_NONE, 0, 0, 30, 0)
    return hdr + bytes(eth)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("malformed", "macflood", "spoof", "csumspoof"))
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst", action="append", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pool", type=int, default=0,
                    help="macflood: cycle through this many sources (0: new ones)")
    ap.add_argument("--src-mac", help="spoof: the MAC to impersonate")
    ap.add_argument("--src-ip", help="spoof: the IPv4 address to impersonate")
    ap.add_argument("--dst-ip", help="spoof: destination IPv4 address")
    ap.add_argument("--victim-ip", help="csumspoof: the IPv4 address to claim")
    a = ap.parse_args()
    if a.mode == "spoof" and not (a.src_mac and a.src_ip and a.dst_ip):
        ap.error("spoof needs --src-mac, --src-ip and --dst-ip")

    rnd = random.Random(a.seed)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((a.iface, 0))
    src = bytes.fromhex(open(f"/sys/class/net/{a.iface}/address").read().strip().replace(":", ""))
    dsts = [mac(d) for d in a.dst]
    deadline = time.monotonic() + a.seconds
    sent = refused = 0

    if a.mode == "csumspoof":
        if not (a.src_ip and a.victim_ip):
            ap.error("csumspoof needs --src-ip and --victim-ip")
        frame = csum_spoof_arp(dsts[0], src, socket.inet_aton(a.src_ip),
                               socket.inet_aton(a.victim_ip))
        while sent + refused < a.count and time.monotonic() < deadline:
            try:
                s.send(frame)
                sent += 1
            except OSError:
                refused += 1
    elif a.mode == "malformed":
        gens = [malformed(rnd, d, src) for d in dsts]
        i = 0
        while sent + refused < a.count and time.monotonic() < deadline:
            hdr, frame = next(gens[i % len(gens)])
            i += 1
            try:
                s.send(hdr + frame)
                sent += 1
            except OSError:
                refused += 1
    elif a.mode == "spoof":
        gen = spoofed(rnd, dsts[0], src, mac(a.src_mac), socket.inet_aton(a.src_ip),
                      socket.inet_aton(a.dst_ip))
        while sent + refused < a.count:
            if (sent & 1023) == 0 and time.monotonic() > deadline:
                break
            try:
                s.send(next(gen))
                sent += 1
            except OSError:
                refused += 1
    else:
        none = VNET_HDR.pack(0, GSO_NONE, 0, 0, 0, 0)
        payload = b"\x08\x00" + ipv4(17, udp(payload=b"x" * 18))
        dst = dsts[0]

        def source():
            m = rnd.getrandbits(48).to_bytes(6, "big")
            return bytes([(m[0] & 0xFC) | 0x02]) + m[1:]  # unicast, local

        pool = [source() for _ in range(a.pool)]
        while sent + refused < a.count:
            if (sent & 1023) == 0 and time.monotonic() > deadline:
                break
            m = pool[(sent + refused) % a.pool] if pool else source()
            try:
                s.send(none + dst + m + payload)
                sent += 1
            except OSError:
                refused += 1
    print(json.dumps({"sent": sent, "refused": refused}))


if __name__ == "__main__":
    main()
