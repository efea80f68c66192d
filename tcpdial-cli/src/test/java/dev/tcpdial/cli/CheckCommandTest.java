package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.output.Row;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckCommandTest {
  static Loopback.Open open;
  static Loopback.FullBacklog full;
  static String openT;
  static String closedT;
  static String fullT;

  @BeforeAll
  static void targets() throws Exception {
    open = new Loopback.Open();
    full = new Loopback.FullBacklog();
    openT = "127.0.0.1:" + open.port();
    closedT = "127.0.0.1:" + Loopback.closedPort();
    fullT = "127.0.0.1:" + full.port();
  }

  @AfterAll
  static void close() throws Exception {
    open.close();
    full.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sync", "async"})
  void connectedExitsZero(String mode) {
    Cli.Run r = Cli.run("check", "--mode", mode, openT);
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains(openT).contains("connected");
    assertThat(r.err()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sync", "async"})
  void refusedExitsThreeWithErrno(String mode) {
    Cli.Run r = Cli.run("check", "--mode", mode, "--format", "json", closedT);
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    JsonNode row = r.results().getFirst();
    assertThat(row.get("outcome").asText()).isEqualTo("refused");
    assertThat(row.get("errno").asText()).isEqualTo("ECONNREFUSED");
    assertThat(row.get("errno_number").asInt()).isEqualTo(111);
    assertThat(row.get("mode").asText()).isEqualTo(mode);
    assertThat(row.get("time_ms").asDouble()).isBetween(0.0, 2000.0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sync", "async"})
  void fullBacklogTimesOutWithinBounds(String mode) {
    Cli.Run r = Cli.run("check", "--mode", mode, "--timeout", "300ms", "--format", "json", fullT);
    assertThat(r.code()).isEqualTo(ExitCodes.TIMEOUT);
    JsonNode row = r.results().getFirst();
    assertThat(row.get("outcome").asText()).isEqualTo("timeout");
    assertThat(row.get("errno").isNull()).as("our deadline, not the kernel's").isTrue();
    assertThat(row.get("time_ms").asDouble()).isBetween(290.0, 3000.0);
    assertThat(row.get("attempts")).hasSize(1);
    assertThat(row.get("attempts").get(0).get("reason").asText()).isEqualTo("first");
  }

  @Test
  void severalTargetsExitWithTheMostSevere() {
    Cli.Run r = Cli.run("check", "--timeout", "300ms", openT, closedT, fullT);
    assertThat(r.code()).isEqualTo(ExitCodes.TIMEOUT);
    assertThat(r.lines()).hasSize(4);
    assertThat(r.lines().get(0)).contains("connected");
    assertThat(r.lines().get(1)).contains("refused").contains("ECONNREFUSED");
    assertThat(r.lines().get(2)).contains("timeout");
    assertThat(r.lines().get(3)).isEqualTo("3 targets: 1 connected, 1 refused, 1 timeout");
    assertThat(Cli.run("check", openT, closedT).code()).isEqualTo(ExitCodes.REFUSED);
  }

  @Test
  void jsonHasEveryField() {
    Cli.Run r = Cli.run("check", "--format", "json", openT, closedT);
    List<JsonNode> rows = r.results();
    assertThat(rows).hasSize(2);
    for (JsonNode row : rows) {
      assertThat(row.fieldNames()).toIterable().contains("target", "host", "port", "address",
          "outcome", "errno", "errno_number", "time_ms", "mode", "engine", "attempts");
      JsonNode a = row.get("attempts").get(0);
      assertThat(a.fieldNames()).toIterable().contains("address", "outcome", "errno", "start_ms",
          "time_ms", "reason");
      assertThat(row.get("address").asText()).isEqualTo("127.0.0.1");
      assertThat(row.get("host").asText()).isEqualTo("127.0.0.1");
    }
    assertThat(rows.get(0).get("outcome").asText()).isEqualTo("connected");
    assertThat(rows.get(0).get("errno").isNull()).isTrue();
    assertThat(rows.get(0).get("errno_number").isNull()).isTrue();
    JsonNode s = r.summary();
    assertThat(s.get("total").asInt()).isEqualTo(2);
    assertThat(s.get("counts").get("connected").asInt()).isEqualTo(1);
    assertThat(s.get("counts").get("refused").asInt()).isEqualTo(1);
    assertThat(s.get("counts").get("timeout").asInt()).isZero();
    assertThat(s.get("exit_code").asInt()).isEqualTo(3);
  }

  @Test
  void csvHasHeaderAndOneRowPerTarget() {
    Cli.Run r = Cli.run("check", "--format", "csv", openT, closedT);
    List<String> lines = r.lines();
    assertThat(lines).hasSize(3);
    String[] header = lines.get(0).split(",");
    assertThat(header).startsWith("target", "host", "port", "address", "outcome", "errno",
        "errno_number", "time_ms", "mode", "engine", "attempts");
    assertThat(lines.get(1).split(",", -1)).hasSize(header.length);
    assertThat(lines.get(1)).startsWith(openT + ",127.0.0.1," + open.port() + ",127.0.0.1,connected,,,");
    assertThat(lines.get(2)).contains(",refused,ECONNREFUSED,111,");
    assertThat(r.err()).contains("2 targets: 1 connected, 1 refused");
  }

  @Test
  void verboseAddsExplanationAndAttempts() {
    Cli.Run r = Cli.run("check", "-v", closedT);
    assertThat(r.out()).contains("nothing listens on that port").contains("attempt 0")
        .contains("(first)");
  }

  @Test
  void quietPrintsNothing() {
    Cli.Run r = Cli.run("check", "-q", closedT);
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEmpty();
  }

  @Test
  void ipv6LoopbackAndFamilies() {
    Cli.Run r = Cli.run("check", "--format", "json", "-6", "[::1]:" + full.port(), "--timeout", "200ms");
    // nothing listens on [::1] at this port (the listener is IPv4 only)
    JsonNode row = r.results().getFirst();
    assertThat(row.get("target").asText()).isEqualTo("[::1]:" + full.port());
    assertThat(row.get("address").asText()).isEqualTo("::1");
    assertThat(row.get("outcome").asText()).isIn("refused", "network_unreachable", "no_local_address");
  }

  @Test
  void sourceAddressIsUsed() {
    Cli.Run r = Cli.run("check", "--format", "json", "--source", "127.0.0.1", openT);
    assertThat(r.code()).isZero();
    Cli.Run bad = Cli.run("check", "--source", "example.org", openT);
    assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(bad.err()).contains("--source");
  }

  @Test
  void retriesShowEveryAttempt() {
    Cli.Run r = Cli.run("check", "--format", "json", "--timeout", "150ms", "--retries", "1", fullT);
    JsonNode row = r.results().getFirst();
    assertThat(row.get("outcome").asText()).isEqualTo("timeout");
    assertThat(row.get("attempts").size()).isEqualTo(2);
    assertThat(row.get("attempts").get(1).get("reason").asText()).isEqualTo("retry");
  }

  @Test
  void synRetriesLetTheKernelGiveUp() {
    // one SYN retransmission: the kernel gives up with ETIMEDOUT after about 1 + 2 s
    Cli.Run r = Cli.run("check", "--format", "json", "--mode", "sync", "--timeout", "0",
        "--syn-retries", "1", fullT);
    if (dev.tcpdial.Dialer.socketOptionsUnavailable().isPresent()) {
      // TCP_SYNCNT cannot be set in this JVM: said in one line, not ignored
      assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(r.err().strip()).contains("cannot be set").doesNotContain("\n");
      return;
    }
    JsonNode row = r.results().getFirst();
    assertThat(row.get("outcome").asText()).isEqualTo("timeout");
    assertThat(row.get("errno").asText()).isEqualTo("ETIMEDOUT");
    assertThat(row.get("time_ms").asDouble()).isBetween(2500.0, 10_000.0);
    assertThat(r.code()).isEqualTo(ExitCodes.TIMEOUT);
  }

  @Test
  void nativeEngineIsUsedOrClearlyUnavailable() {
    Cli.Run r = Cli.run("check", "--engine", "native", "--format", "json", closedT);
    if (r.code() == ExitCodes.ERROR) {
      assertThat(r.err().strip()).contains("native engine is not available").doesNotContain("\n");
    } else {
      assertThat(r.results().getFirst().get("engine").asText()).isIn("uring", "epoll");
      assertThat(r.results().getFirst().get("errno").asText()).isEqualTo("ECONNREFUSED");
    }
  }

  /** The address column is as wide as this run's addresses: IPv6 rows stay aligned with IPv4. */
  @Test
  void theAddressColumnFitsTheRun() throws Exception {
    int closed = Loopback.closedPort();
    Cli.Run r = Cli.run("check", "127.0.0.1:" + closed, "[::1]:" + closed);
    List<String> rows = r.lines().subList(0, 2);
    assertThat(rows.get(0).indexOf("refused")).isEqualTo(rows.get(1).indexOf("refused"));
    Cli.Run four = Cli.run("check", "127.0.0.1:" + closed);
    assertThat(four.out()).contains("127.0.0.1  refused");
  }

  /** --only and --open write only some rows; the summary and exit code count every one. */
  @Test
  void onlyFiltersRowsNotTheSummary() throws Exception {
    try (Loopback.Open open = new Loopback.Open()) {
      int closed = Loopback.closedPort();
      Cli.Run r = Cli.run("check", "--open", "--format", "json", "127.0.0.1:" + closed,
          "127.0.0.1:" + open.port());
      assertThat(r.results()).hasSize(1);
      assertThat(r.results().getFirst().get("outcome").asText()).isEqualTo("connected");
      assertThat(r.summary().get("total").asInt()).isEqualTo(2);
      assertThat(r.summary().get("counts").get("refused").asInt()).isEqualTo(1);
      assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
      Cli.Run closedOnly = Cli.run("check", "--only", "closed", "--format", "csv",
          "127.0.0.1:" + closed, "127.0.0.1:" + open.port());
      assertThat(closedOnly.lines()).hasSize(2).last().asString().contains("refused");
      Cli.Run bad = Cli.run("check", "--only", "opened", "127.0.0.1:" + closed);
      assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
      assertThat(bad.err()).contains("--only: 'opened' is not an outcome");
    }
  }

  /** A run with long IPv6 addresses: every row's outcome starts in the same column. */
  @Test
  void longIpv6AddressesStayAligned() throws Exception {
    java.io.StringWriter w = new java.io.StringWriter();
    java.io.PrintWriter out = new java.io.PrintWriter(w);
    List<dev.tcpdial.Target> targets = List.of(dev.tcpdial.Target.parse("198.18.0.1:80"),
        dev.tcpdial.Target.parse("[fd00:1234:5678:9abc:def0:1234:5678:9abc]:80"));
    Report report = new Report(out, out, new OutputOptions(), false, false, false)
        .targetWidth(45).addressWidth(Report.addressWidth(targets));
    for (dev.tcpdial.Target t : targets) {
      report.row(Row.of(new dev.tcpdial.DialResult(t, dev.tcpdial.Outcome.TIMEOUT, null,
          new java.net.InetSocketAddress(java.net.InetAddress.getByName(t.host()), 80), null,
          java.time.Duration.ofMillis(1), java.time.Duration.ZERO, List.of(), dev.tcpdial.Mode.ASYNC,
          dev.tcpdial.Engine.JDK, List.of())));
    }
    List<String> rows = w.toString().lines().toList();
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).indexOf("timeout")).isEqualTo(rows.get(1).indexOf("timeout"));
  }
}
