#!/usr/bin/python3
"""latency.py QUARK NAME N [busy] [WATCH_OPTION...] - exit-to-output latency.

Starts `QUARK watch WATCH_OPTION...`, runs N marker processes (10 per
second), and for each marker measures the time from its exit (exit.time in
the record, the kernel's clock) to the moment its line is read from
quark's stdout.  With `busy`, the host is kept busy meanwhile, as a real
one is: a shell loop of short sleeps (sleep 0.25, each held while it
runs) and a long-lived parent that keeps a child running (sleep 2 in a
loop: each child outlives the hold, its record is held for the whole
hold).  Prints latency_NAME_p50_ms, _p90_ms, _max_ms and the markers seen.
"""
import calendar
import json
import os
import subprocess
import sys
import threading
import time


def rfc3339_ns(s):
    # "2026-11-22T00:33:21.123456789Z"
    base, frac = s.rstrip("Z").split(".")
    secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(frac.ljust(9, "0")[:9])


def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))]


def main():
    quark, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rest = sys.argv[4:]
    busy = bool(rest) and rest[0] == "busy"
    opts = rest[1:] if busy else rest
    tag = "quark-lat-%d-%s" % (os.getpid(), name)
    proc = subprocess.Popen([quark, "watch"] + opts, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    lat, seen, ready = [], set(), threading.Event()

    def reader():
        for line in proc.stdout:
            now = time.time_ns()
            if tag.encode() not in line:
                continue
            rec = json.loads(line)
            args = rec.get("process", {}).get("args", [])
            if len(args) < 2 or not args[1].startswith(tag):
                continue
            if args[1] == tag + "-ready":
                ready.set()
                continue
            ex = rec["process"].get("exit")
            if ex and "time" in ex and args[1] not in seen:
                seen.add(args[1])
                lat.append((now - rfc3339_ns(ex["time"])) / 1e6)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not ready.is_set() and time.time() < deadline:
        subprocess.run(["/bin/true", tag + "-ready"])
        ready.wait(0.2)
    if not ready.is_set():
        proc.kill()
        sys.exit("quark watch did not become ready")
    bg = []
    if busy:
        for script in ("while :; do sleep 0.25; done",
                       "while :; do sleep 2; done"):
            bg.append(subprocess.Popen(["sh", "-c", script]))
        time.sleep(2.5)
    for i in range(n):
        subprocess.run(["/bin/true", "%s-%d" % (tag, i)])
        time.sleep(0.1)
    time.sleep(2)
    for p in bg:
        p.kill()
        p.wait()
    proc.terminate()
    proc.wait()
    t.join(2)
    lat.sort()
    if not lat:
        sys.exit("no marker seen")
    print("latency_%s_markers %d/%d" % (name, len(lat), n))
    print("latency_%s_p50_ms %.1f" % (name, pct(lat, 0.5)))
    print("latency_%s_p90_ms %.1f" % (name, pct(lat, 0.9)))
    print("latency_%s_max_ms %.1f" % (name, lat[-1]))


main()
