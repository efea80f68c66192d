package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import java.time.Duration;
import java.time.Instant;
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
    description = "Dials the target again and again and prints one line per probe (seq, outcome,"
        + " errno, time); on exit or Ctrl-C a summary: sent/connected/failed by outcome, loss,"
        + " min/avg/max/mdev, p50/p90/p99 and jitter (of connected probes only) and the outage"
        + " log: when it went down, why, when it came back.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial ping 127.0.0.1:8080",
        "  tcpdial ping -c 10 -i 200ms --timeout 1s localhost:5432",
        "  tcpdial ping -c 100 -i 50ms --format json [::1]:80 | tail -1 | jq .summary.ping",
        "",
        "Exit code: 0 when at least one probe connected, else the most severe failure's code",
        "(see tcpdial --help).",
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

  @Parameters(index = "0", paramLabel = "TARGET", converter = Converters.TargetConverter.class,
      description = "host:port, [v6addr]:port")
  Target target;

  @Override
  public Integer call() {
    if (count != null && count < 1) {
      throw new ParameterException(spec.commandLine(), "-c/--count must be at least 1: " + count);
    }
    if (interval.compareTo(Duration.ofMillis(1)) < 0) {
      throw new ParameterException(spec.commandLine(), "-i/--interval must be at least 1ms");
    }
    dial.checkFamily(target);
    Report report = new Report(spec.commandLine().getOut(), spec.commandLine().getErr(), output,
        false, true, false).targetWidth(target.toString().length());
    PingStats stats = new PingStats();
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
      report.begin();
      for (long seq = 1; count == null || seq <= count; seq++) {
        if (stop.get()) {
          break;
        }
        long probeStart = System.nanoTime();
        DialResult r = probe(dialer);
        if (r == null || (stop.get() && r.outcome() == Outcome.CANCELLED)) {
          break; // interrupted: this probe is not counted
        }
        stats.add(r, Instant.now());
        report.row(new Row(r, null, seq, null));
        if (count != null && seq == count) {
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
      interrupts.restore();
      Thread.interrupted(); // a late Ctrl-C must not disturb the summary
    }
    Instant end = Instant.now();
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    Map<String, Object> fields = report.summaryFields("ping", elapsed);
    int code = stats.connected() > 0 ? ExitCodes.OK : report.exitCode();
    fields.put("exit_code", code);
    fields.put("ping", stats.json(end));
    List<String> text = stats.text(target.toString(), elapsed, end);
    report.summary(fields, text);
    return code;
  }

  private DialResult probe(Dialer dialer) {
    if (mode == Mode.SYNC) {
      return dialer.probe(target);
    }
    CompletableFuture<DialResult> f = dialer.probeAsync(target);
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(Main.message(e.getCause()), e.getCause());
    }
  }
}
