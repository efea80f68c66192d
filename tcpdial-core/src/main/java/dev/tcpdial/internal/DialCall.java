package dev.tcpdial.internal;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one dial knows whichever way it waits: its target, start, deadline, resolved addresses and
 * where its result goes. Builds the {@link DialResult} from the race, so both modes name it alike.
 */
final class DialCall {

  /** Where a finished dial goes: a future, or the blocking caller. */
  interface Sink {
    /**
     * The dial ended; {@code channel} is the connected channel for a kept connection, else null.
     * {@code cause} and {@code suppressed} are the attempts' exceptions.
     */
    void done(DialResult result, SocketChannel channel, Throwable cause, List<Throwable> suppressed);
  }

  private final DialEngine engine;
  private final DialEngine.Settings settings;
  private final Target target;
  private final boolean keep;
  private final long startNanos;
  private final Deadline deadline;
  private final Events events;
  private Sink sink;
  private List<InetAddress> addresses = List.of();
  private long resolutionNanos;

  DialCall(DialEngine engine, Target target, boolean keep, long startNanos, Events events) {
    this.engine = engine;
    this.settings = engine.settings();
    this.target = target;
    this.keep = keep;
    this.startNanos = startNanos;
    this.deadline = Deadline.after(startNanos, settings.deadline());
    this.events = events;
  }

  void sink(Sink sink) {
    this.sink = sink;
  }

  Target target() {
    return target;
  }

  boolean keep() {
    return keep;
  }

  Deadline deadline() {
    return deadline;
  }

  Events events() {
    return events;
  }

  JdkConnect.SocketSetup setup() {
    return engine.setup();
  }

  Duration offset(long now) {
    return Duration.ofNanos(Math.max(0, now - startNanos));
  }

  /** Records the resolution's addresses (in dial order) and how long it took. */
  void resolved(List<InetAddress> inOrder, long tookNanos) {
    this.addresses = List.copyOf(inOrder);
    this.resolutionNanos = tookNanos;
  }

  Race newRace(List<InetSocketAddress> plan, Race.Actions actions) {
    Race.Config config = new Race.Config(
        settings.attemptDelay().toNanos(),
        Deadline.saturatedNanos(settings.connectTimeout()),
        settings.retry());
    return new Race(plan, config, startNanos, deadline, actions, ThreadLocalRandom.current());
  }

  void attemptRecorded(Race race, int index) {
    if (!events.on()) {
      return;
    }
    Attempt a = race.attempt(index);
    if (a.outcome() != Outcome.CONNECTED) {
      events.attemptFailed(a);
    }
  }

  /** The race is over: build the result and hand it over. */
  void finish(Race race, SocketChannel channel) {
    if (channel != null) {
      JdkErrQueue.handOver(channel);
    }
    long now = engine.clock().nanoTime();
    DialResult r = new DialResult(target, race.outcome(), race.errno(), race.remote(), race.local(),
        offset(now), Duration.ofNanos(resolutionNanos), addresses, settings.mode(),
        dev.tcpdial.Engine.JDK, race.attempts(), detail(race.errno(), race.cause()));
    events.finished(r);
    sink.done(r, channel, race.cause(), race.otherCauses());
  }

  // The exception's message when the errno does not already say it (its text is translated).
  static String detail(Errno errno, Throwable cause) {
    if (errno != null || cause == null || cause.getMessage() == null
        || cause instanceof InterruptedException) {
      return null;
    }
    return cause.getMessage();
  }

  /** The dial ended before any attempt: resolution failed, or it was cancelled or closed early. */
  void finishWithoutAttempts(Outcome outcome, Throwable cause) {
    long now = engine.clock().nanoTime();
    DialResult r = new DialResult(target, outcome, (Errno) null, null, null, offset(now),
        Duration.ofNanos(resolutionNanos), addresses, settings.mode(), dev.tcpdial.Engine.JDK,
        List.of(), detail(null, cause));
    events.finished(r);
    sink.done(r, null, cause, List.of());
  }
}
