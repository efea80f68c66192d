package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.cli.plot.PingPlot;
import dev.tcpdial.cli.plot.PingSink;
import dev.tcpdial.cli.report.PingReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tcpdial ping TARGET}: a probe every interval, one line each, statistics at the end. */
@Command(
    name = "ping",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Dial a target again and again; statistics and outages at the end.",
    description = "Dials each target again and again and prints one line per probe (seq, outcome,"
        + " errno, time), or on a terminal draws a live chart of the connect times; on exit,"
        + " q (chart) or Ctrl-C a summary per target: sent/connected/failed by outcome, loss,"
        + " min/avg/max/mdev, p50/p90/p99 and jitter (of connected probes only) and the outage"
        + " log: when it went down, why, when it came back.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial ping 127.0.0.1:8080",
        "  tcpdial ping -c 10 -i 200ms --timeout 1s localhost:5432",
        "  tcpdial ping -c 100 -i 50ms --format json [::1]:80 | tail -1 | jq .summary.ping",
        "  tcpdial ping --plot 127.0.0.1:8080 127.0.0.1:5432 --report ping.html",
        "",
        "Exit code: 0 when at least one probe of every target connected, else the most severe",
        "failure's code of the targets that never connected (see tcpdial --help).",
    })
final class PingCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  OutputOptions output;

  @Mixin
  DialOptions dial;

  @Option(names = {"-m", "--mode"}, paramLabel = "sync|async", defaultValue = "async",
      description = "sync: a blocking connect; async: on the event loop. Default: ${DEFAULT-VALUE}.")
  Mode mode;

  @Option(names = {"-c", "--count"}, paramLabel = "COUNT",
      description = "Stop after COUNT probes. Default: until Ctrl-C.")
  Long count;

  @Option(names = {"-i", "--interval"}, paramLabel = "DURATION", defaultValue = "1s",
      converter = Converters.DurationConverter.class,
      description = "Time between the starts of two probes. Default: ${DEFAULT-VALUE}.")
  Duration interval;

  @Parameters(arity = "1..*", paramLabel = "TARGET", converter = Converters.TargetConverter.class,
      description = "host:port, [v6addr]:port; several targets are probed side by side, each"
          + " every interval, each with its own statistics (and its own series on the chart)")
  List<Target> targets;

  @Option(names = "--plot", negatable = true,
      description = "A live chart of the connect times in the terminal instead of one line per"
          + " probe: the default when stdout is a terminal of at least "
          + PingPlot.DEFAULT_MIN_WIDTH + "x" + PingPlot.DEFAULT_MIN_HEIGHT + " and the format is"
          + " text; --no-plot prints lines. q or Ctrl-C ends it; the statistics follow.")
  Boolean plot;

  @Option(names = "--report", paramLabel = "FILE.html", converter = dev.tcpdial.cli.report.ReportFile.class,
      description = "Also write the run as one self-contained HTML page: connect times over"
          + " time, outages as bands, the statistics.")
  Path reportFile;

  @Override
  public Integer call() {
    if (count != null && count < 1) {
      throw new ParameterException(spec.commandLine(), "-c/--count must be at least 1: " + count);
    }
    if (interval.compareTo(Duration.ofMillis(1)) < 0) {
      throw new ParameterException(spec.commandLine(), "-i/--interval must be at least 1ms");
    }
    List<String> names = targets.stream().map(Target::toString).toList();
    if (new java.util.HashSet<>(names).size() < names.size()) {
      throw new ParameterException(spec.commandLine(), "a target given twice: "
          + names.stream().filter(n -> names.indexOf(n) != names.lastIndexOf(n)).findFirst()
              .orElseThrow());
    }
    AtomicBoolean stop = new AtomicBoolean();
    Thread self = Thread.currentThread();
    Runnable stopper = () -> {
      stop.set(true);
      self.interrupt();
    };
    PingPlot chart = openPlot(names, stopper);
    PingReport page = reportFile == null ? null
        : PingReport.create(reportFile, names, interval, dev.tcpdial.cli.report.Page.commandLine(spec));
    PingSink views = PingSink.all(java.util.stream.Stream.of(chart, page)
        .filter(java.util.Objects::nonNull).map(PingSink.class::cast).toList());
    PrintWriter out = spec.commandLine().getOut();
    Report report = new Report(chart == null ? out : chart.rows(out), spec.commandLine().getErr(),
        output, false, true, false)
        .targetWidth(names.stream().mapToInt(String::length).max().orElse(0));
    List<PingStats> stats = targets.stream().map(t -> new PingStats()).toList();
    int[] worst = new int[targets.size()];
    Interrupts interrupts = Interrupts.install(stopper);
    long start = System.nanoTime();
    try (Dialer dialer = dial.builder(mode, Duration.ofSeconds(5)).build().prestart()) {
      if (!Engines.available(dialer, dial, report, spec)) {
        return ExitCodes.ERROR;
      }
      report.begin();
      views.begin(Instant.now());
      for (long seq = 1; count == null || seq <= count; seq++) {
        if (stop.get()) {
          break;
        }
        long probeStart = System.nanoTime();
        Instant started = Instant.now();
        List<DialResult> rs = probeAll(dialer);
        if (rs == null) {
          break; // interrupted: these probes are not counted
        }
        for (int i = 0; i < rs.size(); i++) {
          DialResult r = rs.get(i);
          if (stop.get() && r.outcome() == Outcome.CANCELLED) {
            continue; // interrupted: this probe is not counted
          }
          stats.get(i).add(r, started.plus(r.elapsed())); // when this probe ended
          Row row = new Row(r, null, seq, null);
          report.row(row);
          worst[i] = ExitCodes.worst(worst[i], row.exitCode());
          views.result(i, seq, started, r, stats.get(i).figures());
        }
        if (stop.get() || (count != null && seq == count)) {
          break;
        }
        long wait = probeStart + interval.toNanos() - System.nanoTime();
        if (wait > 0) {
          try {
            Thread.sleep(Duration.ofNanos(wait));
          } catch (InterruptedException e) {
            break;
          }
        }
      }
    } finally {
      views.close(); // the terminal back before anything else is written
      interrupts.restore();
      Thread.interrupted(); // a late Ctrl-C must not disturb the summary
    }
    Instant end = Instant.now();
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    Map<String, Object> fields = report.summaryFields("ping", elapsed);
    int code = ExitCodes.OK;
    List<String> text = new ArrayList<>();
    List<Object> json = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      PingStats st = stats.get(i);
      code = ExitCodes.worst(code, st.connected() > 0 ? ExitCodes.OK : worst[i]);
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("target", names.get(i));
      m.putAll(st.json(end));
      json.add(m);
      List<String> lines = st.text(names.get(i), elapsed, end);
      text.addAll(lines);
      if (page != null) {
        for (PingStats.Outage o : st.outages()) {
          page.outage(i, o.down(), o.up() != null ? o.up() : end, o.reason(), o.failedProbes());
        }
        page.statistics(i, lines);
      }
    }
    fields.put("exit_code", code);
    fields.put("ping", json.size() == 1 ? stats.getFirst().json(end) : json);
    if (page != null && !page.write(end, elapsed, report.err())) {
      code = ExitCodes.worst(code, ExitCodes.ERROR);
      fields.put("exit_code", code);
    }
    report.summary(fields, text);
    return code;
  }

  /** The chart, or null for lines: asked for with --plot, or the default on a large terminal. */
  private PingPlot openPlot(List<String> names, Runnable stopper) {
    boolean text = output.format == OutputOptions.Format.TEXT && !output.quiet;
    if (Boolean.FALSE.equals(plot) || (plot == null && !text)) {
      return null;
    }
    if (!text) {
      throw new ParameterException(spec.commandLine(),
          "--plot draws the results; it goes with text output only (not -q or --format)");
    }
    if (spec.commandLine().getOut() != Terminal.realOut || !Terminal.isatty(1)) {
      if (plot != null) {
        throw new ParameterException(spec.commandLine(), "--plot needs a terminal on stdout");
      }
      return null;
    }
    String title = "tcpdial ping " + String.join(" ", names) + "  every " + Report.human(interval)
        + "   q: quit";
    try {
      return PingPlot.open(names, interval, title, plot != null, stopper);
    } catch (IllegalStateException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /**
   * One probe of each target, side by side; the results in the order of the targets, or null when
   * interrupted.
   */
  private List<DialResult> probeAll(Dialer dialer) {
    if (mode == Mode.SYNC && targets.size() == 1) {
      return List.of(dialer.probe(targets.getFirst()));
    }
    List<CompletableFuture<DialResult>> fs = new ArrayList<>(targets.size());
    for (Target t : targets) {
      fs.add(mode == Mode.SYNC
          ? CompletableFuture.supplyAsync(() -> dialer.probe(t), VIRTUAL)
          : dialer.probeAsync(t));
    }
    List<DialResult> rs = new ArrayList<>(fs.size());
    try {
      for (CompletableFuture<DialResult> f : fs) {
        rs.add(f.get());
      }
      return rs;
    } catch (InterruptedException e) {
      fs.forEach(f -> f.cancel(true));
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(Main.message(e.getCause()), e.getCause());
    }
  }

  /** Blocking probes of several targets at once, one virtual thread each. */
  private static final java.util.concurrent.Executor VIRTUAL =
      r -> Thread.ofVirtual().name("tcpdial-ping").start(r);
}
