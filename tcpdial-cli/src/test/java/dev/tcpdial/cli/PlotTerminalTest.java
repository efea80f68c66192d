package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code tcpdial ping --plot} in a real terminal: tmux runs the CLI against three loopback targets
 * of ours (a listener, a closed port, a listener whose backlog is full, so SYNs go unanswered) at
 * 80x24, then 160x48; the screen must show the axes, the series, the failure letters, the legend
 * and the footer, and be redrawn at the new size; Ctrl-C (and q) must leave the terminal's
 * settings as they were and print the statistics. The screens are kept in target/pictures.
 */
class PlotTerminalTest {
  static final Path OUT = Path.of("target", "pictures");

  static boolean tmuxAvailable() {
    return new File("/usr/bin/tmux").canExecute() || new File("/bin/tmux").canExecute();
  }

  private final String socket = "tdpic" + ProcessHandle.current().pid();

  private String tmux(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  private String capture(boolean escapes) throws Exception {
    return escapes ? tmux("capture-pane", "-p", "-e", "-t", "plot")
        : tmux("capture-pane", "-p", "-t", "plot");
  }

  /** Ends the tmux server this test started, and removes its socket file. */
  private void stopTmux() throws Exception {
    String path = tmux("display-message", "-p", "#{socket_path}").strip();
    tmux("kill-server");
    if (path.startsWith("/") && path.endsWith("/" + socket)) {
      Files.deleteIfExists(Path.of(path));
    }
  }

  /** Captures until {@code ok} holds (at most 30 s); the last capture either way. */
  private String await(Predicate<String> ok) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String screen = capture(false);
    while (!ok.test(screen) && System.nanoTime() < end) {
      Thread.sleep(200);
      screen = capture(false);
    }
    return screen;
  }

  /** A shell script that runs ping in the pane between two {@code stty -g}, then waits. */
  private Path script(String name, String env, List<String> ping) throws Exception {
    return script(name, env, ping, "");
  }

  /** As above, with {@code redirect} (a pipe, a redirection) after the command. */
  private Path script(String name, String env, List<String> ping, String redirect) throws Exception {
    Files.createDirectories(OUT);
    Path dir = OUT.toAbsolutePath();
    String quoted = NamespaceScanTest.java(ping.toArray(String[]::new)).stream()
        .map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    Path s = dir.resolve(name + ".sh");
    Files.writeString(s, "stty -g > " + dir.resolve(name + ".before") + "\n"
        + "env LANG=C.UTF-8 " + env + " " + quoted + " " + redirect + "\n"
        + "echo EXIT=$? > " + dir.resolve(name + ".exit") + "\n"
        + "stty -g > " + dir.resolve(name + ".after") + "\n"
        + "sleep 120\n");
    for (String ext : List.of("exit", "before", "after")) {
      Files.deleteIfExists(dir.resolve(name + "." + ext)); // nothing left from an earlier run
    }
    return s;
  }

  /** Waits (at most 30 s) until the script wrote the terminal's settings after the run. */
  private static void awaitAfter(String name) throws Exception {
    Path after = OUT.resolve(name + ".after");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((!Files.exists(after) || Files.size(after) == 0) && System.nanoTime() < end) {
      Thread.sleep(100);
    }
  }

  private static String read(String name, String ext) throws Exception {
    return Files.readString(OUT.resolve(name + "." + ext), StandardCharsets.UTF_8).strip();
  }

  /** The probes sent to {@code target} as the footer says, or -1. */
  static long sent(String screen, String target) {
    return screen.lines().filter(l -> l.length() > 2 && l.substring(2).startsWith(target + " "))
        .map(l -> l.substring(2 + target.length()).strip().split("\\s+")[0])
        .filter(f -> f.matches("\\d+")).mapToLong(Long::parseLong).findFirst().orElse(-1);
  }

  private static boolean chartShown(String screen, int rows) {
    return screen.lines().count() >= rows && screen.contains("▲ failed")
        && screen.matches("(?s).*▲ failed │[ ░]*T.*") && screen.matches("(?s).*◆ failed │[ ░]*R.*")
        && screen.contains(" ms┤");
  }

  @Test
  void chartAt80x24ThenResizedTo160x48ThenCtrlC() throws Exception {
    assumeTrue(tmuxAvailable(), "needs tmux (Debian package; ./test installs it as root); skipped");
    try (Loopback.Open open = new Loopback.Open();
        Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      int closed = Loopback.closedPort();
      String a = "127.0.0.1:" + open.port();
      String b = "127.0.0.1:" + closed;
      String c = "127.0.0.1:" + silent.port();
      Path sh = script("plot", "", List.of("ping", "--plot", "-i", "200ms", "--timeout", "150ms",
          a, b, c));
      tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "plot", "sh " + sh.toAbsolutePath());
      tmux("set-option", "-t", "plot", "remain-on-exit", "on");

      String small = await(s -> chartShown(s, 24) && sent(s, a) >= 12);
      Files.writeString(OUT.resolve("ping-plot-80x24.txt"), small);
      Files.writeString(OUT.resolve("ping-plot-80x24.ansi"), capture(true));
      assertThat(chartShown(small, 24)).as(small).isTrue();
      List<String> lines = small.lines().toList();
      assertThat(lines).hasSize(24);
      assertThat(lines.getFirst()).startsWith("tcpdial ping " + a);
      assertThat(small).contains("└").contains("─").contains("time ")
          .contains("● " + a).contains("◆ " + b).contains("▲ " + c) // legend
          .contains("R refused").contains("T timeout").contains("░ outage")
          .contains("sent  loss   min   p50   p90   p99   max  outage");
      assertThat(lines.stream().filter(l -> l.length() > 10 && l.substring(10).contains("●")))
          .as("connected probes plotted\n%s", small).isNotEmpty();
      assertThat(lines.stream().filter(l -> l.startsWith("◆ 127.0.0.1:" + closed + " ")
          || l.startsWith("▲ 127.0.0.1:" + silent.port() + " ")).filter(l -> l.contains("DOWN")))
          .as("both failing targets are down in the footer\n%s", small).hasSize(2);

      tmux("resize-window", "-t", "plot", "-x", "160", "-y", "48");
      String large = await(s -> chartShown(s, 48)
          && s.lines().anyMatch(l -> l.contains("└") && l.length() > 150) && sent(s, a) >= 40);
      Files.writeString(OUT.resolve("ping-plot-160x48.txt"), large);
      Files.writeString(OUT.resolve("ping-plot-160x48.ansi"), capture(true));
      assertThat(large.lines().count()).isEqualTo(48);
      assertThat(large.lines().filter(l -> l.contains("└")).findFirst().orElseThrow().length())
          .as("the time axis spans the new width\n%s", large).isGreaterThan(150);
      assertThat(large.lines().filter(l -> l.contains(" ms┤")).count())
          .as("more y labels on the taller chart").isGreaterThan(
              small.lines().filter(l -> l.contains(" ms┤")).count());

      tmux("send-keys", "-t", "plot", "C-c");
      await(s -> Files.exists(OUT.resolve("plot.exit")));
      String after = await(s -> s.contains("--- " + c + " tcpdial ping statistics ---"));
      Files.writeString(OUT.resolve("ping-plot-after-ctrl-c.txt"), after);
      awaitAfter("plot");
      assertThat(read("plot", "exit")).isEqualTo("EXIT=" + ExitCodes.TIMEOUT);
      assertThat(read("plot", "after")).as("stty settings restored").isEqualTo(read("plot", "before"));
      assertThat(after).contains("--- " + a + " tcpdial ping statistics ---")
          .contains("--- " + b + " tcpdial ping statistics ---")
          .contains("--- " + c + " tcpdial ping statistics ---")
          .contains("(refused ").contains("(timeout ")
          .doesNotContain("failed │"); // the main screen is back, the chart is gone
      Cli.assertNoStackTrace(after);
      picture();
    } finally {
      stopTmux();
    }
  }

  @Test
  void noColourAndQuitWithQ() throws Exception {
    assumeTrue(tmuxAvailable(), "needs tmux (Debian package; ./test installs it as root); skipped");
    try (Loopback.Open open = new Loopback.Open()) {
      int closed = Loopback.closedPort();
      Path sh = script("nocolour", "NO_COLOR=1", List.of("ping", "-i", "100ms",
          "127.0.0.1:" + open.port(), "127.0.0.1:" + closed));
      tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "plot", "sh " + sh.toAbsolutePath());
      String screen = await(s -> s.matches("(?s).*◆ failed │[ ░]*R.*"));
      assertThat(screen).as("the chart is the default on a terminal").contains(" ms┤");
      String ansi = capture(true);
      assertThat(ansi).as("NO_COLOR: no colour sequence").doesNotContainPattern("\u001b\\[[0-9;]*3[0-7]m")
          .doesNotContainPattern("\u001b\\[38;");
      tmux("send-keys", "-t", "plot", "q");
      String after = await(s -> s.contains("tcpdial ping statistics") && s.contains("outages"));
      assertThat(after).contains("--- 127.0.0.1:" + closed + " tcpdial ping statistics ---");
      await(s -> Files.exists(OUT.resolve("nocolour.exit")));
      awaitAfter("nocolour");
      assertThat(read("nocolour", "exit")).isEqualTo("EXIT=" + ExitCodes.REFUSED);
      assertThat(read("nocolour", "after")).isEqualTo(read("nocolour", "before"));
    } finally {
      stopTmux();
    }
  }

  /**
   * {@code ping | cat} from a terminal: stdout is the pipe, stdin and stderr the terminal. Every
   * row goes to the pipe, and no chart is drawn (the terminal test must look at the results'
   * descriptor, not at descriptor 1, which points at stderr).
   */
  @Test
  void pipedPingWritesEveryRowToThePipe() throws Exception {
    assumeTrue(tmuxAvailable(), "needs tmux (Debian package; ./test installs it as root); skipped");
    try (Loopback.Open open = new Loopback.Open()) {
      Path rows = OUT.toAbsolutePath().resolve("piped.rows");
      Files.deleteIfExists(rows);
      Path sh = script("piped", "", List.of("ping", "-c", "5", "-i", "100ms",
          "127.0.0.1:" + open.port()), "| cat > " + rows);
      tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", "plot", "sh " + sh.toAbsolutePath());
      await(s -> Files.exists(OUT.resolve("piped.exit")));
      awaitAfter("piped");
      String screen = capture(false);
      assertThat(read("piped", "exit")).isEqualTo("EXIT=0");
      List<String> lines = Files.readAllLines(rows, StandardCharsets.UTF_8);
      assertThat(lines.stream().filter(l -> l.startsWith("seq="))).as(String.join("\n", lines))
          .hasSize(5);
      assertThat(lines).anyMatch(l -> l.contains("5 sent, 5 connected, 0 failed"));
      assertThat(screen).as("no chart on the terminal").doesNotContain(" ms┤").doesNotContain("ms+");
      assertThat(read("piped", "after")).isEqualTo(read("piped", "before"));
    } finally {
      stopTmux();
    }
  }

  /** {@code ping --plot 2>err.txt} with stdout a terminal: the chart is drawn there. */
  @Test
  void plotWithStderrInAFile() throws Exception {
    assumeTrue(tmuxAvailable(), "needs tmux (Debian package; ./test installs it as root); skipped");
    try (Loopback.Open open = new Loopback.Open()) {
      Path err = OUT.toAbsolutePath().resolve("plot-stderr.err");
      Files.deleteIfExists(err);
      String target = "127.0.0.1:" + open.port();
      Path sh = script("plot-stderr", "", List.of("ping", "--plot", "-c", "40", "-i", "100ms",
          target), "2> " + err);
      tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "plot", "sh " + sh.toAbsolutePath());
      String screen = await(s -> s.contains(" ms┤") && sent(s, target) >= 5);
      assertThat(screen).as(screen).contains(" ms┤").contains("● " + target);
      await(s -> Files.exists(OUT.resolve("plot-stderr.exit")));
      awaitAfter("plot-stderr");
      assertThat(read("plot-stderr", "exit")).isEqualTo("EXIT=0");
      assertThat(Files.readString(err)).as("stderr").doesNotContain("--plot").doesNotContain("error");
      assertThat(capture(false)).contains("--- " + target + " tcpdial ping statistics ---")
          .contains("40 sent, 40 connected");
      assertThat(read("plot-stderr", "after")).isEqualTo(read("plot-stderr", "before"));
    } finally {
      stopTmux();
    }
  }

  /** Under LC_ALL=C the terminal cannot take UTF-8: the chart is drawn in ASCII, never as '?'. */
  @Test
  void asciiChartUnderTheCLocale() throws Exception {
    assumeTrue(tmuxAvailable(), "needs tmux (Debian package; ./test installs it as root); skipped");
    try (Loopback.Open open = new Loopback.Open()) {
      int closed = Loopback.closedPort();
      Path sh = script("clocale", "LC_ALL=C", List.of("ping", "-i", "100ms",
          "127.0.0.1:" + open.port(), "127.0.0.1:" + closed));
      tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "plot", "sh " + sh.toAbsolutePath());
      String screen = await(s -> s.contains(" ms+") && s.matches("(?s).*\\+ failed \\|[ :]*R.*"));
      assertThat(screen).as(screen).contains(" ms+").contains("* 127.0.0.1:" + open.port())
          .contains("R refused").doesNotContain("?");
      assertThat(screen.chars().allMatch(c -> c < 128)).as(screen).isTrue();
      tmux("send-keys", "-t", "plot", "q");
      await(s -> Files.exists(OUT.resolve("clocale.exit")));
      awaitAfter("clocale");
      assertThat(read("clocale", "exit")).isEqualTo("EXIT=" + ExitCodes.REFUSED);
      assertThat(read("clocale", "after")).isEqualTo(read("clocale", "before"));
    } finally {
      stopTmux();
    }
  }

  /** The 160x48 screen as a PNG (through Chromium, when it can run here): docs/cli.md's picture. */
  private static void picture() throws Exception {
    Path html = OUT.resolve("ping-plot.html");
    Files.writeString(html, AnsiHtml.page(Files.readString(OUT.resolve("ping-plot-160x48.ansi")),
        "tcpdial ping --plot"));
    if (Browser.unavailable() != null) {
      return;
    }
    try (Browser browser = Browser.open("t")) {
      browser.screenshot(html.toAbsolutePath(), OUT.resolve("ping-plot.png").toAbsolutePath(),
          1380, 850);
    }
  }
}
