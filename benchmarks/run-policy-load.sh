#!/usr/bin/env bash
# Policy load benchmark: starts the real daemon (deploy/target/postwarden.jar) with benchmarks/config/bench-daemon.yaml,
# runs PolicyLoadGenerator at each connection count against it, stops the daemon. Loopback only. See docs/benchmarks.md.
#
# Usage: benchmarks/run-policy-load.sh [CONNECTIONS...]      (default: 1 8 64)
# Environment: JAVA_HOME (default temurin 25), WARMUP (10s), DURATION (30s), CONFIG (bench config file),
#              NULL_SERVER=1 to run against NullPolicyServer (transport baseline) instead of the daemon,
#              DAEMON_OPTS (extra JVM options for the daemon), OUT (output directory, default benchmarks/target/load),
#              BENCH_JAR / DAEMON_JAR (jars to use, default the freshly built ones).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
WARMUP=${WARMUP:-10s}
DURATION=${DURATION:-30s}
CONFIG=${CONFIG:-benchmarks/config/bench-daemon.yaml}
OUT=${OUT:-benchmarks/target/load}
BENCH_JAR=${BENCH_JAR:-benchmarks/target/benchmarks.jar}
DAEMON_JAR=${DAEMON_JAR:-deploy/target/postwarden.jar}
CONNS=("$@")
[ ${#CONNS[@]} -eq 0 ] && CONNS=(1 8 64)
for j in "$BENCH_JAR" "$DAEMON_JAR"; do
  [ -f "$j" ] || { echo "missing $j: build first (./mvnw -q install -DskipTests)" >&2; exit 2; }
done
mkdir -p "$OUT"

cpu() { # user+system CPU seconds of a process
  awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"
}
busy() { # CPU seconds the whole machine spent busy (not idle or iowait)
  awk '/^cpu / {printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100}' /proc/stat
}

if [ "${NULL_SERVER:-0}" = 1 ]; then
  PORT=${PORT:-10143}
  "$JAVA" -cp "$BENCH_JAR" org.postwarden.bench.NullPolicyServer --port $PORT --duration 1800 \
    >"$OUT/server.out" 2>"$OUT/server.err" &
  LABEL=null-server
else
  PORT=${PORT:-10133} # must match policy.listen in $CONFIG
  # shellcheck disable=SC2086
  "$JAVA" ${DAEMON_OPTS:-} -jar "$DAEMON_JAR" run --config "$CONFIG" >"$OUT/server.out" 2>"$OUT/server.err" &
  LABEL=daemon
fi
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  kill -0 $SERVER 2>/dev/null || { echo "server exited; see $OUT/server.err" >&2; exit 1; }
  sleep 0.2
done
# The port must be ours (not another server that happened to be listening there).
sleep 1
kill -0 $SERVER 2>/dev/null || { echo "server exited; see $OUT/server.err" >&2; exit 1; }
if command -v ss >/dev/null && ! ss -ltnpH "sport = :$PORT" | grep -q "pid=$SERVER,"; then
  echo "127.0.0.1:$PORT is not served by our server (pid $SERVER); see $OUT/server.err" >&2; exit 1
fi
echo "$LABEL pid $SERVER on 127.0.0.1:$PORT; nproc $(nproc); $("$JAVA" -version 2>&1 | head -1)"

for c in "${CONNS[@]}"; do
  log="$OUT/$LABEL-c$c.txt"
  "$JAVA" -cp "$BENCH_JAR" org.postwarden.bench.PolicyLoadGenerator --port $PORT -c "$c" -w "$WARMUP" -d "$DURATION" \
    >"$log" 2>&1 &
  GEN=$!
  # CPU use during the measured part only (skip the warm-up, stop a second before the end).
  sleep "$(( ${WARMUP%s} + 1 ))"
  s0=$(cpu $SERVER); g0=$(cpu $GEN); m0=$(busy); t0=$(date +%s.%N)
  sleep "$(( ${DURATION%s} - 2 ))"
  s1=$(cpu $SERVER); g1=$(cpu $GEN); m1=$(busy); t1=$(date +%s.%N)
  wait $GEN
  awk -v s0="$s0" -v s1="$s1" -v g0="$g0" -v g1="$g1" -v m0="$m0" -v m1="$m1" -v t0="$t0" -v t1="$t1" 'BEGIN {
    t = t1 - t0; s = (s1 - s0) / t; g = (g1 - g0) / t; m = (m1 - m0) / t
    printf "CPU cores used: server %.2f, generator %.2f, everything else on the machine %.2f\n", s, g, m - s - g }' \
    | tee -a "$log"
  grep -E "^RESULT" "$log"
done
echo "logs in $OUT"
