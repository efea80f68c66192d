package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.internal.nat.Loopback;
import dev.tcpdial.internal.nat.NativeLoop;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many probes through {@link Dialer#probeAsync}, 64 at a time, to listeners of our own (connected,
 * refused, timeout): both engines count the same outcomes, and the descriptors come back.
 */
class NativeEngineFdTest {

  static final int N = 3_000;
  static Loopback lo;
  static Target[] targets;

  @BeforeAll
  static void listeners() {
    lo = new Loopback();
    targets = new Target[] {
        new Target("127.0.0.1", lo.accepting(Loopback.V4)),
        new Target("::1", lo.accepting(Loopback.V6)),
        new Target("127.0.0.1", lo.refusing(Loopback.V4)),
        new Target("127.0.0.1", lo.accepting(Loopback.V4)),
        new Target("127.0.0.1", lo.refusing(Loopback.V4)),
        new Target("127.0.0.1", lo.accepting(Loopback.V4)),
        new Target("127.0.0.1", lo.accepting(Loopback.V4)),
        new Target("127.0.0.1", lo.accepting(Loopback.V4)),
        new Target("127.0.0.1", lo.accepting(Loopback.V4)),
        new Target("127.0.0.1", lo.full(Loopback.V4)), // 1 in 10 times out
    };
  }

  @AfterAll
  static void close() {
    lo.close();
  }

  @ParameterizedTest
  @MethodSource("dev.tcpdial.TestEngines#backends")
  void sameOutcomesAndNoDescriptorLeft(Engine engine) throws Exception {
    TestEngines.assumeRuns(engine);
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    long before;
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
        .connectTimeout(Duration.ofMillis(100)).build()) {
      d.probe(targets[2]); // starts the loop
      before = Loopback.fds();
      Semaphore permits = new Semaphore(64);
      for (int i = 0; i < N; i++) {
        permits.acquire();
        d.probeAsync(targets[i % targets.length]).whenComplete((r, t) -> {
          String key = r == null ? String.valueOf(t)
              : r.outcome().label() + " " + (r.errno() == null ? "-" : r.errno().name()) + " "
                  + r.engine().label();
          counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
          permits.release();
        });
      }
      assertThat(permits.tryAcquire(64, 30, TimeUnit.SECONDS)).isTrue();
      assertThat(Loopback.fdsSettle(before, 5000)).isLessThanOrEqualTo(before);
    }
    String e = engine.label();
    assertThat(counts).hasSize(3);
    // a loaded machine may let a connect to an accepting listener outlast the 100 ms: timeout
    assertThat(counts.get("connected - " + e).get() + counts.get("timeout - " + e).get())
        .isEqualTo(N * 8 / 10);
    assertThat(counts.get("connected - " + e).get()).isGreaterThan(N * 6 / 10);
    assertThat(counts.get("refused ECONNREFUSED " + e)).hasValue(N * 2 / 10);
    assertThat(counts.get("timeout - " + e).get()).isGreaterThanOrEqualTo(N / 10);
  }
}
