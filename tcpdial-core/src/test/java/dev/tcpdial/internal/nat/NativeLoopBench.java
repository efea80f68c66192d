package dev.tcpdial.internal.nat;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.internal.Clock;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: a quick measurement, run by hand. Connect+close rates on loopback at 64 in flight
 * for 5 s each, to accepting listeners of our own: the native loop's bulk API, a plain JDK NIO
 * selector loop (also closing with SO_LINGER 0), and {@code Dialer.probeAsync} on either engine;
 * then the Java heap per pending probe with ~19,000 probes hanging on listeners whose accept
 * queues are full.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp tcpdial-core/target/classes:tcpdial-core/target/test-classes \
 *     dev.tcpdial.internal.nat.NativeLoopBench [seconds per run, 0: none] [pending probes, 0: none]
 * </pre>
 */
public final class NativeLoopBench {
  static final int C = 64;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int pending = args.length > 1 ? Integer.parseInt(args[1]) : 19_000;
    if (seconds > 0) {
      rates(seconds);
    }
    if (pending > 0) {
      heapPerPending(pending);
    }
  }

  static void rates(int seconds) throws Exception {
    try (Loopback lo = new Loopback()) {
      int[] ports = {lo.accepting(Loopback.V4), lo.accepting(Loopback.V4),
          lo.accepting(Loopback.V4), lo.accepting(Loopback.V4)};
      int[] refusing = {lo.refusing(Loopback.V4), lo.refusing(Loopback.V4),
          lo.refusing(Loopback.V4), lo.refusing(Loopback.V4)};
      nativeRate(ports, 1); // warm-up
      jdkRate(ports, 1);
      dialerRate(ports, Engine.NATIVE, 1);
      dialerRate(ports, Engine.JDK, 1);
      for (int round = 0; round < 2; round++) {
        measure("native loop (bulk API), accepting  ", () -> nativeRate(ports, seconds));
        measure("JDK NIO selector loop, accepting   ", () -> jdkRate(ports, seconds));
        measure("Dialer.probeAsync NATIVE, accepting", () -> dialerRate(ports, Engine.NATIVE, seconds));
        measure("Dialer.probeAsync JDK, accepting   ", () -> dialerRate(ports, Engine.JDK, seconds));
        measure("native loop (bulk API), refused    ", () -> nativeRate(refusing, seconds));
        measure("JDK NIO selector loop, refused     ", () -> jdkRate(refusing, seconds));
      }
    }
  }

  interface Run {
    double[] run() throws Exception;
  }

  /** Prints the rate and the process's CPU time per probe (listeners' accept threads included). */
  static void measure(String what, Run r) throws Exception {
    long cpu0 = cpuNanos();
    double[] rd = r.run();
    long cpu = cpuNanos() - cpu0;
    System.out.printf("%s %,9.0f probes/s  %6.1f us CPU/probe (process), %5.1f us (probing thread)%n",
        what, rd[0], cpu / 1e3 / rd[1], rd.length > 2 ? rd[2] / 1e3 / rd[1] : Double.NaN);
  }

  /** utime + stime of the calling thread, in nanoseconds. */
  static long threadCpuNanos() throws java.io.IOException {
    String st = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/stat"));
    String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }

  /** utime + stime of this process from /proc/self/stat, in nanoseconds (USER_HZ 100). */
  static long cpuNanos() throws java.io.IOException {
    String st = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
    String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }

  static double[] nativeRate(int[] ports, int seconds) throws Exception {
    AtomicLong done = new AtomicLong();
    CompletableFuture<Void> over = new CompletableFuture<>();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long t0 = System.nanoTime();
    try (NativeLoop loop = NativeLoop.start("bench", NativeLoop.Options.DEFAULT, Clock.SYSTEM)) {
      var next = new NativeLoop.Completion() {
        int i;
        int inFlight;

        void one() {
          inFlight++;
          loop.submit4(0x7f000001, ports[i++ & 3], Long.MAX_VALUE, 0, this);
        }

        @Override
        public void completed(int cookie, Outcome outcome, int errno, long elapsed) {
          inFlight--;
          if (outcome != Outcome.CONNECTED && outcome != Outcome.REFUSED) {
            System.err.println("native: " + outcome + " errno " + errno);
          }
          done.incrementAndGet();
          if (System.nanoTime() < end) {
            one();
          } else if (inFlight == 0) {
            over.complete(null);
          }
        }
      };
      loop.execute(() -> {
        for (int k = 0; k < C; k++) {
          next.one();
        }
      });
      over.get(seconds + 30L, TimeUnit.SECONDS);
      CompletableFuture<Long> cpu = new CompletableFuture<>();
      loop.execute(() -> {
        try {
          cpu.complete(threadCpuNanos());
        } catch (java.io.IOException e) {
          cpu.complete(0L);
        }
      });
      return new double[] {done.get() / ((System.nanoTime() - t0) / 1e9), done.get(), cpu.get()};
    }
  }

  static double[] jdkRate(int[] ports, int seconds) throws Exception {
    CompletableFuture<double[]> r = new CompletableFuture<>();
    Thread.ofPlatform().name("jdkbench").start(() -> {
      try {
        double[] d = jdkRate0(ports, seconds);
        r.complete(new double[] {d[0], d[1], threadCpuNanos()});
      } catch (Exception e) {
        r.completeExceptionally(e);
      }
    });
    return r.get();
  }

  static double[] jdkRate0(int[] ports, int seconds) throws Exception {
    long done = 0;
    long t0 = System.nanoTime();
    long end = t0 + seconds * 1_000_000_000L;
    int i = 0;
    int inFlight = 0;
    try (Selector sel = Selector.open()) {
      while (true) {
        while (inFlight < C && System.nanoTime() < end) {
          SocketChannel ch = SocketChannel.open();
          ch.configureBlocking(false);
          ch.setOption(StandardSocketOptions.SO_LINGER, 0); // as the native engine: no TIME_WAIT
          inFlight++;
          if (ch.connect(new InetSocketAddress(Loopback.V4, ports[i++ & 3]))) {
            ch.close();
            inFlight--;
            done++;
          } else {
            ch.register(sel, SelectionKey.OP_CONNECT);
          }
        }
        if (inFlight == 0) {
          break;
        }
        sel.select(k -> {
          SocketChannel ch = (SocketChannel) k.channel();
          try {
            ch.finishConnect();
          } catch (java.net.ConnectException e) {
            // refused, as asked
          } catch (java.io.IOException e) {
            System.err.println("jdk: " + e);
          }
          try {
            ch.close();
          } catch (java.io.IOException ignored) {
            // closing
          }
        });
        int before = sel.keys().size();
        sel.selectNow(); // flush cancelled keys
        done += inFlight - sel.keys().size();
        inFlight = sel.keys().size();
        if (before < 0) {
          break;
        }
      }
    }
    return new double[] {done / ((System.nanoTime() - t0) / 1e9), done};
  }

  static double[] dialerRate(int[] ports, Engine engine, int seconds) throws Exception {
    Semaphore permits = new Semaphore(C);
    AtomicLong done = new AtomicLong();
    long t0 = System.nanoTime();
    long end = t0 + seconds * 1_000_000_000L;
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine).executor(Runnable::run).build()) {
      Target[] targets = new Target[4];
      for (int k = 0; k < 4; k++) {
        targets[k] = new Target("127.0.0.1", ports[k]);
      }
      int i = 0;
      while (System.nanoTime() < end) {
        permits.acquire();
        d.probeAsync(targets[i++ & 3]).whenComplete((DialResult r, Throwable t) -> {
          if (r == null || !r.connected()) {
            System.err.println(engine + ": " + (r != null ? r : t));
          }
          done.incrementAndGet();
          permits.release();
        });
      }
      permits.acquire(C);
    }
    return new double[] {done.get() / ((System.nanoTime() - t0) / 1e9), done.get()};
  }

  static long heapUsed() throws InterruptedException {
    long best = Long.MAX_VALUE;
    for (int k = 0; k < 4; k++) {
      System.gc();
      Thread.sleep(100);
      best = Math.min(best, Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
    }
    return best;
  }

  static void heapPerPending(int n) throws Exception {
    try (Loopback lo = new Loopback()) {
      int[] ports = new int[8];
      for (int k = 0; k < ports.length; k++) {
        ports[k] = lo.full(Loopback.V4);
      }
      for (NativeLoop.Backend backend : NativeLoop.Backend.values()) {
      NativeLoop loop = NativeLoop.start("pending", NativeLoop.Options.DEFAULT, Clock.SYSTEM, 256,
          backend);
      NativeLoop.Completion c = (cookie, outcome, errno, elapsed) -> {
        if (outcome != Outcome.CANCELLED) {
          System.err.println("pending probe ended " + outcome + " errno " + errno);
        }
      };
      CompletableFuture<Void> ready = new CompletableFuture<>();
      loop.execute(() -> ready.complete(null));
      ready.get();
      long before = heapUsed();
      long fdsBefore = Loopback.fds();
      CompletableFuture<int[]> started = new CompletableFuture<>();
      loop.execute(() -> {
        for (int k = 0; k < n; k++) {
          loop.submit4(0x7f000001, ports[k % ports.length], Long.MAX_VALUE, k, c);
        }
        started.complete(new int[] {loop.pending(), loop.capacity()});
      });
      int[] pc = started.get(60, TimeUnit.SECONDS);
      long after = heapUsed();
      System.out.printf("native %s: %,d pending (%,d slots of capacity), %,d fds, heap +%,d bytes"
          + " = %.1f B/pending%n", backend, pc[0], pc[1], Loopback.fds() - fdsBefore, after - before,
          (after - before) / (double) pc[0]);
      loop.close();
      Thread.sleep(200);
      }
      for (Engine engine : List.of(Engine.URING, Engine.EPOLL, Engine.JDK)) {
        Target[] targets = new Target[ports.length];
        for (int k = 0; k < ports.length; k++) {
          targets[k] = new Target("127.0.0.1", ports[k]);
        }
        Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
            .connectTimeout(java.time.Duration.ZERO).build();
        d.probe(new Target("127.0.0.1", lo.refusing(Loopback.V4))); // starts the loop
        long db = heapUsed();
        List<CompletableFuture<DialResult>> fs = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
          fs.add(d.probeAsync(targets[k % targets.length]));
        }
        Thread.sleep(2000);
        long da = heapUsed();
        System.out.printf("Dialer.probeAsync %s: %,d pending, heap +%,d bytes = %.1f B/pending%n",
            engine, fs.size(), da - db, (da - db) / (double) fs.size());
        d.close();
        fs.clear();
        Thread.sleep(500);
      }
      // the same with JDK channels registered with a selector, for comparison
      List<SocketChannel> chans = new ArrayList<>(n);
      try (Selector sel = Selector.open()) {
        sel.selectNow();
        long jb = heapUsed();
        for (int k = 0; k < n; k++) {
          SocketChannel ch = SocketChannel.open();
          ch.configureBlocking(false);
          ch.connect(new InetSocketAddress(Loopback.V4, ports[k % ports.length]));
          ch.register(sel, SelectionKey.OP_CONNECT);
          chans.add(ch);
        }
        sel.selectNow();
        long ja = heapUsed();
        System.out.printf("JDK:    %,d pending channels, heap +%,d bytes = %.1f B/pending%n",
            chans.size(), ja - jb, (ja - jb) / (double) chans.size());
        for (SocketChannel ch : chans) {
          ch.setOption(StandardSocketOptions.SO_LINGER, 0);
          ch.close();
        }
      }
    }
  }
}
