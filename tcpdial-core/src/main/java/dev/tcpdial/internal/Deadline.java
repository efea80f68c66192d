package dev.tcpdial.internal;

import java.time.Duration;

/**
 * An absolute point on the {@link System#nanoTime()} scale, or none. Every timeout of a dial (the
 * per-attempt timeout, the overall deadline, the caller's) is merged into one of these at entry;
 * each attempt's budget is derived from what is left. Arithmetic saturates instead of overflowing.
 */
public record Deadline(long nanos) implements Comparable<Deadline> {

  /** No deadline: waits forever. */
  public static final Deadline NONE = new Deadline(Long.MAX_VALUE);

  /** The deadline {@code timeout} after {@code nowNanos}; a zero or null timeout means none. */
  public static Deadline after(long nowNanos, Duration timeout) {
    if (timeout == null || timeout.isZero()) {
      return NONE;
    }
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("negative timeout: " + timeout);
    }
    return new Deadline(saturatedAdd(nowNanos, saturatedNanos(timeout)));
  }

  /** The deadline {@code timeoutNanos} after {@code nowNanos}; zero or less means none. */
  public static Deadline afterNanos(long nowNanos, long timeoutNanos) {
    return timeoutNanos <= 0 ? NONE : new Deadline(saturatedAdd(nowNanos, timeoutNanos));
  }

  /**
   * {@link #afterNanos} as a plain value, allocating nothing: {@link Long#MAX_VALUE} for no
   * deadline.
   */
  public static long nanosAfter(long nowNanos, long timeoutNanos) {
    return timeoutNanos <= 0 ? Long.MAX_VALUE : saturatedAdd(nowNanos, timeoutNanos);
  }

  /** The shorter of two timeouts where zero or less means none; 0 when both are none. */
  public static long shorterNanos(long a, long b) {
    if (a <= 0) {
      return Math.max(b, 0);
    }
    return b <= 0 ? a : Math.min(a, b);
  }

  /** True when there is no deadline. */
  public boolean isNone() {
    return nanos == Long.MAX_VALUE;
  }

  /** The earlier of the two. */
  public Deadline min(Deadline other) {
    return compareTo(other) <= 0 ? this : other;
  }

  /** Nanoseconds left at {@code nowNanos}, 0 when passed, {@link Long#MAX_VALUE} for none. */
  public long remainingNanos(long nowNanos) {
    if (isNone()) {
      return Long.MAX_VALUE;
    }
    long left = nanos - nowNanos;
    return Math.max(0, left);
  }

  /** True when the deadline has passed at {@code nowNanos}. */
  public boolean expired(long nowNanos) {
    return !isNone() && nanos - nowNanos <= 0;
  }

  /**
   * Whole milliseconds left, rounded up so a wait never ends before the deadline; 0 for passed,
   * {@link Long#MAX_VALUE} for none.
   */
  public long remainingMillisCeil(long nowNanos) {
    long left = remainingNanos(nowNanos);
    if (left == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    return left / 1_000_000 + (left % 1_000_000 == 0 ? 0 : 1);
  }

  // Deadlines near each other compare by difference so a wrap of nanoTime() keeps the order.
  @Override
  public int compareTo(Deadline o) {
    if (isNone() || o.isNone()) {
      return Boolean.compare(isNone(), o.isNone());
    }
    return Long.signum(nanos - o.nanos);
  }

  /** {@code d} in nanoseconds, saturated at the ends of {@code long}. */
  public static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    // Overflow only if both have the same sign and the result's sign differs.
    if (((a ^ r) & (b ^ r)) < 0) {
      return Long.MAX_VALUE - 1; // stays a real deadline, just very far away
    }
    return r == Long.MAX_VALUE ? Long.MAX_VALUE - 1 : r;
  }
}
