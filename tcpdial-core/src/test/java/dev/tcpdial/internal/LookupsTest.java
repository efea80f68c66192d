package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Resolver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Lookups} with small limits (8 lookups, the last 4 for domains holding none, 2 for
 * hosts-file names) and a resolver that holds each lookup until the test lets it go: coalescing,
 * no queue below the soft limit, the reserve, the ceiling, the hosts lane, abandoned lookups.
 */
class LookupsTest {
  static final InetAddress LO = InetAddress.ofLiteral("127.0.0.1");

  Path hostsFile;
  Lookups lookups;
  final CountDownLatch release = new CountDownLatch(1);
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  final AtomicInteger interrupted = new AtomicInteger();
  final Resolver held = host -> {
    calls.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
    try {
      release.await();
    } catch (InterruptedException e) {
      interrupted.incrementAndGet();
      throw new UnknownHostException(host + ": interrupted");
    }
    return List.of(LO);
  };
  final List<Lookups.Lookup> joined = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    hostsFile = Files.createTempFile("tcpdial-hosts-", "");
    Files.writeString(hostsFile, "127.0.0.1 localhost\n127.0.0.1 Box.Example box # mine\n");
    lookups = new Lookups(new Lookups.Limits(8, 4, 1, 2), new HostsFile(hostsFile));
  }

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    for (Lookups.Lookup l : joined) {
      lookups.leave(l);
    }
    Files.deleteIfExists(hostsFile);
  }

  private Lookups.Lookup join(Resolver r, String name) {
    Lookups.Lookup l = lookups.join(r, name);
    joined.add(l);
    return l;
  }

  private void awaitCalls(int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (calls.values().stream().mapToInt(AtomicInteger::get).sum() < n
        && System.nanoTime() < end) {
      Thread.sleep(1);
    }
  }

  @Test
  void identicalLookupsInFlightAreOne() throws Exception {
    Lookups.Lookup a = join(held, "same.test");
    Lookups.Lookup b = join(held, "SAME.test.");
    Lookups.Lookup other = join(host -> List.of(LO), "same.test");
    assertThat(b).as("one name, one resolver: joined").isSameAs(a);
    assertThat(other).as("another resolver: its own lookup").isNotSameAs(a);
    release.countDown();
    assertThat(a.result.get(5, TimeUnit.SECONDS)).containsExactly(LO);
    assertThat(calls.get("same.test").get()).isEqualTo(1);
  }

  @Test
  void belowTheSoftLimitNothingWaits() throws Exception {
    for (int i = 0; i < 4; i++) {
      assertThat(lookups.queued(join(held, "slow" + i + ".a.test"))).isFalse();
    }
    awaitCalls(4);
    assertThat(calls).hasSize(4);
  }

  @Test
  void pastTheSoftLimitOnlyDomainsWithFewLookupsStartThenTheCeilingHoldsAll() throws Exception {
    for (int i = 0; i < 4; i++) {
      join(held, "slow" + i + ".a.test");
    }
    Lookups.Lookup fifthOfA = join(held, "slow4.a.test");
    assertThat(lookups.queued(fifthOfA)).as("a.test holds 4: past the soft limit it waits").isTrue();
    assertThat(lookups.load(fifthOfA)).isEqualTo("4 lookups running, 4 of them for a.test");
    Lookups.Lookup firstOfB = join(held, "x.b.test");
    assertThat(lookups.queued(firstOfB)).as("b.test holds none: the reserve").isFalse();
    Lookups.Lookup secondOfB = join(held, "y.b.test");
    assertThat(lookups.queued(secondOfB)).as("b.test holds 1 now").isTrue();
    for (String d : List.of("c.test", "d.test", "e.test")) {
      assertThat(lookups.queued(join(held, "x." + d))).as(d).isFalse();
    }
    Lookups.Lookup atCeiling = join(held, "x.f.test");
    assertThat(lookups.queued(atCeiling)).as("8 running: the ceiling").isTrue();
    Lookups.Lookup local = join(held, "box.example");
    assertThat(lookups.queued(local)).as("a hosts-file name: its own lane").isFalse();
    awaitCalls(9);
    // one of a.test's ends: the thread goes to f.test, whose domain holds none; a.test and b.test
    // still hold too many for the reserve
    Lookups.Lookup firstOfA = joined.getFirst();
    lookups.leave(firstOfA);
    joined.remove(firstOfA);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (lookups.queued(atCeiling) && System.nanoTime() < end) {
      Thread.sleep(1);
    }
    assertThat(interrupted.get()).as("the abandoned lookup was interrupted").isEqualTo(1);
    assertThat(lookups.queued(atCeiling)).isFalse();
    assertThat(lookups.queued(fifthOfA)).isTrue();
    assertThat(lookups.queued(secondOfB)).isTrue();
  }

  @Test
  void aQueuedLookupNobodyWaitsForIsDroppedUnstarted() throws Exception {
    for (int i = 0; i < 8; i++) {
      join(held, "x." + i + ".test");
    }
    Lookups.Lookup queued = lookups.join(held, "dropped.z.test");
    assertThat(lookups.queued(queued)).isTrue();
    lookups.leave(queued);
    assertThat(queued.result.isCancelled()).isTrue();
    release.countDown();
    for (Lookups.Lookup l : joined) {
      l.result.get(5, TimeUnit.SECONDS);
    }
    assertThat(calls).doesNotContainKey("dropped.z.test");
    Lookups.Lookup again = join(held, "dropped.z.test");
    assertThat(again).isNotSameAs(queued);
    assertThat(again.result.get(5, TimeUnit.SECONDS)).containsExactly(LO);
  }

  @Test
  void anAbandonedRunningLookupIsForgottenAndTheNextDialStartsAfresh() throws Exception {
    Lookups.Lookup first = lookups.join(held, "gone.test");
    awaitCalls(1);
    lookups.leave(first);
    Lookups.Lookup second = join(held, "gone.test");
    assertThat(second).isNotSameAs(first);
    release.countDown();
    assertThat(second.result.get(5, TimeUnit.SECONDS)).containsExactly(LO);
  }

  @Test
  void domains() {
    assertThat(Lookups.domainOf("a.b.example.com")).isEqualTo("example.com");
    assertThat(Lookups.domainOf("example.com")).isEqualTo("example.com");
    assertThat(Lookups.domainOf("www.bbc.co.uk")).isEqualTo("bbc.co.uk");
    assertThat(Lookups.domainOf("x.y.example.com.au")).isEqualTo("example.com.au");
    assertThat(Lookups.domainOf("api.foo.io")).isEqualTo("foo.io");
    assertThat(Lookups.domainOf("slow7.zone.test")).isEqualTo("zone.test");
    assertThat(Lookups.domainOf("co.uk")).isEqualTo("co.uk");
    assertThat(Lookups.domainOf("localhost")).isEqualTo("localhost");
    assertThat(Lookups.normalize("Example.COM.")).isEqualTo("example.com");
  }
}
