#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""streamsum.py - SHA-256 and length of stdin, optionally passed through.

Writes "<sha256-hex> <bytes>" to --out once stdin ends. With --tee the data
is also copied to stdout (for the sending side of a transfer).
"""
import argparse
import hashlib
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tee", action="store_true")
    a = ap.parse_args()
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
        if a.tee:
            view = memoryview(chunk)
            while view:
                view = view[os.write(1, view):]
    if a.tee:
        os.close(1)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("%s %d\n" % (h.hexdigest(), n))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
