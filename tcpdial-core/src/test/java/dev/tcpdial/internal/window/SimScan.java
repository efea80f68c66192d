package dev.tcpdial.internal.window;

import dev.tcpdial.Outcome;
import dev.tcpdial.Window;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A scan in simulated time, driven as the engines drive it ({@link WindowControl}, {@link
 * Feedback}, the kernel's counters every 25 ms), against a model of the targets and of a queue on
 * the way that drops SYNs: each target is silent or answers after its round trip; a SYN that
 * finds the queue full is lost, and the kernel sends it again 1 s after the connect (3 s, ...), as
 * Linux does. Everything runs in one thread, to the millisecond.
 */
final class SimScan {
  static final long MS = 1_000_000L;

  /** What a target does with a SYN that reaches it: silence (-1) or an answer after rtt ms. */
  interface Targets {
    int count();

    /** The answer's round trip in ms, or -1 for a silent target. */
    int rttMillis(int target);

    /** The network key of the target. */
    int network(int target);
  }

  /** The queue on the way: at most {@code perTick} SYNs in each {@code tickMillis}, the rest lost. */
  record Bottleneck(int perTick, int tickMillis) {
    static final Bottleneck NONE = new Bottleneck(Integer.MAX_VALUE, 1);
  }

  /** How a run went. */
  record Run(long millis, List<Integer> windows, int reportedTimeoutsOfAnswering,
      int reportedAnswers, int reportedTimeouts, long retries, long drops,
      java.util.Map<Window.Signal, Long> cuts, int maxWindow, int finalWindow) {}

  private record Probe(int target, int tries, long startMs, long endMs, boolean answer,
      boolean parkable) {}

  static Run run(Window window, int budget, Targets targets, long timeoutMs, Bottleneck neck,
      int maxMillis) {
    WindowControl control = new WindowControl(window, budget);
    long[] drops = {0};
    long[] lastSampledDrops = {0};
    int[] inFlight = {0};
    Feedback fb = new Feedback(window.isAdaptive(),
        (s, sent, now) -> control.signal(s, sent, now, inFlight[0]), control::suspect, 0);
    PriorityQueue<Probe> running = new PriorityQueue<>((a, b) -> Long.compare(a.endMs, b.endMs));
    ArrayDeque<int[]> retries = new ArrayDeque<>();
    List<Integer> windows = new ArrayList<>();
    int next = 0;
    int reported = 0;
    int timeoutsOfAnswering = 0;
    int answers = 0;
    int timeouts = 0;
    long retried = 0;
    int maxWindow = control.window();
    int sentThisTick = 0;
    long tickStart = 0;
    for (long now = 0; now <= maxMillis; now++) {
      long ns = now * MS;
      while (!running.isEmpty() && running.peek().endMs <= now) {
        Probe p = running.poll();
        inFlight[0]--;
        long elapsed = (p.endMs - p.startMs) * MS;
        Outcome o = p.answer ? Outcome.REFUSED : Outcome.TIMEOUT;
        Feedback.Next n = fb.ended(o, p.answer ? 111 : 0, elapsed, p.tries, targets.network(p.target),
            p.parkable, ns);
        if (n == Feedback.Next.RETRY) {
          retried++;
          retries.add(new int[] {p.target, p.tries + 1});
        } else {
          reported++;
          if (p.answer) {
            answers++;
          } else {
            timeouts++;
            if (targets.rttMillis(p.target) >= 0) {
              timeoutsOfAnswering++;
            }
          }
        }
      }
      if (now % 5 == 0) {
        int young = control.young(inFlight[0], fb.parked()); // before this credit parks some
        int acks = fb.takeAcks(ns);
        control.acked(acks, fb.takeEnded(), young, inFlight[0], ns);
        control.parked(fb.parked());
      }
      if (now % 25 == 0 && drops[0] > lastSampledDrops[0]) {
        lastSampledDrops[0] = drops[0];
        control.signal(Window.Signal.INPUT_QUEUE_DROPS, ns - 25 * MS, ns, inFlight[0]);
      }
      if (now % 100 == 0) {
        windows.add(control.size());
        if (Boolean.getBoolean("sim.debug")) {
          System.out.println(now + " window " + control.window() + " inFlight " + inFlight[0]
              + " parked " + fb.parked() + " reported " + reported + " next " + next);
        }
      }
      maxWindow = Math.max(maxWindow, control.size());
      if (reported == targets.count()) {
        return new Run(now, windows, timeoutsOfAnswering, answers, timeouts, retried, drops[0],
            control.cuts(), maxWindow, control.size());
      }
      if (now - tickStart >= neck.tickMillis()) {
        tickStart = now;
        sentThisTick = 0;
      }
      while (inFlight[0] < control.limit()
          && control.young(inFlight[0], fb.parked()) < control.window()
          && (!retries.isEmpty() || next < targets.count())) {
        int[] r = retries.poll();
        int t = r != null ? r[0] : next++;
        int tries = r != null ? r[1] : 0;
        inFlight[0]++;
        boolean parkable = fb.started(ns, targets.network(t));
        int rtt = targets.rttMillis(t);
        // the SYN and, 1 s and 3 s later, its retransmissions: the first that passes the queue
        long answerAt = Long.MAX_VALUE;
        long[] sends = {0, 1000, 3000};
        for (long s : sends) {
          boolean lost;
          if (s == 0) {
            lost = sentThisTick >= neck.perTick();
            sentThisTick++;
          } else {
            lost = false; // retransmissions are spread out: they pass
          }
          if (lost) {
            drops[0]++;
          } else {
            answerAt = rtt < 0 ? Long.MAX_VALUE : now + s + rtt;
            break;
          }
        }
        long end = Math.min(answerAt, now + timeoutMs);
        running.add(new Probe(t, tries, now, end, end == answerAt, parkable));
      }
    }
    throw new AssertionError("the simulated scan did not end in " + maxMillis + " ms");
  }

  /** {@code n} silent targets, 256 per /24. */
  static Targets silent(int n) {
    return new Targets() {
      @Override
      public int count() {
        return n;
      }

      @Override
      public int rttMillis(int target) {
        return -1;
      }

      @Override
      public int network(int target) {
        return target >>> 8;
      }
    };
  }

  /** {@code n} targets, every {@code every}-th answering after {@code rtt} ms, 256 per /24. */
  static Targets someAnswer(int n, int every, int rtt) {
    return new Targets() {
      @Override
      public int count() {
        return n;
      }

      @Override
      public int rttMillis(int target) {
        return target % every == 0 ? rtt : -1;
      }

      @Override
      public int network(int target) {
        return target >>> 8;
      }
    };
  }
}
