package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One deadline covers resolution, whether the lookup runs or waits: 300 names whose lookups block
 * their thread in native code for 3 s (as getaddrinfo(3) does: a carrier thread held, not a
 * virtual thread parked) all end {@code resolution_failed} at their 1 s deadline, 256 at a time.
 */
class ResolutionDeadlineTest {
  private static final MethodHandle USLEEP = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("usleep").orElseThrow(),
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

  /** A lookup that holds its thread in native code for {@code millis}, then fails. */
  static Resolver blocking(int millis, AtomicInteger calls) {
    return host -> {
      calls.incrementAndGet();
      try {
        int unused = (int) USLEEP.invokeExact(millis * 1000);
      } catch (Throwable e) {
        throw new AssertionError(e);
      }
      throw new UnknownHostException(host + ": no such name");
    };
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aDeadlineEndsPendingLookupsQueuedOrNot(Engine engine) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Target> names = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      names.add(new Target("slow" + i + ".test", 80));
    }
    ConcurrentLinkedQueue<Long> ends = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<DialResult> results = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    SchedulingDelay late = SchedulingDelay.start();
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine).deadline(Duration.ofSeconds(1))
        .resolver(blocking(3000, calls)).build()) {
      Iterator<Target> it = names.iterator();
      Thread scan = Thread.ofPlatform().start(() -> {
        try {
          d.probeEach(it, 256, r -> {
            ends.add(System.nanoTime() - start);
            results.add(r);
          });
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      scan.join(TimeUnit.SECONDS.toMillis(10));
      assertThat(results).as("every name reported within 10 s").hasSize(300);
    }
    long lastMs = ends.stream().mapToLong(Long::longValue).max().orElseThrow() / 1_000_000;
    // Upper bounds: 300 ms of ours per dial, 600 ms for the run, plus the process's stalls
    // meanwhile (SchedulingDelay.maxMs), which the test cannot control; a dial that waits for its
    // 3 s lookup instead of its 1 s deadline stays caught.
    double stalls = late.maxMs();
    assertThat(results).allSatisfy(r -> {
      assertThat(r.outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
      assertThat(r.detail()).contains("timed out");
      assertThat((double) r.elapsed().toMillis()).as("each dial's own time, deadline 1000 ms,"
          + " stalls %.1f ms", stalls).isBetween(990.0, 1300.0 + stalls);
    });
    // 256 dials at once for 1 s each, then the other 44 for 1 s: two deadlines, not a 3 s lookup
    assertThat((double) lastMs).as("the last result, ms after the start, stalls %.1f ms", stalls)
        .isLessThan(2600.0 + stalls);
  }
}
