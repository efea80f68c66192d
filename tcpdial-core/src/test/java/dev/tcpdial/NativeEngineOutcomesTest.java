package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.internal.KernelKnobs;
import dev.tcpdial.internal.nat.Loopback;
import dev.tcpdial.internal.nat.NativeLoop;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every outcome reachable on loopback, on both engines and in both modes, with the same outcome
 * and errno names: connected, refused (IPv4 and IPv6), timeout by the connect timeout and by the
 * overall deadline (a listener whose accept queue is full drops the SYN), cancelled (future
 * cancelled, dialer closed, blocking caller interrupted), Happy Eyeballs over a name.
 */
class NativeEngineOutcomesTest {

  static Loopback lo;
  static int open4;
  static int open6;
  static int refused4;
  static int refused6;
  static int full4;

  @BeforeAll
  static void listeners() {
    lo = new Loopback();
    open4 = lo.accepting(Loopback.V4);
    open6 = lo.accepting(Loopback.V6);
    refused4 = lo.refusing(Loopback.V4);
    refused6 = lo.refusing(Loopback.V6);
    full4 = lo.full(Loopback.V4);
  }

  @AfterAll
  static void close() {
    lo.close();
  }

  static Stream<Arguments> engines() {
    return TestEngines.backendsAndModes();
  }

  private static Dialer.Builder builder(Engine engine, Mode mode) {
    TestEngines.assumeRuns(engine);
    return Dialer.builder().engine(engine).mode(mode).connectTimeout(Duration.ofMillis(300));
  }

  private static void sameEngine(DialResult r, Engine engine, Mode mode) {
    assertThat(r.engine()).isEqualTo(engine);
    assertThat(r.mode()).isEqualTo(mode);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void connected(Engine engine, Mode mode) throws Exception {
    try (Dialer d = builder(engine, mode).build()) {
      assertThat(d.probeEngine()).isEqualTo(engine);
      DialResult r = d.probe(new Target("127.0.0.1", open4));
      sameEngine(r, engine, mode);
      assertThat(r.outcome().label()).isEqualTo("connected");
      assertThat(r.errno()).isNull();
      assertThat(r.remote().getPort()).isEqualTo(open4);
      assertThat(r.local().getAddress()).isEqualTo(Loopback.V4);
      assertThat(r.attempts()).singleElement().satisfies(a -> {
        assertThat(a.outcome()).isEqualTo(Outcome.CONNECTED);
        assertThat(a.reason()).isEqualTo(Attempt.Reason.FIRST);
      });
      DialResult r6 = d.probeAsync(new Target("::1", open6)).get(10, TimeUnit.SECONDS);
      assertThat(r6.outcome().label()).isEqualTo("connected");
      sameEngine(r6, engine, mode);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void refused(Engine engine, Mode mode) throws Exception {
    try (Dialer d = builder(engine, mode).build()) {
      DialResult r = d.probe(new Target("127.0.0.1", refused4));
      sameEngine(r, engine, mode);
      assertThat(r.outcome().label()).isEqualTo("refused");
      assertThat(r.errno().name()).isEqualTo("ECONNREFUSED");
      assertThat(r.attempts()).singleElement()
          .satisfies(a -> assertThat(a.errno()).isEqualTo(Errno.ECONNREFUSED));
      DialResult r6 = d.probeAsync(new Target("::1", refused6)).get(10, TimeUnit.SECONDS);
      assertThat(r6.outcome().label()).isEqualTo("refused");
      assertThat(r6.errno().name()).isEqualTo("ECONNREFUSED");
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void timeoutByConnectTimeout(Engine engine, Mode mode) {
    try (Dialer d = builder(engine, mode).build()) {
      long t0 = System.nanoTime();
      DialResult r = d.probe(new Target("127.0.0.1", full4));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      sameEngine(r, engine, mode);
      assertThat(r.outcome().label()).isEqualTo("timeout");
      assertThat(r.errno()).isNull();
      assertThat(r.deadlineExpired()).isTrue();
      assertThat(ms).isBetween(250L, 5_000L);
      assertThat(r.attempts()).singleElement()
          .satisfies(a -> assertThat(a.deadlineExpired()).isTrue());
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void timeoutByDeadline(Engine engine, Mode mode) {
    try (Dialer d = builder(engine, mode).connectTimeout(Duration.ofSeconds(10))
        .deadline(Duration.ofMillis(300)).build()) {
      long t0 = System.nanoTime();
      DialResult r = d.probe(new Target("127.0.0.1", full4));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r.outcome().label()).isEqualTo("timeout");
      assertThat(r.errno()).isNull();
      assertThat(ms).isBetween(250L, 5_000L);
      sameEngine(r, engine, mode);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void kernelTimeoutIsEtimedout(Engine engine, Mode mode) {
    if (engine == Engine.JDK) {
      assumeTrue(KernelKnobs.unavailable() == null, () -> "JDK engine: " + KernelKnobs.unavailable());
    }
    // TCP_USER_TIMEOUT bounds the SYN retransmissions: the kernel gives up at the first retransmit.
    try (Dialer d = builder(engine, mode).connectTimeout(Duration.ofSeconds(10))
        .userTimeout(Duration.ofMillis(200)).build()) {
      DialResult r = d.probe(new Target("127.0.0.1", full4));
      assertThat(r.outcome().label()).isEqualTo("timeout");
      assertThat(r.errno().name()).isEqualTo("ETIMEDOUT");
      assertThat(r.deadlineExpired()).isFalse();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void cancelledByTheFuture(Engine engine, Mode mode) throws Exception {
    java.util.concurrent.BlockingQueue<DialResult> failed = new java.util.concurrent.LinkedBlockingQueue<>();
    DialListener l = new DialListener() {
      @Override
      public void dialFailed(Target target, DialResult result) {
        failed.add(result);
      }
    };
    try (Dialer d = builder(engine, mode).connectTimeout(Duration.ZERO).listener(l).build()) {
      long before = 0;
      // the first round starts what lives on (a loop, the JDK's pollers); count around the second
      for (int round = 0; round < 2; round++) {
        before = Loopback.fds();
        CompletableFuture<DialResult> f = d.probeAsync(new Target("127.0.0.1", full4));
        Thread.sleep(100);
        assertThat(f.cancel(false)).isTrue();
        DialResult r = failed.poll(10, TimeUnit.SECONDS);
        assertThat(r.outcome().label()).isEqualTo("cancelled");
        assertThat(r.errno()).isNull();
        assertThat(r.attempts()).singleElement()
            .satisfies(a -> assertThat(a.outcome()).isEqualTo(Outcome.CANCELLED));
        sameEngine(r, engine, mode);
      }
      // A leaked descriptor never comes back, so the wait only bounds how long a passing run
      // takes: 10 s, because the closes are the loop's work and on a starved machine its thread
      // was measured waiting up to 190 ms for a CPU per wake-up (2 s was overrun).
      assertThat(Loopback.fdsSettle(before, 10_000)).isLessThanOrEqualTo(before);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void cancelledByClose(Engine engine, Mode mode) throws Exception {
    Dialer d = builder(engine, mode).connectTimeout(Duration.ZERO).build();
    CompletableFuture<DialResult> f = d.probeAsync(new Target("127.0.0.1", full4));
    Thread.sleep(100);
    d.close();
    DialResult r = f.get(10, TimeUnit.SECONDS);
    assertThat(r.outcome().label()).isEqualTo("cancelled");
    assertThat(r.errno()).isNull();
    sameEngine(r, engine, mode);
    DialResult after = d.probe(new Target("127.0.0.1", open4));
    assertThat(after.outcome().label()).isEqualTo("cancelled");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void cancelledByInterrupt(Engine engine, Mode mode) throws Exception {
    try (Dialer d = builder(engine, mode).connectTimeout(Duration.ZERO).build()) {
      AtomicReference<DialResult> got = new AtomicReference<>();
      AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
      Thread t = Thread.ofPlatform().start(() -> {
        got.set(d.probe(new Target("127.0.0.1", full4)));
        stillInterrupted.set(Thread.currentThread().isInterrupted());
      });
      Thread.sleep(150);
      t.interrupt();
      t.join(10_000);
      assertThat(got.get().outcome().label()).isEqualTo("cancelled");
      assertThat(got.get().errno()).isNull();
      assertThat(stillInterrupted.get()).isTrue();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void happyEyeballsOverAName(Engine engine, Mode mode) {
    // "both" resolves to ::1 first (refused there) and 127.0.0.1 (open there): the race moves on.
    Resolver r = name -> List.of(Loopback.V6, Loopback.V4);
    int port = lo.acceptingAndRefusing(Loopback.V4, Loopback.V6); // no one else's on [::1]
    try (Dialer d = builder(engine, mode).resolver(r).build()) {
      DialResult res = d.probe(new Target("both.test", port));
      assertThat(res.outcome().label()).isEqualTo("connected");
      assertThat(res.addresses()).containsExactly(Loopback.V6, Loopback.V4);
      assertThat(res.attempts()).hasSize(2);
      assertThat(res.attempts().get(0).outcome().label()).isEqualTo("refused");
      assertThat(res.attempts().get(0).errno().name()).isEqualTo("ECONNREFUSED");
      assertThat(res.attempts().get(1).reason()).isEqualTo(Attempt.Reason.PREVIOUS_FAILED);
      assertThat(res.remote().getAddress()).isEqualTo(Loopback.V4);
      sameEngine(res, engine, mode);
    }
  }

  /**
   * A source address with a fixed port, dialing that same address and port: the connect completes
   * by simultaneous open, to itself, outside the ephemeral range too. Nothing listens there, so
   * it is refused, never connected; every try from that one port meets itself again.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void aFixedSourcePortDialingItselfIsRefused(Engine engine, Mode mode) throws Exception {
    int port = freeBelowEphemeral();
    try (Dialer d = builder(engine, mode)
        .localAddress(new java.net.InetSocketAddress(Loopback.V4, port)).build()) {
      DialResult r = d.probe(new Target("127.0.0.1", port));
      sameEngine(r, engine, mode);
      assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.REFUSED);
      assertThat(r.errno()).isNull();
    }
  }

  /** A port below the ephemeral range that nothing holds on 127.0.0.1 right now. */
  private static int freeBelowEphemeral() throws Exception {
    int lo = Integer.parseInt(java.nio.file.Files.readAllLines(
        java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
    java.net.BindException last = null;
    for (int p = Math.min(lo, 30000) - 1; p > 20000; p -= 7) {
      try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open()) {
        c.bind(new java.net.InetSocketAddress(Loopback.V4, p));
        return p;
      } catch (java.net.BindException taken) {
        last = taken; // the next one
      }
    }
    throw new IllegalStateException("no free port between 20000 and " + lo, last);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void retriesAndResolutionFailure(Engine engine, Mode mode) {
    Resolver r = name -> {
      if (name.equals("nowhere.test")) {
        throw new java.net.UnknownHostException(name);
      }
      return List.of(InetAddress.getLoopbackAddress());
    };
    try (Dialer d = builder(engine, mode).resolver(r)
        .retry(RetryPolicy.retries(2).retryingRefused()
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(20))).build()) {
      DialResult res = d.probe(new Target("one.test", refused4));
      assertThat(res.outcome().label()).isEqualTo("refused");
      assertThat(res.errno().name()).isEqualTo("ECONNREFUSED");
      assertThat(res.attempts()).hasSize(3);
      assertThat(res.attempts().get(2).reason()).isEqualTo(Attempt.Reason.RETRY);
      DialResult none = d.probe(new Target("nowhere.test", 80));
      assertThat(none.outcome().label()).isEqualTo("resolution_failed");
      assertThat(none.attempts()).isEmpty();
      sameEngine(none, engine, mode);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void listenerSeesTheSameEvents(Engine engine, Mode mode) throws Exception {
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    DialListener l = new DialListener() {
      @Override
      public void dialStart(Target target) {
        seen.add("start");
      }

      @Override
      public void attemptStart(Target target, int index, java.net.InetSocketAddress remote,
          Attempt.Reason reason, Duration at) {
        seen.add("attempt " + index);
      }

      @Override
      public void attemptFailed(Target target, Attempt attempt) {
        seen.add("failed " + attempt.outcome().label());
      }

      @Override
      public void dialFailed(Target target, DialResult result) {
        seen.add("dial " + result.outcome().label());
        done.complete(null);
      }
    };
    try (Dialer d = builder(engine, mode).listener(l).build()) {
      DialResult r = d.probe(new Target("127.0.0.1", refused4));
      assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
      done.get(10, TimeUnit.SECONDS);
      assertThat(seen).containsExactly("start", "attempt 0", "failed refused", "dial refused");
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("engines")
  void sourceAddressIsBound(Engine engine, Mode mode) throws Exception {
    InetAddress source = InetAddress.getByName("127.0.0.2"); // on lo: all of 127/8 is local
    try (Dialer d = builder(engine, mode).localAddress(source).build()) {
      DialResult r = d.probe(new Target("127.0.0.1", open4));
      assertThat(r.outcome().label()).isEqualTo("connected");
      assertThat(r.local().getAddress()).isEqualTo(source);
      assertThat(r.local().getPort()).isPositive();
      // an IPv6 target cannot be reached from an IPv4 source: left out, nothing to dial
      DialResult v6 = d.probe(new Target("::1", open6));
      assertThat(v6.outcome().label()).isEqualTo("resolution_failed");
      assertThat(v6.attempts()).isEmpty();
      sameEngine(v6, engine, mode);
    }
  }
}
