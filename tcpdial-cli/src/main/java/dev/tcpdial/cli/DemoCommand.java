package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.output.Row;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.UsageException;
import dev.tcpdial.cli.targets.Converters;
import dev.tcpdial.cli.targets.Loopback;
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
    header = "Show the outcomes: loopback cases, or the namespace lab (--lab).",
    description = {
        "Shows the outcomes without any setup: starts its own loopback targets (a listener, a"
            + " closed port, a listener whose backlog is full so SYNs are dropped) and dials each"
            + " in sync and async mode side by side, then explains every outcome.",
        "--lab (root): builds the network-namespace lab (lab/lab.sh up), dials every case of"
            + " lab/demo-targets.txt from inside its client namespaces in both modes and compares"
            + " with the expected outcome and errno; the lab is always removed afterwards.",
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

  private record Case(String name, Target target, PortState expected) {}

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
          new Case("listening", new Target(lo, open.port()), PortState.OPEN),
          new Case("closed-port", new Target(lo, Loopback.closedPort()), PortState.CLOSED),
          new Case("full-backlog", new Target(lo, full.port()), PortState.FILTERED));
      List<Row> sync = new ArrayList<>();
      List<Row> async = new ArrayList<>();
      long start = System.nanoTime();
      for (Mode mode : Mode.values()) {
        try (Dialer d = Dialer.builder().mode(mode).connectTimeout(timeout).build().prestart()) {
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
    out.println(String.format(Locale.ROOT, "%-13s %-17s | %-38s | %s", "case", "target",
        "sync (blocking connect)", "async (event loop)"));
    out.println("-".repeat(13) + " " + "-".repeat(17) + "-+-" + "-".repeat(38) + "-+-" + "-".repeat(38));
    for (int i = 0; i < cases.size(); i++) {
      out.println(String.format(Locale.ROOT, "%-13s %-17s | %-38s | %s", cases.get(i).name(),
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
        try (SocketChannel _ = s.accept()) {
          // accepted
        }
      }
    }
  }

  /** The namespace lab part: built by lab/lab.sh, cases from lab/demo-targets.txt. */
  static final class LabDemo {
    private final DemoCommand cmd;
    private final PrintWriter out;
    private final PrintWriter err;

    LabDemo(DemoCommand cmd) {
      this.cmd = cmd;
      this.out = cmd.spec.commandLine().getOut();
      this.err = cmd.spec.commandLine().getErr();
    }

    /** One line of demo-targets.txt. */
    record Scenario(String ns, String target, String outcome, String errno, long minMs, long maxMs,
        String options, String description) {}

    static List<Scenario> scenarios(Path file) throws IOException {
      List<Scenario> list = new ArrayList<>();
      int n = 0;
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        n++;
        String l = line.strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        String[] f = l.split("\\s+", 8);
        if (f.length < 7) {
          throw new UsageException(file + ":" + n + ": expected 'ns target outcome errno min_ms"
              + " max_ms options description'");
        }
        try {
          list.add(new Scenario(f[0], f[1], f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]),
              f[6], f.length > 7 ? f[7] : ""));
        } catch (NumberFormatException e) {
          throw new UsageException(file + ":" + n + ": min_ms and max_ms must be numbers");
        }
      }
      return list;
    }

    /** Dialer options of a scenario as check options. */
    static List<String> checkOptions(String options) {
      List<String> o = new ArrayList<>();
      boolean timeout = false;
      if (!options.equals("-")) {
        for (String kv : options.split(",")) {
          String[] p = kv.split("=", 2);
          String v = p.length > 1 ? p[1] : "";
          switch (p[0]) {
            case "connect-timeout" -> {
              o.addAll(List.of("--timeout", v + "ms"));
              timeout = true;
            }
            case "deadline" -> o.addAll(List.of("--deadline", v + "ms"));
            case "attempt-delay" -> o.addAll(List.of("--attempt-delay", v + "ms"));
            case "syn-retries" -> o.addAll(List.of("--syn-retries", v));
            default -> throw new UsageException("demo-targets.txt: unknown option '" + kv + "'");
          }
        }
      }
      if (!timeout) {
        o.addAll(List.of("--timeout", "10s")); // the dialer's default, which the list assumes
      }
      return o;
    }

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
      Path list = script.resolveSibling("demo-targets.txt");
      if (!Files.isRegularFile(list)) {
        err.println("tcpdial demo --lab: " + list + " not found (the lab's scenario list)");
        err.flush();
        return ExitCodes.LOCAL;
      }
      List<Scenario> scenarios = scenarios(list);
      String prefix = "tdd" + (ProcessHandle.current().pid() % 100000);
      List<String> java = javaCommand();
      boolean text = cmd.output.format == OutputOptions.Format.TEXT;
      try {
        if (exec(List.of("bash", script.toString(), "up", prefix, "--owner",
            Long.toString(ProcessHandle.current().pid())), null) != 0) {
          err.println("tcpdial demo --lab: '" + script + " up " + prefix + "' failed");
          return ExitCodes.LOCAL;
        }
        List<String> serve = new ArrayList<>(List.of("bash", script.toString(), "serve", prefix));
        serve.addAll(java);
        serve.addAll(List.of("demo", "--serve", "80"));
        if (exec(serve, null) != 0) {
          err.println("tcpdial demo --lab: could not start the lab server in " + prefix + "s");
          return ExitCodes.LOCAL;
        }
        if (text && !cmd.output.quiet) {
          out.println("tcpdial demo --lab: lab " + prefix + " (client " + prefix + "c, second"
              + " client " + prefix + "k with tcp_syn_retries=1, router " + prefix + "r, server "
              + prefix + "s); " + scenarios.size() + " cases from " + list.getFileName()
              + ", each dialed in sync and async mode from inside the lab");
          out.flush();
        }
        // group by namespace and options: one check per group and mode, all of a group at once
        Map<String, List<Integer>> groups = new java.util.LinkedHashMap<>();
        for (int i = 0; i < scenarios.size(); i++) {
          Scenario sc = scenarios.get(i);
          groups.computeIfAbsent(sc.ns() + " " + sc.options(), k -> new ArrayList<>()).add(i);
        }
        com.fasterxml.jackson.databind.JsonNode[][] results =
            new com.fasterxml.jackson.databind.JsonNode[scenarios.size()][2];
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        for (Mode mode : Mode.values()) {
          for (List<Integer> group : groups.values()) {
            Scenario first = scenarios.get(group.getFirst());
            List<String> check = new ArrayList<>(List.of("ip", "netns", "exec", prefix + first.ns()));
            check.addAll(java);
            check.addAll(List.of("check", "--mode", mode.label(), "--format", "json"));
            check.addAll(checkOptions(first.options()));
            for (int i : group) {
              check.add(scenarios.get(i).target());
            }
            List<String> lines = new ArrayList<>();
            exec(check, lines); // its exit code reflects the failures the lab exists to show
            int k = 0;
            for (String line : lines) {
              com.fasterxml.jackson.databind.JsonNode node;
              try {
                node = mapper.readTree(line);
              } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                continue;
              }
              if (node.has("summary") || k >= group.size()) {
                continue;
              }
              results[group.get(k++)][mode.ordinal()] = node;
            }
          }
        }
        return report(scenarios, results, prefix);
      } finally {
        exec(List.of("bash", script.toString(), "down", prefix), null);
      }
    }

    private int report(List<Scenario> scenarios, com.fasterxml.jackson.databind.JsonNode[][] results,
        String prefix) {
      int matched = 0;
      int mismatched = 0;
      int slow = 0;
      OutputOptions.Format format = cmd.output.format;
      if (format == OutputOptions.Format.CSV && !cmd.output.quiet) {
        out.println("namespace,target,mode,outcome,errno,time_ms,expected_outcome,expected_errno,"
            + "matched,in_time,description");
      }
      for (int i = 0; i < scenarios.size(); i++) {
        Scenario sc = scenarios.get(i);
        String expErrno = sc.errno().equals("-") ? null : sc.errno();
        StringBuilder line = new StringBuilder();
        boolean allOk = true;
        for (Mode mode : Mode.values()) {
          com.fasterxml.jackson.databind.JsonNode r = results[i][mode.ordinal()];
          String outcome = r == null ? "missing" : r.get("outcome").asText();
          String errno = r == null || r.get("errno").isNull() ? null : r.get("errno").asText();
          double ms = r == null ? -1 : r.get("time_ms").asDouble();
          boolean ok = outcome.equals(sc.outcome()) && java.util.Objects.equals(errno, expErrno);
          boolean inTime = ms >= sc.minMs() && ms <= sc.maxMs();
          if (ok) {
            matched++;
          } else {
            mismatched++;
            allOk = false;
          }
          if (ok && !inTime) {
            slow++;
          }
          if (cmd.output.quiet) {
            continue;
          }
          switch (format) {
            case TEXT -> line.append(line.isEmpty() ? "" : "\n").append(String.format(Locale.ROOT, "    %-5s %-19s %-13s %11s ms%s",
                mode.label(), outcome, errno == null ? "-" : errno, r == null ? "-" : Report.ms(
                    Duration.ofNanos((long) (ms * 1e6))), ok ? (inTime ? "" : " (outside "
                    + sc.minMs() + "-" + sc.maxMs() + " ms)") : " MISMATCH"));
            case JSON -> {
              com.fasterxml.jackson.databind.node.ObjectNode o = r == null
                  ? new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                  : ((com.fasterxml.jackson.databind.node.ObjectNode) r).deepCopy();
              o.put("case", sc.description());
              o.put("namespace", prefix + sc.ns());
              o.put("expected", sc.outcome());
              o.put("expected_errno", expErrno);
              o.put("matched", ok);
              o.put("in_time", inTime);
              out.println(o.toString());
            }
            case CSV -> out.println(String.join(",", Report.csvField(sc.ns()),
                Report.csvField(sc.target()), mode.label(), outcome, errno == null ? "" : errno,
                r == null ? "" : Report.ms(Duration.ofNanos((long) (ms * 1e6))), sc.outcome(),
                expErrno == null ? "" : expErrno, Boolean.toString(ok), Boolean.toString(inTime),
                Report.csvField(sc.description())));
          }
        }
        if (format == OutputOptions.Format.TEXT && !cmd.output.quiet) {
          out.println();
          out.println(String.format(Locale.ROOT, "%s %-20s expected %s %s%s", sc.ns(), sc.target(),
              sc.outcome(), expErrno == null ? "-" : expErrno, allOk ? "" : "   <- MISMATCH"));
          out.println("    " + sc.description());
          out.println(line);
        }
      }
      int code = mismatched == 0 ? ExitCodes.OK : ExitCodes.MISMATCH;
      if (!cmd.output.quiet) {
        String summary = scenarios.size() + " cases x 2 modes: " + matched + " as expected, "
            + mismatched + " not" + (slow > 0 ? ", " + slow + " outside their time bounds" : "");
        switch (format) {
          case TEXT -> {
            out.println();
            out.println(summary);
          }
          case JSON -> {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("command", "demo --lab");
            m.put("total", (long) matched + mismatched);
            m.put("matched", (long) matched);
            m.put("mismatched", (long) mismatched);
            m.put("outside_time_bounds", (long) slow);
            m.put("exit_code", code);
            out.println(Report.jsonLine(Map.of("summary", m)));
          }
          case CSV -> err.println(summary);
        }
      }
      out.flush();
      err.flush();
      return code;
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
        return Files.isRegularFile(cmd.labScript) ? cmd.labScript.toAbsolutePath() : null;
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
          "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv6Addresses=system",
          "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    /**
     * Runs {@code command}; its stdout lines go into {@code lines}, or (null) to our stderr with
     * its stderr, unless quiet.
     */
    private int exec(List<String> command, List<String> lines) throws IOException, InterruptedException {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(lines == null)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      if (lines != null) {
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      }
      Process p = pb.start();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (lines != null) {
            lines.add(line);
          } else if (!cmd.output.quiet) {
            err.println(line);
          }
        }
      }
      err.flush();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    }
  }
}
