package dev.tcpdial;

import dev.tcpdial.internal.DialEngine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Opens TCP connections and says exactly why one failed. Configured once through {@link #builder()}
 * and immutable after; thread-safe. A dialer in {@link Mode#ASYNC} owns an event-loop thread,
 * started on first use: {@link #close()} it when done.
 *
 * <p>Three ways to dial the same {@link Target}:
 *
 * <ul>
 *   <li>{@link #dial(Target)}: a connected {@link SocketChannel} in blocking mode, or a {@link
 *       DialException} carrying the classified failure;
 *   <li>{@link #dialAsync(Target)}: a future of a connected channel in non-blocking mode, ready to
 *       register with a selector of yours; never blocks the caller;
 *   <li>{@link #probe(Target)} and {@link #probeAsync(Target)}: connect, learn the outcome, close;
 *       a {@link DialResult} value, never an exception. For health checks and scans.
 * </ul>
 *
 * <p>A name resolves to all its addresses, which are dialed with Happy Eyeballs (RFC 8305): families
 * interleaved, the next attempt started after {@link Builder#attemptDelay} or as soon as one fails,
 * the first connection wins and the others are closed. All of it fits in one {@link
 * Builder#deadline}.
 */
public final class Dialer implements AutoCloseable {

  private final Builder config;
  private final DialEngine engine;

  private Dialer(Builder b) {
    this.config = b.copy();
    this.engine = new DialEngine(new DialEngine.Settings(
        config.mode, config.connectTimeout, config.deadline, config.attemptDelay,
        config.resolveTimeout, config.family, config.local, config.configurer, config.resolver,
        config.retry, config.listener, config.executor, config.engine, config.synRetries,
        config.userTimeout, config.bindAddressNoPort));
  }

  /**
   * Why the Linux socket options beyond the JDK's ({@link Builder#synRetries}, {@link
   * Builder#userTimeout}, {@link Builder#bindAddressNoPort}) cannot be set in this JVM, or empty
   * when they can. They need Linux, native access ({@code --enable-native-access=dev.tcpdial}) and
   * the channel's descriptor ({@code --add-exports java.base/sun.nio.ch=dev.tcpdial}).
   *
   * @return the reason, or empty when the options can be set
   */
  public static java.util.Optional<String> socketOptionsUnavailable() {
    return java.util.Optional.ofNullable(dev.tcpdial.internal.KernelKnobs.unavailable());
  }

  /**
   * A builder with every option at its default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A dialer with every option at its default ({@link Mode#SYNC}, 10 s per attempt).
   *
   * @return a new dialer
   */
  public static Dialer ofDefaults() {
    return builder().build();
  }

  /**
   * A builder holding this dialer's options, to derive another dialer.
   *
   * @return a new builder with this dialer's options
   */
  public Builder toBuilder() {
    return config.copy();
  }

  /**
   * This dialer's mode.
   *
   * @return {@link Mode#SYNC} or {@link Mode#ASYNC}
   */
  public Mode mode() {
    return config.mode;
  }

  /**
   * Connects to {@code target}. In {@link Mode#SYNC} the connect runs on the calling thread (a
   * virtual thread parks); interrupting it cancels the dial. Either way the channel comes back in
   * blocking mode.
   *
   * @param target where to connect
   * @return the connected channel, in blocking mode; the caller closes it
   * @throws DialException when the dial did not connect; its {@link DialException#result()} says
   *     why. An interrupt ends the dial as {@link Outcome#CANCELLED} and leaves the thread's
   *     interrupt status set.
   */
  public SocketChannel dial(Target target) throws DialException {
    Objects.requireNonNull(target, "target");
    return engine.dial(target);
  }

  /**
   * {@code dial(Target.parse(hostPort))}.
   *
   * @param hostPort {@code host:port}, {@code [v6]:port} or {@code address:port}
   * @return the connected channel, in blocking mode; the caller closes it
   * @throws DialException when the dial did not connect
   * @throws IllegalArgumentException when {@code hostPort} does not parse
   */
  public SocketChannel dial(String hostPort) throws DialException {
    return dial(Target.parse(hostPort));
  }

  /**
   * Starts connecting to {@code target} and returns at once. The future completes with a connected
   * channel in non-blocking mode, registered with no selector, or exceptionally with a {@link
   * DialException}. It is completed on the dialer's executor, never on the event-loop thread
   * (unless the executor runs tasks inline). {@code cancel} on the future cancels the dial and
   * closes its sockets; a channel that arrives after the future was completed otherwise is closed.
   *
   * @param target where to connect
   * @return a future of the connected channel; the caller closes it
   */
  public CompletableFuture<SocketChannel> dialAsync(Target target) {
    Objects.requireNonNull(target, "target");
    return engine.dialAsync(target);
  }

  /**
   * Connects to {@code target}, closes the connection, and says how it went. Never throws for a
   * network outcome; an interrupt ends it as {@link Outcome#CANCELLED}.
   *
   * @param target where to connect
   * @return how the dial went, with every attempt
   */
  public DialResult probe(Target target) {
    Objects.requireNonNull(target, "target");
    return engine.probe(target);
  }

  /**
   * {@link #probe} without blocking: the future always completes normally with the result (unless
   * cancelled). Completed like {@link #dialAsync}'s.
   *
   * @param target where to connect
   * @return a future of how the dial went
   */
  public CompletableFuture<DialResult> probeAsync(Target target) {
    Objects.requireNonNull(target, "target");
    return engine.probeAsync(target);
  }

  /**
   * Probes every target of {@code targets}, at most {@code concurrency} at once, and hands each
   * result to {@code results} as it completes; returns how many were probed once all are done.
   * {@code probeEach(targets, Window.ofConcurrency(concurrency), results).probed()}: 0 asks for
   * an {@linkplain Window#adaptive() adaptive window}.
   *
   * @param targets what to probe
   * @param concurrency 0 for an adaptive window, else how many probes may be in flight at once
   * @param results receives each result as it completes
   * @return how many targets were probed
   * @throws InterruptedException when the calling thread was interrupted
   * @throws IllegalArgumentException when {@code concurrency} is negative
   */
  public long probeEach(java.util.Iterator<Target> targets, int concurrency,
      java.util.function.Consumer<DialResult> results) throws InterruptedException {
    return probeEach(targets, Window.ofConcurrency(concurrency), results).probed();
  }

  /**
   * Probes every target of {@code targets} within {@code window}, and hands each result to {@code
   * results} as it completes; returns, once all are done, what the window did. For scans: on the
   * native engine each core's loop keeps its share of the window full by itself, with no thread
   * hand-off per probe.
   *
   * <p>The calling thread reads {@code targets} (so a source that blocks, such as a pipe, holds
   * up no probe in flight), paces the starts ({@link Window#rate}) and, for an adaptive window,
   * reads the kernel's drop counters. {@code results} runs on the engine's threads, possibly on
   * several at once: it must be thread-safe and quick. A target that ended for a local reason, or
   * whose timeout a {@link Window.Signal} made suspect, is started again before it is reported
   * (see {@link Window}); its result's {@link Attempt#index()} says how many tries came before.
   * An interrupt stops the scan: probes in flight end {@link Outcome#CANCELLED} (and are
   * reported), the rest are not started, and {@link InterruptedException} is thrown. An exception
   * from {@code targets} stops the reading: what was started ends and is reported, then the
   * exception is thrown.
   *
   * @param targets what to probe, read one at a time on the calling thread
   * @param window how many probes may be in flight, and how fast they may start
   * @param results receives each result as it completes
   * @return how many targets were probed, and the window's sizes
   * @throws InterruptedException when the calling thread was interrupted
   */
  public WindowStats probeEach(java.util.Iterator<Target> targets, Window window,
      java.util.function.Consumer<DialResult> results) throws InterruptedException {
    Objects.requireNonNull(targets, "targets");
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(results, "results");
    return engine.probeEach(targets, window, results);
  }

  /**
   * Traces the path of a connect to {@code target}'s first address (the one a dial tries first),
   * hop by hop, and says where the SYN goes and where it dies ({@link Trace}): probes with TTL 1,
   * 2, ... to the real port, one flow for all of them, no privilege. Blocks until the trace ends
   * (about one {@link Trace.Options#hopTimeout()} per silent hop, plus a round trip per probe).
   * Resolution is this dialer's ({@link Builder#resolver}, {@link Builder#family}, {@link
   * Builder#resolveTimeout}); the source address and port are {@link Builder#localAddress}'s
   * when set; the per-attempt timeouts and the deadline do not apply (the options' hop timeout
   * does). Runs on plain system calls on a thread of its own, whatever this dialer's engine, and
   * needs what the native engine needs (Linux on x86_64 or aarch64, native access): elsewhere the
   * trace's verdict is {@link Trace.Verdict.Kind#NOT_TRACED} and {@link Trace#detail()} says why.
   * An interrupt ends it early (verdict not traced, outcome {@link Outcome#CANCELLED}) and leaves
   * the interrupt status set.
   *
   * @param target where to trace
   * @param options how to probe
   * @return the trace; never throws for a network outcome
   */
  public Trace trace(Target target, Trace.Options options) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(options, "options");
    return engine.trace(target, options, false).getFirst();
  }

  /**
   * {@link #trace} to every address {@code target} resolves to (after the family filter), side by
   * side, one thread each; in the order a dial would try them.
   *
   * @param target where to trace
   * @param options how to probe
   * @return one trace per address (one, not traced, when the name did not resolve)
   */
  public java.util.List<Trace> traceAll(Target target, Trace.Options options) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(options, "options");
    return engine.trace(target, options, true);
  }

  /**
   * Starts preparing, on a background thread, what any dialer's first probe needs and is slow to
   * make: the native engine's links to the C library (about 0.1 s of a fresh JVM). Returns at once;
   * touches no network. Optional: a dialer does the same when it is built. Worth calling first
   * thing in a short-lived process (a command-line tool), so the work overlaps its own start.
   */
  public static void warmUpInBackground() {
    dev.tcpdial.internal.nat.NativeLoop.warmUpInBackground();
  }

  /**
   * Does now what the first dial would otherwise do: loads classes, links the native calls, starts
   * the event loop. Optional; worth it when the first dial's timing is a measurement (a CLI's
   * {@code check}), not in a server. Touches no network. Returns this dialer.
   *
   * @return this dialer
   */
  public Dialer prestart() {
    engine.prestart();
    return this;
  }

  /**
   * The engine {@link #probe} and {@link #probeAsync} use, as {@link DialResult#engine()} will
   * report it: {@link Engine#URING} or {@link Engine#EPOLL} on Linux x86_64/aarch64 with native
   * access granted and no {@link Builder#socketConfigurer}, unless {@link Builder#engine} forced
   * one. Decides the native backend (asks the kernel for an io_uring) on first call.
   *
   * @return the engine of probes
   */
  public Engine probeEngine() {
    return engine.probeEngine();
  }

  /**
   * Why {@link #probeEngine()} is the one it is, in one line, and why a faster engine was not
   * taken (for example {@code "uring"}, or {@code "epoll: io_uring_setup: EPERM
   * (kernel.io_uring_disabled, ...)"}). Asks the kernel, once.
   *
   * @return the engine's label and, where one was passed over, why
   */
  public String probeEngineReason() {
    return engine.probeEngineReason();
  }

  /**
   * Fails every dial in flight as {@link Outcome#CANCELLED}, closes their sockets and stops the
   * event loop. Later dials fail as cancelled. Idempotent.
   */
  @Override
  public void close() {
    engine.close();
  }

  /** Options of a {@link Dialer}. Not thread-safe; {@link #build()} copies them. */
  public static final class Builder {
    private Mode mode = Mode.SYNC;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration deadline = Duration.ZERO;
    private Duration attemptDelay = Duration.ofMillis(250);
    private Duration resolveTimeout = Duration.ZERO;
    private Family family = Family.ANY;
    private InetSocketAddress local;
    private SocketConfigurer configurer = SocketConfigurer.NONE;
    private Resolver resolver = Resolver.system();
    private RetryPolicy retry = RetryPolicy.none();
    private DialListener listener = DialListener.NONE;
    private Executor executor = ForkJoinPool.commonPool();
    private Engine engine;
    private int synRetries;
    private Duration userTimeout = Duration.ZERO;
    private boolean bindAddressNoPort = true;

    private Builder() {}

    private Builder copy() {
      Builder b = new Builder();
      b.mode = mode;
      b.connectTimeout = connectTimeout;
      b.deadline = deadline;
      b.attemptDelay = attemptDelay;
      b.resolveTimeout = resolveTimeout;
      b.family = family;
      b.local = local;
      b.configurer = configurer;
      b.resolver = resolver;
      b.retry = retry;
      b.listener = listener;
      b.executor = executor;
      b.engine = engine;
      b.synRetries = synRetries;
      b.userTimeout = userTimeout;
      b.bindAddressNoPort = bindAddressNoPort;
      return b;
    }

    /**
     * {@link Mode#SYNC} (default) or {@link Mode#ASYNC}.
     *
     * @param mode the mode
     * @return this builder
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * How long one attempt (one socket, one address) may take. Default 10 s. Zero means no limit of
     * ours: the kernel gives up after its SYN retries (127 s with {@code tcp_syn_retries=6}). Always
     * capped by what is left of the {@link #deadline}.
     *
     * @param timeout per attempt; zero for no limit of ours
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = nonNegative(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long the whole dial may take: resolution, every attempt, every retry and backoff. Default
     * zero: no overall limit (each attempt still has its {@link #connectTimeout}).
     *
     * @param deadline for the whole dial; zero for none
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder deadline(Duration deadline) {
      this.deadline = nonNegative(deadline, "deadline");
      return this;
    }

    /**
     * Happy Eyeballs' Connection Attempt Delay (RFC 8305 section 5): how long an attempt may stay
     * unanswered before the next address is tried beside it. Default 250 ms; clamped to 10 ms - 2 s.
     * Zero disables it: addresses are tried strictly one after another.
     *
     * @param delay the Connection Attempt Delay; zero to try addresses one after another
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder attemptDelay(Duration delay) {
      nonNegative(delay, "attemptDelay");
      if (!delay.isZero()) {
        Duration min = Duration.ofMillis(10);
        Duration max = Duration.ofSeconds(2);
        delay = delay.compareTo(min) < 0 ? min : delay.compareTo(max) > 0 ? max : delay;
      }
      this.attemptDelay = delay;
      return this;
    }

    /**
     * How long resolving a name may take. Default zero: limited only by the {@link #deadline}.
     *
     * @param timeout for resolution; zero for none of its own
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder resolveTimeout(Duration timeout) {
      this.resolveTimeout = nonNegative(timeout, "resolveTimeout");
      return this;
    }

    /**
     * Which address families to dial; default {@link Family#ANY}.
     *
     * @param family the families to dial
     * @return this builder
     */
    public Builder family(Family family) {
      this.family = Objects.requireNonNull(family, "family");
      return this;
    }

    /**
     * The local address to bind before connecting (port 0: the kernel picks). Default none. Only
     * addresses of its family are dialed. {@code null} removes it.
     *
     * @param address the local address, or {@code null}
     * @return this builder
     */
    public Builder localAddress(InetAddress address) {
      this.local = address == null ? null : new InetSocketAddress(address, 0);
      return this;
    }

    /**
     * The local address and port to bind before connecting; {@code null} removes it.
     *
     * @param address the local address and port, or {@code null}
     * @return this builder
     */
    public Builder localAddress(InetSocketAddress address) {
      this.local = address;
      return this;
    }

    /**
     * Sets socket options on each fresh socket before it binds and connects. Default none.
     *
     * @param configurer called with each fresh channel
     * @return this builder
     */
    public Builder socketConfigurer(SocketConfigurer configurer) {
      this.configurer = Objects.requireNonNull(configurer, "configurer");
      return this;
    }

    /**
     * Resolves names; default {@link Resolver#system()}.
     *
     * @param resolver resolves names to addresses
     * @return this builder
     */
    public Builder resolver(Resolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * When to try again; default {@link RetryPolicy#none()}.
     *
     * @param retry the retry policy
     * @return this builder
     */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Receives every dial's events; default none.
     *
     * @param listener receives the events
     * @return this builder
     */
    public Builder listener(DialListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Completes futures and delivers listener events. Default {@link ForkJoinPool#commonPool()};
     * {@code Runnable::run} completes them inline, on the event-loop thread in {@link Mode#ASYNC}
     * (fast, but a slow callback then stalls every dial).
     *
     * @param executor completes futures and delivers events
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Forces the engine of {@link Dialer#probe} and {@link Dialer#probeAsync}. Default (null, or
     * {@link Engine#AUTO}): the native engine where it runs (Linux on x86_64 or aarch64, native
     * access granted with {@code --enable-native-access}) and no {@link #socketConfigurer} is set,
     * on {@link Engine#URING} where the kernel gives an io_uring with the opcodes it needs, else on
     * {@link Engine#EPOLL}; else {@link Engine#JDK}. A native engine forced where it cannot run (or
     * with a socket configurer, which needs a JDK channel) fails every probe with outcome {@code
     * error}, no errno and no attempt, reported with the engine asked for; it never falls back to
     * the JDK silently ({@link Engine#NATIVE} does fall back from io_uring to epoll). {@link
     * Dialer#dial} and {@link Dialer#dialAsync} always use the JDK engine, which returns channels.
     *
     * <p>Both engines name outcomes and errnos alike. The native one reads the errno from {@code
     * SO_ERROR} exactly, costs about 41 bytes of heap per probe in flight, and closes every probe
     * that reached the far side (connected, or stopped by a deadline or a cancel) with {@code
     * SO_LINGER} 0: the kernel sends a reset and keeps no {@code TIME_WAIT} socket, so many probes
     * do not exhaust local ports; the target sees a reset instead of an orderly close.
     *
     * @param engine the engine to force, or {@code null} to choose
     * @return this builder
     */
    public Builder engine(Engine engine) {
      this.engine = engine;
      return this;
    }

    /**
     * SYN retransmissions per attempt ({@code TCP_SYNCNT}, Linux, 1 to 127), so one attempt gives up
     * with ETIMEDOUT after 1+2+... s without touching the global sysctl: 1 gives ~3 s, 2 ~7 s.
     * Default 0: the system's {@code net.ipv4.tcp_syn_retries}. Where it cannot be set, attempts fail
     * with {@code error} rather than silently ignoring it.
     *
     * @param count SYN retransmissions, 1 to 127; 0 for the system's default
     * @return this builder
     */
    public Builder synRetries(int count) {
      if (count < 0 || count > 127) {
        throw new IllegalArgumentException("synRetries must be 0 (system default) to 127: " + count);
      }
      this.synRetries = count;
      return this;
    }

    /**
     * {@code TCP_USER_TIMEOUT} (Linux): how long sent data may stay unacknowledged before the kernel
     * drops the connection; also bounds the connect. Default zero: the system's behaviour.
     *
     * @param timeout the user timeout; zero for the system's behaviour
     * @return this builder
     */
    public Builder userTimeout(Duration timeout) {
      this.userTimeout = nonNegative(timeout, "userTimeout");
      return this;
    }

    /**
     * With a {@link #localAddress} of port 0, set {@code IP_BIND_ADDRESS_NO_PORT} (Linux) so the
     * port is chosen at connect time for the 4-tuple and many connections from one source address
     * do not run out of ports at bind time. Default true.
     *
     * @param enabled whether to set {@code IP_BIND_ADDRESS_NO_PORT}
     * @return this builder
     */
    public Builder bindAddressNoPort(boolean enabled) {
      this.bindAddressNoPort = enabled;
      return this;
    }

    /**
     * A dialer with these options.
     *
     * @return a new dialer
     * @throws IllegalStateException when {@link #synRetries} or {@link #userTimeout} was asked for
     *     and this JVM cannot set them (see {@link Dialer#socketOptionsUnavailable()})
     */
    public Dialer build() {
      // The native engine sets them itself; the JDK engine needs the channel's descriptor.
      if ((synRetries > 0 || !userTimeout.isZero()) && (engine == null || !engine.isNative())) {
        socketOptionsUnavailable().ifPresent(why -> {
          throw new IllegalStateException(
              (synRetries > 0 ? "synRetries" : "userTimeout") + " cannot be set: " + why);
        });
      }
      return new Dialer(this);
    }

    private static Duration nonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }

}
