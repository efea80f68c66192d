package dev.tcpdial.internal.window;

import dev.tcpdial.Window;
import dev.tcpdial.WindowStats;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The size of a scan's window: congestion control for connects, after TCP's (RFC 5681: slow
 * start, congestion avoidance, one cut per flight; RFC 7661: grow only a window that is used)
 * and nmap's {@code ultra_scan} (a window of probes for the whole scan, grown by answers, halved
 * when an answer shows that an earlier probe was lost).
 *
 * <p>What differs from both, and why:
 *
 * <ul>
 *   <li><b>The window counts the probes whose answers are still expected</b>; the {@link
 *       #ceiling()} counts every probe in flight (each holds a socket). A probe unanswered for the
 *       answer time is parked: its SYN is long gone, like a segment TCP saw acknowledged, so it
 *       leaves the window but keeps its socket until its timeout.
 *   <li><b>Silence is not loss, and it is credited.</b> nmap grows its window only on answers
 *       (scaled by how many it expected), so a range that never answers keeps it small: 5
 *       targets a second by default. Here a probe that has had no answer for the answer time
 *       ({@link StartRing}, the scan's own round-trip times) counts as one that ended as
 *       expected: a silent range doubles the window every answer time, to the ceiling. A SYN lost
 *       toward a target that would not have answered anyway changes no outcome.
 *   <li><b>Loss is what would change an outcome</b>: a SYN or its answer dropped on this machine
 *       or on the path, seen as one of the {@link Window.Signal}s. Each halves the window once per
 *       flight: probes started before the last cut cannot cut it again, since they were sent
 *       into the window that was too big (nmap's {@code last_drop}, TCP's recovery).
 *   <li><b>Growth is fast in slow start</b> (one probe per probe that ended as expected: twice
 *       the window per answer time) <b>and, after a cut and a recovery of {@value #RECOVERY_NANOS} ns, a sixteenth per round</b> rather than
 *       TCP's one segment per round trip: a scan's window is thousands of probes and its round
 *       is milliseconds, so Reno's linear growth would take minutes to reopen it.
 *   <li><b>The ceiling is a hard limit</b> (descriptors, ephemeral ports, the caller's maximum),
 *       and a refused socket or port lowers it to what was in flight then.
 * </ul>
 *
 * <p>A fixed window ({@link Window#fixed}) ignores every signal but {@link
 * Window.Signal#LOCAL_RESOURCES}, which halves it; it grows back by one per probe that ended,
 * no sooner than 20 ms after the cut.
 *
 * <p>Not thread-safe: a scan calls it under one lock, its loops in batches. Time comes in as
 * arguments on the {@code nanoTime} scale, so it runs in simulated time in tests.
 */
public final class WindowControl {
  /** Growth per probe that ended as expected, after a cut (congestion avoidance). */
  static final double AVOIDANCE_GAIN = 1.0 / 16;
  /**
   * After a cut the window does not grow for this long: the answers still coming in are those of
   * the flight that was too big (TCP's recovery).
   */
  static final long RECOVERY_NANOS = 40_000_000L;
  /** A fixed window cut for local reasons grows back no sooner than this. */
  static final long RESTORE_PAUSE_NANOS = 20_000_000L;

  private final boolean adaptive;
  private final int asked; // a fixed window's size
  private final IntConsumer observer;
  private volatile int ceiling; // read by the loops without the lock
  private double cwnd;
  private double ssthresh;
  private volatile int window; // read by the loops without the lock
  private int parked; // probes parked as silent, as last reported
  private int shown; // what the observer was told last
  private boolean cutYet;
  private long lastCut;
  // when probes may have lost a packet: intervals of start times, the newest LOSS_SLOTS kept
  private static final int LOSS_SLOTS = 256;
  private final long[] lossFrom = new long[LOSS_SLOTS];
  private final long[] lossTo = new long[LOSS_SLOTS];
  private int losses;
  private volatile boolean anyLoss;
  private int maxInFlight;
  private final long[] cuts = new long[Window.Signal.values().length];

  /**
   * A controller for {@code w}, with {@code budget} (probes: the descriptor and port budget) as
   * the default ceiling.
   */
  public WindowControl(Window w, int budget) {
    this.adaptive = w.isAdaptive();
    this.observer = w.observer();
    int b = Math.max(1, budget);
    if (adaptive) {
      ceiling = w.max() > 0 ? Math.min(w.max(), b) : b;
      asked = ceiling;
      cwnd = Math.min(w.initial(), ceiling);
    } else {
      ceiling = w.max();
      asked = w.max();
      cwnd = asked;
    }
    ssthresh = ceiling; // unbounded slow start until the first cut
    window = (int) cwnd;
    shown = window;
  }

  /**
   * The window now: probes that may be in flight besides those parked as silent (for a fixed
   * window: in all). At least 1.
   */
  public int window() {
    return window;
  }

  /**
   * Probes that may be in flight now in all: the window and the probes parked as silent, within
   * the ceiling. This is the size a scan reports (its minimum, median and maximum, and the
   * observer's value).
   */
  public int size() {
    return adaptive ? (int) Math.min(ceiling, (long) window + parked) : window;
  }

  /** {@code parked} probes are parked as silent now, all loops together. */
  public void parked(int parked) {
    this.parked = Math.max(0, parked);
    publish();
  }

  /** The most the window may grow to now, and the most probes in flight in all. */
  public int ceiling() {
    return ceiling;
  }

  /**
   * The most probes that may be in flight in all: the ceiling for an adaptive window (parked
   * probes included), the window itself for a fixed one.
   */
  public int limit() {
    return adaptive ? ceiling : window;
  }

  /**
   * Of {@code inFlight} probes, those that count against the window: all of them for a fixed
   * window; for an adaptive one, those not {@code parked} as silent.
   */
  public int young(int inFlight, int parked) {
    return adaptive ? inFlight - parked : inFlight;
  }

  /** True for an adaptive window. */
  public boolean adaptive() {
    return adaptive;
  }

  /**
   * True when a probe started at {@code startNanos} may have lost its SYN or its answer: a loss
   * signal named the time it was sent. Only such a probe's timeout is suspect; a drop counted
   * among 20,000 probes in flight says nothing of the 19,000 started long before it. Any thread.
   */
  public boolean suspect(long startNanos) {
    if (!anyLoss) {
      return false;
    }
    synchronized (this) {
      for (int k = 0; k < Math.min(losses, LOSS_SLOTS); k++) {
        int i = (losses - 1 - k) & (LOSS_SLOTS - 1);
        if (startNanos - lossFrom[i] >= 0 && lossTo[i] - startNanos >= 0) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Probes started from {@code fromNanos} to {@code toNanos} may have lost a packet: a drop
   * counted by the kernel then (the packets of a probe to a local or veth peer pass the queues
   * within microseconds of its start), or around a probe answered only after its SYN was sent
   * again (its neighbours in time met the same queue). Merged with the newest interval it meets.
   */
  private synchronized void lostBetween(long fromNanos, long toNanos) {
    if (losses > 0) {
      int last = (losses - 1) & (LOSS_SLOTS - 1);
      if (fromNanos - lossTo[last] <= 0 && toNanos - lossFrom[last] >= 0) {
        if (fromNanos - lossFrom[last] < 0) {
          lossFrom[last] = fromNanos;
        }
        if (toNanos - lossTo[last] > 0) {
          lossTo[last] = toNanos;
        }
        return;
      }
    }
    int i = losses & (LOSS_SLOTS - 1);
    lossFrom[i] = fromNanos;
    lossTo[i] = toNanos;
    losses++;
    anyLoss = true;
  }

  /** Around a late answer's start, the probes that may have met the same loss. */
  static final long LATE_NEIGHBOURS_NANOS = 25_000_000L;
  /** Before a counter's sample window, the probes whose packets may have been counted in it. */
  static final long COUNTER_SLACK_NANOS = 5_000_000L;

  /**
   * {@code n} probes ended as expected (answered within the answer time, or silent past it) while
   * {@code young} probes counted against the window and {@code inFlight} were in flight in all.
   * Grows an adaptive window only when at least half of it is in use (RFC 7661): a window that is
   * not the limit proves nothing about a bigger one. A fixed window cut for local reasons grows
   * back by {@code ended}.
   */
  public void acked(int n, int ended, int young, int inFlight, long nowNanos) {
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (!adaptive) {
      if (window < asked && ended > 0 && (!cutYet || nowNanos - lastCut >= RESTORE_PAUSE_NANOS)) {
        cwnd = Math.min(asked, cwnd + ended);
        publish();
      }
      return;
    }
    if (n <= 0 || (young * 2 < window && inFlight < ceiling)) {
      return; // used neither to half nor to the ceiling
    }
    if (cutYet && nowNanos - lastCut < RECOVERY_NANOS) {
      return; // recovering
    }
    double c = cwnd;
    int left = n;
    if (c < ssthresh) {
      int slow = (int) Math.min(left, Math.ceil(ssthresh - c));
      c += slow;
      left -= slow;
    }
    if (left > 0) {
      c += left * AVOIDANCE_GAIN;
    }
    cwnd = Math.min(c, ceiling);
    publish();
  }

  /**
   * {@code signal} said that probes are being lost. {@code sentNanos} is when the probe that
   * showed it was started (for a kernel counter: when the packets it counted may have left at the
   * earliest); a probe sent before the last cut belongs to the flight that was cut already.
   * Returns true when the window was cut.
   */
  public boolean signal(Window.Signal signal, long sentNanos, long nowNanos, int inFlight) {
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (!adaptive && signal != Window.Signal.LOCAL_RESOURCES) {
      return false;
    }
    if (signal == Window.Signal.LATE_ANSWERS) {
      lostBetween(sentNanos - LATE_NEIGHBOURS_NANOS, sentNanos + LATE_NEIGHBOURS_NANOS);
    } else if (signal != Window.Signal.LOCAL_RESOURCES) {
      lostBetween(sentNanos - COUNTER_SLACK_NANOS, nowNanos);
    }
    if (adaptive && signal == Window.Signal.LOCAL_RESOURCES && inFlight > 0) {
      // this process or this kernel could not hold one more: never try that many again
      ceiling = Math.max(1, Math.min(ceiling, inFlight));
      ssthresh = Math.min(ssthresh, ceiling);
    }
    if (cutYet && sentNanos - lastCut < 0) {
      if (cwnd > ceiling) {
        cwnd = ceiling;
        publish();
      }
      return false;
    }
    // Only a local failure takes the window below where it started: a drop that goes on at 16
    // probes is not theirs to stop (a listener that never accepts, a path that drops anyway)
    double floor = signal == Window.Signal.LOCAL_RESOURCES ? 1 : Math.min(floor(), ceiling);
    cwnd = Math.max(floor, Math.min(cwnd, ceiling) / 2);
    ssthresh = Math.max(1, cwnd);
    cutYet = true;
    lastCut = nowNanos;
    cuts[signal.ordinal()]++;
    publish();
    return true;
  }

  /** Where an adaptive window starts, and the least a loss signal cuts it to. */
  private int floor() {
    return Window.DEFAULT_INITIAL;
  }

  /** How often each signal cut the window. */
  public Map<Window.Signal, Long> cuts() {
    Map<Window.Signal, Long> m = new EnumMap<>(Window.Signal.class);
    for (Window.Signal s : Window.Signal.values()) {
      if (cuts[s.ordinal()] > 0) {
        m.put(s, cuts[s.ordinal()]);
      }
    }
    return m;
  }

  /** The most probes reported in flight at once. */
  public int maxInFlight() {
    return maxInFlight;
  }

  /** The run's figures, from the probes' starts ({@code starts}) and what this saw. */
  public WindowStats stats(long probed, WindowHistogram starts, long retried) {
    int now = size();
    return new WindowStats(probed, starts.count() == 0 ? now : starts.min(),
        starts.count() == 0 ? now : starts.median(), starts.count() == 0 ? now : starts.max(),
        ceiling, maxInFlight, retried, cuts());
  }

  private void publish() {
    window = (int) Math.max(1, Math.min(cwnd, ceiling));
    int size = size();
    if (size != shown) {
      shown = size;
      observer.accept(size);
    }
  }
}
