package dev.tcpdial.cli.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** This process's descriptor limit and the machine's ephemeral port range, read from /proc. */
public final class SystemLimits {
  private SystemLimits() {}

  /**
   * The default window's ceiling. More in flight does not go faster on loopback or a LAN: beyond
   * it a burst of SYNs overflows the kernel's per-CPU input queue (net.core.netdev_max_backlog,
   * 1000; a SYN and its RST both pass it), the dropped SYNs are retransmitted a second later and
   * closed ports look filtered. 512 in flight still lost one SYN in ~3 full loopback scans.
   */
  public static final int MAX_DEFAULT_CONCURRENCY = 256;

  /**
   * Descriptors kept free besides those open now and the scan's sockets: the engine's own (an
   * epoll and an eventfd per loop, a loop per core, and up to 8 sockets kept for reuse), output
   * files, classes loaded from jars later.
   */
  public static int headroom() {
    return 24 + 2 * Runtime.getRuntime().availableProcessors();
  }

  /** Descriptors this process has open now (the JVM's jars, stdio, ...); 64 when unknown. */
  static int openNow() {
    try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    } catch (IOException | RuntimeException e) {
      return 64;
    }
  }

  /** The soft limit on open files (the JVM raises it to the hard limit at start), or 1024. */
  public static long fdSoftLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] f = line.substring("Max open files".length()).trim().split("\\s+");
          return f[0].equals("unlimited") ? 1L << 20 : Long.parseLong(f[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return 1024;
  }

  /** The size of net.ipv4.ip_local_port_range, or 28232 (Linux's default). */
  static int ephemeralPorts() {
    try {
      List<String> l = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
      String[] f = l.get(0).trim().split("\\s+");
      return Integer.parseInt(f[1]) - Integer.parseInt(f[0]) + 1;
    } catch (IOException | RuntimeException e) {
      return 28232;
    }
  }

  /**
   * The most sockets a scan may hold at once without running into EMFILE: the limit less what is
   * open now and {@link #headroom()} (under {@code ulimit -n 160}: about 110 on 2 cores).
   */
  public static int fdBudget() {
    long budget = fdSoftLimit() - openNow() - headroom();
    return (int) Math.max(1, Math.min(budget, Integer.MAX_VALUE));
  }

  /**
   * The default in-flight window: within the descriptor budget, at most half the ephemeral ports,
   * at most {@link #MAX_DEFAULT_CONCURRENCY}.
   */
  public static int defaultConcurrency() {
    return Math.max(1, Math.min(Math.min(fdBudget(), ephemeralPorts() / 2), MAX_DEFAULT_CONCURRENCY));
  }
}
