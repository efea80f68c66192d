package dev.tcpdial.bench;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak: many mixed probes on every engine, then what is left behind. Loopback only.
 *
 * <pre>
 * Soak --dials N [--engines jdk,native] [--conc C] [--max-seconds S] ACCEPT_ADDR:PORT...
 * </pre>
 *
 * <p>Per engine, {@code N} probes in rounds of 10,000 at concurrency {@code C}: ~65% to the
 * accept-and-close listeners given (connected), ~30% to a port bound but not listening (refused),
 * ~5% to a listener whose accept queue is full (SYNs dropped: timeout after 100 ms); beside them a
 * stream of probes cancelled 0-2 ms into their flight; every tenth round (from the second) a burst far past the
 * process's descriptor limit (local_resources, then it must recover). Before and after: open
 * descriptors against the baseline, heap used after a full GC (start = after the first round,
 * when classes are loaded and code is compiled), peak RSS. Engines come from {@link
 * Engine#values()} unless named.
 *
 * <p>Per engine a line {@code engine=...}; last line {@code SOAK dials=N leaked_fds=N
 * heap_growth_pct=X rss_mb=N}. Exits 1 when a descriptor leaked or a probe ended in an outcome
 * that the mix cannot explain.
 */
public final class Soak {
  private static final int ROUND = 10_000;
  private static final Duration TIMEOUT = Duration.ofMillis(100);

  private final List<InetSocketAddress> accepting;
  private final InetSocketAddress refusing;
  private final InetSocketAddress silent;
  private final int conc;
  private final long deadlineNanos;

  private Soak(List<InetSocketAddress> accepting, InetSocketAddress refusing,
      InetSocketAddress silent, int conc, long deadlineNanos) {
    this.accepting = accepting;
    this.refusing = refusing;
    this.silent = silent;
    this.conc = conc;
    this.deadlineNanos = deadlineNanos;
  }

  /** One engine's counts. */
  private static final class Tally {
    final Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
    final LongAdder unexpected = new LongAdder();
    final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();

    Tally() {
      for (Outcome o : Outcome.values()) {
        outcomes.put(o, new LongAdder());
      }
    }

    final LongAdder late = new LongAdder();

    void add(DialResult r, Outcome... allowed) {
      outcomes.get(r.outcome()).increment();
      if (r.outcome() == Outcome.TIMEOUT && allowed[0] != Outcome.TIMEOUT) {
        // a refusal or a connect that did not come back within our deadline: the machine was
        // too busy to run the loop in time, which the deadline names correctly; counted apart
        late.increment();
        return;
      }
      for (Outcome a : allowed) {
        if (a == r.outcome()) {
          return;
        }
      }
      unexpected.increment();
      if (examples.size() < 5) {
        examples.add(r.target() + " " + r.outcome().label() + " " + r.errno() + " " + r.detail());
      }
    }

    long total() {
      long n = 0;
      for (LongAdder a : outcomes.values()) {
        n += a.sum();
      }
      return n;
    }

    long get(Outcome o) {
      return outcomes.get(o).sum();
    }
  }

  public static void main(String[] args) throws Exception {
    long dials = 1_000_000;
    int conc = 256;
    long maxSeconds = 3_600;
    List<Engine> engines = new ArrayList<>(List.of(Engine.values()));
    List<InetSocketAddress> accepting = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dials" -> dials = Long.parseLong(args[++i]);
        case "--conc" -> conc = Integer.parseInt(args[++i]);
        case "--max-seconds" -> maxSeconds = Long.parseLong(args[++i]);
        case "--engines" -> {
          engines.clear();
          for (String e : args[++i].split(",")) {
            engines.add(Engine.valueOf(e.strip().toUpperCase(Locale.ROOT)));
          }
        }
        default -> {
          Target t = Target.parse(args[i]);
          if (!t.literal().orElseThrow().isLoopbackAddress()) {
            throw new IllegalArgumentException("loopback only: " + t);
          }
          accepting.add(new InetSocketAddress(t.literal().orElseThrow(), t.port()));
        }
      }
    }
    if (accepting.isEmpty() || dials < 1) {
      System.err.println("usage: Soak --dials N [--engines jdk,native] [--conc C] [--max-seconds S] ADDR:PORT...");
      System.exit(2);
    }
    long fdLimit = Proc.fdLimit();
    // A port bound but not listening: a SYN to it gets a reset. A listener never accepting, its
    // queue filled: further SYNs are dropped.
    List<SocketChannel> fillers = new ArrayList<>();
    try (SocketChannel refusingHolder = SocketChannel.open();
        ServerSocketChannel silentListener = ServerSocketChannel.open()) {
      refusingHolder.bind(new InetSocketAddress("127.0.0.1", 0));
      silentListener.bind(new InetSocketAddress("127.0.0.1", 0), 1);
      InetSocketAddress refusing = (InetSocketAddress) refusingHolder.getLocalAddress();
      InetSocketAddress silent = (InetSocketAddress) silentListener.getLocalAddress();
      fillAcceptQueue(silent, fillers);
      Soak soak = new Soak(accepting, refusing, silent, conc,
          System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds));
      System.err.printf("soak: %,d dials per engine on %s, C=%d, fd limit %d, refused %s, silent %s%n",
          dials, engines, conc, fdLimit, refusing, silent);
      // what the JVM opens once on first use (virtual-thread pollers, jars, the engines' links to
      // the C library) belongs to the baseline, not to the soak: one short warm-up per engine
      for (Engine e : engines) {
        soak.warmUp(e);
      }
      Map<String, String> before = fds();
      int baseline = before.size();
      long totalDials = 0;
      long totalLeaked = 0;
      double worstGrowth = Double.NEGATIVE_INFINITY;
      boolean bad = false;
      for (Engine e : engines) {
        Result r = soak.run(e, dials, baseline, fdLimit);
        System.out.println(r.line());
        if (r.leakedFds > 0) {
          Map<String, String> now = fds();
          now.keySet().removeAll(before.keySet());
          System.err.println("soak: descriptors left by " + e.label() + ": " + now);
        }
        totalDials += r.dials;
        totalLeaked += Math.max(0, r.leakedFds);
        worstGrowth = Math.max(worstGrowth, r.heapGrowthPct);
        bad |= r.leakedFds > 0 || r.unexpected > 0 || r.dials < dials;
      }
      System.out.printf(Locale.ROOT, "SOAK dials=%d leaked_fds=%d heap_growth_pct=%.1f rss_mb=%d%n",
          totalDials, totalLeaked, worstGrowth, Proc.peakRssKb() / 1024);
      for (SocketChannel c : fillers) {
        c.close();
      }
      System.exit(bad ? 1 : 0);
    }
  }

  private void warmUp(Engine engine) throws InterruptedException {
    try (Dialer dialer = Dialer.builder().engine(engine).connectTimeout(TIMEOUT).build()) {
      mixed(dialer, new Tally(), 200);
    }
  }

  /** Open descriptors: number to what it points at. */
  private static Map<String, String> fds() {
    Map<String, String> out = new java.util.TreeMap<>();
    try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      s.forEach(p -> {
        try {
          out.put(p.getFileName().toString(), java.nio.file.Files.readSymbolicLink(p).toString());
        } catch (IOException e) {
          // closed meanwhile (the listing's own descriptor)
        }
      });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  record Result(Engine engine, long dials, long connected, long refused, long timeout,
      long cancelled, long local, long late, long unexpected, int leakedFds, double heapStartMb,
      double heapEndMb, double heapGrowthPct, double seconds, List<String> examples) {
    String line() {
      return String.format(Locale.ROOT,
          "engine=%s dials=%d connected=%d refused=%d timeout=%d cancelled=%d local_resources=%d"
              + " late_timeouts=%d unexpected=%d leaked_fds=%d heap_start_mb=%.1f heap_end_mb=%.1f heap_growth_pct=%.1f"
              + " seconds=%.1f rate=%.0f/s%s",
          engine.label(), dials, connected, refused, timeout, cancelled, local, late, unexpected,
          leakedFds, heapStartMb, heapEndMb, heapGrowthPct, seconds, dials / seconds,
          examples.isEmpty() ? "" : " examples=" + examples);
    }
  }

  private Result run(Engine engine, long dials, int baselineFds, long fdLimit)
      throws InterruptedException {
    Tally tally = new Tally();
    long t0 = System.nanoTime();
    double heapStart = 0;
    int round = 0;
    try (Dialer dialer = Dialer.builder().engine(engine).connectTimeout(TIMEOUT).build()) {
      while (tally.total() < dials && System.nanoTime() - deadlineNanos < 0) {
        round++;
        long left = dials - tally.total();
        if (round % 10 == 2 && fdLimit > 0 && fdLimit <= 65_536) {
          burst(dialer, tally, (int) Math.min(left, fdLimit + 1_000), (int) fdLimit + 1_000);
        } else {
          mixed(dialer, tally, (int) Math.min(left, ROUND));
        }
        if (round == 1) {
          heapStart = heapAfterGcMb();
        }
      }
    }
    // the engine's threads and descriptors go with close(); give the kernel a moment for the last
    int leaked = 0;
    for (int i = 0; i < 50; i++) {
      leaked = Proc.openFds() - baselineFds;
      if (leaked <= 0) {
        break;
      }
      Thread.sleep(100);
    }
    double heapEnd = heapAfterGcMb();
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(engine, tally.total(), tally.get(Outcome.CONNECTED), tally.get(Outcome.REFUSED),
        tally.get(Outcome.TIMEOUT), tally.get(Outcome.CANCELLED), tally.get(Outcome.LOCAL_RESOURCES),
        tally.late.sum(), tally.unexpected.sum(), leaked, heapStart, heapEnd,
        heapStart > 0 ? (heapEnd - heapStart) * 100 / heapStart : 0, seconds,
        List.copyOf(tally.examples));
  }

  /** A round of {@code n} probes: connected, refused, timeout, and beside them cancelled ones. */
  private void mixed(Dialer dialer, Tally tally, int n) throws InterruptedException {
    int cancels = n / 20;
    int probes = n - cancels;
    Thread canceller = Thread.ofVirtual().start(() -> {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      Target t = Target.of(silent);
      List<CompletableFuture<DialResult>> inFlight = new ArrayList<>();
      for (int i = 0; i < cancels; i++) {
        inFlight.add(dialer.probeAsync(i % 2 == 0 ? t : Target.of(pickAccepting(i))));
        if (inFlight.size() == 16 || i == cancels - 1) {
          sleepMicros(r.nextInt(2_000));
          for (CompletableFuture<DialResult> g : inFlight) {
            if (g.cancel(true)) {
              tally.outcomes.get(Outcome.CANCELLED).increment();
            } else {
              // it ended before the cancel came
              tally.add(g.join(), Outcome.CONNECTED, Outcome.TIMEOUT, Outcome.CANCELLED);
            }
          }
          inFlight.clear();
        }
      }
    });
    Iterator<Target> targets = new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < probes;
      }

      @Override
      public Target next() {
        if (i >= probes) {
          throw new NoSuchElementException();
        }
        int k = i++ % 20;
        return k == 0 ? Target.of(silent) : k <= 6 ? Target.of(refusing) : Target.of(pickAccepting(i));
      }
    };
    dialer.probeEach(targets, conc, r -> tally.add(r, expectedFor(r.target())));
    canceller.join();
  }

  /** Far more probes at once than descriptors allowed: some end local_resources, none other. */
  private void burst(Dialer dialer, Tally tally, int n, int window) throws InterruptedException {
    Iterator<Target> targets = new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public Target next() {
        if (i >= n) {
          throw new NoSuchElementException();
        }
        i++;
        return Target.of(silent);
      }
    };
    dialer.probeEach(targets, window, r -> tally.add(r, Outcome.TIMEOUT, Outcome.LOCAL_RESOURCES,
        Outcome.NO_LOCAL_ADDRESS));
  }

  private Outcome[] expectedFor(Target t) {
    if (t.port() == silent.getPort()) {
      return new Outcome[] {Outcome.TIMEOUT};
    }
    if (t.port() == refusing.getPort()) {
      return new Outcome[] {Outcome.REFUSED};
    }
    return new Outcome[] {Outcome.CONNECTED};
  }

  private InetSocketAddress pickAccepting(int i) {
    return accepting.get(Math.floorMod(i, accepting.size()));
  }

  private static void sleepMicros(long us) {
    try {
      Thread.sleep(Duration.ofNanos(us * 1_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static double heapAfterGcMb() {
    var mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return mem.getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }

  /** Connects to {@code listener} (backlog 1, never accepting) until a connect stays unanswered. */
  private static void fillAcceptQueue(InetSocketAddress listener, List<SocketChannel> keep)
      throws IOException {
    for (int i = 0; i < 64; i++) {
      SocketChannel c = SocketChannel.open();
      c.configureBlocking(false);
      keep.add(c);
      if (!c.connect(listener)) {
        long until = System.nanoTime() + 200_000_000L;
        boolean done = false;
        while (System.nanoTime() < until && !done) {
          try {
            done = c.finishConnect();
          } catch (IOException e) {
            done = true;
          }
          Thread.onSpinWait();
        }
        if (!done) {
          return; // this SYN was dropped: the queue is full
        }
      }
    }
    throw new IOException("could not fill the accept queue of " + listener);
  }
}
