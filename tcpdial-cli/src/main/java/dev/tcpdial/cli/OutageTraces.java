package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import dev.tcpdial.cli.output.PingStats;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.TraceReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ping --trace-on-failure}: a path trace of the failing address each time one of the
 * targets goes down (its first failure after it connected, or at the start), run beside the
 * probes on a thread of its own, and written with the outage log at the end.
 */
final class OutageTraces {
  /** Traces one target may cause in a run: a flapping target does not trace without end. */
  static final int MAX_PER_TARGET = 5;

  /** An outage's start and the trace it caused. */
  private record Started(int index, Instant at, CompletableFuture<Trace> trace) {}

  private final boolean[] down;
  private final int[] traced;
  private final Trace.Options options;
  private final List<Started> started = new ArrayList<>();
  private final Dialer dialer; // the traces' own: they may outlive the probes' dialer

  OutageTraces(int targets, Duration timeout, Dialer dialer) {
    this.down = new boolean[targets];
    this.traced = new int[targets];
    this.options = TraceReport.onFailure(timeout);
    this.dialer = dialer;
  }

  /** A probe of target {@code index} ended at {@code at}: an outage starts with its failure. */
  void probed(int index, DialResult r, Instant at) {
    if (r.connected()) {
      down[index] = false;
      return;
    }
    if (down[index] || r.outcome() == dev.tcpdial.Outcome.CANCELLED) {
      return;
    }
    down[index] = true;
    if (!TraceReport.worthTracing(r) || traced[index] >= MAX_PER_TARGET) {
      return;
    }
    traced[index]++;
    CompletableFuture<Trace> f = new CompletableFuture<>();
    Target where = Target.of(r.remote());
    Thread.ofVirtual().name("tcpdial-outage-trace").start(() -> {
      try {
        f.complete(dialer.trace(where, options));
      } catch (RuntimeException | Error e) {
        f.completeExceptionally(e);
      }
    });
    started.add(new Started(index, at.minus(r.elapsed()), f));
  }

  /**
   * The traces with the summary: a line per outage ({@code -v}: the whole trace) and, for JSON,
   * {@code traces} in the summary. Waits for traces still running, as long as a trace can take.
   */
  void summary(List<String> names, List<String> text, Map<String, Object> fields,
      boolean verbose) {
    List<Object> json = new ArrayList<>();
    // a trace of a dropped SYN takes about (gap + 1) timeouts after the hops that answer
    long until = System.nanoTime() + 5 * options.hopTimeout().toNanos()
        + TimeUnit.SECONDS.toNanos(5);
    for (Started s : started) {
      Trace t;
      try {
        t = s.trace().get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        text.add("trace at the outage of " + names.get(s.index()) + " at "
            + PingStats.clock(s.at()) + ": not finished");
        continue;
      }
      text.add("trace at the outage of " + names.get(s.index()) + " at "
          + PingStats.clock(s.at()) + ": " + t.verdict().line());
      if (verbose) {
        StringWriter w = new StringWriter();
        TraceReport r = new TraceReport(new PrintWriter(w), new PrintWriter(w),
            OutputOptions.Format.TEXT, false, false);
        text.addAll(r.text(t, "  "));
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", names.get(s.index()));
      m.put("outage_start", PingStats.clock(s.at()));
      m.put("trace", TraceReport.json(t));
      json.add(m);
    }
    fields.put("traces", json);
    dialer.close();
  }
}
