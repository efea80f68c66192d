package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Happy Eyeballs, deadlines and retries on loopback: one port, live on 127.0.0.1, silent (a full
 * accept queue drops the SYN) on [::1] and 127.0.0.2; names come from an injected resolver.
 */
class HappyEyeballsLoopbackTest {
  static ServerSocketChannel live;
  static final List<ServerSocketChannel> silent = new ArrayList<>();
  static final List<SocketChannel> fillers = new ArrayList<>();
  static int port;
  static Resolver names;
  static Thread acceptor;

  @BeforeAll
  static void servers() throws Exception {
    live = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 4096);
    port = Loopback.port(live);
    acceptor = Loopback.acceptAndClose(live);
    for (String a : List.of("::1", "127.0.0.2")) {
      ServerSocketChannel s = ServerSocketChannel.open();
      s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      s.bind(new InetSocketAddress(a, port), 1);
      silent.add(s);
      Loopback.fillAcceptQueue(new InetSocketAddress(a, port), fillers);
    }
    InetAddress v6 = InetAddress.ofLiteral("::1");
    InetAddress dead4 = InetAddress.ofLiteral("127.0.0.2");
    InetAddress v4 = InetAddress.ofLiteral("127.0.0.1");
    names = Resolver.of(Map.of(
        "silent6-first.test", List.of(v6, v4),
        "two-dead.test", List.of(v6, dead4, v4),
        "all-dead.test", List.of(v6, dead4)));
    // Timing bounds below are about the race, not about loading classes and linking C calls.
    for (Mode mode : Mode.values()) {
      try (Dialer d = dialer(mode).attemptDelay(Duration.ofMillis(10)).build()) {
        d.probe(new Target("silent6-first.test", port));
        d.dialAsync(new Target("silent6-first.test", port)).get().close();
      }
    }
  }

  @AfterAll
  static void stop() throws IOException {
    for (SocketChannel c : fillers) {
      c.close();
    }
    for (ServerSocketChannel s : silent) {
      s.close();
    }
    live.close();
  }

  static Dialer.Builder dialer(Mode mode) {
    return Dialer.builder().mode(mode).resolver(names).connectTimeout(Duration.ofSeconds(5));
  }

  static double ms(Duration d) {
    return d.toNanos() / 1e6;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aSilentFirstAddressLosesAfterTheAttemptDelay(Mode mode) {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    DialListener log = new DialListener() {
      @Override
      public void dialStart(Target t) {
        events.add("start");
      }

      @Override
      public void resolved(Target t, List<InetAddress> a, Duration took) {
        events.add("resolved " + a.size());
      }

      @Override
      public void attemptStart(Target t, int i, InetSocketAddress r, Attempt.Reason why, Duration at) {
        events.add("attempt " + i + " " + why.label());
      }

      @Override
      public void attemptFailed(Target t, Attempt a) {
        events.add("failed " + a.index() + " " + a.outcome().label());
      }

      @Override
      public void connected(Target t, Attempt a, DialResult r) {
        events.add("connected " + a.index());
      }
    };
    try (Dialer d = dialer(mode).attemptDelay(Duration.ofMillis(250)).listener(log)
        .executor(Runnable::run).build();
        SchedulingDelay late = SchedulingDelay.start()) {
      DialResult r = d.probe(new Target("silent6-first.test", port));
      // Lower bounds: the second attempt must wait for the attempt delay. Upper bounds: 50 ms
      // (start) and 100 ms (connected) of ours, plus what the test cannot control (the process's
      // stalls, the dial's threads' and the kernel's packet delivery's wait for a CPU:
      // SchedulingDelay.dialMs, packetsMs); an attempt delay not honoured, or a second attempt
      // that waits for the first to time out (5 s), stays caught.
      double lateMs = late.dialMs(r) + late.packetsMs();
      assertThat(r.outcome()).isEqualTo(Outcome.CONNECTED);
      assertThat(r.remote().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(ms(r.elapsed())).as("scheduling delay %.1f ms", lateMs)
          .isBetween(250.0, 350.0 + lateMs);
      assertThat(r.attempts()).hasSize(2);
      assertThat(r.attempts().get(0).outcome()).isEqualTo(Outcome.CANCELLED);
      assertThat(r.attempts().get(0).remote().getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
      assertThat(r.attempts().get(1).reason()).isEqualTo(Attempt.Reason.DELAY_ELAPSED);
      assertThat(ms(r.attempts().get(1).start())).as("scheduling delay %.1f ms", lateMs)
          .isBetween(250.0, 300.0 + lateMs);
      assertThat(r.addresses()).hasSize(2);
    }
    assertThat(events).containsExactly("start", "resolved 2", "attempt 0 first",
        "attempt 1 delay_elapsed", "failed 0 cancelled", "connected 1");
  }

  /**
   * Without an attempt delay each address waits for the one before. Lower bound: two dead
   * addresses cost their 200 ms connect timeout each. Upper bound: 50 ms of ours (two timers, three
   * sockets) plus what the test cannot control ({@link SchedulingDelay#dialMs}, and {@link
   * SchedulingDelay#packetsMs}: the live address answers through the kernel); it catches a dead
   * address that costs more than its connect timeout (the kernel's 1 s SYN retransmission, a
   * timer rounded or armed late, an attempt delay added on top).
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void twoDeadAddressesThenALiveOneConnectsOneAfterAnother(Mode mode) {
    try (Dialer d = dialer(mode).attemptDelay(Duration.ZERO).connectTimeout(Duration.ofMillis(200))
        .build();
        SchedulingDelay late = SchedulingDelay.start()) {
      DialResult r = d.probe(new Target("two-dead.test", port));
      double lateMs = late.dialMs(r) + late.packetsMs();
      assertThat(r.outcome()).isEqualTo(Outcome.CONNECTED);
      assertThat(r.attempts()).extracting(a -> a.outcome().label())
          .containsExactly("timeout", "timeout", "connected");
      assertThat(r.attempts()).extracting(Attempt::reason).containsExactly(Attempt.Reason.FIRST,
          Attempt.Reason.PREVIOUS_FAILED, Attempt.Reason.PREVIOUS_FAILED);
      assertThat(ms(r.elapsed())).as("not ours: %.1f ms", lateMs).isBetween(400.0, 450.0 + lateMs);
    }
  }

  /**
   * The deadline ends the dial, retries and backoff included. Lower bound: the addresses are
   * silent, so nothing may end the dial before its deadline (1 ms for rounding). Upper bound: 20 ms
   * of our own (the timer fires, the attempt's socket closes, the result is built) plus what the
   * test cannot control, measured meanwhile ({@link SchedulingDelay#dialMs}): the process's stalls
   * and the time the loop thread, its timer fired, waited in the kernel's run queue for a CPU (on
   * a loaded machine 20-190 ms, where a thread that wakes every millisecond saw 4). What it
   * catches stays caught: an attempt given the whole 5 s connect timeout, a retry or a backoff
   * (20-50 ms here) started past the deadline, a timer armed late or rounded up. The first dial
   * of each mode warms the retry and deadline paths up: class loading is not what this bounds.
   */
  @ParameterizedTest
  @EnumSource(Mode.class)
  void theDeadlineIsNeverOverrun(Mode mode) {
    RetryPolicy retry = RetryPolicy.retries(5).withBackoff(Duration.ofMillis(20), Duration.ofMillis(50));
    try (Dialer d = dialer(mode).deadline(Duration.ofMillis(60)).retry(retry).build()) {
      d.probe(new Target("all-dead.test", port));
    }
    for (long deadlineMs : new long[] {150, 300, 420}) {
      try (Dialer d = dialer(mode).deadline(Duration.ofMillis(deadlineMs)).retry(retry).build();
          SchedulingDelay late = SchedulingDelay.start()) {
        DialResult r = d.probe(new Target("all-dead.test", port));
        double lateMs = late.dialMs(r);
        double bound = deadlineMs + 20.0 + lateMs;
        // The deadline covers the lookup too: on a starved machine the (in-memory) resolver's
        // thread may not have run before it, and the dial says so; it still ends on time.
        if (r.outcome() == Outcome.RESOLUTION_FAILED) {
          assertThat(r.detail()).contains("resolution timed out");
        } else {
          assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
        }
        assertThat(ms(r.elapsed())).as("deadline %d ms, not ours %.1f ms (process stalls %.1f)",
            deadlineMs, lateMs, late.maxMs()).isBetween(deadlineMs - 1.0, bound);
        assertThat(r.attempts()).allSatisfy(a ->
            assertThat(ms(a.start()) + ms(a.elapsed())).isLessThanOrEqualTo(bound));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void refusedIsRetriedOnlyWhenAskedWithBackoff(Mode mode) {
    Target closed;
    try (ServerSocketChannel tmp = ServerSocketChannel.open()) {
      tmp.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = new Target("127.0.0.1", Loopback.port(tmp));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    try (Dialer once = dialer(mode).retry(RetryPolicy.retries(2)).build();
        Dialer again = dialer(mode).retry(RetryPolicy.retries(2).retryingRefused()
            .withBackoff(Duration.ofMillis(30), Duration.ofMillis(60))).build()) {
      assertThat(once.probe(closed).attempts()).hasSize(1);
      SchedulingDelay late = SchedulingDelay.start();
      DialResult r = again.probe(closed);
      double lateMs = late.dialMs(r) + late.packetsMs();
      assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(r.errno()).isEqualTo(Errno.ECONNREFUSED);
      assertThat(r.attempts()).extracting(Attempt::reason).containsExactly(Attempt.Reason.FIRST,
          Attempt.Reason.RETRY, Attempt.Reason.RETRY);
      // two backoffs of at most 60 ms each and three refused connects: 200 ms with our slack, plus
      // what the test cannot control; a backoff that grows past its cap stays caught
      assertThat(ms(r.elapsed())).as("not ours: %.1f ms", lateMs).isLessThan(200 + lateMs);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void resolutionFailuresAndFamilies(Mode mode) {
    Resolver slow = host -> {
      try {
        Thread.sleep(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new java.net.UnknownHostException(host);
    };
    try (Dialer d = dialer(mode).build();
        Dialer v4 = dialer(mode).family(Family.IPV4).build();
        Dialer v6only = dialer(mode).family(Family.IPV6).connectTimeout(Duration.ofMillis(100)).build();
        Dialer slowly = dialer(mode).resolver(slow).deadline(Duration.ofMillis(200)).build()) {
      DialResult nx = d.probe(new Target("no-such-name.test", port));
      assertThat(nx.outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
      assertThat(nx.attempts()).isEmpty();
      DialResult four = v4.probe(new Target("silent6-first.test", port));
      assertThat(four.outcome()).isEqualTo(Outcome.CONNECTED);
      assertThat(four.attempts()).hasSize(1);
      assertThat(v6only.probe(new Target("silent6-first.test", port)).outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(v4.probe(new Target("::1", port)).outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
      SchedulingDelay late = SchedulingDelay.start();
      DialResult timedOut = slowly.probe(new Target("any.test", port));
      double lateMs = late.dialMs(timedOut);
      assertThat(timedOut.outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
      // the 200 ms deadline ends a lookup that would take 5 s: not before it, and not much after
      assertThat(ms(timedOut.elapsed())).as("not ours: %.1f ms", lateMs)
          .isBetween(199.0, 400.0 + lateMs);
      // the time went to the lookup: resolution says so (it said 0.000)
      assertThat(timedOut.resolution()).isEqualTo(timedOut.elapsed());
      assertThat(timedOut.detail()).contains("resolution timed out");
      assertThat(nx.detail()).contains("no-such-name.test");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void cancellingWhileTheNameResolvesEndsTheDialWithoutAnAttempt(Mode mode) throws Exception {
    Semaphore asked = new Semaphore(0);
    Resolver slow = host -> {
      asked.release();
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        throw new java.net.UnknownHostException(host + ": interrupted");
      }
      return List.of(InetAddress.ofLiteral("::1")); // silent: an attempt would hang
    };
    try (Dialer d = dialer(mode).resolver(slow).connectTimeout(Duration.ZERO).build()) {
      long before = Loopback.synSentToAnyAddress(port);
      CompletableFuture<DialResult> f = d.probeAsync(new Target("slow.test", port));
      assertThat(asked.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
      assertThat(f.cancel(true)).isTrue();
      Thread.sleep(500); // the resolver has answered by now: no attempt may have started
      assertThat(Loopback.synSentToAnyAddress(port)).isEqualTo(before);

      AtomicReferenceHolder<DialResult> got = new AtomicReferenceHolder<>();
      Thread t = Thread.ofVirtual().start(() -> got.value = d.probe(new Target("slow.test", port)));
      assertThat(asked.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(50);
      t.interrupt();
      t.join(5_000);
      assertThat(got.value.outcome()).isEqualTo(Outcome.CANCELLED);
      assertThat(got.value.attempts()).isEmpty();
      assertThat(Loopback.synSentToAnyAddress(port)).isEqualTo(before);
    }
  }

  static final class AtomicReferenceHolder<T> {
    volatile T value;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aThousandRacingDialsCloseEveryLoser(Mode mode) throws Exception {
    try (Dialer d = dialer(mode).attemptDelay(Duration.ofMillis(10))
        .socketConfigurer(ch -> ch.setOption(StandardSocketOptions.SO_LINGER, 0)).build()) {
      d.probe(new Target("silent6-first.test", port)); // warm: loop, pollers
      long baseline = Loopback.awaitFds(Loopback.openFds());
      Semaphore window = new Semaphore(100);
      List<CompletableFuture<?>> all = new ArrayList<>();
      int[] wins = new int[1];
      for (int i = 0; i < 1_000; i++) {
        window.acquire();
        all.add(d.dialAsync(new Target("silent6-first.test", port)).handle((ch, e) -> {
          window.release();
          if (ch != null) {
            synchronized (wins) {
              wins[0]++;
            }
            try {
              ch.close();
            } catch (IOException ignored) {
              // counted
            }
          }
          return null;
        }));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertThat(wins[0]).isEqualTo(1_000);
      assertThat(Loopback.awaitFds(baseline)).as("every loser's socket closed").isLessThanOrEqualTo(baseline);
    }
  }
}
