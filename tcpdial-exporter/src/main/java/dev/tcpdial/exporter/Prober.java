package dev.tcpdial.exporter;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Resolver;
import dev.tcpdial.RetryPolicy;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One probe: a function from (target, module, deadline) to a {@link Result}. The name is resolved
 * inside the dial's deadline through the exporter's resolver; every address it yields is checked
 * against {@code --allow} before any packet leaves (one outside refuses the probe), then ordered
 * as the module asks (preferred family first, the other one only with fallback; without Happy
 * Eyeballs the single address blackbox_exporter would dial).
 */
final class Prober {
  private final Resolver resolver;

  Prober(Resolver resolver) {
    this.resolver = resolver;
  }

  /** An address of the target is outside {@code --allow}; nothing was sent. */
  static final class Denied extends Exception {
    private static final long serialVersionUID = 1L;

    Denied(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * What a probe found.
   *
   * @param module the module it ran with
   * @param deadline the dial's deadline
   * @param dial the dial's result (every attempt)
   * @param success whether the module's expectation held ({@code probe_success})
   * @param trace the path trace made because the probe failed ({@code
   *     tcpdial.trace_on_failure}), or null
   */
  record Result(Module module, Duration deadline, DialResult dial, boolean success, Trace trace) {

    /** A result with no trace. */
    Result(Module module, Duration deadline, DialResult dial, boolean success) {
      this(module, deadline, dial, success, null);
    }

    /** The address that decided the outcome, else the first planned one, else null. */
    InetAddress decisive() {
      if (dial.remote() != null) {
        return dial.remote().getAddress();
      }
      return dial.addresses().isEmpty() ? null : dial.addresses().getFirst();
    }

    /** 4 or 6 by the decisive address, 0 when none ({@code probe_ip_protocol}). */
    int ipProtocol() {
      InetAddress a = decisive();
      return a instanceof Inet4Address ? 4 : a instanceof Inet6Address ? 6 : 0;
    }

    /**
     * FNV-1a (32 bit) of the decisive address's bytes, as blackbox_exporter's {@code
     * probe_ip_addr_hash}: equal values mean the same address.
     */
    double ipHash() {
      InetAddress a = decisive();
      if (a == null) {
        return 0;
      }
      int h = 0x811c9dc5;
      for (byte b : a.getAddress()) {
        h ^= b & 0xff;
        h *= 0x01000193;
      }
      return Integer.toUnsignedLong(h);
    }

    /** The attempt that decided the outcome (the winner, or the most relevant failure). */
    Attempt decidingAttempt() {
      Attempt found = null;
      for (Attempt a : dial.attempts()) {
        if (a.remote().equals(dial.remote()) && a.outcome() == dial.outcome()) {
          found = a;
        }
      }
      return found;
    }
  }

  /**
   * Dials {@code target} once with {@code module} within {@code deadline}.
   *
   * @throws Denied when an address of the target is outside {@code allow}
   */
  Result probe(Target target, Module module, Duration deadline, Cidrs allow) throws Denied {
    AtomicReference<InetAddress> denied = new AtomicReference<>();
    if (target.literal().isPresent()) {
      InetAddress a = target.literal().get();
      if (!allow.allows(a)) {
        throw new Denied(a.getHostAddress() + " is outside --allow " + allow);
      }
      try {
        plan(List.of(a), module, target.host());
      } catch (UnknownHostException e) {
        return finish(module, deadline, new DialResult(target, Outcome.RESOLUTION_FAILED, null,
            null, null, Duration.ZERO, Duration.ZERO, List.of(), Mode.SYNC, Engine.JDK, List.of(),
            e.getMessage()));
      }
    }
    // every address the name has, dialed or not: a name half inside --allow is refused whole
    Resolver checked = host -> {
      List<InetAddress> found = resolver.resolve(host);
      for (InetAddress a : found) {
        if (!allow.allows(a)) {
          denied.set(a);
          throw new UnknownHostException(host + ": " + a.getHostAddress() + " is outside --allow");
        }
      }
      return plan(found, module, host);
    };
    // with a trace on failure the connect gets half the deadline, the trace what is left
    Duration dialBudget = module.where().traceOnFailure() ? deadline.dividedBy(2) : deadline;
    Dialer.Builder b = Dialer.builder()
        .mode(Mode.SYNC)
        .engine(Engine.JDK)
        .connectTimeout(dialBudget)
        .deadline(dialBudget)
        .family(module.family())
        .resolver(checked)
        .retry(module.retries() > 0 ? RetryPolicy.retries(module.retries()) : RetryPolicy.none());
    if (module.attemptDelay() != null) {
      b.attemptDelay(module.attemptDelay());
    }
    if (module.source() != null) {
      b.localAddress(module.source());
    }
    if (module.synRetries() > 0) {
      b.synRetries(module.synRetries());
    }
    DialResult r;
    Trace trace = null;
    try (Dialer d = b.build()) {
      r = d.probe(target);
      if (denied.get() == null && module.where().traceOnFailure()
          && !module.expectation().matches(r.outcome()) && worthTracing(r)) {
        trace = trace(d, r, deadline.minus(r.elapsed()));
      }
    }
    if (denied.get() != null) {
      throw new Denied(target.host() + " resolves to " + denied.get().getHostAddress()
          + ", outside --allow " + allow);
    }
    Result done = finish(module, deadline, r);
    return trace == null ? done : new Result(module, deadline, r, done.success(), trace);
  }

  /**
   * True when a trace can say where {@code r} failed: a timeout, unreachable, prohibited, or a
   * refusal an ICMP error sent (the address decided; nothing this host decided by itself).
   */
  static boolean worthTracing(DialResult r) {
    IcmpReport icmp = r.icmp();
    if (r.remote() == null || r.remote().getAddress() == null
        || (icmp != null && icmp.origin() == IcmpReport.Origin.LOCAL && !icmp.hasType())) {
      return false;
    }
    return switch (r.outcome()) {
      case TIMEOUT, HOST_UNREACHABLE, NETWORK_UNREACHABLE, PROHIBITED -> true;
      case REFUSED -> icmp != null && icmp.origin() == IcmpReport.Origin.ICMP;
      default -> false;
    };
  }

  /**
   * A path trace of the failed address within {@code left} of the scrape's deadline: one probe a
   * hop, each waiting at most a sixth of what is left (and at most 1 s: a dropped SYN costs about
   * three waits, with the answering hops' round trips besides); cut short when the time is up
   * (its hops so far are kept). Null when no time is left.
   */
  static Trace trace(Dialer d, DialResult r, Duration left) {
    if (left.compareTo(Duration.ofMillis(20)) < 0) {
      return null;
    }
    Duration hop = left.dividedBy(6);
    hop = hop.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : hop;
    Trace.Options o = Trace.Options.DEFAULT.withProbesPerHop(1).withHopTimeout(hop);
    java.util.concurrent.CompletableFuture<Trace> f = new java.util.concurrent.CompletableFuture<>();
    Thread t = Thread.ofVirtual().name("tcpdial-probe-trace").start(() -> {
      try {
        f.complete(d.trace(Target.of(r.remote()), o));
      } catch (RuntimeException | Error e) {
        f.completeExceptionally(e);
      }
    });
    try {
      return f.get(left.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      t.interrupt(); // the trace stops within 100 ms and returns what it found
      try {
        return f.get(2, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception late) {
        return null;
      }
    } catch (InterruptedException e) {
      t.interrupt();
      Thread.currentThread().interrupt();
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return null;
    }
  }

  private static Result finish(Module module, Duration deadline, DialResult r) {
    return new Result(module, deadline, r, module.expectation().matches(r.outcome()));
  }

  /**
   * The addresses to dial, in order: the module's family only; the preferred IP protocol first
   * and, without fallback, alone; without Happy Eyeballs only the first.
   */
  static List<InetAddress> plan(List<InetAddress> found, Module module, String host)
      throws UnknownHostException {
    List<InetAddress> preferred = new ArrayList<>();
    List<InetAddress> other = new ArrayList<>();
    for (InetAddress a : found) {
      if (!module.family().allows(a)) {
        continue;
      }
      boolean v6 = a instanceof Inet6Address;
      (v6 == module.preferIp6() ? preferred : other).add(a);
    }
    List<InetAddress> out = new ArrayList<>(preferred);
    if (module.fallback()) {
      out.addAll(other);
    }
    if (out.isEmpty()) {
      throw new UnknownHostException(host + ": no " + (module.fallback() ? "usable"
          : module.preferIp6() ? "IPv6 (preferred_ip_protocol ip6, no fallback)"
          : "IPv4 (preferred_ip_protocol ip4, no fallback)") + " address");
    }
    if (module.happyEyeballs()) {
      return out;
    }
    // blackbox_exporter's single address: the first of the preferred family, else the last of the
    // other one (its fallback loop keeps the last address it saw)
    return List.of(preferred.isEmpty() ? other.getLast() : preferred.getFirst());
  }

  /** {@code 127.0.0.1:80}, {@code [::1]:80}. */
  static String address(InetSocketAddress a) {
    if (a == null) {
      return "-";
    }
    String h = host(a.getAddress());
    return (a.getAddress() instanceof Inet6Address ? "[" + h + "]" : h) + ":" + a.getPort();
  }

  /** An address as people write it: IPv6 with its longest run of zero groups as {@code ::}. */
  static String host(InetAddress a) {
    String h = a.getHostAddress();
    int pct = h.indexOf('%');
    String scope = pct < 0 ? "" : h.substring(pct);
    if (!(a instanceof Inet6Address)) {
      return h;
    }
    String[] g = (pct < 0 ? h : h.substring(0, pct)).split(":");
    int best = -1;
    int bestLen = 1;
    for (int i = 0; i < g.length; i++) {
      int j = i;
      while (j < g.length && g[j].equals("0")) {
        j++;
      }
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
    }
    if (best < 0) {
      return String.join(":", g) + scope;
    }
    String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, best));
    String tail = String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, g.length));
    return head + "::" + tail + scope;
  }
}
