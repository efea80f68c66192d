package dev.tcpdial.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.cli.Cli;
import dev.tcpdial.cli.NamespaceScanTest;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Standard output as real processes see it: a reader that goes away ({@code | head}) stops every
 * command at once, quietly, with status 141; a write error ({@code > /dev/full}) is said in one
 * line on stderr with status 1; the JVM's own diagnostics (SIGQUIT's thread dump) never reach it.
 */
class StdoutProcessTest {

  /** Every command, every format; {@code PORT} is replaced by a closed loopback port. */
  static List<List<String>> commands() {
    List<List<String>> all = new ArrayList<>();
    for (String format : List.of("text", "json", "csv")) {
      all.add(List.of("check", "--format", format, "127.0.0.1:PORT"));
      all.add(List.of("ping", "-c", "3", "-i", "10ms", "--format", format, "127.0.0.1:PORT"));
      all.add(List.of("scan", "--format", format, "127.0.0.1:PORT"));
    }
    all.add(List.of("demo"));
    all.add(List.of("man"));
    all.add(List.of("completion"));
    all.add(List.of("--help"));
    all.add(List.of("scan", "--help"));
    all.add(List.of("--version"));
    return all;
  }

  /** Each command once, the dialing ones in different formats. */
  static List<List<String>> someCommands() {
    return List.of(List.of("check", "127.0.0.1:PORT"),
        List.of("ping", "-c", "2", "-i", "10ms", "--format", "json", "127.0.0.1:PORT"),
        List.of("scan", "--format", "csv", "127.0.0.1:PORT"),
        List.of("scan", "--format", "json", "127.0.0.1:PORT"),
        List.of("demo"), List.of("man"), List.of("completion"), List.of("--help"));
  }

  private static List<String> withPort(List<String> args, int port) {
    return args.stream().map(a -> a.replace("PORT", Integer.toString(port))).toList();
  }

  @ParameterizedTest
  @MethodSource("commands")
  void aClosedPipeEndsTheCommandQuietlyWith141(List<String> args) throws Exception {
    int port = Loopback.closedPort();
    Process p = new ProcessBuilder(NamespaceScanTest.java(withPort(args, port).toArray(String[]::new)))
        .redirectError(ProcessBuilder.Redirect.PIPE).start();
    try {
      p.getInputStream().close(); // the reader went away before the first line
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits").isTrue();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(err).isEqualTo(Stdout.CLOSED_PIPE);
      assertThat(err).as("quietly").isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }

  @ParameterizedTest
  @MethodSource("someCommands")
  void aWriteErrorIsOneLineOnStderrAndStatus1(List<String> args) throws Exception {
    assumeTrue(new File("/dev/full").exists(), "no /dev/full here; skipped");
    int port = Loopback.closedPort();
    Process p = new ProcessBuilder(NamespaceScanTest.java(withPort(args, port).toArray(String[]::new)))
        .redirectOutput(new File("/dev/full")).start();
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits").isTrue();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(err).isEqualTo(ExitCodes.ERROR);
      assertThat(err.lines().toList()).containsExactly(
          "tcpdial: error: cannot write the results to standard output: No space left on device"
              + " (ENOSPC)");
    } finally {
      p.destroyForcibly();
    }
  }

  /** {@code ping -i 10ms ... | head -3}: the ping stops right after the reader's third line. */
  @Test
  void pingIntoHeadStopsAtOnce() throws Exception {
    int port = Loopback.closedPort();
    Process p = new ProcessBuilder(NamespaceScanTest.java("ping", "-i", "10ms",
        "127.0.0.1:" + port)).start();
    try {
      BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
      for (int i = 0; i < 3; i++) {
        assertThat(r.readLine()).startsWith("seq=" + (i + 1));
      }
      long closed = System.nanoTime();
      r.close();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("exits after the reader closed").isTrue();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closed);
      assertThat(ms).as("ends within a few probes, not at the end of the run").isLessThan(2000);
      assertThat(p.exitValue()).isEqualTo(Stdout.CLOSED_PIPE);
      assertThat(p.getErrorStream().readAllBytes()).isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * {@code scan 127.0.0.0/16 -p 1-32 | head -5}: 2,097,152 targets, inside a namespace of its own
   * (its loopback refuses every one); the scan ends within seconds of the reader leaving.
   */
  @Test
  void aRangeScanIntoHeadStopsAtOnce() throws Exception {
    assumeTrue(NamespaceScanTest.root(), "needs root to create a network namespace; skipped");
    String ns = "tdcoh" + ProcessHandle.current().pid() % 100000;
    Process p = null;
    try {
      assertThat(NamespaceScanTest.exec(List.of("ip", "netns", "add", ns))).isZero();
      assertThat(NamespaceScanTest.exec(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo",
          "up"))).isZero();
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      cmd.addAll(NamespaceScanTest.java("scan", "127.0.0.0/16", "-p", "1-32", "--timeout", "200ms",
          "--all"));
      long start = System.nanoTime();
      p = new ProcessBuilder(cmd).start();
      BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
      for (int i = 0; i < 5; i++) {
        assertThat(r.readLine()).contains("127.0.");
      }
      r.close();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exits after the reader closed").isTrue();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(p.exitValue()).isEqualTo(Stdout.CLOSED_PIPE);
      assertThat(ms).as("far less than the whole range (82-108 s before)").isLessThan(15_000);
    } finally {
      if (p != null) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      NamespaceScanTest.exec(List.of("ip", "netns", "del", ns));
    }
  }

  /** SIGQUIT's thread dump goes to stderr; stdout stays one JSON object a line. */
  @Test
  void theThreadDumpOfSigquitGoesToStderr() throws Exception {
    int port = Loopback.closedPort();
    Process p = new ProcessBuilder(NamespaceScanTest.java("ping", "-i", "20ms", "-c", "100",
        "--format", "json", "127.0.0.1:" + port)).start();
    try {
      BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>();
      lines.add(r.readLine()); // running: its signal handlers are in place
      Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
      r.lines().forEach(lines::add);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(err).contains("Full thread dump");
      assertThat(lines).hasSize(101).allSatisfy(l -> Cli.JSON.readTree(l));
      assertThat(lines.getLast()).startsWith("{\"summary\":");
    } finally {
      p.destroyForcibly();
    }
  }
}
