package dev.tcpdial.cli;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialException;
import dev.tcpdial.DialListener;
import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.output.Row;
import dev.tcpdial.cli.output.StageColumns;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.Interrupts;
import dev.tcpdial.cli.process.SystemLimits;
import dev.tcpdial.exporter.Config;
import dev.tcpdial.exporter.Stages;
import dev.tcpdial.exporter.TlsConfig;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code check --tls} and {@code check --module}: every target probed through the exporter's
 * stages (its TLS stage, its prober), at once within the descriptor budget, one row per target in
 * argument order. The exit code takes the connect's code, then 11 for a failed handshake and 12
 * for a failed dialogue. An interrupt ends it as {@code check} ends: the rows that ended are
 * written, the probes in flight are cancelled and not reported.
 */
final class StageCheck {
  /** Deadline of a module without {@code timeout} when neither --deadline nor --timeout is given. */
  static final Duration MODULE_DEFAULT = Duration.ofSeconds(5);
  /** The handshake's budget without --timeout. */
  static final Duration TLS_DEFAULT = Duration.ofSeconds(5);

  private final CommandSpec spec;
  private final OutputOptions output;
  private final DialOptions dial;
  private final StageOptions stages;
  private final java.util.Set<Outcome> only;

  StageCheck(CommandSpec spec, OutputOptions output, DialOptions dial, StageOptions stages,
      java.util.Set<Outcome> only) {
    this.spec = spec;
    this.output = output;
    this.dial = dial;
    this.stages = stages;
    this.only = only;
  }

  /** Probes {@code targets}; returns the exit code. */
  int run(List<Target> targets) {
    stages.check();
    if (stages.module != null) {
      Stages.ModuleRunner runner;
      try {
        runner = Stages.module(stages.config, stages.module, Resolver.system());
      } catch (Config.Invalid e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      try (runner) {
        if (runner.usesTls()) {
          checkFiles(runner.tlsConfig(), "--config " + stages.config + ", module " + stages.module);
        }
        Duration asked = dial.deadline != null ? dial.deadline : dial.timeout;
        Duration deadline = runner.deadline(asked, MODULE_DEFAULT);
        runner.prestart(deadline);
        return probeAll(targets, runner.expectation(), true, t -> runner.probe(t, deadline));
      }
    }
    TlsConfig tls = stages.tlsConfig();
    checkFiles(tls, null);
    Stages.warmUp();
    Map<Target, DialResult> connected = Collections.synchronizedMap(new IdentityHashMap<>());
    Dialer.Builder b = dial.builder(Mode.SYNC, Duration.ofSeconds(5));
    // in blocking mode the dial's events run on the dialing thread, before dial() returns
    b.listener(new DialListener() {
      @Override
      public void connected(Target target, Attempt attempt, DialResult result) {
        connected.put(target, result);
      }
    });
    try (Dialer dialer = b.build()) {
      return probeAll(targets, null, false, t -> tlsProbe(dialer, connected, t, tls));
    }
  }

  private void checkFiles(TlsConfig c, String where) {
    try {
      Stages.checkFiles(c);
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), where == null
          ? e.getMessage().replaceFirst("^ca_file ", "--ca-file ") : where + ": " + e.getMessage());
    }
  }

  /** One target: the connect through {@code dialer}, then the handshake over its channel. */
  private Stages.Result tlsProbe(Dialer dialer, Map<Target, DialResult> connected, Target t,
      TlsConfig tls) {
    long start = System.nanoTime();
    SocketChannel ch;
    DialResult r;
    try {
      ch = dialer.dial(t);
      r = connected.remove(t);
    } catch (DialException e) {
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      return new Stages.Result(null, e.result(), notReached(), Stages.Query.NONE, false,
          budget(), took);
    }
    if (r == null) { // not seen through the listener: the channel's own addresses
      r = connectedWithout(t, ch, Duration.ofNanos(System.nanoTime() - start));
    }
    long end = System.nanoTime() + budget().toNanos();
    if (dial.deadline != null) {
      end = Math.min(end, start + dial.deadline.toNanos());
    }
    Stages.Tls hs = Stages.tls(ch, end, tls, t.host());
    return new Stages.Result(null, r, hs, Stages.Query.NONE, hs.outcome().equals(
        Stages.ESTABLISHED), budget(), Duration.ofNanos(System.nanoTime() - start));
  }

  private Duration budget() {
    return dial.timeout != null && !dial.timeout.isZero() ? dial.timeout : TLS_DEFAULT;
  }

  private static Stages.Tls notReached() {
    return new Stages.Tls("not_reached", "", null, List.of(), null);
  }

  private static DialResult connectedWithout(Target t, SocketChannel ch, Duration took) {
    java.net.InetSocketAddress remote = null;
    java.net.InetSocketAddress local = null;
    try {
      remote = (java.net.InetSocketAddress) ch.getRemoteAddress();
      local = (java.net.InetSocketAddress) ch.getLocalAddress();
    } catch (IOException e) {
      // the row shows no address
    }
    return new DialResult(t, Outcome.CONNECTED, null, remote, local, took, Duration.ZERO,
        remote == null ? List.of() : List.of(remote.getAddress()), Mode.SYNC,
        dev.tcpdial.Engine.JDK, List.of(), null);
  }

  /**
   * Every target at once (within the descriptor budget) on threads of their own; rows in
   * argument order.
   */
  private int probeAll(List<Target> targets, PortState expected, boolean module,
      Function<Target, Stages.Result> probe) {
    StageColumns columns = new StageColumns(Instant.now(), module);
    Report report = new Report(spec.commandLine().getOut(), spec.commandLine().getErr(), output,
        expected != null, false, false).only(only).extras(columns);
    int width = targets.stream().mapToInt(t -> t.toString().length()).max().orElse(10);
    report.targetWidth(width).addressWidth(Report.addressWidth(targets));
    ExecutorService pool = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("tcpdial-check-", 0).factory());
    Thread self = Thread.currentThread();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Interrupts interrupts = Interrupts.install(() -> {
      stop.set(true);
      self.interrupt();
    });
    long start = System.nanoTime();
    Map<String, Long> tlsCounts = new LinkedHashMap<>();
    Map<String, Long> queryCounts = new LinkedHashMap<>();
    long succeeded = 0;
    Semaphore window = new Semaphore(SystemLimits.defaultConcurrency());
    List<Future<Stages.Result>> futures = new ArrayList<>(targets.size());
    report.begin();
    int printed = 0;
    try {
      for (Target t : targets) {
        if (stop.get()) {
          break;
        }
        window.acquire();
        futures.add(pool.submit(() -> {
          try {
            return probe.apply(t);
          } finally {
            window.release();
          }
        }));
      }
      for (; printed < futures.size() && !stop.get(); printed++) {
        Stages.Result r = futures.get(printed).get();
        columns.put(r);
        Row row = new Row(r.connect(), expected, -1, null);
        report.row(row);
        report.exitAtLeast(stageCode(row, r));
        tlsCounts.merge(r.tls().outcome(), 1L, Long::sum);
        queryCounts.merge(r.query().outcome(), 1L, Long::sum);
        succeeded += r.success() ? 1 : 0;
      }
    } catch (InterruptedException | CancellationException e) {
      // the signal handler: what ended is written; the rest is not checked
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
      interrupts.restore();
      Thread.interrupted();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    long notChecked = targets.size() - report.total();
    List<String> text = new ArrayList<>();
    if (targets.size() > 1) {
      text.add(report.countsLine("target") + "; tls: " + counts(tlsCounts)
          + (module ? "; query: " + counts(queryCounts) + "; probe_success: " + succeeded
              + " of " + report.total() : ""));
    }
    if (interrupts.caught()) {
      text.add("interrupted by " + interrupts.signalName() + ": " + notChecked + " target"
          + (notChecked == 1 ? "" : "s") + " not scanned");
    }
    Map<String, Object> fields = report.summaryFields("check", elapsed);
    fields.put("targets", (long) targets.size());
    fields.put("not_scanned", notChecked);
    fields.put("interrupted", interrupts.signalName());
    if (module) {
      fields.put("module", stages.module);
    }
    fields.put("tls", new LinkedHashMap<String, Object>(tlsCounts));
    if (module) {
      fields.put("query", new LinkedHashMap<String, Object>(queryCounts));
      fields.put("success", succeeded);
    }
    int exit = interrupts.exitCode(report.exitCode());
    fields.put("exit_code", exit);
    report.summary(fields, text);
    return exit;
  }

  private static String counts(Map<String, Long> m) {
    List<String> parts = new ArrayList<>();
    m.forEach((k, v) -> parts.add(v + " " + k));
    return String.join(", ", parts);
  }

  /**
   * The row's code with its later stages: the connect's code when it failed (or its
   * expectation), else 11 when TLS failed, 12 when the dialogue failed.
   */
  static int stageCode(Row row, Stages.Result r) {
    int connect = row.exitCode();
    if (connect != ExitCodes.OK || !r.connect().connected()) {
      return connect;
    }
    if (r.tls().failed()) {
      return switch (r.tls().outcome()) {
        case "cancelled" -> ExitCodes.OK; // the interrupt's own code says it
        case "config_error" -> ExitCodes.USAGE;
        default -> ExitCodes.TLS;
      };
    }
    if (r.query().failed()) {
      return r.query().outcome().equals("cancelled") ? ExitCodes.OK : ExitCodes.DIALOGUE;
    }
    return ExitCodes.OK;
  }
}
