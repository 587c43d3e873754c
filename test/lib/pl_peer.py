# SPDX-License-Identifier: MIT
"""pl_peer.py PORT - the kernel-side peer of test/tools/pl_probe.c.

PORT      TCP and UDP echo
PORT+1    TCP connect-back: reads "A.B.C.D PORT\\n", connects there,
          sends "ok", closes
PORT+2    nothing listens (connections are refused)
"""
import socket
import socketserver
import sys
import threading

PORT = int(sys.argv[1])


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class Back(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode().split()
        with socket.create_connection((line[0], int(line[1])), timeout=10) as c:
            c.sendall(b"ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def udp_echo():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", PORT))
    while True:
        d, a = u.recvfrom(65536)
        u.sendto(d, a)


for port, handler in ((PORT, Echo), (PORT + 1, Back)):
    threading.Thread(target=Server(("0.0.0.0", port), handler).serve_forever,
                     daemon=True).start()
udp_echo()
