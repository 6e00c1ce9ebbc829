#!/usr/bin/env bash
# Throughput of a real Postfix with Postwarden attached (policy service + milter) against the same Postfix alone:
#   smtp-source -> Postfix smtpd (127.0.0.1:$SMTP_PORT) -> relayhost smtp-sink (127.0.0.1:$SINK_PORT)
# For each variant it runs a warm-up, then $RUNS timed runs of $MESSAGES messages over $SESSIONS parallel sessions,
# and reports messages/s accepted by smtpd (submission) and until the queue is empty again (end to end), plus the
# mean per-message time of one sequential session ($SEQ messages, -s 1): the latency a client sees.
# Needs root, Postfix, smtp-source/smtp-sink (postfix package) and a built deploy/target/postwarden.jar.
# Loopback only; everything lives under a temporary directory that is removed at the end.
#
# Usage: milter/bench/postfix-throughput.sh            Environment: MESSAGES (5000), SESSIONS (20), RUNS (3),
#        SEQ (500), MSGLEN (2048), JAVA_HOME, DAEMON_JAR, VARIANTS ("alone milter policy both")
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
DAEMON_JAR=${DAEMON_JAR:-deploy/target/postwarden.jar}
MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
RUNS=${RUNS:-3}
SEQ=${SEQ:-500}
MSGLEN=${MSGLEN:-2048}
VARIANTS=${VARIANTS:-"alone milter policy both"}
SMTP_PORT=${SMTP_PORT:-12525}
SINK_PORT=${SINK_PORT:-12526}
POLICY_PORT=${POLICY_PORT:-12533}
MILTER_PORT=${MILTER_PORT:-12534}
HTTP_PORT=${HTTP_PORT:-12535}
[ "$(id -u)" -eq 0 ] || { echo "needs root (runs a throwaway Postfix instance)" >&2; exit 2; }
[ -f "$DAEMON_JAR" ] || { echo "missing $DAEMON_JAR: ./mvnw -q install -DskipTests" >&2; exit 2; }
DAEMON_JAR=$(readlink -f "$DAEMON_JAR")

D=$(mktemp -d /tmp/pw-bench.XXXXXX)
SINK_PID=""; DAEMON_PID=""
cleanup() {
  postfix -c "$D/etc" stop >/dev/null 2>&1 || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT

chmod 755 "$D"
mkdir -p "$D/etc" "$D/queue" "$D/data"
chown postfix:postfix "$D/data"
awk -v port="127.0.0.1:$SMTP_PORT" 'BEGIN{OFS="\t"} /^#/ || /^[ \t]/ || NF<8 {print; next}
  {if ($1=="smtp" && $2=="inet") {$1=port}; $5="n"; print}' /etc/postfix/master.cf > "$D/etc/master.cf"
base_main() {
  cat <<EOC
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.bench.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
smtp_destination_concurrency_limit = 50
alias_maps =
alias_database =
maillog_file = $D/maillog
maillog_file_prefixes = /tmp
smtputf8_enable = no
EOC
}
configure() { # variant
  local policy="check_policy_service { inet:127.0.0.1:$POLICY_PORT, timeout=10s, default_action=DUNNO }"
  base_main > "$D/etc/main.cf"
  case "$1" in
    milter|both) printf 'smtpd_milters = inet:127.0.0.1:%s\nmilter_protocol = 6\nmilter_default_action = accept\n' \
        "$MILTER_PORT" >> "$D/etc/main.cf" ;;
  esac
  case "$1" in
    policy|both) printf 'smtpd_recipient_restrictions = %s, permit_mynetworks, reject_unauth_destination\n' \
        "$policy" >> "$D/etc/main.cf"
      printf 'smtpd_end_of_data_restrictions = %s\n' "$policy" >> "$D/etc/main.cf" ;;
  esac
}

cat > "$D/pw.yaml" <<EOC
policy: {listen: 127.0.0.1:$POLICY_PORT}
milter: {listen: 127.0.0.1:$MILTER_PORT, max-concurrent-per-client: 0}
http: {listen: 127.0.0.1:$HTTP_PORT}
store: {snapshot: {path: ""}}
networks: {local-domains: [bench.test]}
limits:
  host:
    connections: [{window: 1m, max: 10000000}]
    messages: [{window: 1h, max: 10000000}]
    recipients: [{window: 1m, max: 10000000}]
  subnet:
    connections: [{window: 1m, max: 10000000}]
    messages: [{window: 1h, max: 10000000}]
    recipients: [{window: 1h, max: 10000000}]
EOC
(cd "$D" && exec "$JAVA_HOME/bin/java" -jar "$DAEMON_JAR" run --config "$D/pw.yaml" > "$D/daemon.log" 2>&1) &
DAEMON_PID=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null || { cat "$D/daemon.log"; exit 1; }

smtp-sink -u postfix "127.0.0.1:$SINK_PORT" 1000 &
SINK_PID=$!

queue_empty() {
  for _ in $(seq 600); do
    [ -z "$(find "$D/queue/incoming" "$D/queue/active" "$D/queue/deferred" "$D/queue/maildrop" -type f 2>/dev/null | head -1)" ] && return 0
    sleep 0.1
  done
  echo "queue did not drain" >&2; return 1
}
now() { date +%s.%N; }
run() { # sessions messages -> "submit_rate e2e_rate"
  local t0 t1 t2
  t0=$(now)
  smtp-source -s "$1" -m "$2" -l "$MSGLEN" -M mail.client.bench.test -f sender@client.bench.test -t rcpt@example.net \
    "127.0.0.1:$SMTP_PORT" >/dev/null
  t1=$(now)
  queue_empty
  t2=$(now)
  awk -v n="$2" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN{printf "%.0f %.0f\n", n/(b-a), n/(c-a)}'
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

printf '%-8s %12s %12s %14s\n' variant submit/s end-to-end/s ms/msg-seq
started=0
for v in $VARIANTS; do
  configure "$v"
  if [ $started -eq 0 ]; then postfix -c "$D/etc" check; postfix -c "$D/etc" start; started=1; else postfix -c "$D/etc" reload >/dev/null; fi
  sleep 2
  run "$SESSIONS" 1000 >/dev/null
  subs=(); e2es=()
  for _ in $(seq "$RUNS"); do
    read -r s e < <(run "$SESSIONS" "$MESSAGES")
    subs+=("$s"); e2es+=("$e")
  done
  read -r ss _ < <(run 1 "$SEQ")
  printf '%-8s %12s %12s %14s\n' "$v" "$(printf '%s\n' "${subs[@]}" | median)" \
    "$(printf '%s\n' "${e2es[@]}" | median)" "$(awk -v r="$ss" 'BEGIN{printf "%.2f", 1000/r}')"
done
grep -c "milter-reject\|reject:" "$D/maillog" | sed 's/^/rejects in mail log: /'
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^postwarden_(fallbacks|protocol_errors)_total' || true
