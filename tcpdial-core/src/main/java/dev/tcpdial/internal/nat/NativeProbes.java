package dev.tcpdial.internal.nat;

import dev.tcpdial.DialListener;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Outcome;
import dev.tcpdial.SocketConfigurer;
import dev.tcpdial.Target;
import dev.tcpdial.internal.CancellableFuture;
import dev.tcpdial.internal.Resolution;
import dev.tcpdial.internal.SerialExecutor;
import dev.tcpdial.internal.Clock;
import dev.tcpdial.internal.DialEngine;
import dev.tcpdial.internal.Deadline;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/**
 * The probes of one dialer on the native engine: resolution (names on a virtual thread, literals
 * inline), one {@link NativeLoop} started on first use, and the {@link DialResult}s, which name
 * the backend that ran ({@link Engine#URING} or {@link Engine#EPOLL}). Where the engine was forced
 * but cannot run, every probe ends {@code error} with no attempt, and {@link #unavailableReason()}
 * says why.
 */
public final class NativeProbes implements AutoCloseable {

  private final DialEngine.Settings settings;
  private final Clock clock;
  private final NativeLoop.Refusal unavailable; // null when these probes run
  private final NativeDial.Events events;
  private final java.util.function.Consumer<DialResult> recorder;
  private final Executor complete;
  private final Resolution resolution;
  private final Object lock = new Object();
  private NativeLoop loop;
  private boolean closed;
  private NativeLoop.Backend backend; // guarded by lock; decided on first need
  private String backendReason; // guarded by lock

  private NativeProbes(DialEngine.Settings settings, Clock clock, NativeLoop.Refusal unavailable,
      java.util.function.Consumer<DialResult> recorder) {
    this.settings = settings;
    this.recorder = recorder;
    this.clock = clock;
    this.unavailable = unavailable;
    this.resolution = new Resolution(settings, clock);
    boolean listening = settings.listener() != DialListener.NONE;
    Executor serial = listening ? new SerialExecutor(settings.executor()) : settings.executor();
    this.events = new NativeDial.Events(settings.listener(), serial);
    this.complete = serial;
  }

  /**
   * The native probes for a dialer with {@code settings}, or null when its probes use the JDK
   * engine: {@link Engine#JDK} was asked for, or nothing was asked for and the native engine cannot
   * run here or cannot honour a {@link SocketConfigurer}. A native engine asked for ({@link
   * Engine#NATIVE}, {@link Engine#EPOLL}, {@link Engine#URING}) always gets native probes, failing
   * ones where it cannot run. {@code recorder} sees every result first (the flight recorder's
   * events).
   */
  public static NativeProbes choose(DialEngine.Settings settings, Clock clock,
      java.util.function.Consumer<DialResult> recorder) {
    Engine asked = settings.engine();
    if (asked == Engine.JDK) {
      return null;
    }
    String why = whyNot(settings);
    if ((asked == null || asked == Engine.AUTO) && why != null) {
      if (Precheck.ONLY_NATIVE_ACCESS_MISSING) {
        warnOnce();
      }
      return null;
    }
    // forced io_uring: whether the kernel gives rings is asked now, so every probe can say why
    NativeLoop.Refusal refused = why != null ? new NativeLoop.Refusal(0, why)
        : asked == Engine.URING ? NativeLoop.uringRefusal() : null;
    if (refused == null) {
      NativeLoop.warmUpInBackground();
    }
    return new NativeProbes(settings, clock, refused, recorder);
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Says once per JVM, as a warning of the {@code dev.tcpdial} {@link System.Logger}, that the
   * default engine fell back for want of a JVM flag: the application's author may not know the
   * flags exist, and the results alone do not tell (they name the engine, and are right).
   */
  private static void warnOnce() {
    if (WARNED.compareAndSet(false, true)) {
      System.getLogger("dev.tcpdial").log(System.Logger.Level.WARNING, "tcpdial: probes run on"
          + " the JDK engine, not the native one: native access is not enabled, so errno names"
          + " come from the JDK's exception texts (under a non-English locale some failures are"
          + " named error) and synRetries/userTimeout are refused. Run java with"
          + " --enable-native-access=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED"
          + " (on the module path: =dev.tcpdial for both)");
    }
  }

  /** Null when the native engine can carry out probes with {@code settings}, else why not. */
  public static String whyNot(DialEngine.Settings settings) {
    if (NativeLoop.unavailableBeforeLinking() != null) {
      return NativeLoop.unavailableBeforeLinking();
    }
    if (settings.configurer() != SocketConfigurer.NONE) {
      return "a socket configurer works on JDK channels: the native engine cannot apply it";
    }
    if (settings.local() != null && settings.local().isUnresolved()) {
      return "the local address " + dev.tcpdial.internal.Addresses.text(settings.local())
          + " is not resolved";
    }
    return null;
  }

  /** Links the C calls and starts the loop now rather than at the first probe. */
  public void prestart() {
    if (unavailable == null) {
      NativeLoop.warmUpNow();
      try {
        loop();
      } catch (RuntimeException e) {
        // the first probe reports it
      }
    }
  }

  /**
   * The engine results name: the backend that runs ({@link Engine#URING} or {@link Engine#EPOLL}),
   * or the one asked for where it cannot run. Decides the backend on first call.
   */
  public Engine engine() {
    if (unavailable != null) {
      return settings.engine();
    }
    return backend() == NativeLoop.Backend.URING ? Engine.URING : Engine.EPOLL;
  }

  /**
   * The backend of {@link #probeEach}: the one asked for ({@link Engine#URING}, {@link
   * Engine#EPOLL}), else epoll. A scan is mostly closed ports, and epoll's loop answers those in two
   * system calls on a socket it keeps (the failed second connect disconnects it), where the io_uring
   * loop makes and closes a socket per port: measured, a full loopback scan takes 1.5-3x as long
   * on io_uring (BENCHMARKS.md).
   */
  NativeLoop.Backend scanBackend() {
    Engine asked = settings.engine();
    return asked == Engine.URING ? NativeLoop.Backend.URING : NativeLoop.Backend.EPOLL;
  }

  /** The engine results of {@link #probeEach} name. */
  Engine scanEngine() {
    return scanBackend() == NativeLoop.Backend.URING ? Engine.URING : Engine.EPOLL;
  }

  /** Why {@link #engine()} is the one it is, and why io_uring was not taken when it was not. */
  public String engineReason() {
    if (unavailable != null) {
      return settings.engine().label() + " (asked for) cannot run: " + unavailable.why();
    }
    backend();
    synchronized (lock) {
      return backendReason;
    }
  }

  /**
   * The loops' backend: {@link NativeLoop.Backend#URING} where the kernel gives a ring with every
   * opcode the loop uses (asked once per dialer), else epoll, unless one was asked for.
   */
  NativeLoop.Backend backend() {
    synchronized (lock) {
      if (backend == null) {
        Engine asked = settings.engine();
        if (asked == Engine.EPOLL) {
          backend = NativeLoop.Backend.EPOLL;
          backendReason = "epoll (asked for)";
        } else if (asked == Engine.URING) {
          backend = NativeLoop.Backend.URING;
          backendReason = "uring (asked for)";
        } else {
          String why = NativeLoop.uringUnavailable();
          backend = why == null ? NativeLoop.Backend.URING : NativeLoop.Backend.EPOLL;
          backendReason = why == null ? "uring (scans: epoll, whose kept sockets make closed ports"
              + " cheaper)" : "epoll: io_uring not taken: " + why;
        }
      }
      return backend;
    }
  }

  /** Null when these probes run, else why every one of them ends {@code error}. */
  public String unavailableReason() {
    return unavailable == null ? null : unavailable.why();
  }

  DialEngine.Settings settings() {
    return settings;
  }

  Clock clock() {
    return clock;
  }

  NativeDial.Events events() {
    return events;
  }

  /** Hands a finished probe's result to the recorder and the listener, in that order. */
  void finished(DialResult r) {
    recorder.accept(r);
    if (events.on()) {
      events.finished(r);
    }
  }

  long connectTimeoutNanos() {
    return Deadline.saturatedNanos(settings.connectTimeout());
  }

  /** A probe, waiting for its result; an interrupt cancels it and stays set. */
  public DialResult probe(Target target) {
    CompletableFuture<DialResult> f = new CompletableFuture<>();
    NativeDial d = start(target, f::complete, null);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          if (!interrupted) {
            interrupted = true;
            if (d != null) {
              d.cancel();
            }
          }
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A probe; the future completes on the dialer's executor; cancelling it cancels the probe. */
  public CompletableFuture<DialResult> probeAsync(Target target) {
    CancellableFuture<DialResult> f = new CancellableFuture<>();
    NativeDial d = start(target, f::complete, complete);
    if (d != null) {
      f.onCancel(d::cancel);
    }
    return f;
  }

  // exec: where the result is handed over, null for inline (on the loop thread)
  private NativeDial start(Target target, java.util.function.Consumer<DialResult> done,
      Executor exec) {
    long startNanos = clock.nanoTime();
    java.util.function.Consumer<DialResult> sink = exec == null
        ? done : r -> exec.execute(() -> done.accept(r));
    if (events.on()) {
      sink = r -> complete.execute(() -> done.accept(r)); // after the events, in order
    }
    events.dialStart(target);
    if (unavailable != null) {
      fail(target, startNanos, Outcome.ERROR, unavailable.errno(),
          "the native engine cannot run: " + unavailable.why(), sink);
      return null;
    }
    NativeLoop l;
    try {
      l = loop();
    } catch (NativeLoop.StartFailed e) {
      // Out of descriptors or memory is local_resources; anything else (a ring refused by
      // policy: EPERM) is the engine's own failure, not the connect's, so error with the reason.
      Outcome o = dev.tcpdial.internal.Errnos.outcomeOf(e.errno());
      fail(target, startNanos, o == Outcome.LOCAL_RESOURCES ? o : Outcome.ERROR, e.errno(),
          "the native engine could not start its loop: " + e.getMessage(), sink);
      return null;
    } catch (UnsupportedOperationException e) { // the C calls did not link
      fail(target, startNanos, Outcome.ERROR, 0, "the native engine's C calls did not link: "
          + e.getMessage(), sink);
      return null;
    }
    NativeDial d = new NativeDial(this, l, target, startNanos,
        Deadline.after(startNanos, settings.deadline()), sink);
    if (l == null) {
      d.finishWithoutAttempts(Outcome.CANCELLED);
      return null;
    }
    if (target.isLiteral()) {
      InetAddress a = target.literal().orElse(null);
      List<InetSocketAddress> plan = a == null ? List.of() : resolution.literal(target);
      d.resolved(a == null ? List.of() : List.of(a), 0);
      if (plan.isEmpty()) {
        d.finishWithoutAttempts(Outcome.RESOLUTION_FAILED,
            target.host() + ": not an address of the wanted family");
        return null;
      }
      if (l.inLoop()) {
        d.begin(plan);
      } else {
        l.execute(() -> d.begin(plan));
      }
      return d;
    }
    Thread r = Thread.ofVirtual().name("tcpdial-resolve").unstarted(() -> {
      List<InetSocketAddress> plan;
      try {
        plan = resolve(d);
      } catch (UnknownHostException e) {
        d.finishWithoutAttempts(Outcome.RESOLUTION_FAILED, e.getMessage());
        return;
      } catch (InterruptedException e) {
        d.finishWithoutAttempts(Outcome.CANCELLED);
        return;
      }
      l.execute(() -> d.begin(plan));
    });
    d.resolving(r);
    r.start();
    return d;
  }

  // A probe that ended before any attempt because the engine could not run.
  private void fail(Target target, long startNanos, Outcome outcome, int errno, String detail,
      java.util.function.Consumer<DialResult> sink) {
    DialResult r = new DialResult(target, outcome, errno == 0 ? null : dev.tcpdial.Errno.of(errno),
        null, null, Duration.ofNanos(clock.nanoTime() - startNanos), Duration.ZERO, List.of(),
        settings.mode(), engine(), List.of(), detail);
    finished(r);
    sink.accept(r);
  }

  /**
   * Probes every target, at most {@code concurrency} at once, on loops of their own (one per
   * core), each result to {@code results} on a loop thread; see {@link dev.tcpdial.Dialer#probeEach}.
   * Falls back to {@link #probeAsync} one by one where a probe needs more than one native connect
   * (retries, listeners).
   */
  public long probeEach(java.util.Iterator<Target> targets, int concurrency,
      java.util.function.Consumer<DialResult> results) throws InterruptedException {
    if (unavailable != null || events.on() || settings.retry().maxRetries() > 0) {
      return DialEngine.probeEachOneByOne(this::probeAsync, targets, concurrency, results);
    }
    synchronized (lock) {
      if (closed) {
        return DialEngine.probeEachOneByOne(this::probeAsync, targets, concurrency, results);
      }
    }
    NativeScan scan;
    try {
      scan = new NativeScan(this, targets, concurrency, results);
    } catch (NativeLoop.StartFailed e) {
      // No scan loop started (a refused ring, no descriptor for epoll): each probe goes through
      // probeAsync, which falls back to epoll where it may or names the reason in its result.
      return DialEngine.probeEachOneByOne(this::probeAsync, targets, concurrency, results);
    }
    return scan.await();
  }

  NativeLoop.Options loopOptions() {
    KnobsView k = new KnobsView(settings);
    return new NativeLoop.Options(settings.local(), k.synCount, k.userTimeoutMillis,
        settings.bindAddressNoPort(), true);
  }

  private NativeLoop loop() {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      if (loop != null && loop.stopReason() != null) {
        // the kernel interface failed under it (its probes ended error with the errno): a new
        // loop, and where io_uring was only the default, epoll from now on
        if (backend == NativeLoop.Backend.URING && settings.engine() != Engine.URING) {
          backend = NativeLoop.Backend.EPOLL;
          backendReason = "epoll: io_uring not taken: " + loop.stopReason();
        }
        loop.close();
        loop = null;
      }
      if (loop == null) {
        NativeLoop.Backend b = backend();
        try {
          loop = NativeLoop.start("tcpdial-native", loopOptions(), clock, 256, b);
        } catch (NativeLoop.StartFailed e) {
          if (b != NativeLoop.Backend.URING || settings.engine() == Engine.URING) {
            throw e;
          }
          backend = NativeLoop.Backend.EPOLL; // the ring was refused after all: epoll carries on
          backendReason = "epoll: io_uring not taken: " + e.getMessage();
          loop = NativeLoop.start("tcpdial-native", loopOptions(), clock, 256, backend);
        }
      }
      return loop;
    }
  }

  private record KnobsView(int synCount, int userTimeoutMillis) {
    KnobsView(DialEngine.Settings s) {
      this(s.synRetries(), (int) Math.min(Integer.MAX_VALUE, s.userTimeout().toMillis()));
    }
  }

  // ---- resolution, as the JDK engine does it ----

  private List<InetSocketAddress> resolve(NativeDial d)
      throws UnknownHostException, InterruptedException {
    Resolution.Resolved r = resolution.resolve(d.target(), d.deadline());
    d.resolved(r.addresses(), r.tookNanos());
    events.resolved(d.target(), r.addresses(), Duration.ofNanos(r.tookNanos()));
    return r.plan();
  }

  /** Cancels every probe in flight (they end {@code cancelled}) and stops the loop. Idempotent. */
  @Override
  public void close() {
    NativeLoop l;
    synchronized (lock) {
      closed = true;
      l = loop;
    }
    if (l != null) {
      l.close();
    }
  }
}
