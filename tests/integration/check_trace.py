#!/usr/bin/env python3
"""Reads a `faultline ... --trace FILE` as a consumer would: Python's own JSON parser, and
the keys the Trace Event Format (the document Perfetto's and chrome://tracing's JSON
importers follow) requires of each phase. Exit status 0 when the file is a valid trace in
the JSON Object Format; else 1, with what is wrong on stderr."""
import json
import math
import sys

METADATA = {"process_name", "process_labels", "process_sort_index", "thread_name",
            "thread_sort_index"}


def problems(doc):
    if not isinstance(doc, dict):
        yield "not the JSON Object Format: the top level is not an object"
        return
    if doc.get("displayTimeUnit") not in ("ms", "ns"):
        yield "displayTimeUnit is %r, not ms or ns" % doc.get("displayTimeUnit")
    events = doc.get("traceEvents")
    if not isinstance(events, list) or not events:
        yield "traceEvents is not a non-empty array"
        return
    named_processes, named_threads = set(), set()
    used_threads = set()
    for i, e in enumerate(events):
        where = "event %d (%s)" % (i, json.dumps(e)[:120])
        if not isinstance(e, dict):
            yield where + ": not an object"
            continue
        ph = e.get("ph")
        for key in ("name", "pid", "tid", "ts"):
            if key not in e:
                yield where + ": no " + key
        for key in ("pid", "tid"):
            if key in e and not isinstance(e[key], int):
                yield where + ": %s is not an integer" % key
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or isinstance(ts, bool) or not math.isfinite(ts):
            yield where + ": ts is not a finite number of microseconds"
        if ph == "M":
            if e.get("name") not in METADATA:
                yield where + ": unknown metadata event"
            if not isinstance(e.get("args"), dict):
                yield where + ": metadata without args"
            elif e["name"] == "process_name":
                named_processes.add(e["pid"])
            elif e["name"] == "thread_name":
                named_threads.add((e["pid"], e["tid"]))
        elif ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                yield where + ": complete event without a dur >= 0"
            used_threads.add((e.get("pid"), e.get("tid")))
        elif ph == "i":
            if e.get("s", "t") not in ("g", "p", "t"):
                yield where + ": instant scope is not g, p or t"
            used_threads.add((e.get("pid"), e.get("tid")))
        else:
            yield where + ": phase %r is not one faultline writes (M, X, i)" % ph
    for pid, tid in sorted(used_threads):
        if pid not in named_processes:
            yield "process %d has events but no process_name" % pid
        if (pid, tid) not in named_threads:
            yield "thread %d of process %d has events but no thread_name" % (tid, pid)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    found = list(problems(doc))
    for p in found:
        print(p, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
