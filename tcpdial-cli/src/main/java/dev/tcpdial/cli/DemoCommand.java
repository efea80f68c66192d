package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tcpdial demo}: the outcomes, produced on loopback (or in a namespace lab with --lab). */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
        "Shows the outcomes without any setup: starts its own loopback targets (a listener, a",
        "closed port, a listener whose backlog is full so SYNs are dropped) and dials each in sync",
        "and async mode side by side, then explains every outcome.",
        "--lab (root): builds the network-namespace lab (lab/lab.sh) and shows unreachable,",
        "prohibited, blackhole and silent-drop cases from inside its client namespace; the lab",
        "is always removed afterwards.",
    },
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial demo",
        "  tcpdial demo --format json",
        "  sudo tcpdial demo --lab",
        "",
        "Exit code: 0 when every case ended as it should, 9 when one did not, 8 when --lab cannot",
        "run (not root, lab/lab.sh missing).",
    })
final class DemoCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  OutputOptions output;

  @Option(names = {"-t", "--timeout"}, paramLabel = "DURATION", defaultValue = "1s",
      converter = Converters.DurationConverter.class,
      description = "Timeout per attempt, which the full-backlog case runs into. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--lab", description = "Run the namespace lab cases (needs root and lab/lab.sh).")
  boolean lab;

  @Option(names = "--lab-script", paramLabel = "FILE", description = "The lab script. Default:"
      + " lab/lab.sh in the current directory or beside the tcpdial checkout.")
  Path labScript;

  @Option(names = "--serve", hidden = true, paramLabel = "PORT",
      description = "Listen on every address at PORT and accept forever (the lab's server).")
  Integer serve;

  private record Case(String name, Target target, Expectation expected) {}

  @Override
  public Integer call() throws Exception {
    if (serve != null) {
      return serve(serve);
    }
    if (timeout.isZero() || timeout.compareTo(Duration.ofSeconds(30)) > 0) {
      throw new UsageException("--timeout must be more than 0 and at most 30s for the demo");
    }
    return lab ? new LabDemo(this).run() : loopbackDemo();
  }

  private int loopbackDemo() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Report report = new Report(out, spec.commandLine().getErr(), output, true, false, true)
        .labelWidth(12);
    try (Loopback.Open open = new Loopback.Open();
        Loopback.FullBacklog full = new Loopback.FullBacklog()) {
      String lo = Loopback.loopback().getHostAddress();
      List<Case> cases = List.of(
          new Case("listening", new Target(lo, open.port()), Expectation.OPEN),
          new Case("closed-port", new Target(lo, Loopback.closedPort()), Expectation.CLOSED),
          new Case("full-backlog", new Target(lo, full.port()), Expectation.FILTERED));
      List<Row> sync = new ArrayList<>();
      List<Row> async = new ArrayList<>();
      long start = System.nanoTime();
      for (Mode mode : Mode.values()) {
        try (Dialer d = Dialer.builder().mode(mode).connectTimeout(timeout).build()) {
          for (Case c : cases) {
            DialResult r = mode == Mode.SYNC ? d.probe(c.target()) : d.probeAsync(c.target()).join();
            (mode == Mode.SYNC ? sync : async).add(new Row(r, c.expected(), -1, c.name()));
          }
        }
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      if (output.format == OutputOptions.Format.TEXT) {
        OutputOptions silent = new OutputOptions();
        silent.quiet = true;
        Report counter = new Report(out, spec.commandLine().getErr(), silent, true, false, true);
        sync.forEach(counter::row);
        async.forEach(counter::row);
        if (!output.quiet) {
          sideBySide(out, cases, sync, async);
        }
        return counter.exitCode();
      }
      report.begin();
      for (int i = 0; i < cases.size(); i++) {
        report.row(sync.get(i));
        report.row(async.get(i));
      }
      Map<String, Object> fields = report.summaryFields("demo", elapsed);
      Map<String, Object> meanings = new java.util.LinkedHashMap<>();
      for (Outcome o : Outcome.values()) {
        meanings.put(o.label(), o.explanation());
      }
      fields.put("outcomes", meanings);
      report.summary(fields, List.of(report.countsLine("result")));
      return report.exitCode();
    }
  }

  private void sideBySide(PrintWriter out, List<Case> cases, List<Row> sync, List<Row> async) {
    out.println("tcpdial demo: three loopback targets of its own, each dialed once per mode"
        + " (timeout " + Report.human(timeout) + ")");
    out.println();
    out.println(String.format(Locale.ROOT, "%-13s %-17s | %-38s | %-38s", "case", "target",
        "sync (blocking connect)", "async (event loop)"));
    out.println("-".repeat(13) + " " + "-".repeat(17) + "-+-" + "-".repeat(38) + "-+-" + "-".repeat(38));
    for (int i = 0; i < cases.size(); i++) {
      out.println(String.format(Locale.ROOT, "%-13s %-17s | %-38s | %-38s", cases.get(i).name(),
          cases.get(i).target(), cell(sync.get(i)), cell(async.get(i))));
    }
    out.println();
    for (int i = 0; i < cases.size(); i++) {
      Row r = sync.get(i);
      out.println(String.format(Locale.ROOT, "%-13s expected %s, got %s%s: %s", cases.get(i).name(),
          cases.get(i).expected().label(), r.result().outcome().label(),
          r.matched() && async.get(i).matched() ? "" : " (UNEXPECTED)", r.result().explanation()));
    }
    out.println();
    out.println("What each outcome means:");
    for (Outcome o : Outcome.values()) {
      out.println(String.format(Locale.ROOT, "  %-19s  %s", o.label(), o.explanation()));
    }
    out.println();
    out.println("timeout with errno '-': our deadline fired; with ETIMEDOUT: the kernel gave up."
        + " See 'tcpdial demo --lab' (root) for the unreachable and prohibited cases.");
    out.flush();
  }

  private static String cell(Row row) {
    DialResult r = row.result();
    return String.format(Locale.ROOT, "%-9s %-13s %11s ms", r.outcome().label(),
        r.errno() == null ? "-" : r.errno().name(), Report.ms(r.elapsed()));
  }

  /** The lab's server: accepts on every address at {@code port} until killed. */
  private int serve(int port) throws IOException {
    try (ServerSocketChannel s = ServerSocketChannel.open()) {
      s.bind(new InetSocketAddress(port), 512);
      spec.commandLine().getErr().println("tcpdial demo --serve: listening on port " + port);
      spec.commandLine().getErr().flush();
      while (true) {
        try (SocketChannel ignored = s.accept()) {
          // accepted
        }
      }
    }
  }

  /** The namespace lab part. */
  private static final class LabDemo {
    private final DemoCommand cmd;
    private final PrintWriter out;
    private final PrintWriter err;

    LabDemo(DemoCommand cmd) {
      this.cmd = cmd;
      this.out = cmd.spec.commandLine().getOut();
      this.err = cmd.spec.commandLine().getErr();
    }

    /** Cases the lab produces: target, what it shows. */
    static final String[][] CASES = {
        {"198.18.1.2:80", "connected: the lab server listens"},
        {"[fd00:0:0:2::2]:80", "connected over IPv6"},
        {"198.18.1.2:81", "refused: nothing listens on 81"},
        {"198.18.2.1:80", "host_unreachable: the router answers ICMP host-unreachable"},
        {"198.18.3.1:80", "network_unreachable: the router has no route (ICMP net-unreachable)"},
        {"198.18.5.1:80", "host_unreachable: the router answers ICMP admin-prohibited, which Linux"
            + " reports as EHOSTUNREACH for IPv4"},
        {"[fd00:5::1]:80", "prohibited: the router answers ICMPv6 administratively prohibited (EACCES)"},
        {"198.18.4.1:80", "timeout: the router drops the SYN silently"},
        {"198.18.0.99:80", "host_unreachable: nobody answers ARP on the client's link (~3 s)"},
        {"198.18.10.1:80", "host_unreachable: a local 'unreachable' route"},
        {"198.18.11.1:80", "prohibited: a local 'prohibit' route"},
        {"198.18.12.1:80", "network_unreachable: a local 'blackhole' route (EINVAL)"},
        {"198.19.255.1:80", "network_unreachable: no route in the client"},
        {"nosuch.lab:80", "resolution_failed: the name is in no hosts file"},
    };

    int run() throws IOException, InterruptedException {
      if (!isRoot()) {
        err.println("tcpdial demo --lab: needs root (it creates network namespaces); run it as"
            + " root, or run 'tcpdial demo' for the loopback cases");
        err.flush();
        return ExitCodes.LOCAL;
      }
      Path script = findScript();
      if (script == null) {
        err.println("tcpdial demo --lab: lab/lab.sh not found (looked in the current directory and"
            + " beside the tcpdial jar); give --lab-script FILE");
        err.flush();
        return ExitCodes.LOCAL;
      }
      String prefix = "tdd" + (ProcessHandle.current().pid() % 100000);
      List<String> java = javaCommand();
      try {
        if (exec(List.of("bash", script.toString(), "up", prefix), true) != 0) {
          err.println("tcpdial demo --lab: '" + script + " up " + prefix + "' failed");
          return ExitCodes.LOCAL;
        }
        List<String> serve = new ArrayList<>(List.of("bash", script.toString(), "serve", prefix));
        serve.addAll(java);
        serve.addAll(List.of("demo", "--serve", "80"));
        if (exec(serve, true) != 0) {
          err.println("tcpdial demo --lab: could not start the lab server in " + prefix + "s");
          return ExitCodes.LOCAL;
        }
        if (cmd.output.format == OutputOptions.Format.TEXT && !cmd.output.quiet) {
          out.println("tcpdial demo --lab: namespace lab " + prefix + " (client " + prefix
              + "c, router " + prefix + "r, server " + prefix + "s)");
          for (String[] c : CASES) {
            out.println(String.format(Locale.ROOT, "  %-20s %s", c[0], c[1]));
          }
          out.flush();
        }
        for (Mode mode : Mode.values()) {
          if (cmd.output.format == OutputOptions.Format.TEXT && !cmd.output.quiet) {
            out.println();
            out.println("== " + mode.label() + " mode, from inside " + prefix + "c:");
            out.flush();
          }
          List<String> check = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "c"));
          check.addAll(java);
          check.addAll(List.of("check", "--mode", mode.label(), "--timeout",
              Report.ms(cmd.timeout.multipliedBy(2).plusSeconds(2)) + "ms",
              "--format", cmd.output.format.name().toLowerCase(Locale.ROOT)));
          if (cmd.output.verbose) {
            check.add("-v");
          }
          if (cmd.output.quiet) {
            check.add("-q");
          }
          for (String[] c : CASES) {
            check.add(c[0]);
          }
          exec(check, false); // its exit code reflects the failures the lab exists to show
        }
        return ExitCodes.OK;
      } finally {
        exec(List.of("bash", script.toString(), "down", prefix), true);
      }
    }

    private static boolean isRoot() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Uid:")) {
            return line.split("\\s+")[2].equals("0"); // effective uid
          }
        }
      } catch (IOException e) {
        // not Linux
      }
      return false;
    }

    private Path findScript() {
      if (cmd.labScript != null) {
        return Files.isRegularFile(cmd.labScript) ? cmd.labScript : null;
      }
      List<Path> candidates = new ArrayList<>();
      candidates.add(Path.of("lab", "lab.sh"));
      try {
        Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        // tcpdial-cli/target/tcpdial.jar or tcpdial-cli/target/classes
        Path root = jar.getParent() == null ? null : jar.getParent().getParent();
        if (root != null && root.getParent() != null) {
          candidates.add(root.getParent().resolve("lab").resolve("lab.sh"));
        }
      } catch (Exception e) {
        // no location
      }
      for (Path p : candidates) {
        if (Files.isRegularFile(p)) {
          return p.toAbsolutePath();
        }
      }
      return null;
    }

    /** This JVM with the flags tcpdial needs and this class path. */
    private static List<String> javaCommand() {
      String java = ProcessHandle.current().info().command()
          .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      return List.of(java, "--enable-native-access=ALL-UNNAMED",
          "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    /** Runs {@code command}; its output goes to our stdout ({@code toErr}: stderr). */
    private int exec(List<String> command, boolean toErr) throws IOException, InterruptedException {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(toErr)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      if (!toErr) {
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      }
      Process p = pb.start();
      PrintWriter to = toErr ? err : out;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (!cmd.output.quiet || !toErr) {
            to.println(line);
          }
        }
      }
      to.flush();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    }
  }
}
