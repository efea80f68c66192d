package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Attempt;
import dev.tcpdial.Errno;
import dev.tcpdial.Family;
import dev.tcpdial.Outcome;
import dev.tcpdial.RetryPolicy;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One dial's race driven through a random schedule — random addresses, settings, attempt results
 * and their timings, timers fired on time or a little late, the caller cancelling, stopped attempts
 * reporting late — checking Happy Eyeballs' rules at every step: at most one winner, every loser
 * stopped, the deadline never exceeded, attempts started in RFC 8305 order, retries only for the
 * outcomes the policy allows. Every choice comes from a {@link Choices}, so a failing schedule is
 * replayed from its seed (or fuzz input).
 */
public final class RaceChaos {
  static final long MS = 1_000_000;
  /** How late the simulated driver may fire a timer (a loop thread is never exactly on time). */
  static final long MAX_LATENESS = 2 * MS;

  /** Where the schedule's choices come from. */
  public interface Choices {
    /** A number in {@code [0, bound)}; bound > 0. */
    int nextInt(int bound);

    /** A number in {@code [0, bound)}; bound > 0. */
    long nextLong(long bound);
  }

  /** Choices from a seeded generator. */
  public static Choices seeded(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return new Choices() {
      @Override
      public int nextInt(int bound) {
        return r.nextInt(bound);
      }

      @Override
      public long nextLong(long bound) {
        return r.nextLong(bound);
      }
    };
  }

  private static final Outcome[] FAILURES = {Outcome.REFUSED, Outcome.TIMEOUT,
      Outcome.HOST_UNREACHABLE, Outcome.NETWORK_UNREACHABLE, Outcome.PROHIBITED,
      Outcome.NO_LOCAL_ADDRESS, Outcome.LOCAL_RESOURCES, Outcome.ERROR};

  private final Choices c;
  private final List<InetSocketAddress> plan;
  private final long attemptDelay;
  private final long connectTimeout;
  private final long start;
  private final long deadline; // MAX_VALUE: none
  private final RetryPolicy retry;
  private final Race race;
  private final Driver driver = new Driver();
  private final StringBuilder log = new StringBuilder();

  /** What the race asked of the driver, and what the driver saw. */
  private final class Driver implements Race.Actions {
    final List<Long> startedAt = new ArrayList<>();
    final List<Long> endsAt = new ArrayList<>(); // when the network will answer, if not stopped
    final List<Long> attemptDeadline = new ArrayList<>();
    final List<InetSocketAddress> remote = new ArrayList<>();
    final List<Attempt.Reason> reason = new ArrayList<>();
    final List<Outcome> ended = new ArrayList<>(); // as reported and accepted; null: in flight
    final List<Boolean> stopped = new ArrayList<>();
    final List<Long> startSeq = new ArrayList<>(); // order of events, to tell what came first
    final List<Long> recordedSeq = new ArrayList<>();
    long seq;
    long now;
    long timer = Long.MAX_VALUE;
    int finishedCalls;
    long finishedAt;

    @Override
    public void startAttempt(int index, InetSocketAddress to, Attempt.Reason why, long by) {
      assertThat(finishedCalls).as("no attempt after the race is over").isZero();
      assertThat(index).isEqualTo(startedAt.size());
      log.append(now - start).append(" start ").append(index).append(' ')
          .append(to.getAddress().getHostAddress()).append(' ').append(why.label()).append('\n');
      startedAt.add(now);
      remote.add(to);
      reason.add(why);
      attemptDeadline.add(by);
      ended.add(null);
      stopped.add(false);
      startSeq.add(seq++);
      recordedSeq.add(Long.MAX_VALUE);
      long answer = now + pick(3_000 * MS);
      endsAt.add(answer);
    }

    @Override
    public void stopAttempt(int index) {
      log.append(now - start).append(" stop ").append(index).append('\n');
      assertThat(stopped.get(index)).as("stopped once: %s", index).isFalse();
      assertThat(ended.get(index)).as("a stopped attempt had not ended: %s", index).isNull();
      stopped.set(index, true);
    }

    @Override
    public void attemptRecorded(int index) {
      assertThat(recordedSeq.get(index)).as("recorded once: %s", index).isEqualTo(Long.MAX_VALUE);
      recordedSeq.set(index, seq++);
    }

    @Override
    public void armTimer(long at) {
      timer = at;
    }

    @Override
    public void finished() {
      finishedCalls++;
      finishedAt = now;
      log.append(now - start).append(" finished ").append(race.outcome().label()).append('\n');
    }
  }

  /** A schedule made of {@code choices}. */
  public RaceChaos(Choices choices) {
    this.c = choices;
    int n = 1 + c.nextInt(6);
    List<InetAddress> resolved = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int host = 1 + c.nextInt(4); // small: duplicates happen and are removed by the plan
      try {
        resolved.add(c.nextInt(2) == 0
            ? InetAddress.getByAddress(new byte[] {(byte) 198, 18, 0, (byte) host})
            : InetAddress.getByName("fd00::" + host));
      } catch (UnknownHostException e) {
        throw new AssertionError(e);
      }
    }
    this.plan = AddressOrder.plan(resolved, Family.ANY, 80);
    this.attemptDelay = switch (c.nextInt(3)) {
      case 0 -> 0;
      case 1 -> 250 * MS;
      default -> 10 * MS + pick(2_000 * MS);
    };
    this.connectTimeout = c.nextInt(4) == 0 ? 0 : MS + pick(5_000 * MS);
    this.start = pick(1L << 41) - (1L << 40); // System.nanoTime() may be negative
    this.deadline = c.nextInt(3) == 0 ? Long.MAX_VALUE : start + MS + pick(10_000 * MS);
    RetryPolicy p = c.nextInt(3) == 0 ? RetryPolicy.none() : RetryPolicy.retries(c.nextInt(4));
    if (c.nextInt(2) == 0) {
      long base = MS + pick(500 * MS);
      p = p.withBackoff(Duration.ofNanos(base), Duration.ofNanos(base + pick(2_000 * MS)));
    }
    switch (c.nextInt(4)) {
      case 0 -> p = p.retryingRefused();
      case 1 -> {
        Set<Outcome> on = EnumSet.noneOf(Outcome.class);
        for (Outcome o : FAILURES) {
          if (o != Outcome.PROHIBITED && c.nextInt(2) == 0) {
            on.add(o);
          }
        }
        p = p.retryingOn(on);
      }
      default -> { }
    }
    this.retry = p;
    this.race = new Race(plan, new Race.Config(attemptDelay, connectTimeout, retry), start,
        deadline == Long.MAX_VALUE ? Deadline.NONE : new Deadline(deadline), driver,
        new SplittableRandom(c.nextLong(Long.MAX_VALUE)));
  }

  private long pick(long bound) {
    return c.nextLong(bound);
  }

  /** What the schedule was, for a failure message. */
  public String describe() {
    return "plan=" + plan.stream().map(a -> a.getAddress().getHostAddress()).toList()
        + " delay=" + attemptDelay / MS + "ms timeout=" + connectTimeout / MS + "ms deadline="
        + (deadline == Long.MAX_VALUE ? "none" : (deadline - start) / MS + "ms") + " " + retry
        + "\n" + log;
  }

  /** Runs the schedule to its end (bounded), checking the rules; returns the outcome. */
  public Outcome run() {
    try {
      return drive();
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + describe(), e);
    }
  }

  private Outcome drive() {
    Driver d = driver;
    d.now = start;
    race.begin(start);
    boolean cancelled = false;
    for (int step = 0; step < 500 && d.finishedCalls == 0; step++) {
      // the next thing the network does: the earliest answer of an attempt in flight, or its own
      // timeout (the driver ends an attempt as timeout when its deadline comes)
      int who = -1;
      long when = Long.MAX_VALUE;
      for (int i = 0; i < d.startedAt.size(); i++) {
        if (d.ended.get(i) == null && !d.stopped.get(i)) {
          long t = Math.min(d.endsAt.get(i), d.attemptDeadline.get(i));
          if (who < 0 || t - when < 0) {
            who = i;
            when = t;
          }
        }
      }
      int roll = c.nextInt(100);
      if (roll < 3) {
        // the caller gives up, some time before the next event
        long at = d.now + (when == Long.MAX_VALUE ? pick(1_000 * MS) : pick(Math.max(1, when - d.now)));
        d.now = Math.max(d.now, Math.min(at, d.timer == Long.MAX_VALUE ? at : d.timer));
        cancelled = true;
        race.cancel(d.now);
        break;
      }
      if (roll < 6 && !d.startedAt.isEmpty()) {
        // a stopped or finished attempt reports late: the race must refuse it
        int i = c.nextInt(d.startedAt.size());
        if (d.stopped.get(i) || d.ended.get(i) != null) {
          boolean wanted = race.attemptEnded(i, c.nextInt(2) == 0 ? Outcome.CONNECTED : Outcome.REFUSED,
              null, null, null, d.now);
          assertThat(wanted).as("a stopped or ended attempt reporting again is refused: %s", i).isFalse();
        }
      }
      if (d.timer != Long.MAX_VALUE && (who < 0 || d.timer - when <= 0)) {
        long late = c.nextInt(4) == 0 ? pick(MAX_LATENESS) : 0;
        d.now = Math.max(d.now, d.timer + late);
        race.timerFired(d.now);
        continue;
      }
      if (who < 0) {
        throw new AssertionError("the race waits for nothing: no attempt in flight, no timer");
      }
      d.now = Math.max(d.now, when);
      Outcome how;
      Errno errno = null;
      if (when - d.attemptDeadline.get(who) >= 0 && d.attemptDeadline.get(who) - d.endsAt.get(who) <= 0) {
        how = Outcome.TIMEOUT;
      } else {
        int r = c.nextInt(100);
        how = r < 15 ? Outcome.CONNECTED : r < 17 ? Outcome.CANCELLED : FAILURES[r % FAILURES.length];
      }
      if (how == Outcome.REFUSED) {
        errno = Errno.ECONNREFUSED;
      }
      boolean wanted = race.attemptEnded(who, how, errno, null, null, d.now);
      assertThat(wanted).as("an attempt in flight reporting is accepted").isTrue();
      d.ended.set(who, how);
      log.append(d.now - start).append(" ended ").append(who).append(' ').append(how.label()).append('\n');
    }
    assertThat(d.finishedCalls).as("the race ends, exactly once").isEqualTo(1);
    assertThat(race.done()).isTrue();
    check(cancelled);
    return race.outcome();
  }

  private void check(boolean cancelled) {
    Driver d = driver;
    int n = d.startedAt.size();
    assertThat(race.attemptCount()).isEqualTo(n);
    // at most one winner, and the dial says so
    int winners = 0;
    for (int i = 0; i < n; i++) {
      if (d.ended.get(i) == Outcome.CONNECTED) {
        winners++;
        assertThat(race.outcome()).isEqualTo(Outcome.CONNECTED);
        assertThat(race.relevant()).isEqualTo(i);
      }
    }
    assertThat(winners).as("winners").isLessThanOrEqualTo(1);
    if (race.outcome() == Outcome.CONNECTED) {
      assertThat(winners).isEqualTo(1);
    }
    if (cancelled) {
      assertThat(race.outcome()).isIn(Outcome.CANCELLED, Outcome.CONNECTED);
    }
    // every loser stopped: nothing is left in flight, and what was stopped is recorded as ended
    for (int i = 0; i < n; i++) {
      assertThat(d.ended.get(i) != null || d.stopped.get(i))
          .as("attempt %s ended or was stopped", i).isTrue();
      assertThat(race.attempt(i).outcome()).isNotNull();
      if (d.stopped.get(i)) {
        assertThat(race.attempt(i).outcome()).isIn(Outcome.CANCELLED, Outcome.TIMEOUT);
      }
    }
    assertThat(race.inFlight()).isZero();
    // the deadline: no attempt may run past it, none starts at or after it, the race ends by it
    if (deadline != Long.MAX_VALUE) {
      for (int i = 0; i < n; i++) {
        assertThat(d.attemptDeadline.get(i) - deadline).as("attempt %s's deadline", i).isLessThanOrEqualTo(0);
        assertThat(d.startedAt.get(i) - deadline).as("attempt %s starts before the deadline", i).isNegative();
      }
      assertThat(d.finishedAt - deadline).as("the race ends by the deadline")
          .isLessThanOrEqualTo(MAX_LATENESS);
    }
    for (int i = 0; i < n; i++) {
      if (connectTimeout > 0) {
        assertThat(d.attemptDeadline.get(i) - d.startedAt.get(i)).isLessThanOrEqualTo(connectTimeout);
      }
    }
    checkOrder();
  }

  /** RFC 8305: each round walks the plan in order, the first at once, the next after the delay or a failure. */
  private void checkOrder() {
    Driver d = driver;
    int n = d.startedAt.size();
    int rounds = 0;
    int pos = -1; // plan position of the last start in this round
    boolean skip4 = false;
    boolean skip6 = false;
    int roundFirst = 0;
    for (int i = 0; i < n; i++) {
      Attempt.Reason why = d.reason.get(i);
      long at = d.startedAt.get(i);
      if (i == 0) {
        assertThat(why).isEqualTo(Attempt.Reason.FIRST);
        assertThat(at).isEqualTo(start);
      } else if (why == Attempt.Reason.RETRY) {
        // a new round: only after every attempt of the last one ended, one of them retryable
        boolean retryable = false;
        for (int j = roundFirst; j < i; j++) {
          Outcome o = race.attempt(j).outcome();
          assertThat(d.recordedSeq.get(j)).as("round before retry %s over", i).isLessThan(d.startSeq.get(i));
          retryable |= retry.retries(o);
          assertThat(o).isNotIn(Outcome.CONNECTED, Outcome.CANCELLED);
        }
        assertThat(retryable).as("retry %s follows a retryable outcome", i).isTrue();
        rounds++;
        assertThat(rounds).isLessThanOrEqualTo(retry.maxRetries());
        pos = -1;
        skip4 = false;
        skip6 = false;
        roundFirst = i;
      } else {
        assertThat(why).isIn(Attempt.Reason.DELAY_ELAPSED, Attempt.Reason.PREVIOUS_FAILED);
        if (why == Attempt.Reason.DELAY_ELAPSED) {
          assertThat(attemptDelay).isPositive();
          long since = at - d.startedAt.get(i - 1);
          assertThat(since).as("delay before attempt %s", i).isBetween(attemptDelay, attemptDelay + MAX_LATENESS);
        } else {
          // at the moment an earlier attempt of this round failed
          boolean failedThen = false;
          for (int j = roundFirst; j < i; j++) {
            if (d.recordedSeq.get(j) == d.startSeq.get(i) - 1 && !d.stopped.get(j)
                && d.ended.get(j) != Outcome.CONNECTED) {
              failedThen = true;
            }
          }
          assertThat(failedThen).as("attempt %s starts when one fails", i).isTrue();
        }
        if (attemptDelay == 0) {
          for (int j = roundFirst; j < i; j++) {
            assertThat(d.ended.get(j) != null || d.stopped.get(j)).isTrue();
          }
        }
      }
      // skip families whose network was unreachable earlier in this round, then take the next
      for (int j = roundFirst; j < i; j++) {
        if (d.ended.get(j) == Outcome.NETWORK_UNREACHABLE && d.recordedSeq.get(j) < d.startSeq.get(i)) {
          if (d.remote.get(j).getAddress() instanceof Inet6Address) {
            skip6 = true;
          } else {
            skip4 = true;
          }
        }
      }
      int expect = pos + 1;
      while (expect < plan.size()
          && (plan.get(expect).getAddress() instanceof Inet6Address ? skip6 : skip4)) {
        expect++;
      }
      assertThat(expect).as("attempt %s has an address left", i).isLessThan(plan.size());
      assertThat(d.remote.get(i)).as("attempt %s in RFC 8305 order", i).isEqualTo(plan.get(expect));
      pos = expect;
    }
  }
}
