package dev.tcpdial.internal;

import dev.tcpdial.Attempt;
import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Outcome;
import dev.tcpdial.RetryPolicy;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The decisions of one dial over its addresses, as a state machine with no threads and no clock of
 * its own: Happy Eyeballs v2 (RFC 8305 section 5), the overall deadline and retries. The driver
 * feeds it events ({@link #begin}, {@link #attemptEnded}, {@link #timerFired}, {@link #cancel}) one
 * at a time with the current time, and carries out its {@link Actions}; so the same decisions run on
 * the event loop, on a blocking caller, and in simulated time in tests.
 *
 * <ul>
 *   <li>The first attempt starts at once. The next starts when the attempt delay elapses with no
 *       attempt connected, or at once when an attempt fails.
 *   <li>The first attempt to connect wins; every other in flight is stopped (ends {@code
 *       cancelled}) and its socket closed by the driver.
 *   <li>{@code network_unreachable} on an address skips the rest of its family for that round.
 *   <li>Each attempt's deadline is {@code min(now + connectTimeout, overall deadline)}; when the
 *       overall deadline passes, attempts in flight end as {@code timeout} and the dial ends.
 *   <li>When every address failed, the {@link RetryPolicy} may start another round after a backoff
 *       that must end before the overall deadline.
 *   <li>An attempt that ends {@code cancelled} on its own (the caller was interrupted) ends the dial.
 * </ul>
 */
public final class Race {

  /** What the driver does for the race. No method may call back into the race synchronously. */
  public interface Actions {
    /** Start attempt {@code index} to {@code remote}; it must end by {@code deadlineNanos}. */
    void startAttempt(int index, InetSocketAddress remote, Attempt.Reason reason, long deadlineNanos);

    /** Stop attempt {@code index} and close its socket; the race has recorded how it ended. */
    void stopAttempt(int index);

    /** Call {@link #timerFired} at {@code atNanos}, replacing the previous request; MAX_VALUE: none. */
    void armTimer(long atNanos);

    /** The race is over; {@link #outcome()} and friends say how. Called exactly once. */
    void finished();

    /** Attempt {@code index} has just been recorded as ended (in order, before what follows). */
    default void attemptRecorded(int index) {}
  }

  /** Settings: delays in nanoseconds; 0 for {@code attemptDelayNanos} means one at a time. */
  public record Config(long attemptDelayNanos, long connectTimeoutNanos, RetryPolicy retry) {}

  /** One attempt's record while the race runs. */
  static final class Slot {
    final int index;
    final InetSocketAddress remote;
    final Attempt.Reason reason;
    final long startNanos;
    final long deadlineNanos;
    long endNanos;
    Outcome outcome; // null while in flight
    Errno errno;
    InetSocketAddress local;
    Throwable cause;
    IcmpReport icmp;

    Slot(int index, InetSocketAddress remote, Attempt.Reason reason, long startNanos,
        long deadlineNanos) {
      this.index = index;
      this.remote = remote;
      this.reason = reason;
      this.startNanos = startNanos;
      this.deadlineNanos = deadlineNanos;
    }
  }

  private final List<InetSocketAddress> addresses;
  private final Config config;
  private final long startNanos;
  private final long deadlineNanos; // MAX_VALUE: none
  private final Actions actions;
  private final RandomGenerator random;
  private final ArrayList<Slot> slots = new ArrayList<>(2);
  private int next; // next address to try in this round
  private boolean skipV4;
  private boolean skipV6;
  private int inFlight;
  private int retries;
  private int roundStart; // index of this round's first slot
  private long delayAt = Long.MAX_VALUE;
  private long retryAt = Long.MAX_VALUE;
  private boolean done;
  private int winner = -1;
  private Outcome outcome;
  private int relevant = -1;

  /**
   * A race over {@code addresses} (already ordered) started at {@code startNanos}, ending by
   * {@code deadline} at the latest.
   */
  public Race(List<InetSocketAddress> addresses, Config config, long startNanos, Deadline deadline,
      Actions actions, RandomGenerator random) {
    this.addresses = addresses;
    this.config = config;
    this.startNanos = startNanos;
    this.deadlineNanos = deadline.isNone() ? Long.MAX_VALUE : deadline.nanos();
    this.actions = actions;
    this.random = random;
  }

  /** Starts the first attempt. */
  public void begin(long now) {
    if (addresses.isEmpty()) {
      finish(Outcome.RESOLUTION_FAILED);
      return;
    }
    if (expired(now)) {
      finish(Outcome.TIMEOUT);
      return;
    }
    startNext(now, Attempt.Reason.FIRST);
    rearm();
  }

  /**
   * Attempt {@code index} ended. Returns false when the race no longer wanted it (it was stopped,
   * or the race is over): the driver then closes {@code channel} if there is one.
   */
  public boolean attemptEnded(int index, Outcome how, Errno errno, InetSocketAddress local,
      Throwable cause, long now) {
    return attemptEnded(index, how, errno, local, cause, null, now);
  }

  /**
   * {@link #attemptEnded(int, Outcome, Errno, InetSocketAddress, Throwable, long)} with who
   * answered the attempt ({@code icmp}, or null).
   */
  public boolean attemptEnded(int index, Outcome how, Errno errno, InetSocketAddress local,
      Throwable cause, IcmpReport icmp, long now) {
    Slot s = slots.get(index);
    if (done || s.outcome != null) {
      return false;
    }
    s.icmp = icmp;
    end(s, how, errno, local, cause, now);
    if (how == Outcome.CONNECTED) {
      winner = index;
      stopAll(now, Outcome.CANCELLED);
      finish(Outcome.CONNECTED);
      return true;
    }
    if (how == Outcome.CANCELLED) {
      stopAll(now, Outcome.CANCELLED);
      finish(Outcome.CANCELLED);
      return true;
    }
    if (how == Outcome.NETWORK_UNREACHABLE) {
      if (s.remote.getAddress() instanceof Inet6Address) {
        skipV6 = true;
      } else {
        skipV4 = true;
      }
    }
    if (expired(now)) {
      stopAll(now, Outcome.TIMEOUT);
      finish(null);
      return true;
    }
    if (!startNext(now, Attempt.Reason.PREVIOUS_FAILED) && inFlight == 0) {
      roundFailed(now);
    }
    if (!done) {
      rearm();
    }
    return true;
  }

  /** The time asked for with {@link Actions#armTimer} has come (early calls are harmless). */
  public void timerFired(long now) {
    if (done) {
      return;
    }
    if (expired(now)) {
      stopAll(now, Outcome.TIMEOUT);
      finish(null);
      return;
    }
    if (retryAt != Long.MAX_VALUE && now - retryAt >= 0) {
      retryAt = Long.MAX_VALUE;
      retries++;
      next = 0;
      skipV4 = false;
      skipV6 = false;
      roundStart = slots.size();
      startNext(now, Attempt.Reason.RETRY);
    } else if (delayAt != Long.MAX_VALUE && now - delayAt >= 0) {
      delayAt = Long.MAX_VALUE;
      startNext(now, Attempt.Reason.DELAY_ELAPSED);
    }
    rearm();
  }

  /** The caller gave up: every attempt in flight ends {@code cancelled}, and so does the dial. */
  public void cancel(long now) {
    if (done) {
      return;
    }
    stopAll(now, Outcome.CANCELLED);
    finish(Outcome.CANCELLED);
  }

  private boolean startNext(long now, Attempt.Reason reason) {
    while (next < addresses.size()) {
      InetSocketAddress a = addresses.get(next++);
      boolean v6 = a.getAddress() instanceof Inet6Address;
      if (v6 ? skipV6 : skipV4) {
        continue;
      }
      long attemptDeadline = config.connectTimeoutNanos() > 0
          ? Math.min(Deadline.saturatedAdd(now, config.connectTimeoutNanos()), deadlineNanos)
          : deadlineNanos;
      Slot s = new Slot(slots.size(), a, reason, now, attemptDeadline);
      slots.add(s);
      inFlight++;
      delayAt = config.attemptDelayNanos() > 0 && hasMore()
          ? now + config.attemptDelayNanos() : Long.MAX_VALUE;
      actions.startAttempt(slots.size() - 1, a, reason, attemptDeadline);
      return true;
    }
    delayAt = Long.MAX_VALUE;
    return false;
  }

  private boolean hasMore() {
    for (int i = next; i < addresses.size(); i++) {
      boolean v6 = addresses.get(i).getAddress() instanceof Inet6Address;
      if (!(v6 ? skipV6 : skipV4)) {
        return true;
      }
    }
    return false;
  }

  private void roundFailed(long now) {
    RetryPolicy policy = config.retry();
    Outcome worst = slots.get(mostRelevant(roundStart)).outcome;
    boolean worthIt = false;
    Outcome why = worst;
    for (int i = roundStart; i < slots.size(); i++) {
      if (policy.retries(slots.get(i).outcome)) {
        worthIt = true;
        why = slots.get(i).outcome;
      }
    }
    if (worthIt && retries < policy.maxRetries()) {
      long pause = policy.backoffNanos(retries + 1, why, random);
      long at = now + pause;
      if (deadlineNanos == Long.MAX_VALUE || deadlineNanos - at > 0) {
        retryAt = at;
        return;
      }
    }
    finish(null);
  }

  private void stopAll(long now, Outcome as) {
    for (int i = 0; i < slots.size(); i++) {
      Slot s = slots.get(i);
      if (s.outcome == null) {
        end(s, as, null, null, null, now);
        actions.stopAttempt(i);
      }
    }
  }

  private void end(Slot s, Outcome how, Errno errno, InetSocketAddress local, Throwable cause, long now) {
    s.outcome = how;
    s.errno = errno;
    s.local = local;
    s.cause = cause;
    s.endNanos = now;
    inFlight--;
    actions.attemptRecorded(s.index);
  }

  private boolean expired(long now) {
    return deadlineNanos != Long.MAX_VALUE && now - deadlineNanos >= 0;
  }

  private void finish(Outcome forced) {
    done = true;
    delayAt = Long.MAX_VALUE;
    retryAt = Long.MAX_VALUE;
    actions.armTimer(Long.MAX_VALUE);
    if (forced == Outcome.CONNECTED) {
      relevant = winner;
      outcome = Outcome.CONNECTED;
    } else if (slots.isEmpty()) {
      outcome = forced != null ? forced : Outcome.TIMEOUT;
    } else {
      relevant = mostRelevant(0);
      outcome = forced == Outcome.CANCELLED ? Outcome.CANCELLED : slots.get(relevant).outcome;
    }
    actions.finished();
  }

  private void rearm() {
    long at = Math.min(Math.min(delayAt, retryAt), deadlineNanos);
    actions.armTimer(at);
  }

  /**
   * The attempt whose failure says most about the target, from {@code from} on: a definite answer
   * from the far side (refused, prohibited, unreachable) over silence (timeout), over what only
   * concerns this machine; the latest among equals.
   */
  private int mostRelevant(int from) {
    int best = -1;
    int bestRank = Integer.MAX_VALUE;
    for (int i = from; i < slots.size(); i++) {
      Outcome o = slots.get(i).outcome;
      int r = rank(o);
      if (r <= bestRank) {
        best = i;
        bestRank = r;
      }
    }
    return best;
  }

  static int rank(Outcome o) {
    if (o == null) {
      return 99;
    }
    return switch (o) {
      case CONNECTED -> 0;
      case REFUSED -> 1;
      case PROHIBITED -> 2;
      case HOST_UNREACHABLE -> 3;
      case TIMEOUT -> 4;
      case NETWORK_UNREACHABLE -> 5;
      case ERROR -> 6;
      case NO_LOCAL_ADDRESS -> 7;
      case LOCAL_RESOURCES -> 8;
      case RESOLUTION_FAILED -> 9;
      case CANCELLED -> 10;
    };
  }

  /** Attempts in flight now. */
  public int inFlight() {
    return inFlight;
  }

  /** True when the race will start another attempt beside those in flight if none ends first. */
  public boolean delayPending() {
    return delayAt != Long.MAX_VALUE;
  }

  /** True once the race is over. */
  public boolean done() {
    return done;
  }

  /** The dial's outcome, once {@link #done()}. */
  public Outcome outcome() {
    return outcome;
  }

  /** The winning or most relevant attempt's index, -1 when no attempt was made. */
  public int relevant() {
    return relevant;
  }

  /** Number of attempts started. */
  public int attemptCount() {
    return slots.size();
  }

  /** The errno of the relevant attempt, or null. */
  public Errno errno() {
    return relevant < 0 ? null : slots.get(relevant).errno;
  }

  /** The relevant attempt's remote address, or null. */
  public InetSocketAddress remote() {
    return relevant < 0 ? null : slots.get(relevant).remote;
  }

  /** The relevant attempt's local address, or null. */
  public InetSocketAddress local() {
    return relevant < 0 ? null : slots.get(relevant).local;
  }

  /** The relevant attempt's exception, or null. */
  public Throwable cause() {
    return relevant < 0 ? null : slots.get(relevant).cause;
  }

  /** Every other attempt's exception. */
  public List<Throwable> otherCauses() {
    List<Throwable> out = new ArrayList<>();
    for (int i = 0; i < slots.size(); i++) {
      if (i != relevant && slots.get(i).cause != null) {
        out.add(slots.get(i).cause);
      }
    }
    return out;
  }

  /** The attempt as a public record (it must have ended). */
  public Attempt attempt(int i) {
    Slot s = slots.get(i);
    return new Attempt(i, s.remote, s.local, s.outcome, s.errno,
        java.time.Duration.ofNanos(s.startNanos - startNanos),
        java.time.Duration.ofNanos(Math.max(0, s.endNanos - s.startNanos)), s.reason, s.icmp);
  }

  /** Every attempt, as public records. */
  public List<Attempt> attempts() {
    List<Attempt> out = new ArrayList<>(slots.size());
    for (int i = 0; i < slots.size(); i++) {
      out.add(attempt(i));
    }
    return out;
  }

}
