#!/usr/bin/env bash
# Installs, once, what the tests use beyond the JDK; each check below names the tests it serves.
# Needs root and apt-get; elsewhere it says what is missing and the affected tests skip.
#   scripts/setup-test-deps.sh          what ./test uses
#   scripts/setup-test-deps.sh --dist   and what ./mvnw -Pdist uses (./test -Pdist passes it):
#                                       lintian, podman and runc, mmdebstrap, jq
set -uo pipefail
need=()
if [ "${1:-}" = --dist ]; then
  # DistTest's lintian of the .deb; scripts/image.sh (mmdebstrap, jq) and ImageTest (podman, runc:
  # crun fails on this kind of machine's cgroups)
  command -v lintian >/dev/null 2>&1 || need+=(lintian)
  command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
  command -v jq >/dev/null 2>&1 || need+=(jq)
  command -v podman >/dev/null 2>&1 || need+=(podman)
  command -v runc >/dev/null 2>&1 || need+=(runc)
fi
# iproute2: the network-namespace lab; a German locale with glibc's translations: outcome names
# must not depend on the locale; groff: the manual page must render without a warning
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ -f /usr/share/locale/de/LC_MESSAGES/libc.mo ] || need+=(libc-l10n)
command -v locale-gen >/dev/null 2>&1 || need+=(locales)
command -v groff >/dev/null 2>&1 || need+=(groff-base)
# PostgreSQL for the pgjdbc test of tcpdial-socketfactory (started by the test itself, on loopback)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
# tcpdial serve: a real Prometheus scrapes it, the real blackbox_exporter answers beside it;
# promtool (same package) checks deploy/prometheus's rules and the dashboard's queries, and three
# Prometheus federate two exporters (FederationTest); systemd-analyze verifies the service's unit
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || need+=(prometheus-blackbox-exporter)
# the exporter's real peers (RealPeersTest): OpenSSH's sshd (ssh_banner), ngIRCd (irc_banner),
# Dovecot (IMAP STARTTLS, POP3S), Exim (SMTP STARTTLS), curl; each started by the test in a
# namespace of its own, never as a service (see no_start below)
command -v /usr/sbin/sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v /usr/sbin/ngircd >/dev/null 2>&1 || need+=(ngircd)
command -v /usr/sbin/dovecot >/dev/null 2>&1 || need+=(dovecot-imapd dovecot-pop3d)
command -v /usr/sbin/exim4 >/dev/null 2>&1 || need+=(exim4-daemon-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
# RabbitMQ (example.yml's rabbitmq modules over AMQPS) for RealPeersTest
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
# serve's --web.config.file tests make their CA and certificates with openssl (RealPeersTest and
# the CLI's CheckStagesTest run its s_server); ServeCapacityTest
# gives serve a descriptor limit with prlimit (util-linux)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v prlimit >/dev/null 2>&1 || need+=(util-linux)
# reliability: nftables drops and duplicates SYNs on a lab router (bench/faults)
command -v nft >/dev/null 2>&1 || need+=(nftables)
# scripts/timing-under-load.sh keeps every CPU busy while the timing-sensitive tests run
command -v stress-ng >/dev/null 2>&1 || need+=(stress-ng)
# FaultsLabTest builds a listener that never accepts (bench/c/hold.c)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
# pictures: tmux runs `ping --plot` in a real terminal; headless Chromium opens the HTML reports
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# nmap is the oracle of the target and port syntax (NmapSyntaxTest: nmap -sL -n, and -p's
# expansion with no target; nothing is sent); zsh and fish check the completion scripts parse
# and complete (CompletionTest; bash is there already)
command -v nmap >/dev/null 2>&1 || need+=(nmap)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
# dist (scripts/dist.sh, DistTest): jpackage's .deb needs fakeroot and dpkg-dev, jlink's
# --strip-native-debug-symbols objcopy (binutils); the installed page is read with man (man-db).
command -v fakeroot >/dev/null 2>&1 || need+=(fakeroot)
command -v dpkg-shlibdeps >/dev/null 2>&1 || need+=(dpkg-dev)
command -v objcopy >/dev/null 2>&1 || need+=(binutils)
command -v man >/dev/null 2>&1 || need+=(man-db)
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then gen_de=1; else gen_de=0; fi
if [ ${#need[@]} -eq 0 ] && [ "$gen_de" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing ${need[*]:-} ${gen_de:+de_DE.UTF-8 locale}; not root or no apt-get: the tests that need them will skip" >&2
  exit 0
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  # servers installed for the tests must not start as services on this machine's own loopback:
  # without a policy-rc.d (Docker images have one), one is put there for the install only
  no_start=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && no_start=1
  fi
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || echo "setup: apt-get install ${need[*]} failed" >&2
  [ "$no_start" -eq 0 ] || rm -f /usr/sbin/policy-rc.d
fi
if [ "$gen_de" -eq 1 ] && [ -f /etc/locale.gen ]; then
  sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
  grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
  locale-gen >/dev/null 2>&1 || echo "setup: locale-gen failed" >&2
fi
exit 0
