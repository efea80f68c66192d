package dev.tcpdial.internal.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.internal.Clock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bulk API on each backend: outcomes as values, sockets closed in every state, bad input
 * before any call.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(NativeLoop.Backend.class)
class NativeLoopTest {

  @Parameter NativeLoop.Backend backend;

  static Loopback lo;
  static int open4;
  static int refused4;
  static int full4;
  NativeLoop loop;

  record End(int cookie, Outcome outcome, int errno, long elapsed, InetSocketAddress local) {}

  final List<End> ends = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void listeners() {
    assumeTrue(NativeLoop.unavailable() == null, () -> "native engine: " + NativeLoop.unavailable());
    lo = new Loopback();
    open4 = lo.accepting(Loopback.V4);
    refused4 = lo.refusing(Loopback.V4);
    full4 = lo.full(Loopback.V4);
  }

  @AfterAll
  static void closeAll() {
    if (lo != null) {
      lo.close();
    }
  }

  @BeforeEach
  void start() {
    if (backend == NativeLoop.Backend.URING) {
      assumeTrue(NativeLoop.uringUnavailable() == null, () -> "io_uring: "
          + NativeLoop.uringUnavailable());
    }
    loop = NativeLoop.start("test-loop", NativeLoop.Options.DEFAULT, Clock.SYSTEM, 256, backend);
  }

  @AfterEach
  void stop() {
    if (loop != null) {
      loop.close();
    }
  }

  private final NativeLoop.Completion record = (cookie, outcome, errno, elapsed) ->
      ends.add(new End(cookie, outcome, errno, elapsed, loop.localAddress()));

  /** Runs {@code f} on the loop thread and returns its value. */
  private <T> T onLoop(Function<NativeLoop, T> f) throws Exception {
    CompletableFuture<T> r = new CompletableFuture<>();
    loop.execute(() -> {
      try {
        r.complete(f.apply(loop));
      } catch (Throwable t) {
        r.completeExceptionally(t);
      }
    });
    return r.get(10, TimeUnit.SECONDS);
  }

  private void awaitEnds(int n) throws InterruptedException {
    long end = System.nanoTime() + 10_000_000_000L;
    while (ends.size() < n && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    assertThat(ends).hasSize(n);
  }

  private static long in(long millis) {
    return System.nanoTime() + millis * 1_000_000;
  }

  @Test
  void outcomesAreValues() throws Exception {
    onLoop(l -> l.submit(Loopback.V4, open4, in(2000), 1, record));
    onLoop(l -> l.submit(Loopback.V4, refused4, in(2000), 2, record));
    onLoop(l -> l.submit(Loopback.V4, full4, in(200), 3, record));
    onLoop(l -> l.submit4(0x7f000001, refused4, in(2000), 4, record));
    awaitEnds(4);
    End connected = ends.stream().filter(e -> e.cookie == 1).findFirst().orElseThrow();
    assertThat(connected.outcome).isEqualTo(Outcome.CONNECTED);
    assertThat(connected.errno).isZero();
    assertThat(connected.local.getAddress()).isEqualTo(Loopback.V4);
    End refused = ends.stream().filter(e -> e.cookie == 2).findFirst().orElseThrow();
    assertThat(refused.outcome).isEqualTo(Outcome.REFUSED);
    assertThat(refused.errno).isEqualTo(111);
    End timeout = ends.stream().filter(e -> e.cookie == 3).findFirst().orElseThrow();
    assertThat(timeout.outcome).isEqualTo(Outcome.TIMEOUT);
    assertThat(timeout.errno).isZero();
    assertThat(timeout.elapsed).isBetween(150_000_000L, 5_000_000_000L);
    assertThat(ends.stream().filter(e -> e.cookie == 4).findFirst().orElseThrow().outcome)
        .isEqualTo(Outcome.REFUSED);
    assertThat((int) onLoop(NativeLoop::pending)).isZero();
  }

  @Test
  void closesQueuedAsTheLoopStopsAreRun() throws Exception {
    onLoop(l -> l.submit(Loopback.V4, refused4, in(1000), 0, record)); // warm up
    awaitEnds(1);
    ends.clear();
    onLoop(NativeLoop::pending);
    long before = Loopback.fdsStable();
    int n = 400;
    long[] handles = onLoop(l -> {
      long[] h = new long[n];
      for (int i = 0; i < n; i++) {
        h[i] = l.submit(Loopback.V4, full4, Long.MAX_VALUE, i, record); // stays in SYN_SENT
      }
      return h;
    });
    assertThat(java.util.Arrays.stream(handles).allMatch(h -> h >= 0)).isTrue();
    assertThat(Loopback.fds()).isEqualTo(before + n);
    // every probe cancelled, then the loop stopped in the same turn: on io_uring each close is
    // queued (with SO_LINGER 0, a setsockopt linked to the close where the kernel has that) and
    // must still run before the ring goes away
    int cancelled = onLoop(l -> {
      int c = 0;
      for (long h : handles) {
        c += l.cancel(h) ? 1 : 0;
      }
      l.close();
      return c;
    });
    assertThat(cancelled).isEqualTo(n);
    loop.close();
    assertThat(ends).isEmpty();
    // the probes' sockets, and the loop's own epoll (or ring) and eventfd
    assertThat(Loopback.fdsSettle(before - 2, 2000)).isEqualTo(before - 2);
  }

  @Test
  void localFailureEndsInsideSubmitAndClosesTheSocket() throws Exception {
    long before = Loopback.fdsStable();
    // a source address this machine does not have: bind fails with EADDRNOTAVAIL at once
    try (NativeLoop bound = NativeLoop.start("bound", new NativeLoop.Options(
        new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0, 0, true, true),
        Clock.SYSTEM, 16, backend)) {
      CompletableFuture<Long> h = new CompletableFuture<>();
      bound.execute(() -> h.complete(bound.submit(Loopback.V6, refused4, Long.MAX_VALUE, 9, record)));
      assertThat(h.get(10, TimeUnit.SECONDS)).isEqualTo(-1L);
      assertThat(ends).singleElement().satisfies(e -> {
        assertThat(e.outcome).isEqualTo(Outcome.NETWORK_UNREACHABLE); // EAFNOSUPPORT: no v6 source
        assertThat(e.errno).isEqualTo(97);
      });
    }
    assertThat(Loopback.fdsSettle(before, 2000)).isLessThanOrEqualTo(before);
  }

  @Test
  void everyStateClosesItsSocket() throws Exception {
    long base = Loopback.fds();
    onLoop(l -> l.submit(Loopback.V4, refused4, in(1000), 0, record)); // warm up
    awaitEnds(1);
    ends.clear();
    onLoop(NativeLoop::pending); // a turn of the loop after the probe: its kept socket is closed
    // on io_uring that close is itself a request the kernel may finish a little later
    long before = Loopback.fdsSettle(base, 2000);
    // SYN_SENT, cancelled
    long pending = onLoop(l -> l.submit(Loopback.V4, full4, Long.MAX_VALUE, 1, record));
    assertThat(pending).isNotNegative();
    assertThat(Loopback.fds()).isEqualTo(before + 1);
    assertThat((boolean) onLoop(l -> l.cancel(pending))).isTrue();
    assertThat((boolean) onLoop(l -> l.cancel(pending))).isFalse(); // stale handle
    // to an open port: on loopback the second connect() inside submit usually sees the
    // connection made (the probe ends there, closed); else it is connected in the kernel but not
    // yet seen by the loop, and cancelled in the same turn
    long[] open = onLoop(l -> {
      long h = l.submit(Loopback.V4, open4, Long.MAX_VALUE, 2, record);
      return new long[] {h, h >= 0 && l.cancel(h) ? 1 : 0};
    });
    if (open[0] >= 0) {
      assertThat(open[1]).isEqualTo(1);
    } else {
      awaitEnds(1);
      assertThat(ends).singleElement().extracting(End::outcome).isEqualTo(Outcome.CONNECTED);
      ends.clear();
    }
    assertThat(Loopback.fdsSettle(before, 2000)).isEqualTo(before);
    // SYN_SENT, our deadline
    onLoop(l -> l.submit(Loopback.V4, full4, in(100), 3, record));
    // a deadline that passed before the connect started
    onLoop(l -> l.submit(Loopback.V4, full4, in(-5), 4, record));
    awaitEnds(2);
    assertThat(ends).extracting(End::outcome).containsOnly(Outcome.TIMEOUT);
    assertThat((int) onLoop(NativeLoop::pending)).isZero();
    assertThat(Loopback.fdsSettle(before, 2000)).isEqualTo(before);
    // in flight when the loop closes: ends cancelled
    onLoop(l -> l.submit(Loopback.V4, full4, Long.MAX_VALUE, 5, record));
    onLoop(l -> l.submit(Loopback.V6, full4, in(60_000), 6, record)); // ::1 has no such port: refused
    awaitEnds(3);
    loop.close();
    awaitEnds(4);
    assertThat(ends.get(3).outcome).isEqualTo(Outcome.CANCELLED);
    assertThat(ends.get(3).errno).isZero();
    // after the close, submits end cancelled with no system call
    CompletableFuture<Long> late = new CompletableFuture<>();
    loop.execute(() -> late.complete(loop.submit(Loopback.V4, open4, Long.MAX_VALUE, 7, record)));
    assertThat(late.get(10, TimeUnit.SECONDS)).isEqualTo(-1L);
    assertThat(ends.get(4).outcome).isEqualTo(Outcome.CANCELLED);
    // the loop's own epoll (or ring) and eventfd are gone too
    assertThat(Loopback.fdsSettle(before - 2, 2000)).isEqualTo(before - 2);
  }

  @Test
  void aRefusedProbesSocketCarriesTheNextProbe() throws Exception {
    assumeTrue(backend == NativeLoop.Backend.EPOLL, "epoll only: the second connect() keeps it");
    long before = Loopback.fdsStable();
    // one probe kept in flight (a full accept queue), so the loop is never idle in between
    long held = onLoop(l -> l.submit(Loopback.V4, full4, Long.MAX_VALUE, 100, record));
    long opened = onLoop(NativeLoop::socketsOpened);
    for (int i = 0; i < 20; i++) {
      int c = i;
      onLoop(l -> l.submit(Loopback.V4, refused4, in(2000), c, record));
    }
    awaitEnds(20);
    assertThat(ends).allSatisfy(e -> {
      assertThat(e.outcome).isEqualTo(Outcome.REFUSED);
      assertThat(e.errno).isEqualTo(111);
    });
    // On loopback the reset is nearly always in before the second connect(), which then frees the
    // socket for the next probe (else epoll reports the refusal and the socket is closed): 1
    // socket for the 20 here, allowing for a busy machine.
    assertThat((long) onLoop(NativeLoop::socketsOpened) - opened).isBetween(1L, 10L);
    // a kept socket connects, refuses and times out like a fresh one
    onLoop(l -> l.submit(Loopback.V4, open4, in(2000), 20, record));
    onLoop(l -> l.submit(Loopback.V4, refused4, in(2000), 21, record));
    onLoop(l -> l.submit(Loopback.V4, full4, in(100), 22, record));
    awaitEnds(23);
    java.util.Map<Integer, End> last = new java.util.HashMap<>();
    ends.subList(20, 23).forEach(e -> last.put(e.cookie, e));
    assertThat(last.get(20).outcome).isEqualTo(Outcome.CONNECTED);
    assertThat(last.get(20).local).isNotNull();
    assertThat(last.get(21).outcome).isEqualTo(Outcome.REFUSED);
    assertThat(last.get(22).outcome).isEqualTo(Outcome.TIMEOUT);
    // idle again: no kept socket stays open
    assertThat((boolean) onLoop(l -> l.cancel(held))).isTrue();
    assertThat((int) onLoop(NativeLoop::pending)).isZero();
    assertThat(Loopback.fdsSettle(before, 2000)).isEqualTo(before);
  }

  @Test
  void malformedInputNeverReachesANativeCall() throws Exception {
    long opened = onLoop(NativeLoop::socketsOpened);
    for (int port : new int[] {0, -1, 65536, Integer.MIN_VALUE}) {
      assertThatThrownBy(() -> onLoop(l -> l.submit(Loopback.V4, port, Long.MAX_VALUE, 0, record)))
          .hasCauseInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> onLoop(l -> l.submit4(0x7f000001, port, Long.MAX_VALUE, 0, record)))
          .hasCauseInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> onLoop(l -> l.submit(null, 80, Long.MAX_VALUE, 0, record)))
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> onLoop(l -> l.submit(Loopback.V4, 80, Long.MAX_VALUE, 0, null)))
        .hasCauseInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> loop.submit(Loopback.V4, open4, Long.MAX_VALUE, 0, record))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("loop thread");
    for (String bad : List.of("300.1.1.1:80", "[fd00::1", "1.2.3.4:99999", "host name:80", ":80",
        "[::1]:0")) {
      assertThatThrownBy(() -> Target.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat((long) onLoop(NativeLoop::socketsOpened)).isEqualTo(opened);
    assertThat(ends).isEmpty();
  }

  @Test
  void completionMaySubmitAndHandlesOfReusedSlotsAreStale() throws Exception {
    CompletableFuture<Long> first = new CompletableFuture<>();
    NativeLoop.Completion chain = new NativeLoop.Completion() {
      int left = 50;

      @Override
      public void completed(int cookie, Outcome outcome, int errno, long elapsed) {
        ends.add(new End(cookie, outcome, errno, elapsed, null));
        if (--left > 0) {
          loop.submit(Loopback.V4, refused4, Long.MAX_VALUE, cookie + 1, this);
        }
      }
    };
    loop.execute(() -> first.complete(loop.submit(Loopback.V4, refused4, Long.MAX_VALUE, 0, chain)));
    long h = first.get(10, TimeUnit.SECONDS);
    awaitEnds(50);
    assertThat(ends).extracting(End::outcome).containsOnly(Outcome.REFUSED);
    assertThat((boolean) onLoop(l -> l.cancel(h))).isFalse();
    assertThat((int) onLoop(NativeLoop::capacity)).isLessThanOrEqualTo(256);
  }
}
