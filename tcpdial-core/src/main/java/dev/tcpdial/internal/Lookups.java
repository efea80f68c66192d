package dev.tcpdial.internal;

import dev.tcpdial.Resolver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where name lookups with a deadline run, so that one slow lookup never delays another.
 *
 * <p>A lookup blocks its thread: the JDK's resolver sits in getaddrinfo(3) for as long as the
 * name server takes (glibc: 5 s per try, 2 tries, with a server that does not answer), and an
 * interrupt does not end it. The dial waiting for it parks on its own deadline; the lookup holds
 * a platform thread (a virtual one would hold a carrier: hundreds of slow lookups held every
 * carrier the scheduler may add, and the dials could not even time out). A fixed pool with a
 * queue made every lookup wait behind the slow ones: about 70 names whose server never answers
 * held all 64 threads and unrelated names failed at their deadline. Instead:
 *
 * <ol>
 *   <li><b>Identical lookups coalesce.</b> One lookup per resolver and name is in flight; every
 *       dial of that name waits for it, each with its own deadline. A lookup nobody waits for any
 *       more is interrupted (a resolver that honours it ends) and forgotten: the next dial of the
 *       name starts afresh; the thread counts until it really ends.
 *   <li><b>No queue below the soft limit.</b> Every other lookup gets a thread of its own at once
 *       while fewer than {@code ceiling - reserve} lookups run: a thread per distinct name in
 *       flight, made on demand, idle ones ending after 10 s.
 *   <li><b>A reserve.</b> The last {@code reserve} threads are kept for domains that hold fewer
 *       than {@code perDomainInReserve} lookups: past the soft limit, the domain with many slow
 *       names waits, a domain with few still starts at once. A domain is a name's last two labels,
 *       three under a two-letter country code whose second label is a registry's ({@code
 *       example.co.uk}): a stand-in for the public suffix list, which core does not ship.
 *   <li><b>A ceiling.</b> At most {@code ceiling} lookups run (threads and the name server's
 *       sockets are finite). Past it, and past a domain's share of the reserve, a lookup waits in
 *       its domain's own queue; domains are served in turn as threads free up, so a domain with a
 *       long queue cannot starve the others. The wait counts against the dial's deadline; a queued
 *       lookup nobody waits for is dropped unstarted.
 *   <li><b>Names of the hosts file have a lane of their own</b> ({@code hostsLane} threads, apart
 *       from the ceiling): {@code localhost} and the like never wait behind DNS.
 * </ol>
 *
 * <p>To take every thread, a name server must hold {@code ceiling - reserve} distinct names and
 * then {@code reserve / perDomainInReserve} more domains at once; until then no name waits for
 * another. Results are not cached here (the JDK caches its own).
 */
final class Lookups {

  /** The limits: see the class comment. */
  record Limits(int ceiling, int reserve, int perDomainInReserve, int hostsLane) {}

  /** Production limits: 512 lookups, the last 128 for domains holding fewer than 4; 16 more for hosts-file names. */
  static final Limits DEFAULT = new Limits(512, 128, 4, 16);

  /** The lookups of every dialer of this JVM. */
  static final Lookups SHARED = new Lookups(DEFAULT, HostsFile.system());

  private record Key(Resolver resolver, String name) {}

  /** One lookup in flight (queued or running), and the dials waiting for it. */
  static final class Lookup {
    private final Key key;
    private final Domain domain; // null in the hosts lane
    final CompletableFuture<List<InetAddress>> result = new CompletableFuture<>();
    private int waiters; // guarded by the lock
    private boolean started; // guarded by the lock
    private boolean forgotten; // guarded by the lock
    private Thread thread; // guarded by the lock; while running

    private Lookup(Key key, Domain domain) {
      this.key = key;
      this.domain = domain;
    }
  }

  /** The lookups of one domain: running, and queued in order. */
  private static final class Domain {
    final String name;
    int running;
    final ArrayDeque<Lookup> queued = new ArrayDeque<>();

    Domain(String name) {
      this.name = name;
    }
  }

  private final Limits limits;
  private final HostsFile hosts;
  private final Object lock = new Object();
  private final Map<Key, Lookup> inFlight = new HashMap<>(); // guarded by lock
  private final Map<String, Domain> domains = new HashMap<>(); // guarded by lock; non-empty ones
  private final ArrayDeque<Domain> waiting = new ArrayDeque<>(); // guarded by lock; in turn
  private final ArrayDeque<Lookup> hostsQueue = new ArrayDeque<>(); // guarded by lock
  private int running; // guarded by lock; DNS lane
  private int hostsRunning; // guarded by lock
  private final ExecutorService threads;

  Lookups(Limits limits, HostsFile hosts) {
    this.limits = limits;
    this.hosts = hosts;
    // Unbounded by itself: the admission below keeps the lookups running within the limits.
    this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS,
        new SynchronousQueue<>(), Thread.ofPlatform().name("tcpdial-resolve-", 0).daemon()
            .factory());
  }

  /**
   * The lookup of {@code host} by {@code resolver}: joined if one is in flight, else started or
   * queued. The caller waits on {@link Lookup#result} and must {@link #leave} it after.
   */
  Lookup join(Resolver resolver, String host) {
    String name = normalize(host);
    boolean hostsName = hosts.contains(name); // outside the lock: it may read the file
    Key key = new Key(resolver, name);
    synchronized (lock) {
      Lookup l = inFlight.get(key);
      if (l != null) {
        l.waiters++;
        return l;
      }
      l = new Lookup(key, hostsName ? null : domains.computeIfAbsent(domainOf(name), Domain::new));
      l.waiters = 1;
      inFlight.put(key, l);
      if (l.domain == null) {
        hostsQueue.add(l);
      } else {
        if (l.domain.queued.isEmpty()) {
          waiting.add(l.domain);
        }
        l.domain.queued.add(l);
      }
      dispatch();
      return l;
    }
  }

  /** The caller stopped waiting for {@code l} (answered, timed out or interrupted). */
  void leave(Lookup l) {
    synchronized (lock) {
      if (--l.waiters > 0 || l.result.isDone() || l.forgotten) {
        return;
      }
      forget(l);
      if (!l.started) {
        if (l.domain == null) {
          hostsQueue.remove(l);
        } else {
          l.domain.queued.remove(l);
          if (l.domain.queued.isEmpty()) {
            waiting.remove(l.domain);
          }
          dropIfIdle(l.domain);
        }
        l.result.cancel(false);
      } else if (l.thread != null) {
        l.thread.interrupt();
      }
    }
  }

  /** Whether {@code l} is still waiting for a thread; for the message of a timeout. */
  boolean queued(Lookup l) {
    synchronized (lock) {
      return !l.started;
    }
  }

  /** {@code 512 lookups running, 40 in example.com}, for the message of a queued timeout. */
  String load(Lookup l) {
    synchronized (lock) {
      return running + " lookups running" + (l.domain == null ? ", hosts-file lane full"
          : ", " + l.domain.running + " of them for " + l.domain.name);
    }
  }

  // Guarded by lock. The coalescing map no longer hands this lookup out.
  private void forget(Lookup l) {
    l.forgotten = true;
    inFlight.remove(l.key, l);
  }

  // Guarded by lock. Starts what the limits allow: the hosts lane first, then the domains in turn.
  private void dispatch() {
    while (hostsRunning < limits.hostsLane() && !hostsQueue.isEmpty()) {
      start(hostsQueue.poll());
    }
    int idle = 0;
    while (!waiting.isEmpty() && idle < waiting.size() && running < limits.ceiling()) {
      Domain d = waiting.poll();
      if (admits(d)) {
        start(d.queued.poll());
        idle = 0;
      } else {
        idle++;
      }
      if (!d.queued.isEmpty()) {
        waiting.add(d); // its turn comes again after every other domain's
      }
    }
  }

  private boolean admits(Domain d) {
    return running < limits.ceiling() - limits.reserve()
        || (running < limits.ceiling() && d.running < limits.perDomainInReserve());
  }

  private void start(Lookup l) {
    l.started = true;
    if (l.domain == null) {
      hostsRunning++;
    } else {
      running++;
      l.domain.running++;
    }
    try {
      threads.execute(() -> run(l));
    } catch (RuntimeException | OutOfMemoryError e) { // no thread to be had
      ended(l);
      forget(l);
      UnknownHostException u = new UnknownHostException(l.key.name() + ": no thread to look it"
          + " up: " + e);
      u.initCause(e);
      l.result.completeExceptionally(u);
    }
  }

  private void run(Lookup l) {
    synchronized (lock) {
      if (l.forgotten) { // nobody waited for it any more between start and run
        ended(l);
        dispatch();
        return;
      }
      l.thread = Thread.currentThread();
    }
    try {
      l.result.complete(call(l.key.resolver(), l.key.name()));
    } catch (UnknownHostException | RuntimeException | Error e) {
      l.result.completeExceptionally(e);
    } finally {
      synchronized (lock) {
        l.thread = null;
        forget(l);
        ended(l);
        dispatch();
      }
      Thread.interrupted(); // an interrupt from leave() is this lookup's, not the next one's
    }
  }

  // Guarded by lock.
  private void ended(Lookup l) {
    if (l.domain == null) {
      hostsRunning--;
    } else {
      running--;
      l.domain.running--;
      dropIfIdle(l.domain);
    }
  }

  // Guarded by lock.
  private void dropIfIdle(Domain d) {
    if (d.running == 0 && d.queued.isEmpty()) {
      domains.remove(d.name, d);
    }
  }

  static List<InetAddress> call(Resolver resolver, String host) throws UnknownHostException {
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

  /** Lower case, without the root's trailing dot: the names the hosts file and DNS compare. */
  static String normalize(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.endsWith(".") && h.length() > 1 ? h.substring(0, h.length() - 1) : h;
  }

  /** Second labels that, under a two-letter top-level domain, are a registry's, not an owner's. */
  private static final java.util.Set<String> REGISTRY_LABELS = java.util.Set.of("ac", "co", "com",
      "edu", "go", "gob", "gov", "mil", "ne", "net", "or", "org");

  /**
   * The domain {@code name} is counted in: its last two labels ({@code example.com} for {@code
   * a.b.example.com}), three under a two-letter top-level domain whose second label is a
   * registry's ({@code example.co.uk}, {@code example.com.au}, {@code example.ne.jp}); a name of
   * one or two labels is its own.
   */
  static String domainOf(String name) {
    int last = name.lastIndexOf('.');
    if (last <= 0) {
      return name;
    }
    int second = name.lastIndexOf('.', last - 1);
    if (second < 0) {
      return name;
    }
    boolean registry = name.length() - last - 1 == 2
        && REGISTRY_LABELS.contains(name.substring(second + 1, last));
    if (!registry) {
      return name.substring(second + 1);
    }
    int third = name.lastIndexOf('.', second - 1);
    return third < 0 ? name : name.substring(third + 1);
  }
}
