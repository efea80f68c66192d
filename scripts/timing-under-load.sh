#!/usr/bin/env bash
# The timing-sensitive test classes, N times in a row (default 20), while stress-ng keeps every CPU
# busy: a timing bound must hold on a loaded machine. Prints one line per round and the count of
# failed rounds; exits non-zero when any failed. The lab classes need root (they skip otherwise).
#   scripts/timing-under-load.sh [ROUNDS]
set -euo pipefail
root=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
. "$root/scripts/jdk.sh"
tcpdial_find_jdk || exit 1
rounds=${1:-20}
command -v stress-ng >/dev/null || { echo "timing-under-load: needs stress-ng (scripts/setup-test-deps.sh installs it, or apt-get install stress-ng)" >&2; exit 1; }
core='HappyEyeballsLoopbackTest,LoopbackDialTest,NativeEngineOutcomesTest,ResolutionDeadlineTest,LabDialTest,LabOutcomesTest'
cli='CheckCommandTest,PingCommandTest,ServeTest'
cd "$root"
./mvnw -B -ntp -q install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -Dcyclonedx.skip \
  -pl tcpdial-core,tcpdial-cli -am >/dev/null
log=$(mktemp -d)
stress-ng --cpu "$(nproc)" --timeout 0 >/dev/null 2>&1 &
stress=$!
trap 'kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null || true' EXIT
failed=0
for i in $(seq 1 "$rounds"); do
  start=$(date +%s)
  if ./mvnw -B -ntp -o surefire:test -pl tcpdial-core,tcpdial-cli -Dtest="$core,$cli" \
      -Dsurefire.failIfNoSpecifiedTests=false >"$log/round-$i.txt" 2>&1; then
    result=ok
  else
    result=FAILED; failed=$((failed + 1))
  fi
  tests=$(grep -hoE 'Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log/round-$i.txt" | tr '\n' ' ')
  echo "round $i/$rounds: $result in $(( $(date +%s) - start )) s ($tests) load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "timing-under-load: $failed of $rounds rounds failed (logs in $log)"
[ "$failed" -eq 0 ]
