package dev.tcpdial.internal.window;

/**
 * Probes by the tick they started in, to tell when a flight has gone unanswered for the answer
 * time: those probes are silent as far as the window is concerned, and each counts as one that
 * ended as expected ({@link WindowControl#acked}). A probe that ends before its tick is credited
 * was counted then (answered, or a local failure) and is not credited again; one that ends after
 * is not counted again.
 *
 * <p>Credited probes are parked ({@link #parked()}) until they end. {@value #SLOTS} ticks are kept; a tick about to be reused that was never credited is credited
 * first (its probes are older than the whole ring). Not thread-safe: one loop's, or under a lock.
 */
public final class StartRing {
  static final int SLOTS = 256;
  private static final int MASK = SLOTS - 1;

  private final long tickNanos;
  private final long origin;
  private final int[] started = new int[SLOTS];
  private final int[] ended = new int[SLOTS];
  private long newest; // the newest tick touched
  private long credited = -1; // every tick up to this one has been credited
  private int carried; // credits of ticks reused before their turn
  private int parked; // credited probes still in flight

  /** A ring of ticks of {@code tickNanos} from {@code originNanos}. */
  public StartRing(long tickNanos, long originNanos) {
    if (tickNanos <= 0) {
      throw new IllegalArgumentException("tick must be positive: " + tickNanos);
    }
    this.tickNanos = tickNanos;
    this.origin = originNanos;
  }

  private long tick(long nanos) {
    long d = nanos - origin;
    return d < 0 ? 0 : d / tickNanos;
  }

  /** A probe started at {@code nowNanos}. */
  public void started(long nowNanos) {
    long t = tick(nowNanos);
    advance(t);
    started[(int) (t & MASK)]++;
  }

  /**
   * A probe that started at {@code startNanos} ended: before its tick was credited (it is not
   * credited then), or after (it was credited, since it was in flight then, and is no longer
   * parked).
   */
  public void ended(long startNanos) {
    long t = tick(startNanos);
    if (t > credited) {
      ended[(int) (t & MASK)]++;
    } else if (parked > 0) {
      parked--;
    }
  }

  /**
   * Probes credited as silent and still in flight: they hold their sockets until their timeout,
   * but their SYNs are long gone, so they no longer count against the window (only against the
   * ceiling).
   */
  public int parked() {
    return parked;
  }

  /**
   * Credits, once each, the probes of every tick that ended at least {@code answerNanos} before
   * {@code nowNanos} and are still in flight; returns how many.
   */
  public int credit(long nowNanos, long answerNanos) {
    long upTo = tick(nowNanos - answerNanos) - 1; // ticks wholly older than the answer time
    advance(tick(nowNanos));
    int n = carried;
    carried = 0;
    for (long t = credited + 1; t <= Math.min(upTo, newest); t++) {
      int i = (int) (t & MASK);
      n += Math.max(0, started[i] - ended[i]);
      started[i] = 0;
      ended[i] = 0;
      credited = t;
    }
    parked += n;
    return n;
  }

  /** Moves the newest tick to {@code t}; a slot reused for a tick not yet credited is carried. */
  private void advance(long t) {
    if (t <= newest) {
      return;
    }
    for (long u = newest + 1; u <= t && u <= newest + SLOTS; u++) {
      int i = (int) (u & MASK);
      if (u - SLOTS > credited) { // the slot still holds tick u - SLOTS, never credited
        carried += Math.max(0, started[i] - ended[i]);
      }
      started[i] = 0;
      ended[i] = 0;
    }
    credited = Math.max(credited, t - SLOTS);
    newest = t;
  }
}
