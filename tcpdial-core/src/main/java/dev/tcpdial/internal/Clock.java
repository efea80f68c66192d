package dev.tcpdial.internal;

/** A source of monotonic nanoseconds. Injected so races can be tested in simulated time. */
@FunctionalInterface
public interface Clock {
  /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /** The system's monotonic clock. */
  Clock SYSTEM = System::nanoTime;
}
