package dev.tcpdial.internal.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.Outcome;
import dev.tcpdial.internal.Clock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 100,000 probes on loopback, 64 at a time, to three accepting listeners and a refusing port of
 * our own: every one ends connected or refused, and afterwards the process has the descriptors it
 * had before and no socket of ours waits in TIME_WAIT (probes close with a reset).
 */
class NativeLoopLoadTest {

  static final int TOTAL = 100_000;
  static final int CONCURRENCY = 64;

  @ParameterizedTest(name = "{0}")
  @EnumSource(NativeLoop.Backend.class)
  void hundredThousandProbesLeaveNoDescriptorBehind(NativeLoop.Backend backend) throws Exception {
    assumeTrue(NativeLoop.unavailable() == null, () -> "native engine: " + NativeLoop.unavailable());
    if (backend == NativeLoop.Backend.URING) {
      assumeTrue(NativeLoop.uringUnavailable() == null, () -> "io_uring: "
          + NativeLoop.uringUnavailable());
    }
    try (Loopback lo = new Loopback()) {
      int[] ports = {lo.accepting(Loopback.V4), lo.accepting(Loopback.V4), lo.accepting(Loopback.V4),
          lo.refusing(Loopback.V4)};
      long before = Loopback.fds();
      Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
      CountDownLatch done = new CountDownLatch(1);
      long deadline = System.nanoTime() + 25_000_000_000L;
      NativeLoop loop = NativeLoop.start("load", NativeLoop.Options.DEFAULT, Clock.SYSTEM, 256,
          backend);
      try {
        var next = new NativeLoop.Completion() {
          int started;
          int ended;

          void submitOne() {
            int i = started++;
            loop.submit4(0x7f000001, ports[i & 3], System.nanoTime() + 5_000_000_000L, i, this);
          }

          @Override
          public void completed(int cookie, Outcome outcome, int errno, long elapsed) {
            counts.merge(outcome, 1, Integer::sum);
            if (++ended == TOTAL || System.nanoTime() > deadline) {
              done.countDown();
            } else if (started < TOTAL) {
              submitOne();
            }
          }
        };
        loop.execute(() -> {
          for (int i = 0; i < CONCURRENCY; i++) {
            next.submitOne();
          }
        });
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        loop.close();
      }
      assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(TOTAL);
      assertThat(counts.keySet()).isSubsetOf(Outcome.CONNECTED, Outcome.REFUSED);
      assertThat(counts.get(Outcome.REFUSED)).isEqualTo(TOTAL / 4);
      // our loop's epoll and eventfd are closed as well
      assertThat(Loopback.fdsSettle(before, 5000)).isLessThanOrEqualTo(before);
      assertThat(clientTimeWait(Set.of(ports[0], ports[1], ports[2]))).isZero();
    }
  }

  /** Sockets in TIME_WAIT whose remote port is one of {@code ports}: the probing side's. */
  static long clientTimeWait(Set<Integer> ports) throws IOException {
    return Files.readAllLines(Path.of("/proc/net/tcp")).stream().skip(1)
        .map(l -> l.trim().split("\\s+"))
        .filter(f -> f[3].equals("06"))
        .filter(f -> ports.contains(Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1)
            .toUpperCase(Locale.ROOT), 16)))
        .count();
  }
}
