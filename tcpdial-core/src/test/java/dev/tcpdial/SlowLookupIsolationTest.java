package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Through the public API, on both engines: 150 dials whose names hang in the resolver (100
 * distinct names, 50 dials of one more) do not delay dials of other names, of the same domain or
 * another, and the 50 dials of one name make one lookup. The system resolver's path with a real
 * silent name server is {@code lab.SlowNameServerTest}.
 */
class SlowLookupIsolationTest {

  @ParameterizedTest
  @EnumSource(value = Engine.class, names = {"JDK", "EPOLL"})
  void hangingLookupsDelayNoOther(Engine engine) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.ofLiteral("127.0.0.1"))) {
      port = s.getLocalPort(); // closed: the dials end refused, after their lookup
    }
    CountDownLatch release = new CountDownLatch(1);
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Resolver resolver = host -> {
      calls.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
      if (host.startsWith("hang")) {
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new UnknownHostException(host + ": interrupted");
        }
      }
      return List.of(InetAddress.ofLiteral("127.0.0.1"));
    };
    List<CompletableFuture<DialResult>> hanging = new ArrayList<>();
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
        .deadline(Duration.ofSeconds(10)).resolver(resolver).build()) {
      d.probe(new Target("warm.zone.test", port));
      for (int i = 0; i < 100; i++) {
        hanging.add(d.probeAsync(new Target("hang" + i + ".zone.test", port)));
      }
      for (int i = 0; i < 50; i++) {
        hanging.add(d.probeAsync(new Target("hang-same.zone.test", port)));
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (calls.keySet().stream().filter(h -> h.startsWith("hang")).count() < 101
          && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      assertThat(calls.keySet().stream().filter(h -> h.startsWith("hang")))
          .as("every hanging name asked at once").hasSize(101);
      List<DialResult> others = new ArrayList<>();
      for (String name : List.of("a.zone.test", "b.zone.test", "a.other.test", "c.zone.test")) {
        others.add(d.probe(new Target(name, port)));
      }
      assertThat(others).allSatisfy(r -> {
        assertThat(r.outcome()).as("%s", r).isEqualTo(Outcome.REFUSED);
        assertThat(r.resolution().toMillis()).as("%s: the lookup's ms", r).isLessThan(500);
      });
      release.countDown();
      for (CompletableFuture<DialResult> f : hanging) {
        assertThat(f.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.REFUSED);
      }
      assertThat(calls.get("hang-same.zone.test").get()).as("50 dials of one name").isEqualTo(1);
    } finally {
      release.countDown();
    }
  }
}
