# SPDX-License-Identifier: MIT
"""pl_restart.py - programs that outlive a vstackd restart (run them through
the preload shim; test/integ/56_preload_restart.sh).

accept PORT        echo server: one blocking accept() after another
epoll PORT         echo server: a non-blocking listener in an epoll loop
udp PORT           UDP echo server: blocking recvfrom() and sendto()
client HOST PORT   a long-lived client: a new connection every 0.1 s, one
                   line per try on stdout ("ok N" or "err N ERRNO-NAME");
                   stops after 120 s
udpclient HOST PORT  the same with one UDP socket that never binds: a
                   datagram every 0.1 s, its echo awaited for 0.5 s
Every server answers one request per connection: it reads up to 64 KiB
and sends it back, then closes.
"""
import errno
import selectors
import socket
import sys
import time


def echo_once(c):
    c.settimeout(10)
    with c:
        data = c.recv(65536)
        if data:
            c.sendall(data)


def accept_loop(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        try:
            c, _ = ls.accept()
        except OSError as e:  # what a spinning program would do: go on
            print("accept", errno.errorcode.get(e.errno, e.errno), flush=True)
            continue
        echo_once(c)


def epoll_loop(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    ls.setblocking(False)
    sel = selectors.EpollSelector()
    sel.register(ls, selectors.EVENT_READ)
    print("listening", flush=True)
    while True:
        for _ in sel.select(timeout=5):
            try:
                c, _ = ls.accept()
            except BlockingIOError:
                continue
            except OSError as e:
                print("accept", errno.errorcode.get(e.errno, e.errno),
                      flush=True)
                continue
            c.setblocking(True)
            echo_once(c)


def udp_loop(port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    print("bound", flush=True)
    while True:
        try:
            d, a = u.recvfrom(65536)
            u.sendto(d, a)
        except OSError as e:  # what a spinning program would do: go on
            print("udp", errno.errorcode.get(e.errno, e.errno), flush=True)


def client(host, port):
    end = time.monotonic() + 120
    n = 0
    while time.monotonic() < end:
        n += 1
        try:
            with socket.create_connection((host, port), timeout=2) as c:
                msg = b"try %d\n" % n
                c.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    d = c.recv(64)
                    if not d:
                        break
                    got += d
                print("ok" if got == msg else "bad", n, flush=True)
        except OSError as e:
            print("err", n, errno.errorcode.get(e.errno, e.errno), flush=True)
        time.sleep(0.1)


def udp_client(host, port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(0.5)
    end = time.monotonic() + 120
    n = 0
    while time.monotonic() < end:
        n += 1
        msg = b"try %d" % n
        try:
            u.sendto(msg, (host, port))
            while True:  # skip late echoes of earlier tries
                d, _ = u.recvfrom(64)
                if d == msg:
                    break
            print("ok", n, flush=True)
        except OSError as e:
            name = "timeout" if isinstance(e, TimeoutError) else \
                errno.errorcode.get(e.errno, e.errno)
            print("err", n, name, flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "accept":
        accept_loop(int(sys.argv[2]))
    elif mode == "epoll":
        epoll_loop(int(sys.argv[2]))
    elif mode == "udp":
        udp_loop(int(sys.argv[2]))
    elif mode == "udpclient":
        udp_client(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]))
