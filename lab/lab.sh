#!/usr/bin/env bash
# The tcpdial network lab: four network namespaces joined by veth pairs, in which every way a TCP
# connect can end is produced on purpose. Nothing in it has a route out of the lab; it uses
# 198.18.0.0/15 and fd00::/8 only. See lab/README.md for the topology and the measured outcomes.
#
#   lab/lab.sh up     [PREFIX] [--owner PID]
#                                         build the lab (a no-op when it is already complete); with
#                                          --owner, a watcher takes the lab down when PID exits
#   lab/lab.sh down   [PREFIX]            kill every process in its namespaces, remove them and
#                                          /etc/netns/PREFIX{c,r,s,k}; never fails when absent
#   lab/lab.sh status [PREFIX]            what exists; exit status 0 only when the lab is complete
#   lab/lab.sh serve  PREFIX|-- CMD ARG... run CMD in the server namespace in the background (its
#                                          output in /run/tcpdial-lab/PREFIX-server.log) and wait
#                                          until something listens on port 80; "--" for tdl
#
# PREFIX (default tdl; lower-case letters and digits, at most 12) prefixes the namespace names, so
# labs with different prefixes coexist. Interface names live inside the namespaces only.
set -Eeuo pipefail

usage() {
  sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "lab.sh: $*" >&2
  exit 1
}

[[ $# -ge 1 ]] || usage
CMD=$1
shift
P=tdl
if [[ $# -ge 1 && $1 != -* ]]; then
  P=$1
  shift
fi
[[ $P =~ ^[a-z][a-z0-9]{0,11}$ ]] || die "bad prefix '$P': 1-12 lower-case letters and digits, starting with a letter"

NS_C=${P}c # client: routes only to the lab, local unreachable/prohibit/blackhole routes
NS_K=${P}k # second client: net.ipv4.tcp_syn_retries=1
NS_R=${P}r # router: forwards, answers with ICMP errors or drops silently
NS_S=${P}s # server: listeners on port 80, nothing on 81
ALL_NS=("$NS_C" "$NS_K" "$NS_R" "$NS_S")
LOG_DIR=/run/tcpdial-lab
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

command -v ip >/dev/null || die "the 'ip' command (iproute2) is missing"
if [[ $(id -u) -ne 0 ]]; then
  die "must run as root (network namespaces)"
fi

ns_exists() {
  [[ -e /run/netns/$1 ]]
}

# Sets a sysctl inside a namespace: nsctl NS net.ipv4.ip_forward 1
nsctl() {
  local ns=$1 key=$2 value=$3
  ip netns exec "$ns" sh -c "echo $value > /proc/sys/${key//.//}"
}

nsget() {
  local ns=$1 key=$2
  ip netns exec "$ns" cat "/proc/sys/${key//.//}"
}

write_netns_etc() {
  local ns=$1
  mkdir -p "/etc/netns/$ns"
  # Names for the clients. A name's addresses are returned in file order (glibc keeps it for these
  # addresses: IPv6 fd00::/8 sorts before IPv4, and IPv4 outside the client's subnet stays in order).
  cat >"/etc/netns/$ns/hosts" <<'EOF'
# tcpdial lab: names the clients resolve without any DNS
127.0.0.1       localhost
::1             localhost
198.18.1.2      ok.lab ok4.lab
fd00:0:0:2::2   ok.lab ok6.lab
fd00:4::1       dual-silent6.lab
198.18.1.2      dual-silent6.lab
198.18.4.1      two-dead.lab
198.18.4.2      two-dead.lab
198.18.1.2      two-dead.lab
198.18.1.2      refused.lab
fd00:0:0:2::2   refused.lab
198.18.4.1      silent.lab silent4.lab
fd00:4::1       silent.lab silent6.lab
198.18.4.1      all-dead.lab
fd00:4::1       all-dead.lab
198.18.4.2      all-dead.lab
fd00:4::2       all-dead.lab
198.18.4.3      all-dead.lab
198.18.0.99     no-arp.lab
fd00:0:0:1::99  no-nd.lab
198.18.2.1      icmp-host.lab
198.18.3.1      icmp-net.lab
198.18.5.1      icmp-prohibited.lab
fd00:5::1       icmp-prohibited6.lab
198.19.255.1    no-route.lab
EOF
  # A lookup of any other name is refused at once on the namespace's own loopback.
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$ns/resolv.conf"
}

# Neighbour resolution on DEV gives up after 3 unanswered probes 800 ms apart: an address on the
# link that nobody owns fails with EHOSTUNREACH after 2.4 s. (The kernel's 1 s would end it at 3 s,
# exactly when TCP retransmits the SYN for the second time: a SYN arriving just after the failure
# starts a new lookup, and that dial then fails only after 6 s.)
set_neigh() {
  local ns=$1 dev=$2 fam
  for fam in ipv4 ipv6; do
    nsctl "$ns" "net.$fam.neigh.$dev.mcast_solicit" 3
    nsctl "$ns" "net.$fam.neigh.$dev.ucast_solicit" 3
    nsctl "$ns" "net.$fam.neigh.$dev.app_solicit" 0
    nsctl "$ns" "net.$fam.neigh.$dev.retrans_time_ms" 800
  done
}

# A client namespace: lo, eth0 to the router on NET (IPv4 /24 prefix "198.18.N") and V6NET
# ("fd00:0:0:M"), routes to the lab only.
make_client() {
  local ns=$1 rif=$2 net4=$3 net6=$4
  ip -n "$ns" link add eth0 type veth peer name "$rif" netns "$NS_R"
  ip -n "$ns" addr add "$net4.2/24" dev eth0
  ip -n "$ns" addr add "$net6::2/64" dev eth0 nodad
  ip -n "$NS_R" addr add "$net4.1/24" dev "$rif"
  ip -n "$NS_R" addr add "$net6::1/64" dev "$rif" nodad
  ip -n "$ns" link set eth0 up
  ip -n "$NS_R" link set "$rif" up
  set_neigh "$ns" eth0
  # No default route: anything outside 198.18.0.0/16 and fd00::/16 is ENETUNREACH right here.
  ip -n "$ns" route add 198.18.0.0/16 via "$net4.1" dev eth0
  ip -n "$ns" -6 route add fd00::/16 via "$net6::1" dev eth0
  write_netns_etc "$ns"
}

ns_prepare() {
  local ns=$1
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # Every address is usable at once: no duplicate address detection, not even for link-locals.
  nsctl "$ns" net.ipv6.conf.default.accept_dad 0
  nsctl "$ns" net.ipv6.conf.all.accept_dad 0
  nsctl "$ns" net.ipv6.conf.default.accept_ra 0
  # ICMP errors are never rate limited inside the lab: every probe gets its answer.
  nsctl "$ns" net.ipv4.icmp_ratelimit 0
  nsctl "$ns" net.ipv6.icmp.ratelimit 0
}

lab_complete() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ns_exists "$ns" || return 1
  done
  [[ -f /etc/netns/$NS_C/hosts && -f /etc/netns/$NS_K/hosts ]] || return 1
  # The last steps of 'up': if they are there, everything before them is too.
  ip -n "$NS_S" -6 route show default 2>/dev/null | grep 'fd00:0:0:2::1' >/dev/null || return 1
  ip -n "$NS_R" -6 route show 2>/dev/null | grep '^prohibit fd00:5::/64' >/dev/null || return 1
  [[ $(nsget "$NS_K" net.ipv4.tcp_syn_retries) == 1 ]] || return 1
}

# Takes the lab down when process $1 has gone, however it ended (even kill -9).
start_watcher() {
  local owner=$1
  [[ $owner =~ ^[0-9]+$ ]] || die "--owner needs a process id, not '$owner'"
  kill -0 "$owner" 2>/dev/null || die "--owner $owner: no such process"
  mkdir -p "$LOG_DIR"
  stop_watcher
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" down "$3"' \
    lab-watch "$owner" "$SELF" "$P" </dev/null >/dev/null 2>&1 &
  echo $! >"$LOG_DIR/$P.watch"
}

cmd_up() {
  local owner=
  while [[ $# -gt 0 ]]; do
    case $1 in
    --owner)
      [[ $# -ge 2 ]] || die "--owner needs a process id"
      owner=$2
      shift 2
      ;;
    *) die "unknown option for up: $1" ;;
    esac
  done
  if lab_complete; then
    [[ -z $owner ]] || start_watcher "$owner"
    echo "lab $P is up"
    return 0
  fi
  local ns
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns" || [[ -e /etc/netns/$ns ]]; then
      echo "lab $P is incomplete: removing it first" >&2
      cmd_down
      break
    fi
  done
  trap 'echo "lab.sh: up failed; removing lab $P" >&2; cmd_down >/dev/null 2>&1 || true' ERR

  for ns in "${ALL_NS[@]}"; do
    ns_prepare "$ns"
  done

  # Router: forwards both families; no default route, so 198.18.3.0/24 and fd00:3::/64 have none.
  nsctl "$NS_R" net.ipv4.ip_forward 1
  nsctl "$NS_R" net.ipv4.conf.all.forwarding 1
  nsctl "$NS_R" net.ipv6.conf.all.forwarding 1

  make_client "$NS_C" toc 198.18.0 fd00:0:0:1
  make_client "$NS_K" tok 198.18.6 fd00:0:0:6

  # Linux limits the ICMP errors a router sends for its unreachable/prohibit routes and for
  # missing routes (ip_error(): 1 per second per source address after a burst of 5, set only by the
  # host-wide net.ipv4.route.error_cost/error_burst). So that concurrent probes all get their
  # answer, each such scenario's traffic leaves the client from a source address of its own.
  ip -n "$NS_C" addr add 198.18.0.12/24 dev eth0
  ip -n "$NS_C" addr add 198.18.0.13/24 dev eth0
  ip -n "$NS_C" addr add 198.18.0.15/24 dev eth0
  ip -n "$NS_C" route add 198.18.2.0/24 via 198.18.0.1 dev eth0 src 198.18.0.12
  ip -n "$NS_C" route add 198.18.3.0/24 via 198.18.0.1 dev eth0 src 198.18.0.13
  ip -n "$NS_C" route add 198.18.5.0/24 via 198.18.0.1 dev eth0 src 198.18.0.15

  # Local route types in the client: connect() fails at once with the route's errno.
  ip -n "$NS_C" route add unreachable 198.18.10.0/24
  ip -n "$NS_C" route add prohibit 198.18.11.0/24
  ip -n "$NS_C" route add blackhole 198.18.12.0/24
  ip -n "$NS_C" -6 route add unreachable fd00:10::/64
  ip -n "$NS_C" -6 route add prohibit fd00:11::/64
  ip -n "$NS_C" -6 route add blackhole fd00:12::/64

  # The second client gives up on an unanswered SYN after one retransmission (1 + 2 s).
  nsctl "$NS_K" net.ipv4.tcp_syn_retries 1

  # Server link.
  ip -n "$NS_S" link add eth0 type veth peer name tos netns "$NS_R"
  ip -n "$NS_S" addr add 198.18.1.2/24 dev eth0
  ip -n "$NS_S" addr add fd00:0:0:2::2/64 dev eth0 nodad
  ip -n "$NS_R" addr add 198.18.1.1/24 dev tos
  ip -n "$NS_R" addr add fd00:0:0:2::1/64 dev tos nodad
  ip -n "$NS_S" link set eth0 up
  ip -n "$NS_R" link set tos up
  set_neigh "$NS_R" tos

  # Router policy: ICMP host-unreachable, (no route: net-unreachable), silent drop, prohibited.
  ip -n "$NS_R" route add unreachable 198.18.2.0/24
  ip -n "$NS_R" route add blackhole 198.18.4.0/24
  ip -n "$NS_R" route add prohibit 198.18.5.0/24
  ip -n "$NS_R" -6 route add unreachable fd00:2::/64
  ip -n "$NS_R" -6 route add blackhole fd00:4::/64
  ip -n "$NS_R" -6 route add prohibit fd00:5::/64

  # Server routes back through the router (the last step: lab_complete looks for it).
  ip -n "$NS_S" route add default via 198.18.1.1 dev eth0
  ip -n "$NS_S" -6 route add default via fd00:0:0:2::1 dev eth0

  trap - ERR
  lab_complete || die "lab $P was built but does not check out (see 'lab.sh status $P')"
  [[ -z $owner ]] || start_watcher "$owner"
  echo "lab $P is up: client $NS_C, second client $NS_K, router $NS_R, server $NS_S"
}

kill_ns_pids() {
  local ns=$1 pids i
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n $pids ]] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.1
}

stop_watcher() {
  local wpid
  if [[ -f $LOG_DIR/$P.watch ]]; then
    wpid=$(cat "$LOG_DIR/$P.watch")
    # the watcher itself ends by exec'ing 'down': it is not killed then
    if [[ $wpid =~ ^[0-9]+$ && $wpid != "$$" ]]; then
      kill "$wpid" 2>/dev/null || true
    fi
    rm -f "$LOG_DIR/$P.watch"
  fi
}

cmd_down() {
  local ns
  stop_watcher
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then
      kill_ns_pids "$ns"
      ip netns del "$ns" 2>/dev/null || true
    fi
    # A name in /run/netns without a namespace behind it (a crash mid-way) goes too.
    if [[ -e /run/netns/$ns ]]; then
      umount "/run/netns/$ns" 2>/dev/null || true
      rm -f "/run/netns/$ns"
    fi
    rm -rf "/etc/netns/$ns"
  done
  rm -f "$LOG_DIR/$P-server.log"
  echo "lab $P is down"
}

cmd_status() {
  local ns up=0
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then
      echo "== $ns"
      ip -n "$ns" -brief addr show | sed 's/^/   /'
      ip -n "$ns" route show | sed 's/^/   v4 /'
      ip -n "$ns" -6 route show | grep -v '^fe80' | sed 's/^/   v6 /' || true
      local pids
      pids=$(ip netns pids "$ns" | tr '\n' ' ')
      [[ -z $pids ]] || echo "   pids: $pids"
    else
      echo "== $ns: absent"
    fi
  done
  if lab_complete; then
    echo "lab $P is up"
  else
    echo "lab $P is not (completely) up"
    up=1
  fi
  return $up
}

cmd_serve() {
  [[ ${1:-} == -- ]] && shift
  [[ $# -ge 1 ]] || die "serve needs a command to run in $NS_S"
  lab_complete || die "lab $P is not up"
  mkdir -p "$LOG_DIR"
  local log=$LOG_DIR/$P-server.log i
  local pid
  setsid ip netns exec "$NS_S" "$@" </dev/null >"$log" 2>&1 &
  pid=$!
  for i in $(seq 1 100); do
    if ip netns exec "$NS_S" ss -Hltn 'sport = :80' | grep LISTEN >/dev/null; then
      echo "server in $NS_S listens on port 80 (pid $pid, log: $log)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || die "the server command ended before listening on port 80; see $log"
    sleep 0.1
  done
  die "nothing listens on port 80 in $NS_S after 10 s; see $log"
}

case $CMD in
up) cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
serve) cmd_serve "$@" ;;
*) usage ;;
esac
