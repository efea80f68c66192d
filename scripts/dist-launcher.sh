#!/bin/sh
# tcpdial as installed from the tarball or the .deb: runs the Java runtime and the jar that lie
# beside this script (found through symlinks, e.g. /usr/bin/tcpdial), with what ./tcpdial gives
# the checkout: native access and the sun.nio.ch export (the jar's manifest), and a class-data
# archive of the CLI made at the first run (at install for the .deb) in lib/app when it is
# writable, else in the user's cache. Its training run is --version, which loads every
# subcommand and the native engine and sends nothing.
set -eu
lib=$(dirname "$(dirname "$(readlink -f "$0")")")/lib
java="$lib/runtime/bin/java"
jar="$lib/app/tcpdial.jar"
set -- -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xlog:disable -Xlog:all=warning:stderr -jar "$jar" "$@"
if [ -w "$lib/app" ]; then
  jsa="$lib/app/tcpdial.jsa"
else
  jsa="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tcpdial/@VERSION@/tcpdial.jsa"
fi
if [ ! -f "$jsa" ] || [ "$jar" -nt "$jsa" ]; then
  mkdir -p "$(dirname "$jsa")" 2>/dev/null || true
  if "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xlog:disable -XX:ArchiveClassesAtExit="$jsa.$$" \
      -jar "$jar" --version >/dev/null 2>&1; then
    mv -f "$jsa.$$" "$jsa" 2>/dev/null || true
  fi
  rm -f "$jsa.$$" 2>/dev/null || true
fi
if [ -f "$jsa" ] && [ ! "$jar" -nt "$jsa" ]; then
  exec "$java" -XX:SharedArchiveFile="$jsa" "$@"
fi
exec "$java" "$@"
