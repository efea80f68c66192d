package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.internal.nat.NativeLoop;
import dev.tcpdial.cli.process.ExitCodes;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tcpdial trace on loopback (one hop: the target) in every format, and its usage errors; the
 * paths with routers are WhereLabTest's.
 */
class TraceCommandTest {
  private static ServerSocketChannel listener;
  private static int open;
  private static int closed;

  @BeforeAll
  static void up() throws Exception {
    listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 64);
    open = ((InetSocketAddress) listener.getLocalAddress()).getPort();
    Thread.ofPlatform().daemon().start(() -> {
      while (listener.isOpen()) {
        try (SocketChannel c = listener.accept()) {
          // accepted and closed
        } catch (java.io.IOException e) {
          return;
        }
      }
    });
    try (ServerSocketChannel tmp = ServerSocketChannel.open()) {
      tmp.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = ((InetSocketAddress) tmp.getLocalAddress()).getPort();
    }
  }

  @AfterAll
  static void down() throws Exception {
    listener.close();
  }

  private static void assumeNative() {
    assumeTrue(NativeLoop.unavailable() == null, () -> "traces need the native engine: "
        + NativeLoop.unavailable());
  }

  @Test
  void textLikeMtrThenTheVerdictAndExitZeroWhenConnected() {
    assumeNative();
    Cli.Run r = Cli.run("trace", "-w", "200ms", "127.0.0.1:" + open);
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).startsWith("trace 127.0.0.1:" + open + " (127.0.0.1) from 127.0.0.1:");
    assertThat(lines.get(1)).contains("HOP", "ADDRESS", "LOSS%", "SNT", "LAST", "AVG", "BEST",
        "WRST", "STDEV", "ANSWER");
    assertThat(lines.get(2)).matches("\\s+1\\. 127\\.0\\.0\\.1\\s+0\\.0%\\s+3 .* SYN-ACK");
    assertThat(lines.getLast()).startsWith("verdict: reached 127.0.0.1 at hop 1: connected"
        + " (SYN-ACK, ");
  }

  @Test
  void aClosedPortExitsAsCheckWouldForRefused() {
    assumeNative();
    Cli.Run r = Cli.run("trace", "-q", "1", "-w", "200ms", "127.0.0.1:" + closed);
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(r.out()).contains("verdict: reached 127.0.0.1 at hop 1: refused (RST, ");
  }

  @Test
  void jsonIsOneObjectPerTraceThenASummary() {
    assumeNative();
    Cli.Run r = Cli.run("trace", "--format", "json", "-q", "2", "-w", "200ms",
        "127.0.0.1:" + open, "127.0.0.1:" + closed);
    List<JsonNode> rows = r.results();
    assertThat(rows).hasSize(2);
    JsonNode t = rows.get(0);
    assertThat(t.get("target").asText()).isEqualTo("127.0.0.1:" + open);
    assertThat(t.get("verdict").get("kind").asText()).isEqualTo("reached");
    assertThat(t.get("verdict").get("hop").asInt()).isEqualTo(1);
    assertThat(t.get("outcome").asText()).isEqualTo("connected");
    assertThat(t.get("syns").asInt()).isEqualTo(2);
    JsonNode hop = t.get("hops").get(0);
    assertThat(hop.get("ttl").asInt()).isEqualTo(1);
    assertThat(hop.get("addresses").get(0).asText()).isEqualTo("127.0.0.1");
    assertThat(hop.get("sent").asInt()).isEqualTo(2);
    assertThat(hop.get("loss").asDouble()).isZero();
    assertThat(hop.get("probes").get(1).get("answer").asText()).isEqualTo("connected");
    assertThat(rows.get(1).get("outcome").asText()).isEqualTo("refused");
    assertThat(r.summary().get("traces").asInt()).isEqualTo(2);
    assertThat(r.summary().get("exit_code").asInt()).isEqualTo(ExitCodes.REFUSED);
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
  }

  @Test
  void csvIsARowPerProbeAndTheVerdictOnStderr() {
    assumeNative();
    Cli.Run r = Cli.run("trace", "--format", "csv", "-w", "200ms", "127.0.0.1:" + closed);
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("target,address,ttl,probe,answer,from,rtt_ms,outcome,errno,"
        + "icmp,icmp_type,icmp_code,verdict,verdict_hop");
    assertThat(lines).hasSize(4);
    assertThat(lines.get(1)).startsWith("127.0.0.1:" + closed + ",127.0.0.1,1,0,reset,127.0.0.1,")
        .endsWith(",refused,ECONNREFUSED,,,,reached,1");
    assertThat(r.err()).contains("reached 127.0.0.1 at hop 1: refused");
  }

  @Test
  void badOptionsAreOneLineUsageErrors() {
    for (String[] args : List.of(new String[] {"trace", "-q", "0", "127.0.0.1:80"},
        new String[] {"trace", "--max-hops", "300", "127.0.0.1:80"},
        new String[] {"trace", "-w", "0s", "127.0.0.1:80"},
        new String[] {"trace", "--rate", "-1", "127.0.0.1:80"},
        new String[] {"trace", "--gap", "0", "127.0.0.1:80"},
        new String[] {"trace", "127.0.0.1"},
        new String[] {"trace"})) {
      Cli.Run r = Cli.run(args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err().lines().toList()).as(r.err()).hasSize(1);
      Cli.assertNoStackTrace(r.err());
    }
    assertThat(Cli.run("trace", "-q", "0", "127.0.0.1:80").err()).contains("--queries must be 1 to 10");
    assertThat(Cli.run("trace", "--max-hops", "300", "127.0.0.1:80").err())
        .contains("--max-hops must be 1 to 255");
  }
}
