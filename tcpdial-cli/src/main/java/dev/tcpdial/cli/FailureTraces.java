package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import dev.tcpdial.cli.output.TraceReport;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code scan --trace-on-failure}: for each host, one port per way its probes failed that a
 * trace can explain (filtered, unreachable, prohibited, an ICMP refusal), the first seen, at most
 * {@link #MAX_HOSTS} in all; traced after the scan, side by side, so the report can say where
 * those ports stop.
 */
final class FailureTraces {
  /** Traces at most: each sends up to 30 SYNs. */
  static final int MAX_HOSTS = 32;
  private static final int SIDE_BY_SIDE = 8;

  /** A host and how its probe failed: the outcome and the ICMP error's name. */
  private record Way(InetAddress host, dev.tcpdial.Outcome outcome, String icmp) {}

  private final Map<Way, DialResult> first = new LinkedHashMap<>();
  private final Trace.Options options;

  FailureTraces(Duration timeout) {
    this.options = TraceReport.onFailure(timeout);
  }

  /** A result of the scan; kept when it is the first of its host worth a trace. Any thread. */
  synchronized void offer(DialResult r) {
    if (first.size() < MAX_HOSTS && TraceReport.worthTracing(r)) {
      first.putIfAbsent(new Way(r.remote().getAddress(), r.outcome(),
          r.icmp() == null ? "" : r.icmp().name()), r);
    }
  }

  /** Traces what was kept, {@value #SIDE_BY_SIDE} at a time, in the order first seen. */
  List<Trace> run(Dialer dialer) throws InterruptedException {
    List<DialResult> todo;
    synchronized (this) {
      todo = List.copyOf(first.values());
    }
    List<Trace> out = new ArrayList<>();
    for (int i = 0; i < todo.size(); i += SIDE_BY_SIDE) {
      List<CompletableFuture<Trace>> batch = new ArrayList<>();
      for (DialResult r : todo.subList(i, Math.min(todo.size(), i + SIDE_BY_SIDE))) {
        CompletableFuture<Trace> f = new CompletableFuture<>();
        Target where = Target.of(r.remote());
        Thread.ofVirtual().name("tcpdial-scan-trace").start(() -> {
          try {
            f.complete(dialer.trace(where, options));
          } catch (RuntimeException | Error e) {
            f.completeExceptionally(e);
          }
        });
        batch.add(f);
      }
      for (CompletableFuture<Trace> f : batch) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
    }
    return out;
  }
}
