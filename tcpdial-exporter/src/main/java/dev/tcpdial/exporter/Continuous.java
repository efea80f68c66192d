package dev.tcpdial.exporter;

import dev.tcpdial.DialResult;
import dev.tcpdial.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The continuous targets of one configuration: each dialed on its own interval (first dials
 * spread over the interval), on a virtual thread; a dial still running when its next turn comes
 * makes that turn skip, so a silent target never piles dials up. Counts and connect times go to
 * {@link ExporterMetrics.TargetMetrics}, the last result to {@link #last()} for the status page.
 */
final class Continuous implements AutoCloseable {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "tcpdial-serve-targets");
        t.setDaemon(true);
        return t;
      });
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private final Map<Config.ContinuousTarget, DialResult> last = new ConcurrentHashMap<>();
  private final Map<Config.ContinuousTarget, Thread> running = new ConcurrentHashMap<>();
  private volatile boolean closed;

  Continuous(Config config, Prober prober, ExporterMetrics.TargetMetrics metrics) {
    int i = 0;
    int n = Math.max(1, config.targets().size());
    for (Config.ContinuousTarget t : config.targets()) {
      Module m = config.modules().get(t.module());
      Duration deadline = m.timeout().isZero() || m.timeout().compareTo(t.interval()) > 0
          ? t.interval() : m.timeout();
      String[] connected = metrics.labels(t).toArray(String[]::new);
      AtomicBoolean busy = new AtomicBoolean();
      long period = t.interval().toNanos();
      long offset = period * i++ / n;
      Runnable dial = () -> {
        if (closed || !busy.compareAndSet(false, true)) {
          return;
        }
        Thread.ofVirtual().name("tcpdial-serve-target").start(() -> {
          running.put(t, Thread.currentThread());
          try {
            Prober.Result r = prober.probe(t.target(), m, deadline, Cidrs.ANY);
            DialResult d = r.dial();
            if (closed && d.outcome() == Outcome.CANCELLED) {
              return;
            }
            last.put(t, d);
            List<String> v = new ArrayList<>(List.of(connected));
            v.add(2, d.outcome().label());
            metrics.connects.labelValues(v.toArray(String[]::new)).inc();
            if (d.connected()) {
              metrics.connectSeconds.labelValues(connected)
                  .observe(ProbeMetrics.seconds(r.decidingAttempt() == null ? d.elapsed()
                      : r.decidingAttempt().elapsed()));
            }
          } catch (Prober.Denied impossible) {
            // continuous targets are not subject to --allow
          } finally {
            running.remove(t);
            busy.set(false);
          }
        });
      };
      tasks.add(timer.scheduleAtFixedRate(dial, offset, period, TimeUnit.NANOSECONDS));
    }
  }

  /** The last result of each target that has one. */
  Map<Config.ContinuousTarget, DialResult> last() {
    return last;
  }

  /** Stops scheduling and cancels the dials in flight. */
  @Override
  public void close() {
    closed = true;
    tasks.forEach(f -> f.cancel(false));
    timer.shutdownNow();
    running.values().forEach(Thread::interrupt);
  }
}
