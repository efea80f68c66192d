package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.PingStats;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.output.Row;
import dev.tcpdial.cli.output.Stdout;
import dev.tcpdial.cli.output.Terminal;
import dev.tcpdial.cli.plot.PingPlot;
import dev.tcpdial.cli.plot.PingSink;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.Interrupts;
import dev.tcpdial.cli.process.Messages;
import dev.tcpdial.cli.process.OwnClasses;
import dev.tcpdial.cli.process.SystemLimits;
import dev.tcpdial.cli.report.PingReport;
import dev.tcpdial.cli.targets.Converters;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tcpdial ping TARGET...}: a probe every interval, one line each, statistics at the end. */
@Command(
    name = "ping",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Dial targets again and again; statistics and outages at the end.",
    description = {"Dials each target again and again and prints one line per probe (seq, outcome,"
        + " errno, time), or on a terminal draws a live chart of the connect times; on exit"
        + " (q on the chart, Ctrl-C) a summary per target: sent/connected/failed by outcome, loss,"
        + " min/avg/max/mdev, p50/p90/p99 and jitter (of connected probes only) and the outage"
        + " log: when it went down (date and time), the count of each outcome and errno, when it"
        + " came back.",
        "Probes keep the schedule, as ping(8) does: one starts every interval even when earlier"
        + " ones have not ended (an interval shorter than the timeout puts several in flight);"
        + " lines come in sequence order.",
        "Ctrl-C or SIGTERM: a probe still in flight is reported as cancelled (interrupted),"
        + " counted as sent and interrupted, and the summary follows; exit 130 (SIGINT) or 143"
        + " (SIGTERM)."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial ping 127.0.0.1:8080",
        "  tcpdial ping -c 10 -i 200ms --timeout 1s localhost:5432",
        "  tcpdial ping -c 100 -i 50ms --format json [::1]:80 | tail -1 | jq .summary.ping",
        "  tcpdial ping --plot 127.0.0.1:8080 127.0.0.1:5432 --report ping.html",
        "",
        "Exit code: 0 when at least one probe of every target connected, else the most severe",
        "failure's code of the targets that never connected (see tcpdial --help); 130/143 when",
        "interrupted by SIGINT/SIGTERM.",
    })
final class PingCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  OutputOptions output;

  @Mixin
  DialOptions dial;

  @Option(names = {"-m", "--mode"}, paramLabel = "sync|async", defaultValue = "async",
      completionCandidates = DialOptions.ModeNames.class,
      description = "sync: a blocking connect; async: on the event loop. Default: ${DEFAULT-VALUE}.")
  Mode mode;

  @Option(names = {"-c", "--count"}, paramLabel = "COUNT",
      description = "Stop after COUNT probes (of each target). Default: until Ctrl-C.")
  Long count;

  @Option(names = {"-i", "--interval"}, paramLabel = "DURATION", defaultValue = "1s",
      converter = Converters.DurationConverter.class,
      description = "Time between the starts of two probes. Default: ${DEFAULT-VALUE}.")
  Duration interval;

  @Parameters(arity = "1..*", paramLabel = "TARGET",
      description = "host:port, [v6addr]:port, HOST PORT (two words, as tcping takes them), a URL"
          + " (the scheme's port unless it names one); several targets are probed side by side,"
          + " each every interval, each with its own statistics (and its own series on the chart)")
  List<String> words;

  private List<Target> targets;

  @Option(names = "--plot", negatable = true,
      description = "A live chart of the connect times in the terminal instead of one line per"
          + " probe: the default when stdout is a terminal of at least "
          + PingPlot.DEFAULT_MIN_WIDTH + "x" + PingPlot.DEFAULT_MIN_HEIGHT + " and the format is"
          + " text; --no-plot prints lines. q or Ctrl-C ends it; the statistics follow.")
  Boolean plot;

  @Option(names = "--report", paramLabel = "FILE.html",
      converter = dev.tcpdial.cli.report.ReportFile.class,
      description = "Also write the run as one self-contained HTML page: connect times over"
          + " time, outages as bands, the statistics.")
  Path reportFile;

  @Option(names = "--trace-on-failure",
      description = "When an outage starts (a target's first failed probe after it connected, or"
          + " at the start), trace the path to the failing address in the background (one probe"
          + " a hop, up to 30 hops); the outage log then says where the SYN died. At most "
          + OutageTraces.MAX_PER_TARGET + " traces a target.")
  boolean traceOnFailure;

  @Override
  public Integer call() {
    targets = new ArrayList<>();
    try {
      for (String w : dev.tcpdial.cli.targets.Pasted.targets(words)) {
        targets.add(Target.parse(w));
      }
    } catch (IllegalArgumentException | dev.tcpdial.cli.process.UsageException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
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
    targets.forEach(dial::checkFamily);
    OwnClasses.loadFromDirectories(); // as scan: the summary must not need a descriptor
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
        .targetWidth(names.stream().mapToInt(String::length).max().orElse(0))
        .addressWidth(Report.addressWidth(targets));
    Run run = new Run(report, views, targets.stream().map(t -> new PingStats()).toList(),
        new int[targets.size()]);
    OutageTraces outageTraces = traceOnFailure ? new OutageTraces(targets.size(), dial.timeout,
        dial.builder(mode, Duration.ofSeconds(5)).build()) : null;
    run.outageTraces = outageTraces;
    Interrupts interrupts = Interrupts.install(stopper);
    long start = System.nanoTime();
    ExecutorService threads = mode == Mode.SYNC ? Executors.newVirtualThreadPerTaskExecutor() : null;
    try (Dialer dialer = dial.builder(mode, Duration.ofSeconds(5)).build().prestart()) {
      if (!Engines.available(dialer, dial, report, spec)) {
        return ExitCodes.ERROR;
      }
      report.begin();
      views.begin(Instant.now());
      schedule(dialer, threads, run, stop);
      Thread.interrupted(); // the handler's interrupt has done its work
      // interrupted: what ended is reported, what is still in flight is cancelled and said so
      for (InFlight p : run.pending) {
        DialResult r = p.resultIfDone();
        if (r == null) {
          p.future().cancel(true);
          r = new DialResult(targets.get(p.index()), Outcome.CANCELLED, null, null, null,
              Duration.ofNanos(System.nanoTime() - p.startNanos()), Duration.ZERO, List.of(), mode,
              dialer.probeEngine(), List.of(), "interrupted by " + interrupts.signalName()
                  + " while in flight");
          run.stats.get(p.index()).interrupted();
          report.row(new Row(r, null, p.seq(), null));
        } else {
          run.ended(p, r);
        }
      }
    } finally {
      if (threads != null) {
        threads.shutdownNow();
      }
      views.close(); // the terminal back before anything else is written
      giveBackDescriptor1();
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
      PingStats st = run.stats.get(i);
      code = ExitCodes.worst(code, st.connected() > 0 ? ExitCodes.OK : run.worst[i]);
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      if (targets.size() > 1) {
        m.put("target", names.get(i));
      }
      m.putAll(st.json(end));
      m.put("most_in_flight", run.mostInFlight);
      m.put("started_late", run.late);
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
    if (outageTraces != null) {
      outageTraces.summary(names, text, fields, output.verbose);
    }
    if (page != null && !page.write(end, elapsed, report.err())) {
      code = ExitCodes.worst(code, ExitCodes.ERROR);
    }
    code = interrupts.exitCode(code);
    fields.put("exit_code", code);
    fields.put("interrupted", interrupts.signalName());
    fields.put("ping", json.size() == 1 ? json.getFirst() : json);
    if (run.late > 0) {
      text.add("schedule: " + run.late + " round" + (run.late == 1 ? "" : "s")
          + " of probes started late (at most " + run.limit + " in flight)");
    }
    if (interrupts.caught()) {
      text.add("interrupted by " + interrupts.signalName());
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
    if (spec.commandLine().getOut() != Terminal.realOut || !Terminal.stdoutIsTerminal()) {
      if (plot != null) {
        throw new ParameterException(spec.commandLine(), "--plot needs a terminal on stdout");
      }
      return null;
    }
    String title = "tcpdial ping " + String.join(" ", names) + "  every " + Report.human(interval)
        + "   q: quit";
    // the chart draws where the results go, a terminal: JLine knows descriptor 1 only
    descriptor1 = Stdout.resultsOnDescriptor1();
    try {
      PingPlot chart = PingPlot.open(names, interval, title, plot != null, stopper);
      if (chart == null) {
        giveBackDescriptor1();
      }
      return chart;
    } catch (IllegalStateException e) {
      giveBackDescriptor1();
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** Where descriptor 1 points while the chart is open; closed once it is gone. */
  private AutoCloseable descriptor1 = () -> { };

  private void giveBackDescriptor1() {
    try {
      descriptor1.close();
    } catch (Exception e) {
      // nothing more to do: see Stdout.resultsOnDescriptor1
    }
  }

  /**
   * One ping run's state: the probes in flight (oldest first, targets in their order within a
   * round), what each target saw, and how well the schedule was kept. Used by the calling thread
   * only.
   */
  private final class Run {
    final Report report;
    final PingSink views;
    final List<PingStats> stats;
    final int[] worst; // per target: the most severe exit code of its failures
    final ArrayDeque<InFlight> pending = new ArrayDeque<>();
    final int limit = Math.max(targets.size(), SystemLimits.defaultConcurrency());
    long late;
    int mostInFlight;
    OutageTraces outageTraces; // --trace-on-failure, or null

    Run(Report report, PingSink views, List<PingStats> stats, int[] worst) {
      this.report = report;
      this.views = views;
      this.stats = stats;
      this.worst = worst;
    }

    /** Counts, reports and draws a probe that ended. */
    void ended(InFlight p, DialResult r) {
      if (outageTraces != null) {
        outageTraces.probed(p.index(), r, p.ended(r));
      }
      PingStats st = stats.get(p.index());
      st.add(r, p.ended(r));
      Row row = new Row(r, null, p.seq(), null);
      report.row(row);
      worst[p.index()] = ExitCodes.worst(worst[p.index()], row.exitCode());
      views.result(p.index(), p.seq(), p.started(), r, st.figures());
    }

    /** Reports the probes at the head that ended, in order. */
    void reportEnded() {
      while (!pending.isEmpty() && pending.peek().future().isDone()) {
        InFlight p = pending.poll();
        DialResult r = p.resultIfDone();
        if (r != null) {
          ended(p, r);
        }
      }
    }
  }

  /** A probe of target {@code index} started at {@code startNanos}; its result through {@code future}. */
  private record InFlight(long seq, int index, long startNanos, Instant started,
      Future<DialResult> future) {
    /** When the probe ended: its start and its own elapsed time (reports may come later). */
    Instant ended(DialResult r) {
      return started.plus(r.elapsed());
    }

    DialResult resultIfDone() {
      if (!future.isDone() || future.isCancelled()) {
        return null;
      }
      try {
        return future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (ExecutionException e) {
        throw new IllegalStateException(Messages.message(e.getCause()), e.getCause());
      }
    }
  }

  /**
   * Starts a round (one probe of each target) every interval, on schedule as ping(8) does: when a
   * probe takes longer than the interval, the next round starts anyway and several are in flight
   * (at most {@link Run#limit}, else the next round starts late and is counted). Results are
   * reported in sequence order as they end. Returns when the count is reached and every probe
   * ended, or at once on an interrupt, with the probes still in flight left in {@code run.pending}.
   */
  private void schedule(Dialer dialer, ExecutorService threads, Run run, AtomicBoolean stop) {
    long step = interval.toNanos();
    long next = System.nanoTime();
    long seq = 0;
    try {
      while (!stop.get() && (count == null || seq < count)) {
        awaitUntil(next, run);
        if (stop.get()) {
          return;
        }
        if (run.pending.size() + targets.size() > run.limit) {
          run.late++;
          awaitHead(run);
          next = System.nanoTime();
          continue;
        }
        seq++;
        long now = System.nanoTime();
        Instant started = Instant.now();
        for (int i = 0; i < targets.size(); i++) {
          Target t = targets.get(i);
          Future<DialResult> f = threads == null ? dialer.probeAsync(t)
              : threads.submit(() -> dialer.probe(t));
          run.pending.add(new InFlight(seq, i, now, started, f));
        }
        run.mostInFlight = Math.max(run.mostInFlight, run.pending.size());
        next += step;
        if (now - next > step) { // fell behind by more than a round (a paused machine): no burst
          next = now + step;
        }
      }
      while (!stop.get() && !run.pending.isEmpty()) {
        awaitHead(run);
      }
    } catch (InterruptedException e) {
      // the signal handler interrupted this thread: the caller reports what is in flight
    }
  }

  /** Reports the probes that ended, in order, until {@code deadline} (System.nanoTime). */
  private static void awaitUntil(long deadline, Run run) throws InterruptedException {
    while (true) {
      run.reportEnded();
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      if (run.pending.isEmpty()) {
        Thread.sleep(Duration.ofNanos(left));
        return;
      }
      try {
        run.pending.peek().future().get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException | CancellationException e) {
        // reported (or thrown) by reportEnded
      }
    }
  }

  /** Waits for the oldest probe and reports every one that ended. */
  private static void awaitHead(Run run) throws InterruptedException {
    InFlight head = run.pending.peek();
    if (head != null) {
      try {
        head.future().get();
      } catch (ExecutionException | CancellationException e) {
        // reported (or thrown) by reportEnded
      }
    }
    run.reportEnded();
  }
}
