package dev.tcpdial;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Test support for the integration modules (through this module's test jar): a loopback address
 * that never answers a SYN (a listener with backlog 1 whose accept queue is full, as in {@link
 * Loopback}), and the process's descriptor count.
 */
public final class SilentPeer implements AutoCloseable {
  private final ServerSocketChannel server;
  private final List<SocketChannel> fillers = new ArrayList<>();

  /**
   * Listens on {@code at} (port reuse on, so it may share a port with a live listener on another
   * address) and fills the accept queue.
   *
   * @param at a loopback address and port
   * @throws IOException when the queue cannot be filled
   */
  public SilentPeer(InetSocketAddress at) throws IOException {
    server = ServerSocketChannel.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(at, 1);
      Loopback.fillAcceptQueue(at, fillers);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Descriptors this process has open now.
   *
   * @return the count of /proc/self/fd
   */
  public static long openFds() {
    return Loopback.openFds();
  }

  /**
   * Waits up to 5 s for the descriptor count to come back to {@code baseline}.
   *
   * @param baseline the count to wait for
   * @return the last count
   * @throws InterruptedException when interrupted while waiting
   */
  public static long awaitFds(long baseline) throws InterruptedException {
    return Loopback.awaitFds(baseline);
  }

  @Override
  public void close() throws IOException {
    for (SocketChannel c : fillers) {
      c.close();
    }
    server.close();
  }
}
