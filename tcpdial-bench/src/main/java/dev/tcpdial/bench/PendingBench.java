package dev.tcpdial.bench;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Target;
import dev.tcpdial.internal.Clock;
import dev.tcpdial.internal.DialEngine;
import dev.tcpdial.internal.EventLoop;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Pending-connect scale: as many connects in flight at once as the descriptor limit allows, to
 * loopback listeners that never answer (their accept queues are full, so the kernel drops the SYN
 * and the connect stays in SYN_SENT), spread over several destination ports. Every dial has its
 * own timeout, uniform in [1 s, 5 s]; all of them end by that timeout.
 *
 * <p>Measures the Java heap each pending dial holds (heap after GC while all are pending, minus
 * the heap after GC before the first was started, divided by the number pending), the resident
 * set, and the deadline lateness: when the dial ended against when it should have.
 *
 * <pre>PendingBench --client tcpdial|jdk-nio [--count N] [--ports 8] [--margin 400]</pre>
 *
 * <p>tcpdial has no per-dial timeout: a dialer's connectTimeout and deadline hold for every dial.
 * Dialers differing only in them (1.00 s to 5.00 s in 10 ms steps) are made to share one event
 * loop, so this is still one thread, one selector, one timer queue, as with one dialer.
 */
public final class PendingBench {

  static final long MIN_MS = 1000;
  static final long MAX_MS = 5000;
  static final long STEP_MS = 10;

  public static void main(String[] args) throws Exception {
    String client = "tcpdial";
    long count = -1;
    int ports = 8;
    int margin = 400;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--client" -> client = args[++i];
        case "--count" -> count = Long.parseLong(args[++i]);
        case "--ports" -> ports = Integer.parseInt(args[++i]);
        case "--margin" -> margin = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (ports < 1 || ports > 64) {
      throw new IllegalArgumentException("--ports 1 to 64");
    }
    List<ServerSocketChannel> listeners = new ArrayList<>();
    List<SocketChannel> fillers = new ArrayList<>();
    List<InetSocketAddress> dead = fullListeners(ports, listeners, fillers);
    long limit = Proc.fdLimit();
    int n = (int) (count > 0 ? count : Math.max(0, limit - Proc.openFds() - margin));
    System.err.printf("pending %s: %d dials, fd limit %d, %d listeners with full accept queues%n",
        client, n, limit, dead.size());
    Run run = switch (client) {
      case "tcpdial" -> new TcpdialRun(dead);
      case "jdk-nio" -> new NioRun(dead);
      default -> throw new IllegalArgumentException("unknown client " + client);
    };
    run.warmUp();
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long heap0 = heapAfterGc(mem);
    long rss0 = Proc.rssKb();

    long[] timeouts = new long[n];
    SplittableRandom rnd = new SplittableRandom(42);
    long steps = (MAX_MS - MIN_MS) / STEP_MS + 1;
    for (int i = 0; i < n; i++) {
      timeouts[i] = MIN_MS + rnd.nextLong(steps) * STEP_MS;
    }
    // Round 1, memory: all pending at once, heap measured after GC while they are.
    long t0 = System.nanoTime();
    run.startAll(timeouts);
    long startNanos = System.nanoTime() - t0;
    long heap1 = heapAfterGc(mem);
    long pendingNow = run.pending();
    long rss1 = Proc.rssKb();
    long measuredAt = System.nanoTime() - t0;
    boolean ended1 = run.awaitAll(TimeUnit.MILLISECONDS.toNanos(MAX_MS + 15_000));
    String outcomes1 = run.outcomes();
    // Round 2, lateness: the same dials again, nothing else running in this process (the full
    // GCs of round 1 would otherwise stop the loop while deadlines pass).
    run.reset();
    heapAfterGc(mem); // both clients start round 2 with an empty young generation
    long[] gc0 = gcTotals();
    double cpu0 = Proc.cpuSeconds();
    long t2 = System.nanoTime();
    run.origin = t2;
    run.startAll(timeouts);
    long start2Nanos = System.nanoTime() - t2;
    boolean ended = run.awaitAll(TimeUnit.MILLISECONDS.toNanos(MAX_MS + 15_000)) && ended1;
    long[] gc1 = gcTotals();
    double cpu1 = Proc.cpuSeconds();
    Histogram late = run.lateness();
    double perDial = pendingNow > 0 ? (double) (heap1 - heap0) / pendingNow : Double.NaN;
    double rssPerDial = pendingNow > 0 ? (rss1 - rss0) * 1024.0 / pendingNow : Double.NaN;
    System.err.println("pending " + client + ": outcomes " + outcomes1 + ", then " + run.outcomes()
        + (ended ? "" : " (some had not ended 15 s after the last deadline)"));
    System.err.println("pending " + client + ": ends over 5 ms late, by deadline (ms after the"
        + " first start, 100 ms buckets): " + run.lateByDeadline);
    System.out.printf("pending client=%s dials=%d ports=%d start_ms=%.0f/%.0f measured_at_ms=%.0f"
            + " pending_at_measure=%d heap_base_kb=%d heap_kb=%d heap_per_dial_bytes=%.0f"
            + " rss_base_kb=%d rss_kb=%d rss_per_dial_bytes=%.0f rss_peak_kb=%d"
            + " late_p50_ms=%.3f late_p99_ms=%.3f late_max_ms=%.3f early=%d ended=%d"
            + " gc_count=%d gc_ms=%d cpu_us_per_dial=%.1f%n",
        client, n, dead.size(), startNanos / 1e6, start2Nanos / 1e6, measuredAt / 1e6, pendingNow, heap0 >> 10,
        heap1 >> 10, perDial, rss0, rss1, rssPerDial, Proc.peakRssKb(),
        late.getValueAtPercentile(50) / 1e3, late.getValueAtPercentile(99) / 1e3,
        late.getMaxValue() / 1e3, run.early(), late.getTotalCount(), gc1[0] - gc0[0],
        gc1[1] - gc0[1], n > 0 ? (cpu1 - cpu0) * 1e6 / n : Double.NaN);
    run.close();
    for (SocketChannel f : fillers) {
      f.close();
    }
    for (ServerSocketChannel l : listeners) {
      l.close();
    }
    System.exit(0);
  }

  /** Stop-the-world collections so far and the milliseconds they took (concurrent cycles left out). */
  private static long[] gcTotals() {
    long n = 0;
    long ms = 0;
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc.getName().contains("Concurrent")) {
        continue;
      }
      n += Math.max(0, gc.getCollectionCount());
      ms += Math.max(0, gc.getCollectionTime());
    }
    return new long[] {n, ms};
  }

  private static long heapAfterGc(MemoryMXBean mem) throws InterruptedException {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(20);
      best = Math.min(best, mem.getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  /**
   * Listeners with backlog 1 on 127.0.0.1, never accepting, each with its accept queue filled by
   * two connections: later SYNs are dropped, so connects to them stay pending until their timeout.
   * Checked: a probe connect to each must still be unanswered after 300 ms.
   */
  static List<InetSocketAddress> fullListeners(int ports, List<ServerSocketChannel> listeners,
      List<SocketChannel> fillers) throws IOException, InterruptedException {
    InetAddress lo = InetAddress.getByName("127.0.0.1");
    List<InetSocketAddress> out = new ArrayList<>();
    for (int i = 0; i < ports; i++) {
      ServerSocketChannel l = ServerSocketChannel.open(StandardProtocolFamily.INET);
      l.bind(new InetSocketAddress(lo, 0), 1);
      listeners.add(l);
      InetSocketAddress at = (InetSocketAddress) l.getLocalAddress();
      for (int k = 0; k < 2; k++) {
        SocketChannel f = SocketChannel.open(StandardProtocolFamily.INET);
        f.configureBlocking(false);
        f.setOption(StandardSocketOptions.SO_LINGER, 0);
        f.connect(at);
        fillers.add(f);
      }
      out.add(at);
    }
    Thread.sleep(200);
    List<SocketChannel> probes = new ArrayList<>();
    for (InetSocketAddress at : out) {
      SocketChannel p = SocketChannel.open(StandardProtocolFamily.INET);
      p.configureBlocking(false);
      p.setOption(StandardSocketOptions.SO_LINGER, 0);
      p.connect(at);
      probes.add(p);
    }
    Thread.sleep(300);
    for (int i = 0; i < probes.size(); i++) {
      SocketChannel p = probes.get(i);
      boolean answered;
      try {
        answered = p.finishConnect();
      } catch (IOException e) {
        answered = true;
      }
      p.close();
      if (answered) {
        throw new IllegalStateException("listener " + out.get(i) + " answered a connect: its"
            + " accept queue is not full, the benchmark would measure connects, not pending ones");
      }
    }
    return out;
  }

  /** One way of holding many pending connects. */
  abstract static class Run implements AutoCloseable {
    final Histogram lateness = new Histogram(60_000_000L, 3); // microseconds
    final Map<String, Long> outcomes = new TreeMap<>();
    long early;
    // Late ends (over 5 ms) by when their deadline fell, in 100 ms buckets after the first start.
    final Map<Long, Long> lateByDeadline = new TreeMap<>();
    long origin = System.nanoTime();

    abstract void warmUp() throws Exception;

    abstract void startAll(long[] timeoutsMs) throws Exception;

    abstract long pending();

    abstract boolean awaitAll(long nanos) throws Exception;

    synchronized void reset() {
      lateness.reset();
      outcomes.clear();
      lateByDeadline.clear();
      early = 0;
    }

    synchronized Histogram lateness() {
      return lateness.copy();
    }

    synchronized String outcomes() {
      return outcomes.toString();
    }

    synchronized long early() {
      return early;
    }

    /** Records how late (µs) a dial ended against its deadline. */
    synchronized void record(long lateNanos, String outcome) {
      outcomes.merge(outcome, 1L, Long::sum);
      if (lateNanos > 5_000_000) {
        long deadlineAt = System.nanoTime() - lateNanos - origin;
        lateByDeadline.merge(deadlineAt / 100_000_000 * 100, 1L, Long::sum);
      }
      if (lateNanos < 0) {
        early++;
        lateNanos = 0;
      }
      lateness.recordValue(Math.min(lateness.getHighestTrackableValue(), lateNanos / 1000));
    }

    @Override
    public void close() throws IOException {}
  }

  /** tcpdial ASYNC: one event loop shared by dialers that differ only in their timeout. */
  static final class TcpdialRun extends Run {
    final List<InetSocketAddress> dead;
    final Target[] targets;
    final Dialer[] dialers; // index: (timeout - MIN_MS) / STEP_MS
    final EventLoop loop = EventLoop.start("tcpdial-loop", Clock.SYSTEM);
    final AtomicLong started = new AtomicLong();
    final AtomicLong ended = new AtomicLong();
    CountDownLatch all;

    TcpdialRun(List<InetSocketAddress> dead) throws ReflectiveOperationException {
      this.dead = dead;
      this.targets = dead.stream().map(a -> new Target("127.0.0.1", a.getPort())).toArray(Target[]::new);
      int steps = (int) ((MAX_MS - MIN_MS) / STEP_MS + 1);
      dialers = new Dialer[steps];
      Field engineField = Dialer.class.getDeclaredField("engine");
      engineField.setAccessible(true);
      Field loopField = DialEngine.class.getDeclaredField("loop");
      loopField.setAccessible(true);
      for (int i = 0; i < steps; i++) {
        Duration t = Duration.ofMillis(MIN_MS + i * STEP_MS);
        dialers[i] = Dialer.builder().mode(Mode.ASYNC).engine(dev.tcpdial.Engine.JDK)
            .executor(Runnable::run).connectTimeout(t).deadline(t)
            .socketConfigurer(ConnectBench.LINGER_0).build();
        loopField.set(engineField.get(dialers[i]), loop);
      }
    }

    @Override
    void warmUp() throws Exception {
      // Classes loaded and the paths compiled: short dials that time out, 200 ms each.
      try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(dev.tcpdial.Engine.JDK)
          .executor(Runnable::run).connectTimeout(Duration.ofMillis(200))
          .socketConfigurer(ConnectBench.LINGER_0).build()) {
        for (int round = 0; round < 3; round++) {
          List<java.util.concurrent.CompletableFuture<DialResult>> fs = new ArrayList<>();
          for (int i = 0; i < 1000; i++) {
            fs.add(d.probeAsync(targets[i % targets.length]));
          }
          for (var f : fs) {
            f.get(10, TimeUnit.SECONDS);
          }
        }
      }
    }

    @Override
    void startAll(long[] timeoutsMs) {
      all = new CountDownLatch(timeoutsMs.length);
      for (int i = 0; i < timeoutsMs.length; i++) {
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutsMs[i]);
        Dialer d = dialers[(int) ((timeoutsMs[i] - MIN_MS) / STEP_MS)];
        started.incrementAndGet();
        d.probeAsync(targets[i % targets.length]).whenComplete((r, e) -> {
          ended.incrementAndGet();
          if (r != null) {
            record(r.elapsed().toNanos() - timeoutNanos,
                r.outcome().label() + (r.errno() != null ? "/" + r.errno().name() : ""));
          } else {
            record(0, String.valueOf(e));
          }
          all.countDown();
        });
      }
    }

    @Override
    long pending() {
      return started.get() - ended.get();
    }

    @Override
    boolean awaitAll(long nanos) throws InterruptedException {
      return all.await(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
      for (Dialer d : dialers) {
        d.close();
      }
      loop.close();
    }
  }

  /** Raw JDK NIO: one Selector, a priority queue of deadlines, on this thread. */
  static final class NioRun extends Run {
    final List<InetSocketAddress> dead;
    final Selector selector;
    final PriorityQueue<Conn> deadlines = new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
    long open;

    static final class Conn {
      final SocketChannel ch;
      final long deadline;
      SelectionKey key;

      Conn(SocketChannel ch, long deadline) {
        this.ch = ch;
        this.deadline = deadline;
      }
    }

    NioRun(List<InetSocketAddress> dead) throws IOException {
      this.dead = dead;
      this.selector = Selector.open();
    }

    @Override
    void warmUp() throws Exception {
      for (int round = 0; round < 3; round++) {
        long[] t = new long[1000];
        java.util.Arrays.fill(t, 200);
        startAll(t);
        awaitAll(TimeUnit.SECONDS.toNanos(10));
      }
      reset();
    }

    @Override
    void startAll(long[] timeoutsMs) throws IOException {
      for (int i = 0; i < timeoutsMs.length; i++) {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.INET);
        long start = System.nanoTime();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        Conn c = new Conn(ch, start + TimeUnit.MILLISECONDS.toNanos(timeoutsMs[i]));
        if (ch.connect(dead.get(i % dead.size()))) {
          ch.close();
          record(0, "connected");
          continue;
        }
        c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
        deadlines.add(c);
        open++;
      }
      selector.selectNow(); // as an event loop would, between batches
      selector.selectedKeys().clear();
    }

    @Override
    long pending() {
      return open;
    }

    @Override
    boolean awaitAll(long nanos) throws IOException {
      long end = System.nanoTime() + nanos;
      while (open > 0 && System.nanoTime() - end < 0) {
        Conn first = deadlines.peek();
        long wait = first == null ? 100 : TimeUnit.NANOSECONDS.toMillis(first.deadline - System.nanoTime() + 999_999);
        if (wait > 0) {
          selector.select(Math.min(wait, 1000));
        } else {
          selector.selectNow();
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          Conn c = (Conn) k.attachment();
          String outcome;
          try {
            outcome = c.ch.finishConnect() ? "connected" : null;
          } catch (IOException e) {
            outcome = e.toString();
          }
          if (outcome != null) {
            deadlines.remove(c);
            c.ch.close();
            open--;
            record(System.nanoTime() - c.deadline, outcome);
          }
        }
        long now = System.nanoTime();
        while ((first = deadlines.peek()) != null && first.deadline - now <= 0) {
          deadlines.poll();
          first.ch.close();
          open--;
          record(System.nanoTime() - first.deadline, "timeout");
        }
      }
      return open == 0;
    }

    @Override
    public void close() throws IOException {
      selector.close();
    }
  }
}
