#!/usr/bin/env bash
# The CMake package as a user meets it: install this build into a temporary prefix, move the
# prefix elsewhere (the package must not depend on where it was installed), then configure,
# build and ctest the out-of-tree project cmake_consumer/ against it and check each test's
# verdict and the reason for it.
#
# usage: cmake_consumer_test.sh BUILD_DIR CMAKE CTEST GENERATOR MAKE_PROGRAM C_COMPILER
set -euo pipefail

build_dir=$1 cmake=$2 ctest=$3 generator=$4 make_program=$5 cc=$6
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fl-cmake-consumer-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The runs' own folders go here: what a run left behind is then ours to see.
mkdir "$tmp/runs"

failures=0
fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}
# The IPC objects of the machine (System V ids, POSIX names), to compare after the runs.
ipc_objects() {
  cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | awk 'NR > 1 && $1 != "key" { print $2 }' | sort
  ls /dev/shm /dev/mqueue 2>/dev/null | grep '^faultline' | sort || true
}
ipc_before=$(ipc_objects)

# Install, then move the tree: every path in the package must follow it.
"$cmake" --install "$build_dir" --prefix "$tmp/installed" >"$tmp/install.log"
mv "$tmp/installed" "$tmp/prefix"
for f in faultline-config.cmake faultline-config-version.cmake faultline-targets.cmake \
  faultline-functions.cmake; do
  [[ -f $tmp/prefix/lib/cmake/faultline/$f ]] || fail "lib/cmake/faultline/$f not installed"
done

# The installed runner must find its own interposer and peer, not the build tree's.
unset FAULTLINE_PEER FAULTLINE_INTERPOSE
export TMPDIR=$tmp/runs
"$cmake" -S "$here/cmake_consumer" -B "$tmp/build" -G "$generator" \
  -DCMAKE_MAKE_PROGRAM="$make_program" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "the consumer does not configure"; exit 1; }
if grep -q "CMake Warning" "$tmp/configure.log"; then
  cat "$tmp/configure.log"
  fail "configuring the consumer warned"
fi
"$cmake" --build "$tmp/build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "the consumer does not build"; exit 1; }

# The imported targets point into the moved prefix, at files that exist.
while read -r target path; do
  [[ $path == "$tmp/prefix/"* && -f $path ]] || fail "faultline::$target is $path"
done <"$tmp/build/faultline-targets.txt"
[[ $(wc -l <"$tmp/build/faultline-targets.txt") -eq 3 ]] || fail "not 3 imported targets"

# CTest's timeout of a scenario test is the scenario's (robust.yaml: 5s) plus the margin (60 s).
(cd "$tmp/build" && "$ctest" --show-only=json-v1) >"$tmp/tests.json"
timeout=$(python3 -c '
import json, sys
tests = {t["name"]: t for t in json.load(open(sys.argv[1]))["tests"]}
props = {p["name"]: p["value"] for p in tests["records.robust"]["properties"]}
print(int(props["TIMEOUT"]))' "$tmp/tests.json")
[[ $timeout == 65 ]] || fail "records.robust has TIMEOUT $timeout, not 5 s + 60 s"

# Two tests must fail (records.naive, records.wrong-input): ctest exits non-zero.
status=0
(cd "$tmp/build" && "$ctest" -j2 --output-on-failure) >"$tmp/ctest.log" 2>&1 || status=$?
cat "$tmp/ctest.log"
[[ $status -ne 0 ]] || fail "ctest passed although records.naive must fail"

verdict() {  # verdict TEST: Passed, Failed, Timeout, Not Run, ...
  sed -n -E "s/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: $1 \.+ *(\*\*\*)?([A-Za-z ]+[a-z]).*/\2/p" \
    "$tmp/ctest.log"
}
expect_verdict() {
  local got
  got=$(verdict "$1")
  [[ $got == "$2" ]] || fail "$1: '$got', expected '$2'"
}
expect_verdict records.robust Passed
expect_verdict records.naive-caught Passed
expect_verdict records.naive Failed
expect_verdict records.wrong-input Failed
expect_verdict records.explore.plan Passed
expect_verdict records.explore.shard-1 Passed
expect_verdict records.explore.shard-2 Passed
expect_verdict records.explore.merge Passed
expect_verdict records.preload Passed

# The naive server failed for its bug, in the test's output and in its JUnit file.
grep -q "FAIL  records-naive-server" "$tmp/ctest.log" || fail "records.naive: no FAIL line"
grep -q "record_server_naive: record 1 is broken (5 bytes)" "$tmp/ctest.log" ||
  fail "records.naive: the server's complaint is not in the output"
grep -q 'type="exit"' "$tmp/build/records.naive.junit.xml" &&
  grep -q 'message="server: exited with status 1, expected exit 0"' \
    "$tmp/build/records.naive.junit.xml" ||
  fail "records.naive.junit.xml does not name the server's exit"
# The wrong input failed as wrong input (WILL_FAIL did not take it for a caught bug).
grep -q "program './record_server_naiv' not found" "$tmp/ctest.log" ||
  fail "records.wrong-input did not fail on its missing program"
# The caught one was judged caught, not merely failed.
(cd "$tmp/build" && "$ctest" -R '^records\.naive-caught$' -V) >"$tmp/caught.log" 2>&1 ||
  fail "records.naive-caught does not pass when run alone"
grep -q "1 caught, 0 failed" "$tmp/caught.log" || fail "records.naive-caught: not reported caught"
# FAULTS from CMake reached the run: the client's short write fired.
grep -q "client/write:short=3: fired" "$tmp/build/records.robust.junit.xml" ||
  fail "records.robust.junit.xml does not show the FAULTS rule firing"

# The merge ran after both shards and joined every point of the plan.
merge_line=$(grep -n "Test #[0-9]*: records.explore.merge " "$tmp/ctest.log" | cut -d: -f1)
for i in 1 2; do
  shard_line=$(grep -n "Test #[0-9]*: records.explore.shard-$i " "$tmp/ctest.log" | cut -d: -f1)
  [[ -n $shard_line && -n $merge_line && $shard_line -lt $merge_line ]] ||
    fail "records.explore.merge did not end after shard $i"
  [[ -f $tmp/build/records.explore.part-$i.json ]] || fail "no part $i"
done
python3 -c '
import json, sys
build = sys.argv[1]
plan = json.load(open(build + "/records.explore.plan.json"))
merged = json.load(open(build + "/records.explore.json"))
parts = [json.load(open(f"{build}/records.explore.part-{i}.json")) for i in (1, 2)]
points = len(plan["scenarios"][0]["points"])
run = [p["scenarios"][0]["points_run"] for p in parts]
assert points > 0 and all(r > 0 for r in run), (points, run)
assert sum(run) == points == merged["summary"]["points_run"], (points, run, merged["summary"])
' "$tmp/build" || fail "the shards and the merge did not cover the plan"

for f in records.robust records.naive records.naive-caught records.explore; do
  [[ -s $tmp/build/$f.junit.xml ]] || fail "no JUnit file $f.junit.xml"
done

# Nothing left behind: no run folder, no IPC object, no process of the consumer.
leftover_runs=$(find "$tmp/runs" -mindepth 1 -maxdepth 1)
[[ -z $leftover_runs ]] || fail "run folders left: $leftover_runs"
new_ipc=$(comm -13 <(echo "$ipc_before") <(ipc_objects))
[[ -z $new_ipc ]] || fail "IPC objects left: $new_ipc"
if pgrep -f -- "$tmp/" >/dev/null; then fail "processes left: $(pgrep -af -- "$tmp/")"; fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "cmake consumer: all checks passed"
