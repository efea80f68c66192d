package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.output.Row;
import dev.tcpdial.cli.output.TraceReport;
import dev.tcpdial.cli.targets.Addresses;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.Interrupts;
import dev.tcpdial.cli.process.Messages;
import dev.tcpdial.cli.process.SystemLimits;
import dev.tcpdial.cli.targets.Pasted;
import dev.tcpdial.cli.targets.TargetList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code tcpdial check TARGET...}: one dial per target, one line per target. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Dial each target once: outcome, errno, time.",
    description = "Dials each target once and prints one line per target: target, address used,"
        + " outcome, errno and time. -v adds the explanation and every attempt.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial check 127.0.0.1:22",
        "  tcpdial check -v --timeout 500ms localhost:8080 [::1]:8080",
        "  tcpdial check --mode sync --retries 2 --deadline 10s 198.18.1.2:80",
        "  tcpdial check --syn-retries 1 --timeout 0 198.18.4.1:80   # the kernel gives up after ~3 s",
        "  tcpdial check --format json 127.0.0.1:80 | jq .outcome",
        "  tcpdial check --tls --ca-file ca.pem mail.example.test:465",
        "  tcpdial check --module smtp_starttls --config blackbox.yml mail.example.test:25",
        "",
        "Exit code: 0 when every target connected, else the most severe failure's code (see",
        "tcpdial --help: 3 refused, 4 timeout, 5 unreachable, 6 prohibited, 7 resolution, 8 local,",
        "1 other error, 2 usage; with --tls or --module 11 TLS failed, 12 dialogue failed);",
        "130/143 when interrupted by SIGINT/SIGTERM.",
    })
final class CheckCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  OutputOptions output;

  @Mixin
  DialOptions dial;

  @Mixin
  OnlyOptions filter;

  @Mixin
  StageOptions stages;

  @Option(names = {"-m", "--mode"}, paramLabel = "sync|async", defaultValue = "async",
      completionCandidates = DialOptions.ModeNames.class,
      description = "sync: a blocking connect per target, one after another; async: every target"
          + " at once on the event loop. Default: ${DEFAULT-VALUE}.")
  Mode mode;

  @Option(names = "--trace-on-failure",
      description = "After the results, trace the path to each failed target's address (timeout,"
          + " unreachable, prohibited, an ICMP refusal): where the SYN dies, or who refuses it."
          + " One probe a hop, up to 30 hops; see tcpdial trace.")
  boolean traceOnFailure;

  private final List<DialResult> results = new ArrayList<>();

  @Parameters(arity = "0..*", paramLabel = "TARGET", description = "host:port, [v6addr]:port,"
      + " HOST PORT (two words, as tcping takes them), a URL (https://host/, postgres://host/db:"
      + " the scheme's port unless it names one), or host:port,host:port")
  List<String> words = new ArrayList<>();

  private List<Target> targets;

  /** Words that look like options but are none: said plainly, not as a missing target. */
  @Unmatched
  List<String> unmatched = new ArrayList<>();

  @Override
  public Integer call() {
    Report report = new Report(spec.commandLine().getOut(), spec.commandLine().getErr(), output,
        false, false, false)
        .only(filter.outcomes());
    if (!unmatched.isEmpty()) {
      String u = TargetList.shorten(unmatched.getFirst());
      throw new ParameterException(spec.commandLine(), "'" + u + "' is not an option of check"
          + (u.startsWith("-") && u.length() > 2 ? ", nor a target (a host name cannot start with '-')" : ""));
    }
    if (words.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "Missing required parameter: 'TARGET'");
    }
    targets = new ArrayList<>(words.size());
    try {
      for (String w : Pasted.targets(words)) {
        targets.add(Target.parse(w));
      }
    } catch (IllegalArgumentException | dev.tcpdial.cli.process.UsageException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    targets.forEach(dial::checkFamily);
    stages.check();
    if (stages.active()) {
      return new StageCheck(spec, output, dial, stages, filter.outcomes()).run(targets);
    }
    int width = targets.stream().mapToInt(t -> t.toString().length()).max().orElse(10);
    report.targetWidth(width).addressWidth(Report.addressWidth(targets));
    AtomicBoolean stop = new AtomicBoolean();
    Thread self = Thread.currentThread();
    Interrupts interrupts = Interrupts.install(() -> {
      stop.set(true);
      self.interrupt();
    });
    long start = System.nanoTime();
    try (Dialer dialer = dial.builder(mode, Duration.ofSeconds(5)).build().prestart()) {
      if (!Engines.available(dialer, dial, report, spec)) {
        return ExitCodes.ERROR;
      }
      if (output.verbose && output.format == OutputOptions.Format.TEXT && !output.quiet) {
        report.err().println("engine: " + dialer.probeEngineReason());
      }
      report.begin();
      if (mode == Mode.ASYNC) {
        checkAsync(dialer, report, stop);
      } else {
        for (Target t : targets) {
          if (stop.get()) {
            break;
          }
          DialResult r = dialer.probe(t);
          if (stop.get() && r.outcome() == Outcome.CANCELLED) {
            break; // in flight at the interrupt: not checked
          }
          row(report, r);
        }
      }
      traces = traceFailures(dialer, report);
    } finally {
      interrupts.restore();
      Thread.interrupted();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    long notChecked = targets.size() - report.total();
    List<String> text = new ArrayList<>();
    if (targets.size() > 1) {
      text.add(report.countsLine("target"));
    }
    if (interrupts.caught()) {
      text.add("interrupted by " + interrupts.signalName() + ": " + notChecked + " target"
          + (notChecked == 1 ? "" : "s") + " not scanned");
    }
    Map<String, Object> fields = report.summaryFields("check", elapsed);
    fields.put("targets", (long) targets.size());
    fields.put("not_scanned", notChecked);
    fields.put("interrupted", interrupts.signalName());
    if (traceOnFailure) {
      fields.put("traces", traces.stream().map(t -> (Object) TraceReport.json(t)).toList());
    }
    int code = interrupts.exitCode(report.exitCode());
    fields.put("exit_code", code);
    report.summary(fields, text);
    return code;
  }

  /**
   * Every target at once, within the descriptor budget; lines in argument order. On an interrupt
   * the results that came are written (in order), the dials still in flight are cancelled and,
   * like the targets never dialed, not reported.
   */
  private void checkAsync(Dialer dialer, Report report, AtomicBoolean stop) {
    Semaphore window = new Semaphore(SystemLimits.defaultConcurrency());
    List<CompletableFuture<DialResult>> futures = new ArrayList<>(targets.size());
    int printed = 0;
    try {
      for (Target t : targets) {
        if (stop.get()) {
          break;
        }
        while (!window.tryAcquire()) {
          row(report, get(futures.get(printed++)));
        }
        futures.add(dialer.probeAsync(t).whenComplete((r, e) -> window.release()));
      }
      while (printed < futures.size() && !stop.get()) {
        row(report, get(futures.get(printed++)));
      }
    } catch (InterruptedException e) {
      // the signal handler: what ended is written below
    }
    if (stop.get()) {
      for (int i = printed; i < futures.size(); i++) {
        CompletableFuture<DialResult> f = futures.get(i);
        DialResult r = f.isDone() && !f.isCompletedExceptionally() ? f.getNow(null) : null;
        if (r != null && r.outcome() != Outcome.CANCELLED) {
          row(report, r);
        } else {
          f.cancel(true);
        }
      }
    }
  }

  private void row(Report report, DialResult r) {
    results.add(r);
    report.row(Row.of(r));
  }

  private List<Trace> traces = List.of();

  /**
   * With {@code --trace-on-failure}: a trace of each failed target worth one ({@link
   * TraceReport#worthTracing}), one after another, written as text after the rows (JSON: the
   * summary's {@code traces}; CSV: the verdicts on stderr). They add to what is known, not to
   * the exit code.
   */
  private List<Trace> traceFailures(Dialer dialer, Report report) {
    if (!traceOnFailure || output.quiet) {
      return List.of();
    }
    List<Trace> done = new ArrayList<>();
    TraceReport text = new TraceReport(report.err(), report.err(), output.format, false,
        output.verbose);
    for (DialResult r : results) {
      if (Thread.currentThread().isInterrupted() || !TraceReport.worthTracing(r)) {
        continue;
      }
      Trace t = dialer.trace(Target.of(r.remote()), TraceReport.onFailure(dial.timeout));
      done.add(t);
      switch (output.format) {
        case TEXT -> text.text(t, "  ").forEach(spec.commandLine().getOut()::println);
        case CSV -> report.err().println(r.target() + " (" + Addresses.host(r.remote()) + "): "
            + t.verdict().line());
        case JSON -> {
          // in the summary
        }
      }
    }
    spec.commandLine().getOut().flush();
    report.err().flush();
    return done;
  }

  private static DialResult get(CompletableFuture<DialResult> f) throws InterruptedException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(Messages.message(e.getCause()), e.getCause());
    }
  }
}
