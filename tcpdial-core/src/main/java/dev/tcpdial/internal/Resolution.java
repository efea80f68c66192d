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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * From a target to the addresses a dial tries, in order, for both engines: a literal as it is, a
 * name through the {@link Resolver} within the dial's deadline and the resolve timeout; then the
 * family filter, the source address's family, and the RFC 8305 interleaving of {@link AddressOrder}.
 */
public final class Resolution {

  /** The addresses to dial, in order, and how long the lookup took. */
  public record Resolved(List<InetSocketAddress> plan, List<InetAddress> addresses, long tookNanos) {}

  private final Resolver resolver;
  private final Family family;
  private final InetSocketAddress local;
  private final Duration resolveTimeout;
  private final Clock clock;

  /** Resolution as a dialer with {@code settings} does it. */
  public Resolution(DialEngine.Settings settings, Clock clock) {
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
      return callResolver(host);
    }
    CompletableFuture<List<InetAddress>> f = new CompletableFuture<>();
    java.util.concurrent.Future<?> task = LOOKUPS.submit(() -> {
      if (f.isDone()) {
        return; // its dial gave up while it queued
      }
      try {
        f.complete(callResolver(host));
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    });
    try {
      return f.get(d.remainingNanos(clock.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(false);
      task.cancel(true);
      throw new UnknownHostException(host + ": resolution timed out after "
          + Duration.ofNanos(clock.nanoTime() - start).toMillis() + " ms");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownHostException u) {
        throw u;
      }
      UnknownHostException u = new UnknownHostException(host + ": resolver failed: " + e.getCause());
      u.initCause(e.getCause());
      throw u;
    } catch (InterruptedException e) {
      f.cancel(false);
      task.cancel(true);
      throw e;
    }
  }

  /**
   * Where lookups with a deadline run: platform threads, at most {@link #LOOKUP_THREADS}, the rest
   * queued. The JDK's lookup blocks its thread in getaddrinfo(3); on virtual threads hundreds of
   * slow lookups held every carrier the scheduler may add (256), so the virtual threads waiting
   * for their deadlines could not run and every dial ended with its lookup, seconds late. A
   * waiting dial now sleeps on its deadline while lookups hold only these threads; one whose
   * deadline passes while its lookup is queued or running ends then.
   */
  static final int LOOKUP_THREADS = 64;

  private static final java.util.concurrent.ExecutorService LOOKUPS = lookupPool();

  private static java.util.concurrent.ExecutorService lookupPool() {
    java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(
        LOOKUP_THREADS, LOOKUP_THREADS, 10, TimeUnit.SECONDS,
        new java.util.concurrent.LinkedBlockingQueue<>(),
        Thread.ofPlatform().name("tcpdial-resolve-", 0).daemon().factory());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  private List<InetAddress> callResolver(String host) throws UnknownHostException {
    try {
      List<InetAddress> found = resolver.resolve(host);
      if (found == null || found.isEmpty()) {
        throw new UnknownHostException(host + ": no address");
      }
      return found;
    } catch (RuntimeException e) {
      UnknownHostException u = new UnknownHostException(host + ": resolver failed: " + e);
      u.initCause(e);
      throw u;
    }
  }
}
