#!/usr/bin/python3
"""aggratio.py HOLD_MS < RECORDS - how well quark watch merged a workload.

Reads quark watch's NDJSON and groups event records by process (pid and
start time).  Of the processes seen from their fork to their exit that
lived less than the hold, prints the share that came out as exactly one
record holding both (agg_ratio), and how many of those were
fork+exec+exit (one exec or several: a process that execs again is one
record, its earlier images in process.previous); also the processes
counted, those that exec'd twice or more (and how many of them came out
as one record), and the lost records seen.
"""
import json
import sys


def main():
    hold_ns = int(sys.argv[1]) * 10**6
    procs, lost = {}, 0
    for line in sys.stdin:
        rec = json.loads(line)
        if rec.get("kind") == "lost":
            lost += rec.get("lost", 0)
            continue
        if rec.get("kind") != "event" or rec.get("thread"):
            continue
        p = rec["process"]
        if "start_boottime_ns" not in p:
            continue
        procs.setdefault((p["pid"], p["start_boottime_ns"]), []).append(rec)
    short = one = fee = multi = multi_one = 0
    for (pid, start), recs in procs.items():
        events = [e for r in recs for e in r["events"]]
        ex = [r["process"].get("exit") for r in recs
              if r["process"].get("exit")]
        if "fork" not in events or not ex or "time_ns" not in ex[-1]:
            continue
        if ex[-1]["time_ns"] - start >= hold_ns:
            continue
        short += 1
        if events.count("exec") > 1:
            multi += 1
            multi_one += len(recs) == 1
        if len(recs) == 1:
            one += 1
            # fork, one exec or more (and changes), exit.
            if events[0] == "fork" and events[-1] == "exit" and \
               "exec" in events:
                fee += 1
        elif "-v" in sys.argv[2:]:
            print("split:", pid, [r["events"] for r in recs],
                  [r.get("late", False) for r in recs], file=sys.stderr)
    print("agg_processes_shorter_than_hold %d" % short)
    print("agg_one_record %d" % one)
    print("agg_one_fork_exec_exit_record %d" % fee)
    print("agg_ratio %.4f" % (one / short if short else 0))
    print("agg_processes_with_two_execs %d" % multi)
    print("agg_processes_with_two_execs_one_record %d" % multi_one)
    print("agg_ratio_one_exec %.4f" % (((one - multi_one) / (short - multi))
                                       if short > multi else 0))
    print("agg_lost %d" % lost)


main()
