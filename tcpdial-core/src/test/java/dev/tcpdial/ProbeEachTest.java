package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Dialer#probeEach}: every target once, the window kept, interrupts stop it cleanly. */
class ProbeEachTest {
  static Loopback lo;

  @BeforeAll
  static void servers() throws Exception {
    lo = new Loopback();
  }

  @AfterAll
  static void stop() throws Exception {
    lo.close();
  }

  @ParameterizedTest
  @MethodSource("dev.tcpdial.TestEngines#backends")
  void everyTargetOnceWithItsOutcome(Engine engine) throws Exception {
    TestEngines.assumeRuns(engine);
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      targets.add(i % 3 == 0 ? lo.ok() : i % 3 == 1 ? lo.refused() : new Target("localhost", lo.closedPort));
    }
    Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
    List<DialResult> all = new ArrayList<>();
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
        .connectTimeout(Duration.ofSeconds(2)).build()) {
      d.probe(lo.ok());
      long baseline = Loopback.awaitFds(Loopback.openFds());
      long n = d.probeEach(targets.iterator(), 64, r -> {
        synchronized (counts) {
          counts.merge(r.outcome(), 1, Integer::sum);
          all.add(r);
        }
      });
      assertThat(n).isEqualTo(3_000);
      assertThat(Loopback.awaitFds(baseline)).isLessThanOrEqualTo(baseline);
    }
    assertThat(counts).containsEntry(Outcome.CONNECTED, 1_000).containsEntry(Outcome.REFUSED, 2_000);
    assertThat(all).allSatisfy(r -> {
      assertThat(r.engine()).isEqualTo(engine);
      assertThat(r.attempts()).isNotEmpty();
      if (r.outcome() == Outcome.REFUSED) {
        assertThat(r.errno()).isEqualTo(Errno.ECONNREFUSED);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("dev.tcpdial.TestEngines#backends")
  void aConnectionAnsweredLaterIsNotStarvedByProbesThatEndAtOnce(Engine engine) throws Exception {
    TestEngines.assumeRuns(engine);
    // Refused probes to loopback end inside connect(); an open port's answer comes a moment
    // later through epoll and must be seen then, not after the whole list was started.
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < 30_000; i++) {
      targets.add(i == 500 ? lo.ok() : lo.refused());
    }
    List<DialResult> connected = java.util.Collections.synchronizedList(new ArrayList<>());
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
        .connectTimeout(Duration.ofSeconds(5)).build()) {
      d.probeEach(targets.iterator(), 128, r -> {
        if (r.connected()) {
          connected.add(r);
        }
      });
    }
    assertThat(connected).singleElement().satisfies(r ->
        assertThat(r.elapsed().toMillis()).as("time to see the open port").isLessThan(500));
  }

  @ParameterizedTest
  @MethodSource("dev.tcpdial.TestEngines#backends")
  void anInterruptCancelsWhatIsInFlightAndStartsNoMore(Engine engine) throws Exception {
    TestEngines.assumeRuns(engine);
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      targets.add(lo.silentTarget());
    }
    List<DialResult> got = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
        .connectTimeout(Duration.ofSeconds(30)).build()) {
      Thread t = Thread.ofPlatform().start(() -> {
        try {
          d.probeEach(targets.iterator(), 50, got::add);
        } catch (Throwable e) {
          thrown.set(e);
        }
      });
      Thread.sleep(300);
      long t0 = System.nanoTime();
      t.interrupt();
      t.join(10_000);
      assertThat((System.nanoTime() - t0) / 1e6).isLessThan(5_000);
      assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
      Thread.sleep(200);
      assertThat(got).hasSize(50).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.CANCELLED));
    }
  }
}
