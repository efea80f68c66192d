package dev.tcpdial.bench.micro;

import dev.tcpdial.internal.TimerQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The event loop's deadline heap with {@code size} other timers in it: insert then cancel one
 * timer at a random deadline, and insert one that is already due then expire it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class TimerQueueBench {

  static final class T extends TimerQueue.Timer {
    long fired;

    @Override
    protected void expired() {
      fired++;
    }
  }

  @Param({"16", "1000", "20000"})
  int size;

  TimerQueue queue;
  T timer;
  long[] deadlines;
  int next;
  static final long BASE = 1_000_000_000L;

  @Setup(Level.Trial)
  public void setUp() {
    queue = new TimerQueue();
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < size; i++) {
      // Others: between 1 s and 5 s after BASE, as in the pending-connect benchmark.
      queue.schedule(new T(), BASE + 1_000_000_000L + r.nextLong(4_000_000_000L));
    }
    deadlines = new long[4096];
    for (int i = 0; i < deadlines.length; i++) {
      deadlines[i] = BASE + 1_000_000_000L + r.nextLong(4_000_000_000L);
    }
    timer = new T();
  }

  /** schedule + remove at a random place in the heap (a connect that finishes before its timeout). */
  @Benchmark
  public boolean insertCancel() {
    long d = deadlines[next++ & (deadlines.length - 1)];
    queue.schedule(timer, d);
    return queue.remove(timer);
  }

  /** schedule at the top of the heap, then expire it (a connect whose timeout fires). */
  @Benchmark
  public int insertExpire() {
    queue.schedule(timer, BASE);
    return queue.expire(BASE);
  }

  /** The loop's question every turn: the earliest deadline. */
  @Benchmark
  public long nextDeadline() {
    return queue.nextDeadline();
  }
}
