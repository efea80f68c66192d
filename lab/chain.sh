#!/usr/bin/env bash
# The tcpdial path lab: a client, three routers in a row (and a fourth beside the second, for
# equal-cost paths) and a target, each in a network namespace of its own, for path traces and for
# naming the router that answered. Nothing in it has a route out; it uses 198.18.0.0/15 and
# fd00::/8 only. See lab/README.md ("The path lab") for the addresses and the cases.
#
#   lab/chain.sh up     [PREFIX] [--owner PID]  build it (a no-op when complete); with --owner, a
#                                               watcher takes it down when PID exits
#   lab/chain.sh down   [PREFIX]                kill every process in its namespaces, remove them
#   lab/chain.sh status [PREFIX]                what exists; exit status 0 only when complete
#
# PREFIX (default tdp; lower-case letters and digits, at most 10) prefixes the namespace names:
# PREFIXc (client), PREFIXr1, PREFIXr2, PREFIXr2b, PREFIXr3 (routers), PREFIXt (target).
set -Eeuo pipefail

usage() {
  sed -n '7,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "chain.sh: $*" >&2
  exit 1
}

[[ $# -ge 1 ]] || usage
CMD=$1
shift
P=tdp
if [[ $# -ge 1 && $1 != -* ]]; then
  P=$1
  shift
fi
[[ $P =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "bad prefix '$P': 1-10 lower-case letters and digits, starting with a letter"

C=${P}c
R1=${P}r1
R2=${P}r2
R2B=${P}r2b
R3=${P}r3
T=${P}t
ALL_NS=("$C" "$R1" "$R2" "$R2B" "$R3" "$T")
LOG_DIR=/run/tcpdial-lab
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

command -v ip >/dev/null || die "the 'ip' command (iproute2) is missing"
[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces)"

ns_exists() {
  [[ -e /run/netns/$1 ]]
}

nsctl() {
  ip netns exec "$1" sh -c "echo $3 > /proc/sys/${2//.//}"
}

ns_prepare() {
  local ns=$1
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  nsctl "$ns" net.ipv6.conf.default.accept_dad 0
  nsctl "$ns" net.ipv6.conf.all.accept_dad 0
  nsctl "$ns" net.ipv6.conf.default.accept_ra 0
  # Every probe gets its ICMP answer, however many traces run at once; the rate-limit case
  # turns the per-destination limit on for itself.
  nsctl "$ns" net.ipv4.icmp_ratelimit 0
  nsctl "$ns" net.ipv6.icmp.ratelimit 0
  nsctl "$ns" net.ipv4.icmp_msgs_per_sec 100000
  nsctl "$ns" net.ipv4.icmp_msgs_burst 100000
  nsctl "$ns" net.ipv4.ip_forward 1
  nsctl "$ns" net.ipv6.conf.all.forwarding 1
  # Equal-cost paths chosen by a hash of the addresses, the protocol and both ports (and, for
  # IPv6, the flow label), computed from the packet's headers as a router computes it for a
  # packet off a wire: a trace whose flow stays fixed keeps one path, traces from other source
  # ports spread over both. Policy 3 (custom fields) rather than 1 (layer 4): with policy 1 Linux
  # takes the hash an skb already carries, and on a veth that is the sending socket's own random
  # one (sk_txhash, new for every socket), so probes of one fixed flow would still be spread.
  nsctl "$ns" net.ipv4.fib_multipath_hash_fields 0x0037
  nsctl "$ns" net.ipv4.fib_multipath_hash_policy 3
  nsctl "$ns" net.ipv6.fib_multipath_hash_fields 0x003f
  nsctl "$ns" net.ipv6.fib_multipath_hash_policy 3
}

# link NS_A DEV_A ADDR4_A/24 ADDR6_A/64 NS_B DEV_B ADDR4_B/24 ADDR6_B/64
link() {
  ip -n "$1" link add "$2" type veth peer name "$6" netns "$5"
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$1" addr add "$4" dev "$2" nodad
  ip -n "$5" addr add "$7" dev "$6"
  ip -n "$5" addr add "$8" dev "$6" nodad
  ip -n "$1" link set "$2" up
  ip -n "$5" link set "$6" up
  # Packets on a veth are handled in the sender's own system call unless the device's NAPI runs
  # in a thread of its own: the ICMP answer to a SYN would then arrive while connect() still
  # holds the socket's lock, and Linux drops it for that socket (TcpExtLockDroppedIcmps): the
  # connect would end only at the SYN's retransmission, 1 s later. A real link never does that.
  threaded "$1" "$2"
  threaded "$5" "$6"
}

threaded() {
  ip netns exec "$1" sh -c "ethtool -K $2 gro on >/dev/null 2>&1 || true;
    echo 1 > /sys/class/net/$2/threaded 2>/dev/null || true"
}

route4() {
  ip -n "$1" route add "${@:2}"
}

route6() {
  ip -n "$1" -6 route add "${@:2}"
}

complete() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ns_exists "$ns" || return 1
  done
  ip -n "$T" -6 route show default 2>/dev/null | grep -q 'fd00:23::1' || return 1
  ip netns exec "$R3" nft list table inet tcpdial >/dev/null 2>&1 || return 1
  [[ -f /etc/netns/$C/hosts ]] || return 1
}

start_watcher() {
  local owner=$1
  [[ $owner =~ ^[0-9]+$ ]] || die "--owner needs a process id, not '$owner'"
  kill -0 "$owner" 2>/dev/null || die "--owner $owner: no such process"
  mkdir -p "$LOG_DIR"
  stop_watcher
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" down "$3"' \
    chain-watch "$owner" "$SELF" "$P" </dev/null >/dev/null 2>&1 &
  echo $! >"$LOG_DIR/$P.chain.watch"
}

stop_watcher() {
  local wpid
  if [[ -f $LOG_DIR/$P.chain.watch ]]; then
    wpid=$(cat "$LOG_DIR/$P.chain.watch")
    if [[ $wpid =~ ^[0-9]+$ && $wpid != "$$" ]]; then
      kill "$wpid" 2>/dev/null || true
    fi
    rm -f "$LOG_DIR/$P.chain.watch"
  fi
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
  if complete; then
    [[ -z $owner ]] || start_watcher "$owner"
    echo "path lab $P is up"
    return 0
  fi
  command -v nft >/dev/null || die "the 'nft' command (nftables) is missing"
  local ns
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then
      cmd_down >/dev/null
      break
    fi
  done
  trap 'echo "chain.sh: up failed; removing path lab $P" >&2; cmd_down >/dev/null 2>&1 || true' ERR
  for ns in "${ALL_NS[@]}"; do
    ns_prepare "$ns"
  done
  nsctl "$C" net.ipv4.ip_forward 0
  nsctl "$C" net.ipv6.conf.all.forwarding 0
  nsctl "$T" net.ipv4.ip_forward 0
  nsctl "$T" net.ipv6.conf.all.forwarding 0

  link "$C" eth0 198.18.20.2/24 fd00:20::2/64 "$R1" toc 198.18.20.1/24 fd00:20::1/64
  link "$R1" tor2 198.18.21.1/24 fd00:21::1/64 "$R2" tor1 198.18.21.2/24 fd00:21::2/64
  link "$R1" tor2b 198.18.24.1/24 fd00:24::1/64 "$R2B" tor1 198.18.24.2/24 fd00:24::2/64
  link "$R2" tor3 198.18.22.2/24 fd00:22::2/64 "$R3" tor2 198.18.22.3/24 fd00:22::3/64
  link "$R2B" tor3 198.18.25.2/24 fd00:25::2/64 "$R3" tor2b 198.18.25.3/24 fd00:25::3/64
  link "$R3" tot 198.18.23.1/24 fd00:23::1/64 "$T" eth0 198.18.23.2/24 fd00:23::2/64

  # The client's other source addresses, one per case that must not share the routers' per-peer
  # ICMP state: .3 (router 2 sends no time-exceeded to it), .4 (rate limits), .5 (equal-cost paths).
  local a
  for a in 3 4 5; do
    ip -n "$C" addr add "198.18.20.$a/24" dev eth0
    ip -n "$C" addr add "fd00:20::$a/64" dev eth0 nodad
  done
  # The target's second address, reached over both equal-cost paths.
  ip -n "$T" addr add 198.18.26.2/32 dev eth0
  ip -n "$T" addr add fd00:26::2/128 dev eth0 nodad

  route4 "$C" 198.18.0.0/15 via 198.18.20.1
  route6 "$C" fd00::/8 via fd00:20::1

  # router 1: on to router 2; to the second target address over router 2 or 2b (equal cost); the
  # loop net to router 2, which sends it back
  route4 "$R1" 198.18.22.0/24 via 198.18.21.2
  route4 "$R1" 198.18.23.0/24 via 198.18.21.2
  route4 "$R1" 198.18.25.0/24 via 198.18.24.2
  route4 "$R1" 198.18.26.0/24 nexthop via 198.18.21.2 nexthop via 198.18.24.2
  route4 "$R1" 198.18.27.0/24 via 198.18.21.2
  route6 "$R1" fd00:22::/64 via fd00:21::2
  route6 "$R1" fd00:23::/64 via fd00:21::2
  route6 "$R1" fd00:25::/64 via fd00:24::2
  route6 "$R1" fd00:26::/64 nexthop via fd00:21::2 nexthop via fd00:24::2
  route6 "$R1" fd00:27::/64 via fd00:21::2

  route4 "$R2" 198.18.20.0/24 via 198.18.21.1
  route4 "$R2" 198.18.23.0/24 via 198.18.22.3
  route4 "$R2" 198.18.26.0/24 via 198.18.22.3
  route4 "$R2" 198.18.27.0/24 via 198.18.21.1
  route6 "$R2" fd00:20::/64 via fd00:21::1
  route6 "$R2" fd00:23::/64 via fd00:22::3
  route6 "$R2" fd00:26::/64 via fd00:22::3
  route6 "$R2" fd00:27::/64 via fd00:21::1

  route4 "$R2B" 198.18.20.0/24 via 198.18.24.1
  route4 "$R2B" 198.18.23.0/24 via 198.18.25.3
  route4 "$R2B" 198.18.26.0/24 via 198.18.25.3
  route6 "$R2B" fd00:20::/64 via fd00:24::1
  route6 "$R2B" fd00:23::/64 via fd00:25::3
  route6 "$R2B" fd00:26::/64 via fd00:25::3

  route4 "$R3" 198.18.20.0/24 via 198.18.22.2
  route4 "$R3" 198.18.21.0/24 via 198.18.22.2
  route4 "$R3" 198.18.24.0/24 via 198.18.25.2
  route4 "$R3" 198.18.26.0/24 via 198.18.23.2
  route6 "$R3" fd00:20::/64 via fd00:22::2
  route6 "$R3" fd00:21::/64 via fd00:22::2
  route6 "$R3" fd00:24::/64 via fd00:25::2
  route6 "$R3" fd00:26::/64 via fd00:23::2

  # Router 2 drops SYNs to port 82 before routing them (no time-exceeded either: the trace ends
  # "dropped after hop 1") and sends no time-exceeded at all to the client's .3 address.
  ip netns exec "$R2" nft -f - <<'EOF'
table inet tcpdial {
  chain pre {
    type filter hook prerouting priority 0; policy accept;
    tcp dport 82 drop
  }
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 198.18.20.3 icmp type time-exceeded drop
    ip6 daddr fd00:20::3 icmpv6 type time-exceeded drop
  }
}
EOF
  # Router 3 rejects what it would forward to port 83 as administratively prohibited.
  ip netns exec "$R3" nft -f - <<'EOF'
table inet tcpdial {
  chain forward {
    type filter hook forward priority 0; policy accept;
    meta nfproto ipv4 tcp dport 83 reject with icmp admin-prohibited
    meta nfproto ipv6 tcp dport 83 reject with icmpv6 admin-prohibited
  }
}
EOF

  route4 "$T" default via 198.18.23.1
  route6 "$T" default via fd00:23::1

  # Names for the client, from its own hosts file; any other lookup is refused at its loopback.
  mkdir -p "/etc/netns/$C"
  cat >"/etc/netns/$C/hosts" <<'EOF2'
127.0.0.1       localhost
::1             localhost
fd00:23::2      target.lab
198.18.23.2     target.lab
EOF2
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$C/resolv.conf"

  trap - ERR
  complete || die "path lab $P was built but does not check out (see 'chain.sh status $P')"
  [[ -z $owner ]] || start_watcher "$owner"
  echo "path lab $P is up: client $C, routers $R1 $R2 ($R2B) $R3, target $T"
}

kill_ns_pids() {
  local ns=$1 pids i
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 20); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n $pids ]] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.1
}

cmd_down() {
  local ns
  stop_watcher
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then
      kill_ns_pids "$ns"
      ip netns del "$ns" 2>/dev/null || true
    fi
    if [[ -e /run/netns/$ns ]]; then
      umount "/run/netns/$ns" 2>/dev/null || true
      rm -f "/run/netns/$ns"
    fi
    rm -rf "/etc/netns/$ns"
  done
  echo "path lab $P is down"
}

cmd_status() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    if ns_exists "$ns"; then
      echo "== $ns"
      ip -n "$ns" -brief addr show | sed 's/^/   /'
      ip -n "$ns" route show | sed 's/^/   v4 /'
    else
      echo "== $ns: absent"
    fi
  done
  if complete; then
    echo "path lab $P is up"
  else
    echo "path lab $P is not (completely) up"
    return 1
  fi
}

case $CMD in
up) cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
*) usage ;;
esac
