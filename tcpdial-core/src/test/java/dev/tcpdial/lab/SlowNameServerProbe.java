package dev.tcpdial.lab;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link SlowNameServerTest} inside a namespace whose resolv.conf names 127.0.0.1: serves
 * DNS there with {@link DnsResponder} (names starting {@code slow} never answered, {@code late}
 * answered after 1.5 s, every other name at once, as 127.0.0.1), listens on 127.0.0.1, and probes
 * through the system resolver with a 5 s deadline (half on one shared dialer, half as the
 * exporter probes: a dialer per probe, its resolver wrapping the system's): first 100 distinct
 * slow names and 30 probes of one more slow name, then, while those are in flight, unrelated
 * names of the same and of another domain, a name of the hosts file and a late one. Prints one line per probe: {@code
 * KIND NAME OUTCOME MS}, and {@code slow-seen N} (distinct slow names the server was asked about
 * before the unrelated probes started) and {@code same-questions N}.
 */
public final class SlowNameServerProbe {
  static final int SLOW = 100;
  static final int SAME = 30;

  private SlowNameServerProbe() {}

  public static void main(String[] args) throws Exception {
    InetAddress lo = InetAddress.ofLiteral("127.0.0.1");
    DnsResponder dns = new DnsResponder(lo, name -> name.startsWith("slow")
        ? new DnsResponder.Silence() : name.startsWith("late")
        ? new DnsResponder.Answer(lo, 1500) : new DnsResponder.Answer(lo, 0));
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(lo, 0), 512);
    int port = listener.getLocalPort();
    Thread.ofPlatform().daemon().start(() -> {
      while (true) {
        try {
          listener.accept().close();
        } catch (java.io.IOException e) {
          return;
        }
      }
    });
    Dialer dialer = Dialer.builder().deadline(Duration.ofSeconds(5)).build();
    for (String warm : List.of("warm0.zone.test", "warm1.other.test")) {
      DialResult r = dialer.probe(new Target(warm, port));
      print("warm", warm, r);
    }
    // Half the probes as a library user makes them, on one dialer with the system resolver; half
    // as the exporter does, a dialer per probe whose resolver wraps the system's (a resolver
    // object per probe, so nothing coalesces above the JDK's own resolver).
    List<CompletableFuture<String>> slow = new ArrayList<>();
    for (int i = 0; i < SLOW; i++) {
      slow.add(probe(i % 2 == 0 ? dialer : null, "slow", "slow" + i + ".zone.test", port));
    }
    for (int i = 0; i < SAME; i++) {
      slow.add(probe(i % 2 == 0 ? dialer : null, "slow", "slow-same.zone.test", port));
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (dns.names(n -> n.startsWith("slow")) < SLOW + 1 && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    System.out.println("slow-seen " + dns.names(n -> n.startsWith("slow")));
    List<CompletableFuture<String>> unrelated = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      unrelated.add(probe(i % 2 == 0 ? dialer : null, "fast", "fast" + i + ".zone.test", port));
      unrelated.add(probe(i % 2 == 0 ? null : dialer, "fast", "fast" + i + ".other.test", port));
    }
    unrelated.add(probe(dialer, "hosts", "hostsfile.test", port));
    unrelated.add(probe(null, "hosts", "hostsfile.test", port));
    unrelated.add(probe(dialer, "late", "late0.other.test", port));
    for (CompletableFuture<String> f : unrelated) {
      System.out.println(f.get(20, TimeUnit.SECONDS));
    }
    for (CompletableFuture<String> f : slow) {
      System.out.println(f.get(20, TimeUnit.SECONDS));
    }
    System.out.println("same-questions " + dns.questions("slow-same.zone.test"));
    System.out.flush();
    // lookups of the silent names may still sit in getaddrinfo(3): daemon threads, not waited for
    Runtime.getRuntime().halt(0);
  }

  /** Probes on {@code shared}, or when null as the exporter does (see above). */
  private static CompletableFuture<String> probe(Dialer shared, String kind, String name,
      int port) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try {
        if (shared != null) {
          f.complete(line(kind, name, shared.probe(new Target(name, port))));
          return;
        }
        Resolver wrapped = host -> Resolver.system().resolve(host);
        try (Dialer own = Dialer.builder().engine(Engine.JDK).deadline(Duration.ofSeconds(5))
            .resolver(wrapped).build()) {
          f.complete(line(kind, name, own.probe(new Target(name, port))));
        }
      } catch (RuntimeException | Error e) {
        f.complete(kind + " " + name + " threw " + e);
      }
    });
    return f;
  }

  private static void print(String kind, String name, DialResult r) {
    System.out.println(line(kind, name, r));
  }

  private static String line(String kind, String name, DialResult r) {
    return String.format(Locale.ROOT, "%s %s %s %.1f", kind, name, r.outcome().label(),
        r.elapsed().toNanos() / 1e6);
  }
}
