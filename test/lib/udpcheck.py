#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udpcheck.py - numbered UDP datagrams with verifiable content.

send: COUNT datagrams to ADDR:PORT, paced at PPS (a sender kept off its
      CPU for a while resumes at PPS, it does not make up for the pause
      in a burst). Datagram i carries a
      header (magic, tag, i, length) and a body derived from (tag, i), so the
      receiver can check every byte without shared state.
      With --gso K, datagrams go out in bursts: K of --size bytes in one
      send with UDP_SEGMENT (one frame on an offloading device), then
      --tail small ones (64 bytes) right behind them.
recv: receive until COUNT distinct good datagrams or IDLE seconds of
      silence; print a one-line JSON summary; exit 0 only if all COUNT
      arrived intact, exactly once, and nothing else arrived (with
      --ordered: and in the order they were sent).

Sizes: --size N, or --size MIN-MAX (size of datagram i cycles through the
range deterministically).
"""
import argparse
import hashlib
import json
import socket
import struct
import sys
import time

UDP_SEGMENT = 103  # linux/udp.h
SO_RCVBUFFORCE = 33  # asm-generic/socket.h
MAGIC = b"VSTK"
HDR = struct.Struct("!4sIII")  # magic, tag, seq, total length


def body(tag, seq, n):
    out = bytearray()
    block = 0
    while len(out) < n:
        out += hashlib.sha256(struct.pack("!III", tag, seq, block)).digest()
        block += 1
    return bytes(out[:n])


def size_of(spec, seq):
    if "-" in spec:
        lo, hi = (int(x) for x in spec.split("-"))
        return lo + (seq * 7919) % (hi - lo + 1)
    return int(spec)


def make(tag, seq, size):
    size = max(size, HDR.size)
    return HDR.pack(MAGIC, tag, seq, size) + body(tag, seq, size - HDR.size)


def addr(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


class Pacer:
    """Send at most one datagram a gap, on a schedule that may lag the
    clock by at most MAX_LAG: small oversleeps are made up, but a sender
    that was kept off its CPU (a busy host) does not catch up in a burst
    of its backlog, which could overrun the sender's TAP queue (tun drops
    what does not fit) while the switch is kept off its CPU too."""

    MAX_LAG = 0.01

    def __init__(self, gap):
        self.gap = gap
        self.due = time.monotonic()

    def wait(self, n=1):
        """Before the next send, after n datagrams went out."""
        if not self.gap:
            return
        self.due += n * self.gap
        now = time.monotonic()
        if self.due > now:
            time.sleep(self.due - now)
        elif now - self.due > self.MAX_LAG:
            self.due = now - self.MAX_LAG


def cmd_send(a):
    host, port = addr(a.to)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.broadcast:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    pacer = Pacer(1.0 / a.pps if a.pps > 0 else 0)
    if a.gso:
        send_gso(a, s, (host, port), pacer)
        return
    for i in range(a.count):
        s.sendto(make(a.tag, i, size_of(a.size, i)), (host, port))
        pacer.wait()
    print(json.dumps({"sent": a.count}))


def send_gso(a, s, dst, pacer):
    """Bursts of a.gso datagrams in one UDP_SEGMENT send, a.tail behind."""
    size = int(a.size)
    i = 0
    while i < a.count:
        k = min(a.gso, a.count - i)
        burst = b"".join(make(a.tag, i + j, size) for j in range(k))
        s.sendmsg([burst], [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("=H", size))],
                  0, dst)
        i += k
        n = k
        for _ in range(min(a.tail, a.count - i)):
            s.sendto(make(a.tag, i, 64), dst)
            i += 1
            n += 1
        pacer.wait(n)
    print(json.dumps({"sent": a.count}))


def cmd_recv(a):
    host, port = addr(a.bind)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    # Room for a whole unpaced run (--gso): as root past rmem_max, which
    # would otherwise cut 8 MiB down to a few hundred datagrams.
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    except PermissionError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.settimeout(a.idle)
    good, dup, bad, other, late, last = set(), 0, 0, 0, 0, -1
    first_bad = None
    deadline = time.monotonic() + a.max_time
    while len(good) < a.count and time.monotonic() < deadline:
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            break
        if len(data) < HDR.size or data[:4] != MAGIC:
            other += 1
            continue
        _, tag, seq, size = HDR.unpack_from(data)
        if tag != a.tag:
            other += 1
            continue
        ok = (size == len(data) and seq < a.count
              and data[HDR.size:] == body(tag, seq, size - HDR.size))
        if ok and a.size:
            ok = size == max(size_of(a.size, seq), HDR.size)
        if not ok:
            bad += 1
            if first_bad is None:
                first_bad = {"seq": seq, "len": len(data), "hdr_len": size}
        elif seq in good:
            dup += 1
        else:
            good.add(seq)
            late += seq < last
            last = max(last, seq)
    # Catch late duplicates for a moment.
    s.settimeout(0.3)
    try:
        while True:
            data, _ = s.recvfrom(65536)
            if len(data) >= HDR.size and data[:4] == MAGIC:
                if HDR.unpack_from(data)[1] == a.tag:
                    dup += 1
                    continue
            other += 1
    except socket.timeout:
        pass
    res = {"expected": a.count, "received": len(good), "missing": a.count - len(good),
           "duplicates": dup, "corrupt": bad, "foreign": other, "reordered": late}
    if first_bad:
        res["first_corrupt"] = first_bad
    print(json.dumps(res))
    sys.exit(0 if len(good) == a.count and not dup and not bad
             and not (a.ordered and late) else 1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("send")
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", default="512")
    p.add_argument("--pps", type=float, default=2000)
    p.add_argument("--tag", type=int, default=1)
    p.add_argument("--broadcast", action="store_true")
    p.add_argument("--gso", type=int, default=0)
    p.add_argument("--tail", type=int, default=2)
    p = sub.add_parser("recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", default="")
    p.add_argument("--tag", type=int, default=1)
    p.add_argument("--idle", type=float, default=5)
    p.add_argument("--max-time", type=float, default=50)
    p.add_argument("--ordered", action="store_true")
    a = ap.parse_args()
    (cmd_send if a.cmd == "send" else cmd_recv)(a)


if __name__ == "__main__":
    main()
