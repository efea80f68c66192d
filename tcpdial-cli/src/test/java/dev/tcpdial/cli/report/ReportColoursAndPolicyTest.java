package dev.tcpdial.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.cli.plot.Figures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the reports' pictures mean: the ping report's latency line stops where the target was
 * down, a target's series colour never is an outcome's colour (green would say "connected" of a
 * target that never was), and the scan report's script runs by its hash, not by
 * {@code 'unsafe-inline'}.
 */
class ReportColoursAndPolicyTest {
  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  static DialResult result(Outcome o, double ms) {
    return new DialResult(Target.parse("127.0.0.1:9"), o, null, null, null,
        Duration.ofNanos((long) (ms * 1e6)), Duration.ZERO, List.of(), Mode.ASYNC, Engine.JDK,
        List.of());
  }

  static final Figures NONE = new Figures(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
      Double.NaN, null, null);

  /** The {@code d} of each series' path, in target order. */
  static List<String> paths(String html) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("<path d=\"([^\"]*)\"").matcher(html);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void theLatencyLineBreaksAcrossAnOutage() {
    PingReport r = PingReport.create(Path.of("p.html"), List.of("127.0.0.1:9"), Duration.ofSeconds(1),
        "tcpdial ping");
    r.begin(T0);
    for (int k = 0; k < 12; k++) {
      Outcome o = k >= 4 && k < 8 ? Outcome.REFUSED : Outcome.CONNECTED;
      r.result(0, k + 1, T0.plusSeconds(k), result(o, 1 + k * 0.1), NONE);
    }
    r.outage(0, T0.plusSeconds(4), T0.plusSeconds(8), "refused", 4);
    String html = r.html(T0.plusSeconds(12), Duration.ofSeconds(12));
    List<String> paths = paths(html);
    assertThat(paths).hasSize(1);
    assertThat(paths.getFirst().chars().filter(c -> c == 'M').count())
        .as("two pieces, before and after the outage: %s", paths.getFirst()).isEqualTo(2);
  }

  @Test
  void theLineBreaksAcrossAnOutageInsideWideBuckets() {
    // a run long enough that buckets fold: the outage lies between two buckets' points
    PingReport r = PingReport.create(Path.of("p.html"), List.of("127.0.0.1:9"),
        Duration.ofMillis(100), "tcpdial ping");
    r.begin(T0);
    int n = PingReport.BUCKETS * 3;
    for (int k = 0; k < n; k++) {
      boolean down = k >= n / 2 && k < n / 2 + 40;
      r.result(0, k + 1, T0.plusMillis(100L * k),
          result(down ? Outcome.TIMEOUT : Outcome.CONNECTED, 2), NONE);
    }
    r.outage(0, T0.plusMillis(100L * (n / 2)), T0.plusMillis(100L * (n / 2 + 40)), "timeout", 40);
    String d = paths(r.html(T0.plusMillis(100L * n), Duration.ofMillis(100L * n))).getFirst();
    assertThat(d.chars().filter(c -> c == 'M').count()).as(d).isGreaterThanOrEqualTo(2);
  }

  @Test
  void seriesColoursNeverSayAnOutcome() {
    List<String> outcomeColours = new ArrayList<>();
    for (Outcome o : Outcome.values()) {
      outcomeColours.add(Page.colour(o).toLowerCase(java.util.Locale.ROOT));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      names.add("127.0.0." + (i + 1) + ":9");
    }
    PingReport r = PingReport.create(Path.of("p.html"), names, Duration.ofSeconds(1), "tcpdial ping");
    r.begin(T0);
    for (int i = 0; i < names.size(); i++) {
      r.result(i, 1, T0, result(Outcome.REFUSED, 0.1), NONE);
    }
    String html = r.html(T0.plusSeconds(2), Duration.ofSeconds(2));
    Matcher m = Pattern.compile("class=\"sw\" style=\"background:(#[0-9a-fA-F]{6})\"").matcher(html);
    List<String> series = new ArrayList<>();
    while (m.find()) {
      series.add(m.group(1).toLowerCase(java.util.Locale.ROOT));
    }
    assertThat(series).hasSize(names.size());
    for (String c : series) {
      for (String oc : outcomeColours) {
        assertThat(distance(c, oc)).as("series %s against outcome colour %s", c, oc).isGreaterThan(60);
      }
    }
    assertThat(html).contains("<rect class=\"fail o-refused\"");
    assertThat(html).contains(".o-refused{fill:" + Page.colour(Outcome.REFUSED));
  }

  /** Euclidean distance of two #rrggbb colours in RGB. */
  static double distance(String a, String b) {
    double d = 0;
    for (int i = 1; i < 7; i += 2) {
      int x = Integer.parseInt(a.substring(i, i + 2), 16);
      int y = Integer.parseInt(b.substring(i, i + 2), 16);
      d += (x - y) * (double) (x - y);
    }
    return Math.sqrt(d);
  }

  static String policy(String html) {
    Matcher m = Pattern.compile("http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\"").matcher(html);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void theScanReportsScriptRunsByItsHash() throws Exception {
    ScanReport r = new ScanReport(Path.of("x.html"), false, "tcpdial scan");
    r.add(result(Outcome.CONNECTED, 1), null, true);
    String html = r.html(Duration.ofSeconds(1));
    String csp = policy(html);
    assertThat(csp).contains("default-src 'none'");
    String scriptSrc = java.util.Arrays.stream(csp.split(";")).map(String::strip)
        .filter(d -> d.startsWith("script-src")).findFirst().orElseThrow();
    assertThat(scriptSrc).doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
    // every executed script is named by its hash; the JSON data block is not a script
    Matcher m = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL).matcher(html);
    int scripts = 0;
    while (m.find()) {
      scripts++;
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(m.group(1).getBytes(StandardCharsets.UTF_8));
      assertThat(scriptSrc).contains("'sha256-" + Base64.getEncoder().encodeToString(sha) + "'");
    }
    assertThat(scripts).isEqualTo(1);
  }

  @Test
  void thePingReportAllowsNoScript() {
    PingReport r = PingReport.create(Path.of("p.html"), List.of("127.0.0.1:9"), Duration.ofSeconds(1),
        "tcpdial ping");
    r.begin(T0);
    r.result(0, 1, T0, result(Outcome.CONNECTED, 1), NONE);
    String html = r.html(T0.plusSeconds(1), Duration.ofSeconds(1));
    assertThat(html).doesNotContain("<script");
    assertThat(policy(html)).doesNotContain("script-src").contains("default-src 'none'");
  }
}
