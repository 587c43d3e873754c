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
ask HOST PORT      exit 0 when an echo server answers one line
fresh HOST PORT GO   two TCP sockets (one with TCP_NODELAY) and a UDP
                   socket made at once ("made"); once GO.away exists
                   (vstackd is away) the second connects ("err away
                   ERRNO-NAME" expected, "away took N ms"), and once GO
                   exists (after the restart) each is used: "ok tcp
                   nodelay 1", "ok tcp2 nodelay 0", "ok udp", or "err
                   WHAT ERRNO-NAME"
Every server answers one request per connection: it reads up to 64 KiB
and sends it back, then closes.
"""
import errno
import os
import selectors
import socket
import sys
import time


def err_name(e):
    if isinstance(e, TimeoutError):
        return "timeout"
    return errno.errorcode.get(e.errno, e.errno)


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
            print("accept", err_name(e), flush=True)
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
                print("accept", err_name(e), flush=True)
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
            print("udp", err_name(e), flush=True)


def ask(c, msg):
    """send msg on connection c: is it echoed?"""
    c.sendall(msg)
    got = b""
    while len(got) < len(msg):
        d = c.recv(64)
        if not d:
            break
        got += d
    return got == msg


def client(host, port):
    end = time.monotonic() + 120
    n = 0
    while time.monotonic() < end:
        n += 1
        try:
            with socket.create_connection((host, port), timeout=2) as c:
                print("ok" if ask(c, b"try %d\n" % n) else "bad", n,
                      flush=True)
        except OSError as e:
            print("err", n, err_name(e), flush=True)
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
            print("err", n, err_name(e), flush=True)
        time.sleep(0.1)


def wait_file(path, end):
    while not os.path.exists(path):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def tcp_try(t, host, port, what):
    """connect t and have one line echoed; one line of outcome"""
    try:
        t.settimeout(5)
        t.connect((host, port))
        ok = ask(t, b"fresh\n")
        nodelay = t.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        print("ok %s nodelay %d" % (what, nodelay) if ok else "bad " + what,
              flush=True)
    except OSError as e:
        print("err", what, err_name(e), flush=True)


def fresh(host, port, go):
    t = socket.socket()
    t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t2 = socket.socket()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print("made", flush=True)
    end = time.monotonic() + 120
    # While vstackd is away: the connect fails at once (no hang, no spin)
    if not wait_file(go + ".away", end):
        print("err no away", flush=True)
        return
    t0 = time.monotonic()
    tcp_try(t2, host, port, "away")
    print("away took %d ms" % ((time.monotonic() - t0) * 1000), flush=True)
    if not wait_file(go, end):
        print("err no go", flush=True)
        return
    tcp_try(t, host, port, "tcp")
    tcp_try(t2, host, port, "tcp2")
    try:
        u.settimeout(2)
        u.sendto(b"fresh", (host, port))
        d, _ = u.recvfrom(64)
        print("ok udp" if d == b"fresh" else "bad udp", flush=True)
    except OSError as e:
        print("err udp", err_name(e), flush=True)


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
    elif mode == "ask":
        with socket.create_connection((sys.argv[2], int(sys.argv[3])),
                                      timeout=3) as c:
            sys.exit(0 if ask(c, b"hello\n") else 1)
    elif mode == "fresh":
        fresh(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        client(sys.argv[2], int(sys.argv[3]))
