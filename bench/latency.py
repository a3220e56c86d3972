#!/usr/bin/python3
"""latency.py QUARK [N] - exit-to-output latency of quark watch at low load.

Starts `QUARK watch`, runs N marker processes (10 per second), and for
each marker measures the time from its exit (exit.time in the record, the
kernel's clock) to the moment its line is read from quark's stdout.
Prints p50 and p99 in milliseconds and the number of markers seen.
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


def main():
    quark = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    tag = "quark-lat-%d" % os.getpid()
    proc = subprocess.Popen([quark, "watch"] + sys.argv[3:], stdout=subprocess.PIPE,
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
    for i in range(n):
        subprocess.run(["/bin/true", "%s-%d" % (tag, i)])
        time.sleep(0.1)
    time.sleep(2)
    proc.terminate()
    proc.wait()
    t.join(2)
    lat.sort()
    if not lat:
        sys.exit("no marker seen")
    p50 = lat[len(lat) // 2]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print("latency_markers %d/%d" % (len(lat), n))
    print("latency_p50_ms %.1f" % p50)
    print("latency_p99_ms %.1f" % p99)


main()
