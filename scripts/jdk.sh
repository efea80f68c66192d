# Sourced by ./tcpdial, ./test and bench/run: finds a JDK >= 25 and exports JAVA_HOME.
# JAVA_HOME first, then /usr/lib/jvm/*; fails with a clear message when there is none.
tcpdial_java_version() {
  # The JDK's release file says it without starting a JVM; java -version where it is missing.
  local v=""
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  [ -n "$v" ] || v=$("$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}')
  echo "$v"
}

tcpdial_find_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$(tcpdial_java_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "tcpdial: no JDK 25 or newer found (looked at JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*)." >&2
  echo "tcpdial: install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}
