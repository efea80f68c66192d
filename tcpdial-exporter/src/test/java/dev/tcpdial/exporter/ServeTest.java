package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Resolver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tcpdial serve in this JVM, on loopback: /probe, bad input, limits, reload, /metrics. */
class ServeTest {
  static final String BLACKBOX_YML = """
      modules:
        tcp_connect:
          prober: tcp
          timeout: 2s
        tcp_v4:
          prober: tcp
          timeout: 1s
          tcp:
            preferred_ip_protocol: ip4
            ip_protocol_fallback: false
        http_2xx:
          prober: http
          http:
            valid_status_codes: []
        ssh_banner:
          prober: tcp
          tcp:
            query_response:
              - expect: "^SSH-2.0-"
        closed_ok:
          prober: tcp
          timeout: 1s
          tcpdial:
            expect: closed
            attempt_delay: 100ms
      """;

  @TempDir
  Path dir;
  final StringWriter log = new StringWriter();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  Exporter exporter;
  Loopback.Open open;

  Exporter start(String yaml, Cidrs allow, int max, Resolver resolver) throws Exception {
    Path cfg = null;
    if (yaml != null) {
      cfg = dir.resolve("blackbox.yml");
      Files.writeString(cfg, yaml);
    }
    exporter = new Exporter(new Exporter.Settings(new InetSocketAddress("127.0.0.1", 0), cfg,
        Duration.ofMillis(500), allow, max), resolver, new PrintWriter(log, true));
    exporter.start();
    return exporter;
  }

  @AfterEach
  void stop() throws IOException {
    if (exporter != null) {
      exporter.close();
    }
    if (open != null) {
      open.close();
    }
    http.close();
  }

  HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + exporter.address().getPort() + pathAndQuery)).timeout(Duration.ofSeconds(20));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GET over a plain socket, for request lines an HTTP client refuses to send: status, body. */
  String[] raw(String pathAndQuery) throws IOException {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", exporter.address().getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: x\r\n"
          + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      String all = new String(s.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      int body = all.indexOf("\r\n\r\n");
      return new String[] {all.substring(9, 12), all.substring(body + 4)};
    }
  }

  static double value(String body, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
    assertThat(m.find()).as("series %s in%n%s", series, body).isTrue();
    return Double.parseDouble(m.group(1));
  }

  int openPort() throws IOException {
    open = new Loopback.Open();
    return open.port();
  }

  @Test
  void connectedRefusedAndTimeoutNameTheOutcome() throws Exception {
    start(BLACKBOX_YML, Cidrs.ANY, 100, Resolver.system());
    int port = openPort();
    HttpResponse<String> ok = get("/probe?module=tcp_connect&target=127.0.0.1:" + port);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(value(ok.body(), "probe_success")).isEqualTo(1.0);
    assertThat(value(ok.body(), "probe_tcp_outcome{errno=\"\",outcome=\"connected\"}"))
        .isEqualTo(1);
    assertThat(value(ok.body(), "probe_ip_protocol")).isEqualTo(4.0);
    assertThat(ok.body()).containsOnlyOnce("probe_tcp_outcome{");

    HttpResponse<String> refused = get("/probe?module=tcp_connect&target=127.0.0.1:"
        + Loopback.closedPort());
    assertThat(value(refused.body(), "probe_success")).isEqualTo(0.0);
    assertThat(value(refused.body(),
        "probe_tcp_outcome{errno=\"ECONNREFUSED\",outcome=\"refused\"}"))
        .isEqualTo(1);
    assertThat(value(refused.body(), "probe_tcp_errno")).isEqualTo(111.0);

    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      long t0 = System.nanoTime();
      // scrape timeout 1.2 s - offset 0.5 s = 0.7 s, under the module's 2 s
      HttpResponse<String> timeout = get("/probe?module=tcp_connect&target=127.0.0.1:"
          + silent.port(), "X-Prometheus-Scrape-Timeout-Seconds", "1.2");
      double took = (System.nanoTime() - t0) / 1e9;
      assertThat(value(timeout.body(), "probe_tcp_outcome{errno=\"\",outcome=\"timeout\"}"))
          .isEqualTo(1);
      assertThat(value(timeout.body(), "probe_timeout_seconds")).isEqualTo(0.7);
      assertThat(value(timeout.body(), "probe_duration_seconds")).isBetween(0.69, 0.9);
      assertThat(took).isLessThan(1.2);
    }
    // expect: closed turns a refusal into success, the outcome still says refused
    HttpResponse<String> closed = get("/probe?module=closed_ok&target=127.0.0.1:"
        + Loopback.closedPort());
    assertThat(value(closed.body(), "probe_success")).isEqualTo(1.0);
    assertThat(closed.body()).contains("outcome=\"refused\"");
  }

  @Test
  void blackboxConfigAsIsWithModulesNotServedAndWhy() throws Exception {
    start(BLACKBOX_YML, Cidrs.ANY, 100, Resolver.system());
    assertThat(log.toString())
        .contains("4 modules served (tcp_connect, tcp_v4, ssh_banner, closed_ok)")
        .contains("http_2xx (prober http: tcpdial serves prober: tcp only)");
    assertThat(log.toString().lines().count()).isEqualTo(1);
    HttpResponse<String> r = get("/probe?module=http_2xx&target=127.0.0.1:80");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("module 'http_2xx' is not served: prober http: tcpdial serves"
        + " prober: tcp only\n");
    HttpResponse<String> index = get("/");
    assertThat(index.body()).contains("ssh_banner").contains("http_2xx")
        .contains("<td>ssh_banner</td><td>yes</td><td>scrape timeout</td>");
    assertThat(get("/-/healthy").statusCode()).isEqualTo(200);
    assertThat(get("/-/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void debugShowsAttemptsMetricsAndModule() throws Exception {
    Resolver r = Resolver.of(Map.of("two.test", List.of(InetAddress.getByName("::1"),
        InetAddress.getByName("127.0.0.1"))));
    start(BLACKBOX_YML, Cidrs.ANY, 100, r);
    int port = openPort(); // 127.0.0.1 only: [::1] is refused first
    HttpResponse<String> d = get("/probe?module=closed_ok&target=two.test:" + port + "&debug=true");
    assertThat(d.statusCode()).isEqualTo(200);
    assertThat(d.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
    assertThat(d.body()).contains("#0 [::1]:" + port)
        .contains("outcome=refused errno=ECONNREFUSED why=first")
        .contains("#1 127.0.0.1:" + port).contains("outcome=connected")
        .contains("Metrics that would have been returned:")
        .contains("probe_tcp_outcome{errno=\"\",outcome=\"connected\"} 1")
        .contains("Module configuration:").contains("expect: closed");
    // ip4 without fallback dials only the IPv4 address
    HttpResponse<String> v4 = get("/probe?module=tcp_v4&target=two.test:" + port);
    assertThat(value(v4.body(), "probe_tcp_attempts")).isEqualTo(1.0);
    assertThat(value(v4.body(), "probe_ip_protocol")).isEqualTo(4.0);
    assertThat(value(v4.body(), "probe_success")).isEqualTo(1.0);
  }

  @Test
  void allowIsCheckedOnEveryResolvedAddressBeforeAnyPacket() throws Exception {
    Resolver r = Resolver.of(Map.of("mixed.test", List.of(InetAddress.getByName("127.0.0.1"),
        InetAddress.getByName("127.0.0.2"))));
    start(null, Cidrs.parse("127.0.0.1/32,::1/128"), 100, r);
    int port = openPort();
    HttpResponse<String> denied = get("/probe?target=mixed.test:" + port);
    assertThat(denied.statusCode()).isEqualTo(403);
    // the answer does not tell what the name resolves to (issue 22 item 5); a literal is the
    // client's own
    assertThat(denied.body()).isEqualTo("denied: mixed.test resolves to an address outside"
        + " --allow\n");
    HttpResponse<String> literal = get("/probe?target=127.0.0.3:" + port);
    assertThat(literal.statusCode()).isEqualTo(403);
    assertThat(literal.body()).isEqualTo("denied: 127.0.0.3 is outside --allow\n");
    assertThat(get("/probe?target=127.0.0.1:" + port).statusCode()).isEqualTo(200);
    String m = get("/metrics").body();
    assertThat(value(m, "tcpdial_requests_rejected_total{reason=\"denied\"}")).isEqualTo(2.0);
    assertThat(log.toString()).doesNotContain("127.0.0.2"); // info: nothing per request
  }

  @Test
  void theDeniedAddressIsInTheDebugLogOnly() throws Exception {
    Resolver r = Resolver.of(Map.of("inside.test", List.of(InetAddress.getByName("127.0.0.9"))));
    exporter = new Exporter(new Exporter.Settings(new InetSocketAddress("127.0.0.1", 0), null,
        Duration.ofMillis(500), Cidrs.parse("127.0.0.1/32"), 10), Exporter.Http.defaults(10), r,
        new Log(new PrintWriter(log, true), Log.Level.DEBUG, Log.Format.LOGFMT));
    exporter.start();
    HttpResponse<String> denied = get("/probe?target=inside.test:80");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.body()).doesNotContain("127.0.0.9");
    assertThat(log.toString()).containsPattern("level=debug msg=\"probe denied\" target=inside.test:80"
        + " client=127\\.0\\.0\\.1:\\d+ why=\"inside.test resolves to 127.0.0.9, outside --allow"
        + " 127.0.0.1/32\"");
  }

  @Test
  void hundredsOfMalformedRequestsGet400WhileProbesGoOn() throws Exception {
    start(BLACKBOX_YML, Cidrs.ANY, 100, Resolver.system());
    int port = openPort();
    List<String> bad = new ArrayList<>(List.of("/probe", "/probe?target=", "/probe?target=%zz",
        "/probe?module=nope&target=127.0.0.1:1",
        "/probe?target=127.0.0.1:1&target=127.0.0.1:2", "/probe?target=127.0.0.1:1&debug=yes",
        "/probe?=x"));
    // a target that does not parse is a failed probe (200, probe_success 0), as
    // blackbox_exporter answers "missing port in address"
    List<String> failed = new ArrayList<>(List.of("/probe?target=127.0.0.1",
        "/probe?target=127.0.0.1:0", "/probe?target=127.0.0.1:65536", "/probe?target=[::1:80",
        "/probe?target=a%00b:80", "/probe?target=ex%C3ample.test:-1",
        "/probe?target=host:80:90", "/probe?target=%E2%80%AE:80"));
    for (int i = 0; failed.size() < 300; i++) {
      failed.add("/probe?target=" + "x".repeat(i % 300) + ":" + (70000 + i));
    }
    for (String f : failed) {
      String[] r = raw(f);
      if (r[0].equals("400")) {
        // a request line that is not a URI: the HTTP server's own answer, one line
        assertThat(r[1]).as(f).hasLineCount(1).doesNotContain("\tat ");
        continue;
      }
      assertThat(r[0]).as(f).isEqualTo("200");
      assertThat(value(r[1], "probe_success")).as(f).isEqualTo(0.0);
      assertThat(value(r[1], "probe_tcp_outcome{errno=\"\",outcome=\"bad_target\"}"))
          .as(f).isEqualTo(1.0);
      assertThat(r[1]).as(f).doesNotContain("probe_ip_protocol");
    }
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<HttpResponse<String>>> probes = new ArrayList<>();
    int i = 0;
    for (String b : bad) {
      String[] r = raw(b);
      assertThat(r[0]).as(b).isEqualTo("400");
      // (a request line that is not a URI is answered by the JDK's HTTP server itself:
      // "<h1>400 Bad Request</h1>URISyntaxException thrown", still one line)
      assertThat(r[1]).as(b).hasLineCount(1).doesNotContain("java.").doesNotContain("\tat ");
      if (i++ % 10 == 0) {
        probes.add(pool.submit(() -> get("/probe?target=127.0.0.1:" + port)));
      }
    }
    assertThat(get("/probe?target=127.0.0.1:" + port, "X-Prometheus-Scrape-Timeout-Seconds", "abc")
        .statusCode()).isEqualTo(400);
    for (Future<HttpResponse<String>> f : probes) {
      assertThat(value(f.get().body(), "probe_success")).isEqualTo(1.0);
    }
    pool.close();
    assertThat(log.toString().lines().count()).as(log.toString()).isEqualTo(1);
  }

  @Test
  void pastMaxConcurrentCounted503sAndNoDescriptorLeft() throws Exception {
    // each probe resolves slowly, so 1,000 at once overrun 100 slots
    Resolver slow = host -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        throw new java.net.UnknownHostException("interrupted");
      }
      return List.of(InetAddress.getByName("127.0.0.1"));
    };
    // connections for all 1,000 at once: this is about --max-concurrent, not --max-connections
    exporter = new Exporter(new Exporter.Settings(new InetSocketAddress("127.0.0.1", 0), null,
        Duration.ofMillis(500), Cidrs.ANY, 100), new Exporter.Http(1200,
        Exporter.Http.DEFAULT_REQUEST_TIMEOUT, null), slow,
        new Log(new PrintWriter(log, true), Log.Level.INFO, Log.Format.LOGFMT));
    exporter.start();
    int port = openPort();
    get("/probe?target=127.0.0.1:" + port); // warm up
    long fdsBefore = fds();
    int ok = 0;
    int busy = 0;
    try (HttpClient many = HttpClient.newBuilder().executor(
        Executors.newVirtualThreadPerTaskExecutor()).build()) {
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int n = 0; n < 1000; n++) {
        all.add(many.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + exporter.address().getPort() + "/probe?target=slow.test:" + port))
            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (var f : all) {
        HttpResponse<String> r = f.get();
        if (r.statusCode() == 200) {
          ok++;
          assertThat(value(r.body(), "probe_success")).as(r.body()).isEqualTo(1.0);
        } else {
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
          assertThat(r.body()).contains("--max-concurrent 100").hasLineCount(1);
          busy++;
        }
      }
    }
    assertThat(ok + busy).isEqualTo(1000);
    assertThat(busy).isPositive();
    assertThat(ok).isGreaterThanOrEqualTo(100);
    String m = get("/metrics").body();
    assertThat(value(m, "tcpdial_requests_rejected_total{reason=\"overloaded\"}")).isEqualTo(busy);
    assertThat(value(m, "tcpdial_probes_in_flight")).isEqualTo(0.0);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (fds() > fdsBefore + 4 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(fds()).isLessThanOrEqualTo(fdsBefore + 4);
  }

  static long fds() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  @Test
  void brokenReloadKeepsTheOldConfiguration() throws Exception {
    start(BLACKBOX_YML, Cidrs.ANY, 100, Resolver.system());
    Files.writeString(dir.resolve("blackbox.yml"), """
        modules:
          tcp_connect:
            prober: tcp
            timeout: soon
        """);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + exporter.address().getPort() + "/-/reload")).POST(HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(log.toString()).contains("reload (POST /-/reload) failed, keeping the previous"
        + " configuration").contains("blackbox.yml:4: modules.tcp_connect.timeout: cannot unmarshal !!str `soon` into"
            + " time.Duration");
    String m = get("/metrics").body();
    assertThat(value(m, "tcpdial_config_last_reload_successful")).isEqualTo(0.0);
    assertThat(value(m, "tcpdial_config_reloads_total{result=\"failure\"}")).isEqualTo(1.0);
    // the old modules still serve
    assertThat(get("/probe?module=closed_ok&target=127.0.0.1:" + Loopback.closedPort())
        .statusCode()).isEqualTo(200);
    // a good file takes, continuous targets included
    int port = openPort();
    Files.writeString(dir.resolve("blackbox.yml"), "modules:\n  m:\n    prober: tcp\n"
        + "targets:\n  - target: 127.0.0.1:" + port + "\n    module: m\n    interval: 100ms\n"
        + "    labels: {site: here}\n");
    assertThat(exporter.reload("test")).isTrue();
    assertThat(get("/probe?module=closed_ok&target=127.0.0.1:1").statusCode()).isEqualTo(400);
    Thread.sleep(700);
    m = get("/metrics").body();
    assertThat(value(m, "tcpdial_config_last_reload_successful")).isEqualTo(1.0);
    assertThat(value(m, "tcpdial_connects_total{module=\"m\",outcome=\"connected\",site=\"here\","
        + "target=\"127.0.0.1:" + port + "\"}")).isGreaterThanOrEqualTo(3.0);
    // numbers as client_golang writes them (1, 0.0001, 1.796438199e+09), not as Java does
    assertThat(m).contains(
        "tcpdial_connect_seconds_bucket{module=\"m\",site=\"here\",target=\"127.0.0.1:"
            + port + "\",le=\"0.0001\"}")
        .contains("tcpdial_config_last_reload_successful 1\n")
        .containsPattern("(?m)^tcpdial_config_last_reload_success_timestamp_seconds"
            + " \\d\\.\\d+e\\+09$")
        .contains("jvm_memory_used_bytes")
        .doesNotContainPattern("(?m)^[a-z_]+(\\{.*\\})? [-0-9.]+E[-0-9]+$")
        .doesNotContainPattern("(?m)^[a-z_]+(\\{.*\\})? -?[0-9]+\\.0$");
    String om = get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0").body();
    assertThat(om).contains("tcpdial_config_last_reload_successful 1.0\n")
        .contains("le=\"0.0001\"}").contains("le=\"1.0\"}")
        .containsPattern("(?m)^tcpdial_config_last_reload_success_timestamp_seconds"
            + " \\d\\.\\d+e\\+09$")
        .doesNotContainPattern("(?m)^[a-z_]+(\\{.*\\})? [-0-9.]+E[-0-9]+$")
        .endsWith("# EOF\n");
    assertThat(get("/").body()).contains("127.0.0.1:" + port).contains("connected");
  }

  @Test
  void addressPlanFollowsTheModule() throws Exception {
    InetAddress a4 = InetAddress.getByName("198.18.0.1");
    InetAddress b4 = InetAddress.getByName("198.18.0.2");
    InetAddress a6 = InetAddress.getByName("fd00::1");
    List<InetAddress> found = List.of(a4, b4, a6);
    Module he = Module.builtIn(); // ip6 preferred, fallback, Happy Eyeballs
    assertThat(Prober.plan(found, he, "x")).containsExactly(a6, a4, b4);
    Module single = new Module("s", Duration.ZERO, true, true, null, false, null, 0, 0,
        dev.tcpdial.Family.ANY, null, "");
    assertThat(Prober.plan(found, single, "x")).containsExactly(a6);
    // no address of the preferred family: blackbox_exporter's fallback is the last it saw
    assertThat(Prober.plan(List.of(a4, b4), single, "x")).containsExactly(b4);
    Module v4only = new Module("v", Duration.ZERO, false, false, null, true, null, 0, 0,
        dev.tcpdial.Family.ANY, null, "");
    assertThat(Prober.plan(found, v4only, "x")).containsExactly(a4, b4);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Prober.plan(List.of(a6), v4only, "x"))
        .hasMessageContaining("no IPv4");
    assertThat(Prober.host(a6)).isEqualTo("fd00::1");
    assertThat(Prober.host(InetAddress.getByName("fd00:0:0:2::2"))).isEqualTo("fd00:0:0:2::2");
  }

  @Test
  void configErrorsAreOneLine() {
    for (String yaml : List.of("modules: [",
        "modules:\n  a:\n    prober: tcp\n    tcp:\n      tls_cfg: 1\n",
        "modules:\n  a:\n    prober: tcp\n    tcpdial:\n      expect: maybe\n", "foo: 1\n",
        "modules:\n  a:\n    prober: tcp\ntargets:\n  - target: 127.0.0.1\n    module: a\n",
        "modules:\n  a:\n    prober: tcp\ntargets:\n  - target: 127.0.0.1:1\n    module: b\n",
        "modules:\n  a:\n    prober: tcp\n    tcp:\n      tls: 1\n")) {
      try {
        Config.parse(yaml, "f.yml");
        throw new AssertionError("accepted: " + yaml);
      } catch (Config.Invalid e) {
        assertThat(e.getMessage()).matches("f\\.yml:[0-9]+: .*").doesNotContain("\n");
      }
    }
  }

  /** Found by fuzzing: each of these threw StackOverflowError or a message of two lines. */
  @Test
  void deepSelfReferringOrLineBreakingConfigsGetOneLine() throws Exception {
    Map<String, String> cases = Map.of(
        "[".repeat(3000), "f.yml:1: nested deeper than 64 levels",
        "{a: ".repeat(3000), "f.yml:1: nested deeper than 64 levels",
        "modules: {m: {prober: http, http: {oauth2: {client_id: a, token_url: b, claims: &t"
            + " {k: [[*t]]}}}}}\n",
        "f.yml:1: modules.m.http.oauth2.claims.k: an alias refers to a collection that contains"
            + " it",
        "modules:\n  \"a\\nb\":\n    prober: tcp\n    bogus: 1\n",
        "f.yml:4: modules.a\\nb.bogus: field bogus not found in type config.plain (known: dns,"
            + " grpc, http, icmp, prober, tcp, tcpdial, timeout, unix, websocket)",
        "modules: {m: {prober: \"http\\nx\"}}\n",
        "f.yml:1: modules.m.prober: prober 'http\\nx' is not valid (one of http, tcp, icmp, dns,"
            + " grpc, unix, websocket)");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      try {
        Config.parse(c.getKey(), "f.yml");
        throw new AssertionError("accepted: " + c.getKey());
      } catch (Config.Invalid e) {
        assertThat(e.getMessage()).isEqualTo(c.getValue());
      }
    }
    // accepted as blackbox_exporter accepts it, not served, and the reason is one line
    Config c = Config.parse("modules: {m: {prober: tcp, tcp: {source_ip_address: "
        + "\"1.2.3.4\\n\"}}}\n", "f.yml");
    assertThat(c.notServed()).containsEntry("m", "tcp.source_ip_address: '1.2.3.4\\n' is not an"
        + " IP address (blackbox_exporter fails every probe of this module)");
    // shared parts through aliases are fine, and 55 levels are
    String oauth = "{prober: http, http: {oauth2: {client_id: a, token_url: b, claims: ";
    assertThat(Config.parse("modules: {a: " + oauth + "&x {k: [1, 2]}}}}, b: " + oauth
        + "{a: *x, b: *x, c: [*x]}}}}}\n", "f.yml").notServed()).hasSize(2);
    assertThat(Config.parse("modules: {m: " + oauth + "{k: " + "[".repeat(50) + "]".repeat(50)
        + "}}}}}\n", "f.yml").notServed()).containsKey("m");
  }

  @Test
  void deadlineFollowsTheScrapeTimeoutMinusOffsetCappedByTheModule() throws Exception {
    start(BLACKBOX_YML, Cidrs.ANY, 100, Resolver.system());
    Module m = Config.parse(BLACKBOX_YML, "x").modules().get("tcp_connect"); // timeout 2s
    assertThat(exporter.deadline("10", m)).isEqualTo(Duration.ofSeconds(2));
    assertThat(exporter.deadline("1.5", m)).isEqualTo(Duration.ofSeconds(1));
    assertThat(exporter.deadline(null, m)).isEqualTo(Duration.ofSeconds(2));
    Module none = Module.builtIn();
    assertThat(exporter.deadline("3", new Module("n", Duration.ZERO, true, true, null, true, null,
        0, 0, dev.tcpdial.Family.ANY, null, ""))).isEqualTo(Duration.ofMillis(2500));
    assertThat(exporter.deadline("0.2", none)).isEqualTo(Duration.ofSeconds(5));
  }

  /**
   * Issue 22 item 1: a module without a timeout took the scraper's header as it came, so
   * {@code 1e9} made a probe of 999,999,999.5 s. The header now counts for 120 s at the most.
   */
  @Test
  void noScrapeTimeoutHeaderMakesAProbeLongerThanTheCeiling() throws Exception {
    start(BLACKBOX_YML, Cidrs.ANY, 100, Resolver.system());
    Module untimed = new Module("n", Duration.ZERO, true, true, null, true, null, 0, 0,
        dev.tcpdial.Family.ANY, null, "");
    Duration ceiling = Duration.ofMillis(119_500); // 120 s less the 0.5 s offset
    for (String h : List.of("1e9", "1e308", "121", "86400", "120.0001")) {
      assertThat(exporter.deadline(h, untimed)).as(h).isEqualTo(ceiling);
    }
    assertThat(exporter.deadline(null, untimed)).isEqualTo(ceiling);
    assertThat(exporter.deadline("10", untimed)).isEqualTo(Duration.ofMillis(9500));
    for (String h : List.of("NaN", "Infinity", "-Infinity", "-1", "1e", "0x10", "", " ")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> exporter.deadline(h, untimed))
          .as(h).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("X-Prometheus-Scrape-Timeout-Seconds");
    }
    // a module's own timeout still caps (and is the operator's to choose)
    Module tenMinutes = new Module("t", Duration.ofMinutes(10), true, true, null, true, null, 0,
        0, dev.tcpdial.Family.ANY, null, "");
    assertThat(exporter.deadline("1e9", tenMinutes)).isEqualTo(ceiling);
    // through HTTP: the probe says what it waited for
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      Files.writeString(dir.resolve("blackbox.yml"), "modules:\n  untimed:\n    prober: tcp\n");
      assertThat(exporter.reload("test")).isTrue();
      HttpResponse<String> r = get("/probe?module=untimed&debug=true&target=127.0.0.1:"
          + Loopback.closedPort(), "X-Prometheus-Scrape-Timeout-Seconds", "1e9");
      assertThat(value(r.body(), "probe_timeout_seconds")).isEqualTo(119.5);
      assertThat(get("/probe?module=untimed&target=127.0.0.1:" + silent.port(),
          "X-Prometheus-Scrape-Timeout-Seconds", "NaN").statusCode()).isEqualTo(400);
    }
  }

  /**
   * Issue 22 item 1: a probe went on after its client hung up (the JDK's server could not tell),
   * so clients that leave could pile probes up to their deadlines. Now it ends at once.
   */
  @Test
  void aClientThatHangsUpCancelsItsProbeWithinASecond() throws Exception {
    start("modules:\n  untimed:\n    prober: tcp\n", Cidrs.ANY, 100, Resolver.system());
    get("/-/healthy");
    long fdsBefore = fds();
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      List<java.net.Socket> clients = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        java.net.Socket s = new java.net.Socket("127.0.0.1", exporter.address().getPort());
        clients.add(s);
        s.getOutputStream().write(("GET /probe?module=untimed&target=127.0.0.1:" + silent.port()
            + " HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 1e9\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      }
      long end = System.nanoTime() + 5_000_000_000L;
      while (exporter.inFlight() < 20 && System.nanoTime() < end) {
        Thread.sleep(10);
      }
      assertThat(exporter.inFlight()).isEqualTo(20);
      long t0 = System.nanoTime();
      for (java.net.Socket s : clients) {
        s.close();
      }
      while (exporter.inFlight() > 0 && System.nanoTime() - t0 < 5_000_000_000L) {
        Thread.sleep(5);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(exporter.inFlight()).isZero();
      assertThat(ms).as("ms from hang-up to the last probe's end").isLessThan(1000);
      String m = get("/metrics").body();
      assertThat(value(m, "tcpdial_probes_in_flight")).isZero();
      assertThat(value(m, "tcpdial_probes_total{module=\"untimed\",outcome=\"cancelled\"}"))
          .isEqualTo(20);
      System.out.printf("20 clients hung up mid-probe: every probe ended %d ms later%n", ms);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (fds() > fdsBefore + 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(fds()).isLessThanOrEqualTo(fdsBefore + 2);
  }
}
