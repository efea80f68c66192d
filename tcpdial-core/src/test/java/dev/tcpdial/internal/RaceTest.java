package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Attempt;
import dev.tcpdial.Errno;
import dev.tcpdial.Family;
import dev.tcpdial.Outcome;
import dev.tcpdial.RetryPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The race in simulated time: exact start offsets, one winner, stopped losers, the budget. */
class RaceTest {
  static final long MS = 1_000_000;

  /** Records what the race asks for; time moves only when the test says. */
  static final class Sim implements Race.Actions {
    final List<String> log = new ArrayList<>();
    final List<Long> starts = new ArrayList<>();
    final List<Long> attemptDeadlines = new ArrayList<>();
    long now;
    long timer = Long.MAX_VALUE;
    boolean finished;
    Race race;

    @Override
    public void startAttempt(int i, InetSocketAddress remote, Attempt.Reason reason, long deadline) {
      log.add(now / MS + "ms start " + i + " " + remote.getAddress().getHostAddress() + " " + reason.label());
      starts.add(now);
      attemptDeadlines.add(deadline);
    }

    @Override
    public void stopAttempt(int i) {
      log.add(now / MS + "ms stop " + i);
    }

    @Override
    public void armTimer(long at) {
      timer = at;
    }

    @Override
    public void finished() {
      finished = true;
      log.add(now / MS + "ms finished " + race.outcome().label());
    }

    /** Advances time to {@code t}, firing the timer on the way as often as it is due. */
    void advanceTo(long t) {
      while (!finished && timer != Long.MAX_VALUE && timer <= t) {
        now = timer;
        race.timerFired(now);
      }
      now = t;
    }

    void end(int i, Outcome o, Errno e) {
      race.attemptEnded(i, o, e, null, null, now);
    }
  }

  static List<InetSocketAddress> plan(String... addrs) throws Exception {
    List<InetAddress> list = new ArrayList<>();
    for (String a : addrs) {
      list.add(InetAddress.ofLiteral(a));
    }
    return AddressOrder.plan(list, Family.ANY, 80);
  }

  static Sim race(List<InetSocketAddress> plan, long delayMs, long timeoutMs, long deadlineMs,
      RetryPolicy retry) {
    Sim sim = new Sim();
    Deadline d = deadlineMs == 0 ? Deadline.NONE : new Deadline(deadlineMs * MS);
    sim.race = new Race(plan, new Race.Config(delayMs * MS, timeoutMs * MS, retry), 0, d, sim,
        new SplittableRandom(7));
    sim.race.begin(0);
    return sim;
  }

  @Test
  void addressOrderInterleavesFamiliesStartingWithTheFirst() throws Exception {
    assertThat(plan("fd00::1", "fd00::2", "198.18.0.1", "198.18.0.2", "198.18.0.3", "fd00::1"))
        .extracting(a -> a.getAddress().getHostAddress())
        .containsExactly("fd00:0:0:0:0:0:0:1", "198.18.0.1", "fd00:0:0:0:0:0:0:2", "198.18.0.2",
            "198.18.0.3");
    assertThat(AddressOrder.plan(List.of(InetAddress.ofLiteral("fd00::1"),
        InetAddress.ofLiteral("198.18.0.1")), Family.IPV4, 80)).hasSize(1);
  }

  @Test
  void silentFirstAddressLosesToTheSecondAfterTheAttemptDelay() throws Exception {
    Sim s = race(plan("fd00::1", "198.18.0.1"), 250, 10_000, 0, RetryPolicy.none());
    s.advanceTo(249 * MS);
    assertThat(s.starts).containsExactly(0L);
    s.advanceTo(250 * MS);
    assertThat(s.starts).containsExactly(0L, 250 * MS);
    s.advanceTo(262 * MS);
    s.end(1, Outcome.CONNECTED, null);
    assertThat(s.log).containsExactly(
        "0ms start 0 fd00:0:0:0:0:0:0:1 first",
        "250ms start 1 198.18.0.1 delay_elapsed",
        "262ms stop 0",
        "262ms finished connected");
    assertThat(s.race.relevant()).isEqualTo(1);
    assertThat(s.race.attempt(0).outcome()).isEqualTo(Outcome.CANCELLED);
    assertThat(s.race.attempt(1).start().toMillis()).isEqualTo(250);
    // The stopped loser reporting late is refused: its channel gets closed by the driver.
    assertThat(s.race.attemptEnded(0, Outcome.CONNECTED, null, null, null, s.now)).isFalse();
  }

  @Test
  void aFailureStartsTheNextAttemptAtOnce() throws Exception {
    Sim s = race(plan("198.18.0.1", "198.18.0.2", "198.18.0.3"), 250, 10_000, 0, RetryPolicy.none());
    s.advanceTo(3 * MS);
    s.end(0, Outcome.REFUSED, Errno.ECONNREFUSED);
    assertThat(s.starts).containsExactly(0L, 3 * MS);
    s.advanceTo(253 * MS);
    assertThat(s.starts).containsExactly(0L, 3 * MS, 253 * MS);
    s.end(2, Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH);
    s.end(1, Outcome.TIMEOUT, null);
    assertThat(s.finished).isTrue();
    // refused says most about the target: it is the dial's outcome, not the last failure
    assertThat(s.race.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(s.race.errno()).isEqualTo(Errno.ECONNREFUSED);
    assertThat(s.race.attempts()).extracting(Attempt::reason).containsExactly(
        Attempt.Reason.FIRST, Attempt.Reason.PREVIOUS_FAILED, Attempt.Reason.DELAY_ELAPSED);
  }

  @Test
  void sequentialWhenTheDelayIsZero() throws Exception {
    Sim s = race(plan("198.18.0.1", "198.18.0.2"), 0, 300, 0, RetryPolicy.none());
    s.advanceTo(10_000 * MS);
    assertThat(s.starts).containsExactly(0L); // the attempt's own deadline ends it, not the race
    assertThat(s.attemptDeadlines).containsExactly(300 * MS);
  }

  @Test
  void networkUnreachableSkipsTheRestOfItsFamily() throws Exception {
    Sim s = race(plan("fd00::1", "198.18.0.1", "fd00::2", "198.18.0.2"), 250, 10_000, 0,
        RetryPolicy.none());
    s.end(0, Outcome.NETWORK_UNREACHABLE, Errno.ENETUNREACH);
    s.advanceTo(1 * MS);
    s.end(1, Outcome.TIMEOUT, null);
    assertThat(s.log).filteredOn(l -> l.contains("start")).extracting(l -> l.split(" ")[3])
        .containsExactly("fd00:0:0:0:0:0:0:1", "198.18.0.1", "198.18.0.2");
  }

  @Test
  void theDeadlineBoundsEveryAttemptAndEndsTheDial() throws Exception {
    Sim s = race(plan("198.18.0.1", "198.18.0.2", "198.18.0.3"), 250, 400, 600, RetryPolicy.none());
    s.advanceTo(1_000 * MS);
    assertThat(s.finished).isTrue();
    assertThat(s.log.getLast()).isEqualTo("600ms finished timeout");
    for (int i = 0; i < s.attemptDeadlines.size(); i++) {
      assertThat(s.attemptDeadlines.get(i)).isLessThanOrEqualTo(600 * MS)
          .isLessThanOrEqualTo(s.starts.get(i) + 400 * MS);
    }
    assertThat(s.race.attempts()).allSatisfy(a -> assertThat(a.outcome()).isEqualTo(Outcome.TIMEOUT));
  }

  @Test
  void retriesBackOffWithinTheDeadlineAndNeverRetryProhibited() throws Exception {
    RetryPolicy p = RetryPolicy.retries(3).withBackoff(java.time.Duration.ofMillis(100),
        java.time.Duration.ofMillis(400));
    Sim s = race(plan("198.18.0.1"), 250, 10_000, 0, p);
    long last = 0;
    for (int round = 0; round < 4; round++) {
      s.end(round, Outcome.TIMEOUT, null);
      if (round < 3) {
        long at = s.timer;
        assertThat(at - s.now).isBetween(0L, Math.min(400, 100L << round) * MS);
        s.advanceTo(at);
        assertThat(s.starts).hasSize(round + 2);
        assertThat(s.log.getLast()).endsWith(" retry");
        assertThat(s.now).isGreaterThanOrEqualTo(last);
        last = s.now;
      }
    }
    assertThat(s.finished).isTrue();
    assertThat(s.race.attemptCount()).isEqualTo(4);

    Sim prohibited = race(plan("198.18.0.1"), 250, 10_000, 0, RetryPolicy.retries(3));
    prohibited.end(0, Outcome.PROHIBITED, Errno.EACCES);
    assertThat(prohibited.finished).isTrue();
    assertThat(prohibited.race.attemptCount()).isEqualTo(1);

    Sim refused = race(plan("198.18.0.1"), 250, 10_000, 0, RetryPolicy.retries(1));
    refused.end(0, Outcome.REFUSED, Errno.ECONNREFUSED);
    assertThat(refused.finished).as("refused is retried only when asked").isTrue();
    Sim asked = race(plan("198.18.0.1"), 250, 10_000, 0, RetryPolicy.retries(1).retryingRefused());
    asked.end(0, Outcome.REFUSED, Errno.ECONNREFUSED);
    assertThat(asked.finished).isFalse();
  }

  @Test
  void aRetryThatWouldEndAfterTheDeadlineIsNotStarted() throws Exception {
    RetryPolicy p = RetryPolicy.retries(5).withBackoff(java.time.Duration.ofSeconds(1),
        java.time.Duration.ofSeconds(1));
    Sim s = race(plan("198.18.0.1"), 250, 10_000, 1_000, p);
    s.advanceTo(900 * MS);
    s.end(0, Outcome.NO_LOCAL_ADDRESS, Errno.EADDRNOTAVAIL); // local: at least 1 s pause
    assertThat(s.finished).isTrue();
    assertThat(s.race.outcome()).isEqualTo(Outcome.NO_LOCAL_ADDRESS);
  }

  @Test
  void cancelStopsEverythingOnce() throws Exception {
    Sim s = race(plan("fd00::1", "198.18.0.1"), 250, 10_000, 0, RetryPolicy.none());
    s.advanceTo(300 * MS);
    s.race.cancel(s.now);
    s.race.cancel(s.now);
    assertThat(s.log).containsSubsequence("300ms stop 0", "300ms stop 1", "300ms finished cancelled");
    assertThat(s.log.stream().filter(l -> l.contains("finished"))).hasSize(1);
    assertThat(s.timer).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void exactlyOneWinnerWhenTwoConnectTogether() throws Exception {
    Sim s = race(plan("fd00::1", "198.18.0.1"), 250, 10_000, 0, RetryPolicy.none());
    s.advanceTo(250 * MS);
    assertThat(s.race.attemptEnded(1, Outcome.CONNECTED, null, null, null, s.now)).isTrue();
    assertThat(s.race.attemptEnded(0, Outcome.CONNECTED, null, null, null, s.now)).isFalse();
    assertThat(s.race.relevant()).isEqualTo(1);
  }
}
