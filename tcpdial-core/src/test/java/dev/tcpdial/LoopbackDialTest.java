package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both modes against loopback targets of our own: outcomes, errno names, timing, no leaks. */
class LoopbackDialTest {
  static Loopback lo;

  @BeforeAll
  static void servers() throws Exception {
    lo = new Loopback();
  }

  @AfterAll
  static void stop() throws Exception {
    lo.close();
  }

  static Dialer dialer(Mode mode, Duration timeout) {
    return Dialer.builder().mode(mode).connectTimeout(timeout).build();
  }

  static double ms(Duration d) {
    return d.toNanos() / 1e6;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void connected(Mode mode) throws Exception {
    try (Dialer d = dialer(mode, Duration.ofSeconds(2))) {
      DialResult r = d.probe(lo.ok());
      assertThat(r.outcome()).isEqualTo(Outcome.CONNECTED);
      assertThat(r.errno()).isNull();
      assertThat(r.mode()).isEqualTo(mode);
      assertThat(r.remote().getPort()).isEqualTo(lo.acceptingPort);
      assertThat(r.local().getAddress()).isEqualTo(InetAddress.getLoopbackAddress());
      assertThat(r.attempts()).singleElement().satisfies(a -> {
        assertThat(a.outcome()).isEqualTo(Outcome.CONNECTED);
        assertThat(a.reason()).isEqualTo(Attempt.Reason.FIRST);
      });
      assertThat(ms(r.elapsed())).isLessThan(2000);

      try (SocketChannel ch = d.dial(lo.ok())) {
        assertThat(ch.isConnected()).isTrue();
        assertThat(ch.isBlocking()).isTrue();
      }
      try (SocketChannel ch = d.dialAsync(lo.ok()).get(5, TimeUnit.SECONDS);
          Selector own = Selector.open()) {
        assertThat(ch.isConnected()).isTrue();
        assertThat(ch.isBlocking()).isFalse();
        assertThat(ch.isRegistered()).isFalse();
        ch.register(own, SelectionKey.OP_READ); // ready for the caller's own selector
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void refused(Mode mode) throws Exception {
    try (Dialer d = dialer(mode, Duration.ofSeconds(2))) {
      DialResult r = d.probe(lo.refused());
      assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(r.errno()).isEqualTo(Errno.ECONNREFUSED);
      assertThat(ms(r.elapsed())).isLessThan(1000);
      assertThatThrownBy(() -> d.dial(lo.refused()))
          .isInstanceOfSatisfying(DialException.class, e -> {
            assertThat(e.outcome()).isEqualTo(Outcome.REFUSED);
            assertThat(e.errno().name()).isEqualTo("ECONNREFUSED");
            assertThat(e.result().remote().getPort()).isEqualTo(lo.closedPort);
            assertThat(e.getMessage()).contains("refused", "ECONNREFUSED(111)", mode.label());
            assertThat(e.getCause()).isInstanceOf(java.net.ConnectException.class);
          });
      ExecutionException ee = org.junit.jupiter.api.Assertions.assertThrows(
          ExecutionException.class, () -> d.dialAsync(lo.refused()).get(5, TimeUnit.SECONDS));
      assertThat(((DialException) ee.getCause()).errno()).isEqualTo(Errno.ECONNREFUSED);
      // IPv6 loopback: the same name for the same answer
      DialResult v6 = d.probe(new Target("::1", lo.closedPort));
      assertThat(v6.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(v6.errno()).isEqualTo(Errno.ECONNREFUSED);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void timeoutWhileTheSynGoesUnanswered(Mode mode) throws Exception {
    try (Dialer d = dialer(mode, Duration.ofMillis(400))) {
      CompletableFuture<DialResult> f = d.probeAsync(lo.silentTarget());
      long seen = 0;
      for (int i = 0; i < 60 && seen == 0 && !f.isDone(); i++) {
        Thread.sleep(5);
        seen = Loopback.synSentTo(lo.silentPort);
      }
      assertThat(seen).as("our SYN is unanswered: SYN_SENT").isGreaterThanOrEqualTo(1);
      DialResult r = f.get(5, TimeUnit.SECONDS);
      assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(r.errno()).as("our deadline, not the kernel's ETIMEDOUT").isNull();
      assertThat(r.deadlineExpired()).isTrue();
      assertThat(ms(r.elapsed())).isBetween(399.0, 1000.0);
      assertThat(r.explanation()).contains("deadline");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void synRetriesMakeTheKernelGiveUpWithEtimedout(Mode mode) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(dev.tcpdial.internal.KernelKnobs.unavailable() == null,
        () -> "TCP_SYNCNT cannot be set here: " + dev.tcpdial.internal.KernelKnobs.unavailable());
    try (Dialer d = Dialer.builder().mode(mode).connectTimeout(Duration.ZERO).synRetries(1).build()) {
      DialResult r = d.probe(lo.silentTarget());
      assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(r.errno()).isEqualTo(Errno.ETIMEDOUT); // the kernel: SYN at 0 s, retry at 1 s, gives up at 3 s
      assertThat(ms(r.elapsed())).isBetween(2500.0, 6000.0);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSourceAddressThatIsNotOursIsNoLocalAddress(Mode mode) throws Exception {
    try (Dialer d = Dialer.builder().mode(mode)
        .localAddress(InetAddress.ofLiteral("198.18.255.77")).build()) {
      DialResult r = d.probe(lo.ok()); // bind fails before any packet is sent
      assertThat(r.outcome()).isEqualTo(Outcome.NO_LOCAL_ADDRESS);
      assertThat(r.errno()).isEqualTo(Errno.EADDRNOTAVAIL);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFailingSocketOptionHookIsAnError(Mode mode) {
    try (Dialer d = Dialer.builder().mode(mode).socketConfigurer(ch -> {
      throw new java.io.IOException("hook says no");
    }).build()) {
      DialResult r = d.probe(lo.ok());
      assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
      assertThat(r.errno()).isNull();
      assertThat(r.detail()).isEqualTo("hook says no");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void cancelInEveryState(Mode mode) throws Exception {
    try (Dialer d = dialer(mode, Duration.ofSeconds(10))) {
      long baseline = 0;
      // Round 0 warms up: the loop's selector and the JDK's lazily started pollers are not ours.
      for (int round = 0; round < 2; round++) {
        if (round == 1) {
          baseline = Loopback.awaitFds(Loopback.openFds());
        }
        // before it could start
        CompletableFuture<SocketChannel> early = d.dialAsync(lo.silentTarget());
        assertThat(early.cancel(true)).isTrue();
        // while the SYN is unanswered
        CompletableFuture<SocketChannel> pending = d.dialAsync(lo.silentTarget());
        Thread.sleep(100);
        assertThat(pending.cancel(true)).isTrue();
        assertThatThrownBy(pending::join).isInstanceOf(CancellationException.class);
        // after it connected: too late to cancel, the channel is the caller's
        CompletableFuture<SocketChannel> done = d.dialAsync(lo.ok());
        SocketChannel ch = done.get(5, TimeUnit.SECONDS);
        assertThat(done.cancel(true)).isFalse();
        assertThat(ch.isOpen()).isTrue();
        ch.close();
        // a probe cancelled while pending
        CompletableFuture<DialResult> probe = d.probeAsync(lo.silentTarget());
        Thread.sleep(50);
        assertThat(probe.cancel(true)).isTrue();
      }
      assertThat(Loopback.awaitFds(baseline)).as("every cancelled socket closed")
          .isLessThanOrEqualTo(baseline);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void interruptingABlockingDialCancelsIt(Mode mode) throws Exception {
    try (Dialer d = dialer(mode, Duration.ofSeconds(10))) {
      AtomicReference<Object> got = new AtomicReference<>();
      Thread t = Thread.ofVirtual().start(() -> {
        try {
          got.set(d.dial(lo.silentTarget()));
        } catch (DialException e) {
          got.set(e.outcome().label() + " interrupted=" + Thread.currentThread().isInterrupted());
        }
      });
      Thread.sleep(150);
      long t0 = System.nanoTime();
      t.interrupt();
      t.join(5000);
      assertThat(got.get()).isEqualTo("cancelled interrupted=true");
      assertThat((System.nanoTime() - t0) / 1e6).isLessThan(1000);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void closeFailsEveryDialInFlightAsCancelled(Mode mode) throws Exception {
    try (Dialer warm = dialer(mode, Duration.ofSeconds(1))) {
      warm.probe(lo.ok()); // lazily created JDK pollers are not ours to count
    }
    long baseline = Loopback.awaitFds(Loopback.openFds());
    Dialer d = dialer(mode, Duration.ofSeconds(30));
    List<CompletableFuture<SocketChannel>> dials = new ArrayList<>();
    for (int i = 0; i < (mode == Mode.ASYNC ? 300 : 50); i++) {
      dials.add(d.dialAsync(lo.silentTarget()));
    }
    CompletableFuture<DialResult> probe = d.probeAsync(lo.silentTarget());
    Thread.sleep(300);
    long t0 = System.nanoTime();
    d.close();
    for (CompletableFuture<SocketChannel> f : dials) {
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> f.get(5, TimeUnit.SECONDS));
      assertThat(((DialException) e.getCause()).outcome()).isEqualTo(Outcome.CANCELLED);
    }
    assertThat(probe.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.CANCELLED);
    assertThat((System.nanoTime() - t0) / 1e6).isLessThan(5000);
    assertThat(d.probe(lo.ok()).outcome()).as("after close").isEqualTo(Outcome.CANCELLED);
    assertThat(Loopback.awaitFds(baseline)).isLessThanOrEqualTo(baseline);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void tenThousandMixedDialsLeaveNoDescriptorOpen(Mode mode) throws Exception {
    try (Dialer warm = dialer(mode, Duration.ofSeconds(1))) {
      warm.probe(lo.ok());
    }
    long baseline = Loopback.openFds();
    Target[] targets = {lo.ok(), lo.refused(), lo.ok(), lo.silentTarget()};
    Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
    try (Dialer d = Dialer.builder().mode(mode).connectTimeout(Duration.ofSeconds(1))
        .socketConfigurer(ch -> ch.setOption(StandardSocketOptions.SO_LINGER, 0)).build()) {
      Semaphore window = new Semaphore(256);
      List<CompletableFuture<?>> all = new ArrayList<>(10_000);
      for (int i = 0; i < 10_000; i++) {
        Target t = targets[i % 4 == 3 && i % 40 != 3 ? 0 : i % 4]; // 1 in 40 is silent
        window.acquire();
        CompletableFuture<?> f = (i % 2 == 0 ? d.probeAsync(t) : d.dialAsync(t))
            .handle((v, e) -> {
              Outcome o;
              if (v instanceof DialResult r) {
                o = r.outcome();
              } else if (v instanceof SocketChannel ch) {
                o = Outcome.CONNECTED;
                try {
                  ch.close();
                } catch (java.io.IOException ignored) {
                  // counted as connected all the same
                }
              } else {
                o = ((DialException) e).outcome();
              }
              synchronized (counts) {
                counts.merge(o, 1, Integer::sum);
              }
              window.release();
              return o;
            });
        all.add(f);
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }
    assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(10_000);
    assertThat(counts.get(Outcome.REFUSED)).isEqualTo(2_500);
    assertThat(counts.get(Outcome.TIMEOUT)).isEqualTo(250);
    assertThat(counts.get(Outcome.CONNECTED)).isEqualTo(7_250);
    assertThat(Loopback.awaitFds(baseline)).as("descriptors back to the baseline").isLessThanOrEqualTo(baseline);
  }
}
