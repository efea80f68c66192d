package dev.tcpdial.internal.window;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The kernel's drop counters that a scan's window watches, read from {@code /proc} of the calling
 * thread's network namespace (about 50 us for the three files):
 *
 * <ul>
 *   <li>{@code /proc/net/softnet_stat}, second column summed over CPUs: packets the per-CPU input
 *       queue dropped ({@code net.core.netdev_max_backlog}), which loopback and veth traffic
 *       passes. The machine's, every namespace's together.
 *   <li>{@code /proc/net/netstat}, {@code TcpExt ListenDrops} (which includes {@code
 *       ListenOverflows}): SYNs dropped at a listener of this namespace, its accept queue full.
 *   <li>{@code /proc/net/dev}, the transmit {@code drop} column summed over interfaces: packets an
 *       interface of this namespace could not send.
 * </ul>
 *
 * <p>Not read, on purpose: {@code TcpExt TCPSynRetrans} and {@code Tcp RetransSegs}. In a scan
 * every silent target's SYN is sent again after 1 s (while the probe's timeout has not passed), so
 * these count silence as much as loss; a retransmitted SYN that was answered is seen per probe
 * instead ({@link NetworkRtts#late}).
 */
public final class KernelCounters {
  /** Counters at one moment; -1 where a file could not be read. */
  public record Sample(long inputDrops, long listenDrops, long transmitDrops) {
    /** Nothing readable. */
    public static final Sample NONE = new Sample(-1, -1, -1);
  }

  /** Where samples come from: {@code /proc}, or a test's script. */
  @FunctionalInterface
  public interface Source {
    /** The counters now. */
    Sample read();
  }

  private static final Path SOFTNET = Path.of("/proc/net/softnet_stat");
  private static final Path NETSTAT = Path.of("/proc/net/netstat");
  private static final Path DEV = Path.of("/proc/net/dev");

  private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);

  /** Reads {@code /proc}; one reader per thread (it reuses its buffer). */
  public static Source proc() {
    KernelCounters k = new KernelCounters();
    return k::sample;
  }

  private Sample sample() {
    String softnet = read(SOFTNET);
    String netstat = read(NETSTAT);
    String dev = read(DEV);
    return new Sample(softnet == null ? -1 : softnetDrops(softnet),
        netstat == null ? -1 : netstatValue(netstat, "TcpExt:", "ListenDrops"),
        dev == null ? -1 : transmitDrops(dev));
  }

  private String read(Path p) {
    buf.clear();
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // a seq_file hands out a page or so per read
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
  }

  /** The dropped column (the second, hexadecimal) of softnet_stat, summed over its lines. */
  static long softnetDrops(String text) {
    long sum = 0;
    boolean any = false;
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2) {
        try {
          sum += Long.parseLong(f[1], 16);
          any = true;
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return any ? sum : -1;
  }

  /**
   * The value named {@code name} in a {@code /proc/net/netstat}-style file, where a line of names
   * starting with {@code prefix} is followed by a line of values with the same prefix; -1 absent.
   */
  static long netstatValue(String text, String prefix, String name) {
    String[] lines = text.split("\n");
    for (int i = 0; i + 1 < lines.length; i++) {
      if (lines[i].startsWith(prefix) && lines[i + 1].startsWith(prefix)) {
        String[] names = lines[i].trim().split("\\s+");
        String[] values = lines[i + 1].trim().split("\\s+");
        for (int j = 1; j < names.length && j < values.length; j++) {
          if (names[j].equals(name)) {
            try {
              return Long.parseLong(values[j]);
            } catch (NumberFormatException e) {
              return -1;
            }
          }
        }
        return -1;
      }
    }
    return -1;
  }

  /** The transmit drop column of {@code /proc/net/dev}, summed over interfaces. */
  static long transmitDrops(String text) {
    long sum = 0;
    boolean any = false;
    for (String line : text.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || line.startsWith("Inter-") || line.contains("|")) {
        continue;
      }
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes
      // packets errs drop ...
      if (f.length >= 12) {
        try {
          sum += Long.parseLong(f[11]);
          any = true;
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return any ? sum : -1;
  }
}
