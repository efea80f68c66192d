package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.SystemLimits;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scan as a separate process reading its targets from a pipe, inside a network namespace of
 * its own (only its loopback, nothing listening: every probe is refused): bounded memory over a
 * million lines, lines dialed as they arrive, and the window under a small descriptor limit.
 * Needs root (ip netns).
 */
class InputStreamingTest {
  private static final String NS = "tdcli-in" + ProcessHandle.current().pid() % 100000;
  private static boolean ready;

  @BeforeAll
  static void namespace() throws Exception {
    if (!NamespaceScanTest.root()) {
      return;
    }
    NamespaceScanTest.exec(List.of("ip", "netns", "del", NS));
    ready = NamespaceScanTest.exec(List.of("ip", "netns", "add", NS)) == 0
        && NamespaceScanTest.exec(List.of("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")) == 0;
  }

  @AfterAll
  static void removeNamespace() throws Exception {
    if (NamespaceScanTest.root()) {
      NamespaceScanTest.exec(List.of("ip", "netns", "del", NS));
      NamespaceScanTest.exec(List.of("rm", "-rf", "/etc/netns/" + NS));
    }
  }

  /**
   * The case: 300 names whose lookups take 4 s or more (the namespace's resolver is an
   * address where queries vanish), {@code scan - --deadline 1s}: every row ends
   * resolution_failed at its own 1 s deadline (before: 256 rows at ~4 s, the lookups having held
   * every carrier thread the virtual-thread scheduler may add).
   */
  @Test
  void aDeadlineEndsSlowLookups() throws Exception {
    needNamespace();
    Path etc = Path.of("/etc/netns", NS);
    Files.createDirectories(etc);
    Files.writeString(etc.resolve("resolv.conf"), "nameserver 198.18.0.53\noptions timeout:4 attempts:1\n");
    // the resolver's address sits behind a veth whose other end drops every frame: the
    // neighbour entry gives a MAC address nobody has, so queries leave and nothing answers
    for (List<String> c : List.of(List.of("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"),
        List.of("ip", "addr", "add", "198.18.0.1/24", "dev", "v0"), List.of("ip", "link", "set", "v0", "up"),
        List.of("ip", "link", "set", "v1", "up"),
        List.of("ip", "neigh", "add", "198.18.0.53", "lladdr", "02:00:00:00:00:99", "dev", "v0", "nud", "permanent"))) {
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS));
      cmd.addAll(c);
      assertThat(NamespaceScanTest.exec(cmd)).as(String.join(" ", c)).isZero();
    }
    Process p = scan(List.of(), List.of(), "scan", "-", "--deadline", "1s", "--format", "json", "--no-progress");
    try (PrintStream out = new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
      for (int i = 0; i < 300; i++) {
        out.println("slow" + i + ".tcpdial-test:80");
      }
    }
    List<String> lines = new ArrayList<>();
    java.util.concurrent.CompletableFuture<Void> read = java.util.concurrent.CompletableFuture.runAsync(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          lines.add(l);
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      read.get(60, TimeUnit.SECONDS);
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(lines).hasSize(301);
    double slowest = 0;
    for (String l : lines.subList(0, 300)) {
      JsonNode n = Cli.JSON.readTree(l);
      assertThat(n.get("outcome").asText()).as(l).isEqualTo("resolution_failed");
      slowest = Math.max(slowest, n.get("time_ms").asDouble());
    }
    JsonNode summary = Cli.JSON.readTree(lines.getLast()).get("summary");
    System.out.printf("300 slow names, --deadline 1s: slowest row %.0f ms, run %.0f ms%n", slowest,
        summary.get("elapsed_ms").asDouble());
    assertThat(slowest).as("each dial's time, deadline 1000 ms").isBetween(990.0, 1300.0);
    assertThat(p.exitValue()).isEqualTo(ExitCodes.RESOLUTION);
  }

  private static void needNamespace() {
    assumeTrue(NamespaceScanTest.root(), "needs root to create a network namespace (ip netns add); skipped");
    assumeTrue(ready, "could not create network namespace " + NS + "; skipped");
  }

  /** A scan process in the namespace; {@code prefix} goes before java (prlimit ...). */
  private static Process scan(List<String> prefix, List<String> jvm, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS));
    cmd.addAll(prefix);
    List<String> java = NamespaceScanTest.java(args);
    cmd.add(java.getFirst());
    cmd.addAll(jvm);
    cmd.addAll(java.subList(1, java.size()));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /**
   * The reproduction: 1,000,000 lines {@code 127.0.H.H:P}, P around 60,000, on stdin of a
   * JVM with a 256 MB heap (before: out of memory after 75 s, 6.2 GB). Every line is read and kept
   * for de-duplication; --shard 1/50 dials 20,000 of them, which keeps the test short (the dial
   * path holds nothing per target; a full run dials all 1M in 25-50 s here).
   */
  @Test
  void aMillionLinesOfHighPortsInA256MegabyteHeap() throws Exception {
    needNamespace();
    long start = System.nanoTime();
    Process p = scan(List.of(), List.of("-Xmx256m"), "scan", "-", "--format", "json", "--no-progress",
        "--timeout", "200ms", "--shard", "1/50");
    Thread feeder = Thread.ofPlatform().start(() -> {
      try (PrintStream out = new PrintStream(p.getOutputStream(), false, StandardCharsets.UTF_8)) {
        int n = 0;
        for (int port = 60001; port <= 60245 && n < 1_000_000; port++) {
          for (int h = 0; h < 4096 && n < 1_000_000; h++, n++) {
            out.append("127.0.").append(Integer.toString(h >> 8)).append('.')
                .append(Integer.toString(h & 255)).append(':').append(Integer.toString(port)).append('\n');
          }
        }
      }
    });
    long rows = 0;
    String last = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String l;
      while ((l = r.readLine()) != null) {
        rows++;
        last = l;
      }
    }
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    feeder.join(10_000);
    double secs = (System.nanoTime() - start) / 1e9;
    System.out.printf("1M lines, -Xmx256m, shard 1/50: %.1f s%n", secs);
    assertThat(last).as("the summary line").isNotNull().startsWith("{\"summary\"");
    JsonNode summary = Cli.JSON.readTree(last).get("summary");
    assertThat(rows).isEqualTo(20_001);
    assertThat(summary.get("total").asLong()).isEqualTo(20_000);
    assertThat(summary.get("counts").get("refused").asLong()).isEqualTo(20_000);
    assertThat(p.exitValue()).isEqualTo(ExitCodes.REFUSED);
    assertThat(summary.get("elapsed_ms").asDouble()).as("the run counts from the start, reading included")
        .isGreaterThan(0);
  }

  /**
   * (5 lines; sleep 3; 1 line) | tcpdial scan -: the first five are reported while stdin stays
   * open (before: nothing until end of input), the sixth when it comes, and the summary's time
   * counts the wait.
   */
  @Test
  void linesFromAPipeAreDialedAsTheyArrive() throws Exception {
    needNamespace();
    Process p = scan(List.of(), List.of(), "scan", "-", "--format", "json", "--no-progress");
    try {
      OutputStream in = p.getOutputStream();
      in.write("127.0.0.1:1\n127.0.0.1:2\n127.0.0.1:3\n127.0.0.2:4\n127.0.0.3:5\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      // read with a bound: a scan that waits for the end of its input never answers here
      java.util.concurrent.CompletableFuture<List<String>> five = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        List<String> rows = new ArrayList<>();
        try {
          for (int i = 0; i < 5; i++) {
            rows.add(r.readLine());
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return rows;
      });
      List<String> rows = five.get(30, TimeUnit.SECONDS);
      assertThat(rows).allSatisfy(l -> assertThat(l).contains("\"outcome\":\"refused\""));
      long fiveAt = System.nanoTime();
      Thread.sleep(3000);
      in.write("127.0.0.1:6\n".getBytes(StandardCharsets.UTF_8));
      in.close();
      String sixth = r.readLine();
      double sixthAfter = (System.nanoTime() - fiveAt) / 1e9;
      String summaryLine = r.readLine();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      System.out.printf("sixth row %.2f s after the fifth%n", sixthAfter);
      assertThat(sixth).contains("\"port\":6");
      assertThat(sixthAfter).isGreaterThanOrEqualTo(3.0);
      JsonNode summary = Cli.JSON.readTree(summaryLine).get("summary");
      assertThat(summary.get("total").asInt()).isEqualTo(6);
      assertThat(summary.get("elapsed_ms").asDouble()).as("the whole run, the wait for input included")
          .isGreaterThanOrEqualTo(3000);
    } finally {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Under {@code ulimit -n 160} the window is what the limit leaves after the descriptors open,
   * not a quarter of it (was 28; 1 at 130 and below), and the scan meets no EMFILE.
   */
  @Test
  void theWindowFollowsTheDescriptorLimit() throws Exception {
    needNamespace();
    for (int limit : new int[] {160, 130}) {
      Process p = scan(List.of("prlimit", "--nofile=" + limit + ":" + limit), List.of(),
          "scan", "127.0.0.1", "-p", "1-3000", "--format", "json", "--no-progress");
      String last = null;
      long rows = 0;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          last = l;
          rows++;
        }
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      JsonNode summary = Cli.JSON.readTree(last).get("summary");
      int window = summary.get("concurrency").asInt();
      System.out.printf("ulimit -n %d: window %d%n", limit, window);
      assertThat(rows).isEqualTo(3001);
      // the descriptors open at the start: a JVM's ~25 of its own and stdio, and as this one runs
      // from the test class path, one per jar on it at most; then the headroom
      int jars = System.getProperty("java.class.path").split(File.pathSeparator).length;
      int least = limit - 25 - jars - SystemLimits.headroom();
      assertThat(window).as("window under ulimit -n " + limit).isBetween(Math.max(1, least), limit - 20);
      assertThat(summary.get("counts").get("refused").asInt()).isEqualTo(3000);
      assertThat(summary.get("counts").get("local_resources").asInt()).isZero();
      assertThat(summary.get("local_backoffs").asInt()).isZero();
    }
  }
}
