package dev.tcpdial;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures what a timing test cannot control: how late this JVM's threads get the CPU back. One
 * platform thread per JVM parks for 1 ms at a time and records each overshoot; {@link #maxMs}
 * is the largest one since {@link #start}. On a quiet machine that is well under a millisecond;
 * on a machine whose CPUs are all busy (other builds, {@code stress-ng}) or in a GC pause it grows
 * to what every other thread of the process suffers too, so an upper bound "deadline + our own
 * slack + this" still fails on an overrun of ours and no longer on the scheduler's. One meter for
 * all windows, so that many dials measured at once do not load the machine themselves.
 */
public final class SchedulingDelay implements AutoCloseable {
  private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int RING = 1 << 16; // about a minute of ticks
  private static final AtomicLongArray ENDS = new AtomicLongArray(RING);
  private static final AtomicLongArray LATES = new AtomicLongArray(RING);
  private static final AtomicLong TICKS = new AtomicLong();
  private static Thread meter;

  private final long startNanos;

  private SchedulingDelay(long startNanos) {
    this.startNanos = startNanos;
  }

  /** Starts a window now (and the meter, the first time). */
  public static SchedulingDelay start() {
    synchronized (SchedulingDelay.class) {
      if (meter == null) {
        meter = Thread.ofPlatform().daemon().name("scheduling-delay").start(SchedulingDelay::measure);
      }
    }
    return new SchedulingDelay(System.nanoTime());
  }

  private static void measure() {
    while (true) {
      long t0 = System.nanoTime();
      LockSupport.parkNanos(STEP_NANOS);
      long t1 = System.nanoTime();
      long i = TICKS.get();
      ENDS.set((int) (i & (RING - 1)), t1);
      LATES.set((int) (i & (RING - 1)), t1 - t0 - STEP_NANOS);
      TICKS.set(i + 1);
    }
  }

  /** The largest delay seen since {@link #start}, the tick in progress included, in milliseconds. */
  public double maxMs() {
    long now = System.nanoTime();
    long n = TICKS.get();
    long max = 0;
    for (long i = n - 1; i >= 0 && i > n - RING; i--) {
      int k = (int) (i & (RING - 1));
      long end = ENDS.get(k);
      if (end < startNanos) {
        break;
      }
      max = Math.max(max, LATES.get(k));
    }
    if (n > 0) {
      max = Math.max(max, now - ENDS.get((int) ((n - 1) & (RING - 1))) - STEP_NANOS);
    }
    return Math.max(0, max) / 1e6;
  }

  /** Ends the window; the meter goes on for the next one. */
  @Override
  public void close() {}
}
