package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image of scripts/image.sh, run by Debian's podman (runc, cgroupfs: what runs on
 * this kind of machine) in a network namespace of the test's own, with a read-only root file
 * system and no tmpfs: {@code /probe} names each lab outcome (a listener: connected; a closed
 * port: refused, ECONNREFUSED; a prohibit route: prohibited, EACCES; an unreachable route:
 * host_unreachable, EHOSTUNREACH), {@code check} and {@code scan} run as the command, the process
 * is user 65532, the labels are there, nothing is written to stderr, and SIGTERM ends it, exit 0,
 * within 2 s. Made by {@code ./mvnw -Pdist verify} (or scripts/image.sh, as root); without the
 * image, root or podman the tests skip and say so.
 */
class ImageTest {
  static final String NS = "tdimg" + ProcessHandle.current().pid();
  static final List<String> PODMAN = List.of("podman", "--runtime", "runc",
      "--cgroup-manager=cgroupfs");

  @TempDir static Path tmp;
  static String image;
  static boolean nsMade;
  static final List<String> containers = new ArrayList<>();

  record Run(int code, String out, String err) {}

  static Run run(List<String> cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not end within 120 s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  static Run run(String... cmd) throws IOException, InterruptedException {
    return run(List.of(cmd));
  }

  static Run podman(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(PODMAN);
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  /**
   * podman run's options: removed when it stops, and stopped after 300 s whatever happens to the
   * test; the limits podman needs here, the namespace, a read-only root.
   */
  static List<String> runOptions() {
    return List.of("--rm", "--timeout", "300", "--ulimit", "nofile=4096:4096",
        "--ulimit", "nproc=4096:4096", "--network=ns:/run/netns/" + NS, "--read-only",
        "--read-only-tmpfs=false");
  }

  /**
   * {@code podman run --name NAME} with {@link #runOptions} and {@code args}, attached but not
   * waited for: the process's output is the container's, its exit code the container's.
   */
  static Process start(String name, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(PODMAN);
    cmd.addAll(List.of("run", "--name", name));
    cmd.addAll(runOptions());
    cmd.addAll(List.of(args));
    containers.add(name);
    return new ProcessBuilder(cmd).redirectOutput(tmp.resolve(name + ".out").toFile())
        .redirectError(tmp.resolve(name + ".err").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
  }

  /** What the container {@code name} of {@link #start} wrote, stdout then stderr. */
  static String output(String name) throws IOException {
    return Files.readString(tmp.resolve(name + ".out"), StandardCharsets.UTF_8)
        + Files.readString(tmp.resolve(name + ".err"), StandardCharsets.UTF_8);
  }

  /**
   * Containers of this test left by a run that was killed before its clean-up (their network
   * namespace is gone with it): stopped and removed.
   */
  static void removeLeftovers() throws IOException, InterruptedException {
    String namespaces = run("ip", "netns", "list").out();
    for (String c : podman("ps", "-a", "--filter", "name=^tdimg[0-9]+-", "--format",
        "{{.Names}}").out().lines().toList()) {
      String ns = c.substring(0, c.indexOf('-'));
      if (!namespaces.lines().anyMatch(l -> l.split(" ")[0].equals(ns))) {
        podman("rm", "-f", "-t", "2", c);
      }
    }
  }

  @BeforeAll
  static void load() throws Exception {
    Optional<Path> tar = DistTest.artifact("tcpdial-*-image.tar");
    assumeTrue(tar.isPresent(), "no dist/tcpdial-*-image.tar: made by ./mvnw -Pdist verify or"
        + " scripts/image.sh (as root)");
    assumeTrue("root".equals(System.getProperty("user.name")),
        "podman with a network namespace of the test's own needs root");
    assumeTrue(run("sh", "-c", "command -v podman && command -v runc").code() == 0,
        "no podman or runc here (scripts/setup-test-deps.sh --dist)");
    removeLeftovers();
    Run l = podman("load", "-i", tar.get().toString());
    assertThat(l.code()).as("podman load: %s%s", l.out(), l.err()).isZero();
    String loaded = (l.out() + l.err()).lines().filter(s -> s.startsWith("Loaded image"))
        .findFirst().orElseThrow();
    image = loaded.substring(loaded.lastIndexOf(' ') + 1).strip();
    assertThat(image).endsWith("tcpdial:" + tar.get().getFileName().toString()
        .replaceAll("^tcpdial-(.*)-image\\.tar$", "$1"));
    run("ip", "netns", "add", NS);
    nsMade = true;
    for (String[] c : List.of(new String[] {"link", "set", "lo", "up"},
        new String[] {"route", "add", "prohibit", "198.18.5.0/24"},
        new String[] {"route", "add", "unreachable", "198.18.6.0/24"})) {
      List<String> cmd = new ArrayList<>(List.of("ip", "-n", NS));
      cmd.addAll(List.of(c));
      assertThat(run(cmd).code()).as(String.join(" ", cmd)).isZero();
    }
  }

  @AfterAll
  static void cleanUp() throws Exception {
    for (String c : containers) {
      podman("rm", "-f", "-t", "2", c); // gone already when it stopped (--rm): no harm
    }
    if (image != null) {
      podman("rmi", "-f", image);
    }
    if (nsMade) {
      run("ip", "netns", "del", NS);
    }
  }

  static String inNs(String url) throws Exception {
    Run r = run("ip", "netns", "exec", NS, "curl", "-s", "--max-time", "10", url);
    return r.code() == 0 ? r.out() : null;
  }

  @Test
  void serveAnswersProbesWithTheOutcomeAndStopsOnSigterm() throws Exception {
    String name = NS + "-serve";
    Process container = start(name, image);
    String healthy = null;
    for (int i = 0; i < 100 && healthy == null && container.isAlive(); i++) {
      Thread.sleep(200);
      healthy = inNs("http://127.0.0.1:9115/-/healthy");
    }
    assertThat(healthy).as("serve answered /-/healthy; output: %s", output(name))
        .isEqualTo("Healthy\n");

    record Case(String target, String outcome, String errno) {}
    for (Case c : List.of(new Case("127.0.0.1:9115", "connected", ""),
        new Case("127.0.0.1:1", "refused", "ECONNREFUSED"),
        new Case("198.18.5.1:80", "prohibited", "EACCES"),
        new Case("198.18.6.1:80", "host_unreachable", "EHOSTUNREACH"))) {
      String body = inNs("http://127.0.0.1:9115/probe?module=tcp_connect&target=" + c.target());
      assertThat(body).as(c.target()).containsPattern("probe_tcp_outcome\\{errno=\"" + c.errno()
          + "\",outcome=\"" + c.outcome() + "\"\\} 1(\\.0)?\n");
    }

    // non-root, the labels, the entrypoint and command
    Run top = podman("top", name, "huser");
    assertThat(top.out().lines().skip(1).map(String::strip).toList()).containsExactly("65532");
    // serve with the long-running flags and the exporter's archive made at build time
    Run args = podman("top", name, "args");
    assertThat(args.out()).contains("-XX:-TieredCompilation").contains("-Xmx64m")
        .contains("-XX:SharedArchiveFile=/opt/tcpdial/lib/app/serve.jsa")
        .doesNotContain("TieredStopAtLevel");
    JsonNode inspect = new ObjectMapper().readTree(podman("image", "inspect", image).out()).get(0);
    JsonNode config = inspect.path("Config");
    assertThat(config.path("User").asText()).isEqualTo("65532:65532");
    assertThat(config.path("Entrypoint").get(0).asText()).isEqualTo("/opt/tcpdial/bin/tcpdial");
    assertThat(config.path("Cmd").get(0).asText()).isEqualTo("serve");
    assertThat(config.path("ExposedPorts").has("9115/tcp")).isTrue();
    assertThat(inspect.path("Labels").path("org.opencontainers.image.title").asText())
        .isEqualTo("tcpdial");
    assertThat(inspect.path("Labels").path("org.opencontainers.image.version").asText())
        .isNotBlank();
    assertThat(inspect.path("Labels").path("org.opencontainers.image.source").asText())
        .startsWith("https://");

    // SIGTERM to the container's process (from the host, so podman's own latency is not
    // counted): gone within 2 s, exit 0
    long pid = Long.parseLong(podman("inspect", "-f", "{{.State.Pid}}", name).out().strip());
    ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
    long t0 = System.nanoTime();
    assertThat(run("kill", "-TERM", String.valueOf(pid)).code()).isZero();
    h.onExit().get(5, TimeUnit.SECONDS);
    double stopped = (System.nanoTime() - t0) / 1e6;
    assertThat(stopped).as("ms from SIGTERM to exit").isLessThan(2000);
    assertThat(container.waitFor(10, TimeUnit.SECONDS)).as("podman run ends with it").isTrue();
    assertThat(container.exitValue()).as("the container's exit code").isZero();
    String logs = output(name);
    assertThat(logs).contains("level=info msg=stopped");
    assertThat(logs.lines().filter(l -> !l.matches("ts=\\S+ level=\\w+ msg=.*")))
        .as("only serve's own log lines (logfmt): no JVM warning").isEmpty();
    System.out.printf("image: serve stopped %.0f ms after SIGTERM%n", stopped);
  }

  @Test
  void checkAndScanRunAsTheCommand() throws Exception {
    // a listener for them: serve in a container of its own
    String name = NS + "-target";
    Process target = start(name, image, "serve", "--web.listen-address", "127.0.0.1:9200");
    String healthy = null;
    for (int i = 0; i < 100 && healthy == null && target.isAlive(); i++) {
      Thread.sleep(200);
      healthy = inNs("http://127.0.0.1:9200/-/healthy");
    }
    assertThat(healthy).isEqualTo("Healthy\n");

    List<String> check = new ArrayList<>(List.of("run"));
    check.addAll(runOptions());
    check.addAll(List.of(image, "check", "127.0.0.1:9200", "--format", "json"));
    Run c = podman(check.toArray(String[]::new));
    assertThat(c.code()).as("check: %s%s", c.out(), c.err()).isZero();
    assertThat(c.out()).contains("\"outcome\":\"connected\"")
        .containsPattern("\"engine\":\"(uring|epoll)\"");
    assertThat(c.err()).isEmpty();

    List<String> scan = new ArrayList<>(List.of("run"));
    scan.addAll(runOptions());
    scan.addAll(List.of(image, "scan", "127.0.0.1", "-p", "9200,1", "--format", "json"));
    Run s = podman(scan.toArray(String[]::new));
    assertThat(s.code()).as("scan: one refused: %s%s", s.out(), s.err()).isEqualTo(3);
    assertThat(s.out()).contains("\"outcome\":\"connected\"").contains("\"outcome\":\"refused\"")
        .contains("\"errno\":\"ECONNREFUSED\"");
    assertThat(s.err()).isEmpty();
    podman("stop", "-t", "2", name); // and --rm removes it
    assertThat(target.waitFor(10, TimeUnit.SECONDS)).as("the target container stopped").isTrue();
  }
}
