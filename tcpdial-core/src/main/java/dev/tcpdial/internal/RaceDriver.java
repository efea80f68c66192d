package dev.tcpdial.internal;

import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Feeds one {@link Race} on an event loop's thread, for both loops ({@code AsyncDial} on the JDK's
 * {@link EventLoop}, {@code NativeDial} on the native one). An attempt may end while the race is
 * deciding (a connect the race starts can end before {@code startAttempt} returns): such a report
 * waits in a queue and is handed in once the race's current step is done, so the race is never
 * entered twice. Loop thread only.
 */
public final class RaceDriver {

  /** How an attempt ended, as the engine that ran it saw it. */
  public interface Report {
    /** The race's attempt number. */
    int attempt();

    /** How it ended. */
    Outcome outcome();

    /** The kernel's errno, or null. */
    Errno errno();

    /** Its local address, or null. */
    InetSocketAddress local();

    /** The exception behind it, or null. */
    Throwable cause();

    /** Who answered a failed attempt ({@link dev.tcpdial.IcmpReport}), or null. */
    default dev.tcpdial.IcmpReport icmp() {
      return null;
    }

    /** The race was decided without this attempt: let go of what it still holds. */
    default void late() {}
  }

  private final Clock clock;
  private final ArrayDeque<Report> reports = new ArrayDeque<>(2);
  private Race race;
  private boolean driving;

  /** A driver that reads the time from {@code clock}, the loop's. */
  public RaceDriver(Clock clock) {
    this.clock = clock;
  }

  /** Begins {@code race}, whose actions start the attempts. */
  public void begin(Race race) {
    this.race = race;
    driving = true;
    race.begin(clock.nanoTime());
    drain();
  }

  /** Cancels the race; nothing before {@link #begin}. */
  public void cancel() {
    if (race != null) {
      driving = true;
      race.cancel(clock.nanoTime());
      drain();
    }
  }

  /** The time the race asked for through {@code armTimer} has come. */
  public void timerFired() {
    driving = true;
    race.timerFired(clock.nanoTime());
    drain();
  }

  /** An attempt ended; handed to the race now, or once its current step is done. */
  public void report(Report r) {
    reports.add(r);
    if (!driving) {
      driving = true;
      drain();
    }
  }

  private void drain() {
    Report r;
    while ((r = reports.poll()) != null) {
      if (!race.attemptEnded(r.attempt(), r.outcome(), r.errno(), r.local(), r.cause(), r.icmp(),
          clock.nanoTime())) {
        r.late();
      }
    }
    driving = false;
  }
}
