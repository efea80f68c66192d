package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tcpdial.Resolver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's package) scrapes tcpdial serve and the real blackbox_exporter side
 * by side, every second, on the same modules and targets (connected, refused, silent); the test
 * reads what Prometheus stored through its HTTP API.
 */
class PrometheusServeTest {
  static final String PROMETHEUS = "/usr/bin/prometheus";
  static final String BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";
  static final String MODULES = """
      modules:
        tcp_connect:
          prober: tcp
          timeout: 5s
          tcp:
            preferred_ip_protocol: ip4
      """;

  @TempDir
  Path dir;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  @Test
  void prometheusStoresTheOutcomesAndBlackboxAgreesOnSuccess() throws Exception {
    assumeTrue(Files.isExecutable(Path.of(PROMETHEUS)),
        "needs Debian's prometheus (scripts/setup-test-deps.sh installs it as root)");
    assumeTrue(Files.isExecutable(Path.of(BLACKBOX)),
        "needs Debian's prometheus-blackbox-exporter (scripts/setup-test-deps.sh)");
    List<Process> processes = new ArrayList<>();
    Exporter exporter = null;
    try (Loopback.Open open = new Loopback.Open();
        Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      String connected = "127.0.0.1:" + open.port();
      String refused = "127.0.0.1:" + Loopback.closedPort();
      String timeout = "127.0.0.1:" + silent.port();
      Path bb = dir.resolve("blackbox.yml");
      Files.writeString(bb, MODULES);
      Path td = dir.resolve("tcpdial.yml");
      Files.writeString(td, MODULES + "targets:\n"
          + "  - {target: \"" + connected + "\", module: tcp_connect, interval: 200ms}\n"
          + "  - {target: \"" + refused + "\", module: tcp_connect, interval: 200ms}\n");
      StringWriter log = new StringWriter();
      exporter = new Exporter(new Exporter.Settings(new InetSocketAddress("127.0.0.1", 0), td,
          Duration.ofMillis(500), Cidrs.parse("127.0.0.0/8"), 100), Resolver.system(),
          new PrintWriter(log, true));
      exporter.start();
      int bbPort = freePort();
      processes.add(new ProcessBuilder(BLACKBOX, "--config.file=" + bb,
          "--web.listen-address=127.0.0.1:" + bbPort).redirectErrorStream(true)
          .redirectOutput(dir.resolve("blackbox.log").toFile()).start());
      int promPort = freePort();
      String targets = "['" + connected + "', '" + refused + "', '" + timeout + "']";
      String relabel = """
              relabel_configs:
                - {source_labels: [__address__], target_label: __param_target}
                - {source_labels: [__param_target], target_label: instance}
                - {target_label: __address__, replacement: '%s'}
          """;
      Files.writeString(dir.resolve("prometheus.yml"), """
          global: {scrape_interval: 1s, scrape_timeout: 1s}
          scrape_configs:
            - job_name: tcpdial
              metrics_path: /probe
              params: {module: [tcp_connect]}
              static_configs: [{targets: %s}]
          %s
            - job_name: blackbox
              metrics_path: /probe
              params: {module: [tcp_connect]}
              static_configs: [{targets: %s}]
          %s
            - job_name: tcpdial_exporter
              static_configs: [{targets: ['127.0.0.1:%d']}]
          """.formatted(targets, relabel.formatted("127.0.0.1:" + exporter.address().getPort()),
          targets, relabel.formatted("127.0.0.1:" + bbPort), exporter.address().getPort()));
      processes.add(new ProcessBuilder(PROMETHEUS, "--config.file=" + dir.resolve("prometheus.yml"),
          "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + promPort).redirectErrorStream(true)
          .redirectOutput(dir.resolve("prometheus.log").toFile()).start());

      Map<String, String> expected = Map.of(connected, "connected", refused, "refused",
          timeout, "timeout");
      Map<String, String> outcomes = new HashMap<>();
      Map<String, String> ourSuccess = new HashMap<>();
      Map<String, String> theirSuccess = new HashMap<>();
      Map<String, String> continuous = new HashMap<>();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (System.nanoTime() < end) {
        Thread.sleep(1000);
        outcomes = byInstance(promPort, "probe_tcp_outcome{job=\"tcpdial\"}", "outcome");
        ourSuccess = byInstance(promPort, "probe_success{job=\"tcpdial\"}", null);
        theirSuccess = byInstance(promPort, "probe_success{job=\"blackbox\"}", null);
        continuous = byLabel(promPort, "tcpdial_connects_total", "target", "outcome");
        if (outcomes.equals(expected) && ourSuccess.size() == 3 && theirSuccess.size() == 3
            && continuous.size() == 2) {
          break;
        }
      }
      assertThat(outcomes).as("outcome labels stored by Prometheus; logs in %s", dir)
          .isEqualTo(expected);
      assertThat(ourSuccess).isEqualTo(Map.of(connected, "1", refused, "0", timeout, "0"));
      assertThat(theirSuccess).as("blackbox_exporter's probe_success").isEqualTo(ourSuccess);
      assertThat(continuous).isEqualTo(Map.of(connected, "connected", refused, "refused"));
      Map<String, String> errno =
          byInstance(promPort, "probe_tcp_outcome{job=\"tcpdial\"}", "errno");
      assertThat(errno).isEqualTo(Map.of(connected, "", refused, "ECONNREFUSED", timeout, ""));
    } finally {
      for (Process p : processes) {
        p.destroy();
      }
      for (Process p : processes) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
      if (exporter != null) {
        exporter.close();
      }
      http.close();
    }
  }

  /**
   * Issue 26 item 3: the exporter toolkit's web configuration as Prometheus meets it. A real
   * Prometheus scrapes {@code /metrics} and {@code /probe} over TLS (a CA of the test's) with
   * basic authentication and gets them; without the password it gets 401 ({@code up} 0), and
   * without trusting the CA the handshake fails ({@code up} 0, an x509 error).
   */
  @Test
  void prometheusScrapesOverTlsWithBasicAuthAndIsRefusedWithout() throws Exception {
    assumeTrue(Files.isExecutable(Path.of(PROMETHEUS)),
        "needs Debian's prometheus (scripts/setup-test-deps.sh installs it as root)");
    Certs certs = Certs.make(dir);
    Path web = dir.resolve("web.yml");
    Files.writeString(web, """
        tls_server_config:
          cert_file: server.pem
          key_file: server.key
        basic_auth_users:
          prometheus: %s
        """.formatted(at.favre.lib.crypto.bcrypt.BCrypt.withDefaults()
        .hashToString(10, "scrape-me".toCharArray())));
    List<Process> processes = new ArrayList<>();
    Exporter exporter = null;
    try (Loopback.Open open = new Loopback.Open()) {
      StringWriter log = new StringWriter();
      exporter = new Exporter(new Exporter.Settings(new InetSocketAddress("127.0.0.1", 0), null,
          Duration.ofMillis(500), Cidrs.parse("127.0.0.0/8"), 100), new Exporter.Http(400,
          Duration.ofSeconds(10), web), Resolver.system(), new Log(new PrintWriter(log, true),
          Log.Level.DEBUG, Log.Format.LOGFMT));
      exporter.start();
      String at = "127.0.0.1:" + exporter.address().getPort();
      int promPort = freePort();
      Path ca = certs.path("ca.pem");
      Files.writeString(dir.resolve("prometheus.yml"), """
          global: {scrape_interval: 1s, scrape_timeout: 1s}
          scrape_configs:
            - job_name: secure
              scheme: https
              tls_config: {ca_file: '%1$s'}
              basic_auth: {username: prometheus, password: scrape-me}
              static_configs: [{targets: ['%2$s']}]
            - job_name: secure_probe
              scheme: https
              metrics_path: /probe
              params: {target: ['127.0.0.1:%3$d']}
              tls_config: {ca_file: '%1$s'}
              basic_auth: {username: prometheus, password: scrape-me}
              static_configs: [{targets: ['%2$s']}]
            - job_name: no_password
              scheme: https
              tls_config: {ca_file: '%1$s'}
              static_configs: [{targets: ['%2$s']}]
            - job_name: wrong_password
              scheme: https
              tls_config: {ca_file: '%1$s'}
              basic_auth: {username: prometheus, password: guess}
              static_configs: [{targets: ['%2$s']}]
            - job_name: untrusted
              scheme: https
              basic_auth: {username: prometheus, password: scrape-me}
              static_configs: [{targets: ['%2$s']}]
          """.formatted(ca, at, open.port()));
      processes.add(new ProcessBuilder(PROMETHEUS, "--config.file=" + dir.resolve("prometheus.yml"),
          "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + promPort).redirectErrorStream(true)
          .redirectOutput(dir.resolve("prometheus.log").toFile()).start());
      Map<String, String> expected = Map.of("secure", "1", "secure_probe", "1", "no_password",
          "0", "wrong_password", "0", "untrusted", "0");
      Map<String, String> up = new HashMap<>();
      Map<String, String> errors = new HashMap<>();
      String probeSuccess = null;
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (System.nanoTime() < end) {
        Thread.sleep(1000);
        up = byLabel(promPort, "up", "job", null);
        errors = lastErrors(promPort);
        Map<String, String> ps = byLabel(promPort, "probe_success", "job", null);
        probeSuccess = ps.get("secure_probe");
        if (up.equals(expected) && errors.size() == 5 && "1".equals(probeSuccess)) {
          break;
        }
      }
      assertThat(up).as("up per job; logs in %s", dir).isEqualTo(expected);
      assertThat(probeSuccess).isEqualTo("1");
      assertThat(errors.get("secure")).isEmpty();
      assertThat(errors.get("no_password")).contains("401 Unauthorized");
      assertThat(errors.get("wrong_password")).contains("401 Unauthorized");
      assertThat(errors.get("untrusted")).contains("x509: certificate signed by unknown authority");
      System.out.printf("Prometheus over TLS with basic auth: up %s; errors: %s%n", up, errors);
    } finally {
      for (Process p : processes) {
        p.destroy();
      }
      for (Process p : processes) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
      if (exporter != null) {
        exporter.close();
      }
      http.close();
    }
  }

  // job -> the last scrape error of its target ("" when it has none), from /api/v1/targets
  private Map<String, String> lastErrors(int port) throws Exception {
    Map<String, String> out = new HashMap<>();
    HttpResponse<String> r;
    try {
      r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/api/v1/targets")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return out;
    }
    if (r.statusCode() != 200) {
      return out;
    }
    for (JsonNode t : json.readTree(r.body()).path("data").path("activeTargets")) {
      if (!t.path("lastScrape").asText().startsWith("0001")) {
        out.put(t.path("labels").path("job").asText(), t.path("lastError").asText());
      }
    }
    return out;
  }

  // instance -> label value (or the sample's value when label is null), from an instant query
  private Map<String, String> byInstance(int port, String query, String label) throws Exception {
    return byLabel(port, query, "instance", label);
  }

  private Map<String, String> byLabel(int port, String query, String key, String label)
      throws Exception {
    Map<String, String> out = new HashMap<>();
    HttpResponse<String> r;
    try {
      r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return out; // not up yet
    }
    if (r.statusCode() != 200) {
      return out;
    }
    for (JsonNode s : json.readTree(r.body()).path("data").path("result")) {
      out.put(s.path("metric").path(key).asText(), label == null
          ? s.path("value").get(1).asText() : s.path("metric").path(label).asText());
    }
    return out;
  }
}
