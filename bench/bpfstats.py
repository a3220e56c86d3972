#!/usr/bin/env python3
# bpfstats.py snap PID FILE   - run counters of the BPF programs PID holds
# bpfstats.py diff A B N      - prints BPF ns per run per program between
#                               snapshots A and B, and ns per process (N)
# Counters count only while kernel.bpf_stats_enabled is 1 (storm.sh sets
# it for the run and restores it).  Prints figures; asserts nothing.
import json, os, subprocess, sys

def snap(pid, path):
    # The programs quark holds, from its fds (bpftool may lack "pids").
    progs = {}
    fdir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdir):
        try:
            with open(os.path.join(fdir, fd)) as f:
                kv = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        if "prog_id" not in kv or "run_time_ns" not in kv:
            continue
        pid_ = kv["prog_id"].strip()
        progs[pid_] = {"name": name(pid_),
                       "ns": int(kv["run_time_ns"]),
                       "cnt": int(kv["run_cnt"])}
    with open(path, "w") as f:
        json.dump(progs, f)

def name(prog_id):
    out = subprocess.run(["bpftool", "prog", "show", "id", prog_id, "-j"],
                         capture_output=True, text=True).stdout
    try:
        return json.loads(out).get("name", prog_id)
    except ValueError:
        return prog_id

def diff(a, b, n):
    with open(a) as f:
        pa = json.load(f)
    with open(b) as f:
        pb = json.load(f)
    total = 0
    for pid, p in sorted(pb.items(), key=lambda kv: kv[1]["name"]):
        q = pa.get(pid, {"ns": 0, "cnt": 0})
        dns, dcnt = p["ns"] - q["ns"], p["cnt"] - q["cnt"]
        total += dns
        if dcnt > 0:
            print("storm_bpf_%s_ns_per_run %d runs %d" %
                  (p["name"], dns // dcnt, dcnt))
    print("storm_bpf_ns_per_process %d" % (total // max(n, 1)))

if sys.argv[1] == "snap":
    snap(int(sys.argv[2]), sys.argv[3])
else:
    diff(sys.argv[2], sys.argv[3], int(sys.argv[4]))
