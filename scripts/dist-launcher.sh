#!/bin/sh
# tcpdial as installed from the tarball, the .deb or the container image: runs the Java runtime
# and the jar that lie beside this script (found through symlinks, e.g. /usr/bin/tcpdial), with
# what ./tcpdial gives the checkout: native access and the sun.nio.ch export (the jar's manifest)
# and the flags of scripts/jvm-flags.sh, written in by scripts/dist.sh:
#   serve          the long-running flags (the optimizing compiler, a small heap); a class-data
#                  archive of the exporter: lib/app/serve.jsa when it was made with the image,
#                  else made when serve first exits, in systemd's CacheDirectory=, in lib/app
#                  when writable, or in the user's cache
#   anything else  the quick-start flags and a class-data archive of the CLI made at the first
#                  run (at install for the .deb) in lib/app when it is writable, else in the
#                  user's cache; its training run is --version, which loads every subcommand and
#                  the native engine and sends nothing
# TCPDIAL_JAVA_OPTS comes after them (e.g. -Xmx256m for a serve with many continuous targets).
set -eu
lib=$(dirname "$(dirname "$(readlink -f "$0")")")/lib
java="$lib/runtime/bin/java"
jar="$lib/app/tcpdial.jar"
user_cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tcpdial/@VERSION@"
# The variables are split on spaces, on purpose: they are lists of flags without spaces inside.
# shellcheck disable=SC2086
if [ "${1:-}" = serve ]; then
  set -- @SERVE_FLAGS@ ${TCPDIAL_JAVA_OPTS:-} -jar "$jar" "$@"
  made="$lib/app/serve.jsa"
  if [ -f "$made" ] && [ ! "$jar" -nt "$made" ]; then
    exec "$java" -XX:SharedArchiveFile="$made" "$@"
  fi
  # systemd's CacheDirectory= may list several directories, ':' between them
  dir=${CACHE_DIRECTORY:-}
  dir=${dir%%:*}
  if [ -z "$dir" ]; then
    if [ -w "$lib/app" ]; then dir="$lib/app"; else dir="$user_cache"; fi
  fi
  if mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then
    # made or remade (the jar or the runtime changed) when serve exits, used at the next start
    exec "$java" -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile="$dir/serve.jsa" "$@"
  fi
  exec "$java" "$@"
fi
set -- @QUICK_FLAGS@ ${TCPDIAL_JAVA_OPTS:-} -jar "$jar" "$@"
# lib/app's archive when it is there and fresh (made at install, or with the image), else one
# made now where it can be written
jsa="$lib/app/tcpdial.jsa"
if [ ! -w "$lib/app" ] && { [ ! -f "$jsa" ] || [ "$jar" -nt "$jsa" ]; }; then
  jsa="$user_cache/tcpdial.jsa"
fi
if [ ! -f "$jsa" ] || [ "$jar" -nt "$jsa" ]; then
  if mkdir -p "$(dirname "$jsa")" 2>/dev/null && [ -w "$(dirname "$jsa")" ]; then
    if "$java" @QUICK_FLAGS@ -Xlog:disable -XX:ArchiveClassesAtExit="$jsa.$$" \
        -jar "$jar" --version >/dev/null 2>&1; then
      mv -f "$jsa.$$" "$jsa" 2>/dev/null || true
    fi
    rm -f "$jsa.$$" 2>/dev/null || true
  fi
fi
if [ -f "$jsa" ] && [ ! "$jar" -nt "$jsa" ]; then
  exec "$java" -XX:SharedArchiveFile="$jsa" "$@"
fi
exec "$java" "$@"
