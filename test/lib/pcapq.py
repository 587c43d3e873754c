#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pcapq.py - small queries over a classic pcap file (Ethernet link type).

count FILE [--contains STR] [--src-mac MAC] [--dst-mac MAC] [--udp-dport N]:
      number of matching frames (IPv4 UDP only with --udp-dport)
maxlen FILE: largest original (wire) frame length, 0 if none
"""
import argparse
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        gh = f.read(24)
        if len(gh) < 24:
            return
        magic = struct.unpack("<I", gh[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            end = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            end = ">"
        else:
            sys.exit("%s: not a pcap file" % path)
        rec = struct.Struct(end + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            _, _, incl, orig = rec.unpack(h)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield orig, data


def udp_dport(d):
    """Destination port of an untagged IPv4 UDP frame (first fragment), else None."""
    if len(d) < 34 or d[12:14] != b"\x08\x00" or d[23] != 17:
        return None
    if struct.unpack("!H", d[20:22])[0] & 0x1FFF:
        return None
    off = 14 + (d[14] & 0x0F) * 4
    if len(d) < off + 4:
        return None
    return struct.unpack("!H", d[off + 2:off + 4])[0]


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["count", "maxlen"])
    ap.add_argument("file")
    ap.add_argument("--contains")
    ap.add_argument("--src-mac")
    ap.add_argument("--dst-mac")
    ap.add_argument("--udp-dport", type=int)
    a = ap.parse_args()
    if a.cmd == "maxlen":
        print(max((o for o, _ in frames(a.file)), default=0))
        return
    n = 0
    needle = a.contains.encode() if a.contains else None
    src = mac(a.src_mac) if a.src_mac else None
    dst = mac(a.dst_mac) if a.dst_mac else None
    for _, d in frames(a.file):
        if needle is not None and needle not in d:
            continue
        if src is not None and d[6:12] != src:
            continue
        if dst is not None and d[0:6] != dst:
            continue
        if a.udp_dport is not None and udp_dport(d) != a.udp_dport:
            continue
        n += 1
    print(n)


if __name__ == "__main__":
    main()
