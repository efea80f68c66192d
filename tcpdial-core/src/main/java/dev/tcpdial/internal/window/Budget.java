package dev.tcpdial.internal.window;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The most probes this process can hold in flight now: its descriptor budget and the free
 * ephemeral ports, read from {@code /proc}.
 */
public final class Budget {
  private Budget() {}

  /** Where {@code /proc} cannot be read. */
  static final int UNKNOWN = 256;

  /**
   * Descriptors kept free besides those open now and the scan's sockets: the engine's own (an
   * epoll or a ring and an eventfd per loop, a loop per core, up to 8 sockets kept for reuse),
   * output files, classes loaded from jars later.
   */
  public static int headroom() {
    return 24 + 2 * Runtime.getRuntime().availableProcessors();
  }

  /** The smaller of {@link #descriptors()} and {@link #ports()}, at least 1. */
  public static int ceiling() {
    return Math.max(1, Math.min(descriptors(), ports()));
  }

  /**
   * The soft {@code RLIMIT_NOFILE} less the descriptors open now and {@link #headroom()}; {@link
   * #UNKNOWN} when {@code /proc/self} cannot be read.
   */
  public static int descriptors() {
    long limit = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String f = line.substring("Max open files".length()).trim().split("\\s+")[0];
          limit = f.equals("unlimited") ? 1L << 20 : Long.parseLong(f);
        }
      }
      long open;
      try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
        open = s.count();
      }
      if (limit < 0) {
        return UNKNOWN;
      }
      return (int) Math.max(1, Math.min(Integer.MAX_VALUE, limit - open - headroom()));
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    }
  }

  /**
   * The size of {@code net.ipv4.ip_local_port_range} less the TCP sockets of this network
   * namespace that may hold a port ({@code /proc/net/sockstat}: in use and in TIME_WAIT). A
   * conservative bound: Linux shares a local port among connects to different destinations, so a
   * scan of many addresses could hold more; one address's ports cannot.
   */
  public static int ports() {
    try {
      String[] r = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0)
          .trim().split("\\s+");
      int range = Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
      return Math.max(1, range - tcpSockets(Files.readString(Path.of("/proc/net/sockstat"))));
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    }
  }

  /** {@code inuse} plus {@code tw} of the {@code TCP:} line of a sockstat file; 0 when absent. */
  static int tcpSockets(String sockstat) {
    for (String line : sockstat.split("\n")) {
      if (line.startsWith("TCP:")) {
        String[] f = line.substring(4).trim().split("\\s+");
        int n = 0;
        for (int i = 0; i + 1 < f.length; i += 2) {
          if (f[i].equals("inuse") || f[i].equals("tw")) {
            n += Integer.parseInt(f[i + 1]);
          }
        }
        return n;
      }
    }
    return 0;
  }

  /**
   * Probes one loop may start in a row before it lets the kernel's answers in: a quarter of {@code
   * net.core.netdev_max_backlog} (the per-CPU input queue that loopback and veth packets wait in;
   * a SYN and its answer both pass it, and the SYNs of a burst can be queued before any is
   * handled), at least 16; 256 when it cannot be read.
   */
  public static int burst() {
    try {
      String v = Files.readAllLines(Path.of("/proc/sys/net/core/netdev_max_backlog")).get(0).trim();
      return Math.max(16, Integer.parseInt(v) / 4);
    } catch (IOException | RuntimeException e) {
      return 256;
    }
  }
}
