package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.tcpdial.Resolver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --web.config.file} in the exporter toolkit's format: what is refused (one line), and a
 * served exporter over TLS with basic authentication, headers, client certificates and changes
 * taken without a restart.
 */
class WebConfigTest {
  @TempDir
  static Path dir;
  static Certs certs;
  final StringWriter log = new StringWriter();
  Exporter exporter;

  @AfterEach
  void stop() {
    if (exporter != null) {
      exporter.close();
    }
  }

  static final String HASH = BCrypt.with(BCrypt.Version.VERSION_2Y)
      .hashToString(10, "s3cret".toCharArray());

  @Test
  void refusedWithOneLineNamingTheField() {
    Map<String, String> cases = Map.ofEntries(
        Map.entry("tls_server_config:\n  cert_file: a\n  key_file: b\n  bogus: 1\n",
            "w.yml: tls_server_config: unknown field 'bogus' (known: cert, cert_file,"
                + " cipher_suites, client_allowed_sans, client_auth_type, client_ca,"
                + " client_ca_file, curve_preferences, key, key_file, max_version, min_version,"
                + " prefer_server_cipher_suites)"),
        Map.entry("tls_config: {}\n", "w.yml: unknown field 'tls_config' (known:"
            + " basic_auth_users, http_server_config, rate_limit, tls_server_config)"),
        Map.entry("tls_server_config:\n  key_file: b\n",
            "w.yml: tls_server_config: missing one of cert or cert_file"),
        Map.entry("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n",
            "w.yml: tls_server_config.client_auth_type: invalid ClientAuth 'Maybe' (one of"
                + " NoClientCert, RequestClientCert, RequireAnyClientCert,"
                + " VerifyClientCertIfGiven, RequireAndVerifyClientCert)"),
        Map.entry("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
            "w.yml: tls_server_config: client CA's have been configured without a Client Auth"
                + " Policy (client_auth_type)"),
        Map.entry("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
            "w.yml: tls_server_config.min_version: unknown TLS version: 'TLS14' (TLS10, TLS11,"
                + " TLS12, TLS13)"),
        Map.entry("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
            + "  max_version: TLS12\n",
            "w.yml: tls_server_config: min_version TLS13 is above max_version TLS12"),
        Map.entry("http_server_config:\n  headers:\n    Server: x\n",
            "w.yml: http_server_config.headers: HTTP header 'Server' can not be configured"
                + " (allowed: Content-Security-Policy, Strict-Transport-Security,"
                + " X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)"),
        Map.entry("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
            "w.yml: http_server_config.headers: invalid value for X-Frame-Options: 'allow' (one"
                + " of: deny, sameorigin)"),
        Map.entry("http_server_config:\n  http3: true\n",
            "w.yml: http_server_config: unknown field 'http3' (known: headers, http2)"),
        Map.entry("basic_auth_users:\n  alice: s3cret\n", "w.yml: basic_auth_users.alice: not a"
            + " bcrypt hash ($2y$10$ and 53 characters; htpasswd -nBC 10 \"\")"),
        Map.entry("basic_auth_users: [alice]\n", "w.yml: basic_auth_users: a mapping of fields"),
        Map.entry("rate_limit:\n  interval: soon\n",
            "w.yml: rate_limit.interval: time: invalid duration \"soon\""),
        Map.entry("a: &x [*x]\n", "w.yml: unknown field 'a' (known: basic_auth_users,"
            + " http_server_config, rate_limit, tls_server_config)"),
        Map.entry("[", "w.yml: not valid YAML:"));
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertThatThrownBy(() -> WebConfig.parse(c.getKey(), "w.yml", dir)).as(c.getKey())
          .isInstanceOf(WebConfig.Invalid.class)
          .hasMessageStartingWith(c.getValue())
          .hasMessageNotContaining("\n");
    }
  }

  @Test
  void theToolkitsExampleIsAccepted() throws Exception {
    WebConfig c = WebConfig.parse("""
        tls_server_config:
          cert_file: server.crt
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: ca.pem
          client_allowed_sans: [scraper.test]
          min_version: TLS12
          max_version: TLS13
          cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
          prefer_server_cipher_suites: true
          curve_preferences: [X25519, CurveP256]
        http_server_config:
          http2: false
          headers:
            X-Frame-Options: deny
            X-Content-Type-Options: nosniff
            Strict-Transport-Security: max-age=31536000
        basic_auth_users:
          alice: %s
        rate_limit:
          interval: 100ms
          burst: 5
        """.formatted(HASH), "w.yml", dir);
    assertThat(c.tls().certFile()).isEqualTo(dir.resolve("server.crt"));
    assertThat(c.tls().clientAuth()).isEqualTo("RequireAndVerifyClientCert");
    assertThat(c.headers()).containsEntry("X-Frame-Options", "deny").hasSize(3);
    assertThat(c.users()).containsOnlyKeys("alice");
    assertThat(c.rateLimit()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.burst()).isEqualTo(5);
    assertThat(WebConfig.parse("", "w.yml", dir).tls()).isNull();
  }

  Exporter serve(String webYaml, Log.Level level) throws Exception {
    Path web = dir.resolve("web.yml");
    Files.writeString(web, webYaml);
    exporter = new Exporter(new Exporter.Settings(new InetSocketAddress("127.0.0.1", 0), null,
        Duration.ofMillis(500), Cidrs.ANY, 10), new Exporter.Http(10 + 2 * Exporter.RESERVE,
        Duration.ofSeconds(5), web), Resolver.system(),
        new Log(new PrintWriter(log, true), level, Log.Format.LOGFMT));
    exporter.start();
    return exporter;
  }

  static HttpResponse<String> get(SSLContext tls, String url, String user, String pass)
      throws Exception {
    try (HttpClient c = HttpClient.newBuilder().sslContext(tls)
        .connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(10));
      if (user != null) {
        b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            (user + ":" + pass).getBytes(StandardCharsets.UTF_8)));
      }
      return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void tlsBasicAuthAndHeadersThenClientCertificatesWithoutARestart() throws Exception {
    certs = certs == null ? Certs.make(dir) : certs;
    serve("""
        tls_server_config:
          cert_file: server.pem
          key_file: server.key
        http_server_config:
          headers:
            X-Frame-Options: deny
            Strict-Transport-Security: max-age=31536000
        basic_auth_users:
          alice: %s
        """.formatted(HASH), Log.Level.INFO);
    assertThat(log.toString()).contains("listening on 127.0.0.1:" + exporter.address().getPort()
        + " (TLS)").contains("web config " + dir.resolve("web.yml"));
    String base = "https://127.0.0.1:" + exporter.address().getPort();
    SSLContext trusting = certs.client("ca.pem", false);
    HttpResponse<String> none = get(trusting, base + "/metrics", null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Basic");
    assertThat(none.headers().firstValue("X-Frame-Options")).hasValue("deny");
    assertThat(get(trusting, base + "/metrics", "alice", "wrong").statusCode()).isEqualTo(401);
    assertThat(get(trusting, base + "/metrics", "mallory", "s3cret").statusCode())
        .isEqualTo(401);
    HttpResponse<String> ok = get(trusting, base + "/metrics", "alice", "s3cret");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).contains("tcpdial_build_info{");
    assertThat(ok.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
    assertThat(get(trusting, base + "/probe?target=127.0.0.1:" + Loopback.closedPort(), "alice",
        "s3cret").body()).contains("outcome=\"refused\"");
    // a CA the client does not trust, and plain HTTP to the TLS port: nothing served
    assertThatThrownBy(() -> get(certs.client("other-ca.pem", false), base + "/-/healthy", null,
        null)).isInstanceOf(SSLHandshakeException.class);
    assertThatThrownBy(() -> get(trusting, base.replace("https", "http") + "/-/healthy", null,
        null)).isInstanceOf(java.io.IOException.class);

    // the file changes: client certificates required from the next connection, the PKCS#1 RSA
    // key now, no more users
    Files.writeString(dir.resolve("web.yml"), """
        tls_server_config:
          cert_file: server-rsa.pem
          key_file: server-rsa.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: ca.pem
          client_allowed_sans: [scraper.test]
        """);
    assertThatThrownBy(() -> get(trusting, base + "/-/healthy", null, null))
        .isInstanceOf(java.io.IOException.class);
    HttpResponse<String> withCert = get(certs.client("ca.pem", true), base + "/-/healthy", null,
        null);
    assertThat(withCert.statusCode()).isEqualTo(200);
    assertThat(withCert.headers().firstValue("X-Frame-Options")).isEmpty();
    // SEC1 EC key form
    Files.writeString(dir.resolve("web.yml"), """
        tls_server_config:
          cert_file: server.pem
          key_file: server-sec1.key
        """);
    assertThat(get(trusting, base + "/-/healthy", null, null).statusCode()).isEqualTo(200);
    // broken: 500 (or a refused handshake) until fixed, as the toolkit does; logged once
    Files.writeString(dir.resolve("web.yml"), "tls_server_config:\n  cert_file: nope.pem\n"
        + "  key_file: server.key\n");
    assertThatThrownBy(() -> get(trusting, base + "/-/healthy", null, null))
        .isInstanceOf(java.io.IOException.class);
    assertThat(log.toString()).contains("level=error msg=\"Unable to parse the web"
        + " configuration, answering 500 until it is fixed\" err=\"" + dir.resolve("web.yml")
        + ": tls_server_config.cert_file: cannot read " + dir.resolve("nope.pem")
        + ": no such file\"");
  }

  @Test
  void unknownFieldOrBadKeyAtStartIsAConfigurationError() throws Exception {
    certs = certs == null ? Certs.make(dir) : certs;
    assertThatThrownBy(() -> serve("basic_auth_users:\n  alice: x\n", Log.Level.INFO))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("not a bcrypt hash");
    exporter = null;
    // a key that is not the certificate's
    assertThatThrownBy(() -> serve("tls_server_config:\n  cert_file: server.pem\n"
        + "  key_file: client.key\n", Log.Level.INFO))
        .isInstanceOf(Config.Invalid.class)
        .hasMessageEndingWith("tls_server_config: failed to load X509KeyPair: private key does"
            + " not match public key");
    exporter = null;
    assertThat(certs.path("ca.pem")).exists();
  }

  @Test
  void rateLimitAnswers429PastTheBurst() throws Exception {
    serve("rate_limit:\n  interval: 1h\n  burst: 3\n", Log.Level.INFO);
    String base = "http://127.0.0.1:" + exporter.address().getPort();
    int[] codes = new int[5];
    try (HttpClient c = HttpClient.newHttpClient()) {
      for (int i = 0; i < codes.length; i++) {
        codes[i] = c.send(HttpRequest.newBuilder(URI.create(base + "/-/healthy")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode();
      }
    }
    assertThat(codes).containsExactly(200, 200, 200, 429, 429);
  }

  @Test
  void logFormatsAndBuildInfo() throws Exception {
    StringWriter json = new StringWriter();
    Log j = new Log(new PrintWriter(json, true), Log.Level.WARN, Log.Format.JSON);
    j.info("not written");
    j.warn("a \"quoted\"\nline", "err", "x=1 \\ y", "n", 3);
    assertThat(json.toString()).matches("\\{\"ts\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\","
        + "\"level\":\"warn\",\"msg\":\"a \\\\\"quoted\\\\\" line\",\"err\":\"x=1 \\\\\\\\ y\","
        + "\"n\":\"3\"}\\R");
    StringWriter fmt = new StringWriter();
    Log l = new Log(new PrintWriter(fmt, true), Log.Level.DEBUG, Log.Format.LOGFMT);
    l.debug("plain", "target", "127.0.0.1:80", "why", "a b=\"c\"", "empty", "");
    assertThat(fmt.toString()).matches("ts=\\S+Z level=debug msg=plain target=127.0.0.1:80"
        + " why=\"a b=\\\\\"c\\\\\"\" empty=\"\"\\R");
    assertThatThrownBy(() -> Log.Level.parse("verbose")).hasMessage(
        "'verbose': one of debug, info, warn, error");
    assertThatThrownBy(() -> Log.Format.parse("text")).hasMessage("'text': logfmt or json");

    String[] build = ExporterMetrics.build();
    Properties p = new Properties();
    try (var in = getClass().getResourceAsStream("/dev/tcpdial/exporter/build.properties")) {
      p.load(in);
    }
    assertThat(build[0]).isEqualTo(p.getProperty("version")).doesNotContain("${");
    // built from a git checkout here: the commit; else "unknown"
    assertThat(build[1]).matches("[0-9a-f]{40}|unknown");
    serve("", Log.Level.INFO);
    try (HttpClient c = HttpClient.newHttpClient()) {
      String body = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + exporter.address().getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(body).containsPattern("(?m)^tcpdial_build_info\\{java_version=\""
          + java.util.regex.Pattern.quote(System.getProperty("java.version")) + "\",revision=\""
          + build[1] + "\",version=\"" + build[0] + "\"} 1(\\.0)?$");
    }
    assertThat(List.of(log.toString().split("\n"))).allMatch(line -> line.startsWith("ts="));
  }
}
