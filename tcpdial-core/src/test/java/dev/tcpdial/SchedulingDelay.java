package dev.tcpdial;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures what a timing test cannot control: how late this JVM's threads get the CPU back. A
 * platform thread parks for 1 ms at a time and records the largest overshoot until {@link #close}.
 * On a quiet machine that is well under a millisecond; on a machine whose CPUs are all busy
 * (other builds, {@code stress-ng}) or in a GC pause it grows to what every other thread of the
 * process suffers too, so an upper bound "deadline + our own slack + this" still fails on an
 * overrun of ours and no longer on the scheduler's.
 */
final class SchedulingDelay implements AutoCloseable {
  private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Thread meter;
  private volatile boolean running = true;
  private volatile long maxLateNanos;

  private SchedulingDelay() {
    meter = Thread.ofPlatform().daemon().name("scheduling-delay").start(this::measure);
  }

  /** Starts measuring now. */
  static SchedulingDelay start() {
    return new SchedulingDelay();
  }

  private void measure() {
    while (running) {
      long t0 = System.nanoTime();
      LockSupport.parkNanos(STEP_NANOS);
      long late = System.nanoTime() - t0 - STEP_NANOS;
      if (late > maxLateNanos) {
        maxLateNanos = late;
      }
    }
  }

  /** The largest delay seen so far, in milliseconds. */
  double maxMs() {
    return maxLateNanos / 1e6;
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(meter);
    try {
      meter.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
