package dev.tcpdial.exporter;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialException;
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
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One probe: a function from (target, module, deadline) to a {@link Result}, in stages, each
 * ending in a value: resolve (the exporter's resolver, inside the deadline; every address it
 * yields is checked against {@code --allow} before any packet leaves, and ordered as the module
 * asks), connect (Happy Eyeballs over the planned addresses, or the single address
 * blackbox_exporter would dial), TLS ({@link TlsStage}) and the dialogue ({@link Dialogue}). A
 * stage that fails ends the probe; the later ones are {@code not_reached}.
 *
 * <p>One {@link Dialer} per module and deadline, made on first use and kept (Prometheus sends the
 * same scrape timeout every time, so that is one per module and scrape job): probes that only
 * connect run on the dialer's event loop with the native engine where it runs; probes that talk
 * get a connected channel from a blocking dialer.
 */
final class Prober implements AutoCloseable {
  /** Dialers kept at most; past it a probe gets a dialer of its own, closed after it. */
  static final int MAX_DIALERS = 256;

  private final Resolver resolver;
  private final Map<String, List<InetAddress>> planned = new ConcurrentHashMap<>();
  private final Map<String, DialResult> connected = new ConcurrentHashMap<>();
  private final Map<DialerKey, Dialer> dialers = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Executor resolving = Executors.newVirtualThreadPerTaskExecutor();

  private final AtomicBoolean tlsWarm = new AtomicBoolean();

  Prober(Resolver resolver) {
    this.resolver = resolver;
    Dialer.warmUpInBackground();
  }

  /**
   * Loads the JDK's TLS client in the background the first time a configuration has a module
   * that speaks TLS ({@code tls} or a {@code starttls} step), so that its first probe is not
   * slowed by class loading; a configuration without one never pays its memory.
   */
  void prepareFor(Config c) {
    boolean tls = c.modules().values().stream().anyMatch(m -> m.tls()
        || m.queryResponse().stream().anyMatch(QueryStep::startTls));
    if (tls && tlsWarm.compareAndSet(false, true)) {
      Thread.ofVirtual().name("tcpdial-tls-warm-up").start(TlsStage::warmUp);
    }
  }

  /**
   * Makes and starts now the dialer that probes of {@code module} within {@code deadline} use,
   * event loop included: for a caller that measures its first probe (the CLI's {@code check
   * --module}); the exporter makes its dialers on first use.
   */
  void prestart(Module module, Duration deadline) {
    DialerKey key = new DialerKey(module, deadline);
    if (dialers.size() < MAX_DIALERS) {
      dialers.computeIfAbsent(key, k -> dialer(module, deadline, module.converses())).prestart();
    }
  }

  /** An address of the target is outside {@code --allow}; nothing was sent. */
  static final class Denied extends Exception {
    private static final long serialVersionUID = 1L;

    Denied(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * What a probe found, stage by stage.
   *
   * @param module the module it ran with
   * @param deadline the probe's deadline
   * @param dial the connect's result (every attempt); its target is the probe's
   * @param success whether the module's expectation held ({@code probe_success})
   * @param duration the whole probe, resolution to the last byte
   * @param resolution the resolve stage's time ({@code probe_dns_lookup_time_seconds})
   * @param tls the TLS stage (a {@code starttls} step's handshake too)
   * @param query the dialogue stage
   * @param targetError why the target did not parse (nothing was done), or null
   * @param trace the path trace made because the connect failed ({@code
   *     tcpdial.trace_on_failure}), or null
   */
  record Result(Module module, Duration deadline, DialResult dial, boolean success,
      Duration duration, Duration resolution, TlsStage.Result tls, Dialogue.Result query,
      String targetError, Trace trace) {

    /** A result with no trace. */
    Result(Module module, Duration deadline, DialResult dial, boolean success, Duration duration,
        Duration resolution, TlsStage.Result tls, Dialogue.Result query, String targetError) {
      this(module, deadline, dial, success, duration, resolution, tls, query, targetError, null);
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

    /** Whether a name was resolved (blackbox_exporter's IP metrics exist then). */
    boolean resolved() {
      return !dial.addresses().isEmpty();
    }
  }

  private record DialerKey(Module module, Duration deadline) {}

  /**
   * Runs {@code module} against {@code target} within {@code deadline}.
   *
   * @throws Denied when an address of the target is outside {@code allow}
   */
  Result probe(Target target, Module module, Duration deadline, Cidrs allow) throws Denied {
    long start = System.nanoTime();
    long end = start + Math.max(1, deadline.toNanos());
    // ---- resolve ----
    List<InetAddress> found;
    if (target.literal().isPresent()) {
      found = List.of(target.literal().get());
    } else {
      try {
        found = resolve(target.host(), end);
      } catch (UnknownHostException e) {
        return early(target, module, deadline, start, Outcome.RESOLUTION_FAILED, List.of(),
            Duration.ofNanos(System.nanoTime() - start), e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return early(target, module, deadline, start, Outcome.CANCELLED, List.of(),
            Duration.ofNanos(System.nanoTime() - start), "interrupted");
      }
    }
    Duration resolution = Duration.ofNanos(System.nanoTime() - start);
    for (InetAddress a : found) {
      if (!allow.allows(a)) {
        throw new Denied(target.literal().isPresent()
            ? a.getHostAddress() + " is outside --allow " + allow
            : target.host() + " resolves to " + a.getHostAddress() + ", outside --allow " + allow);
      }
    }
    List<InetAddress> plan;
    try {
      plan = plan(found, module, target.host());
    } catch (UnknownHostException e) {
      return early(target, module, deadline, start, Outcome.RESOLUTION_FAILED, List.of(),
          resolution, e.getMessage());
    }
    // ---- TLS material before the connect, as blackbox_exporter builds its TLS configuration ----
    TlsStage.Material material = null;
    if (module.tls()) {
      try {
        material = TlsStage.material(module.tlsConfig());
      } catch (IOException e) {
        DialResult none = new DialResult(target, Outcome.ERROR, null, null, null,
            Duration.ofNanos(System.nanoTime() - start), resolution, plan, Mode.SYNC, Engine.JDK,
            List.of(), "not dialed: " + e.getMessage());
        return new Result(module, deadline, none, false, Duration.ofNanos(System.nanoTime()
            - start), resolution, TlsStage.Result.of(TlsStage.CONFIG_ERROR, e.getMessage()),
            Dialogue.none(Dialogue.NOT_REACHED), null);
      }
    }
    // ---- connect ----
    String id = "p" + ids.incrementAndGet() + ".probe.invalid";
    Target synthetic = new Target(id, target.port());
    planned.put(id, plan);
    boolean converses = module.converses();
    DialerKey key = new DialerKey(module, deadline);
    Dialer own = null;
    Dialer d = dialers.get(key);
    if (d == null) {
      Dialer made = dialer(module, deadline, converses);
      if (dialers.size() < MAX_DIALERS) {
        Dialer raced = dialers.putIfAbsent(key, made);
        d = raced == null ? made : raced;
        if (raced != null) {
          made.close();
        }
      } else {
        d = own = made;
      }
    }
    SocketChannel ch = null;
    DialResult r;
    Trace trace = null;
    try {
      if (converses) {
        try {
          ch = d.dial(synthetic);
          r = connected.remove(id);
        } catch (DialException e) {
          r = e.result();
        }
      } else {
        var f = d.probeAsync(synthetic);
        try {
          r = f.get();
        } catch (InterruptedException e) {
          f.cancel(true);
          Thread.currentThread().interrupt();
          r = new DialResult(synthetic, Outcome.CANCELLED, null, null, null,
              Duration.ofNanos(System.nanoTime() - start), Duration.ZERO, plan, Mode.ASYNC,
              Engine.AUTO, List.of(), "interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
      // while the dialer is open: a dialer of the probe's own is closed below
      if (module.where().traceOnFailure() && !module.expectation().matches(r.outcome())
          && worthTracing(r)) {
        trace = trace(d, r, Duration.ofNanos(end - System.nanoTime()));
      }
    } finally {
      planned.remove(id);
      connected.remove(id);
      if (own != null && !converses) {
        own.close();
      }
    }
    r = retarget(r, target, resolution, id);
    boolean expected = module.expectation().matches(r.outcome());
    if (ch == null || !r.connected()) {
      if (ch != null) {
        closeQuietly(ch);
      }
      if (own != null) {
        own.close();
      }
      return new Result(module, deadline, r, expected && (!r.connected() || !converses),
          Duration.ofNanos(System.nanoTime() - start), resolution,
          TlsStage.Result.of(module.tls() || startsTls(module) ? TlsStage.NOT_REACHED
              : TlsStage.NOT_CONFIGURED, null),
          Dialogue.none(module.queryResponse().isEmpty() ? Dialogue.NOT_CONFIGURED
              : Dialogue.NOT_REACHED), null, trace);
    }
    // ---- TLS, dialogue ----
    TlsStage.Result tls = TlsStage.Result.of(startsTls(module) ? TlsStage.NOT_REACHED
        : TlsStage.NOT_CONFIGURED, null);
    Dialogue.Result query = Dialogue.none(module.queryResponse().isEmpty()
        ? Dialogue.NOT_CONFIGURED : Dialogue.NOT_REACHED);
    try (Wire w = new Wire(ch, end)) {
      ch = null;
      if (module.tls()) {
        tls = TlsStage.handshake(w, material, target.host());
      }
      if (tls.ok() || !module.tls()) {
        if (!module.queryResponse().isEmpty()) {
          query = Dialogue.run(module.queryResponse(), peer(w, module, target.host()));
          if (query.tls() != null) {
            tls = query.tls();
          }
        }
      }
    } catch (IOException e) {
      query = Dialogue.none(Dialogue.ERROR);
    } finally {
      if (ch != null) {
        closeQuietly(ch);
      }
      if (own != null) {
        own.close();
      }
    }
    boolean tlsOk = tls.ok() || tls.outcome().equals(TlsStage.NOT_CONFIGURED)
        || (tls.outcome().equals(TlsStage.NOT_REACHED) && query.ok());
    return new Result(module, deadline, r, expected && tlsOk && query.ok(),
        Duration.ofNanos(System.nanoTime() - start), resolution, tls, query, null);
  }

  /** A probe of a target that does not parse: failed at once, as blackbox_exporter fails it. */
  static Result badTarget(Module module, Duration deadline, String why) {
    DialResult r = new DialResult(new Target("target.invalid", 1), Outcome.ERROR, null, null,
        null, Duration.ZERO, Duration.ZERO, List.of(), Mode.SYNC, Engine.JDK, List.of(), why);
    return new Result(module, deadline, r, false, Duration.ZERO, Duration.ZERO,
        TlsStage.Result.of(module.tls() || startsTls(module) ? TlsStage.NOT_REACHED
            : TlsStage.NOT_CONFIGURED, null),
        Dialogue.none(module.queryResponse().isEmpty() ? Dialogue.NOT_CONFIGURED
            : Dialogue.NOT_REACHED), why);
  }

  private static boolean startsTls(Module m) {
    for (QueryStep s : m.queryResponse()) {
      if (s.startTls()) {
        return true;
      }
    }
    return false;
  }

  private static Dialogue.Peer peer(Wire w, Module module, String host) {
    return new Dialogue.Peer() {
      @Override
      public int read(java.nio.ByteBuffer dst) throws Wire.Failure {
        return w.read(dst);
      }

      @Override
      public void write(byte[] data) throws Wire.Failure {
        w.write(data);
      }

      @Override
      public TlsStage.Result startTls() {
        if (w.secure()) {
          return TlsStage.Result.of(TlsStage.ERROR, "starttls on a connection already in TLS");
        }
        TlsStage.Material m;
        try {
          m = TlsStage.material(module.tlsConfig());
        } catch (IOException e) {
          return TlsStage.Result.of(TlsStage.CONFIG_ERROR, e.getMessage());
        }
        return TlsStage.handshake(w, m, host);
      }
    };
  }

  private Dialer dialer(Module module, Duration deadline, boolean converses) {
    Resolver fromPlan = host -> {
      List<InetAddress> p = planned.get(host);
      if (p == null) {
        throw new UnknownHostException(host + ": no plan");
      }
      return p;
    };
    // with a trace on failure the connect gets half the deadline, the trace what is left
    Duration dialBudget = module.where().traceOnFailure() ? deadline.dividedBy(2) : deadline;
    Dialer.Builder b = Dialer.builder()
        .mode(converses ? Mode.SYNC : Mode.ASYNC)
        .engine(converses ? Engine.JDK : Engine.AUTO)
        .connectTimeout(dialBudget)
        .deadline(dialBudget)
        .family(module.family())
        .resolver(fromPlan)
        .retry(module.retries() > 0 ? RetryPolicy.retries(module.retries()) : RetryPolicy.none());
    if (converses) {
      b.listener(new dev.tcpdial.DialListener() {
        @Override
        public void connected(Target t, Attempt attempt, DialResult result) {
          connected.put(t.host(), result);
        }
      });
    }
    if (module.attemptDelay() != null) {
      b.attemptDelay(module.attemptDelay());
    }
    if (module.source() != null) {
      b.localAddress(module.source());
    }
    if (module.synRetries() > 0) {
      b.synRetries(module.synRetries());
    }
    Dialer d = b.build();
    if (!converses) {
      // the native backend decided (a trial io_uring) before the first probe's deadline runs: on
      // a busy machine the native engine's start took most of a second inside it, and the first
      // probe then ended as resolution_failed with its budget spent before its lookup
      d.probeEngine();
    }
    return d;
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

  // The dialer saw the probe's own name for the plan; results name the target asked for (in the
  // detail too), and the resolve stage's time.
  private static DialResult retarget(DialResult r, Target target, Duration resolution,
      String id) {
    return new DialResult(target, r.outcome(), r.errno(), r.remote(), r.local(), r.elapsed(),
        resolution, r.addresses(), r.mode(), r.engine(), r.attempts(),
        r.detail() == null ? null : r.detail().replace(id, target.host()));
  }

  private Result early(Target target, Module module, Duration deadline, long start,
      Outcome outcome, List<InetAddress> addresses, Duration resolution, String detail) {
    DialResult r = new DialResult(target, outcome, null, null, null,
        Duration.ofNanos(System.nanoTime() - start), resolution, addresses, Mode.SYNC, Engine.JDK,
        List.of(), detail);
    return new Result(module, deadline, r, module.expectation().matches(outcome),
        Duration.ofNanos(System.nanoTime() - start), resolution,
        TlsStage.Result.of(module.tls() || startsTls(module) ? TlsStage.NOT_REACHED
            : TlsStage.NOT_CONFIGURED, null),
        Dialogue.none(module.queryResponse().isEmpty() ? Dialogue.NOT_CONFIGURED
            : Dialogue.NOT_REACHED), null);
  }

  /**
   * The resolver's answer for {@code host}, waited for until {@code end} at most: a lookup that
   * hangs costs this probe its deadline, and nothing else.
   */
  private List<InetAddress> resolve(String host, long end)
      throws UnknownHostException, InterruptedException {
    java.util.concurrent.CompletableFuture<List<InetAddress>> f =
        new java.util.concurrent.CompletableFuture<>();
    resolving.execute(() -> {
      try {
        f.complete(resolver.resolve(host));
      } catch (UnknownHostException | RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    try {
      return f.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof UnknownHostException u) {
        throw u;
      }
      throw new UnknownHostException(host + ": " + Config.oneLine(String.valueOf(
          e.getCause().getMessage())));
    } catch (java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      throw new UnknownHostException(host + ": no answer within the deadline");
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing to keep
    }
  }

  /** Closes every dialer kept. */
  @Override
  public void close() {
    dialers.values().forEach(Dialer::close);
    dialers.clear();
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
