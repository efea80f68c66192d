package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
}
