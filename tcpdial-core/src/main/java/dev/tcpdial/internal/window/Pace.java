package dev.tcpdial.internal.window;

/**
 * A token bucket for {@link dev.tcpdial.Window#rate}: {@code rate} starts a second, in bursts of
 * at most a twentieth of that (at least one). Not thread-safe: the scan's feeding thread's. Time
 * comes in as arguments, on the {@code nanoTime} scale.
 */
public final class Pace {
  private final double perNano;
  private final double burst;
  private double tokens = 1;
  private long last;

  /** {@code perSecond} starts a second from {@code nowNanos}, one token at hand. */
  public Pace(double perSecond, long nowNanos) {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("rate must be positive: " + perSecond);
    }
    this.perNano = perSecond / 1e9;
    this.burst = Math.max(1, perSecond / 20);
    this.last = nowNanos;
  }

  /** The most starts the bucket holds at once. */
  public int burst() {
    return (int) burst;
  }

  /** Takes up to {@code want} tokens at {@code nowNanos}; how many it got. */
  public int take(int want, long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
    last = nowNanos;
    int n = (int) Math.min(want, Math.floor(tokens));
    tokens -= Math.max(0, n);
    return Math.max(0, n);
  }

  /** Nanoseconds from {@code nowNanos} until the next token, 0 when one is at hand. */
  public long nanosToNext(long nowNanos) {
    double t = Math.min(burst, tokens + (nowNanos - last) * perNano);
    return t >= 1 ? 0 : (long) Math.ceil((1 - t) / perNano);
  }
}
