package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributions of scripts/dist.sh work on a machine without a JDK: the tarball, unpacked to a
 * temporary directory, runs {@code check} and {@code scan} on loopback with no {@code java} on
 * {@code PATH} and no {@code JAVA_HOME}; the .deb installs (root), gives {@code tcpdial
 * --version} and {@code man tcpdial}, installs tcpdial-serve.service enabled with its user and
 * configuration, runs it as systemd would, and purges without a trace (files, user, group, the
 * unit's enablement); lintian finds no error or warning its overrides do not explain. They are made by {@code
 * ./mvnw -Pdist verify} (or scripts/dist.sh); without them these tests skip and say so.
 */
class DistTest {
  static final Path DIST = DocsSnippetsTest.ROOT.resolve("dist");

  @TempDir static Path tmp;

  static ServerSocket listener;
  static Thread acceptor;
  static int closedPort;

  @BeforeAll
  static void listen() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = Thread.ofVirtual().start(() -> {
      while (!listener.isClosed()) {
        // Closed with a FIN, not a reset: a probe of a port that resets at once may end
        // before it saw the connection.
        try (Socket s = listener.accept()) {
          s.getInputStream().available();
        } catch (IOException e) {
          // closed
        }
      }
    });
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
  }

  @AfterAll
  static void close() throws IOException {
    listener.close();
  }

  static Optional<Path> artifact(String glob) throws IOException {
    if (!Files.isDirectory(DIST)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(DIST)) {
      return s.filter(p -> p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName()))
          .findFirst();
    }
  }

  record Run(int code, String out, String err) {}

  static Run run(Map<String, String> env, Path dir, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    if (env != null) {
      pb.environment().clear();
      pb.environment().putAll(env);
    }
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not end within 120 s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** A PATH of the few commands the launcher uses, and no java. */
  static Path bareBin() throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("bare-bin"));
    for (String tool : List.of("sh", "dirname", "readlink", "mkdir", "mv", "rm")) {
      Path link = bin.resolve(tool);
      if (Files.notExists(link)) {
        Path real = Files.exists(Path.of("/usr/bin", tool)) ? Path.of("/usr/bin", tool) : Path.of("/bin", tool);
        Files.createSymbolicLink(link, real);
      }
    }
    return bin;
  }

  @Test
  void theTarballRunsWithoutAJdk() throws Exception {
    Optional<Path> tgz = artifact("tcpdial-*-linux-*.tar.gz");
    assumeTrue(tgz.isPresent(), "no dist/tcpdial-*.tar.gz: made by ./mvnw -Pdist verify or scripts/dist.sh");
    Path into = Files.createDirectories(tmp.resolve("unpacked"));
    assertThat(run(null, into, "tar", "-xzf", tgz.get().toString()).code()).isZero();
    Path top;
    try (Stream<Path> s = Files.list(into)) {
      top = s.findFirst().orElseThrow();
    }
    Path tcpdial = top.resolve("bin/tcpdial");
    assertThat(top.resolve("share/man/man1/tcpdial.1")).isRegularFile();
    assertThat(top.resolve("share/bash-completion/completions/tcpdial")).isRegularFile();
    assertThat(top.resolve("LICENSE")).isRegularFile();
    assertThat(top.resolve("NOTICE")).isRegularFile();
    Path home = Files.createDirectories(tmp.resolve("home"));
    Map<String, String> env = Map.of("PATH", bareBin().toString(), "HOME", home.toString(),
        "LANG", "C.UTF-8");
    // Through a symlink, as from a bin directory on PATH.
    Path link = tmp.resolve("tcpdial-link");
    Files.createSymbolicLink(link, tcpdial);

    Run check = run(env, tmp, link.toString(), "check", "127.0.0.1:" + listener.getLocalPort(),
        "--format", "json");
    assertThat(check.code()).as("check: %s%s", check.out(), check.err()).isZero();
    // the native engine runs probes: its io_uring backend, or epoll where io_uring is refused
    assertThat(check.out()).contains("\"outcome\":\"connected\"")
        .containsPattern("\"engine\":\"(uring|epoll)\"");
    assertThat(check.err()).isEmpty();
    assertThat(top.resolve("lib/app/tcpdial.jsa")).as("the class-data archive, made at the first run")
        .isRegularFile();

    Run scan = run(env, tmp, tcpdial.toString(), "scan", "127.0.0.1", "-p",
        listener.getLocalPort() + "," + closedPort, "--format", "json");
    assertThat(scan.code()).as("scan: one refused: %s%s", scan.out(), scan.err()).isEqualTo(3);
    assertThat(scan.out()).contains("\"outcome\":\"connected\"").contains("\"outcome\":\"refused\"")
        .contains("\"errno\":\"ECONNREFUSED\"");
    assertThat(scan.err()).isEmpty();
  }

  @Test
  void theDebInstallsRunsAndRemovesCleanly() throws Exception {
    Optional<Path> deb = artifact("tcpdial_*.deb");
    assumeTrue(deb.isPresent(), "no dist/tcpdial_*.deb: made by ./mvnw -Pdist verify or scripts/dist.sh");
    assumeTrue("root".equals(System.getProperty("user.name")), "installing a .deb needs root");
    assumeTrue(run(null, tmp, "sh", "-c", "command -v dpkg").code() == 0, "no dpkg here");
    assumeTrue(run(null, tmp, "dpkg", "-s", "tcpdial").code() != 0,
        "a tcpdial package is installed already: not touching it");
    try {
      Run install = run(null, tmp, "dpkg", "-i", deb.get().toString());
      assertThat(install.code()).as("dpkg -i: %s%s", install.out(), install.err()).isZero();
      assertThat(Path.of("/usr/lib/tcpdial/lib/app/tcpdial.jsa")).as("archive made at install")
          .isRegularFile();
      Map<String, String> env = Map.of("PATH", bareBin().toString(), "HOME", tmp.toString());
      Run version = run(env, tmp, "/usr/bin/tcpdial", "--version");
      assertThat(version.code()).isZero();
      assertThat(version.out()).startsWith("tcpdial ");
      assertThat(version.err()).isEmpty();
      Run man = run(Map.of("PATH", "/usr/bin:/bin", "MANPAGER", "cat", "MANWIDTH", "80",
          "HOME", tmp.toString()), tmp, "man", "tcpdial");
      assertThat(man.code()).as("man tcpdial: %s", man.err()).isZero();
      assertThat(man.out()).contains("TCPDIAL(1)").contains("check");
      assertThat(Path.of("/usr/share/bash-completion/completions/tcpdial")).isRegularFile();
      // one-shot commands start with the quick-start flags (the launcher's exec line, traced)
      Run traced = run(env, tmp, "sh", "-x", "/usr/lib/tcpdial/bin/tcpdial", "--version");
      assertThat(traced.err()).containsPattern("exec \\S+/java .*-XX:TieredStopAtLevel=1");
      theServiceIsInstalled();
      theServiceRunsAsSystemdWouldRunIt();
    } finally {
      Run remove = run(null, tmp, "dpkg", "--purge", "tcpdial");
      assertThat(remove.code()).as("dpkg --purge: %s%s", remove.out(), remove.err()).isZero();
    }
    List<Path> left = new ArrayList<>();
    for (String p : List.of("/usr/bin/tcpdial", "/usr/lib/tcpdial",
        "/usr/share/man/man1/tcpdial.1.gz", "/usr/share/bash-completion/completions/tcpdial",
        "/lib/systemd/system/tcpdial-serve.service", "/etc/tcpdial", "/etc/default/tcpdial-serve",
        "/etc/systemd/system/multi-user.target.wants/tcpdial-serve.service", "/var/cache/tcpdial",
        "/usr/share/doc/tcpdial",
        "/var/lib/systemd/deb-systemd-helper-enabled/tcpdial-serve.service.dsh-also",
        "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/tcpdial-serve.service")) {
      if (Files.exists(Path.of(p), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        left.add(Path.of(p));
      }
    }
    assertThat(left).as("left behind after purge").isEmpty();
    assertThat(run(null, tmp, "getent", "passwd", "tcpdial").code()).as("user tcpdial after purge")
        .isNotZero();
    assertThat(run(null, tmp, "getent", "group", "tcpdial").code()).as("group tcpdial after purge")
        .isNotZero();
  }

  /** The unit, its configuration, its user, enabled as deb-systemd-helper does without systemd. */
  static void theServiceIsInstalled() throws Exception {
    Path unit = Path.of("/lib/systemd/system/tcpdial-serve.service");
    assertThat(unit).isRegularFile();
    assertThat(Path.of("/etc/systemd/system/multi-user.target.wants/tcpdial-serve.service"))
        .as("enabled at installation").isSymbolicLink();
    assertThat(Path.of("/etc/tcpdial/serve.yml")).isRegularFile();
    assertThat(Path.of("/etc/default/tcpdial-serve")).isRegularFile();
    Run conffiles = run(null, tmp, "dpkg-query", "-W", "-f", "${Conffiles}", "tcpdial");
    assertThat(conffiles.out()).contains("/etc/default/tcpdial-serve")
        .contains("/etc/tcpdial/serve.yml");
    Run control = run(null, tmp, "dpkg-query", "-W", "-f", "${Maintainer}", "tcpdial");
    assertThat(control.out()).isEqualTo("The tcpdial authors <dev@tcpdial.dev>");
    Run user = run(null, tmp, "getent", "passwd", "tcpdial");
    assertThat(user.code()).isZero();
    String[] f = user.out().strip().split(":");
    assertThat(Integer.parseInt(f[2])).as("a system uid").isLessThan(1000);
    assertThat(f[5]).isEqualTo("/nonexistent");
    assertThat(f[6]).endsWith("nologin");
    if (run(null, tmp, "sh", "-c", "command -v systemd-analyze").code() == 0) {
      // the installed unit as it is: its binary, its man page
      Run verify = run(null, tmp, "systemd-analyze", "verify", unit.toString());
      assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
      assertThat(verify.out() + verify.err()).isEmpty();
    }
  }

  /**
   * ExecStart as systemd would run it, without systemd (none runs here): as user tcpdial, with
   * /etc/default/tcpdial-serve's ARGS (its --web.listen-address moved to a free loopback port) and the cache
   * directory systemd would make; it serves /etc/tcpdial/serve.yml with the long-running flags,
   * reloads on SIGHUP, stops on SIGTERM with exit 0 and leaves its class-data archive in the cache.
   */
  static void theServiceRunsAsSystemdWouldRunIt() throws Exception {
    String args = Files.readAllLines(Path.of("/etc/default/tcpdial-serve")).stream()
        .filter(l -> l.startsWith("ARGS=")).findFirst().orElseThrow()
        .replaceAll("^ARGS=\"(.*)\"$", "$1");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    args = args.replaceAll("--web.listen-address \\S+", "--web.listen-address 127.0.0.1:" + port);
    assertThat(run(null, tmp, "sh", "-c", "install -d -m 0750 -o tcpdial -g tcpdial"
        + " /var/cache/tcpdial").code()).isZero();
    Path log = tmp.resolve("service.log");
    // setpriv execs (runuser would fork): the process is the JVM, as ExecStart's is
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=tcpdial", "--regid=tcpdial",
        "--init-groups", "--", "env", "-i",
        "PATH=/usr/bin:/bin", "CACHE_DIRECTORY=/var/cache/tcpdial", "/usr/bin/tcpdial", "serve"));
    cmd.addAll(List.of(args.split(" +")));
    Process p = new ProcessBuilder(cmd).directory(Path.of("/").toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      String probe = null;
      for (int i = 0; i < 150 && probe == null; i++) {
        Thread.sleep(200);
        try {
          probe = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base
              + "/probe?module=tcp_connect&target=127.0.0.1:" + listener.getLocalPort())).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
          // not listening yet
        }
      }
      assertThat(probe).as("serve answered; log: %s", Files.readString(log))
          .containsPattern("probe_tcp_outcome\\{errno=\"\",outcome=\"connected\"\\} 1");
      ProcessHandle java = p.toHandle();
      assertThat(java.info().user()).hasValue("tcpdial");
      assertThat(java.info().arguments().map(List::of).orElseThrow())
          .contains("-XX:-TieredCompilation", "-Xmx64m").doesNotContain("-XX:TieredStopAtLevel=1");
      assertThat(run(null, tmp, "kill", "-HUP", String.valueOf(p.pid())).code()).isZero();
      for (int i = 0; i < 50 && !Files.readString(log).contains("reloaded (SIGHUP)"); i++) {
        Thread.sleep(100);
      }
      assertThat(Files.readString(log)).contains("reloaded (SIGHUP): config /etc/tcpdial/serve.yml");
      assertThat(run(null, tmp, "kill", "-TERM", String.valueOf(p.pid())).code()).isZero();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(Files.readString(log)).isZero();
      assertThat(Path.of("/var/cache/tcpdial/serve.jsa")).as("the exporter's archive, made at exit")
          .isRegularFile();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void lintianFindsNothingUnexplained() throws Exception {
    Optional<Path> deb = artifact("tcpdial_*.deb");
    assumeTrue(deb.isPresent(), "no dist/tcpdial_*.deb: made by ./mvnw -Pdist verify or scripts/dist.sh");
    assumeTrue(run(null, tmp, "sh", "-c", "command -v lintian").code() == 0,
        "no lintian here (scripts/setup-test-deps.sh --dist)");
    // errors and warnings; the overrides shipped in the package say why each one left applies
    Run r = run(null, tmp, "lintian", "--fail-on", "error,warning", deb.get().toString());
    assertThat(r.out().lines().filter(l -> l.matches("^[EW]: .*"))).as(r.out() + r.err()).isEmpty();
    assertThat(r.code()).as(r.out() + r.err()).isZero();
  }
}
