package dev.tcpdial.internal.nat;

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
 * What the native loop's own deadlines cost per probe: {@link SlotHeap} with {@code pending}
 * probes in flight, each op retiring the oldest (its connect completed: {@code remove}) and
 * scheduling the next probe in its slot at the same timeout from now ({@code schedule}), as the
 * loop does for every probe. The alternative, a kernel timer per connect
 * ({@code IORING_OP_LINK_TIMEOUT}), is measured in {@code bench/c/uring.c -t}. In this package
 * (a bench-only split package on the class path) because the heap is package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SlotHeapBench {
  /** Probes in flight: the bench's C, a scan's default window, the pending-connect scale. */
  @Param({"64", "256", "20000"})
  public int pending;

  private SlotHeap heap;
  private long now;
  private int oldest;

  /** Fills the heap with {@code pending} probes, 1 us apart, 10 s out. */
  @Setup(Level.Trial)
  public void setUp() {
    heap = new SlotHeap(pending);
    for (int s = 0; s < pending; s++) {
      now += 1_000;
      heap.schedule(s, now + 10_000_000_000L);
    }
  }

  /**
   * One probe's deadline bookkeeping: the oldest probe completes, a new one takes its slot.
   *
   * @return the heap's earliest deadline, so that nothing is optimised away
   */
  @Benchmark
  public long removeThenSchedule() {
    int s = oldest;
    oldest = s + 1 == pending ? 0 : s + 1;
    heap.remove(s);
    now += 1_000;
    heap.schedule(s, now + 10_000_000_000L);
    return heap.nextDeadline();
  }
}
