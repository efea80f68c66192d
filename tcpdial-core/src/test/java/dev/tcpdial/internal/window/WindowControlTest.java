package dev.tcpdial.internal.window;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Outcome;
import dev.tcpdial.Window;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The window's controller and its feedback, in simulated time. */
class WindowControlTest {
  static final long MS = 1_000_000L;

  @Test
  void aSilentRangeOpensTheWindowToTheCeilingWithinASecond() {
    SimScan.Run r = SimScan.run(Window.adaptive(), 20_000, SimScan.silent(65_536), 1000,
        SimScan.Bottleneck.NONE, 60_000);
    // window by 100 ms: it doubles every answer time (20 ms, credited on 5 ms ticks) until the
    // probes in flight reach the ceiling
    System.out.println("silent /16: " + r.millis() + " ms, window every 100 ms " + r.windows());
    assertThat(r.windows().get(3)).as("window at 0.3 s").isGreaterThanOrEqualTo(16_384);
    assertThat(r.maxWindow()).isEqualTo(20_000);
    assertThat(r.cuts()).isEmpty();
    // the best a fixed window of 20,000 can do: four rounds of the 1 s timeout
    SimScan.Run best = SimScan.run(Window.fixed(20_000), 20_000, SimScan.silent(65_536), 1000,
        SimScan.Bottleneck.NONE, 60_000);
    System.out.println("fixed 20,000: " + best.millis() + " ms");
    assertThat(r.millis()).isLessThanOrEqualTo(best.millis() + 600);
    assertThat(r.reportedTimeouts()).isEqualTo(65_536);
  }

  @Test
  void aRangeWhereOneInTenAnswersOpensItTooAndEveryAnswerIsNamed() {
    SimScan.Run r = SimScan.run(Window.adaptive(), 20_000, SimScan.someAnswer(65_536, 10, 1),
        1000, SimScan.Bottleneck.NONE, 60_000);
    System.out.println("1 in 10 answer: " + r.millis() + " ms, windows " + r.windows());
    assertThat(r.maxWindow()).isEqualTo(20_000);
    assertThat(r.reportedAnswers()).isEqualTo(6_554);
    assertThat(r.reportedTimeoutsOfAnswering()).isZero();
    assertThat(r.millis()).isLessThan(5_000);
  }

  @Test
  void aQueueThatDropsSynsShrinksTheWindowAndNoAnswerIsLostToIt() {
    // every target answers after 2 ms, through a queue that passes 200 SYNs per 10 ms
    SimScan.Run r = SimScan.run(Window.adaptive(), 20_000, SimScan.someAnswer(20_000, 1, 2),
        1500, new SimScan.Bottleneck(200, 10), 120_000);
    System.out.println("bottleneck: " + r.millis() + " ms, drops " + r.drops() + ", cuts "
        + r.cuts() + ", retries " + r.retries() + ", windows " + r.windows());
    assertThat(r.cuts()).containsKey(Window.Signal.INPUT_QUEUE_DROPS);
    assertThat(r.finalWindow()).isLessThan(r.maxWindow());
    assertThat(r.reportedAnswers()).isEqualTo(20_000);
    assertThat(r.reportedTimeoutsOfAnswering()).isZero();
  }

  @Test
  void aShortTimeoutBehindALossyQueueRetriesWhatTheSignalsMadeSuspect() {
    // a 1 s timeout sees no retransmission: a lost SYN would be a false timeout without retries
    SimScan.Run r = SimScan.run(Window.adaptive(), 20_000, SimScan.someAnswer(20_000, 2, 2),
        1000, new SimScan.Bottleneck(300, 10), 120_000);
    System.out.println("1 s timeout, lossy: " + r.millis() + " ms, drops " + r.drops()
        + ", retries " + r.retries() + ", cuts " + r.cuts());
    assertThat(r.drops()).isPositive();
    assertThat(r.retries()).isPositive();
    assertThat(r.reportedTimeoutsOfAnswering()).isZero();
    assertThat(r.reportedAnswers()).isEqualTo(10_000);
    assertThat(r.reportedTimeouts()).isEqualTo(10_000);
  }

  @Test
  void aFixedWindowStaysFixedWhateverThePath() {
    SimScan.Run r = SimScan.run(Window.fixed(1_000), 20_000, SimScan.someAnswer(10_000, 1, 2),
        1500, new SimScan.Bottleneck(200, 10), 120_000);
    assertThat(r.cuts()).isEmpty();
    assertThat(r.maxWindow()).isEqualTo(1_000);
    assertThat(r.finalWindow()).isEqualTo(1_000);
    assertThat(r.retries()).isZero();
    assertThat(r.reportedAnswers()).isEqualTo(10_000); // late (after a retransmission), named
  }

  @Test
  void answersInTimeGrowOnlyAWindowThatIsUsed() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    assertThat(c.window()).isEqualTo(Window.DEFAULT_INITIAL);
    for (int i = 0; i < 100; i++) {
      c.acked(50, 50, 2, 2, i * MS); // loopback: answered inside connect(), 2 in flight
    }
    assertThat(c.window()).isEqualTo(Window.DEFAULT_INITIAL);
    c.acked(16, 16, 16, 16, 200 * MS);
    assertThat(c.window()).isEqualTo(32);
    c.acked(32, 32, 32, 32, 210 * MS);
    assertThat(c.window()).isEqualTo(64);
  }

  @Test
  void oneCutPerFlightAndGrowthAfterItIsAnEighthPerRound() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    for (int i = 0; c.window() < 8_000; i++) {
      c.acked(c.window(), 0, c.window(), c.window(), i * 20 * MS);
    }
    int before = c.window();
    long now = 2_000 * MS;
    assertThat(c.signal(Window.Signal.LATE_ANSWERS, now - 1_000 * MS, now, before)).isTrue();
    assertThat(c.window()).isEqualTo(before / 2);
    // more late answers of the same flight, sent before the cut: no second cut
    for (int i = 1; i < 100; i++) {
      assertThat(c.signal(Window.Signal.LATE_ANSWERS, now - 900 * MS, now + i * MS, before))
          .isFalse();
    }
    assertThat(c.window()).isEqualTo(before / 2);
    // recovering: no growth for 40 ms; then congestion avoidance: a round of acks adds a sixteenth
    int w = c.window();
    c.acked(w, w, w, w, now + 30 * MS);
    assertThat(c.window()).isEqualTo(w);
    c.acked(w, w, w, w, now + 200 * MS);
    assertThat(c.window()).isEqualTo(w + w / 16);
    // a probe sent after the cut may cut again
    assertThat(c.signal(Window.Signal.INPUT_QUEUE_DROPS, now + 300 * MS, now + 310 * MS, w))
        .isTrue();
    assertThat(c.cuts()).containsEntry(Window.Signal.LATE_ANSWERS, 1L)
        .containsEntry(Window.Signal.INPUT_QUEUE_DROPS, 1L);
  }

  @Test
  void aRefusedSocketLowersTheCeilingToWhatWasInFlight() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    for (int i = 0; c.window() < 4_000; i++) {
      c.acked(c.window(), 0, c.window(), c.window(), i * 20 * MS);
    }
    c.signal(Window.Signal.LOCAL_RESOURCES, MS * 999, MS * 1000, 3_000);
    assertThat(c.ceiling()).isEqualTo(3_000);
    for (int i = 0; i < 100; i++) {
      c.acked(c.window(), 0, c.window(), c.window(), (1_100 + i * 20) * MS);
    }
    assertThat(c.window()).isEqualTo(3_000);
  }

  @Test
  void aFixedWindowHalvesOnlyForLocalReasonsAndGrowsBackByOnePerProbe() {
    List<Integer> seen = new ArrayList<>();
    WindowControl c = new WindowControl(Window.fixed(100).onChange(seen::add), 10_000);
    assertThat(c.signal(Window.Signal.INPUT_QUEUE_DROPS, 0, MS, 100)).isFalse();
    assertThat(c.signal(Window.Signal.LATE_ANSWERS, 0, MS, 100)).isFalse();
    assertThat(c.window()).isEqualTo(100);
    assertThat(c.signal(Window.Signal.LOCAL_RESOURCES, 0, 10 * MS, 100)).isTrue();
    assertThat(c.window()).isEqualTo(50);
    c.acked(0, 10, 50, 50, 20 * MS); // within 20 ms of the cut: not yet
    assertThat(c.window()).isEqualTo(50);
    c.acked(0, 10, 50, 50, 31 * MS);
    assertThat(c.window()).isEqualTo(60);
    c.acked(0, 1_000, 60, 60, 40 * MS);
    assertThat(c.window()).isEqualTo(100);
    assertThat(seen).containsExactly(50, 60, 100);
  }

  @Test
  void aCeilingAskedForBoundsTheBudgetAndInitial() {
    assertThat(new WindowControl(Window.adaptive().max(8), 10_000).window()).isEqualTo(8);
    assertThat(new WindowControl(Window.adaptive().max(50_000), 1_000).ceiling()).isEqualTo(1_000);
    assertThat(new WindowControl(Window.adaptive(), 0).window()).isEqualTo(1);
  }

  @Test
  void aTimeoutIsRetriedOnlyWhenASignalNamedTheTimeItWasSentAndTheScanHasAnswers() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    Feedback fb = new Feedback(true, (s, sent, now) -> c.signal(s, sent, now, 100),
        c::suspect, 0);
    int answering = 7;
    int silentNet = 9;
    boolean park = fb.started(0, answering);
    c.signal(Window.Signal.INPUT_QUEUE_DROPS, 0, MS / 2, 100);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 0, silentNet, true, 1_000 * MS))
        .as("a signal, but no answer yet: silence").isEqualTo(Feedback.Next.REPORT);
    fb.started(1_000 * MS, answering);
    assertThat(fb.ended(Outcome.REFUSED, 111, MS, 0, answering, park, 1_001 * MS))
        .isEqualTo(Feedback.Next.REPORT);
    // sent at 1,010 ms, when no drop was counted: silence
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 0, answering, true, 2_010 * MS))
        .isEqualTo(Feedback.Next.REPORT);
    // drops counted in the sample from 2,100 to 2,125 ms: probes sent from 2,095 ms on
    c.signal(Window.Signal.INPUT_QUEUE_DROPS, 2_100 * MS, 2_125 * MS, 100);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 0, answering, true, 3_090 * MS))
        .as("sent at 2,090 ms, before the drops").isEqualTo(Feedback.Next.REPORT);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 0, answering, true, 3_110 * MS))
        .isEqualTo(Feedback.Next.RETRY);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 0, silentNet, true, 3_110 * MS))
        .as("a network that never answered, in a scan that has").isEqualTo(Feedback.Next.RETRY);
    // a third try only once a second try has been answered (nmap's max_successful_tryno)
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 1, answering, true, 3_110 * MS))
        .isEqualTo(Feedback.Next.REPORT);
    fb.ended(Outcome.REFUSED, 111, MS, 1, answering, true, 3_110 * MS);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 1, answering, true, 3_110 * MS))
        .isEqualTo(Feedback.Next.RETRY);
    fb.ended(Outcome.REFUSED, 111, MS, 3, answering, true, 3_110 * MS);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 2, answering, true, 3_110 * MS))
        .isEqualTo(Feedback.Next.RETRY);
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 3, answering, true, 3_110 * MS))
        .as("four tries in all").isEqualTo(Feedback.Next.REPORT);
    // sent after the sample: silence
    assertThat(fb.ended(Outcome.TIMEOUT, 0, 1_000 * MS, 0, answering, true, 3_130 * MS))
        .isEqualTo(Feedback.Next.REPORT);
  }

  @Test
  void aLateAnswerMakesSuspectTheProbesSentAroundIt() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    assertThat(c.suspect(0)).isFalse();
    c.signal(Window.Signal.LATE_ANSWERS, 500 * MS, 1_500 * MS, 100);
    assertThat(c.suspect(470 * MS)).isFalse();
    assertThat(c.suspect(480 * MS)).isTrue();
    assertThat(c.suspect(520 * MS)).isTrue();
    assertThat(c.suspect(530 * MS)).isFalse();
    c.signal(Window.Signal.LOCAL_RESOURCES, 600 * MS, 1_600 * MS, 100);
    assertThat(c.suspect(600 * MS)).as("a local failure is retried as such").isFalse();
    for (int i = 0; i < 1_000; i++) { // the oldest intervals make room for the newest
      c.signal(Window.Signal.LATE_ANSWERS, (1_000 + 100L * i) * MS, (2_000 + 100L * i) * MS, 10);
    }
    assertThat(c.suspect(500 * MS)).isFalse();
    assertThat(c.suspect((1_000 + 100L * 999) * MS)).isTrue();
  }

  @Test
  void aNetworkThatAnswersNearlyEverythingKeepsItsUnansweredProbesInTheWindow() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    Feedback fb = new Feedback(true, (s, sent, now) -> c.signal(s, sent, now, 100),
        c::suspect, 0);
    // one host's closed ports: every probe answered at once
    for (int i = 0; i < 100; i++) {
      boolean park = fb.started(i * 1_000L, 5);
      fb.ended(Outcome.REFUSED, 111, 10_000, 0, 5, park, i * 1_000L + 10_000);
    }
    assertThat(fb.started(MS, 5)).as("unanswered, it is more likely lost than silent").isFalse();
    assertThat(fb.takeAcks(500 * MS)).isEqualTo(100); // the answers, and no silence credit
    assertThat(fb.parked()).isZero();
    // a sparse network: its unanswered probes are parked once the answer time has passed
    for (int i = 0; i < 10; i++) {
      fb.started(600 * MS, 6);
    }
    assertThat(fb.takeAcks(700 * MS)).isEqualTo(10);
    assertThat(fb.parked()).isEqualTo(10);
  }

  @Test
  void aLossCutNeverTakesTheWindowBelowWhereItStarted() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    for (int i = 0; i < 20; i++) {
      c.signal(Window.Signal.LISTEN_QUEUE_DROPS, i * 100 * MS, i * 100 * MS + MS, 16);
    }
    assertThat(c.window()).isEqualTo(Window.DEFAULT_INITIAL);
    c.signal(Window.Signal.LOCAL_RESOURCES, 3_000 * MS, 3_001 * MS, 16);
    assertThat(c.window()).isEqualTo(8);
  }

  @Test
  void localFailuresAreRetriedThreeTimesWithGrowingPauses() {
    WindowControl c = new WindowControl(Window.fixed(10), 10_000);
    Feedback fb = new Feedback(false, (s, sent, now) -> c.signal(s, sent, now, 10),
        c::suspect, 0);
    for (int tries = 0; tries < Window.LOCAL_RETRIES; tries++) {
      assertThat(fb.ended(Outcome.LOCAL_RESOURCES, 24, MS, tries, 1, true, 2 * MS))
          .isEqualTo(Feedback.Next.RETRY_LATER);
    }
    assertThat(fb.ended(Outcome.LOCAL_RESOURCES, 24, MS, 3, 1, true, 2 * MS))
        .isEqualTo(Feedback.Next.REPORT);
    assertThat(fb.ended(Outcome.ERROR, 11, MS, 0, 1, true, 2 * MS)).as("EAGAIN")
        .isEqualTo(Feedback.Next.RETRY_LATER);
    assertThat(Feedback.pauseNanos(2)).isEqualTo(2 * Feedback.LOCAL_PAUSE_NANOS);
    assertThat(c.cuts()).containsEntry(Window.Signal.LOCAL_RESOURCES, 1L); // one flight
  }

  @Test
  void aLateAnswerCutsOnlyWhenTheNetworkIsQuick() {
    WindowControl c = new WindowControl(Window.adaptive(), 10_000);
    Feedback fb = new Feedback(true, (s, sent, now) -> c.signal(s, sent, now, 100),
        c::suspect, 0);
    for (int net : new int[] {1, 2, 2, 1}) {
      fb.started(0, net);
    }
    fb.ended(Outcome.REFUSED, 111, 2 * MS, 0, 1, true, 10 * MS); // network 1: 2 ms
    fb.ended(Outcome.REFUSED, 111, 700 * MS, 0, 2, true, 710 * MS); // network 2: a long path
    fb.ended(Outcome.REFUSED, 111, 1_300 * MS, 0, 2, true, 2_000 * MS);
    assertThat(c.cuts()).isEmpty();
    fb.ended(Outcome.REFUSED, 111, 1_002 * MS, 0, 1, true, 2_000 * MS);
    assertThat(c.cuts()).containsEntry(Window.Signal.LATE_ANSWERS, 1L);
  }
}
