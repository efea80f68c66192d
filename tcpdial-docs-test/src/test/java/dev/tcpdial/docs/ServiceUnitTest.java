package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the .deb installs for the service, checked from the sources (cheap, no package built):
 * {@code systemd-analyze verify} finds nothing wrong with tcpdial-serve.service; {@code
 * systemd-analyze security --offline=true} scores its exposure at 2.0 or less; /etc/tcpdial/serve.yml
 * serves as shipped; /etc/default/tcpdial-serve gives ARGS that name it; the maintainer scripts
 * are valid sh and do what dh_installsystemd would. The package built and installed is
 * DistTest's (./mvnw -Pdist). systemd-analyze works without systemd running: without it (not
 * Linux, or no systemd package) those checks skip.
 */
class ServiceUnitTest {
  static final Path DEB = DocsSnippetsTest.ROOT.resolve("deploy/debian");
  static final Path UNIT = DEB.resolve("tcpdial-serve.service");
  /** The exposure score the unit must not exceed (systemd's scale: 0 safe to 10 exposed). */
  static final double MAX_EXPOSURE = 2.0;

  @TempDir static Path tmp;

  record Run(int code, String out) {}

  static Run run(String... cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not end within 60 s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  static void needSystemdAnalyze() throws Exception {
    assumeTrue(run("sh", "-c", "command -v systemd-analyze").code() == 0,
        "no systemd-analyze here (Debian's systemd package)");
  }

  /** The unit as shipped, with its ExecStart's /usr/bin/tcpdial at an executable that exists. */
  static Path unitWithLauncherAt() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("unit"));
    Path stub = dir.resolve("tcpdial");
    Files.writeString(stub, "#!/bin/sh\n");
    Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path unit = dir.resolve("tcpdial-serve.service");
    String text = Files.readString(UNIT);
    assertThat(text).contains("ExecStart=/usr/bin/tcpdial serve $ARGS");
    Files.writeString(unit, text.replace("ExecStart=/usr/bin/tcpdial ", "ExecStart=" + stub + " "));
    return unit;
  }

  @Test
  void systemdAnalyzeVerifiesTheUnit() throws Exception {
    needSystemdAnalyze();
    // --man=no: the man page is the package's (DistTest verifies the installed unit with it)
    Run r = run("systemd-analyze", "verify", "--man=no", unitWithLauncherAt().toString());
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).isEmpty();
  }

  static double exposure(Path unit) throws Exception {
    Run r = run("systemd-analyze", "security", "--offline=true", "--no-pager", unit.toString());
    Matcher m = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d+)").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void theExposureScoreIsAtMostTwo() throws Exception {
    needSystemdAnalyze();
    double score = exposure(UNIT);
    assertThat(score).as("systemd-analyze security --offline=true %s", UNIT)
        .isLessThanOrEqualTo(MAX_EXPOSURE);
    // and the score reads the settings: without them the same unit is exposed
    Path bare = tmp.resolve("bare.service");
    Files.writeString(bare, "[Service]\nUser=tcpdial\nExecStart=/usr/bin/tcpdial serve\n");
    assertThat(exposure(bare)).isGreaterThan(MAX_EXPOSURE + 3);
  }

  @Test
  void theUnitRunsServeTheDebianWay() throws IOException {
    String u = Files.readString(UNIT);
    assertThat(u).contains("EnvironmentFile=-/etc/default/tcpdial-serve")
        .contains("ExecReload=/bin/kill -HUP $MAINPID")
        .contains("User=tcpdial").contains("NoNewPrivileges=yes")
        .contains("ProtectSystem=strict").contains("ProtectHome=yes").contains("PrivateTmp=yes")
        .contains("RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK")
        .contains("SystemCallFilter=@system-service").contains("SystemCallErrorNumber=EPERM")
        .contains("CacheDirectory=tcpdial").contains("WantedBy=multi-user.target");
    assertThat(u).containsPattern("(?m)^CapabilityBoundingSet=$");
    // the JIT writes the code it runs
    assertThat(u).doesNotContainPattern("(?m)^MemoryDenyWriteExecute=yes");
  }

  @Test
  void theDefaultFileNamesTheShippedConfiguration() throws IOException {
    List<String> lines = Files.readAllLines(DEB.resolve("tcpdial-serve.default"));
    assertThat(lines).filteredOn(l -> l.startsWith("ARGS="))
        .containsExactly("ARGS=\"--config.file /etc/tcpdial/serve.yml --web.listen-address 127.0.0.1:9115\"");
  }

  @Test
  void theShippedServeYmlServes() throws Exception {
    assertThat(KubernetesManifestsTest.ServeYml.serves(DEB.resolve("serve.yml")))
        .containsPattern("probe_tcp_outcome\\{errno=\"\",outcome=\"connected\"\\} 1(\\.0)?\n");
  }

  @Test
  void theMaintainerScriptsAreShAndDoWhatDhInstallsystemdWould() throws Exception {
    for (String s : List.of("postinst", "prerm", "postrm")) {
      Path f = DEB.resolve(s);
      assertThat(Files.isExecutable(f)).as(s + " executable").isTrue();
      Run r = run("sh", "-n", f.toString());
      assertThat(r.code()).as(s + ": " + r.out()).isZero();
      assertThat(Files.readString(f)).startsWith("#!/bin/sh\n").contains("set -e");
    }
    assertThat(Files.readString(DEB.resolve("postinst")))
        .contains("adduser --quiet --system --group --no-create-home --home /nonexistent")
        .contains("deb-systemd-helper enable 'tcpdial-serve.service'")
        .contains("deb-systemd-invoke $_dh_action 'tcpdial-serve.service'");
    assertThat(Files.readString(DEB.resolve("prerm")))
        .contains("deb-systemd-invoke stop 'tcpdial-serve.service'");
    assertThat(Files.readString(DEB.resolve("postrm")))
        .contains("deb-systemd-helper purge 'tcpdial-serve.service'")
        .contains("rm -rf /var/cache/tcpdial").contains("deluser --quiet --system tcpdial");
  }
}
