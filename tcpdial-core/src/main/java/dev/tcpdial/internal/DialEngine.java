package dev.tcpdial.internal;

import dev.tcpdial.DialException;
import dev.tcpdial.DialListener;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Family;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Resolver;
import dev.tcpdial.RetryPolicy;
import dev.tcpdial.SocketConfigurer;
import dev.tcpdial.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/**
 * The engine behind {@link dev.tcpdial.Dialer}: resolution, address planning, and the race driven
 * either by the caller's thread ({@link SyncDial}) or by the event loop ({@link AsyncDial}).
 */
public final class DialEngine {

  /** Every option of a dialer, validated by its builder. */
  public record Settings(Mode mode, Duration connectTimeout, Duration deadline,
      Duration attemptDelay, Duration resolveTimeout, Family family, InetSocketAddress local,
      SocketConfigurer configurer, Resolver resolver, RetryPolicy retry, DialListener listener,
      Executor executor, Engine engine, int synRetries, Duration userTimeout,
      boolean bindAddressNoPort) {}

  private final Settings settings;
  private final Clock clock;
  private final JdkConnect.SocketSetup setup;
  private final Resolution resolution;
  private final Executor events;
  private final Set<SyncDial> syncDials = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private EventLoop loop;
  private volatile boolean closed;
  private final dev.tcpdial.internal.nat.NativeProbes natives; // null: probes use the JDK engine

  /** An engine for {@code settings}. */
  public DialEngine(Settings settings) {
    this(settings, Clock.SYSTEM);
  }

  DialEngine(Settings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.resolution = new Resolution(settings, clock);
    this.setup = new JdkConnect.SocketSetup(settings.configurer(), settings.local(),
        new KernelKnobs(settings.synRetries(), (int) Math.min(Integer.MAX_VALUE,
            settings.userTimeout().toMillis()), settings.bindAddressNoPort()));
    this.events = settings.mode() == Mode.SYNC
        ? Runnable::run : new SerialExecutor(settings.executor());
    this.natives = dev.tcpdial.internal.nat.NativeProbes.choose(settings, clock, JfrEvents::record);
    JdkErrQueue.warmUpInBackground(); // dial() always runs on the JDK engine
  }

  Settings settings() {
    return settings;
  }

  Clock clock() {
    return clock;
  }

  JdkConnect.SocketSetup setup() {
    return setup;
  }

  /** The engine probes use. */
  public Engine probeEngine() {
    return natives != null ? natives.engine() : Engine.JDK;
  }

  /** See {@link dev.tcpdial.Dialer#probeEngineReason()}. */
  public String probeEngineReason() {
    if (natives != null) {
      return natives.engineReason();
    }
    if (settings.engine() == Engine.JDK) {
      return "jdk (asked for)";
    }
    return "jdk: " + dev.tcpdial.internal.nat.NativeProbes.whyNot(settings);
  }

  // ---- blocking ----

  /** See {@link dev.tcpdial.Dialer#dial}. */
  public SocketChannel dial(Target target) throws DialException {
    if (settings.mode() == Mode.ASYNC) {
      CompletableFuture<SocketChannel> f = dialAsync(target);
      SocketChannel ch = await(f, target);
      try {
        ch.configureBlocking(true);
      } catch (IOException e) {
        JdkConnect.closeQuietly(ch);
        throw new IllegalStateException("cannot make the connected channel blocking", e);
      }
      return ch;
    }
    Holder h = new Holder();
    runSync(target, true, h);
    if (h.channel != null) {
      return h.channel;
    }
    throw exception(h.result, h.cause, h.suppressed);
  }

  /** See {@link dev.tcpdial.Dialer#probe}. */
  public DialResult probe(Target target) {
    if (natives != null) {
      return natives.probe(target);
    }
    if (settings.mode() == Mode.ASYNC) {
      CompletableFuture<DialResult> f = probeAsync(target);
      try {
        return f.get();
      } catch (InterruptedException e) {
        f.cancel(false);
        Thread.currentThread().interrupt();
        return cancelledResult(target); // exceptionNow() throws on a cancelled future
      } catch (ExecutionException | CancellationException e) {
        return cancelledResult(target);
      }
    }
    Holder h = new Holder();
    runSync(target, false, h);
    return h.result;
  }

  private static final class Holder implements DialCall.Sink {
    DialResult result;
    SocketChannel channel;
    Throwable cause;
    List<Throwable> suppressed;

    @Override
    public void done(DialResult r, SocketChannel ch, Throwable c, List<Throwable> s) {
      result = r;
      channel = ch;
      cause = c;
      suppressed = s;
    }
  }

  private void runSync(Target target, boolean keep, DialCall.Sink sink) {
    long start = clock.nanoTime();
    Events ev = new Events(settings.listener(), events, target);
    DialCall call = new DialCall(this, target, keep, start, ev);
    call.sink(sink);
    ev.dialStart();
    if (closed) {
      call.finishWithoutAttempts(Outcome.CANCELLED, null);
      return;
    }
    List<InetSocketAddress> plan;
    try {
      plan = resolve(call);
    } catch (UnknownHostException e) {
      call.finishWithoutAttempts(Outcome.RESOLUTION_FAILED, e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.finishWithoutAttempts(Outcome.CANCELLED, e);
      return;
    }
    SyncDial d = new SyncDial(call, clock);
    syncDials.add(d);
    try {
      if (closed) {
        d.close();
      }
      d.run(plan);
    } finally {
      syncDials.remove(d);
    }
    SocketChannel ch = d.winner();
    if (ch != null && !keep) {
      JdkConnect.closeWithReset(ch);
      ch = null;
    }
    call.finish(d.race(), ch);
  }

  // ---- non-blocking ----

  /** See {@link dev.tcpdial.Dialer#dialAsync}. */
  public CompletableFuture<SocketChannel> dialAsync(Target target) {
    CancellableFuture<SocketChannel> f = new CancellableFuture<>();
    start(target, true, f, (r, ch, cause, suppressed) -> {
      if (r.connected()) {
        if (!f.complete(ch)) {
          JdkConnect.closeQuietly(ch); // cancelled meanwhile: the loser closes
        }
      } else {
        f.completeExceptionally(exception(r, cause, suppressed));
      }
    });
    return f;
  }

  /** See {@link dev.tcpdial.Dialer#probeEach}. */
  public dev.tcpdial.WindowStats probeEach(java.util.Iterator<Target> targets,
      dev.tcpdial.Window window, java.util.function.Consumer<DialResult> results)
      throws InterruptedException {
    if (natives != null) {
      return natives.probeEach(targets, window, results);
    }
    return probeEachOneByOne(this::probeAsync, targets, window, results, clock);
  }

  /**
   * {@code probeEach} over single {@code probeAsync} calls, within {@code window}: the calling
   * thread takes the targets and starts them; an interrupt cancels what is in flight (reported
   * as cancelled) and starts no more.
   */
  public static dev.tcpdial.WindowStats probeEachOneByOne(
      java.util.function.Function<Target, CompletableFuture<DialResult>> probeAsync,
      java.util.Iterator<Target> targets, dev.tcpdial.Window window,
      java.util.function.Consumer<DialResult> results, Clock clock) throws InterruptedException {
    return new OneByOneScan(probeAsync, targets, window, results, clock).run();
  }

  /** See {@link dev.tcpdial.Dialer#probeAsync}. */
  public CompletableFuture<DialResult> probeAsync(Target target) {
    if (natives != null) {
      return natives.probeAsync(target);
    }
    CancellableFuture<DialResult> f = new CancellableFuture<>();
    start(target, false, f, (r, ch, cause, suppressed) -> f.complete(r));
    return f;
  }

  private void start(Target target, boolean keep, CancellableFuture<?> f, DialCall.Sink complete) {
    if (settings.mode() == Mode.SYNC) {
      // Blocking mode, asked not to block: the blocking dial runs on a virtual thread.
      DialCall.Sink nonBlocking = (r, ch, cause, suppressed) -> {
        if (ch != null) {
          try {
            ch.configureBlocking(false); // the same contract as the event loop's channels
          } catch (IOException e) {
            JdkConnect.closeQuietly(ch);
            complete.done(r, null, e, suppressed);
            return;
          }
        }
        complete.done(r, ch, cause, suppressed);
      };
      Thread t = Thread.ofVirtual().name("tcpdial-dial").unstarted(() -> {
        if (!f.isDone()) { // an interrupt before the start is lost: look first
          try {
            runSync(target, keep, nonBlocking);
          } catch (RuntimeException | Error e) {
            f.completeExceptionally(e); // never leave the caller waiting on a broken dial
          }
        }
      });
      f.onCancel(t::interrupt);
      t.start();
      return;
    }
    long startNanos = clock.nanoTime();
    Events ev = new Events(settings.listener(), events, target);
    DialCall call = new DialCall(this, target, keep, startNanos, ev);
    Executor exec = settings.listener() == DialListener.NONE ? settings.executor() : events;
    call.sink((r, ch, cause, suppressed) -> exec.execute(() -> complete.done(r, ch, cause, suppressed)));
    ev.dialStart();
    EventLoop l = loop();
    if (l == null) {
      call.finishWithoutAttempts(Outcome.CANCELLED, null);
      return;
    }
    AsyncDial d = new AsyncDial(call, l);
    f.onCancel(d::cancel);
    if (target.isLiteral()) {
      List<InetSocketAddress> plan;
      try {
        plan = planLiteral(call);
      } catch (UnknownHostException e) {
        call.finishWithoutAttempts(Outcome.RESOLUTION_FAILED, e);
        return;
      }
      if (l.inLoop()) {
        d.begin(plan);
      } else {
        l.execute(() -> d.begin(plan));
      }
      return;
    }
    Thread.ofVirtual().name("tcpdial-resolve").start(() -> {
      try {
        List<InetSocketAddress> plan = resolve(call);
        l.execute(() -> d.begin(plan));
      } catch (UnknownHostException e) {
        call.finishWithoutAttempts(Outcome.RESOLUTION_FAILED, e);
      } catch (InterruptedException e) {
        call.finishWithoutAttempts(Outcome.CANCELLED, e);
      }
    });
  }

  private EventLoop loop() {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      if (loop == null) {
        loop = EventLoop.start("tcpdial-loop", clock);
      }
      return loop;
    }
  }

  // ---- resolution ----

  private List<InetSocketAddress> planLiteral(DialCall call) throws UnknownHostException {
    InetAddress a = call.target().literal().orElseThrow();
    call.resolved(List.of(a), 0);
    List<InetSocketAddress> plan = resolution.literal(call.target());
    if (plan.isEmpty()) {
      throw new UnknownHostException(call.target().host() + ": not an address of the wanted family");
    }
    return plan;
  }

  private List<InetSocketAddress> resolve(DialCall call)
      throws UnknownHostException, InterruptedException {
    if (call.target().isLiteral()) {
      return planLiteral(call);
    }
    Resolution.Resolved r = resolution.resolve(call.target(), call.deadline());
    call.resolved(r.addresses(), r.tookNanos());
    call.events().resolved(r.addresses(), Duration.ofNanos(r.tookNanos()));
    return r.plan();
  }

  // ---- results ----

  private static DialException exception(DialResult r, Throwable cause, List<Throwable> suppressed) {
    DialException e = new DialException(r, cause);
    if (suppressed != null) {
      suppressed.forEach(e::addSuppressed);
    }
    return e;
  }

  private DialResult cancelledResult(Target target) {
    return new DialResult(target, Outcome.CANCELLED, null, null, null, Duration.ZERO, Duration.ZERO,
        List.of(), settings.mode(), Engine.JDK, List.of());
  }

  private SocketChannel await(CompletableFuture<SocketChannel> f, Target target)
      throws DialException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      // A cancel that loses against the completion leaves a connected channel in the future:
      // the caller gets the cancellation it asked for, so the channel is closed here.
      f.cancel(false);
      Thread.currentThread().interrupt();
      try {
        JdkConnect.closeQuietly(f.join());
      } catch (RuntimeException ignored) {
        // cancelled, as asked
      }
      throw new DialException(cancelledResult(target), e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof DialException de) {
        throw de;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  // ---- path traces ----

  /** See {@link dev.tcpdial.Dialer#trace} ({@code all} false) and {@code traceAll}. */
  public List<dev.tcpdial.Trace> trace(Target target, dev.tcpdial.Trace.Options options,
      boolean all) {
    if (dev.tcpdial.internal.nat.PathTrace.unavailable() == null) {
      // once per JVM (waits for one running): links and calls the system calls, so a trace's
      // time is the network's, as prestart() does for dials
      dev.tcpdial.internal.nat.NativeLoop.warmUpNow();
    }
    long start = clock.nanoTime();
    if (closed) {
      return List.of(dev.tcpdial.internal.nat.PathTrace.notTraced(target, null, Outcome.CANCELLED,
          Duration.ZERO, "the dialer is closed"));
    }
    List<InetSocketAddress> plan;
    try {
      if (target.isLiteral()) {
        plan = resolution.literal(target);
        if (plan.isEmpty()) {
          throw new UnknownHostException(target.host() + ": not an address of the wanted family");
        }
      } else {
        plan = resolution.resolve(target, Deadline.after(start, settings.deadline())).plan();
      }
    } catch (UnknownHostException e) {
      return List.of(dev.tcpdial.internal.nat.PathTrace.notTraced(target, null,
          Outcome.RESOLUTION_FAILED, Duration.ofNanos(clock.nanoTime() - start), e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of(dev.tcpdial.internal.nat.PathTrace.notTraced(target, null, Outcome.CANCELLED,
          Duration.ofNanos(clock.nanoTime() - start), "interrupted while resolving"));
    }
    List<InetSocketAddress> addresses = new java.util.ArrayList<>();
    for (InetSocketAddress a : plan) {
      if (!addresses.contains(a)) {
        addresses.add(a);
      }
    }
    if (!all) {
      addresses = addresses.subList(0, 1);
    }
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    List<CompletableFuture<dev.tcpdial.Trace>> runs = new java.util.ArrayList<>();
    for (InetSocketAddress a : addresses) {
      CompletableFuture<dev.tcpdial.Trace> f = new CompletableFuture<>();
      runs.add(f);
      // a platform thread: the trace blocks in poll(2), which would pin a virtual thread's carrier
      Thread.ofPlatform().name("tcpdial-trace").daemon().start(() -> {
        try {
          f.complete(dev.tcpdial.internal.nat.PathTrace.run(target, a, settings.local(), options,
              clock, start, () -> stop.get() || closed));
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      });
    }
    List<dev.tcpdial.Trace> out = new java.util.ArrayList<>();
    boolean interrupted = false;
    for (CompletableFuture<dev.tcpdial.Trace> f : runs) {
      while (true) {
        try {
          out.add(f.get());
          break;
        } catch (InterruptedException e) {
          interrupted = true;
          stop.set(true); // each trace sees it within 100 ms and ends
        } catch (ExecutionException e) {
          throw new IllegalStateException("a path trace failed", e.getCause());
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  /**
   * Does now what the first dial would: loads the dial path's classes, asks libc for the errno
   * texts, links the native calls and starts the loops, so the first dial's time is the network's.
   */
  public void prestart() {
    Errnos.classify(new java.net.ConnectException("Connection refused"));
    for (Class<?> c : List.of(Race.class, RaceDriver.class, SyncDial.class, AsyncDial.class,
        DialCall.class, JdkConnect.class, JdkConnect.End.class, JdkErrQueue.class, Libc.class,
        Events.class, JfrEvents.class,
        Deadline.class, AddressOrder.class, Resolution.class, dev.tcpdial.Attempt.class,
        DialResult.class)) {
      try {
        java.lang.invoke.MethodHandles.lookup().ensureInitialized(c);
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
    if (natives != null) {
      natives.prestart();
    }
    if (settings.mode() == Mode.ASYNC) {
      loop();
    }
  }

  /** Cancels every dial in flight, closes their sockets, stops the loop. */
  public void close() {
    EventLoop l;
    synchronized (lock) {
      closed = true;
      l = loop;
    }
    for (SyncDial d : syncDials) {
      d.close();
    }
    if (natives != null) {
      natives.close();
    }
    if (l != null) {
      l.close();
    }
  }
}
