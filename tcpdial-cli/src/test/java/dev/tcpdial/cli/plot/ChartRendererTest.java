package dev.tcpdial.cli.plot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.jline.utils.AttributedString;
import org.junit.jupiter.api.Test;

/** The chart as text, without a terminal: layout, scale, failure marks, outages, sizes. */
class ChartRendererTest {
  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  static DialResult result(String target, Outcome o, double ms) {
    return new DialResult(Target.parse(target), o, null, null, null,
        Duration.ofNanos((long) (ms * 1e6)), Duration.ZERO, List.of(), Mode.ASYNC, Engine.JDK,
        List.of());
  }

  static Figures figures(long sent, long connected, Instant downSince, String reason) {
    return new Figures(sent, connected, 0.1, 0.2, 0.3, 0.4, 0.5, downSince, reason);
  }

  /** Three targets, 40 probes a second apart: one up (spread given), one refused, one silent. */
  static PingHistory history(double fast, double slow) {
    PingHistory h = new PingHistory(List.of("127.0.0.1:8080", "127.0.0.1:1", "127.0.0.1:9"),
        Duration.ofSeconds(1));
    h.begin(T0);
    for (int k = 0; k < 40; k++) {
      Instant at = T0.plusSeconds(k);
      // delivered out of start order: completion order, as with several probes in flight
      int seq = k % 2 == 0 ? k + 1 : k - 1;
      Instant s = T0.plusSeconds(Math.min(seq, 39));
      h.add(0, s, result("127.0.0.1:8080", Outcome.CONNECTED, k % 10 == 0 ? slow : fast),
          figures(k + 1, k + 1, null, null));
      h.add(1, at, result("127.0.0.1:1", k >= 20 && k < 30 ? Outcome.REFUSED : Outcome.CONNECTED,
          fast), figures(k + 1, k + 1, k >= 20 && k < 30 ? T0.plusSeconds(20) : null, "refused"));
      h.add(2, at, result("127.0.0.1:9", Outcome.TIMEOUT, 1000),
          figures(k + 1, 0, T0, "timeout"));
    }
    return h;
  }

  static List<String> text(PingHistory h, int w, int rows, boolean unicode) {
    return ChartRenderer.render(h.snapshot(), w, rows, T0.plusSeconds(40).toEpochMilli(),
        new ChartRenderer.Style(false, unicode, ZoneOffset.UTC, "tcpdial ping test"))
        .stream().map(AttributedString::toString).toList();
  }

  @Test
  void at80x24EveryPartIsThere() {
    List<String> s = text(history(0.5, 0.9), 80, 24, true);
    String all = String.join("\n", s);
    assertThat(s).hasSize(24);
    assertThat(s).allMatch(l -> l.length() < 80, "nothing in the last column");
    assertThat(s.getFirst()).startsWith("tcpdial ping test");
    assertThat(all).contains(" ms┤").contains("└").contains("12:00:00").contains("12:00:32")
        .contains("R refused").contains("T timeout").contains("░ outage")
        .contains("● 127.0.0.1:8080").contains("◆ 127.0.0.1:1").contains("▲ 127.0.0.1:9");
    String refusedLane = s.stream().filter(l -> l.startsWith("◆ failed")).findFirst().orElseThrow();
    // columns 20..29 refused, then up again: letters there, nothing before or after
    assertThat(refusedLane.substring(10)).isEqualTo(" ".repeat(20) + "R".repeat(10));
    String timeoutLane = s.stream().filter(l -> l.startsWith("▲ failed")).findFirst().orElseThrow();
    assertThat(timeoutLane.substring(10)).startsWith("T".repeat(40));
    assertThat(s.stream().filter(l -> l.contains(" ms┤") || l.contains("│"))
        .filter(l -> l.indexOf('●') > 9).count()).as("connected probes plotted").isGreaterThan(1);
    assertThat(all).contains("DOWN 40.0s timeout").contains(" 0.100 0.200 0.300 0.400 0.500  up");
  }

  @Test
  void wideSpreadMakesTheScaleLogarithmic() {
    assertThat(String.join("\n", text(history(0.5, 0.9), 100, 30, true)))
        .doesNotContain("log scale");
    List<String> s = text(history(0.5, 200), 100, 30, true);
    assertThat(s.getFirst()).endsWith("ms, log scale");
    // the labels grow by a constant factor down the axis: the fast probes are not squashed flat
    long rowsWithFast = s.stream().filter(l -> l.indexOf('●') > 9).count();
    assertThat(rowsWithFast).isGreaterThanOrEqualTo(2);
  }

  @Test
  void plotShadedOnlyWhereEveryTargetIsDown() {
    PingHistory h = new PingHistory(List.of("a:1"), Duration.ofSeconds(1));
    h.begin(T0);
    for (int k = 0; k < 20; k++) {
      boolean down = k >= 5 && k < 10;
      h.add(0, T0.plusSeconds(k), result("a:1", down ? Outcome.REFUSED : Outcome.CONNECTED, 1),
          figures(k + 1, k + 1, null, null));
    }
    List<String> s = ChartRenderer.render(h.snapshot(), 80, 24, T0.plusSeconds(20).toEpochMilli(),
        new ChartRenderer.Style(false, true, ZoneOffset.UTC, "t")).stream()
        .map(AttributedString::toString).toList();
    String plotRow = s.get(3);
    assertThat(plotRow.substring(10, 20)).isEqualTo("     ░░░░░");
    // three targets, one always down (history()): its lane is shaded, the plot is not
    assertThat(String.join("", text(history(0.5, 0.9), 80, 24, true).subList(1, 10)))
        .doesNotContain("░");
  }

  @Test
  void asciiWithoutUtf8AndAMessageWhenTooSmall() {
    String ascii = String.join("\n", text(history(0.5, 0.9), 80, 24, false));
    assertThat(ascii).doesNotContain("│").doesNotContain("●").contains(" ms+").contains("* 127");
    assertThat(ascii.chars().allMatch(c -> c < 128)).isTrue();
    List<String> small = text(history(0.5, 0.9), 30, 8, true);
    assertThat(small).hasSize(8);
    assertThat(small.getFirst()).contains("too small");
    assertThat(text(history(0.5, 0.9), 160, 48, true)).hasSize(48);
  }

  @Test
  void historyKeepsTheLastResultsOnly() {
    PingHistory h = new PingHistory(List.of("a:1"), Duration.ofMillis(1));
    for (int k = 0; k < PingHistory.CAPACITY + 100; k++) {
      h.add(0, T0.plusMillis(k), result("a:1", Outcome.CONNECTED, 1), Figures.NONE);
    }
    List<PingHistory.Sample> kept = h.snapshot().series().getFirst().samples();
    assertThat(kept).hasSize(PingHistory.CAPACITY);
    assertThat(kept.getFirst().startMillis()).isEqualTo(T0.plusMillis(100).toEpochMilli());
  }
}
