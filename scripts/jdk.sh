# Sourced by ./tcpdial, ./test, ./mvnw, bench/run and scripts/*: finds a JDK >= 25 and exports
# JAVA_HOME. JAVA_HOME first, then /usr/lib/jvm/*; when there is none it says so in one line,
# with what it found and where it looked. POSIX sh (./mvnw is /bin/sh, with globbing off).
# TCPDIAL_JVM_DIR replaces /usr/lib/jvm (the tests use it to play a machine without a JDK 25).
tcpdial_java_version() {
  # The JDK's release file says it without starting a JVM; java -version where it is missing.
  _tcpdial_v=""
  [ -f "$1/release" ] && _tcpdial_v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  [ -n "$_tcpdial_v" ] || _tcpdial_v=$("$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}')
  echo "$_tcpdial_v"
}

tcpdial_find_jdk() {
  _tcpdial_seen=""
  for _tcpdial_c in "${JAVA_HOME:-}" $(find "${TCPDIAL_JVM_DIR:-/usr/lib/jvm}" -mindepth 1 -maxdepth 1 2>/dev/null | sort); do
    _tcpdial_c=${_tcpdial_c%/}
    [ -n "$_tcpdial_c" ] && [ -x "$_tcpdial_c/bin/java" ] && [ -x "$_tcpdial_c/bin/javac" ] || continue
    _tcpdial_v=$(tcpdial_java_version "$_tcpdial_c")
    if [ -n "$_tcpdial_v" ] && [ "$_tcpdial_v" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$_tcpdial_c"
      return 0
    fi
    _tcpdial_seen="$_tcpdial_seen${_tcpdial_seen:+, }Java ${_tcpdial_v:-?} at $_tcpdial_c"
  done
  echo "tcpdial: needs a JDK 25 or newer; looked at JAVA_HOME (${JAVA_HOME:-unset}) and ${TCPDIAL_JVM_DIR:-/usr/lib/jvm}/*, found ${_tcpdial_seen:-none}: install one (e.g. Temurin 25) or set JAVA_HOME to it." >&2
  return 1
}
