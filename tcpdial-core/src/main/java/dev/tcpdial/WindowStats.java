package dev.tcpdial;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Dialer#probeEach(java.util.Iterator, Window, java.util.function.Consumer)} run
 * did with its window. The window's figures are weighted by probe: {@code median} is the size the
 * window had when half the probes had started.
 *
 * @param probed targets probed (each counted once, however many tries it took)
 * @param min the smallest size the window had when a probe started (probes)
 * @param median the median of the window's size over the probes' starts, within 2 %
 * @param max the largest size the window had when a probe started (probes)
 * @param ceiling the most the window could have grown to (probes): the budget, or the ceiling
 *     asked for, the smaller, and lowered when a socket or a local port was refused
 * @param maxInFlight the most probes that were in flight at once
 * @param retried tries beyond the first: probes started again after a local failure or a
 *     timeout that a {@link Window.Signal} made suspect
 * @param cuts how often each signal made the window smaller (signals absent: never)
 */
public record WindowStats(long probed, int min, int median, int max, int ceiling,
    int maxInFlight, long retried, Map<Window.Signal, Long> cuts) {

  /** Copies {@code cuts}. */
  public WindowStats {
    Objects.requireNonNull(cuts, "cuts");
    EnumMap<Window.Signal, Long> copy = new EnumMap<>(Window.Signal.class);
    copy.putAll(cuts);
    cuts = java.util.Collections.unmodifiableMap(copy);
  }

  /**
   * How often {@code signal} made the window smaller.
   *
   * @param signal the signal
   * @return the count, 0 when never
   */
  public long cuts(Window.Signal signal) {
    return cuts.getOrDefault(signal, 0L);
  }

  /**
   * How often the window was made smaller, by every signal together.
   *
   * @return the count
   */
  public long totalCuts() {
    long n = 0;
    for (long c : cuts.values()) {
      n += c;
    }
    return n;
  }
}
