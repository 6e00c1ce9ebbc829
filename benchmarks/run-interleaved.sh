#!/usr/bin/env bash
# Interleaved policy-load comparison with the C tools of shared/perf: the "always DUNNO" ceiling and one or more
# daemon jars, measured in turns (ceiling, A, B, ceiling, A, B, ...) by the same C generator, so that every figure
# has a ceiling from the same minutes beside it. Loopback only; every process started here is stopped at the end.
#
# Usage: benchmarks/run-interleaved.sh LABEL=JAR [LABEL=JAR ...]
#   e.g. benchmarks/run-interleaved.sh before=/tmp/old/postwarden.jar after=deploy/target/postwarden.jar
# Environment: PERF (the shared/perf folder, default ../shared/perf), ROUNDS (3), CONNS (64), SECONDS_EACH (14),
#              WARMUP (2), MIX (mix/default.mix), CONFIG (benchmarks/config/bench-daemon.yaml), JAVA_HOME,
#              OUT (benchmarks/target/interleaved).
set -euo pipefail
cd "$(dirname "$0")/.."
PERF=${PERF:-../shared/perf}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
SECONDS_EACH=${SECONDS_EACH:-14}
WARMUP=${WARMUP:-2}
MIX=${MIX:-mix/default.mix}
CONFIG=${CONFIG:-benchmarks/config/bench-daemon.yaml}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
OUT=${OUT:-benchmarks/target/interleaved}
[ $# -ge 1 ] || { sed -n '2,11p' "$0"; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
gcc -O2 -o "$OUT/policyload" "$PERF/PolicyLoad.c" -lm -lpthread
gcc -O2 -o "$OUT/dunno_epoll" "$PERF/dunno_epoll.c" -lpthread

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() { # port pid
  for _ in $(seq 1 150); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "server pid $2 exited" >&2; return 1; }
    sleep 0.2
  done
  echo "port $1 never opened" >&2; return 1
}

CEILING_PORT=10096
"$OUT/dunno_epoll" $CEILING_PORT 2 127.0.0.1 >"$OUT/ceiling.out" 2>&1 &
PIDS+=($!)
wait_port $CEILING_PORT $!
LABELS=(ceiling)
PORTS=($CEILING_PORT)
n=0
for spec in "$@"; do
  label=${spec%%=*}
  jar=${spec#*=}
  n=$((n + 1))
  port=$((10200 + 10 * n))
  cfg="$OUT/$label.yaml"
  sed -e "s/127.0.0.1:10133/127.0.0.1:$port/" -e "s/127.0.0.1:10135/127.0.0.1:$((port + 5))/" \
      -e "s/127.0.0.1:10134/127.0.0.1:$((port + 4))/" "$CONFIG" >"$cfg"
  "$JAVA" -Xmx512m -jar "$jar" run --config "$cfg" >"$OUT/$label.out" 2>"$OUT/$label.err" &
  PIDS+=($!)
  wait_port $port $!
  LABELS+=("$label")
  PORTS+=($port)
done
echo "uptime before: $(uptime)" | tee "$OUT/summary.txt"
for r in $(seq 1 "$ROUNDS"); do
  for i in "${!LABELS[@]}"; do
    (cd "$PERF" && "$OUT/policyload" -p "${PORTS[$i]}" -c "$CONNS" -d "$SECONDS_EACH" -w "$WARMUP" \
      -m "$MIX" -l "${LABELS[$i]}") >"$OUT/${LABELS[$i]}-r$r.txt" 2>&1
    grep '^RESULT' "$OUT/${LABELS[$i]}-r$r.txt" | tee -a "$OUT/summary.txt"
  done
done
echo "uptime after: $(uptime)" | tee -a "$OUT/summary.txt"
# Ratios to the ceiling of the same round, and the median over rounds.
awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
       if (v["label"] == "ceiling") { c = v["rps"]; cp = v["p99_us"] } else if (c > 0) {
         printf "%s round ratio %.3f (rps %s, p99 %s us; ceiling %s rps, p99 %s us)\n", v["label"], v["rps"] / c, v["rps"], v["p99_us"], c, cp } }' \
  "$OUT/summary.txt" | tee -a "$OUT/summary.txt"
