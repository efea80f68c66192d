package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tcpdial serve as its own process: exit codes, start line, SIGTERM with a probe in flight. */
class ServeProcessTest {
  @TempDir
  Path dir;

  static List<String> cmd(String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> c = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "serve"));
    c.addAll(List.of(args));
    return c;
  }

  /** The value of one series (name and labels as written) in an exposition. */
  static double value(String body, String series) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "(?m)^" + java.util.regex.Pattern.quote(series) + " (\\S+)$").matcher(body);
    assertThat(m.find()).as("series %s in%n%s", series, body).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static String run(int expectedExit, String... args) throws Exception {
    Process p = new ProcessBuilder(cmd(args)).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isEqualTo(expectedExit);
    return out;
  }

  @Test
  void badConfigurationAtStartIsUsageWithOneLine() throws Exception {
    Path bad = dir.resolve("bad.yml");
    Files.writeString(bad, "modules:\n  a:\n    prober: tcp\n    timeout: 5 seconds\n");
    String out = run(2, "--config", bad.toString(), "--listen", "127.0.0.1:0");
    assertThat(out).hasLineCount(1)
        .contains("bad.yml:4: modules.a.timeout: cannot unmarshal !!str `5 seconds` into")
        .doesNotContain("Exception");
    assertThat(run(2, "--config", dir.resolve("missing.yml").toString())).hasLineCount(1)
        .contains("cannot read --config");
    assertThat(run(2, "--allow", "10.0.0.0/33")).hasLineCount(1).contains("bad prefix length");
    assertThat(run(2, "--listen", "127.0.0.1")).hasLineCount(1).contains("bad --listen");
    assertThat(run(2, "--max-concurrent", "0")).hasLineCount(1);
    assertThat(run(2, "--max-connections", "0")).hasLineCount(1).contains("bad --max-connections");
    assertThat(run(2, "--request-timeout", "500ms")).hasLineCount(1)
        .contains("bad --request-timeout 500ms: 1s to 1h");
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThat(run(1, "--listen", "127.0.0.1:" + taken.getLocalPort())).hasLineCount(1)
          .contains("cannot listen on");
    }
  }

  @Test
  void sigtermWithAProbeInFlightExitsZeroWithinTwoSeconds() throws Exception {
    Process p = new ProcessBuilder(cmd("--listen", "127.0.0.1:0")).redirectErrorStream(true)
        .start();
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog();
        HttpClient http = HttpClient.newHttpClient()) {
      BufferedReader err = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      String first = err.readLine();
      Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(first);
      assertThat(m.find()).as(first).isTrue();
      String base = "http://127.0.0.1:" + m.group(1);
      CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(HttpRequest.newBuilder(
          URI.create(base + "/probe?target=127.0.0.1:" + silent.port())).build(),
          HttpResponse.BodyHandlers.ofString());
      // the probe waits on a silent listener (built-in module: 5 s); wait until it is in flight
      // (a fixed 500 ms was too short for a fresh JVM's first request on a loaded machine)
      long until = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < until && !http.send(HttpRequest.newBuilder(URI.create(base
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body()
          .contains("tcpdial_probes_in_flight 1")) {
        Thread.sleep(50);
      }
      long t0 = System.nanoTime();
      p.toHandle().destroy(); // SIGTERM (Process.destroy would close our end of its output)
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      double took = (System.nanoTime() - t0) / 1e9;
      StringBuilder restB = new StringBuilder();
      for (String line = err.readLine(); line != null; line = err.readLine()) {
        restB.append(line).append('\n');
      }
      String rest = restB.toString();
      assertThat(p.exitValue()).as(rest).isZero();
      System.out.printf("SIGTERM to exit with a probe in flight: %.2f s%n", took);
      assertThat(took).as("seconds from SIGTERM to exit").isLessThan(3.0);
      assertThat(rest).contains("stopping (signal), 1 probe(s) in flight").contains("stopped");
      // the probe in flight was cancelled, or its connection closed; nothing hangs
      try {
        HttpResponse<String> r = inFlight.get(1, TimeUnit.SECONDS);
        assertThat(r.body()).contains("outcome=\"cancelled\"");
      } catch (java.util.concurrent.ExecutionException closed) {
        // the server closed the connection while stopping
      }
    } finally {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }


  @Test
  void everyAddressWithAPortOnlyAndJsonLogLines() throws Exception {
    Process p = new ProcessBuilder(cmd("--web.listen-address", ":0", "--log.format", "json",
        "--log.level", "debug")).redirectErrorStream(true).start();
    try (HttpClient http = HttpClient.newHttpClient()) {
      BufferedReader err = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      String first = err.readLine();
      Matcher m = Pattern.compile("^\\{\"ts\":\"[0-9T:.-]+Z\",\"level\":\"info\",\"msg\":"
          + "\"listening on (?:\\[::\\]|0\\.0\\.0\\.0):(\\d+), .*\"}$").matcher(String.valueOf(first));
      assertThat(m.find()).as(first).isTrue();
      // every address: loopback of both families reaches it
      for (String host : List.of("127.0.0.1", "[::1]")) {
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":"
            + m.group(1) + "/-/healthy")).build(), HttpResponse.BodyHandlers.ofString())
            .statusCode()).as(host).isEqualTo(200);
      }
      p.toHandle().destroy();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      String rest = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(rest.lines()).isNotEmpty().allMatch(l -> l.startsWith("{\"ts\":")
          && l.endsWith("}"));
      assertThat(rest).contains("\"msg\":\"stopped\"");
    } finally {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
