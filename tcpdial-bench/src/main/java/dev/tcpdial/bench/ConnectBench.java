package dev.tcpdial.bench;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.SocketConfigurer;
import dev.tcpdial.Target;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringSocketChannel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client of the connect-rate benchmark, in its own process: keeps {@code C} connects in flight
 * against the accept-and-close server, each connection closed with SO_LINGER 0 as soon as it is
 * established. After a warm-up it measures a fixed window and prints one line:
 *
 * <pre>result client=NAME conc=C connects=N secs=S cpu_secs=U rss_kb=R errors=E total=T</pre>
 *
 * <p>{@code cpu_secs} is the process's user+system time over the window (every thread: JIT and GC
 * included), {@code rss_kb} its peak resident set. With {@code --count N} the run stops issuing
 * after N connects and skips the warm-up (for syscall counting).
 *
 * <pre>ConnectBench --client NAME --conc C --warmup S --duration S [--count N] [--failures]
 *     ADDR:PORT...</pre>
 *
 * <p>{@code --failures} counts every ended probe in {@code connects}, failed or not: for targets
 * that refuse (closed ports), where the failure path is what is measured.
 */
public final class ConnectBench {

  /** Clients by name. */
  static final List<String> CLIENTS = List.of("tcpdial-async", "tcpdial-sync-virtual",
      "tcpdial-sync-platform", "jdk-nio", "jdk-virtual", "netty-nio", "netty-epoll",
      "tcpdial-probe-native", "tcpdial-async-dial", "tcpdial-probe-uring", "netty-uring",
      "tcpdial-each-native", "tcpdial-each-uring");

  /** SO_LINGER 0: close sends RST, so no TIME_WAIT entry holds the ephemeral port. */
  static final SocketConfigurer LINGER_0 =
      ch -> ch.setOption(StandardSocketOptions.SO_LINGER, 0);

  static final int CONNECT_TIMEOUT_MS = 10_000;

  /** What every client shares: targets, bounds, counters. */
  static final class Ctx {
    final InetSocketAddress[] targets;
    final int conc;
    final long maxStarts; // -1: unbounded (time-bounded only)
    final long hardEndNanos; // no connect starts after this, whatever happens
    final AtomicLong started = new AtomicLong();
    final LongAdder completed = new LongAdder();
    final LongAdder errors = new LongAdder();
    final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    volatile boolean stop;
    final CountDownLatch drained;
    // The measured window's ends, taken by whichever thread first sees the time pass: with 1024
    // busy platform threads on one CPU a sleeping main thread can wake seconds late.
    final long windowStartNanos;
    final boolean timed;
    boolean countFailures; // --failures: the window counts failed probes too
    final AtomicReference<Mark> start = new AtomicReference<>();
    final AtomicReference<Mark> end = new AtomicReference<>();

    Ctx(InetSocketAddress[] targets, int conc, long maxStarts, long windowStartNanos,
        long hardEndNanos, int workers) {
      this.targets = targets;
      this.conc = conc;
      this.maxStarts = maxStarts;
      this.windowStartNanos = windowStartNanos;
      this.hardEndNanos = hardEndNanos;
      this.timed = maxStarts < 0;
      this.drained = new CountDownLatch(workers);
    }

    Mark mark() {
      return new Mark(countFailures ? done() : completed.sum(), allocated(), Proc.cpuSeconds(),
          System.nanoTime());
    }

    /** One of {@code inFlight} chains of connects has ended; the last one drains the client. */
    void chainEnded(AtomicLong inFlight) {
      if (inFlight.decrementAndGet() == 0) {
        drained.countDown();
      }
    }

    /** Claims the next connect: its sequence number, or -1 when the run is over. */
    long claim() {
      long now = System.nanoTime();
      if (timed && start.get() == null && now - windowStartNanos >= 0) {
        start.compareAndSet(null, mark());
      }
      if (stop || now - hardEndNanos > 0) {
        if (timed && end.get() == null) {
          end.compareAndSet(null, mark());
        }
        return -1;
      }
      long n = started.getAndIncrement();
      return maxStarts < 0 || n < maxStarts ? n : -1;
    }

    InetSocketAddress target(long n) {
      return targets[(int) (n % targets.length)];
    }

    void ok() {
      completed.increment();
    }

    void failed(String kind) {
      errors.increment();
      errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    long done() {
      return completed.sum() + errors.sum();
    }
  }

  /** Counters at one end of the measured window. */
  record Mark(long completed, long allocated, double cpu, long nanos) {}

  /** A client: starts its work and returns; counts into the context; ends a worker per latch. */
  interface Client extends AutoCloseable {
    void start(Ctx ctx) throws Exception;

    @Override
    default void close() {}
  }

  public static void main(String[] args) throws Exception {
    String name = null;
    int conc = 64;
    double warmup = 1;
    double duration = 5;
    long count = -1;
    boolean failures = false;
    List<InetSocketAddress> targets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--client" -> name = args[++i];
        case "--conc" -> conc = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Double.parseDouble(args[++i]);
        case "--duration" -> duration = Double.parseDouble(args[++i]);
        case "--count" -> count = Long.parseLong(args[++i]);
        case "--failures" -> failures = true;
        default -> {
          Target t = Target.parse(args[i]);
          targets.add(new InetSocketAddress(t.literal().orElseThrow(), t.port()));
        }
      }
    }
    if (name == null || targets.isEmpty()) {
      System.err.println("usage: ConnectBench --client " + String.join("|", CLIENTS)
          + " --conc C --warmup S --duration S [--count N] [--failures] ADDR:PORT...");
      System.exit(2);
    }
    if (count >= 0) {
      warmup = 0;
    }
    Client client = create(name, targets.getFirst(), conc);
    if (client == null) {
      return; // unavailable here; already said so
    }
    int workers = name.startsWith("tcpdial-sync") || name.equals("jdk-virtual") ? conc : 1;
    long t0 = System.nanoTime();
    long hardEnd = t0 + (long) ((warmup + duration) * 1e9);
    long windowStart = t0 + (long) (warmup * 1e9);
    Ctx ctx = new Ctx(targets.toArray(InetSocketAddress[]::new), conc, count, windowStart, hardEnd,
        workers);
    ctx.countFailures = failures;
    if (count >= 0) {
      ctx.start.set(ctx.mark());
    }
    client.start(ctx);

    sleepUntil(windowStart);
    ctx.start.compareAndSet(null, ctx.mark()); // no worker got there first (all of them blocked)
    if (count >= 0) {
      while (ctx.done() < count && System.nanoTime() - hardEnd < 0) {
        Thread.sleep(5);
      }
      ctx.end.set(ctx.mark());
    } else {
      sleepUntil(hardEnd);
      long give = System.nanoTime() + 10_000_000_000L;
      while (ctx.end.get() == null && System.nanoTime() - give < 0) {
        Thread.sleep(1);
      }
      ctx.end.compareAndSet(null, ctx.mark());
    }
    Mark s0 = ctx.start.get();
    Mark s1 = ctx.end.get();
    long c0 = s0.completed();
    long a0 = s0.allocated();
    double cpu0 = s0.cpu();
    long m0 = s0.nanos();
    long c1 = s1.completed();
    long a1 = s1.allocated();
    double cpu1 = s1.cpu();
    long m1 = s1.nanos();
    ctx.stop = true;
    if (!ctx.drained.await(15, TimeUnit.SECONDS)) {
      System.err.println(name + ": connects still in flight 15 s after the end");
    }
    client.close();
    String who = name;
    sorted(ctx.errorKinds).forEach((k, v) -> System.err.println(who + ": " + v + " x " + k));
    System.out.printf("result client=%s conc=%d connects=%d secs=%.3f cpu_secs=%.3f rss_kb=%d"
            + " errors=%d total=%d alloc_per_connect=%.0f%n", name, conc, c1 - c0, (m1 - m0) / 1e9,
        cpu1 - cpu0, Proc.peakRssKb(), ctx.errors.sum(), ctx.completed.sum(),
        c1 > c0 && a0 >= 0 ? (double) (a1 - a0) / (c1 - c0) : Double.NaN);
    System.out.flush();
    System.exit(0); // non-daemon pools of the peers must not keep the process alive
  }

  /** Bytes allocated on the Java heap so far by every thread of the process, or -1. */
  static long allocated() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t) {
      return t.getTotalThreadAllocatedBytes();
    }
    return -1;
  }

  private static void sleepUntil(long deadline) throws InterruptedException {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  static Client create(String name, InetSocketAddress probe, int conc) {
    return switch (name) {
      case "tcpdial-async" -> new TcpdialAsync(Engine.JDK, false);
      case "tcpdial-async-dial" -> new TcpdialAsync(Engine.JDK, true);
      case "tcpdial-probe-native" -> nativeOrNull("tcpdial-probe-native", Engine.EPOLL, probe, conc);
      case "tcpdial-probe-uring" -> nativeOrNull("tcpdial-probe-uring", Engine.URING, probe, conc);
      case "tcpdial-each-native" -> eachOrNull("tcpdial-each-native", Engine.EPOLL, probe, conc);
      case "tcpdial-each-uring" -> eachOrNull("tcpdial-each-uring", Engine.URING, probe, conc);
      case "tcpdial-sync-virtual" -> new TcpdialSync(true);
      case "tcpdial-sync-platform" -> new TcpdialSync(false);
      case "jdk-nio" -> new JdkNio();
      case "jdk-virtual" -> new JdkVirtual();
      case "netty-nio" -> new NettyClient(NettyClient.Kind.NIO);
      case "netty-epoll" -> {
        if (!Epoll.isAvailable()) {
          System.out.println("result client=netty-epoll conc=" + conc + " unavailable="
              + String.valueOf(Epoll.unavailabilityCause()).replace(' ', '_'));
          yield null;
        }
        yield new NettyClient(NettyClient.Kind.EPOLL);
      }
      case "netty-uring" -> {
        if (!IoUring.isAvailable()) {
          System.out.println("result client=netty-uring conc=" + conc + " unavailable="
              + String.valueOf(IoUring.unavailabilityCause()).replace(' ', '_'));
          yield null;
        }
        yield new NettyClient(NettyClient.Kind.URING);
      }
      default -> throw new IllegalArgumentException("unknown client " + name + "; one of " + CLIENTS);
    };
  }

  /**
   * The native probe engine on {@code engine} (epoll or io_uring), when this build has it and it
   * works here; else says why not.
   */
  private static Client nativeOrNull(String name, Engine engine, InetSocketAddress probe,
      int conc) {
    // No socket configurer: the native engine takes none (it fails every probe with one) and
    // closes every probe with SO_LINGER 0 by itself.
    try (Dialer d = Dialer.builder().mode(Mode.SYNC).engine(engine)
        .connectTimeout(Duration.ofSeconds(2)).build()) {
      DialResult r = d.probe(new Target(probe.getAddress().getHostAddress(), probe.getPort()));
      // a closed port (--failures) refuses: the engine works all the same
      if (r.engine() != engine
          || (r.outcome() != Outcome.CONNECTED && r.outcome() != Outcome.REFUSED)) {
        System.out.println("result client=" + name + " conc=" + conc
            + " unavailable=probe_engine_"
            + r.engine().label() + "_outcome_" + r.outcome().label());
        return null;
      }
    }
    return new TcpdialAsync(engine, false);
  }

  /** {@link #nativeOrNull}'s check, then the bulk API ({@code Dialer.probeEach}) on that engine. */
  private static Client eachOrNull(String name, Engine engine, InetSocketAddress probe, int conc) {
    return nativeOrNull(name, engine, probe, conc) == null ? null : new TcpdialEach(engine);
  }

  static Target target(InetSocketAddress a) {
    return new Target(a.getAddress().getHostAddress(), a.getPort());
  }

  // ---- tcpdial, bulk ----

  /**
   * {@code Dialer.probeEach}, the API {@code tcpdial scan} runs on: one call, the window kept full
   * by the engine's loop from its own completions; the targets' iterator claims connects from the
   * run until it is over. Results arrive on the loop thread.
   */
  static final class TcpdialEach implements Client {
    private final Engine engine;
    private Dialer dialer;
    private Thread caller;

    TcpdialEach(Engine engine) {
      this.engine = engine;
    }

    @Override
    public void start(Ctx ctx) {
      Target[] targets = new Target[ctx.targets.length];
      for (int i = 0; i < targets.length; i++) {
        targets[i] = target(ctx.targets[i]);
      }
      dialer = Dialer.builder().mode(Mode.ASYNC)
          .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS)).engine(engine).build();
      java.util.Iterator<Target> claims = new java.util.Iterator<>() {
        long claimed = -2; // -2: not claimed yet; -1: the run is over

        @Override
        public boolean hasNext() {
          if (claimed == -2) {
            claimed = ctx.claim();
          }
          return claimed >= 0;
        }

        @Override
        public Target next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          Target t = targets[(int) (claimed % targets.length)];
          claimed = -2;
          return t;
        }
      };
      AtomicLong chains = new AtomicLong(1);
      caller = Thread.ofPlatform().name("probeEach").start(() -> {
        try {
          dialer.probeEach(claims, ctx.conc, r -> {
            if (r.connected()) {
              ctx.ok();
            } else {
              ctx.failed(r.outcome().label() + " " + r.errno());
            }
          });
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          ctx.chainEnded(chains);
        }
      });
    }

    @Override
    public void close() {
      if (caller != null) {
        try {
          caller.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (dialer != null) {
        dialer.close();
      }
    }
  }

  // ---- tcpdial, event loop ----

  /**
   * Dialer ASYNC with {@code Runnable::run}: results arrive on the event-loop thread, which starts
   * the next connect at once. probeAsync (connect, close), or dialAsync and a close of ours. The
   * engine is forced: JDK (tcpdial-async*), or NATIVE (tcpdial-probe-native).
   */
  static final class TcpdialAsync implements Client {
    private final Engine engine;
    private final boolean dial;
    private Dialer dialer;
    private Ctx ctx;
    private Target[] targets;
    private final AtomicLong inFlight = new AtomicLong();
    /**
     * Per thread: {depth, owed}. A result can come inline, inside the probeAsync that the previous
     * result started (the native engine answers a loopback connect inside it): then the next
     * connect is owed and started by the outermost call, in a loop, instead of recursing or
     * handing it to another thread.
     */
    private static final ThreadLocal<int[]> TRAMPOLINE = ThreadLocal.withInitial(() -> new int[2]);

    TcpdialAsync(Engine engine, boolean dial) {
      this.engine = engine;
      this.dial = dial;
    }

    @Override
    public void start(Ctx ctx) {
      this.ctx = ctx;
      this.targets = new Target[ctx.targets.length];
      for (int i = 0; i < targets.length; i++) {
        targets[i] = target(ctx.targets[i]);
      }
      Dialer.Builder b = Dialer.builder().mode(Mode.ASYNC).executor(Runnable::run)
          .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS)).engine(engine);
      if (dial) {
        // dialAsync hands the channel over: our close must reset it. A probe closes with a reset
        // by itself on either engine (SO_LINGER 0), so probes get no configurer.
        b.socketConfigurer(LINGER_0);
      }
      dialer = b.build();
      inFlight.set(ctx.conc);
      for (int i = 0; i < ctx.conc; i++) {
        next();
      }
    }

    private void next() {
      long n = ctx.claim();
      if (n < 0) {
        ctx.chainEnded(inFlight);
        return;
      }
      Target t = targets[(int) (n % targets.length)];
      if (dial) {
        dialer.dialAsync(t).whenComplete((ch, e) -> {
          if (ch != null) {
            try {
              ch.close();
              ctx.ok();
            } catch (IOException x) {
              ctx.failed("close " + x);
            }
          } else {
            ctx.failed(String.valueOf(e));
          }
          again();
        });
      } else {
        dialer.probeAsync(t).whenComplete((r, e) -> {
          if (r != null && r.connected()) {
            ctx.ok();
          } else {
            ctx.failed(r != null ? r.outcome().label() + " " + r.errno() : String.valueOf(e));
          }
          again();
        });
      }
    }

    private void again() {
      int[] t = TRAMPOLINE.get();
      if (t[0] > 0) {
        t[1]++; // inside next() on this thread: its caller starts it
        return;
      }
      t[0]++;
      try {
        next();
        while (t[1] > 0) {
          t[1]--;
          next();
        }
      } finally {
        t[0]--;
      }
    }

    @Override
    public void close() {
      if (dialer != null) {
        dialer.close();
      }
    }
  }

  // ---- tcpdial, blocking ----

  /** Dialer SYNC on the JDK engine, probe() in a loop on each of C threads, virtual or platform. */
  static final class TcpdialSync implements Client {
    private final boolean virtual;
    private Dialer dialer;

    TcpdialSync(boolean virtual) {
      this.virtual = virtual;
    }

    @Override
    public void start(Ctx ctx) {
      // No configurer: a probe closes its connection with a reset (SO_LINGER 0) by itself.
      dialer = Dialer.builder().mode(Mode.SYNC).engine(Engine.JDK)
          .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS)).build();
      Target[] targets = new Target[ctx.targets.length];
      for (int i = 0; i < targets.length; i++) {
        targets[i] = target(ctx.targets[i]);
      }
      Thread.Builder tb = virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon(true).stackSize(256 << 10);
      for (int w = 0; w < ctx.conc; w++) {
        tb.start(() -> {
          try {
            long n;
            while ((n = ctx.claim()) >= 0) {
              DialResult r = dialer.probe(targets[(int) (n % targets.length)]);
              if (r.connected()) {
                ctx.ok();
              } else {
                ctx.failed(r.outcome().label() + " " + r.errno());
              }
            }
          } finally {
            ctx.drained.countDown();
          }
        });
      }
    }

    @Override
    public void close() {
      if (dialer != null) {
        dialer.close();
      }
    }
  }

  // ---- JDK peers ----

  /** Raw NIO: one thread, one Selector, non-blocking connect and finishConnect, close. */
  static final class JdkNio implements Client {
    @Override
    public void start(Ctx ctx) {
      Thread.ofPlatform().name("jdk-nio").daemon(true).start(() -> {
        try (Selector sel = Selector.open()) {
          int inFlight = 0;
          boolean issuing = true;
          while (true) {
            while (issuing && inFlight < ctx.conc) {
              long n = ctx.claim();
              if (n < 0) {
                issuing = false;
                break;
              }
              InetSocketAddress to = ctx.target(n);
              SocketChannel ch = null;
              try {
                ch = SocketChannel.open(StandardProtocolFamily.INET);
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                if (ch.connect(to)) {
                  ch.close();
                  ctx.ok();
                } else {
                  ch.register(sel, SelectionKey.OP_CONNECT);
                  inFlight++;
                }
              } catch (IOException e) {
                ctx.failed(e.toString());
                if (ch != null) {
                  ch.close();
                }
              }
            }
            if (!issuing && inFlight == 0) {
              break;
            }
            sel.select(100);
            Iterator<SelectionKey> it = sel.selectedKeys().iterator();
            while (it.hasNext()) {
              SelectionKey k = it.next();
              it.remove();
              SocketChannel ch = (SocketChannel) k.channel();
              try {
                if (ch.finishConnect()) {
                  ch.close();
                  inFlight--;
                  ctx.ok();
                }
              } catch (IOException e) {
                ch.close();
                inFlight--;
                ctx.failed(e.toString());
              }
            }
            if (System.nanoTime() - ctx.hardEndNanos > 10_000_000_000L) {
              break; // bounded: the server stopped answering
            }
          }
        } catch (IOException e) {
          System.err.println("jdk-nio: " + e);
        } finally {
          ctx.drained.countDown();
        }
      });
    }
  }

  /** Plain blocking {@code Socket.connect} (with the same 10 s timeout) on C virtual threads. */
  static final class JdkVirtual implements Client {
    @Override
    public void start(Ctx ctx) {
      for (int w = 0; w < ctx.conc; w++) {
        Thread.startVirtualThread(() -> {
          try {
            long n;
            while ((n = ctx.claim()) >= 0) {
              InetSocketAddress to = ctx.target(n);
              try (Socket s = new Socket()) {
                s.setSoLinger(true, 0);
                s.connect(to, CONNECT_TIMEOUT_MS);
                ctx.ok();
              } catch (IOException e) {
                ctx.failed(e.toString());
              }
            }
          } finally {
            ctx.drained.countDown();
          }
        });
      }
    }
  }

  // ---- Netty ----

  /** Netty 4.2, one event-loop thread, NIO or epoll transport: Bootstrap.connect, then close. */
  static final class NettyClient implements Client {
    @ChannelHandler.Sharable
    static final class Nothing extends ChannelInboundHandlerAdapter {}

    enum Kind { NIO, EPOLL, URING }

    private final Kind kind;
    private EventLoopGroup group;
    private Bootstrap bootstrap;
    private Ctx ctx;
    private final AtomicLong inFlight = new AtomicLong();

    NettyClient(Kind kind) {
      this.kind = kind;
    }

    @Override
    public void start(Ctx ctx) {
      this.ctx = ctx;
      group = new MultiThreadIoEventLoopGroup(1, switch (kind) {
        case NIO -> NioIoHandler.newFactory();
        case EPOLL -> EpollIoHandler.newFactory();
        case URING -> IoUringIoHandler.newFactory();
      });
      bootstrap = new Bootstrap().group(group)
          .channel(switch (kind) {
            case NIO -> NioSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case URING -> IoUringSocketChannel.class;
          })
          .option(ChannelOption.SO_LINGER, 0)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
          .handler(new Nothing());
      inFlight.set(ctx.conc);
      // Start from the loop thread, as the later connects are.
      group.next().execute(() -> {
        for (int i = 0; i < ctx.conc; i++) {
          next();
        }
      });
    }

    private void next() {
      long n = ctx.claim();
      if (n < 0) {
        ctx.chainEnded(inFlight);
        return;
      }
      bootstrap.connect(ctx.target(n)).addListener((ChannelFutureListener) f -> {
        Channel ch = f.channel();
        if (f.isSuccess()) {
          ctx.ok();
        } else {
          ctx.failed(String.valueOf(f.cause()));
        }
        ch.close();
        next();
      });
    }

    @Override
    public void close() {
      if (group != null) {
        try {
          group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Error kinds in a stable order, for the report. */
  static Map<String, Long> sorted(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
