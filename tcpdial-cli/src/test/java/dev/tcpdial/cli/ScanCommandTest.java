package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.SystemLimits;
import dev.tcpdial.cli.targets.Loopback;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scans of a handful of loopback ports this test opened (or just closed) itself. */
class ScanCommandTest {
  static Loopback.Open open;
  static Loopback.FullBacklog full;
  static List<Integer> closed = new ArrayList<>();

  @BeforeAll
  static void targets() throws Exception {
    open = new Loopback.Open();
    full = new Loopback.FullBacklog();
    for (int i = 0; i < 6; i++) {
      closed.add(Loopback.closedPort());
    }
  }

  @AfterAll
  static void close() throws Exception {
    open.close();
    full.close();
  }

  static String ports(List<Integer> ps) {
    return String.join(",", ps.stream().map(String::valueOf).toList());
  }

  @Test
  void portsOnAHostInJson() {
    List<Integer> ps = new ArrayList<>(closed);
    ps.add(open.port());
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(ps), "--format", "json", "--no-progress");
    List<JsonNode> rows = r.results();
    assertThat(rows).hasSize(ps.size());
    Set<Integer> seen = new HashSet<>();
    for (JsonNode row : rows) {
      int port = row.get("port").asInt();
      seen.add(port);
      assertThat(row.get("mode").asText()).isEqualTo("async");
      assertThat(row.get("outcome").asText()).isEqualTo(port == open.port() ? "connected" : "refused");
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(ps);
    JsonNode s = r.summary();
    assertThat(s.get("total").asInt()).isEqualTo(ps.size());
    assertThat(s.get("counts").get("connected").asInt()).isEqualTo(1);
    assertThat(s.get("counts").get("refused").asInt()).isEqualTo(closed.size());
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(r.err()).isEmpty();
  }

  @Test
  void csvHeaderAndRowCount() {
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(closed), "--format", "csv", "--expect", "closed");
    List<String> lines = r.lines();
    assertThat(lines).hasSize(closed.size() + 1);
    assertThat(lines.getFirst()).isEqualTo("target,host,port,address,outcome,errno,errno_number,"
        + "time_ms,mode,engine,attempts,icmp,icmp_type,icmp_code,icmp_from,expected,matched");
    for (String l : lines.subList(1, lines.size())) {
      assertThat(l).contains(",refused,ECONNREFUSED,111,").endsWith(",closed,true");
      assertThat(l.split(",", -1)).hasSize(17);
    }
    assertThat(r.code()).isZero();
  }

  @Test
  void expectationsFromAFileWithCommentsAndDuplicates(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("targets.txt");
    Files.writeString(f, String.join("\n",
        "# what should be where",
        "127.0.0.1:" + open.port() + "=open   # our listener",
        "",
        "127.0.0.1:" + closed.get(0) + "=closed",
        "127.0.0.1:" + closed.get(0) + "=closed",
        "127.0.0.1:" + full.port() + "=filtered",
        "127.0.0.1:" + closed.get(1) + "=open"));
    Cli.Run r = Cli.run("scan", "-f", f.toString(), "--timeout", "300ms", "--format", "json");
    List<JsonNode> rows = r.results();
    assertThat(rows).hasSize(4);
    int mismatches = 0;
    for (JsonNode row : rows) {
      assertThat(row.has("expected")).isTrue();
      if (!row.get("matched").asBoolean()) {
        mismatches++;
        assertThat(row.get("port").asInt()).isEqualTo(closed.get(1));
        assertThat(row.get("expected").asText()).isEqualTo("open");
      }
    }
    assertThat(mismatches).isEqualTo(1);
    assertThat(r.summary().get("mismatched").asInt()).isEqualTo(1);
    assertThat(r.summary().get("matched").asInt()).isEqualTo(3);
    assertThat(r.code()).isEqualTo(ExitCodes.MISMATCH);
  }

  @Test
  void allExpectationsHoldExitsZero() {
    Cli.Run r = Cli.run("scan", "127.0.0.1:" + open.port() + "=open",
        "127.0.0.1:" + closed.get(2) + "=closed", "127.0.0.1:" + full.port() + "=filtered",
        "--timeout", "300ms", "--all");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("expect open: ok").contains("expect closed: ok")
        .contains("expect filtered: ok").doesNotContain("MISMATCH")
        .contains("3 targets: 1 connected, 1 refused, 1 timeout; expectations: 3 held, 0 mismatched");
  }

  @Test
  void stdinWithDash() {
    InputStream saved = System.in;
    try {
      System.setIn(new ByteArrayInputStream(("127.0.0.1:" + closed.get(3) + "\n# c\n127.0.0.1:"
          + closed.get(4) + "=closed\n").getBytes(StandardCharsets.UTF_8)));
      Cli.Run r = Cli.run("scan", "-", "--format", "json");
      assertThat(r.results()).hasSize(2);
      assertThat(r.summary().get("counts").get("refused").asInt()).isEqualTo(2);
    } finally {
      System.setIn(saved);
    }
  }

  @Test
  void cidrBlocksExpandWithPorts() {
    // four loopback addresses, one closed port each: all refused (nothing listens on them)
    Cli.Run r = Cli.run("scan", "127.0.0.0/30", "-p", String.valueOf(closed.get(5)), "--format", "json");
    List<JsonNode> rows = r.results();
    assertThat(rows).extracting(n -> n.get("host").asText())
        .containsExactlyInAnyOrder("127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3");
    assertThat(rows).allSatisfy(n -> assertThat(n.get("outcome").asText()).isIn("refused", "network_unreachable", "error"));
  }

  @Test
  void shardsSplitTheListWithoutOverlap() {
    List<Integer> ps = new ArrayList<>(closed);
    ps.add(open.port());
    Set<String> union = new HashSet<>();
    int total = 0;
    for (int k = 1; k <= 3; k++) {
      Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(ps), "--shard", k + "/3", "--format", "json");
      for (JsonNode row : r.results()) {
        assertThat(union.add(row.get("target").asText())).as("no overlap").isTrue();
        total++;
      }
      assertThat(r.summary().get("shard").asText()).isEqualTo(k + "/3");
    }
    assertThat(total).isEqualTo(ps.size());
    assertThat(union).hasSize(ps.size());
  }

  @Test
  void rateLimitSpacesTheStarts() {
    long start = System.nanoTime();
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(closed), "--rate", "20/s", "-q");
    double secs = (System.nanoTime() - start) / 1e9;
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    // 6 starts at 20/s with a burst of 1: at least 5 gaps of 50 ms
    assertThat(secs).isBetween(0.2, 10.0);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void textSummaryMentionsRateAndWindow() {
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(closed), "--concurrency", "2", "--all");
    assertThat(r.lines()).hasSize(closed.size() + 1);
    assertThat(r.lines().getLast()).startsWith(closed.size() + " targets: " + closed.size() + " refused in ")
        .contains("window 2");
  }

  @Test
  void theDefaultWindowAdaptsAndTheSummarySaysWhatItWas() {
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(closed), "--format", "json");
    JsonNode w = r.summary().get("window");
    assertThat(r.summary().get("concurrency").isNull()).isTrue();
    assertThat(w.get("adaptive").asBoolean()).isTrue();
    assertThat(w.get("min").asInt()).isEqualTo(dev.tcpdial.Window.DEFAULT_INITIAL);
    assertThat(w.get("median").asInt()).isBetween(w.get("min").asInt(), w.get("max").asInt());
    assertThat(w.get("max").asInt()).isLessThanOrEqualTo(w.get("ceiling").asInt());
    assertThat(w.get("ceiling").asInt()).isPositive();
    assertThat(w.get("cuts").isObject()).isTrue();
    Cli.Run text = Cli.run("scan", "127.0.0.1", "-p", ports(closed));
    assertThat(text.lines().getLast()).matches(".* refused in [0-9.]+ s \\([0-9]+/s, window "
        + "([0-9]+\\.\\.[0-9]+ \\(median [0-9]+\\)|[0-9]+ \\(adaptive\\))\\)");
  }

  @Test
  void tooLargeAWindowIsClampedToTheDescriptorBudget() {
    Cli.Run r = Cli.run("scan", "127.0.0.1:" + closed.get(0), "--concurrency", "100000000",
        "--format", "json");
    assertThat(r.err()).contains("exceeds the descriptor budget");
    assertThat(r.summary().get("concurrency").asInt()).isEqualTo(SystemLimits.fdBudget());
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
  }

  @Test
  void defaultConcurrencyStaysWithinTheDescriptorBudget() {
    int c = SystemLimits.defaultConcurrency();
    assertThat(c).isBetween(1, SystemLimits.MAX_DEFAULT_CONCURRENCY);
    assertThat(c).isLessThanOrEqualTo(SystemLimits.fdBudget());
    assertThat((long) SystemLimits.fdBudget()).isLessThan(SystemLimits.fdSoftLimit());
  }

  /** --open (nmap's) writes the connected rows only; the summary counts every target. */
  @Test
  void openWritesOnlyConnectedRowsAndTheSummaryCountsAll() {
    Cli.Run r = Cli.run("scan", "--open", "--format", "json", "--timeout", "300ms",
        "127.0.0.1:" + open.port(), "127.0.0.1:" + closed.get(0), "127.0.0.1:" + full.port());
    assertThat(r.results()).extracting(n -> n.get("outcome").asText()).containsExactly("connected");
    JsonNode s = r.summary();
    assertThat(s.get("total").asInt()).isEqualTo(3);
    assertThat(s.get("counts").get("refused").asInt()).isEqualTo(1);
    assertThat(s.get("counts").get("timeout").asInt()).isEqualTo(1);
    assertThat(s.get("only").get(0).asText()).isEqualTo("connected");
    assertThat(r.code()).isEqualTo(ExitCodes.TIMEOUT);
    Cli.Run f = Cli.run("scan", "--only", "refused,timeout", "--timeout", "300ms",
        "127.0.0.1:" + open.port(), "127.0.0.1:" + closed.get(0), "127.0.0.1:" + full.port());
    assertThat(f.lines().stream().filter(l -> l.startsWith("127.0.0.1:")).toList()).hasSize(2)
        .noneMatch(l -> l.contains("connected"));
    assertThat(f.out()).contains("3 targets: 1 connected, 1 refused, 1 timeout");
  }
}
