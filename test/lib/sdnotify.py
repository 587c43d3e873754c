#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sdnotify.py - stand in for systemd's notification socket in a test.

    sdnotify.py listen SOCKET LOG [--on-ready CMD OUT]
        Bind a unix datagram socket at SOCKET and write every assignment
        received to LOG, one line each: "SECONDS PID KEY=VALUE" (SECONDS
        from CLOCK_MONOTONIC, PID of the sender from SCM_CREDENTIALS, as
        systemd's NotifyAccess=main judges it). With --on-ready, every
        READY=1 runs CMD (a shell command) before anything else is read and
        writes its exit status and output to OUT (replacing it): what a
        client that starts the moment systemd reports the service ready
        would see.
        Runs until killed.

    sdnotify.py ptrace-stop TID SECONDS
        Stop the thread TID (of another process) for SECONDS with
        PTRACE_SEIZE + PTRACE_INTERRUPT, then let it go. Only that thread
        stops; its process goes on. Prints "stopped" once it is stopped,
        and "released T" (T: time.monotonic()) just before letting it go.
        Exit status 77 if ptrace is not allowed here.
"""
import ctypes
import os
import socket
import struct
import subprocess
import sys
import time


def listen(path, log, on_ready=None, out=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    cred_len = struct.calcsize("3i")
    with open(log, "a", buffering=1) as f:
        while True:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(cred_len))
            now = time.monotonic()
            pid = -1
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", cdata[:cred_len])[0]
            lines = data.decode("utf-8", "replace").split("\n")
            for line in lines:
                if line:
                    f.write("%.3f %d %s\n" % (now, pid, line))
            if on_ready and "READY=1" in lines:
                r = subprocess.run(on_ready, shell=True, capture_output=True,
                                   text=True, timeout=30)
                with open(out + ".tmp", "w") as o:
                    o.write("%d\n%s%s" % (r.returncode, r.stdout, r.stderr))
                os.rename(out + ".tmp", out)


PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207


def ptrace_stop(tid, seconds):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                            ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
        err = ctypes.get_errno()
        print("ptrace(SEIZE, %d): %s" % (tid, os.strerror(err)),
              file=sys.stderr)
        return 77 if err in (1, 13) else 1
    if libc.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
        print("ptrace(INTERRUPT, %d): %s" %
              (tid, os.strerror(ctypes.get_errno())), file=sys.stderr)
        return 1
    os.waitpid(tid, 0x40000000)  # __WALL: wait for the stop
    print("stopped", flush=True)
    time.sleep(seconds)
    # The time before the thread can run again: anything the process
    # sends after it may already be the thread's doing.
    print("released %.3f" % time.monotonic(), flush=True)
    if libc.ptrace(PTRACE_DETACH, tid, None, None) != 0:
        print("ptrace(DETACH, %d): %s" %
              (tid, os.strerror(ctypes.get_errno())), file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "listen":
        on_ready = out = None
        if "--on-ready" in argv:
            i = argv.index("--on-ready")
            on_ready, out = argv[i + 1], argv[i + 2]
        listen(argv[1], argv[2], on_ready, out)
        return 0
    if len(argv) == 3 and argv[0] == "ptrace-stop":
        return ptrace_stop(int(argv[1]), float(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
