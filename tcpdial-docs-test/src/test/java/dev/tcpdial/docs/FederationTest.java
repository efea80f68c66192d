package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many vantage points, one view: two {@code tcpdial serve} in two network namespaces reach the
 * same two targets (a listener and a closed port at 198.18.9.9 in a third namespace) over two
 * paths, one of them firewalled (the target drops what comes from B); each exporter is scraped by
 * a Prometheus of its own with {@code external_labels: {vantage: a|b}}; a global Prometheus in a
 * fourth namespace federates both ({@code /federate}) and evaluates deploy/prometheus's rules. A
 * query on the global one gives each target's outcome per vantage point: connected and refused
 * (ECONNREFUSED) from A, timeout from B, and the rules' alerts pending for B's silence and A's
 * refusal; every query of the Grafana dashboard runs on it. Needs root (namespaces), Debian's
 * prometheus and nftables, and the CLI's jar.
 *
 * <pre>
 *   G (global Prometheus 127.0.0.1:9090)
 *   ├─ 198.18.2.0/30 ── A (serve 127.0.0.1:9115, Prometheus 198.18.2.2:9090) ─ 198.18.1.0/30 ─┐
 *   └─ 198.18.2.4/30 ── B (serve 127.0.0.1:9115, Prometheus 198.18.2.6:9090) ─ 198.18.1.4/30 ─┤
 *                                       T: 198.18.9.9 (listener :PORT, closed :PORT+1), drops B
 * </pre>
 */
class FederationTest {
  static final Path ROOT = DocsSnippetsTest.ROOT;
  static final Path JAR = ROOT.resolve("tcpdial-cli/target/tcpdial.jar");
  static final String TARGET = "198.18.9.9";
  static final int PORT = 7100;
  static final Duration WAIT = Duration.ofSeconds(45);
  static final String PREFIX = "tdfed" + ProcessHandle.current().pid();

  @TempDir static Path tmp;
  static final List<String> namespaces = new ArrayList<>();
  static final List<Process> processes = new ArrayList<>();
  static boolean up;

  static String ns(String letter) {
    return PREFIX + letter;
  }

  record Run(int code, String out) {}

  static Run run(String input, String... cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(out.toFile());
    if (input == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    Process p = pb.start();
    if (input != null) {
      try (var w = p.getOutputStream()) {
        w.write(input.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not end within 30 s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  static void sh(String... cmd) throws IOException, InterruptedException {
    Run r = run(null, cmd);
    assertThat(r.code()).as("%s: %s", String.join(" ", cmd), r.out()).isZero();
  }

  static Process start(String namespace, Path log, String... cmd) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    full.addAll(List.of(cmd));
    Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    processes.add(p);
    return p;
  }

  static boolean onPath(String command) throws Exception {
    return run(null, "sh", "-c", "command -v " + command).code() == 0;
  }

  @BeforeAll
  static void lab() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "network namespaces need root (CI runs ./test as root)");
    for (String c : List.of("ip", "nft", "prometheus", "curl")) {
      assumeTrue(onPath(c), "no " + c + " here (scripts/setup-test-deps.sh installs it)");
    }
    assumeTrue(Files.isRegularFile(JAR), "no " + JAR + ": the reactor builds it (./mvnw verify)");
    for (String l : List.of("t", "a", "b", "g")) {
      sh("ip", "netns", "add", ns(l));
      namespaces.add(ns(l));
      sh("ip", "-n", ns(l), "link", "set", "lo", "up");
    }
    link("a", "a0", "198.18.1.2/30", "t", "t0", "198.18.1.1/30");
    link("b", "b0", "198.18.1.6/30", "t", "t1", "198.18.1.5/30");
    link("g", "g0", "198.18.2.1/30", "a", "a1", "198.18.2.2/30");
    link("g", "g1", "198.18.2.5/30", "b", "b1", "198.18.2.6/30");
    sh("ip", "-n", ns("t"), "addr", "add", TARGET + "/32", "dev", "lo");
    sh("ip", "-n", ns("a"), "route", "add", TARGET + "/32", "via", "198.18.1.1");
    sh("ip", "-n", ns("b"), "route", "add", TARGET + "/32", "via", "198.18.1.5");
    // B's path is firewalled at the target: its SYNs are dropped, not answered (one statement a
    // line: nft does not parse a rule set given on one line)
    Run nft = run("""
        table inet fed {
          chain input {
            type filter hook input priority 0; policy accept;
            ip saddr 198.18.1.6 tcp dport { %d, %d } drop
          }
        }
        """.formatted(PORT, PORT + 1), "ip", "netns", "exec", ns("t"), "nft", "-f", "-");
    assertThat(nft.code()).as(nft.out()).isZero();
    up = true;
  }

  static void link(String n1, String if1, String a1, String n2, String if2, String a2)
      throws Exception {
    sh("ip", "-n", ns(n1), "link", "add", if1, "type", "veth", "peer", "name", if2, "netns", ns(n2));
    sh("ip", "-n", ns(n1), "addr", "add", a1, "dev", if1);
    sh("ip", "-n", ns(n2), "addr", "add", a2, "dev", if2);
    sh("ip", "-n", ns(n1), "link", "set", if1, "up");
    sh("ip", "-n", ns(n2), "link", "set", if2, "up");
  }

  @AfterAll
  static void down() throws Exception {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
    for (String n : namespaces) {
      run(null, "ip", "netns", "del", n);
    }
  }

  /** The target's listener: accepts and closes, until killed. Run in namespace T. */
  public static final class Listen {
    private Listen() {}

    public static void main(String[] args) throws IOException {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1])), 128);
        System.out.println("listening");
        System.out.flush();
        while (true) {
          try (Socket c = s.accept()) {
            c.getInputStream().available();
          }
        }
      }
    }
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static Path vantageConfig(String letter) throws IOException {
    Path f = tmp.resolve("prometheus-" + letter + ".yml");
    Files.writeString(f, """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
          external_labels: {vantage: %s}
        scrape_configs:
          - job_name: tcp
            metrics_path: /probe
            params: {module: [tcp_connect]}
            static_configs:
              - targets: ['%s:%d', '%s:%d']
            relabel_configs:
              - {source_labels: [__address__], target_label: __param_target}
              - {source_labels: [__param_target], target_label: instance}
              - {target_label: __address__, replacement: '127.0.0.1:9115'}
        """.formatted(letter, TARGET, PORT, TARGET, PORT + 1));
    return f;
  }

  static Path globalConfig() throws IOException {
    Path f = tmp.resolve("prometheus-global.yml");
    Files.writeString(f, """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files: ['%s']
        scrape_configs:
          - job_name: federate
            honor_labels: true
            metrics_path: /federate
            params:
              'match[]': ['{__name__=~"probe_.*"}']
            static_configs:
              - targets: ['198.18.2.2:9090', '198.18.2.6:9090']
        """.formatted(ROOT.resolve("deploy/prometheus/tcpdial.rules.yml")));
    return f;
  }

  static Process prometheus(String letter, Path config, String listen) throws IOException {
    Path data = tmp.resolve("data-" + letter);
    return start(ns(letter), tmp.resolve("prometheus-" + letter + ".log"), "prometheus",
        "--config.file=" + config, "--storage.tsdb.path=" + data,
        "--web.listen-address=" + listen, "--log.level=warn");
  }

  static JsonNode query(String promql) throws Exception {
    Run r = run(null, "ip", "netns", "exec", ns("g"), "curl", "-s", "--max-time", "5",
        "http://127.0.0.1:9090/api/v1/query?query="
            + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    if (r.code() != 0 || r.out().isBlank()) {
      return null;
    }
    return new ObjectMapper().readTree(r.out());
  }

  /** vantage and instance to outcome (errno), from the global Prometheus. */
  static Map<String, String> outcomes() throws Exception {
    Map<String, String> m = new TreeMap<>();
    JsonNode r = query("probe_tcp_outcome == 1");
    if (r == null) {
      return m;
    }
    for (JsonNode s : r.path("data").path("result")) {
      JsonNode l = s.path("metric");
      String errno = l.path("errno").asText("");
      m.put(l.path("vantage").asText() + " " + l.path("instance").asText(),
          l.path("outcome").asText() + (errno.isEmpty() ? "" : " " + errno));
    }
    return m;
  }

  @Test
  void theGlobalPrometheusSeesEachTargetsOutcomePerVantagePoint() throws Exception {
    assumeTrue(up, "the lab is not up");
    long t0 = System.nanoTime();
    Process listener = start(ns("t"), tmp.resolve("listener.log"), java(), "-cp",
        System.getProperty("java.class.path"), Listen.class.getName(), TARGET,
        String.valueOf(PORT));
    for (String v : List.of("a", "b")) {
      start(ns(v), tmp.resolve("serve-" + v + ".log"), java(), "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1", "-jar", JAR.toString(), "serve", "--web.listen-address", "127.0.0.1:9115");
      prometheus(v, vantageConfig(v), v.equals("a") ? "198.18.2.2:9090" : "198.18.2.6:9090");
    }
    prometheus("g", globalConfig(), "127.0.0.1:9090");

    Map<String, String> want = Map.of(
        "a " + TARGET + ":" + PORT, "connected",
        "a " + TARGET + ":" + (PORT + 1), "refused ECONNREFUSED",
        "b " + TARGET + ":" + PORT, "timeout",
        "b " + TARGET + ":" + (PORT + 1), "timeout");
    Map<String, String> seen = Map.of();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline && !seen.equals(want)) {
      Thread.sleep(500);
      seen = outcomes();
    }
    double took = (System.nanoTime() - t0) / 1e9;
    assertThat(listener.isAlive()).as("listener: %s", Files.readString(tmp.resolve("listener.log")))
        .isTrue();
    assertThat(seen).as("outcomes per vantage point on the global Prometheus after %.1f s; logs:"
        + " %s", took, logs()).isEqualTo(want);

    // the same answer through the recording rules and alerts the global one evaluates
    Map<String, String> alerts = new TreeMap<>();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < until && alerts.size() < 3) {
      alerts.clear();
      JsonNode a = query("ALERTS");
      if (a != null) {
        for (JsonNode s : a.path("data").path("result")) {
          JsonNode l = s.path("metric");
          alerts.put(l.path("alertname").asText() + " " + l.path("vantage").asText() + " "
              + l.path("instance").asText(), l.path("alertstate").asText());
        }
      }
      Thread.sleep(500);
    }
    assertThat(alerts).contains(
        Map.entry("TcpTargetSilent b " + TARGET + ":" + PORT, "pending"),
        Map.entry("TcpTargetSilent b " + TARGET + ":" + (PORT + 1), "pending"),
        Map.entry("TcpTargetRefusing a " + TARGET + ":" + (PORT + 1), "pending"));
    assertThat(alerts).doesNotContainKey("TcpTargetDown a " + TARGET + ":" + PORT);

    // every query of the Grafana dashboard runs on the federated data
    for (String q : PrometheusRulesTest.dashboardQueries()) {
      JsonNode r = query(q);
      assertThat(r).as(q).isNotNull();
      assertThat(r.path("status").asText()).as("%s: %s", q, r).isEqualTo("success");
    }
    System.out.printf("federation: every outcome per vantage point on the global Prometheus %.1f s"
        + " after the start%n", took);
  }

  static String logs() throws IOException {
    StringBuilder b = new StringBuilder();
    try (var s = Files.list(tmp)) {
      for (Path p : s.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        b.append("\n== ").append(p.getFileName()).append('\n').append(Files.readString(p));
      }
    }
    return b.toString();
  }
}
