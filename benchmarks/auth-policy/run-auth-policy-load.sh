#!/usr/bin/env bash
# Auth-policy benchmark: starts the real daemon (deploy/target/postwarden.jar) with its auth-policy listener on,
# drives it with wrk (Debian package wrk) and benchmarks/auth-policy/dovecot.lua (allow + report pairs, as Dovecot
# sends them), once per connection count, and stops it. Loopback only. Figures: docs/benchmarks.md, "Auth policy".
#
# Usage: benchmarks/auth-policy/run-auth-policy-load.sh [CONNECTIONS...]      (default: 1 16 64)
# Environment: JAVA_HOME (default temurin 25), DURATION (20s), WARMUP (10s), DAEMON_OPTS, DAEMON_JAR, OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-10s}
DAEMON_JAR=${DAEMON_JAR:-deploy/target/postwarden.jar}
OUT=${OUT:-benchmarks/target/auth-policy}
CONNS=("$@")
[ ${#CONNS[@]} -eq 0 ] && CONNS=(1 16 64)
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 2; }
[ -f "$DAEMON_JAR" ] || { echo "missing $DAEMON_JAR: build first (./mvnw -q package -DskipTests)" >&2; exit 2; }
mkdir -p "$OUT"
cat >"$OUT/bench.yaml" <<YAML
policy: {enabled: false}
milter: {enabled: false}
http: {listen: 127.0.0.1:0}
store: {snapshot: {path: ""}}
admin: {token-file: $PWD/$OUT/admin.token}
auth-policy: {enabled: true, listen: 127.0.0.1:0}
YAML
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" ${DAEMON_OPTS:-} -jar "$DAEMON_JAR" run --config "$OUT/bench.yaml" >"$OUT/daemon.out" 2>&1 &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null || true; wait $DAEMON 2>/dev/null || true' EXIT
PORT=""
for _ in $(seq 1 150); do
  PORT=$(sed -n 's/.*auth-policy listener on \/\{0,1\}127.0.0.1:\([0-9]*\).*/\1/p' "$OUT/daemon.out" | head -1)
  [ -n "$PORT" ] && break
  kill -0 $DAEMON 2>/dev/null || { echo "daemon exited; see $OUT/daemon.out" >&2; exit 1; }
  sleep 0.2
done
[ -n "$PORT" ] || { echo "no auth-policy port in $OUT/daemon.out" >&2; exit 1; }
echo "daemon pid $DAEMON, auth-policy on 127.0.0.1:$PORT; nproc $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c16 -d"$WARMUP" -s benchmarks/auth-policy/dovecot.lua "http://127.0.0.1:$PORT/" >/dev/null
for c in "${CONNS[@]}"; do
  echo "== $c connections, $DURATION"
  wrk -t1 -c"$c" -d"$DURATION" --latency -s benchmarks/auth-policy/dovecot.lua "http://127.0.0.1:$PORT/" \
    | tee "$OUT/wrk-$c.txt" | grep -E "Requests/sec|Latency|  50%|  90%|  99%|Non-2xx|Socket errors"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
