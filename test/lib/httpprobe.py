#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""httpprobe.py - HTTP clients, well-behaved and not, for vstackd --metrics.

  httpprobe.py get URL [--method M] [--out FILE]
      One request; prints "STATUS TYPE LENGTH ALLOW" (ALLOW "-" if absent),
      the body goes to FILE.
  httpprobe.py big HOST PORT BYTES
      A request head of BYTES bytes that never ends; prints the status
      line the server answers with ("none" if it closes without one).
  httpprobe.py slow HOST PORT CONNS READY_FILE
      CONNS connections that each send the start of a request and then
      one byte a second, never finishing; READY_FILE is created once all
      are open and have sent something. Waits (at most 30 s) until the
      server has closed every one; prints "STATUS SECONDS" for each
      (STATUS "none" when closed without an answer), in connection order.
Every socket operation is bounded by a timeout.
"""
import http.client
import socket
import sys
import time
import urllib.parse


def cmd_get(url, method, out):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request(method, u.path + ("?" + u.query if u.query else ""))
    r = conn.getresponse()
    body = r.read()
    if out:
        with open(out, "wb") as f:
            f.write(body)
    print(r.status, r.getheader("Content-Type", "-").replace(" ", ""),
          r.getheader("Content-Length", "-"),
          (r.getheader("Allow") or "-").replace(" ", ""))
    conn.close()
    return 0


def status_of(data):
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) > 1 and line.startswith("HTTP/1.") else "none"


def read_all(s, limit=65536):
    data = b""
    try:
        while len(data) < limit:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def cmd_big(host, port, nbytes):
    s = socket.create_connection((host, port), timeout=10)
    head = b"GET /metrics HTTP/1.1\r\nX-Big: "
    try:
        s.sendall(head + b"a" * (nbytes - len(head)))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may stop reading once it has seen enough
    print(status_of(read_all(s)))
    s.close()
    return 0


def cmd_slow(host, port, nconns, ready):
    conns = []
    for _ in range(nconns):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.setblocking(False)
        conns.append(s)
    t0 = time.monotonic()
    open(ready, "w").close()
    result = [None] * nconns
    got = [b""] * nconns
    while time.monotonic() - t0 < 30 and None in result:
        for i, s in enumerate(conns):
            if result[i] is not None:
                continue
            try:
                d = s.recv(4096)
                if d:
                    got[i] += d
                    continue
                result[i] = (status_of(got[i]), time.monotonic() - t0)
            except BlockingIOError:
                try:
                    s.send(b"a")  # one more byte: still "sending"
                except OSError:
                    pass
            except OSError:
                result[i] = (status_of(got[i]), time.monotonic() - t0)
        time.sleep(1)
    for i, r in enumerate(result):
        if r is None:
            print("open", round(time.monotonic() - t0, 1))
        else:
            print(r[0], round(r[1], 1))
        conns[i].close()
    return 0


def main():
    a = sys.argv[1:]
    if a and a[0] == "get":
        method, out, url = "GET", None, None
        i = 1
        while i < len(a):
            if a[i] == "--method":
                method, i = a[i + 1], i + 2
            elif a[i] == "--out":
                out, i = a[i + 1], i + 2
            else:
                url, i = a[i], i + 1
        return cmd_get(url, method, out)
    if len(a) == 4 and a[0] == "big":
        return cmd_big(a[1], int(a[2]), int(a[3]))
    if len(a) == 5 and a[0] == "slow":
        return cmd_slow(a[1], int(a[2]), int(a[3]), a[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
