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
 * --version} and {@code man tcpdial}, and removes without a trace. They are made by {@code
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
    } finally {
      Run remove = run(null, tmp, "dpkg", "--purge", "tcpdial");
      assertThat(remove.code()).as("dpkg --purge: %s%s", remove.out(), remove.err()).isZero();
    }
    List<Path> left = new ArrayList<>();
    for (String p : List.of("/usr/bin/tcpdial", "/usr/lib/tcpdial",
        "/usr/share/man/man1/tcpdial.1.gz", "/usr/share/bash-completion/completions/tcpdial")) {
      if (Files.exists(Path.of(p), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        left.add(Path.of(p));
      }
    }
    assertThat(left).as("left behind after removal").isEmpty();
  }
}
