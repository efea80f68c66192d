package dev.tcpdial.internal.window;

import dev.tcpdial.Window;
import java.util.EnumSet;
import java.util.Set;

/**
 * The kernel's drop counters between two readings: which grew. A counter that could not be read
 * (then or before) says nothing. Not thread-safe: the scan's sampling thread's.
 */
public final class CounterWatch {
  private final KernelCounters.Source source;
  private KernelCounters.Sample last;

  /** Watches {@code source}, read once now as the baseline. */
  public CounterWatch(KernelCounters.Source source) {
    this.source = source;
    this.last = source.read();
  }

  /** Reads the counters; the signals whose counters grew since the last reading. */
  public Set<Window.Signal> poll() {
    KernelCounters.Sample now = source.read();
    Set<Window.Signal> grew = EnumSet.noneOf(Window.Signal.class);
    if (grew(last.inputDrops(), now.inputDrops())) {
      grew.add(Window.Signal.INPUT_QUEUE_DROPS);
    }
    if (grew(last.listenDrops(), now.listenDrops())) {
      grew.add(Window.Signal.LISTEN_QUEUE_DROPS);
    }
    if (grew(last.transmitDrops(), now.transmitDrops())) {
      grew.add(Window.Signal.TRANSMIT_DROPS);
    }
    last = now;
    return grew;
  }

  private static boolean grew(long before, long now) {
    return before >= 0 && now > before;
  }
}
