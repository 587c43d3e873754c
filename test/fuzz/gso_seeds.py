#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gso_seeds.py - write the seed corpus of fuzz_gso (test/fuzz/corpus/gso/).

Each seed is what a tenant with offloads hands the switch: a virtio-net
header (12 bytes, little-endian) and an Ethernet frame. GSO frames carry
NEEDS_CSUM with the pseudo-header sum (length 0, as Linux leaves it for
TSO/USO) in the checksum field; plain NEEDS_CSUM frames carry the sum with
the length. One GSO frame without NEEDS_CSUM is there to be refused.
The corpus also holds frame_*: copies of test/fuzz/corpus/frame/ seeds.

Usage: test/fuzz/gso_seeds.py [DIR]
"""
import os
import struct
import sys

NEEDS_CSUM = 1
TCPV4, UDP, TCPV6, UDP_L4, ECN = 1, 3, 4, 5, 0x80
SRC4, DST4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
SRC6 = bytes.fromhex("fd000000000000000000000000000001")
DST6 = bytes.fromhex("fd000000000000000000000000000002")


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum(data):
    data += b"\0" * (len(data) & 1)
    return fold(sum(struct.unpack(f"!{len(data) // 2}H", data)))


def pseudo(ver, proto, length):
    if ver == 4:
        return csum(SRC4 + DST4 + struct.pack("!BBH", 0, proto, length))
    return csum(SRC6 + DST6 + struct.pack("!IxxxB", length, proto))


def eth(ethertype, vlan=None):
    h = bytes.fromhex("525400000002525400000001")
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", ethertype)


def ipv4(proto, l4, opts=b"", frag=0x4000):
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(l4), 0x1234,
                    frag, 64, proto, 0, SRC4, DST4) + opts
    return h[:10] + struct.pack("!H", 0xFFFF ^ csum(h)) + h[12:] + l4


def ipv6(proto, l4, ext=b""):
    nh = 0 if ext else proto  # ext: one hop-by-hop header, then proto
    return struct.pack("!IHBB", 6 << 28, len(ext) + len(l4), nh, 64) + SRC6 + DST6 + ext + l4


def hbh(proto):
    return bytes([proto, 0, 1, 4, 0, 0, 0, 0])  # PadN


def tcp(payload, flags=0x18, opts=b""):
    doff = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", 1000, 2000, 0x11223344, 0x55667788, doff << 4,
                       flags, 65535, 0, 0) + opts + payload


def udp(payload):
    return struct.pack("!HHHH", 1000, 2000, 8 + len(payload), 0) + payload


def vnet(flags, gso, hdr_len, gso_size, start, off):
    return struct.pack("<BBHHHHH", flags, gso, hdr_len, gso_size, start, off, 0)


def frame(name, gso, gso_size, ver, proto, payload, needs=True, vlan=None, pad=0,
          flags=0x18, opts=b"", opts4=b"", ext=False):
    l4 = tcp(payload, flags, opts) if proto == 6 else udp(payload)
    l3_off = 18 if vlan is not None else 14
    ip = ipv4(proto, l4, opts4) if ver == 4 else ipv6(proto, l4, hbh(proto) if ext else b"")
    l4_off = len(ip) - len(l4) + l3_off
    cs_off = 16 if proto == 6 else 6
    ps = pseudo(ver, proto, 0 if gso else len(l4))
    l4 = l4[:cs_off] + struct.pack("!H", ps) + l4[cs_off + 2:]
    ip = ip[:len(ip) - len(l4)] + l4
    hlen = l4_off + (len(l4) - len(payload))
    v = vnet(NEEDS_CSUM if needs else 0, gso, hlen, gso_size, l4_off if needs else 0,
             cs_off if needs else 0)
    return name, v + eth(0x0800 if ver == 4 else 0x86DD, vlan) + ip + b"\0" * pad


def pat(n, seed):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


TS = bytes([1, 1, 8, 10]) + bytes(8)  # NOP NOP timestamp
SEEDS = [
    frame("tso4", TCPV4, 1448, 4, 6, pat(4000, 1), opts=TS),
    frame("tso4_fin_cwr_ecn", TCPV4 | ECN, 1000, 4, 6, pat(2500, 2), flags=0x80 | 0x19),
    frame("tso4_one_seg", TCPV4, 1460, 4, 6, pat(100, 3)),
    frame("tso4_no_payload", TCPV4, 1460, 4, 6, b"", flags=0x11),
    frame("tso4_ipopts", TCPV4, 536, 4, 6, pat(1500, 4), opts4=bytes([0x94, 4, 0, 0])),
    frame("tso4_mss1", TCPV4, 1, 4, 6, pat(9, 5)),
    frame("tso6", TCPV6, 1440, 6, 6, pat(3000, 6)),
    frame("tso6_hbh", TCPV6, 1220, 6, 6, pat(2600, 7), ext=True),
    frame("tso6_vlan", TCPV6, 1400, 6, 6, pat(2900, 8), vlan=5),
    frame("uso4", UDP_L4, 1472, 4, 17, pat(3000, 9)),
    frame("uso6", UDP_L4, 1232, 6, 17, pat(3700, 10)),
    frame("uso4_zero_csum", UDP_L4, 8, 4, 17, bytes(24)),
    frame("ufo4", UDP, 1480, 4, 17, pat(4000, 11)),
    frame("ufo4_opts", UDP, 1400, 4, 17, pat(3000, 12),
          opts4=bytes([7, 7, 4]) + bytes(4) + bytes([0x83, 3, 4, 1, 0])),  # RR, LSRR, NOP, EOL
    frame("ufo4_one_frag", UDP, 1480, 4, 17, pat(1000, 13)),
    frame("csum_tcp4", 0, 0, 4, 6, pat(200, 14)),
    frame("csum_tcp4_vlan_padded", 0, 0, 4, 6, pat(3, 15), vlan=7, pad=9),
    frame("csum_udp6", 0, 0, 6, 17, pat(301, 16)),
    frame("csum_udp4_zero", 0, 0, 4, 17, bytes(10)),
    frame("tso4_no_needs_csum", TCPV4, 1448, 4, 6, pat(3000, 17), needs=False),
]

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "gso")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
