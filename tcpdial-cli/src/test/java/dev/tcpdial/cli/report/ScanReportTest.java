package dev.tcpdial.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The scan report's aggregation and bounds, without a browser. */
class ScanReportTest {
  static DialResult result(String host, int port, Outcome o, double ms) throws Exception {
    InetAddress a = InetAddress.ofLiteral(host);
    return new DialResult(new Target(host, port), o,
        o == Outcome.REFUSED ? Errno.of(111) : null, new InetSocketAddress(a, port), null,
        Duration.ofNanos((long) (ms * 1e6)), Duration.ZERO, List.of(a), Mode.ASYNC, Engine.NATIVE,
        List.of());
  }

  static int count(String s, String regex) {
    Matcher m = Pattern.compile(regex).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void everyPortOfOneHostFoldsIntoRangesAndTheTableIsBounded() throws Exception {
    ScanReport all = new ScanReport(Path.of("x.html"), true, "tcpdial scan 127.0.0.1 -p 1-65535");
    ScanReport some = new ScanReport(Path.of("y.html"), false, "tcpdial scan");
    for (int p = 1; p <= 65535; p++) {
      Outcome o = p == 22 || p == 8080 ? Outcome.CONNECTED : Outcome.REFUSED;
      DialResult r = result("127.0.0.1", p, o, 0.05 + (p % 7) * 0.01);
      all.add(r, null, true);
      some.add(r, p == 23 ? PortState.OPEN : null, p != 23);
    }
    String page = all.html(Duration.ofSeconds(1));
    assertThat(page.length()).as("--report-all of 65,535 ports").isLessThan(2_000_000);
    assertThat(count(page, "<rect class=\"cell ")).isEqualTo(ScanReport.MAX_COLUMNS);
    assertThat(page).contains("(ports in ranges of 512)").contains("0-511").contains("65024-65535")
        .contains("45,535 more not kept").contains("<title>127.0.0.1 ports 0-511: 1 connected,"
            + " 510 refused</title>");
    assertThat(count(page, "\\],?\\n?\\[")).isEqualTo(ScanReport.TABLE_LIMIT - 1);
    String few = some.html(Duration.ofSeconds(1));
    assertThat(few.length()).isLessThan(60_000);
    assertThat(few).contains("<span id=\"mismatched\">1</span> failed");
    assertThat(count(few, "\\[\"127.0.0.1\",")).as("22, 23 (failed expectation), 8080").isEqualTo(3);
    assertThat(few).contains("[\"127.0.0.1\",23,\"127.0.0.1\",\"refused\",\"ECONNREFUSED\"");
  }

  @Test
  void manyHostsFoldIntoBlocks() throws Exception {
    ScanReport r = new ScanReport(Path.of("x.html"), false, "tcpdial scan");
    for (int h = 0; h < 200 * 256; h += 7) { // 198.18.0.0 - 198.18.199.255, sparse
      r.add(result("198.18." + (h >> 8) + "." + (h & 255), 80, Outcome.TIMEOUT, 500), null, true);
    }
    r.add(result("fd00::1", 80, Outcome.CONNECTED, 1), null, true);
    String page = r.html(Duration.ofSeconds(1));
    assertThat(page).contains("hosts grouped by address block").contains(">198.18.0.0/16</text>")
        .contains(">fd00::/112</text>");
    assertThat(count(page, "<rect class=\"cell ")).isLessThanOrEqualTo(ScanReport.MAX_ROWS);
  }

  @Test
  void textFromTheRunIsEscaped() throws Exception {
    ScanReport r = new ScanReport(Path.of("x.html"), false, "tcpdial scan '</script><b>x'");
    r.add(new DialResult(new Target("a.test", 80), Outcome.RESOLUTION_FAILED, null, null, null,
        Duration.ofMillis(3), Duration.ofMillis(3), List.of(), Mode.ASYNC, Engine.JDK, List.of()),
        null, true);
    String page = r.html(Duration.ofSeconds(1));
    assertThat(page).doesNotContain("<b>x").contains("&lt;/script&gt;&lt;b&gt;x")
        .contains("[\"a.test\",80,null,\"resolution_failed\"").contains(">a.test</text>");
  }
}
