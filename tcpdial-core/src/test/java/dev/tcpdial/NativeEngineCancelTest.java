package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.internal.nat.Loopback;
import dev.tcpdial.internal.nat.NativeLoop;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A probe cancelled in each state of its race ends {@code cancelled} with the same attempts on
 * both engines, and its sockets are closed: while resolving, with two Happy Eyeballs attempts in
 * flight, and while waiting to retry.
 */
class NativeEngineCancelTest {

  static Loopback lo;
  static int full4;
  static int full6;
  static int refused4;

  @BeforeAll
  static void listeners() {
    lo = new Loopback();
    full4 = lo.full(Loopback.V4);
    try {
      full6 = lo.full(Loopback.V6, full4); // the same number on ::1, for a name with both
    } catch (java.io.UncheckedIOException e) {
      full6 = -1; // taken on ::1 by someone else: that test is skipped
    }
    refused4 = lo.refusing(Loopback.V4);
  }

  @AfterAll
  static void close() {
    lo.close();
  }

  static Stream<Arguments> engines() {
    return TestEngines.backendsAndModes();
  }

  final BlockingQueue<DialResult> failed = new LinkedBlockingQueue<>();
  final DialListener listener = new DialListener() {
    @Override
    public void dialFailed(Target target, DialResult result) {
      failed.add(result);
    }
  };

  private Dialer.Builder builder(Engine engine, Mode mode) {
    TestEngines.assumeRuns(engine);
    return Dialer.builder().engine(engine).mode(mode).listener(listener)
        .connectTimeout(Duration.ZERO);
  }

  /** Cancels {@code target}'s probe after {@code waitMillis}; returns the result the listener saw. */
  private DialResult cancelAfter(Dialer d, Target target, long waitMillis) throws Exception {
    // the first probe starts what lives on (loops, the JDK's pollers): count around a second one
    long before = 0;
    DialResult r = null;
    for (int round = 0; round < 2; round++) {
      before = Loopback.fds();
      CompletableFuture<DialResult> f = d.probeAsync(target);
      Thread.sleep(waitMillis);
      assertThat(f.cancel(false)).isTrue();
      r = failed.poll(10, TimeUnit.SECONDS);
      assertThat(r).isNotNull();
    }
    assertThat(Loopback.fdsSettle(before, 3000)).isLessThanOrEqualTo(before);
    return r;
  }

  // The native engine only: how the JDK engine ends a dial cancelled while resolving is its own.
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(Mode.class)
  void whileResolving(Mode mode) throws Exception {
    Engine engine = Engine.NATIVE;
    CountDownLatch never = new CountDownLatch(1);
    Resolver slow = name -> {
      try {
        never.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new java.net.UnknownHostException(name + ": interrupted");
      }
      return List.of(Loopback.V4);
    };
    try (Dialer d = builder(engine, mode).resolver(slow).build()) {
      CompletableFuture<DialResult> f = d.probeAsync(new Target("slow.test", full4));
      Thread.sleep(100);
      assertThat(f.cancel(false)).isTrue();
      DialResult r = failed.poll(3, TimeUnit.SECONDS); // at once, not when the resolver returns
      never.countDown();
      assertThat(r).isNotNull();
      assertThat(r.outcome().label()).isEqualTo("cancelled");
      assertThat(r.attempts()).isEmpty();
      assertThat(r.engine()).isEqualTo(d.probeEngine()).isIn(Engine.URING, Engine.EPOLL);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void withTwoAttemptsInFlight(Engine engine, Mode mode) throws Exception {
    assumeTrue(full6 > 0, "port taken on ::1");
    Resolver both = name -> List.of(Loopback.V6, Loopback.V4);
    // both listeners have full accept queues, on one port number; the name gives both addresses
    int port = full4;
    try (Dialer d = builder(engine, mode).resolver(both).attemptDelay(Duration.ofMillis(20)).build()) {
      Target t = new Target("both.test", port);
      DialResult r = cancelAfter(d, t, 200);
      assertThat(r.outcome().label()).isEqualTo("cancelled");
      assertThat(r.errno()).isNull();
      assertThat(r.engine()).isEqualTo(engine);
      assertThat(r.attempts()).hasSize(2).allSatisfy(a -> {
        assertThat(a.outcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(a.errno()).isNull();
      });
      assertThat(r.attempts().get(1).reason()).isEqualTo(Attempt.Reason.DELAY_ELAPSED);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void whileWaitingToRetry(Engine engine, Mode mode) throws Exception {
    RetryPolicy slowRetry = RetryPolicy.retries(3).retryingRefused()
        .withBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5));
    try (Dialer d = builder(engine, mode).retry(slowRetry).build()) {
      DialResult r = cancelAfter(d, new Target("127.0.0.1", refused4), 150);
      assertThat(r.outcome().label()).isEqualTo("cancelled");
      // Full jitter may draw a pause shorter than 150 ms now and then: one retry more is fine.
      assertThat(r.attempts()).isNotEmpty().allSatisfy(a -> {
        assertThat(a.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(a.errno().name()).isEqualTo("ECONNREFUSED");
      });
      assertThat(r.attempts().size()).isLessThan(4);
      assertThat(r.engine()).isEqualTo(engine);
    }
  }
}
