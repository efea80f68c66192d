package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.output.PingStats;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PingCommandTest {
  @Test
  void countedPingsToAListener() throws Exception {
    try (Loopback.Open open = new Loopback.Open()) {
      Cli.Run r = Cli.run("ping", "-c", "3", "-i", "50ms", "127.0.0.1:" + open.port());
      assertThat(r.code()).isZero();
      List<String> lines = r.lines();
      assertThat(lines.get(0)).startsWith("seq=1 ").contains("connected");
      assertThat(lines.get(2)).startsWith("seq=3 ");
      assertThat(r.out()).contains("3 sent, 3 connected, 0 failed, 0.0% loss")
          .contains("rtt min/avg/max/mdev = ").contains("rtt p50/p90/p99 = ").contains("jitter")
          .contains("outages: none");
    }
  }

  @Test
  void jsonSummaryCarriesTheStatistics() throws Exception {
    try (Loopback.Open open = new Loopback.Open()) {
      long start = System.nanoTime();
      Cli.Run r = Cli.run("ping", "-c", "4", "-i", "100ms", "--format", "json", "127.0.0.1:" + open.port());
      double secs = (System.nanoTime() - start) / 1e9;
      assertThat(secs).as("4 probes 100 ms apart").isBetween(0.3, 10.0);
      List<JsonNode> rows = r.results();
      assertThat(rows).hasSize(4);
      assertThat(rows).extracting(n -> n.get("seq").asInt()).containsExactly(1, 2, 3, 4);
      JsonNode ping = r.summary().get("ping");
      assertThat(ping.get("sent").asInt()).isEqualTo(4);
      assertThat(ping.get("connected").asInt()).isEqualTo(4);
      assertThat(ping.get("loss_percent").asDouble()).isZero();
      assertThat(ping.get("p50_ms").asDouble()).isPositive();
      assertThat(ping.get("p99_ms").asDouble()).isGreaterThanOrEqualTo(ping.get("p50_ms").asDouble());
      assertThat(ping.get("min_ms").asDouble()).isLessThanOrEqualTo(ping.get("max_ms").asDouble());
      assertThat(ping.get("outages")).isEmpty();
    }
  }

  @Test
  void totalLossStillPrintsStatsAndExitsWithTheOutcome() throws Exception {
    int port = Loopback.closedPort();
    Cli.Run r = Cli.run("ping", "-c", "3", "-i", "20ms", "--format", "json", "127.0.0.1:" + port);
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(r.results()).allSatisfy(n -> assertThat(n.get("errno").asText()).isEqualTo("ECONNREFUSED"));
    JsonNode ping = r.summary().get("ping");
    assertThat(ping.get("loss_percent").asDouble()).isEqualTo(100.0);
    assertThat(ping.get("failed_by_outcome").get("refused").asInt()).isEqualTo(3);
    assertThat(ping.get("avg_ms").isNull()).isTrue();
    assertThat(ping.get("outages")).hasSize(1);
    assertThat(ping.get("outages").get(0).get("reason").asText()).isEqualTo("refused ECONNREFUSED");
    assertThat(ping.get("outages").get(0).get("up").isNull()).isTrue();
    Cli.Run text = Cli.run("ping", "-c", "2", "-i", "20ms", "127.0.0.1:" + port);
    assertThat(text.out()).contains("100.0% loss").contains("no probe connected")
        .contains("still down at the end");
  }

  @Test
  void anOutageIsLoggedWithItsEnd() throws Exception {
    // a listener that goes away after ~300 ms and comes back on the same port ~300 ms later
    ServerSocketChannel first = ServerSocketChannel.open();
    first.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    first.bind(new InetSocketAddress("127.0.0.1", 0));
    int port = ((InetSocketAddress) first.getLocalAddress()).getPort();
    CompletableFuture<ServerSocketChannel> second = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> second.complete(flap(first, port)));
    Cli.Run r = Cli.run("ping", "-c", "12", "-i", "100ms", "--format", "json", "127.0.0.1:" + port);
    ServerSocketChannel s = second.join();
    if (s != null) {
      s.close();
    }
    JsonNode ping = r.summary().get("ping");
    assertThat(ping.get("connected").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(ping.get("failed").asInt()).isGreaterThanOrEqualTo(1);
    JsonNode outage = ping.get("outages").get(0);
    assertThat(outage.get("reason").asText()).isEqualTo("refused ECONNREFUSED");
    if (s != null) {
      assertThat(outage.get("up").isNull()).as("came back").isFalse();
      assertThat(outage.get("duration_ms").asDouble()).isBetween(50.0, 5000.0);
      assertThat(r.code()).isZero();
    }
  }

  private static ServerSocketChannel flap(ServerSocketChannel first, int port) {
    try {
      Thread.sleep(300);
      first.close();
      Thread.sleep(350);
      ServerSocketChannel s = ServerSocketChannel.open();
      s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      s.bind(new InetSocketAddress("127.0.0.1", port));
      return s;
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * An interval shorter than the timeout keeps the schedule (as ping(8) does): five probes 100 ms
   * apart to a silent port take ~1.4 s with up to five in flight, not five timeouts one after
   * another (5 s).
   */
  @Test
  void anIntervalShorterThanTheTimeoutKeepsTheSchedule() throws Exception {
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      Cli.Run r = Cli.run("ping", "-c", "5", "-i", "100ms", "--timeout", "1s", "--format", "json",
          "127.0.0.1:" + silent.port());
      double secs = r.summary().get("elapsed_ms").asDouble() / 1000; // the run, not the JVM's warm-up
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.TIMEOUT);
      assertThat(r.results()).extracting(n -> n.get("seq").asInt()).containsExactly(1, 2, 3, 4, 5);
      assertThat(r.results()).allSatisfy(n -> assertThat(n.get("outcome").asText()).isEqualTo("timeout"));
      assertThat(secs).as("probes overlap").isBetween(1.3, 3.0);
      JsonNode ping = r.summary().get("ping");
      assertThat(ping.get("most_in_flight").asInt()).isGreaterThanOrEqualTo(4);
      assertThat(ping.get("started_late").asInt()).isZero();
      assertThat(ping.get("outages").get(0).get("reasons").get("timeout").asInt()).isEqualTo(5);
    }
  }

  /** The outage log counts each outcome (and errno), not only the first; its times carry the date. */
  @Test
  void anOutageCountsEveryOutcome() {
    PingStats s = new PingStats();
    java.time.Instant t = java.time.Instant.parse("2026-11-29T10:00:00Z");
    dev.tcpdial.Target target = dev.tcpdial.Target.parse("127.0.0.1:1");
    java.util.function.BiFunction<dev.tcpdial.Outcome, dev.tcpdial.Errno, dev.tcpdial.DialResult> res =
        (o, e) -> new dev.tcpdial.DialResult(target, o, e, null, null, java.time.Duration.ofMillis(1),
            java.time.Duration.ZERO, List.of(), dev.tcpdial.Mode.ASYNC, dev.tcpdial.Engine.JDK,
            List.of());
    int i = 0;
    s.add(res.apply(dev.tcpdial.Outcome.CONNECTED, null), t.plusSeconds(i++));
    for (int k = 0; k < 3; k++) {
      s.add(res.apply(dev.tcpdial.Outcome.REFUSED, dev.tcpdial.Errno.ECONNREFUSED), t.plusSeconds(i++));
    }
    for (int k = 0; k < 5; k++) {
      s.add(res.apply(dev.tcpdial.Outcome.TIMEOUT, null), t.plusSeconds(i++));
    }
    for (int k = 0; k < 3; k++) {
      s.add(res.apply(dev.tcpdial.Outcome.REFUSED, dev.tcpdial.Errno.ECONNREFUSED), t.plusSeconds(i++));
    }
    s.add(res.apply(dev.tcpdial.Outcome.CONNECTED, null), t.plusSeconds(i++));
    List<String> text = s.text("127.0.0.1:1", java.time.Duration.ofSeconds(i), t.plusSeconds(i));
    String down = text.stream().filter(l -> l.startsWith("  down ")).findFirst().orElseThrow();
    assertThat(down).contains("(refused ECONNREFUSED 6, timeout 5)").contains("11 failed probes")
        .contains(PingStats.clock(t.plusSeconds(1).minusMillis(1)))
        .containsPattern("down \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} ");
    JsonNode o = Cli.JSON.valueToTree(s.json(t.plusSeconds(i))).get("outages").get(0);
    assertThat(o.get("reasons").get("refused ECONNREFUSED").asInt()).isEqualTo(6);
    assertThat(o.get("reasons").get("timeout").asInt()).isEqualTo(5);
  }
}
