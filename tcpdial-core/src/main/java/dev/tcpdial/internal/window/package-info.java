/**
 * The window of a scan ({@link dev.tcpdial.Dialer#probeEach}): how many probes are in flight, and
 * when that changes. {@link dev.tcpdial.internal.window.WindowControl} decides the size from what
 * the engines report; {@link dev.tcpdial.internal.window.StartRing} tells when a flight has gone
 * unanswered long enough to count as silent; {@link dev.tcpdial.internal.window.NetworkRtts} keeps
 * each destination network's round trip, to see an answer that came only to a retransmitted SYN;
 * {@link dev.tcpdial.internal.window.CounterWatch} reads the kernel's drop counters; {@link
 * dev.tcpdial.internal.window.Budget} is the ceiling (descriptors, ephemeral ports) and the burst
 * a loop may start in a row. Everything here is pure or reads {@code /proc}; the engines
 * ({@code DialEngine}, {@code nat.NativeScan}) do the probing.
 */
package dev.tcpdial.internal.window;
