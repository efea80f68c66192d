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
import java.util.ArrayDeque;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tcpdial ping TARGET}: a probe every interval, one line each, statistics at the end. */
@Command(
    name = "ping",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Dial a target again and again; statistics and outages at the end.",
    description = {"Dials the target again and again and prints one line per probe (seq, outcome,"
        + " errno, time); on exit or Ctrl-C a summary: sent/connected/failed by outcome, loss,"
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
        "",
        "Exit code: 0 when at least one probe connected, else the most severe failure's code",
        "(see tcpdial --help); 130/143 when interrupted by SIGINT/SIGTERM.",
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
        false, true, false).targetWidth(target.toString().length())
        .addressWidth(Report.addressWidth(List.of(target)));
    PingStats stats = new PingStats();
    AtomicBoolean stop = new AtomicBoolean();
    Thread self = Thread.currentThread();
    Interrupts interrupts = Interrupts.install(() -> {
      stop.set(true);
      self.interrupt();
    });
    Schedule schedule = new Schedule();
    long start = System.nanoTime();
    ExecutorService threads = mode == Mode.SYNC ? Executors.newVirtualThreadPerTaskExecutor() : null;
    try (Dialer dialer = dial.builder(mode, Duration.ofSeconds(5)).build().prestart()) {
      if (!Engines.available(dialer, dial, report, spec)) {
        return ExitCodes.ERROR;
      }
      report.begin();
      run(dialer, threads, report, stats, stop, schedule);
      Thread.interrupted(); // the handler's interrupt has done its work
      // interrupted: what ended is reported, what is still in flight is cancelled and said so
      for (InFlight p : schedule.pending) {
        DialResult r = p.resultIfDone();
        if (r == null) {
          p.future().cancel(true);
          r = new DialResult(target, Outcome.CANCELLED, null, null, null,
              Duration.ofNanos(System.nanoTime() - p.startNanos()), Duration.ZERO, List.of(), mode,
              dialer.probeEngine(), List.of(), "interrupted by " + interrupts.signalName()
                  + " while in flight");
          stats.interrupted();
        } else {
          stats.add(r, p.ended(r));
        }
        report.row(new Row(r, null, p.seq(), null));
      }
    } finally {
      if (threads != null) {
        threads.shutdownNow();
      }
      interrupts.restore();
      Thread.interrupted(); // a late Ctrl-C must not disturb the summary
    }
    Instant end = Instant.now();
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    Map<String, Object> fields = report.summaryFields("ping", elapsed);
    int code = interrupts.exitCode(stats.connected() > 0 ? ExitCodes.OK : report.exitCode());
    fields.put("exit_code", code);
    fields.put("interrupted", interrupts.signalName());
    Map<String, Object> ping = stats.json(end);
    ping.put("most_in_flight", schedule.mostInFlight);
    ping.put("started_late", schedule.late);
    fields.put("ping", ping);
    List<String> text = new java.util.ArrayList<>(stats.text(target.toString(), elapsed, end));
    if (schedule.late > 0) {
      text.add("schedule: " + schedule.late + " probe" + (schedule.late == 1 ? "" : "s")
          + " started late (at most " + schedule.limit + " in flight)");
    }
    if (interrupts.caught()) {
      text.add("interrupted by " + interrupts.signalName());
    }
    report.summary(fields, text);
    return code;
  }

  /** The probes in flight, oldest first, and how well the schedule was kept. */
  private static final class Schedule {
    final ArrayDeque<InFlight> pending = new ArrayDeque<>();
    final int limit = Math.max(1, SystemLimits.defaultConcurrency());
    long late;
    int mostInFlight;
  }

  /** A probe started at {@code startNanos}; its result comes through {@code future}. */
  private record InFlight(long seq, long startNanos, Instant started, Future<DialResult> future) {
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
        throw new IllegalStateException(Main.message(e.getCause()), e.getCause());
      }
    }
  }

  /**
   * Starts a probe every interval, on schedule as ping(8) does: when a probe takes longer than the
   * interval, the next starts anyway and several are in flight (at most {@link Schedule#limit},
   * else the next starts late and is counted). Results are reported in sequence order as they end.
   * Returns when the count is reached and every probe ended, or at once on an interrupt, with the
   * probes still in flight left in {@code s.pending}.
   */
  private void run(Dialer dialer, ExecutorService threads, Report report, PingStats stats,
      AtomicBoolean stop, Schedule s) {
    long step = interval.toNanos();
    long next = System.nanoTime();
    long seq = 0;
    try {
      while (!stop.get() && (count == null || seq < count)) {
        awaitUntil(next, report, stats, s);
        if (stop.get()) {
          return;
        }
        if (s.pending.size() >= s.limit) {
          s.late++;
          awaitHead(report, stats, s);
          next = System.nanoTime();
          continue;
        }
        seq++;
        long now = System.nanoTime();
        Future<DialResult> f = threads == null ? dialer.probeAsync(target)
            : threads.submit(() -> dialer.probe(target));
        s.pending.add(new InFlight(seq, now, Instant.now(), f));
        s.mostInFlight = Math.max(s.mostInFlight, s.pending.size());
        next += step;
        if (now - next > step) { // fell behind by more than a probe (a paused machine): no burst
          next = now + step;
        }
      }
      while (!stop.get() && !s.pending.isEmpty()) {
        awaitHead(report, stats, s);
      }
    } catch (InterruptedException e) {
      // the signal handler interrupted this thread: the caller reports what is in flight
    }
  }

  /** Reports the probes that ended, in order, until {@code deadline} (System.nanoTime). */
  private void awaitUntil(long deadline, Report report, PingStats stats, Schedule s)
      throws InterruptedException {
    while (true) {
      reportEnded(report, stats, s);
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      if (s.pending.isEmpty()) {
        Thread.sleep(Duration.ofNanos(left));
        return;
      }
      try {
        s.pending.peek().future().get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException | CancellationException e) {
        // reported (or thrown) by reportEnded
      }
    }
  }

  /** Waits for the oldest probe and reports every one that ended. */
  private void awaitHead(Report report, PingStats stats, Schedule s) throws InterruptedException {
    InFlight head = s.pending.peek();
    if (head != null) {
      try {
        head.future().get();
      } catch (ExecutionException | CancellationException e) {
        // reported (or thrown) by reportEnded
      }
    }
    reportEnded(report, stats, s);
  }

  private void reportEnded(Report report, PingStats stats, Schedule s) {
    while (!s.pending.isEmpty() && s.pending.peek().future().isDone()) {
      InFlight p = s.pending.poll();
      DialResult r = p.resultIfDone();
      if (r == null) {
        continue;
      }
      stats.add(r, p.ended(r));
      report.row(new Row(r, null, p.seq(), null));
    }
  }
}
