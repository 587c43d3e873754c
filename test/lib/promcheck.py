#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""promcheck.py - check a Prometheus text exposition (format 0.0.4) and,
optionally, that its figures equal those of `vstackctl --json stats`.

Usage: promcheck.py FILE [--json STATS.json] [--require-workers N]

Format rules checked: every family has exactly one HELP and one TYPE line,
both before its samples; a family's samples are together; metric and label
names are valid; label values use only the escapes \\\\ \\" \\n; values are
numbers; counters (and only counters) end in _total; no sample is repeated.

With --json, each vstack_port_*, vstack_network_* and vstack_tenant_*
counter must equal the JSON figure exactly (take both while no traffic
flows), every JSON object must appear, and worker CPU seconds must be at
least the JSON's (they were read later). Prints one summary line; exit 1
with the first problems on stderr.
"""
import argparse
import json
import re
import sys
from decimal import Decimal

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


class Bad(Exception):
    pass


def parse_labels(s, where):
    """Parse 'a="x",b="y"' (the text between braces) into a dict."""
    labels, i = {}, 0
    while i < len(s):
        eq = s.find("=", i)
        if eq < 0:
            raise Bad(f"{where}: label without '='")
        name = s[i:eq]
        if not LABEL.match(name):
            raise Bad(f"{where}: bad label name {name!r}")
        if eq + 1 >= len(s) or s[eq + 1] != '"':
            raise Bad(f"{where}: label value not quoted")
        j, val = eq + 2, []
        while True:
            if j >= len(s):
                raise Bad(f"{where}: unterminated label value")
            c = s[j]
            if c == "\\":
                if j + 1 >= len(s) or s[j + 1] not in '\\"n':
                    raise Bad(f"{where}: bad escape in label value")
                val.append("\n" if s[j + 1] == "n" else s[j + 1])
                j += 2
                continue
            if c == '"':
                break
            if c == "\n":
                raise Bad(f"{where}: raw newline in label value")
            val.append(c)
            j += 1
        if name in labels:
            raise Bad(f"{where}: label {name} twice")
        labels[name] = "".join(val)
        i = j + 1
        if i < len(s):
            if s[i] != ",":
                raise Bad(f"{where}: expected ',' between labels")
            i += 1
    return labels


def parse(text):
    """Return {family: {"type": t, "samples": {labels-tuple: Decimal}}}."""
    fams, order, cur = {}, [], None
    if text and not text.endswith("\n"):
        raise Bad("exposition does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if not line:
            raise Bad(f"{where}: empty line")
        if line.startswith("#"):
            m = re.match(r"# (HELP|TYPE) (\S+) (.*)\Z", line)
            if not m:
                raise Bad(f"{where}: unexpected comment {line!r}")
            kind, name, rest = m.groups()
            if not NAME.match(name):
                raise Bad(f"{where}: bad metric name {name!r}")
            f = fams.setdefault(name, {"help": 0, "type": None, "samples": {}})
            if name not in order:
                order.append(name)
            if f["samples"]:
                raise Bad(f"{where}: {kind} of {name} after its samples")
            if cur and cur != name and fams[cur]["samples"]:
                fams[cur]["closed"] = True
            cur = name
            if kind == "HELP":
                f["help"] += 1
            else:
                if f["type"] is not None:
                    raise Bad(f"{where}: second TYPE for {name}")
                if rest not in ("counter", "gauge"):
                    raise Bad(f"{where}: unexpected type {rest!r}")
                f["type"] = rest
            continue
        m = re.match(r"([^{ ]+)(?:\{(.*)\})? (\S+)\Z", line)
        if not m:
            raise Bad(f"{where}: malformed sample {line!r}")
        name, lab, val = m.groups()
        if not NAME.match(name):
            raise Bad(f"{where}: bad metric name {name!r}")
        if name != cur or fams[name].get("closed"):
            raise Bad(f"{where}: sample of {name} outside its family's block")
        labels = tuple(sorted(parse_labels(lab or "", where).items()))
        try:
            v = Decimal(val) if val not in ("NaN", "+Inf", "-Inf") else Decimal(val.replace("+", ""))
        except Exception:
            raise Bad(f"{where}: value {val!r} is not a number")
        if labels in fams[name]["samples"]:
            raise Bad(f"{where}: repeated sample {line!r}")
        fams[name]["samples"][labels] = v
    for name in order:
        f = fams[name]
        if f["help"] != 1 or f["type"] is None:
            raise Bad(f"{name}: {f['help']} HELP lines, TYPE {f['type']}")
        if (f["type"] == "counter") != name.endswith("_total"):
            raise Bad(f"{name}: a {f['type']} (counters, and only they, end in _total)")
    return fams


def sample(fams, name, **labels):
    f = fams.get(name)
    if not f:
        raise Bad(f"family {name} missing")
    key = tuple(sorted((k, str(v)) for k, v in labels.items()))
    if key not in f["samples"]:
        raise Bad(f"{name}{labels} missing")
    return f["samples"][key]


def compare(fams, st, min_workers):
    errs = []

    def eq(name, want, **labels):
        try:
            got = sample(fams, name, **labels)
        except Bad as e:
            errs.append(str(e))
            return
        if got != Decimal(want):
            errs.append(f"{name}{labels} = {got}, --json says {want}")

    kinds = (("port", "ports", lambda o: {"port": o["name"], "network": o["network"], "tenant": o["tenant"]}),
             ("network", "networks", lambda o: {"network": o["name"]}),
             ("tenant", "tenants", lambda o: {"tenant": o["name"]}))
    for kind, arr, labels_of in kinds:
        for o in st[arr]:
            lab = labels_of(o)
            for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes"):
                eq(f"vstack_{kind}_{k}_total", o[k], **lab)
            for reason, v in o["drops"].items():
                eq(f"vstack_{kind}_drops_total", v, reason=reason, **lab)
            # The reasons add up to the JSON's total.
            total = sum(v for (lk, v) in fams[f"vstack_{kind}_drops_total"]["samples"].items()
                        if all((a, str(b)) in lk for a, b in lab.items()))
            if total != o["drops_total"]:
                errs.append(f"{kind} {lab}: drops by reason add up to {total}, drops_total {o['drops_total']}")
        n = len(fams.get(f"vstack_{kind}_rx_packets_total", {}).get("samples", {}))
        if n != len(st[arr]):
            errs.append(f"vstack_{kind}_rx_packets_total has {n} samples, --json {len(st[arr])} {arr}")
    for o in st["networks"]:
        eq("vstack_network_ports", o["ports"], network=o["name"])
        eq("vstack_network_fdb_entries", o["fdb"]["entries"], network=o["name"])
        eq("vstack_network_fdb_learned_total", o["fdb"]["learned"], network=o["name"])
    for o in st["ports"]:
        eq("vstack_port_mtu", o["mtu"], port=o["name"], network=o["network"], tenant=o["tenant"])
    for o in st["tenants"]:
        eq("vstack_tenant_ports", o["ports"], tenant=o["name"])
    workers = st["workers"]
    if len(workers) < min_workers:
        errs.append(f"--json lists {len(workers)} workers, expected {min_workers}")
    for w in workers:
        try:
            secs = sample(fams, "vstack_worker_cpu_seconds_total", worker=w["id"])
            if secs * Decimal(10**9) < Decimal(w["cpu_ns"]):
                errs.append(f"worker {w['id']}: {secs} CPU seconds, less than the earlier --json {w['cpu_ns']} ns")
            ratio = sample(fams, "vstack_worker_cpu_ratio", worker=w["id"])
            if not (0 <= ratio <= 2):
                errs.append(f"worker {w['id']}: CPU ratio {ratio}")
            sample(fams, "vstack_worker_info", worker=w["id"], cpu=w["cpu"])
        except Bad as e:
            errs.append(str(e))
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--json")
    ap.add_argument("--require-workers", type=int, default=1)
    a = ap.parse_args()
    with open(a.file, encoding="utf-8") as f:
        text = f.read()
    try:
        fams = parse(text)
    except Bad as e:
        print(f"promcheck: {a.file}: {e}", file=sys.stderr)
        return 1
    nsamples = sum(len(f["samples"]) for f in fams.values())
    if a.json:
        with open(a.json, encoding="utf-8") as f:
            st = json.load(f)
        errs = compare(fams, st, a.require_workers)
        if errs:
            for e in errs[:20]:
                print(f"promcheck: {a.file}: {e}", file=sys.stderr)
            return 1
    print(f"{len(fams)} families, {nsamples} samples, well-formed"
          + (", equal to --json" if a.json else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
