package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.internal.nat.NativeLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Path traces on loopback (one hop: the target itself) and the trace's values; the paths with
 * routers are {@code lab/PathTraceLabTest}'s.
 */
class TraceTest {
  private static Loopback lo;

  @BeforeAll
  static void up() throws Exception {
    lo = new Loopback();
  }

  @AfterAll
  static void down() throws Exception {
    lo.close();
  }

  private static Trace.Options fast() {
    return Trace.Options.DEFAULT.withHopTimeout(Duration.ofMillis(150)).withMaxHops(4);
  }

  private static void assumeNative() {
    org.junit.jupiter.api.Assumptions.assumeTrue(NativeLoop.unavailable() == null,
        () -> "path traces need the native engine: " + NativeLoop.unavailable());
  }

  @Test
  void aListenerIsReachedAtHopOneOnOneFlow() {
    assumeNative();
    try (Dialer d = Dialer.ofDefaults()) {
      Trace t = d.trace(new Target("127.0.0.1", lo.acceptingPort), fast());
      assertThat(t.verdict().kind()).isEqualTo(Trace.Verdict.Kind.REACHED);
      assertThat(t.verdict().hop()).isEqualTo(1);
      assertThat(t.outcome()).isEqualTo(Outcome.CONNECTED);
      assertThat(t.hops()).singleElement().satisfies(h -> {
        assertThat(h.probes()).hasSize(3).allSatisfy(p -> {
          assertThat(p.answer()).isEqualTo(Trace.Answer.CONNECTED);
          assertThat(p.from().getHostAddress()).isEqualTo("127.0.0.1");
          assertThat(p.what()).isEqualTo("SYN-ACK");
        });
        assertThat(h.loss()).isZero();
        assertThat(h.best()).isNotNull().isLessThanOrEqualTo(h.worst());
        assertThat(h.addresses()).extracting(InetAddress::getHostAddress).containsExactly("127.0.0.1");
      });
      assertThat(t.local().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(t.local().getPort()).isPositive();
      assertThat(t.reachability()).isNull();
      assertThat(t.verdict().line()).startsWith("reached 127.0.0.1 at hop 1: connected (SYN-ACK, ");
    }
  }

  @Test
  void everyProbeOfATraceHasTheSameSourcePort() {
    assumeNative();
    java.util.Set<Integer> ports = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // the listener sees where each probe came from
    try (java.nio.channels.ServerSocketChannel s = java.nio.channels.ServerSocketChannel.open()
        .bind(new InetSocketAddress("127.0.0.1", 0), 64); Dialer d = Dialer.ofDefaults()) {
      int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
      Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
        while (true) {
          try (java.nio.channels.SocketChannel c = s.accept()) {
            ports.add(((InetSocketAddress) c.getRemoteAddress()).getPort());
          } catch (java.io.IOException e) {
            return;
          }
        }
      });
      Trace t = d.trace(new Target("127.0.0.1", port), fast().withProbesPerHop(5));
      assertThat(t.hops().getFirst().probes()).hasSize(5)
          .allSatisfy(p -> assertThat(p.answer()).isEqualTo(Trace.Answer.CONNECTED));
      long until = System.nanoTime() + 2_000_000_000L;
      while (ports.isEmpty() && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      assertThat(ports).containsExactly(t.local().getPort());
      acceptor.interrupt();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aClosedPortIsReachedRefused() {
    assumeNative();
    try (Dialer d = Dialer.ofDefaults()) {
      Trace t = d.trace(new Target("127.0.0.1", lo.closedPort), fast());
      assertThat(t.verdict().kind()).isEqualTo(Trace.Verdict.Kind.REACHED);
      assertThat(t.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(t.verdict().errno()).isEqualTo(Errno.ECONNREFUSED);
      assertThat(t.probes()).hasSize(3)
          .allSatisfy(p -> assertThat(p.answer()).isEqualTo(Trace.Answer.RESET));
      assertThat(t.verdict().line()).startsWith("reached 127.0.0.1 at hop 1: refused (RST, ");
    }
  }

  @Test
  void aSilentTargetIsDroppedAfterTheGapInAboutThreeTimeouts() {
    assumeNative();
    try (Dialer d = Dialer.ofDefaults()) {
      long t0 = System.nanoTime();
      Trace t = d.trace(new Target("127.0.0.1", lo.silentPort), fast());
      long tookMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(t.verdict().kind()).isEqualTo(Trace.Verdict.Kind.DROPPED);
      assertThat(t.verdict().hop()).isZero();
      assertThat(t.outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(t.verdict().line()).isEqualTo("the SYN is dropped before the first hop answered");
      // hop 1 silent (one probe: silence ends a hop), the largest TTL silent, hop 2 silent: the gap
      assertThat(t.hops()).hasSize(2).allSatisfy(h -> assertThat(h.probes()).singleElement()
          .satisfies(p -> assertThat(p.answer()).isEqualTo(Trace.Answer.SILENT)));
      assertThat(t.reachability().ttl()).isEqualTo(4);
      assertThat(t.reachability().answer()).isEqualTo(Trace.Answer.SILENT);
      assertThat(t.probes()).hasSize(3).allSatisfy(p ->
          assertThat(p.rtt()).isGreaterThanOrEqualTo(Duration.ofMillis(149)));
      assertThat(tookMs).isGreaterThanOrEqualTo(450);
    }
  }

  @Test
  void everyAddressIsTracedSideBySide() {
    assumeNative();
    Resolver both = host -> List.of(InetAddress.getByName("::1"),
        InetAddress.getByName("127.0.0.1"));
    try (Dialer d = Dialer.builder().resolver(both).build()) {
      List<Trace> ts = d.traceAll(new Target("both.test", lo.closedPort), fast());
      assertThat(ts).hasSize(2);
      assertThat(ts).extracting(t -> t.remote().getAddress().getHostAddress())
          .containsExactlyInAnyOrder("0:0:0:0:0:0:0:1", "127.0.0.1");
      // trace() takes the first address a dial would try
      Trace one = d.trace(new Target("both.test", lo.closedPort), fast());
      assertThat(one.remote()).isIn(ts.get(0).remote(), ts.get(1).remote());
    }
  }

  @Test
  void aNameThatDoesNotResolveIsNotTraced() {
    Resolver none = host -> {
      throw new UnknownHostException(host + ": no such name");
    };
    try (Dialer d = Dialer.builder().resolver(none).build()) {
      Trace t = d.trace(new Target("nosuch.test", 80), fast());
      assertThat(t.verdict().kind()).isEqualTo(Trace.Verdict.Kind.NOT_TRACED);
      assertThat(t.outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
      assertThat(t.hops()).isEmpty();
      assertThat(t.remote()).isNull();
      assertThat(t.detail()).contains("no such name");
    }
  }

  @Test
  void optionsAreCheckedAndTheBudgetIsHopsTimesProbes() {
    assertThat(Trace.Options.DEFAULT.synBudget()).isEqualTo(90);
    assertThat(Trace.Options.DEFAULT.withMaxHops(10).withProbesPerHop(2).synBudget()).isEqualTo(20);
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withMaxHops(0))
        .hasMessageContaining("maxHops must be 1 to 255");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withProbesPerHop(11))
        .hasMessageContaining("probesPerHop");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withHopTimeout(Duration.ZERO))
        .hasMessageContaining("hopTimeout");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withHopTimeout(Duration.ofSeconds(11)))
        .hasMessageContaining("hopTimeout");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withRate(-1)).hasMessageContaining("rate");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withRate(Double.NaN)).hasMessageContaining("rate");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withFirstHop(31)).hasMessageContaining("firstHop");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withSourcePort(70000))
        .hasMessageContaining("sourcePort");
    assertThatThrownBy(() -> Trace.Options.DEFAULT.withGapLimit(0)).hasMessageContaining("gapLimit");
    // fewer hops pull the first hop down with them
    assertThat(Trace.Options.DEFAULT.withFirstHop(20).withMaxHops(5).firstHop()).isEqualTo(5);
  }

  @Test
  void verdictLinesSayWhereInOneLine() throws Exception {
    InetAddress r1 = InetAddress.getByName("198.18.20.1");
    InetAddress r3 = InetAddress.getByName("fd00:22:0:0:0:0:0:3");
    Duration ms = Duration.ofMillis(2);
    assertThat(new Trace.Verdict(Trace.Verdict.Kind.DROPPED, 1, r1, Duration.ofNanos(120_000),
        Outcome.TIMEOUT, null, null).line())
        .isEqualTo("the SYN is dropped after hop 1 (198.18.20.1, 0.12 ms)");
    assertThat(new Trace.Verdict(Trace.Verdict.Kind.REFUSED, 3, r3, ms, Outcome.PROHIBITED,
        Errno.EACCES, new IcmpReport(IcmpReport.Origin.ICMP, true, 1, 1, r3)).line())
        .isEqualTo("refused by hop 3 (fd00:22::3, ICMP admin-prohibited)");
    assertThat(new Trace.Verdict(Trace.Verdict.Kind.REACHED, 4,
        InetAddress.getByName("198.18.23.2"), Duration.ofMillis(12), Outcome.CONNECTED, null,
        null).line()).isEqualTo("reached 198.18.23.2 at hop 4: connected (SYN-ACK, 12.0 ms)");
    assertThat(new Trace.Verdict(Trace.Verdict.Kind.LOCAL, 0, null, null,
        Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, IcmpReport.local()).line())
        .isEqualTo("refused on this host before the SYN left (host_unreachable EHOSTUNREACH: a"
            + " local route or rule)");
    assertThat(new Trace.Verdict(Trace.Verdict.Kind.LOOP, 1, r1, ms, Outcome.HOST_UNREACHABLE,
        Errno.EHOSTUNREACH, null).line())
        .isEqualTo("a routing loop from hop 1 (198.18.20.1 answers again further on)");
  }
}
