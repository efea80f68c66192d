package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tcpdial serve}'s configuration file as its own process, with a small heap: an alias bomb
 * at start and through {@code POST /-/reload}, and {@code --config.check}.
 */
class ServeConfigProcessTest {
  @TempDir
  Path dir;

  /** A heap the old parser overran with the bomb below within seconds. */
  static final String HEAP = "-Xmx128m";

  static List<String> cmd(String... args) {
    List<String> c = new ArrayList<>(ServeProcessTest.cmd(args));
    c.add(1, HEAP);
    return c;
  }

  /**
   * A 988-byte configuration whose continuous target's labels are aliases of aliases: 48 aliases
   * that would expand to 9 x 3^16 strings of 52 characters (about 40 GB as text).
   */
  static String aliasBomb() {
    StringBuilder b = new StringBuilder("modules:\n  tcp_connect:\n    prober: tcp\ntargets:\n"
        + "  - target: 127.0.0.1:19000\n    labels:\n      a: &a [");
    String word = "lol".repeat(17) + "l";
    for (int i = 0; i < 9; i++) {
      b.append(i == 0 ? "" : ", ").append(word);
    }
    b.append("]\n");
    for (char c = 'b', prev = 'a'; c <= 'q'; prev = c, c++) {
      b.append("      ").append(c).append(": &").append(c).append(" [*").append(prev)
          .append(", *").append(prev).append(", *").append(prev).append("]\n");
    }
    assertThat(b.toString().getBytes(StandardCharsets.UTF_8)).hasSize(988);
    return b.toString();
  }

  static String run(int expectedExit, String... args) throws Exception {
    Process p = new ProcessBuilder(cmd(args)).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isEqualTo(expectedExit);
    return out;
  }

  @Test
  void aliasBombAtStartExitsTwoWithOneLineNamingFileLineAndField() throws Exception {
    Path bomb = dir.resolve("bomb.yml");
    Files.writeString(bomb, aliasBomb());
    long t0 = System.nanoTime();
    String out = run(2, "--config", bomb.toString(), "--listen", "127.0.0.1:0");
    double took = (System.nanoTime() - t0) / 1e9;
    assertThat(out).hasLineCount(1).contains(bomb + ":7: targets[0].labels.a: cannot unmarshal"
        + " !!seq into string").doesNotContain("Exception").doesNotContain("heap");
    System.out.printf("alias bomb refused at start in %.2f s (JVM start included)%n", took);
  }

  @Test
  void aliasBombThroughReloadIsAnsweredCountedFailedAndTheOldConfigurationServes()
      throws Exception {
    Path cfg = dir.resolve("blackbox.yml");
    Files.writeString(cfg, "modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 1s\n");
    Process p = new ProcessBuilder(cmd("--config", cfg.toString(), "--listen", "127.0.0.1:0"))
        .redirectErrorStream(true).start();
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      BufferedReader log = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      String first = log.readLine();
      Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(first);
      assertThat(m.find()).as(first).isTrue();
      String base = "http://127.0.0.1:" + m.group(1);
      Files.writeString(cfg, aliasBomb());
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/-/reload"))
          .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(500);
      assertThat(r.body()).contains("reload failed, previous configuration kept");
      String line = log.readLine();
      assertThat(line).contains("reload (POST /-/reload) failed, keeping the previous"
          + " configuration").contains(cfg + ":7: targets[0].labels.a: cannot unmarshal !!seq");
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(ServeProcessTest.value(metrics, "tcpdial_config_last_reload_successful"))
          .isZero();
      assertThat(ServeProcessTest.value(metrics,
          "tcpdial_config_reloads_total{result=\"failure\"}")).isEqualTo(1.0);
      // the old module still answers
      HttpResponse<String> probe = http.send(HttpRequest.newBuilder(URI.create(base
          + "/probe?module=tcp_connect&target=127.0.0.1:" + closedPort())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(probe.statusCode()).as(probe.body()).isEqualTo(200);
      assertThat(probe.body()).contains("probe_tcp_outcome{errno=\"ECONNREFUSED\","
          + "outcome=\"refused\"} 1");
    } finally {
      p.toHandle().destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** A loopback port nothing listens on (bound, then closed). */
  static int closedPort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  @Test
  void configCheckSaysWhatWouldBeServedAndExits() throws Exception {
    Path good = dir.resolve("good.yml");
    Files.writeString(good, """
        modules:
          tcp_connect:
            prober: tcp
            timeout: 5s
          ssh_banner:
            prober: tcp
            tcp:
              query_response:
                - expect: "^SSH-2.0-"
          icmp:
            prober: icmp
        """);
    String ok = run(0, "--config.check", "--config.file", good.toString());
    assertThat(ok).hasLineCount(1)
        .contains("config " + good + ": 2 modules served (tcp_connect, ssh_banner)")
        .contains("icmp (prober icmp: tcpdial serves prober: tcp only)").endsWith(": ok\n");
    Path bad = dir.resolve("bad.yml");
    Files.writeString(bad, "modules:\n  dns:\n    prober: dns\n    dns:\n      query_nme: x\n");
    assertThat(run(2, "--config.check", "--config", bad.toString())).hasLineCount(1)
        .contains(bad + ":5: modules.dns.dns.query_nme: field query_nme not found");
    assertThat(run(2, "--config.check")).hasLineCount(1).contains("no --config FILE");
    Path etc = Path.of("/etc/prometheus/blackbox.yml");
    if (Files.isReadable(etc)) {
      assertThat(run(0, "--config.check", "--config.file", etc.toString())).endsWith(": ok\n");
    }
  }
}
