#!/usr/bin/env bash
# N runs of a memcached scenario (a service and a client looping against it), each runner
# SIGKILLed at a random moment within its first 2 s, then `faultline gc`. Prints how many
# processes of those runs were alive before and after gc (after must be 0) and how many run
# directories are left. Uses a private TMPDIR, so that no other gc on the machine interferes.
#   tests/bench/killed_runners.sh [N] [FAULTLINE]     (default 20, build/bin/faultline)
set -uo pipefail
N=${1:-20}
FL=${2:-$(dirname "$0")/../../build/bin/faultline}
command -v memcached >/dev/null || { echo "memcached is not installed (ci/setup)" >&2; exit 2; }
export TMPDIR=$(mktemp -d /tmp/fl-killed-runners-XXXXXX)
trap 'rm -rf "$TMPDIR"' EXIT
cat > "$TMPDIR/mc.yaml" <<'YAML'
scenario: mc-kill
timeout: 30s
channels: { mc: { type: unix-stream } }
processes:
  memcached:
    run: [memcached, -u, root, -s, "${mc.path}"]
    lifetime: service
    ready: { listening: mc }
  client:
    run: 'while :; do printf "version\r\n" | socat -t1 - UNIX-CONNECT:${mc.path} >/dev/null; sleep 0.05; done'
    after: [memcached]
YAML
alive() {  # live (not zombie) processes whose environment names one of these runs
  local n=0 p
  for p in /proc/[0-9]*; do
    [ -r "$p/environ" ] || continue
    [ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" = Z ] && continue
    tr "\\0" "\\n" 2>/dev/null < "$p/environ" | grep -q "^FAULTLINE_RUN_DIR=$TMPDIR/" && n=$((n + 1))
  done
  echo "$n"
}
for _ in $(seq "$N"); do
  "$FL" run "$TMPDIR/mc.yaml" --no-backtrace >/dev/null 2>&1 &
  runner=$!
  sleep "$(awk -v s=$RANDOM 'BEGIN { srand(s); printf "%.2f", rand() * 2 }')"
  kill -KILL "$runner"
  wait "$runner" 2>/dev/null
done
echo "runs killed: $N"
echo "processes alive before the last gc: $(alive)"
echo "processes ended by gc: $("$FL" gc | grep -c '^ended')"
echo "processes alive after gc: $(alive)"
echo "run directories left: $(find "$TMPDIR" -maxdepth 1 -name 'faultline-*' | wc -l)"
