package dev.tcpdial.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.lab.ProbeLine.AttemptLine;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Happy Eyeballs, sequential attempts, the overall deadline and per-socket SYN retries, dialed for
 * real in the lab through names of {@code /etc/netns/PREFIXc/hosts}, in both modes. The
 * timing-sensitive dials run one after another in one {@link LabProbe} process (after a warm-up);
 * the slow ones run at once in a second process beside it. Root only: skipped otherwise.
 */
class LabDialTest {
  /** Happy Eyeballs' attempt delay of these dials (the default). */
  private static final double ATTEMPT_DELAY_MS = 250;
  /**
   * How late a timer of ours may fire and still pass: 150 ms of our own, plus the scheduling
   * delay the probe process measured during that dial ({@code late_ms}), which no code of ours
   * controls. See {@link #slack}.
   */
  private static final double SLACK_MS = 150;
  private static final double DEADLINE_MS = 1000;
  private static final String SERVER4 = "198.18.1.2:80";
  private static final String SILENT6 = "[fd00:4::1]:80";

  private static Lab lab;
  private static Lab.ProbeRun timed;
  private static Lab.ProbeRun slow;

  @BeforeAll
  static void dial() {
    lab = Lab.up();
    CompletableFuture<Lab.ProbeRun> t = lab.probeAsync(lab.client(),
        List.of("--sequential", "--warmup", "ok.lab:80", "--warmup", "198.18.1.2:81",
            "--warmup", "dual-silent6.lab:80"),
        List.of(
            "--mode both --id he --attempt-delay 250 dual-silent6.lab:80",
            "--mode both --id he-dial --api dial --attempt-delay 250 dual-silent6.lab:80",
            "--mode both --id seq --attempt-delay 0 --connect-timeout 300 two-dead.lab:80"),
        Duration.ofSeconds(60));
    CompletableFuture<Lab.ProbeRun> s = lab.probeAsync(lab.client(),
        List.of("--warmup", "198.18.1.2:81"),
        List.of(
            "--mode both --id deadline-he --api dial --deadline 1000 all-dead.lab:80",
            "--mode both --id deadline-seq --api dial --deadline 1000 --attempt-delay 0"
                + " --connect-timeout 600 two-dead.lab:80",
            "--mode both --id deadline-silent --api dial --deadline 1000 --connect-timeout 0"
                + " silent.lab:80",
            "--mode both --id syn4 --api dial --connect-timeout 0 --syn-retries 1 silent4.lab:80",
            "--mode both --id syn6 --api dial --connect-timeout 0 --syn-retries 1 silent6.lab:80"),
        Duration.ofSeconds(60));
    timed = t.join();
    slow = s.join();
  }

  @AfterAll
  static void down() {
    if (lab != null) {
      lab.close();
    }
  }

  /**
   * {@link #SLACK_MS} plus what held this dial up that the test cannot control, as the probe
   * process measured it ({@code late_ms}: its stalls, its dial threads' wait for a CPU).
   */
  private static double slack(ProbeLine r) {
    return SLACK_MS + measured(r, "late_ms");
  }

  /**
   * {@link #slack} for a dial that connects: a SYN-ACK through the lab's veth pairs is delivered by
   * the kernel, which on busy CPUs waits in the run queue too ({@code packets_ms}).
   */
  private static double slackAnswered(ProbeLine r) {
    return slack(r) + measured(r, "packets_ms");
  }

  private static double measured(ProbeLine r, String key) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(" " + key + "=([0-9.]+)").matcher(r.raw());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"he/sync", "he/async", "he-dial/sync", "he-dial/async"})
  void aSilentIpv6FirstAddressCostsOnlyTheAttemptDelay(String id) {
    ProbeLine r = timed.get(id);
    String got = "\n  got: " + r.raw();
    double slack = slackAnswered(r);
    assertThat(r.outcome()).as("outcome" + got).isEqualTo("connected");
    assertThat(r.remote()).as("the IPv4 address won" + got).isEqualTo(SERVER4);
    assertThat(r.attempts()).as("attempts" + got).hasSize(2);
    AttemptLine v6 = r.attempts().get(0);
    AttemptLine v4 = r.attempts().get(1);
    assertThat(v6.remote()).as("IPv6 was tried first" + got).isEqualTo(SILENT6);
    assertThat(v6.reason()).isEqualTo("first");
    assertThat(v6.outcome()).as("the silent IPv6 attempt was stopped by the winner" + got)
        .isEqualTo("cancelled");
    assertThat(v4.remote()).isEqualTo(SERVER4);
    assertThat(v4.reason()).as("reason" + got).isEqualTo("delay_elapsed");
    assertThat(v4.outcome()).isEqualTo("connected");
    assertThat(v4.startMs()).as("IPv4 starts after the attempt delay" + got)
        .isBetween(ATTEMPT_DELAY_MS - 10, ATTEMPT_DELAY_MS + slack);
    assertThat(r.elapsedMs()).as("elapsed ms" + got)
        .isBetween(ATTEMPT_DELAY_MS - 10, ATTEMPT_DELAY_MS + slack);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"seq/sync", "seq/async"})
  void withoutAttemptDelayAddressesAreTriedOneAfterAnother(String id) {
    ProbeLine r = timed.get(id);
    String got = "\n  got: " + r.raw();
    double slack = slackAnswered(r);
    assertThat(r.outcome()).as("outcome" + got).isEqualTo("connected");
    assertThat(r.remote()).isEqualTo(SERVER4);
    assertThat(r.attempts()).as("attempts" + got).hasSize(3);
    for (int i = 0; i < 2; i++) {
      AttemptLine a = r.attempts().get(i);
      assertThat(a.remote()).isEqualTo("198.18.4." + (i + 1) + ":80");
      assertThat(a.outcome()).as("dead address %d%s", i, got).isEqualTo("timeout");
      assertThat(a.errno()).as("our 300 ms connect timeout, not the kernel's" + got).isEqualTo("-");
      assertThat(a.elapsedMs()).as("attempt %d took its connect timeout%s", i, got)
          .isBetween(295.0, 300 + slack);
    }
    AttemptLine live = r.attempts().get(2);
    assertThat(live.reason()).isEqualTo("previous_failed");
    assertThat(live.startMs()).as("the live address starts after two timeouts" + got)
        .isBetween(595.0, 600 + 2 * slack);
    assertThat(r.attempts().get(1).startMs()).as("the second attempt waits for the first" + got)
        .isGreaterThanOrEqualTo(295.0);
    assertThat(r.elapsedMs()).as("elapsed ms" + got).isBetween(595.0, 600 + 2 * slack);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"deadline-he/sync", "deadline-he/async", "deadline-seq/sync",
      "deadline-seq/async", "deadline-silent/sync", "deadline-silent/async"})
  void theDeadlineEndsTheWholeDialOnTime(String id) {
    ProbeLine r = slow.get(id);
    String got = "\n  got: " + r.raw();
    double slack = slack(r);
    assertThat(r.outcome()).as("outcome" + got).isEqualTo("timeout");
    assertThat(r.errno()).as("our deadline, not the kernel's ETIMEDOUT" + got).isEqualTo("-");
    assertThat(r.elapsedMs()).as("elapsed ms: the 1 s deadline, overrun at most %s ms%s", slack,
        got).isBetween(DEADLINE_MS - 5, DEADLINE_MS + slack);
    assertThat(r.attempts()).as("attempts" + got).isNotEmpty();
    for (AttemptLine a : r.attempts()) {
      assertThat(a.outcome()).as("every attempt timed out" + got).isEqualTo("timeout");
      assertThat(a.errno()).isEqualTo("-");
      assertThat(a.startMs() + a.elapsedMs()).as("no attempt outlives the deadline" + got)
          .isLessThanOrEqualTo(DEADLINE_MS + slack);
    }
    if (id.startsWith("deadline-he")) {
      // attempts start 250 ms apart (at 0, 250, 500, 750 ms after the lookup), families
      // interleaved; the deadline comes before a fifth, and before a second where a starved
      // machine made the lookup take so long that the attempt delay, fired up to `slack` late,
      // ends after the deadline
      boolean roomForASecond = r.attempts().get(0).startMs() + ATTEMPT_DELAY_MS + slack < DEADLINE_MS;
      assertThat(r.attempts()).as("attempts" + got).hasSizeBetween(roomForASecond ? 2 : 1, 5);
      assertThat(r.attempts().get(0).remote()).isEqualTo(SILENT6);
      if (r.attempts().size() > 1) {
        assertThat(r.attempts().get(1).remote()).isEqualTo("198.18.4.1:80");
      }
      for (int i = 1; i < r.attempts().size(); i++) {
        assertThat(r.attempts().get(i).reason()).isEqualTo("delay_elapsed");
        assertThat(r.attempts().get(i).startMs() - r.attempts().get(i - 1).startMs())
            .as("attempt %d starts one attempt delay after the one before%s", i, got)
            .isBetween(ATTEMPT_DELAY_MS - 10, ATTEMPT_DELAY_MS + slack);
      }
    }
    if (id.startsWith("deadline-seq")) {
      // 600 ms for the first address, what is left of the deadline for the second, none for the
      // live third. The first starts after the name's lookup; where a starved machine made that
      // or the first's end late enough (late_ms says so) that the first ended at the deadline,
      // there is no second.
      AttemptLine first = r.attempts().get(0);
      assertThat(first.startMs() + first.elapsedMs()).as("the first ends by the deadline" + got)
          .isLessThanOrEqualTo(DEADLINE_MS + slack);
      if (first.startMs() + first.elapsedMs() >= DEADLINE_MS - 1) {
        assertThat(r.attempts()).as("attempts: the deadline came first" + got).hasSize(1);
        return;
      }
      assertThat(r.attempts()).as("attempts" + got).hasSize(2);
      // The second attempt has what is left: it starts once the first has ended (after the name's
      // resolution and a first attempt that may have ended up to `slack` late) and ends with the
      // deadline. So its own length is 400 ms minus those, which the test does not control: the
      // bound is on when it ends, not on how long it lasted.
      AttemptLine second = r.attempts().get(1);
      assertThat(first.elapsedMs()).isBetween(595.0, 600 + slack);
      assertThat(second.startMs()).as("the second starts when the first ends" + got)
          .isGreaterThanOrEqualTo(first.startMs() + first.elapsedMs() - 1);
      assertThat(second.startMs() + second.elapsedMs()).as("the second ends with the deadline" + got)
          .isBetween(DEADLINE_MS - 5, DEADLINE_MS + slack);
      assertThat(second.elapsedMs()).as("at most what the first left" + got)
          .isLessThanOrEqualTo(DEADLINE_MS - 600 + slack);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"syn4/sync", "syn4/async", "syn6/sync", "syn6/async"})
  void synRetriesGivesUpEarlyForThisSocketOnly(String id) {
    ProbeLine r = slow.get(id);
    String got = "\n  got: " + r.raw();
    assertThat(r.outcome()).as("outcome" + got).isEqualTo("timeout");
    assertThat(r.errno()).as("the kernel gave up after 1 SYN retry" + got).isEqualTo("ETIMEDOUT");
    assertThat(r.elapsedMs()).as("1 + 2 s" + got).isBetween(2500.0, 6000.0);
    // the namespace's own setting stayed at its default
    assertThat(slow.info("before", "tcp_syn_retries")).isEqualTo("6");
    assertThat(slow.info("after", "tcp_syn_retries")).isEqualTo("6");
    assertThat(lab.sysctl(lab.client(), "net.ipv4.tcp_syn_retries")).isEqualTo("6");
  }
}
