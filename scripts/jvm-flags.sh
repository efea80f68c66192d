# Sourced by ./tcpdial, scripts/dist.sh (which writes them into the launcher of the tarball, the
# .deb and the container image) and bench/footprint: the JVM flags of the two kinds of run.
# POSIX sh; the words are split on spaces.
#
# One-shot commands (check, ping, scan, demo, ...): start fast. Serial GC, the quick compiler
# (C1) only, no log line but warnings.
TCPDIAL_QUICK_FLAGS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xlog:disable -Xlog:all=warning:stderr"
# serve runs for weeks, one per node: the optimizing compiler and a small footprint (measured by
# bench/footprint, BENCHMARKS.md "Footprint"):
#   Serial GC             no GC threads, the least overhead per byte of heap
#   -Xms8m -Xmx64m        idle it lives in 8 MB; 1,000 probes in flight fill 64 MB (32 MB runs out);
#                         a configuration of many thousand continuous targets raises -Xmx through
#                         TCPDIAL_JAVA_OPTS, which the launcher puts after these
#   -TieredCompilation    C2 alone: no C1 compiler thread, no C1 code (2.7 MB of code cache idle
#                         instead of 8.8), the same optimized code once warm
#   TrimNativeHeapInterval  glibc keeps what the JIT and class loading freed at start; trimmed
#                         every 5 s it goes back to the system (4 MB idle)
#   -UsePerfData          no hsperfdata file in /tmp (a read-only or private /tmp is fine);
#                         jcmd PID still attaches
#   cds=off               a class-data archive made at exit lists the classes it skips; not news
TCPDIAL_SERVE_FLAGS="-XX:+UseSerialGC -Xms8m -Xmx64m -XX:-TieredCompilation -XX:TrimNativeHeapInterval=5000 -XX:-UsePerfData -Xlog:disable -Xlog:all=warning,cds=off:stderr"
