package dev.tcpdial;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loopback targets of our own for the tests: a listener that accepts and closes, a closed port, a
 * listener whose accept queue is full so further SYNs are dropped (the connect stays in SYN_SENT).
 */
final class Loopback implements AutoCloseable {
  final ServerSocketChannel accepting;
  final int acceptingPort;
  final int closedPort;
  final ServerSocketChannel silent;
  final int silentPort;
  private final List<SocketChannel> fillers = new ArrayList<>();
  private final Thread acceptor;

  Loopback() throws IOException {
    accepting = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 4096);
    acceptingPort = port(accepting);
    acceptor = acceptAndClose(accepting);
    try (ServerSocketChannel tmp = ServerSocketChannel.open()) {
      tmp.bind(new InetSocketAddress("127.0.0.1", 0));
      closedPort = port(tmp);
    }
    silent = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 1);
    silentPort = port(silent);
    fill();
  }

  private void fill() throws IOException {
    fillAcceptQueue(new InetSocketAddress("127.0.0.1", silentPort), fillers);
  }

  /**
   * A thread that accepts every connection of {@code server} and closes it at once, gracefully
   * (a reset right after the handshake would be error/ECONNRESET to the dialer).
   */
  static Thread acceptAndClose(ServerSocketChannel server) {
    return Thread.ofPlatform().daemon().name("loopback-accept").start(() -> {
      while (server.isOpen()) {
        try (SocketChannel _ = server.accept()) {
          // accepted and closed
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  /**
   * Connects to {@code listener} (backlog 1, never accepting) until one connect stays unanswered:
   * from then on its accept queue is full and the kernel drops every further SYN. The connects
   * are added to {@code keep}, which the caller closes.
   */
  static void fillAcceptQueue(InetSocketAddress listener, List<SocketChannel> keep)
      throws IOException {
    for (int i = 0; i < 64; i++) {
      SocketChannel c = SocketChannel.open();
      c.configureBlocking(false);
      keep.add(c);
      if (!c.connect(listener)) {
        long until = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < until) {
          try {
            if (c.finishConnect()) {
              break;
            }
          } catch (IOException e) {
            break;
          }
          Thread.onSpinWait();
        }
        if (c.isConnectionPending()) {
          return;
        }
      }
    }
    throw new IOException("could not fill the accept queue of " + listener);
  }

  Target ok() {
    return new Target("127.0.0.1", acceptingPort);
  }

  Target refused() {
    return new Target("127.0.0.1", closedPort);
  }

  Target silentTarget() {
    return new Target("127.0.0.1", silentPort);
  }

  static int port(ServerSocketChannel s) throws IOException {
    return ((InetSocketAddress) s.getLocalAddress()).getPort();
  }

  /** Descriptors this process has open now. */
  static long openFds() {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Waits up to 5 s for the descriptor count to come back to {@code baseline}; returns the last count. */
  static long awaitFds(long baseline) throws InterruptedException {
    long n = openFds();
    for (int i = 0; i < 100 && n > baseline; i++) {
      Thread.sleep(50);
      n = openFds();
    }
    return n;
  }

  /** Number of sockets in SYN_SENT towards {@code port} on 127.0.0.1, from /proc/net/tcp. */
  static long synSentTo(int port) throws IOException {
    String remote = String.format("0100007F:%04X", port);
    try (Stream<String> lines = Files.lines(Path.of("/proc/net/tcp"))) {
      return lines.skip(1).map(String::trim).map(l -> l.split("\\s+"))
          .filter(f -> f[2].equals(remote) && f[3].equals("02")).count();
    }
  }

  /** Number of sockets in SYN_SENT towards {@code port} at any address, IPv4 and IPv6. */
  static long synSentToAnyAddress(int port) throws IOException {
    String suffix = String.format(":%04X", port);
    long n = 0;
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      try (Stream<String> lines = Files.lines(Path.of(table))) {
        n += lines.skip(1).map(String::trim).map(l -> l.split("\\s+"))
            .filter(f -> f[2].endsWith(suffix) && f[3].equals("02")).count();
      }
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    for (SocketChannel c : fillers) {
      c.close();
    }
    silent.close();
    accepting.close();
    acceptor.interrupt();
  }
}
