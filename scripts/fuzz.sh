#!/bin/sh
# Fuzzes Postwarden's decoders with Jazzer, one target per run (Jazzer fuzzes one @FuzzTest per JVM).
#
#   scripts/fuzz.sh [-t DURATION] [TARGET...]      e.g. scripts/fuzz.sh -t 10m policy milter-frames
#   scripts/fuzz.sh -l                             lists the targets
#
# DURATION (default 1m) is Jazzer's max_duration per target (5m30s, 1h, ...). With no TARGET, every target runs in
# turn. Each run is `./mvnw test` of the target's module with JAZZER_FUZZ=1 and -Dtest=Class#method; the generated
# corpus goes to MODULE/.cifuzz-corpus/ (git-ignored), and a crash is written by Jazzer into the target's seed
# directory (MODULE/src/test/resources/PACKAGE/CLASSInputs/METHOD/crash-*): fix the code, keep the file there (it
# then runs in every `./mvnw verify`, Jazzer's regression mode). Exit status: the number of targets that failed.
# Needs the JDK of the build (JAVA_HOME); runs offline (-o) as the rest of the build does. See docs/fuzzing.md.
set -u
cd "$(dirname "$0")/.."

TARGETS='
policy          policy-server  org.postwarden.policy.codec.PolicyDecoderFuzzTest#anyBytesDecodeWithinTheLimitsOrAreRefused
milter-frames   milter         org.postwarden.milter.codec.MilterCodecFuzzTest#framedPacketsAreBoundedAndEveryPayloadReadsOrIsRefused
milter-payload  milter         org.postwarden.milter.codec.MilterCodecFuzzTest#everyPayloadReaderGivesAValueOrAProtocolError
syslog-lines    ingest         org.postwarden.ingest.syslog.SyslogFuzzTest#lineFramedOrAnyStream
syslog-counted  ingest         org.postwarden.ingest.syslog.SyslogFuzzTest#octetCountedStream
syslog-udp      ingest         org.postwarden.ingest.syslog.SyslogFuzzTest#datagram
log-lines       ingest         org.postwarden.ingest.parse.LogLineFuzzTest#everyParserGivesAnEventOrNothing
docker-json     ingest         org.postwarden.ingest.source.DockerJsonFuzzTest#jsonLinesDecodeWithinTheBound
config          common/config  org.postwarden.config.ConfigLoaderFuzzTest#anyTextLoadsAndCompilesOrIsRefusedWithProblems
admin-api       deploy         org.postwarden.app.AdminRequestsFuzzTest#queriesAndBodiesAreReadOrRefusedWithA4xx
auth-json       auth-policy    org.postwarden.authpolicy.AuthPolicyFuzzTest#jsonBodiesAreReadWithinTheBoundsOrRefused
auth-http       auth-policy    org.postwarden.authpolicy.AuthPolicyFuzzTest#httpRequestsDecodeOrAreRefused
'

duration=1m
while getopts t:l opt; do
    case $opt in
        t) duration=$OPTARG ;;
        l) echo "$TARGETS" | awk 'NF {printf "%-15s %s\n", $1, $3}'; exit 0 ;;
        *) sed -n '2,12p' "$0"; exit 64 ;;
    esac
done
shift $((OPTIND - 1))
wanted=${*:-$(echo "$TARGETS" | awk 'NF {print $1}')}

failed=0
for name in $wanted; do
    line=$(echo "$TARGETS" | awk -v n="$name" '$1 == n')
    if [ -z "$line" ]; then
        echo "fuzz.sh: unknown target $name (see scripts/fuzz.sh -l)" >&2
        failed=$((failed + 1))
        continue
    fi
    module=$(echo "$line" | awk '{print $2}')
    test=$(echo "$line" | awk '{print $3}')
    echo "== $name ($test) for $duration"
    if JAZZER_FUZZ=1 JAZZER_MAX_DURATION=$duration ./mvnw -o -B -ntp -q test -pl "$module" -am -Dtest="$test" \
            -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true; then
        echo "== $name: no finding"
    else
        echo "== $name: FINDING (or build failure): see the output above and $module/src/test/resources" >&2
        failed=$((failed + 1))
    fi
done
exit $failed
