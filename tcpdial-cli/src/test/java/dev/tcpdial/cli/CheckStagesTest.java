package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.exporter.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check --tls} and {@code check --module} against real TLS servers (OpenSSL's {@code
 * s_server} with certificates made here: valid, expired, not yet valid, from an unknown CA, for
 * another name, TLS 1.0 only) and peers that break TLS on purpose (plain text, a reset
 * mid-handshake, silence), all on loopback: each of the eight failures is named as the exporter's
 * {@code probe_tls_outcome} names it, in every format, also by a process under {@code
 * LC_ALL=de_DE.UTF-8} and a German JDK locale; exit codes 11 and 12; a served module run once.
 */
class CheckStagesTest {
  @TempDir
  static Path dir;
  static TestPki pki;
  static final List<Process> servers = new ArrayList<>();
  static final List<ServerSocket> peers = new ArrayList<>();
  static String skip;
  static int good;
  static int expired;
  static int notYet;
  static int stranger;
  static int otherName;
  static int tls10;
  static int plain;
  static int reset;
  static int silent;
  static int smtp;
  static int bannerThenClose;

  /** The eight failures and the valid server, in this order on every command line. */
  static List<String> targets() {
    return List.of("127.0.0.1:" + expired, "127.0.0.1:" + notYet, "127.0.0.1:" + stranger,
        "127.0.0.1:" + otherName, "127.0.0.1:" + tls10, "127.0.0.1:" + plain,
        "127.0.0.1:" + reset, "127.0.0.1:" + silent, "127.0.0.1:" + good);
  }

  static final List<String> OUTCOMES = List.of("certificate_expired", "certificate_not_yet_valid",
      "unknown_authority", "hostname_mismatch", "protocol_version", "not_tls", "reset", "timeout",
      "established");

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/openssl"))) {
      skip = "needs /usr/bin/openssl (scripts/setup-test-deps.sh installs it as root)";
      return;
    }
    pki = new TestPki(dir.resolve("pki"));
    Instant now = Instant.now();
    List<String> name = List.of("server.test");
    good = sServer(pki.server("good", "server.test", "127.0.0.1"));
    expired = sServer(pki.server("expired", name, now.minus(Duration.ofDays(30)),
        now.minus(Duration.ofDays(1)), true));
    notYet = sServer(pki.server("notyet", name, now.plus(Duration.ofDays(1)),
        now.plus(Duration.ofDays(30)), true));
    stranger = sServer(pki.server("stranger", name, now.minus(Duration.ofHours(1)),
        now.plus(Duration.ofDays(30)), false));
    otherName = sServer(pki.server("other", "other.test"));
    tls10 = sServer(pki.server("tls10", "server.test"), "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0");
    plain = peer(c -> {
      c.getOutputStream().write("220 plain.test ESMTP ready\r\n".getBytes(StandardCharsets.US_ASCII));
      c.getInputStream().transferTo(OutputStream.nullOutputStream());
    });
    reset = peer(c -> {
      c.getInputStream().readNBytes(5); // the start of the ClientHello
      c.setSoLinger(true, 0); // close with RST
    });
    silent = peer(c -> c.getInputStream().transferTo(OutputStream.nullOutputStream()));
    smtp = peer(c -> {
      OutputStream out = c.getOutputStream();
      out.write("220 mail.test ESMTP ready\r\n".getBytes(StandardCharsets.US_ASCII));
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(),
          StandardCharsets.US_ASCII));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.equals("QUIT")) {
          out.write("221 mail.test closing\r\n".getBytes(StandardCharsets.US_ASCII));
          return;
        }
      }
    });
    bannerThenClose = peer(c -> c.getOutputStream().write(
        "220 mail.test ESMTP ready\r\n".getBytes(StandardCharsets.US_ASCII)));
    for (int p : List.of(good, expired, notYet, stranger, otherName, tls10)) {
      awaitPort(p);
    }
  }

  interface Behaviour {
    void serve(Socket c) throws IOException;
  }

  /** A peer on 127.0.0.1, a port of the kernel's choice; each connection on a thread of its own. */
  static int peer(Behaviour b) throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    peers.add(s);
    Thread.ofVirtual().start(() -> {
      while (!s.isClosed()) {
        try {
          Socket c = s.accept();
          Thread.ofVirtual().start(() -> {
            try (c) {
              b.serve(c);
            } catch (IOException e) {
              // the probe went away
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });
    return s.getLocalPort();
  }

  /** {@code openssl s_server} on 127.0.0.1 with {@code pair}; returns its port. */
  static int sServer(TestPki.Pair pair, String... extra) throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort(); // free now; s_server takes it a moment later
    }
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/openssl", "s_server", "-quiet",
        "-accept", "127.0.0.1:" + port, "-cert", pair.cert().toString(), "-key",
        pair.key().toString()));
    cmd.addAll(List.of(extra));
    servers.add(new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("s_server-" + port + ".log").toFile()).start());
    return port;
  }

  static void awaitPort(int port) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("s_server does not listen on " + port + ": "
        + Files.readString(dir.resolve("s_server-" + port + ".log")));
  }

  @AfterAll
  static void stop() throws Exception {
    for (ServerSocket s : peers) {
      s.close();
    }
    for (Process p : servers) {
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  static String[] args(String... first) {
    List<String> a = new ArrayList<>(List.of(first));
    a.addAll(targets());
    return a.toArray(String[]::new);
  }

  static void assertRows(List<JsonNode> rows, String what) {
    assertThat(rows).as(what).hasSize(OUTCOMES.size());
    for (int i = 0; i < rows.size(); i++) {
      JsonNode r = rows.get(i);
      assertThat(r.get("target").asText()).isEqualTo(targets().get(i));
      assertThat(r.get("outcome").asText()).as(what + " " + r).isEqualTo("connected");
      assertThat(r.get("tls").get("outcome").asText()).as(what + " " + r)
          .isEqualTo(OUTCOMES.get(i));
      assertThat(r.get("success").asBoolean()).as(what + " " + r)
          .isEqualTo(OUTCOMES.get(i).equals("established"));
    }
    JsonNode ok = rows.getLast().get("tls");
    assertThat(ok.get("version").asText()).isEqualTo("TLS 1.3");
    assertThat(ok.get("cert_days_left").asLong()).as(ok.toString()).isEqualTo(89);
    assertThat(Instant.parse(ok.get("cert_not_after").asText())).isAfter(Instant.now());
    // the chain is known when a certificate check failed: how long ago, how long until
    assertThat(rows.get(0).get("tls").get("cert_days_left").asLong()).isEqualTo(-1);
    assertThat(rows.get(1).get("tls").get("cert_days_left").asLong()).isEqualTo(29);
    assertThat(rows.get(4).get("tls").get("cert_days_left").isNull()).isTrue();
    for (JsonNode r : rows) {
      assertThat(r.get("tls").get("alert").asText()).isEmpty();
    }
  }

  @Test
  void everyTlsFailureIsNamedInJsonTextAndCsv() {
    assumeTrue(skip == null, skip);
    Cli.Run json = Cli.run(args("check", "--tls", "--ca-file", pki.caFile().toString(), "--sni",
        "server.test", "--timeout", "1s", "--format", "json"));
    assertThat(json.code()).as(json.out() + json.err()).isEqualTo(ExitCodes.TLS);
    assertRows(json.results(), "json");
    JsonNode summary = json.summary();
    assertThat(summary.get("tls").get("established").asInt()).isEqualTo(1);
    assertThat(summary.get("tls").get("certificate_expired").asInt()).isEqualTo(1);
    assertThat(summary.get("exit_code").asInt()).isEqualTo(11);

    Cli.Run text = Cli.run(args("check", "--tls", "--ca-file", pki.caFile().toString(), "--sni",
        "server.test", "--timeout", "1s"));
    assertThat(text.code()).isEqualTo(ExitCodes.TLS);
    List<String> lines = text.lines();
    for (int i = 0; i < OUTCOMES.size(); i++) {
      assertThat(lines.get(i)).startsWith(targets().get(i)).contains("connected")
          .contains("tls " + OUTCOMES.get(i));
    }
    assertThat(lines.get(OUTCOMES.size() - 1)).contains("TLS 1.3")
        .containsPattern("certificate expires \\d{4}-\\d\\d-\\d\\d \\(89 days\\)");
    assertThat(lines.getFirst()).containsPattern("certificate expired \\d{4}-\\d\\d-\\d\\d \\(-1 day\\)");
    assertThat(lines.get(OUTCOMES.size())).contains("9 targets: 9 connected")
        .contains("tls: 1 certificate_expired").contains("1 established");
    Cli.assertNoStackTrace(text.err());

    Cli.Run csv = Cli.run(args("check", "--tls", "--ca-file", pki.caFile().toString(), "--sni",
        "server.test", "--timeout", "1s", "--format", "csv"));
    assertThat(csv.code()).isEqualTo(ExitCodes.TLS);
    List<String> rows = csv.lines();
    List<String> header = List.of(rows.getFirst().split(","));
    int outcome = header.indexOf("tls_outcome");
    int version = header.indexOf("tls_version");
    int days = header.indexOf("cert_days_left");
    assertThat(header).contains("tls_alert", "cert_not_after", "query_outcome", "success");
    for (int i = 0; i < OUTCOMES.size(); i++) {
      String[] f = rows.get(i + 1).split(",", -1);
      assertThat(f).hasSize(header.size());
      assertThat(f[outcome]).isEqualTo(OUTCOMES.get(i));
    }
    String[] last = rows.get(OUTCOMES.size()).split(",", -1);
    assertThat(last[version]).isEqualTo("TLS 1.3");
    assertThat(last[days]).isEqualTo("89");
  }

  @Test
  void theSameUnderAGermanLocaleInAProcessOfItsOwn() throws Exception {
    assumeTrue(skip == null, skip);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-Duser.language=de",
        "-Duser.country=DE", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args("check", "--tls", "--ca-file", pki.caFile().toString(), "--sni",
        "server.test", "--timeout", "1s", "--format", "json")));
    ProcessBuilder b = new ProcessBuilder(cmd).redirectError(dir.resolve("de.err").toFile());
    b.environment().put("LC_ALL", "de_DE.UTF-8");
    b.environment().put("LANG", "de_DE.UTF-8");
    Process p = b.start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    } finally {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    String err = Files.readString(dir.resolve("de.err"));
    assertThat(p.exitValue()).as(err).isEqualTo(ExitCodes.TLS);
    Cli.Run r = new Cli.Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), err);
    assertRows(r.results(), "de_DE");
    Cli.assertNoStackTrace(err);
  }

  @Test
  void aServedModuleRunsOnceWithEachStageNamed() throws Exception {
    assumeTrue(skip == null, skip);
    Path config = dir.resolve("blackbox.yml");
    Files.writeString(config, """
        modules:
          smtp_banner:
            prober: tcp
            timeout: 3s
            tcp:
              query_response:
                - expect: "^220 ([^ ]+) ESMTP"
                - send: "QUIT\\r"
                - expect: "^221 "
          ssh_banner:
            prober: tcp
            timeout: 3s
            tcp:
              query_response:
                - expect: "^SSH-2.0-"
          tls_case:
            prober: tcp
            timeout: 3s
            tcp:
              tls: true
              tls_config:
                ca_file: %s
                server_name: server.test
          connect:
            prober: tcp
            timeout: 2s
          closed_ok:
            prober: tcp
            timeout: 2s
            tcpdial:
              expect: closed
          http_2xx:
            prober: http
        """.formatted(pki.caFile()));
    String c = config.toString();
    Cli.Run ok = Cli.run("check", "--module", "smtp_banner", "--config", c, "--format", "json",
        "127.0.0.1:" + smtp);
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    JsonNode row = ok.results().getFirst();
    assertThat(row.get("module").asText()).isEqualTo("smtp_banner");
    assertThat(row.get("query").get("outcome").asText()).isEqualTo("completed");
    assertThat(row.get("tls").get("outcome").asText()).isEqualTo("not_configured");
    assertThat(row.get("success").asBoolean()).isTrue();

    Cli.Run mismatch = Cli.run("check", "--module", "ssh_banner", "--config", c, "-v",
        "127.0.0.1:" + bannerThenClose);
    assertThat(mismatch.code()).as(mismatch.out()).isEqualTo(ExitCodes.DIALOGUE);
    assertThat(mismatch.lines().getFirst()).contains("connected")
        .contains("query expect_mismatch at step 1").contains("probe_success 0");
    assertThat(mismatch.out()).contains("query: step 1: read \"220 mail.test ESMTP ready\"");

    Cli.Run tls = Cli.run("check", "--module", "tls_case", "--config", c, "--format", "json",
        "127.0.0.1:" + good, "127.0.0.1:" + expired);
    assertThat(tls.code()).isEqualTo(ExitCodes.TLS);
    assertThat(tls.results().get(0).get("tls").get("outcome").asText()).isEqualTo("established");
    assertThat(tls.results().get(1).get("tls").get("outcome").asText())
        .isEqualTo("certificate_expired");
    assertThat(tls.results().get(1).get("query").get("outcome").asText())
        .isEqualTo("not_configured");
    assertThat(tls.summary().get("success").asInt()).isEqualTo(1);

    // connect-only: the exporter's native engine where it runs, errno and time as check gives
    int closed = dev.tcpdial.cli.targets.Loopback.closedPort();
    Cli.Run refused = Cli.run("check", "--module", "connect", "--config", c, "--format", "json",
        "127.0.0.1:" + closed, "127.0.0.1:" + smtp);
    assertThat(refused.code()).isEqualTo(ExitCodes.REFUSED);
    JsonNode r0 = refused.results().get(0);
    assertThat(r0.get("outcome").asText()).isEqualTo("refused");
    assertThat(r0.get("errno").asText()).isEqualTo("ECONNREFUSED");
    assertThat(r0.get("time_ms").asDouble()).isBetween(0.0, 2000.0);
    assertThat(r0.get("engine").asText()).isIn("uring", "epoll", "jdk");
    assertThat(refused.results().get(1).get("outcome").asText()).isEqualTo("connected");
    Cli.Run expectClosed = Cli.run("check", "--module", "closed_ok", "--config", c,
        "127.0.0.1:" + closed);
    assertThat(expectClosed.code()).as(expectClosed.out()).isZero();
    assertThat(expectClosed.out()).contains("expect closed: ok").contains("probe_success 1");
  }

  @Test
  void badCombinationsAndFilesAreOneLineUsageErrors() throws Exception {
    Path bad = dir.resolve("bad.yml");
    Files.writeString(bad, "modules:\n  m:\n    prober: tcp\n    tcp:\n      nope: 1\n");
    Path served = dir.resolve("served.yml");
    Files.writeString(served, "modules:\n  http_2xx:\n    prober: http\n  c:\n    prober: tcp\n");
    List<List<String>> cases = List.of(
        List.of("check", "--sni", "x.test", "127.0.0.1:1"),
        List.of("check", "--insecure", "127.0.0.1:1"),
        List.of("check", "--tls", "--ca-file", "/nonexistent/ca.pem", "127.0.0.1:1"),
        List.of("check", "--tls", "--ca-file", "/dev/zero", "127.0.0.1:1"),
        List.of("check", "--tls", "--engine", "uring", "127.0.0.1:1"),
        List.of("check", "--module", "c", "127.0.0.1:1"),
        List.of("check", "--config", served.toString(), "127.0.0.1:1"),
        List.of("check", "--module", "c", "--config", served.toString(), "--tls", "127.0.0.1:1"),
        List.of("check", "--module", "c", "--config", served.toString(), "-4", "127.0.0.1:1"),
        List.of("check", "--module", "http_2xx", "--config", served.toString(), "127.0.0.1:1"),
        List.of("check", "--module", "nope", "--config", served.toString(), "127.0.0.1:1"),
        List.of("check", "--module", "m", "--config", bad.toString(), "127.0.0.1:1"),
        List.of("check", "--module", "m", "--config", "/nonexistent.yml", "127.0.0.1:1"));
    for (List<String> a : cases) {
      Cli.Run r = Cli.run(a.toArray(String[]::new));
      assertThat(r.code()).as(a + ": " + r.err()).isEqualTo(ExitCodes.USAGE);
      assertThat(r.out()).as(a.toString()).isEmpty();
      assertThat(r.err()).as(a.toString()).hasLineCount(1).startsWith("tcpdial check: ");
      Cli.assertNoStackTrace(r.err());
    }
    assertThat(Cli.run("check", "--module", "http_2xx", "--config", served.toString(),
        "127.0.0.1:1").err()).contains("not served: prober http");
    assertThat(Cli.run("check", "--tls", "--ca-file", "/dev/zero", "127.0.0.1:1").err())
        .contains("--ca-file /dev/zero: not a regular file");
  }

  @Test
  void theNewExitCodesAreRankedAndDocumented() throws Exception {
    assertThat(ExitCodes.worst(ExitCodes.TLS, ExitCodes.DIALOGUE)).isEqualTo(ExitCodes.TLS);
    assertThat(ExitCodes.worst(ExitCodes.TLS, ExitCodes.REFUSED)).isEqualTo(ExitCodes.REFUSED);
    assertThat(ExitCodes.worst(ExitCodes.OK, ExitCodes.DIALOGUE)).isEqualTo(ExitCodes.DIALOGUE);
    String man = Cli.run("man").out();
    assertThat(man).contains(".B 11\n").contains(".B 12\n");
    String doc = Files.readString(Path.of("EXIT_CODES.md"));
    assertThat(doc).contains("| 11 |").contains("| 12 |").contains("0, 12, 11, 3,");
    assertThat(Cli.run("check", "--help").out()).contains("--tls").contains("--module")
        .contains("11 TLS failed, 12 dialogue failed");
  }
}
