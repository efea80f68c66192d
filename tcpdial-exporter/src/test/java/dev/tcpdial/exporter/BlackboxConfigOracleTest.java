package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * blackbox_exporter's own configuration files judged by tcpdial as blackbox_exporter judges them:
 * every file of its {@code config/testdata/} at v0.23.0 (the version Debian ships), its {@code
 * example.yml} and Docker {@code blackbox.yml}, and Debian's {@code /etc/prometheus/blackbox.yml}.
 * When the real blackbox_exporter is installed ({@code scripts/setup-test-deps.sh} installs it),
 * each file also goes through {@code --config.check} and the two verdicts must agree; the table
 * of expected verdicts keeps the test meaningful without it.
 *
 * <p>tcpdial follows upstream main's schema, a superset of 0.23's; main's testdata is judged
 * against main's verdicts (its {@code config_test.go}), which the installed 0.23 cannot give.
 */
class BlackboxConfigOracleTest {
  static final String DIR = "/dev/tcpdial/exporter/blackbox/";
  static final Path BLACKBOX = Path.of("/usr/bin/prometheus-blackbox-exporter");

  /** blackbox_exporter 0.23's verdicts: true = accepted. */
  static final Map<String, Boolean> V023 = new LinkedHashMap<>();

  static {
    V023.put("testdata/blackbox-good.yml", true);
    V023.put("testdata/blackbox-bad.yml", false);
    V023.put("testdata/blackbox-bad2.yml", false);
    V023.put("testdata/invalid-dns-class.yml", false);
    V023.put("testdata/invalid-dns-module.yml", false);
    V023.put("testdata/invalid-dns-type.yml", false);
    V023.put("testdata/invalid-http-body-match-regexp.yml", false);
    V023.put("testdata/invalid-http-body-not-match-regexp.yml", false);
    V023.put("testdata/invalid-http-compression-mismatch-special-case.yml", false);
    V023.put("testdata/invalid-http-compression-mismatch.yml", false);
    V023.put("testdata/invalid-http-header-match-regexp.yml", false);
    V023.put("testdata/invalid-http-header-match.yml", false);
    V023.put("testdata/invalid-http-request-compression-reject-all-encodings.yml", false);
    V023.put("testdata/invalid-icmp-ttl-overflow.yml", false);
    V023.put("testdata/invalid-icmp-ttl.yml", false);
    V023.put("testdata/invalid-tcp-query-response-regexp.yml", false);
    V023.put("example.yml", true);
    V023.put("blackbox.yml", true);
  }

  /**
   * Upstream main's verdicts (its config_test.go): of the testdata only blackbox-good is
   * accepted. Its example.yml is not: {@code websocket_example_basic_auth} gives a header as a
   * string ({@code X-Some-Header: "my_header"}) where main's {@code config.Headers} takes a
   * mapping of values, secrets and files, which Go's yaml.v3 refuses ("cannot unmarshal !!str
   * into config.Header").
   */
  static final List<String> MAIN_ACCEPTED = List.of("testdata/blackbox-good.yml", "blackbox.yml");

  static String resource(String name) throws IOException {
    try (InputStream in = BlackboxConfigOracleTest.class.getResourceAsStream(DIR + name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** tcpdial's verdict, and its one-line refusal. */
  record Verdict(boolean accepted, String message) {}

  static Verdict tcpdial(String yaml, String name) {
    try {
      Config.parse(yaml, name);
      return new Verdict(true, "");
    } catch (Config.Invalid e) {
      return new Verdict(false, e.getMessage());
    }
  }

  /** The real blackbox_exporter's {@code --config.check} on {@code file}: exit 0 = accepted. */
  static boolean blackbox(Path file) throws Exception {
    Process p = new ProcessBuilder(BLACKBOX.toString(), "--config.file", file.toString(),
        "--config.check").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("blackbox_exporter --config.check returns")
        .isTrue();
    return p.exitValue() == 0;
  }

  @Test
  void v023TestdataExampleAndDockerConfigAreJudgedAsBlackboxJudgesThem(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    boolean real = Files.isExecutable(BLACKBOX);
    List<String> rows = new ArrayList<>();
    for (Map.Entry<String, Boolean> e : V023.entrySet()) {
      String yaml = resource("v0.23.0/" + e.getKey());
      Verdict t = tcpdial(yaml, e.getKey());
      String bb = "-";
      if (real) {
        Path f = dir.resolve(e.getKey().replace('/', '_'));
        Files.writeString(f, yaml);
        boolean b = blackbox(f);
        bb = b ? "accept" : "refuse";
        assertThat(b).as("blackbox_exporter's verdict on %s is the table's", e.getKey())
            .isEqualTo(e.getValue());
      }
      rows.add(String.format("%-62s %-7s %-7s %s", e.getKey(), bb, t.accepted ? "accept"
          : "refuse", t.message));
      assertThat(t.accepted).as("tcpdial on %s: %s", e.getKey(), t.message)
          .isEqualTo(e.getValue());
      if (!t.accepted) {
        assertThat(t.message).as("one line naming file and line")
            .matches(java.util.regex.Pattern.quote(e.getKey()) + ":[0-9]+: .*")
            .doesNotContain("\n");
      }
    }
    System.out.println("blackbox_exporter 0.23 config verdicts (file, blackbox, tcpdial, why):");
    rows.forEach(System.out::println);
  }

  @Test
  void debiansOwnBlackboxYmlIsAccepted() throws Exception {
    Path etc = Path.of("/etc/prometheus/blackbox.yml");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(etc),
        "no /etc/prometheus/blackbox.yml: prometheus-blackbox-exporter is not installed here"
            + " (scripts/setup-test-deps.sh installs it)");
    Verdict t = tcpdial(Files.readString(etc), etc.toString());
    assertThat(t.accepted).as(t.message).isTrue();
    if (Files.isExecutable(BLACKBOX)) {
      assertThat(blackbox(etc)).isTrue();
    }
  }

  @Test
  void mainTestdataIsJudgedAsUpstreamMainJudgesIt() throws Exception {
    List<String> files;
    try (var s = Files.list(Path.of(BlackboxConfigOracleTest.class.getResource(DIR
        + "main/testdata").toURI()))) {
      files = s.map(p -> "testdata/" + p.getFileName()).sorted().toList();
    }
    assertThat(files).hasSize(24);
    List<String> all = new ArrayList<>(files);
    all.add("example.yml");
    all.add("blackbox.yml");
    for (String f : all) {
      Verdict t = tcpdial(resource("main/" + f), f);
      System.out.printf("main %-60s %-7s %s%n", f, t.accepted ? "accept" : "refuse", t.message);
      assertThat(t.accepted).as("tcpdial on main's %s: %s", f, t.message)
          .isEqualTo(MAIN_ACCEPTED.contains(f));
    }
  }
}
