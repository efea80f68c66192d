package dev.tcpdial.internal;

import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Window;
import dev.tcpdial.WindowStats;
import dev.tcpdial.internal.window.Budget;
import dev.tcpdial.internal.window.CounterWatch;
import dev.tcpdial.internal.window.Feedback;
import dev.tcpdial.internal.window.KernelCounters;
import dev.tcpdial.internal.window.Pace;
import dev.tcpdial.internal.window.WindowControl;
import dev.tcpdial.internal.window.WindowHistogram;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code probeEach} over single {@code probeAsync} calls, for the JDK engine and wherever the
 * native scan cannot run: the calling thread takes the targets (it may block on them), starts
 * each within the window and the pace, and does the window's ticks and the kernel's counters
 * while it waits; completions, on the engine's threads, tell the window under its lock. The same
 * {@link WindowControl} and {@link Feedback} as the native scan, so both adapt alike.
 */
final class OneByOneScan {
  private static final long SAMPLE_NANOS = 25_000_000L;

  private final Function<Target, CompletableFuture<DialResult>> probeAsync;
  private final Iterator<Target> targets;
  private final Consumer<DialResult> results;
  private final Clock clock;
  private final WindowControl control;
  private final Feedback feedback;
  private final WindowHistogram starts = new WindowHistogram();
  private final ArrayDeque<Retry> ready = new ArrayDeque<>(); // guarded by control
  private final java.util.PriorityQueue<Retry> later = // guarded by control
      new java.util.PriorityQueue<>((a, b) -> Long.compare(a.due - b.due, 0));
  private final Set<CompletableFuture<DialResult>> running = ConcurrentHashMap.newKeySet();
  private final Window window;
  private int inFlight; // guarded by control
  private int reporting; // results being handed over; guarded by control
  private long probed; // guarded by control
  private long retried; // guarded by control
  private boolean exhausted; // guarded by control

  private record Retry(Target target, int tries, long due) {}

  OneByOneScan(Function<Target, CompletableFuture<DialResult>> probeAsync,
      Iterator<Target> targets, Window window, Consumer<DialResult> results, Clock clock) {
    this.probeAsync = probeAsync;
    this.targets = targets;
    this.results = results;
    this.clock = clock;
    this.window = window;
    this.control = new WindowControl(window, window.isAdaptive() ? Budget.ceiling() : 1);
    this.feedback = new Feedback(window.isAdaptive(),
        (s, sent, now) -> control.signal(s, sent, now, inFlight), control::suspect,
        clock.nanoTime());
  }

  @SuppressWarnings("CollectionUndefinedEquality") // the set holds futures by identity, as meant
  WindowStats run() throws InterruptedException {
    CounterWatch watch = control.adaptive() ? new CounterWatch(KernelCounters.proc()) : null;
    Pace pace = window.rate() > 0 ? new Pace(window.rate(), clock.nanoTime()) : null;
    long nextTick = clock.nanoTime() + Feedback.TICK_NANOS;
    long nextSample = clock.nanoTime() + SAMPLE_NANOS;
    try {
      while (true) {
        Retry r;
        synchronized (control) {
          while (true) {
            long now = clock.nanoTime();
            if (now - nextTick >= 0) {
              nextTick = now + Feedback.TICK_NANOS;
              int young = control.young(inFlight, feedback.parked()); // before this credit
              int acks = feedback.takeAcks(now);
              control.acked(acks, feedback.takeEnded(), young, inFlight, now);
              control.parked(feedback.parked());
            }
            if (watch != null && now - nextSample >= 0) {
              nextSample = now + SAMPLE_NANOS;
              for (Window.Signal s : watch.poll()) {
                control.signal(s, now - SAMPLE_NANOS, now, inFlight);
              }
            }
            while (!later.isEmpty() && later.peek().due - now <= 0) {
              Retry l = later.poll();
              ready.add(l);
            }
            boolean work = !ready.isEmpty() || !exhausted;
            if (work && inFlight < control.limit()
                && control.young(inFlight, feedback.parked()) < control.window()) {
              break;
            }
            if (!work && later.isEmpty() && inFlight == 0 && reporting == 0) {
              return stats();
            }
            long wait = nextTick - now;
            if (!later.isEmpty()) {
              wait = Math.min(wait, later.peek().due - now);
            }
            control.wait(Math.max(1, wait / 1_000_000L));
          }
          r = ready.poll();
          inFlight++; // the slot is this start's, even while the source blocks
        }
        Target t;
        int tries;
        if (r != null) {
          t = r.target;
          tries = r.tries;
        } else {
          boolean more;
          try {
            more = targets.hasNext();
            t = more ? targets.next() : null;
          } catch (RuntimeException e) {
            release(true);
            awaitRunning();
            throw e;
          }
          if (!more) {
            release(true);
            continue;
          }
          tries = 0;
        }
        if (pace != null) {
          long wait;
          while ((wait = pace.nanosToNext(clock.nanoTime())) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
              throw new InterruptedException();
            }
          }
          pace.take(1, clock.nanoTime());
        }
        start(t, tries);
      }
    } catch (InterruptedException e) {
      for (CompletableFuture<DialResult> f : List.copyOf(running)) {
        f.cancel(false);
      }
      throw e;
    }
  }

  private void release(boolean exhaustedNow) {
    synchronized (control) {
      inFlight--;
      exhausted |= exhaustedNow;
      control.notifyAll();
    }
  }

  /** After a failed source: what was started ends and is reported before the failure is thrown. */
  private void awaitRunning() throws InterruptedException {
    synchronized (control) {
      while (inFlight > 0 || reporting > 0 || !later.isEmpty() || !ready.isEmpty()) {
        ready.clear();
        later.clear();
        if (inFlight == 0 && reporting == 0) {
          break;
        }
        control.wait(10);
      }
    }
  }

  private void start(Target t, int tries) {
    long now = clock.nanoTime();
    int net = t.literal().map(Feedback::network).orElse(0);
    boolean parkable;
    synchronized (control) {
      starts.record(control.size());
      parkable = feedback.started(now, net);
    }
    CompletableFuture<DialResult> f = probeAsync.apply(t);
    running.add(f);
    f.whenComplete((res, ex) -> {
      running.remove(f);
      DialResult r = res != null ? res : new DialResult(t, Outcome.CANCELLED, null, null, null,
          Duration.ZERO, Duration.ZERO, List.of(), Mode.ASYNC, Engine.JDK, List.of());
      ended(t, tries, parkable, r);
    });
  }

  private void ended(Target t, int tries, boolean parkable, DialResult r) {
    long now = clock.nanoTime();
    boolean report;
    synchronized (control) {
      int net = t.literal().map(Feedback::network).orElse(0);
      Feedback.Next next = r.outcome() == Outcome.CANCELLED ? Feedback.Next.REPORT
          : feedback.ended(r.outcome(), r.errno() == null ? 0 : r.errno().number(),
              r.elapsed().toNanos(), tries, net, parkable, now);
      inFlight--;
      report = next == Feedback.Next.REPORT;
      if (next == Feedback.Next.RETRY) {
        retried++;
        ready.add(new Retry(t, tries + 1, now));
      } else if (next == Feedback.Next.RETRY_LATER) {
        retried++;
        later.add(new Retry(t, tries + 1, now + Feedback.pauseNanos(tries + 1)));
      } else {
        probed++;
        reporting++;
      }
      control.notifyAll();
    }
    if (report) {
      try {
        results.accept(r);
      } finally {
        synchronized (control) {
          reporting--;
          control.notifyAll();
        }
      }
    }
  }

  private WindowStats stats() {
    return control.stats(probed, starts, retried);
  }
}
