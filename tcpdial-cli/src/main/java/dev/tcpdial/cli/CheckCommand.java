package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

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
        "",
        "Exit code: 0 when every target connected, else the most severe failure's code (see",
        "tcpdial --help: 3 refused, 4 timeout, 5 unreachable, 6 prohibited, 7 resolution, 8 local,",
        "1 other error, 2 usage).",
    })
final class CheckCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  OutputOptions output;

  @Mixin
  DialOptions dial;

  @Option(names = {"-m", "--mode"}, paramLabel = "sync|async", defaultValue = "async",
      description = "sync: a blocking connect per target, one after another; async: every target"
          + " at once on the event loop. Default: ${DEFAULT-VALUE}.")
  Mode mode;

  @Parameters(arity = "1..*", paramLabel = "TARGET", converter = Converters.TargetConverter.class,
      description = "host:port, [v6addr]:port")
  List<Target> targets;

  @Override
  public Integer call() {
    Report report = new Report(spec.commandLine().getOut(), spec.commandLine().getErr(), output,
        false, false, false);
    int width = targets.stream().mapToInt(t -> t.toString().length()).max().orElse(10);
    report.targetWidth(width);
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
        // every target at once, within the descriptor budget; lines in argument order
        Semaphore window = new Semaphore(SystemLimits.defaultConcurrency());
        List<CompletableFuture<DialResult>> futures = new ArrayList<>(targets.size());
        int printed = 0;
        for (Target t : targets) {
          while (!window.tryAcquire()) {
            report.row(Row.of(futures.get(printed++).join()));
          }
          futures.add(dialer.probeAsync(t).whenComplete((r, e) -> window.release()));
        }
        while (printed < futures.size()) {
          report.row(Row.of(futures.get(printed++).join()));
        }
      } else {
        for (Target t : targets) {
          report.row(Row.of(dialer.probe(t)));
        }
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    List<String> text = targets.size() > 1 ? List.of(report.countsLine("target")) : List.of();
    report.summary(report.summaryFields("check", elapsed), text);
    return report.exitCode();
  }
}
