package dev.tcpdial.internal.nat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loopback endpoints a test opens itself, on ports the kernel picks, so no probe ever reaches a
 * listener that is not ours: an accepting listener, a listener whose accept queue is full (new SYNs
 * are dropped, so connects hang until a deadline), and a port that is bound but not listening
 * (connects are refused).
 */
public final class Loopback implements AutoCloseable {
  public static final InetAddress V4 = InetAddress.getLoopbackAddress();
  public static final InetAddress V6;

  static {
    try {
      V6 = InetAddress.getByName("::1");
    } catch (java.net.UnknownHostException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean closing;

  /** A listener that accepts and closes every connection on its own thread; returns its port. */
  public int accepting(InetAddress on) {
    try {
      ServerSocketChannel s = ServerSocketChannel.open(family(on))
          .bind(new InetSocketAddress(on, 0), 4096);
      open.add(s);
      Thread t = Thread.ofPlatform().daemon(true).name("loopback-accept").start(() -> {
        while (!closing) {
          try (SocketChannel c = s.accept()) {
            c.isOpen(); // closed at once: an orderly close, which a probe does not see as an error
          } catch (IOException e) {
            if (!s.isOpen()) {
              return;
            }
          }
        }
      });
      threads.add(t);
      return port(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A listener with backlog 1 whose accept queue we fill with two connections that are never
   * accepted: the kernel drops every further SYN, so a connect to it stays in SYN_SENT.
   */
  public int full(InetAddress on) {
    return full(on, 0);
  }

  /** {@link #full(InetAddress)} on {@code port0} (0: any); fails when the port is taken there. */
  public int full(InetAddress on, int port0) {
    try {
      ServerSocketChannel s = ServerSocketChannel.open(family(on))
          .bind(new InetSocketAddress(on, port0), 1);
      open.add(s);
      int port = port(s);
      for (int i = 0; i < 2; i++) {
        SocketChannel c = SocketChannel.open(family(on));
        open.add(c);
        c.connect(new InetSocketAddress(on, port));
      }
      Thread.sleep(50); // let the handshakes' last ACKs land in the accept queue
      return port;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A port that {@link #accepting accepts} on {@code on} and refuses on {@code refusedOn}: the same
   * number is held there by a bound socket that does not listen, so no listener of another
   * process can answer on it. Tries further ports while the number is taken on {@code refusedOn}.
   */
  public int acceptingAndRefusing(InetAddress on, InetAddress refusedOn) {
    for (int i = 0; i < 50; i++) {
      int port = accepting(on);
      try {
        SocketChannel c = SocketChannel.open(family(refusedOn));
        open.add(c);
        c.bind(new InetSocketAddress(refusedOn, port));
        return port;
      } catch (java.net.BindException taken) {
        // another process has this number on refusedOn: the next port
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no port free on both " + on + " and " + refusedOn);
  }

  /** A port bound by a socket that does not listen: connects to it are refused. */
  public int refusing(InetAddress on) {
    try {
      SocketChannel c = SocketChannel.open(family(on));
      open.add(c);
      c.bind(new InetSocketAddress(on, 0));
      return ((InetSocketAddress) c.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static StandardProtocolFamily family(InetAddress a) {
    return a instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
  }

  private static int port(ServerSocketChannel s) throws IOException {
    return ((InetSocketAddress) s.getLocalAddress()).getPort();
  }

  /** Open file descriptors of this process. */
  public static long fds() {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The fd count once it holds still: channels of earlier tests that only the garbage collector's
   * cleaner closes would otherwise close between a test's baseline and its checks (seen on a
   * loaded machine: one fewer than expected). Collects, then waits up to 2 s for three equal reads
   * 20 ms apart.
   */
  public static long fdsStable() throws InterruptedException {
    System.gc();
    long end = System.nanoTime() + 2_000_000_000L;
    long n = fds();
    int same = 0;
    while (same < 2 && System.nanoTime() < end) {
      Thread.sleep(20);
      long m = fds();
      same = m == n ? same + 1 : 0;
      n = m;
    }
    return n;
  }

  /** Waits up to {@code millis} for the fd count to drop to {@code atMost}; returns the last count. */
  public static long fdsSettle(long atMost, long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    long n = fds();
    while (n > atMost && System.nanoTime() < end) {
      Thread.sleep(20);
      n = fds();
    }
    return n;
  }

  @Override
  public void close() {
    closing = true;
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (Exception ignored) {
        // test cleanup
      }
    }
    for (Thread t : threads) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
