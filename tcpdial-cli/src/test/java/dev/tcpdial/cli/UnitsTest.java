package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.cli.output.PingStats;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Addresses;
import dev.tcpdial.cli.targets.Converters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class UnitsTest {
  @Test
  void durations() {
    assertThat(Converters.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Converters.parseDuration("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Converters.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Converters.parseDuration("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Converters.parseDuration("500us")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(Converters.parseDuration("3")).isEqualTo(Duration.ofSeconds(3));
    assertThat(Converters.parseDuration("0")).isEqualTo(Duration.ZERO);
    assertThat(Converters.parseDuration("1.5")).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> Converters.parseDuration("-1s")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> Converters.parseDuration("1 s")).isInstanceOf(TypeConversionException.class);
    assertThat(Report.human(Duration.ofSeconds(1))).isEqualTo("1s");
    assertThat(Report.human(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(Report.human(Duration.ofMillis(250))).isEqualTo("250ms");
  }

  @Test
  void exitCodesAndSeverity() {
    assertThat(ExitCodes.of(Outcome.CONNECTED)).isZero();
    assertThat(ExitCodes.of(Outcome.REFUSED)).isEqualTo(3);
    assertThat(ExitCodes.of(Outcome.TIMEOUT)).isEqualTo(4);
    assertThat(ExitCodes.of(Outcome.HOST_UNREACHABLE)).isEqualTo(5);
    assertThat(ExitCodes.of(Outcome.NETWORK_UNREACHABLE)).isEqualTo(5);
    assertThat(ExitCodes.of(Outcome.PROHIBITED)).isEqualTo(6);
    assertThat(ExitCodes.of(Outcome.RESOLUTION_FAILED)).isEqualTo(7);
    assertThat(ExitCodes.of(Outcome.NO_LOCAL_ADDRESS)).isEqualTo(8);
    assertThat(ExitCodes.of(Outcome.LOCAL_RESOURCES)).isEqualTo(8);
    assertThat(ExitCodes.of(Outcome.ERROR)).isEqualTo(1);
    assertThat(ExitCodes.worst(3, 4)).isEqualTo(4);
    assertThat(ExitCodes.worst(9, 7)).isEqualTo(9);
    assertThat(ExitCodes.worst(9, 8)).isEqualTo(8);
    assertThat(ExitCodes.worst(1, 8)).isEqualTo(1);
    assertThat(ExitCodes.worst(0, 3)).isEqualTo(3);
    assertThat(ExitCodes.of(Outcome.TIMEOUT, PortState.FILTERED)).isZero();
    assertThat(ExitCodes.of(Outcome.PROHIBITED, PortState.FILTERED)).isZero();
    assertThat(ExitCodes.of(Outcome.CONNECTED, PortState.CLOSED)).isEqualTo(9);
    assertThat(ExitCodes.of(Outcome.LOCAL_RESOURCES, PortState.CLOSED)).isEqualTo(8);
  }

  @Test
  void exitCodesDocumentMatchesTheCode() throws Exception {
    String doc = java.nio.file.Files.readString(java.nio.file.Path.of("EXIT_CODES.md"));
    for (int code : ExitCodes.SEVERITY) {
      assertThat(doc).contains("| " + code + " ");
    }
  }

  @Test
  void jsonQuotingRoundTrips() throws Exception {
    String nasty = "a\"b\\c\nd\te\u0001f\u2028g é";
    assertThat(Cli.JSON.readTree(Report.quote(nasty)).asText()).isEqualTo(nasty);
    assertThat(Report.quote(null)).isEqualTo("null");
    assertThat(Report.ms(Duration.ofNanos(1_234_567))).isEqualTo("1.235");
    assertThat(Report.ms(Duration.ofNanos(5_000))).isEqualTo("0.005");
    assertThat(Report.ms(Duration.ofSeconds(2))).isEqualTo("2000.000");
  }

  @Test
  void ipv6Formatting() throws Exception {
    assertThat(Addresses.format(InetAddress.getByName("fd00:0:0:2:0:0:0:2"))).isEqualTo("fd00:0:0:2::2");
    assertThat(Addresses.format(InetAddress.getByName("::1"))).isEqualTo("::1");
    assertThat(Addresses.format(InetAddress.getByName("::"))).isEqualTo("::");
    assertThat(Addresses.format(InetAddress.getByName("fd00:1:0:0:1:0:0:0"))).isEqualTo("fd00:1:0:0:1::");
    assertThat(Addresses.format(InetAddress.getByName("1:0:1:0:1:0:1:0"))).isEqualTo("1:0:1:0:1:0:1:0");
  }

  private static DialResult result(Outcome o, Errno e, long micros) {
    InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), 80);
    Duration d = Duration.ofNanos(micros * 1000);
    return new DialResult(new Target("127.0.0.1", 80), o, e, to, null, d, Duration.ZERO,
        List.of(to.getAddress()), Mode.ASYNC, Engine.JDK,
        List.of(new Attempt(0, to, null, o, e, Duration.ZERO, d, Attempt.Reason.FIRST)));
  }

  @Test
  @SuppressWarnings("unchecked")
  void pingStatsIgnoreFailuresAndLogOutages() {
    PingStats s = new PingStats();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    s.add(result(Outcome.CONNECTED, null, 1000), t);
    s.add(result(Outcome.REFUSED, Errno.ECONNREFUSED, 100), t.plusSeconds(1));
    s.add(result(Outcome.TIMEOUT, null, 500_000), t.plusSeconds(2));
    s.add(result(Outcome.CONNECTED, null, 3000), t.plusSeconds(3));
    s.add(result(Outcome.CONNECTED, null, 2000), t.plusSeconds(4));
    Map<String, Object> j = s.json(t.plusSeconds(5));
    assertThat(j.get("sent")).isEqualTo(5L);
    assertThat(j.get("connected")).isEqualTo(3L);
    assertThat((double) j.get("loss_percent")).isEqualTo(40.0);
    assertThat((double) j.get("min_ms")).isEqualTo(1.0);
    assertThat((double) j.get("max_ms")).isEqualTo(3.0);
    assertThat((double) j.get("avg_ms")).isEqualTo(2.0);
    assertThat((double) j.get("mdev_ms")).isCloseTo(Math.sqrt(2.0 / 3), org.assertj.core.data.Offset.offset(1e-9));
    assertThat((double) j.get("p50_ms")).isBetween(1.99, 2.01);
    assertThat((double) j.get("p99_ms")).isBetween(2.99, 3.01);
    assertThat((double) j.get("jitter_ms")).isEqualTo(1.5); // |3-1| and |2-3|
    List<Map<String, Object>> outages = (List<Map<String, Object>>) j.get("outages");
    assertThat(outages).hasSize(1);
    assertThat(outages.get(0).get("reason")).isEqualTo("refused ECONNREFUSED");
    assertThat(outages.get(0).get("failed_probes")).isEqualTo(2L);
    assertThat((double) outages.get(0).get("duration_ms")).isBetween(1999.0, 2001.0);
    List<String> text = s.text("127.0.0.1:80", Duration.ofSeconds(5), t.plusSeconds(5));
    assertThat(String.join("\n", text)).contains("5 sent, 3 connected, 2 failed (refused 1, timeout 1)")
        .contains("40.0% loss").contains("rtt min/avg/max/mdev = 1.000/2.000/3.000/").contains("outages: 1");
  }

  @Test
  void pingStatsAtTotalLoss() {
    PingStats s = new PingStats();
    Instant t = Instant.now();
    s.add(result(Outcome.REFUSED, Errno.ECONNREFUSED, 100), t);
    s.add(result(Outcome.REFUSED, Errno.ECONNREFUSED, 100), t.plusSeconds(1));
    Map<String, Object> j = s.json(t.plusSeconds(2));
    assertThat((double) j.get("loss_percent")).isEqualTo(100.0);
    assertThat((double) j.get("avg_ms")).isNaN();
    assertThat(Report.jsonLine(Map.of("x", j))).contains("\"avg_ms\":null").contains("\"up\":null");
  }
}
