package dev.tcpdial.lab;

import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Window;
import dev.tcpdial.WindowStats;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Sweeps run through one {@link Dialer#probeEach} from inside a namespace of a lab test, printing
 * per run {@code RUN n probed=.. connected=.. refused=.. timeout=.. other=.. min=.. median=..
 * max=.. ceiling=.. retried=.. cuts=.. ms=.. wrongOpen=..}. Arguments:
 *
 * <ul>
 *   <li>{@code --ports A-B}: every port of 127.0.0.1 from A to B, with {@code --listen N}
 *       listeners of its own on 127.0.0.1 (their ports: connected; every other: refused);
 *   <li>{@code --block A.B.C.D/N:PORT}: every address of an IPv4 block, one port;
 *   <li>{@code --stuck PORT}: a listener on 0.0.0.0:PORT with a backlog of 1 that never accepts;
 *   <li>{@code --window N} (0: adaptive), {@code --timeout MS}, {@code --runs N}.
 * </ul>
 */
public final class LabSweep {
  private LabSweep() {}

  public static void main(String[] args) throws Exception {
    int from = 0;
    int to = -1;
    int listen = 0;
    String block = null;
    int stuck = 0;
    int window = 0;
    long timeoutMs = 1500;
    int runs = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--ports" -> {
          String[] r = args[++i].split("-");
          from = Integer.parseInt(r[0]);
          to = Integer.parseInt(r[1]);
        }
        case "--listen" -> listen = Integer.parseInt(args[++i]);
        case "--block" -> block = args[++i];
        case "--stuck" -> stuck = Integer.parseInt(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--timeout" -> timeoutMs = Long.parseLong(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<ServerSocketChannel> servers = new ArrayList<>();
    Set<Integer> open = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < listen; i++) {
      ServerSocketChannel s = ServerSocketChannel.open();
      s.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
      servers.add(s);
      open.add(((InetSocketAddress) s.getLocalAddress()).getPort());
      Thread.ofPlatform().daemon().start(() -> {
        try {
          while (true) {
            s.accept().close();
          }
        } catch (java.io.IOException e) {
          // closed at exit
        }
      });
    }
    if (stuck > 0) {
      ServerSocketChannel s = ServerSocketChannel.open();
      s.bind(new InetSocketAddress("0.0.0.0", stuck), 1); // never accepted: the queue stays full
      servers.add(s);
    }
    boolean ports = block == null;
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).executor(Runnable::run)
        .connectTimeout(Duration.ofMillis(timeoutMs)).build()) {
      for (int run = 1; run <= runs; run++) {
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        Set<Integer> wrongOpen = ConcurrentHashMap.newKeySet();
        Iterator<Target> targets = ports ? ports(from, to) : block(block);
        long t0 = System.nanoTime();
        WindowStats st = d.probeEach(targets, Window.ofConcurrency(window), r -> {
          synchronized (counts) {
            counts.merge(r.outcome(), 1L, Long::sum);
          }
          if (ports && r.outcome() == Outcome.CONNECTED && !open.contains(r.target().port())) {
            wrongOpen.add(r.target().port());
          }
          if (ports && r.outcome() != Outcome.CONNECTED && open.contains(r.target().port())) {
            wrongOpen.add(-r.target().port());
          }
        });
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long other = counts.entrySet().stream().filter(e -> e.getKey() != Outcome.CONNECTED
            && e.getKey() != Outcome.REFUSED && e.getKey() != Outcome.TIMEOUT)
            .mapToLong(Map.Entry::getValue).sum();
        String cuts = st.cuts().entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
            .collect(Collectors.joining(","));
        System.out.println("RUN " + run + " probed=" + st.probed()
            + " connected=" + counts.getOrDefault(Outcome.CONNECTED, 0L)
            + " refused=" + counts.getOrDefault(Outcome.REFUSED, 0L)
            + " timeout=" + counts.getOrDefault(Outcome.TIMEOUT, 0L) + " other=" + other
            + " min=" + st.min() + " median=" + st.median() + " max=" + st.max()
            + " ceiling=" + st.ceiling() + " inflight=" + st.maxInFlight()
            + " retried=" + st.retried() + " cuts=" + (cuts.isEmpty() ? "-" : cuts) + " ms=" + ms
            + " wrongOpen=" + (wrongOpen.isEmpty() ? "-" : wrongOpen) + " expectOpen=" + open.size());
        System.out.flush();
      }
    } finally {
      for (ServerSocketChannel s : servers) {
        s.close();
      }
    }
  }

  private static Iterator<Target> ports(int from, int to) {
    return new Iterator<>() {
      int next = from;

      @Override
      public boolean hasNext() {
        return next <= to;
      }

      @Override
      public Target next() {
        return new Target("127.0.0.1", next++);
      }
    };
  }

  private static Iterator<Target> block(String spec) throws Exception {
    String[] a = spec.split(":");
    String[] cidr = a[0].split("/");
    int port = Integer.parseInt(a[1]);
    byte[] b = InetAddress.getByName(cidr[0]).getAddress();
    int base = ((b[0] & 255) << 24) | ((b[1] & 255) << 16) | ((b[2] & 255) << 8) | (b[3] & 255);
    long n = 1L << (32 - Integer.parseInt(cidr[1]));
    return new Iterator<>() {
      long i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public Target next() {
        int v = base + (int) i++;
        String s = (v >>> 24) + "." + ((v >>> 16) & 255) + "." + ((v >>> 8) & 255) + "." + (v & 255);
        return new Target(s, port);
      }
    };
  }
}
