package dev.tcpdial.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scan report's 'answered by' column and its section on where failed ports stop. */
class ScanReportWhereTest {
  @Test
  void theTableNamesTheSenderAndTheTracesSayWhereThePortsStop() throws Exception {
    InetAddress target = InetAddress.getByName("198.18.23.2");
    InetAddress r1 = InetAddress.getByName("198.18.20.1");
    InetAddress r3 = InetAddress.getByName("198.18.22.3");
    InetSocketAddress to = new InetSocketAddress(target, 83);
    IcmpReport icmp = new IcmpReport(IcmpReport.Origin.ICMP, false, 3, 13, r3);
    DialResult r = new DialResult(new Target("198.18.23.2", 83), Outcome.HOST_UNREACHABLE,
        Errno.EHOSTUNREACH, to, null, Duration.ofMillis(2), Duration.ZERO, List.of(target),
        Mode.ASYNC, Engine.EPOLL, List.of(new Attempt(0, to, null, Outcome.HOST_UNREACHABLE,
            Errno.EHOSTUNREACH, Duration.ZERO, Duration.ofMillis(2), Attempt.Reason.FIRST, icmp)));
    ScanReport page = new ScanReport(Path.of("x.html"), false, "tcpdial scan 198.18.23.2");
    page.add(r, null, true);
    Trace.Probe p1 = new Trace.Probe(1, 0, Trace.Answer.TIME_EXCEEDED, r1, Duration.ofMillis(1),
        Duration.ZERO, Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, null);
    Trace.Probe p2 = new Trace.Probe(2, 0, Trace.Answer.SILENT, null, Duration.ofSeconds(1),
        Duration.ofMillis(2), Outcome.TIMEOUT, null, null);
    page.where(new Trace(new Target("198.18.23.2", 82), new InetSocketAddress(target, 82), null,
        List.of(new Trace.Hop(1, List.of(p1)), new Trace.Hop(2, List.of(p2))), null,
        new Trace.Verdict(Trace.Verdict.Kind.DROPPED, 1, r1, Duration.ofMillis(1),
            Outcome.TIMEOUT, null, null), Duration.ofSeconds(3), null));
    String html = page.html(Duration.ofSeconds(1));
    assertThat(html).contains("<th data-k=\"8\">answered by</th>");
    assertThat(html).contains(",\"admin-prohibited from 198.18.22.3\"]");
    assertThat(html).contains("<h2>Where failed ports stop</h2>");
    assertThat(html).contains("<td>198.18.23.2:82</td><td>the SYN is dropped after hop 1"
        + " (198.18.20.1, 1.00 ms)</td><td>1 198.18.20.1 \u2192 2 *</td>");
  }
}
