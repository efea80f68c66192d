package dev.tcpdial.socketfactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A loopback address that never answers a SYN: a listener with backlog 1 that never accepts,
 * its accept queue filled, so the kernel drops every further SYN (the connect stays in SYN_SENT).
 */
final class SilentListener implements AutoCloseable {
  private final ServerSocketChannel server;
  private final List<SocketChannel> fillers = new ArrayList<>();

  SilentListener(InetSocketAddress at) throws IOException {
    server = ServerSocketChannel.open();
    server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    server.bind(at, 1);
    for (int i = 0; i < 64; i++) {
      SocketChannel c = SocketChannel.open();
      c.configureBlocking(false);
      fillers.add(c);
      if (!c.connect(at)) {
        long until = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < until && !finished(c)) {
          Thread.onSpinWait();
        }
        if (c.isConnectionPending()) {
          return; // this one is unanswered: the queue is full
        }
      }
    }
    close();
    throw new IOException("could not fill the accept queue of " + at);
  }

  private static boolean finished(SocketChannel c) {
    try {
      return c.finishConnect();
    } catch (IOException e) {
      return true;
    }
  }

  /** Descriptors this process has open now. */
  static long openFds() {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Waits up to 5 s for the descriptor count to come down to {@code baseline}; the last count. */
  static long awaitFds(long baseline) throws InterruptedException {
    long n = openFds();
    for (int i = 0; i < 100 && n > baseline; i++) {
      Thread.sleep(50);
      n = openFds();
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    for (SocketChannel c : fillers) {
      c.close();
    }
    server.close();
  }
}
