package dev.tcpdial;

import dev.tcpdial.internal.Platform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Measures what a timing test cannot control: how late this JVM's threads get the CPU back. One
 * platform thread per JVM parks for 1 ms at a time and records each overshoot; {@link #maxMs}
 * is the largest one since {@link #start}. On a quiet machine that is well under a millisecond;
 * on a machine whose CPUs are all busy (other builds, {@code stress-ng}) or in a GC pause it grows
 * with the stalls the whole process suffers, so an upper bound "deadline + our own slack + this"
 * still fails on an overrun of ours and no longer on a pause. One meter for all windows, so that
 * many dials measured at once do not load the machine themselves.
 *
 * <p>That meter is one thread, and the kernel does not make every thread wait alike: on a loaded
 * machine an event loop that slept 100 ms through a deadline was measured waiting 20-190 ms in
 * the run queue after its timer fired (its {@code run_delay} in {@code /proc/.../schedstat}),
 * while the meter, waking every millisecond, saw 4 ms. So {@link #dialMs} adds what the kernel
 * counted for the threads a dial ran on: their time runnable but not running in this window.
 */
public final class SchedulingDelay implements AutoCloseable {
  private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int RING = 1 << 16; // about a minute of ticks
  private static final AtomicLongArray ENDS = new AtomicLongArray(RING);
  private static final AtomicLongArray LATES = new AtomicLongArray(RING);
  private static final AtomicLong TICKS = new AtomicLong();
  private static Thread meter;

  private final long startNanos;
  private final Map<String, Long> waitedBefore; // run_delay per thread id at the start
  private final long callerWaitedBefore;
  private final long softirqWaitedBefore;
  private static List<Path> softirqThreads;

  private SchedulingDelay(long startNanos) {
    this.startNanos = startNanos;
    this.waitedBefore = runQueueNanosByThread();
    this.callerWaitedBefore = runQueueNanos(Path.of("/proc/thread-self/schedstat"));
    this.softirqWaitedBefore = softirqRunQueueNanos();
  }

  /**
   * Starts a window now (and the meter, the first time); call {@link #dialMs} from the same
   * thread: it counts this thread as the caller.
   */
  public static SchedulingDelay start() {
    synchronized (SchedulingDelay.class) {
      if (meter == null) {
        meter = Thread.ofPlatform().daemon().name("scheduling-delay").start(SchedulingDelay::measure);
      }
    }
    return new SchedulingDelay(System.nanoTime());
  }

  private static void measure() {
    while (true) {
      long t0 = System.nanoTime();
      LockSupport.parkNanos(STEP_NANOS);
      long t1 = System.nanoTime();
      long i = TICKS.get();
      ENDS.set((int) (i & (RING - 1)), t1);
      LATES.set((int) (i & (RING - 1)), t1 - t0 - STEP_NANOS);
      TICKS.set(i + 1);
    }
  }

  /** The largest delay seen since {@link #start}, the tick in progress included, in milliseconds. */
  public double maxMs() {
    long now = System.nanoTime();
    long n = TICKS.get();
    long max = 0;
    for (long i = n - 1; i >= 0 && i > n - RING; i--) {
      int k = (int) (i & (RING - 1));
      long end = ENDS.get(k);
      if (end < startNanos) {
        break;
      }
      max = Math.max(max, LATES.get(k));
    }
    if (n > 0) {
      max = Math.max(max, now - ENDS.get((int) ((n - 1) & (RING - 1))) - STEP_NANOS);
    }
    return Math.max(0, max) / 1e6;
  }

  /**
   * What may have held up dial {@code r} that it cannot control, in milliseconds: {@link #maxMs}
   * (the whole process stalls: a GC pause, a machine too busy) plus the time the threads the dial
   * ran on spent runnable in the kernel's run queue since {@link #start}: the event loops (threads
   * named {@code tcpdial-}) and the kernel's io_uring workers of this process ({@code iou-}), the
   * carriers of virtual threads (names are resolved on one), and, for
   * a blocking dial on the JDK engine, the calling thread, which then did the dial itself. The
   * calling thread is left out otherwise: it only waits for the result, whose times were taken
   * before it woke. 0 for the run queue where the kernel keeps no {@code schedstat}.
   */
  public double dialMs(DialResult r) {
    boolean onCaller = r.engine() == Engine.JDK && r.mode() == Mode.SYNC;
    return maxMs() + (runQueueSince("tcpdial-", "ForkJoinPool-", "iou-")
        + (onCaller ? runQueueNanos(Path.of("/proc/thread-self/schedstat")) - callerWaitedBefore : 0))
        / 1e6;
  }

  /**
   * How long, in milliseconds since {@link #start}, the kernel's threads that deliver packets when
   * interrupts cannot keep up ({@code ksoftirqd/N}) waited for a CPU, summed. A connection on
   * loopback or through the lab's veth pairs needs them when the CPUs are busy: a SYN-ACK then
   * waits in the run queue as our threads do, outside this process. Add it where a bound depends
   * on a packet arriving (a connect that succeeds or is refused), not where nothing answers.
   */
  public double packetsMs() {
    return Math.max(0, softirqRunQueueNanos() - softirqWaitedBefore) / 1e6;
  }

  private static synchronized long softirqRunQueueNanos() {
    if (softirqThreads == null) {
      softirqThreads = new ArrayList<>();
      if (Platform.linux()) {
        try (Stream<Path> all = Files.list(Path.of("/proc"))) {
          for (Path p : (Iterable<Path>) all::iterator) {
            if (p.getFileName().toString().chars().allMatch(Character::isDigit)) {
              try {
                if (Files.readString(p.resolve("comm")).startsWith("ksoftirqd/")) {
                  softirqThreads.add(p.resolve("schedstat"));
                }
              } catch (IOException gone) {
                // a process that ended meanwhile
              }
            }
          }
        } catch (IOException | UncheckedIOException noProc) {
          // none known: 0
        }
      }
    }
    long sum = 0;
    for (Path p : softirqThreads) {
      sum += runQueueNanos(p);
    }
    return sum;
  }

  // Run-queue nanoseconds since start, summed over this process's threads named with a prefix;
  // a thread started since counts from 0.
  private long runQueueSince(String... prefixes) {
    long sum = 0;
    for (Map.Entry<String, Long> e : runQueueNanosByThread(prefixes).entrySet()) {
      sum += Math.max(0, e.getValue() - waitedBefore.getOrDefault(e.getKey(), 0L));
    }
    return sum;
  }

  private static Map<String, Long> runQueueNanosByThread(String... prefixes) {
    Map<String, Long> m = new HashMap<>();
    if (!Platform.linux()) {
      return m;
    }
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String name;
        try {
          name = Files.readString(t.resolve("comm")).strip();
        } catch (IOException gone) {
          continue; // the thread ended meanwhile
        }
        boolean wanted = prefixes.length == 0;
        for (String p : prefixes) {
          wanted |= name.startsWith(p);
        }
        if (wanted) {
          m.put(t.getFileName().toString(), runQueueNanos(t.resolve("schedstat")));
        }
      }
    } catch (IOException | UncheckedIOException noProc) {
      // no /proc: the meter alone
    }
    return m;
  }

  // The second field of schedstat: nanoseconds spent runnable, waiting for a CPU.
  private static long runQueueNanos(Path schedstat) {
    try {
      String[] f = Files.readString(schedstat).strip().split(" ");
      return f.length > 1 ? Long.parseLong(f[1]) : 0;
    } catch (IOException | RuntimeException none) {
      return 0;
    }
  }

  /** Ends the window; the meter goes on for the next one. */
  @Override
  public void close() {}
}
