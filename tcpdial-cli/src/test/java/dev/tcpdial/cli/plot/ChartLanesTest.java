package dev.tcpdial.cli.plot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Outcome;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.jline.utils.AttributedString;
import org.junit.jupiter.api.Test;

/**
 * Every target's failures stay visible however many targets there are (a lane each, never one
 * shared lane where the last target's letter covers the others), and the chart draws in ASCII
 * wherever the terminal's charset cannot write its symbols.
 */
class ChartLanesTest {
  static final Instant T0 = ChartRendererTest.T0;
  static final Outcome[] KINDS = {Outcome.REFUSED, Outcome.TIMEOUT, Outcome.HOST_UNREACHABLE,
      Outcome.NETWORK_UNREACHABLE, Outcome.PROHIBITED, Outcome.RESOLUTION_FAILED,
      Outcome.LOCAL_RESOURCES, Outcome.ERROR};

  /** {@code n} targets probed 30 times; target i fails (with its own outcome) in probes 10..19 only. */
  static PingHistory history(int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add("198.18.0." + (i + 1) + ":80");
    }
    PingHistory h = new PingHistory(names, Duration.ofSeconds(1));
    h.begin(T0);
    for (int k = 0; k < 30; k++) {
      for (int i = 0; i < n; i++) {
        boolean down = k >= 10 && k < 20;
        h.add(i, T0.plusSeconds(k), ChartRendererTest.result(names.get(i),
            down ? KINDS[i % KINDS.length] : Outcome.CONNECTED, 1 + i),
            ChartRendererTest.figures(k + 1, k + 1, null, null));
      }
    }
    return h;
  }

  static List<String> render(PingHistory h, int w, int rows, boolean unicode) {
    return ChartRenderer.render(h.snapshot(), w, rows, T0.plusSeconds(30).toEpochMilli(),
        new ChartRenderer.Style(false, unicode, ZoneOffset.UTC, "tcpdial ping test"))
        .stream().map(AttributedString::toString).toList();
  }

  @Test
  void everyTargetsFailuresAreVisible() {
    for (int n : new int[] {4, 5, 6, 8}) {
      for (boolean unicode : new boolean[] {true, false}) {
        List<String> s = render(history(n), 100, 40, unicode);
        String screen = String.join("\n", s);
        assertThat(s.getFirst()).as(screen).doesNotContain("too small");
        for (int i = 0; i < n; i++) {
          char letter = ChartRenderer.letter(KINDS[i % KINDS.length]);
          // the lane of target i (its margin: label and axis): its letter in the ten columns of
          // its failures, nothing else
          String lane = ChartRenderer.lane(i, n, unicode);
          List<String> rows = s.stream().filter(l -> l.startsWith(lane)).toList();
          assertThat(rows).as("%d targets: one lane for target %d (%s)\n%s", n, i, lane, screen)
              .hasSize(1);
          String marks = rows.getFirst().substring(ChartRenderer.MARGIN);
          assertThat(marks.strip()).as("%d targets, lane of target %d\n%s", n, i, screen)
              .isEqualTo(String.valueOf(letter).repeat(10));
        }
      }
    }
  }

  @Test
  void manyTargetsStillFitAn80x24Terminal() {
    List<String> s = render(history(6), 80, 24, true);
    assertThat(s.getFirst()).as(String.join("\n", s)).doesNotContain("too small");
    for (int i = 0; i < 6; i++) {
      String lane = ChartRenderer.lane(i, 6, true);
      assertThat(s.stream().filter(l -> l.startsWith(lane))).as(lane).hasSize(1);
    }
  }

  @Test
  void theCharsetDecidesBetweenSymbolsAndAscii() {
    assertThat(PingPlot.canDraw(StandardCharsets.UTF_8)).isTrue();
    assertThat(PingPlot.canDraw(StandardCharsets.US_ASCII)).isFalse();
    assertThat(PingPlot.canDraw(StandardCharsets.ISO_8859_1)).isFalse();
    assertThat(PingPlot.canDraw(Charset.forName("GB18030"))).isTrue();
  }
}
