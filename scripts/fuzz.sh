#!/usr/bin/env bash
# Fuzzes every place that takes text from a user, SECONDS each (default 60), with Jazzer:
#   scripts/fuzz.sh [SECONDS] [FILTER]     FILTER: only targets whose Class#method contains it
# Each target runs in its own JVM (Jazzer fuzzes one test per run), starting from its committed
# inputs (src/test/resources/.../<Class>Inputs/<method>/) and the corpus it grew before
# (.cifuzz-corpus/, not committed). A finding fails the target, is printed, and its input is
# written next to the committed inputs, where it becomes a regression test once committed.
# Last line: FUZZ targets=N execs=N crashes=N
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/jdk.sh"
tcpdial_find_jdk || exit 1
cd "$root"
seconds=${1:-60}
filter=${2:-}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [FILTER]" >&2
  exit 2
fi
# module  Class#method
targets=(
  "tcpdial-core dev.tcpdial.fuzz.TargetFuzzTest#parse"
  "tcpdial-core dev.tcpdial.fuzz.RaceFuzzTest#schedule"
  "tcpdial-cli dev.tcpdial.cli.targets.TargetListFuzzTest#targetFile"
  "tcpdial-cli dev.tcpdial.cli.targets.TargetListFuzzTest#argument"
  "tcpdial-cli dev.tcpdial.cli.targets.TargetListFuzzTest#portList"
  "tcpdial-cli dev.tcpdial.cli.targets.ConvertersFuzzTest#duration"
  "tcpdial-cli dev.tcpdial.cli.targets.ConvertersFuzzTest#rate"
  "tcpdial-cli dev.tcpdial.cli.targets.ConvertersFuzzTest#shard"
  "tcpdial-cli dev.tcpdial.cli.targets.ConvertersFuzzTest#expectationAndTarget"
  "tcpdial-exporter dev.tcpdial.exporter.ServeFuzzTest#probeQuery"
  "tcpdial-exporter dev.tcpdial.exporter.ServeFuzzTest#config"
  "tcpdial-exporter dev.tcpdial.exporter.ProbeFuzzTest#dialogue"
  "tcpdial-exporter dev.tcpdial.exporter.ProbeFuzzTest#tlsFiles"
)
out="$root/target/fuzz"
mkdir -p "$out"
echo "fuzz: building ..." >&2
./mvnw -B -ntp -q -pl tcpdial-core,tcpdial-exporter,tcpdial-cli -am test-compile >"$out/build.log" 2>&1 \
  || { cat "$out/build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }
# keep Jazzer's agent, native library and Unsafe use quiet on JDK 25 (as surefire's fuzz-regression)
quiet="-XX:+EnableDynamicAgentLoading --sun-misc-unsafe-memory-access=allow -Xshare:off"
n=0
execs=0
crashes=0
for t in "${targets[@]}"; do
  test=${t#* }
  [ -z "$filter" ] || [[ "$test" == *"$filter"* ]] || continue
  n=$((n + 1))
  log="$out/${test//[#.]/_}.log"
  echo "fuzz: $test for ${seconds}s ..." >&2
  # each test's @Timeout becomes libFuzzer's limit per input (JUnit's own check would end the
  # whole run, which is one invocation, so it is off here); the whole run is bounded as well
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" \
    JDK_JAVA_OPTIONS="-Djunit.jupiter.execution.timeout.mode=disabled $quiet" timeout $((seconds + 600)) \
    ./mvnw -B -ntp -o -pl tcpdial-core,tcpdial-exporter,tcpdial-cli -am process-test-classes surefire:test -Dtest="$test" \
    -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false >"$log" 2>&1
  rc=$?
  runs=$(grep -aoE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+')
  if [ -z "$runs" ]; then
    runs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  fi
  runs=${runs:-0}
  found=0
  if [ "$rc" -ne 0 ] || grep -aqE '== Java Exception|FuzzTestFindingException|Timeout after|ERROR: libFuzzer' "$log"; then
    found=1
    echo "fuzz: $test FOUND A PROBLEM (exit $rc); see $log" >&2
    grep -aE -A12 '== Java Exception|FuzzTestFindingException|Tests run:.*Fail' "$log" | head -40 >&2
  fi
  echo "fuzz: $test execs=$runs crash=$found" >&2
  execs=$((execs + runs))
  crashes=$((crashes + found))
done
echo "FUZZ targets=$n execs=$execs crashes=$crashes"
[ "$crashes" -eq 0 ]
