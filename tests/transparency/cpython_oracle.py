#!/usr/bin/python3.11
"""CPython's own test suite as a transparency oracle for faultline.

Runs modules of Debian's libpython3.11-testsuite (`python3.11 -m test`) natively and under
`faultline exec`, and compares the outcome of every test (pass, failure, error, skipped,
expected failure) and of every module. Two modes:

  same   the interposer armed with rules on calls CPython never makes (System V and POSIX
         queue calls: they must count no call at all) and witnesses on calls it makes that
         never fire (nth=10^9: their counts prove the interposer was loaded and saw the
         calls). Every test must end as it ends natively.
  eintr  EINTR injected at random (--probability) on the blocking socket and readiness calls
         that PEP 475 says CPython retries: recv*, send*, accept*, poll, select, epoll_wait
         (connect: see EINTR_CALLS). Each rule carries `site=/usr/bin/python3.11+0xADDR`,
         the return address of the interpreter's call of that function (objdump), so the faults
         hit only the Python processes: not /bin/sh, true, cat ... that test_subprocess and
         others start (they inherit LD_PRELOAD, and faultline has no per-program filter).
         Every test must end as it ends natively, except those listed in EINTR_EXPECTED with
         the reason (a faultline or a CPython bug).

Every selection runs once natively and once under faultline. A test that ends differently
is run natively --recheck more times (default 3) by its full id: if one of those ends as it
did under faultline, the test is flaky on this machine and named as such, not counted; else
the difference is faultline's. Exit status: 0 when nothing differs (with --expect-difference:
when something does), 1 when a test or module ends differently under faultline, 2 for wrong
input or a run that could not be made.

Each run is made in a scratch folder (cwd, TMPDIR and regrtest's --tempdir) that is removed
afterwards; what CPython's tests create there goes with it. The faultline run's own run
folder lives there too, and is checked to be gone before the folder is removed.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

PYTHON = "/usr/bin/python3.11"

# Calls CPython's test suite never makes (the interpreter has no binding for them): rules on
# them are armed in the control block but must never even be hit.
NEVER = ["msgsnd:error=EIDRM", "msgrcv:error=EIDRM", "mq_send:error=EAGAIN",
         "shmat:error=ENOMEM", "semop:error=EIDRM"]
# Calls it certainly makes on sockets and pipes: a rule that fires only on the billionth call
# counts them, so that a run where the interposer did not load cannot pass for transparent.
WITNESSES = ["read:error=EIO:nth=1000000000", "write:error=EIO:nth=1000000000",
             "recv,recvfrom,recvmsg:error=ECONNRESET:nth=1000000000",
             "send,sendto,sendmsg:error=EPIPE:nth=1000000000",
             "poll,select,epoll_wait:error=EINTR:nth=1000000000"]

# The calls PEP 475 makes CPython retry after EINTR (Modules/socketmodule.c sock_call_ex;
# Modules/selectmodule.c poll, select and epoll.poll recompute their timeout).
#
# connect is left out, classified (found by this oracle: with it, a sendmsg/recvmsg test of
# test_socket hangs in the server's accept, ConnectedStreamTestMixin.setUp):
# - faultline (realism): a blocking AF_UNIX connect waits, and so can fail with EINTR, only
#   while the listener's backlog is full (net/unix/af_unix.c unix_stream_connect,
#   unix_wait_for_peer). faultline's realism check knows blocking fd + handler only, so its
#   EINTR on a connect to a listener with room is not flagged unrealistic, although no
#   kernel returns it there. Knowing the backlog needs sock_diag (UNIX_DIAG_RQLEN) at fire
#   time: not done.
# - CPython: when a real AF_UNIX connect is interrupted so, no connection exists, but
#   internal_connect (Modules/socketmodule.c, "Issue #23618: when connect() fails with
#   EINTR, the connection is running asynchronously") waits for writability and reads
#   SO_ERROR for every family; an unconnected Unix stream socket polls writable at once with
#   SO_ERROR 0, so connect() returns success on a socket that is not connected, and the next
#   send fails with ENOTCONN while the listener waits. `faultline exec --fault
#   connect:error=EINTR:nth=1 -- python3.11 -c '...AF_UNIX connect; accept with timeout'`
#   shows it in one call. TCP is right: faultline's EINTR leaves the connection going, as
#   the kernel does, and CPython's wait finds it established.
# The rule cannot tell the families apart (one call site in the interpreter), so connect is
# out of the run altogether.
EINTR_CALLS = ["recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg", "accept",
               "accept4", "poll", "select", "epoll_wait"]

# Tests that end differently with the interposer armed, in every mode (no fault needs to
# fire): what a program can see of faultline, each documented. Key: test id; value: why. Such a test is reported,
# not counted; one that ends as natively again is reported too (the entry may go).
SAME_EXPECTED = {
    # faultline (docs/limits.md): the control file stays open on descriptor 1000 in every
    # interposed process; Lib/test/subprocessdata/fd_status.py lists the child's open fds
    # and finds "0,1,2,3,4,6,1000" where the test expects no more than it passed.
    "test.test_subprocess.POSIXProcessTestCase.test_pass_fds_redirected":
        "faultline: the control file's descriptor 1000 is open in every interposed process "
        "(docs/limits.md), and the test lists the child's open fds",
}

# Tests that end differently under EINTR, each with why. Key: test id; value: the class
# ("faultline" or "cpython") and the explanation. A listed test that ends as natively is
# reported (it may have been fixed) but does not fail the run: EINTR is drawn at random.
EINTR_EXPECTED = {}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--faultline", required=True, help="the faultline binary")
    p.add_argument("--python", default=PYTHON)
    p.add_argument("--mode", choices=["same", "eintr"], default="same")
    p.add_argument("--fault", action="append", default=[],
                   help="a fault of one's own instead of the mode's (for the self-test)")
    p.add_argument("--probability", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--recheck", type=int, default=3,
                   help="native re-runs of each test that ends differently under faultline")
    p.add_argument("--jobs", type=int, default=2, help="modules run at once")
    p.add_argument("--timeout", type=int, default=900,
                   help="seconds per module run, after which it is killed")
    p.add_argument("--module-timeout", type=int, default=600,
                   help="regrtest --timeout (per test module when run sequentially): a module "
                   "still running then has its threads' tracebacks printed and is ended")
    p.add_argument("--expect-difference", action="store_true",
                   help="succeed only when some test ends differently (the self-test)")
    p.add_argument("selections", nargs="+", metavar="MODULE[=PATTERN,...]",
                   help="a test module, optionally with regrtest -m patterns (-PATTERN: -i, "
                   "+RESOURCE: -u)")
    args = p.parse_args()
    args.faultline = os.path.abspath(args.faultline)
    return args


def call_sites(python):
    """{function: return address} of each call the interpreter makes to an EINTR_CALLS
    function through the PLT. Several sites of one function are all returned."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", python], check=True,
                         capture_output=True, text=True).stdout
    call = re.compile(r"^\s*([0-9a-f]+):\s+call\s+[0-9a-f]+ <([a-z0-9_]+)@plt>")
    sites, pending = {}, None
    for line in out.splitlines():
        addr = re.match(r"^\s*([0-9a-f]+):", line)
        if addr and pending:
            sites.setdefault(pending, []).append("0x" + addr.group(1))
            pending = None
        m = call.match(line)
        if m and m.group(2) in EINTR_CALLS:
            pending = m.group(2)
    return sites


def eintr_rules(python, probability):
    sites = call_sites(python)
    missing = [c for c in ["recv", "send", "accept4", "poll"] if c not in sites]
    if missing:
        raise SystemExit(f"cpython_oracle: no call of {', '.join(missing)} found in {python}")
    return [f"{call}:error=EINTR:probability={probability}:site={python}+{addr}"
            for call in EINTR_CALLS for addr in sites.get(call, [])]


def module_and_patterns(selection):
    module, _, patterns = selection.partition("=")
    return module, [p for p in patterns.split(",") if p]


def clean_env(scratch):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LD_PRELOAD", "FAULTLINE_", "PYTHON"))}
    env.update(TMPDIR=scratch, LC_ALL="C.UTF-8")
    return env


def outcomes(junit_path):
    """{test id: outcome} from regrtest's --junit-xml."""
    result = {}
    if not os.path.exists(junit_path):
        return result
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcome = ("error" if "error" in kinds else "failure" if "failure" in kinds
                   else "skipped" if "skipped" in kinds else "expected-failure"
                   if "output" in kinds else "pass")
        result[case.get("name")] = outcome
    return result


def module_status(stdout):
    """regrtest's own word on the module: its last "Tests result" line."""
    found = re.findall(r"^Tests result: (.*)$", stdout, re.M)
    return found[-1] if found else "no result (crashed or killed)"


# The module runs going on: process group -> (scratch folder, under faultline).
RUNNING = {}


def stop_running(signum, _frame):
    """SIGTERM or SIGINT (ctest's timeout, ^C): end the module runs (faultline cleans up after
    its own on SIGTERM), remove their scratch folders, exit 128+N."""
    for group, (scratch, faulted) in list(RUNNING.items()):
        try:
            os.killpg(group, signal.SIGTERM if faulted else signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 20
    for group, (scratch, _) in list(RUNNING.items()):
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)  # polling a process group's end: no descriptor to wait on
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(scratch, ignore_errors=True)
    os._exit(128 + signum)


def left_running(group):
    """The processes still in the run's process group, killed (the run is over)."""
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == group:  # the process group
            left.append(f"{pid} {stat[stat.index('(') + 1:stat.rindex(')')]}")
    if left:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def run_module(args, selection, rules, label):
    """One regrtest run of one selection; returns a dict with its outcomes."""
    module, patterns = module_and_patterns(selection)
    scratch = tempfile.mkdtemp(prefix=f"cpython-oracle-{module}-")
    try:
        junit = os.path.join(scratch, "junit.xml")
        cmd = [args.python, "-m", "test", "--tempdir", os.path.join(scratch, "regrtest"),
               "--junit-xml", junit, "--timeout", str(args.module_timeout)]
        for pattern in patterns:
            option = {"-": "-i", "+": "-u"}.get(pattern[0])
            cmd += [option, pattern[1:]] if option else ["-m", pattern]
        cmd.append(module)
        report = os.path.join(scratch, "faultline.json")
        if rules is not None:
            cmd = [args.faultline, "exec", "-q", "--json", report, "--seed", str(args.seed)] + [
                f"--fault={r}" for r in rules] + ["--", *cmd]
        started = time.monotonic()
        # A session of its own: what the run leaves running is found by its process group.
        proc = subprocess.Popen(cmd, cwd=scratch, env=clean_env(scratch),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace",
                                start_new_session=True)
        RUNNING[proc.pid] = (scratch, rules is not None)
        try:
            stdout, stderr = proc.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            # faultline ends its run on SIGTERM and removes what it made; a native run is
            # simply killed, with its group.
            os.killpg(proc.pid, signal.SIGTERM if rules is not None else signal.SIGKILL)
            try:
                stdout, stderr = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                stdout, stderr = proc.communicate()
            stderr += f"\ncpython_oracle: killed after {args.timeout} s\n"
        run = {"selection": selection, "label": label, "exit": proc.returncode,
               "seconds": time.monotonic() - started, "tests": outcomes(junit),
               "status": module_status(stdout), "stdout": stdout,
               "stderr": stderr, "faults": [], "blind_spots": [],
               "left_running": left_running(proc.pid)}
        if rules is not None:
            if not os.path.exists(report):
                raise SystemExit(f"cpython_oracle: faultline wrote no report for {selection}:\n"
                                 + proc.stderr[-3000:])
            with open(report) as f:
                scenario = json.load(f)["scenarios"][0]
            run["faults"] = scenario["faults"]
            run["unrealistic"] = collections.Counter(
                f"{e['call']} ({e['unrealistic']})" for e in scenario["events"]
                if e.get("unrealistic"))
            run["events"] = len(scenario["events"])
            run["events_lost"] = scenario.get("events_lost", 0)
            run["blind_spots"] = [s["kind"] for p in scenario["processes"]
                                  for s in p.get("blind_spots", [])]
        left = [n for n in os.listdir(scratch) if n.startswith("faultline-")]
        if left:
            raise SystemExit(f"cpython_oracle: faultline left {left} in {scratch}")
        return run
    finally:
        if "proc" in locals():
            RUNNING.pop(proc.pid, None)
        shutil.rmtree(scratch, ignore_errors=True)


def run_all(args, selections, rules, label):
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        return list(pool.map(lambda s: run_module(args, s, rules, label), selections))


def leftovers():
    """Names in the places a run could leave IPC objects behind."""
    names = set()
    for folder in ["/dev/shm", "/dev/mqueue"]:
        if os.path.isdir(folder):
            names.update(os.path.join(folder, n) for n in os.listdir(folder))
    ipcs = subprocess.run(["ipcs", "-a"], capture_output=True, text=True).stdout
    names.update("ipc " + line.split()[1] for line in ipcs.splitlines()
                 if re.match(r"^0x[0-9a-f]+\s+\d+", line))
    return names


def compare(native, faulted):
    """Test ids whose outcome differs, and whether regrtest's own end differs."""
    tests = sorted(t for t in set(native["tests"]) | set(faulted["tests"])
                   if native["tests"].get(t, "missing") != faulted["tests"].get(t, "missing"))
    module = (native["exit"], native["status"]) != (faulted["exit"], faulted["status"])
    return tests, module


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, stop_running)
    signal.signal(signal.SIGINT, stop_running)
    if args.fault:
        rules = args.fault
    elif args.mode == "same":
        rules = NEVER + WITNESSES
    else:
        rules = eintr_rules(args.python, args.probability)
    mode = "custom faults" if args.fault else args.mode
    # What the armed interposer shows differs in every mode; EINTR adds its own.
    known = {"same": SAME_EXPECTED, "eintr": {**SAME_EXPECTED, **EINTR_EXPECTED}}.get(mode, {})
    before = leftovers()
    started = time.monotonic()

    natives = run_all(args, args.selections, None, "native")
    faulted = run_all(args, args.selections, rules, "faultline")

    print(f"cpython_oracle: mode {mode}, {len(rules)} rules, seed {args.seed}")
    problems, flaky, expected, notes, total_tests = [], [], [], [], 0
    fired = hits = 0
    unrealistic = collections.Counter()
    for selection, native, f in zip(args.selections, natives, faulted):
        total_tests += len(native["tests"])
        if not native["tests"]:
            problems.append(f"{selection}: no test ran natively ({native['status']}):\n"
                            + native["stdout"][-2000:])
        differing, module_differs = compare(native, f)
        # A difference is faultline's only if the test never ends that way natively: each
        # differing test is run natively --recheck more times (alone, by its full id), and
        # one native run that ends as under faultline makes it flaky here, not compared.
        # A test that never ran under faultline (the module run ended early) is not re-run:
        # how the run ended says why.
        rechecks = {t: [] for t in differing}
        ran = [t for t in differing if t in f["tests"]]
        for _ in range(args.recheck if ran else 0):
            module, patterns = module_and_patterns(selection)
            resources = [p for p in patterns if p.startswith("+")]
            again = run_module(args, module + "=" + ",".join(resources + ran), None, "recheck")
            for t in ran:
                rechecks[t].append(again["tests"].get(t, "missing"))
        confirmed = []
        for t in differing:
            a, b = native["tests"].get(t, "missing"), f["tests"].get(t, "missing")
            if b in rechecks[t]:
                flaky.append(f"{t}: {b} under faultline; natively {a}, then "
                             + ", ".join(rechecks[t]))
            elif not args.fault and t in known:
                expected.append(f"{t}: {b} instead of {a} ({known[t]})")
            elif t not in f["tests"]:
                confirmed.append(t)  # summed up below with how the run ended
            else:
                confirmed.append(t)
                problems.append(f"{t}: {b} under faultline, {a} natively"
                                + (f" (and {', '.join(rechecks[t])} on the native re-runs)"
                                   if rechecks[t] else ""))
        missing = [t for t in confirmed if t not in f["tests"]]
        if missing:
            problems.append(f"{selection}: {len(missing)} tests never ran under faultline, "
                            f"regrtest ended with exit {f['exit']} ({f['status']}):\n"
                            + f["stdout"][-4000:] + f["stderr"][-4000:])
        # regrtest's own end (a crash, a leaked thread or file: "ENV CHANGED") matters where no
        # test explains it; it too is re-checked natively once.
        if module_differs and not differing:
            again = run_module(args, selection, None, "recheck")
            if (again["exit"], again["status"]) == (f["exit"], f["status"]):
                flaky.append(f"{selection}: regrtest ended {f['status']} under faultline; "
                             f"natively {native['status']}, then {again['status']}")
            else:
                problems.append(f"{selection}: regrtest ended with exit {f['exit']} "
                                f"({f['status']}) under faultline, exit {native['exit']} "
                                f"({native['status']}) natively\n" + f["stdout"][-3000:]
                                + f["stderr"][-2000:])
        for k, spec in enumerate(f["faults"]):
            fired += spec["fired"]
            hits += spec["hits"]
            if not args.fault and args.mode == "same":
                if spec["fired"]:
                    problems.append(f"{selection}: {spec['spec']} fired {spec['fired']} times")
                if k < len(NEVER) and spec["hits"]:
                    problems.append(f"{selection}: {spec['spec']} was hit {spec['hits']} times "
                                    "(a call CPython was believed never to make)")
        unrealistic.update(f.get("unrealistic", {}))
        # A test that starts a process and does not wait for it is CPython's (a note); under
        # faultline, the run's whole tree must be gone when exec returns.
        if native["left_running"]:
            notes.append(f"{selection}: the native run left running (killed): "
                         + ", ".join(native["left_running"]))
        if f["left_running"]:
            problems.append(f"{selection}: the faultline run left running: "
                            + ", ".join(f["left_running"]))
        print(f"  {selection}: {len(native['tests'])} tests, native {native['seconds']:.1f} s, "
              f"faultline {f['seconds']:.1f} s; {native['status']}"
              + (f"; fired {sum(s['fired'] for s in f['faults'])}" if mode != "same" else "")
              + (f"; blind spots: {', '.join(sorted(set(f['blind_spots'])))}"
                 if f["blind_spots"] else ""))
    witnesses = [s for f in faulted for k, s in enumerate(f["faults"]) if k >= len(NEVER)]
    if mode == "same" and sum(s["hits"] for s in witnesses) == 0:
        problems.append("the witness rules counted no call: the interposer did not load")
    if mode != "same" and fired == 0:
        problems.append("no fault fired: the run under faults tested nothing")

    # Objects that other programs on the machine create and remove meanwhile (CPython's own
    # semaphores in a concurrent run) are not ours: a leak is what stays. Polled, as nothing
    # signals an object's removal.
    left = leftovers() - before
    deadline = time.monotonic() + 10
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left &= leftovers()
    left = sorted(left)
    if left:
        problems.append("left behind: " + ", ".join(left))

    native_s = sum(n["seconds"] for n in natives)
    faulted_s = sum(f["seconds"] for f in faulted)
    print(f"cpython_oracle: {len(args.selections)} modules, {total_tests} tests, "
          f"{time.monotonic() - started:.0f} s in all (module runs: native {native_s:.0f} s, "
          f"faultline {faulted_s:.0f} s); faults fired {fired} "
          f"({sum(unrealistic.values())} flagged unrealistic), rule hits {hits}")
    for what, count in unrealistic.most_common():
        print(f"  unrealistic: {count} x {what}")
    for line in flaky:
        print(f"  flaky natively, not counted: {line}")
    for line in expected:
        print(f"  differs as expected: {line}")
    for line in notes:
        print(f"  note: {line}")
    for line in problems:
        print(f"  DIFFERS: {line}")
    if args.expect_difference:
        ok = not left and any(not p.startswith(("no fault", "the witness")) for p in problems)
        print("cpython_oracle: " + ("the difference was seen" if ok else "NO difference seen"))
        return 0 if ok else 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
