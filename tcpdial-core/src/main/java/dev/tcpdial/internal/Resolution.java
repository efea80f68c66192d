package dev.tcpdial.internal;

import dev.tcpdial.Family;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * From a target to the addresses a dial tries, in order, for both engines: a literal as it is, a
 * name through the {@link Resolver} within the dial's deadline and the resolve timeout (the lookup
 * runs in {@link Lookups}, where no slow lookup delays another); then the family filter, the
 * source address's family, and the RFC 8305 interleaving of {@link AddressOrder}.
 */
public final class Resolution {

  /** The addresses to dial, in order, and how long the lookup took. */
  public record Resolved(List<InetSocketAddress> plan, List<InetAddress> addresses, long tookNanos) {}

  private final Resolver resolver;
  private final Family family;
  private final InetSocketAddress local;
  private final Duration resolveTimeout;
  private final Clock clock;
  private final Lookups lookups;

  /** Resolution as a dialer with {@code settings} does it. */
  public Resolution(DialEngine.Settings settings, Clock clock) {
    this(settings, clock, Lookups.SHARED);
  }

  Resolution(DialEngine.Settings settings, Clock clock, Lookups lookups) {
    this.lookups = lookups;
    this.resolver = settings.resolver();
    this.family = settings.family();
    this.local = settings.local();
    this.resolveTimeout = settings.resolveTimeout();
    this.clock = clock;
  }

  /** The plan for a literal target (no lookup); empty when its family may not be dialed. */
  public List<InetSocketAddress> literal(Target target) {
    InetAddress a = target.literal().orElseThrow();
    if (!family.allows(a) || !sourceAllows(a)) {
      return List.of();
    }
    return List.of(new InetSocketAddress(a, target.port())); // one address: nothing to order
  }

  private boolean sourceAllows(InetAddress a) {
    return local == null || local.getAddress() == null || local.getAddress().isAnyLocalAddress()
        || (local.getAddress() instanceof Inet6Address) == (a instanceof Inet6Address);
  }

  /**
   * Resolves a name within {@code dialDeadline} (and the resolve timeout). An interrupt of the
   * calling thread is reported as {@link InterruptedException} even when the resolver answered it
   * with an {@link UnknownHostException}.
   *
   * @throws UnknownHostException no such name, no address of a usable family, resolver failure or
   *     timeout; the message says which
   */
  public Resolved resolve(Target target, Deadline dialDeadline)
      throws UnknownHostException, InterruptedException {
    long start = clock.nanoTime();
    List<InetAddress> found;
    try {
      found = lookup(target.host(), dialDeadline.min(Deadline.after(start, resolveTimeout)), start);
    } catch (UnknownHostException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedException("cancelled while resolving " + target.host());
      }
      throw e;
    }
    List<InetSocketAddress> plan = bindable(AddressOrder.plan(found, family, target.port()));
    if (plan.isEmpty()) {
      throw new UnknownHostException(target.host() + ": no address of the wanted family");
    }
    return new Resolved(plan, plan.stream().map(InetSocketAddress::getAddress).toList(),
        clock.nanoTime() - start);
  }

  // With a source address bound, only addresses of its family can be reached from it.
  private List<InetSocketAddress> bindable(List<InetSocketAddress> plan) {
    return plan.stream().filter(a -> sourceAllows(a.getAddress())).toList();
  }

  private List<InetAddress> lookup(String host, Deadline d, long start)
      throws UnknownHostException, InterruptedException {
    if (d.isNone()) {
      return Lookups.call(resolver, host); // no deadline: the caller's own thread may wait
    }
    Lookups.Lookup l = lookups.join(resolver, host);
    try {
      return l.result.get(d.remainingNanos(clock.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new UnknownHostException(host + ": resolution timed out after "
          + Duration.ofNanos(clock.nanoTime() - start).toMillis() + " ms"
          + (lookups.queued(l) ? " waiting for a lookup thread (" + lookups.load(l) + ")" : ""));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownHostException u) {
        throw u;
      }
      UnknownHostException u = new UnknownHostException(host + ": resolver failed: " + e.getCause());
      u.initCause(e.getCause());
      throw u;
    } catch (java.util.concurrent.CancellationException e) {
      throw new UnknownHostException(host + ": lookup abandoned");
    } finally {
      lookups.leave(l);
    }
  }
}
