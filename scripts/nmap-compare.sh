#!/usr/bin/env bash
# Times a full TCP connect scan of 127.0.0.1 (ports 1-65535) by tcpdial and by nmap -sT, each run
# three times inside a network namespace of this script's own (nothing listens there but the two
# listeners it starts), and prints the medians and their ratio. The tcpdial time is the whole
# process, JVM start included. Needs root (ip netns); installs nmap with apt-get when missing.
#
#   scripts/nmap-compare.sh            # build the jar first if it is missing
#   RUNS=5 scripts/nmap-compare.sh
#   ENGINE=epoll RUNS=5 scripts/nmap-compare.sh   # tcpdial scan --engine epoll (default: auto)
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR=$ROOT/tcpdial-cli/target/tcpdial.jar
RUNS=${RUNS:-3}
ENGINE=${ENGINE:-auto}
OPEN_PORTS=(8080 9090)

die() {
  echo "nmap-compare: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "needs root (it creates a network namespace)"
command -v ip >/dev/null || die "the 'ip' command (iproute2) is missing"

find_java() {
  local j
  for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
    [[ -x $j ]] || continue
    local v
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [[ -n $v && $v -ge 25 ]]; then
      echo "$j"
      return 0
    fi
  done
  return 1
}
JAVA=$(find_java) || die "no JDK 25 or newer found (set JAVA_HOME)"
export JAVA_HOME=${JAVA%/bin/java}

if [[ ! -f $JAR ]]; then
  echo "building $JAR ..." >&2
  (cd "$ROOT" && ./mvnw -q -pl tcpdial-cli -am package -DskipTests) || die "build failed"
fi
if ! command -v nmap >/dev/null; then
  echo "installing nmap ..." >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap >/dev/null \
    || die "could not install nmap"
fi

NS=tdnmap$$
WORK=$(mktemp -d)
cleanup() {
  local pids
  pids=$(ip netns pids "$NS" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up

# The launcher's own JVM flags when it is there, else the flags tcpdial needs.
if [[ -x $ROOT/tcpdial ]]; then
  TCPDIAL=("$ROOT/tcpdial")
else
  TCPDIAL=("$JAVA" --enable-native-access=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED -jar "$JAR")
fi
for p in "${OPEN_PORTS[@]}"; do
  ip netns exec "$NS" "${TCPDIAL[@]}" demo --serve "$p" </dev/null >/dev/null 2>&1 &
  disown
done
for _ in $(seq 1 100); do
  n=$(ip netns exec "$NS" ss -Hltn | wc -l)
  [[ $n -ge ${#OPEN_PORTS[@]} ]] && break
  sleep 0.1
done
[[ $(ip netns exec "$NS" ss -Hltn | wc -l) -ge ${#OPEN_PORTS[@]} ]] || die "the listeners did not start"

now_ns() { date +%s%N; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

expected_open=$(printf '%s\n' "${OPEN_PORTS[@]}" | sort -n | tr '\n' ' ')
tcpdial_times=()
nmap_times=()
for run in $(seq 1 "$RUNS"); do
  out=$WORK/tcpdial-$run.json
  t0=$(now_ns)
  set +e
  ip netns exec "$NS" "${TCPDIAL[@]}" scan 127.0.0.1 -p 1-65535 --format json --no-progress --engine "$ENGINE" >"$out" 2>"$WORK/tcpdial-$run.err"
  rc=$?
  set -e
  t1=$(now_ns)
  tcpdial_times+=($(((t1 - t0) / 1000000)))
  # exit code 3: the closed ports are refused, as they should be
  [[ $rc -eq 3 ]] || die "tcpdial run $run exited $rc: $(head -c 300 "$WORK/tcpdial-$run.err")"
  lines=$(wc -l <"$out")
  [[ $lines -eq 65536 ]] || die "tcpdial run $run printed $lines lines, not 65535 results + 1 summary"
  summary=$(tail -n 1 "$out")
  total=$(grep -o '"total":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
  connected=$(grep -o '"connected":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
  refused=$(grep -o '"refused":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
  [[ $total -eq 65535 ]] || die "tcpdial run $run: summary total $total, not 65535"
  [[ $connected -eq ${#OPEN_PORTS[@]} ]] || die "tcpdial run $run: $connected connected, expected ${#OPEN_PORTS[@]}"
  [[ $refused -eq $((65535 - ${#OPEN_PORTS[@]})) ]] || die "tcpdial run $run: $refused refused, expected $((65535 - ${#OPEN_PORTS[@]}))"
  if command -v python3 >/dev/null; then
    python3 -c 'import json, sys; [json.loads(line) for line in sys.stdin]' <"$out" \
      || die "tcpdial run $run: a line is not JSON"
    json_checked="every line parsed as JSON (python3)"
  elif command -v jq >/dev/null; then
    jq -e . "$out" >/dev/null || die "tcpdial run $run: a line is not JSON"
    json_checked="every line parsed as JSON (jq)"
  else
    json_checked="JSON not parsed (no python3 or jq here)"
  fi
  open=$(grep '"outcome":"connected"' "$out" | grep -o '"port":[0-9]*' | cut -d: -f2 | sort -n | tr '\n' ' ')
  [[ $open == "$expected_open" ]] || die "tcpdial run $run: open ports '$open', expected '$expected_open'"

  t0=$(now_ns)
  ip netns exec "$NS" nmap -sT -n -Pn -p 1-65535 127.0.0.1 --min-rate 5000 -oG "$WORK/nmap-$run.txt" >/dev/null
  t1=$(now_ns)
  nmap_times+=($(((t1 - t0) / 1000000)))
  nopen=$(grep -o '[0-9]*/open' "$WORK/nmap-$run.txt" | cut -d/ -f1 | sort -n | tr '\n' ' ')
  [[ $nopen == "$expected_open" ]] || echo "nmap-compare: note: nmap run $run saw open ports '$nopen'" >&2
  echo "run $run: tcpdial ${tcpdial_times[-1]} ms, nmap ${nmap_times[-1]} ms" >&2
done

t_med=$(printf '%s\n' "${tcpdial_times[@]}" | median)
n_med=$(printf '%s\n' "${nmap_times[@]}" | median)
ratio=$(awk -v a="$t_med" -v b="$n_med" 'BEGIN { printf "%.2f", a / b }')
engine=$(head -n 1 "$WORK/tcpdial-1.json" | grep -o '"engine":"[a-z]*"' | cut -d'"' -f4 || true)
echo "${TCPDIAL[0]##*/} scan 127.0.0.1 -p 1-65535 --format json --engine $ENGINE (ran: $engine): median ${t_med} ms of $RUNS (${tcpdial_times[*]}), JVM start included"
echo "nmap -sT -n -Pn -p 1-65535 127.0.0.1 --min-rate 5000: median ${n_med} ms of $RUNS (${nmap_times[*]})"
echo "ratio tcpdial/nmap: ${ratio}"
echo "checked: 65535 results per tcpdial run, ${#OPEN_PORTS[@]} connected (ports ${expected_open% }), the rest refused; $json_checked"
