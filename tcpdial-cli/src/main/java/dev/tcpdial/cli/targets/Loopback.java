package dev.tcpdial.cli.targets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/** Loopback targets that produce each basic outcome on demand, no root needed. */
public final class Loopback {
  private Loopback() {}

  /**
   * The loopback address the demo dials.
   *
   * @return {@link InetAddress#getLoopbackAddress()}: 127.0.0.1 unless IPv6 addresses are preferred
   */
  public static InetAddress loopback() {
    return InetAddress.getLoopbackAddress();
  }

  /** A listener on 127.0.0.1 that accepts and closes every connection. */
  public static final class Open implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final int port;

    /**
     * Listens on an ephemeral port of 127.0.0.1.
     *
     * @throws IOException when no port can be bound
     */
    public Open() throws IOException {
      server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(loopback(), 0), 512);
      port = ((InetSocketAddress) server.getLocalAddress()).getPort();
      acceptor = Thread.ofVirtual().name("tcpdial-demo-accept").start(() -> {
        while (server.isOpen()) {
          try (SocketChannel _ = server.accept()) {
            // accepted: the handshake is what counts
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    /**
     * The port it listens on.
     *
     * @return the port, until {@link #close()}
     */
    public int port() {
      return port;
    }

    @Override
    public void close() throws IOException {
      server.close();
      acceptor.interrupt();
    }
  }

  /**
   * A port that was just bound and closed: nothing listens there, connects are refused.
   *
   * @return the port, free unless another process takes it meanwhile
   * @throws IOException when no port can be bound
   */
  public static int closedPort() throws IOException {
    try (ServerSocketChannel s = ServerSocketChannel.open()) {
      s.bind(new InetSocketAddress(loopback(), 0));
      return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }
  }

  /**
   * A listener with backlog 1 that never accepts, its queue filled: the kernel drops further SYNs,
   * so a connect to it times out.
   */
  public static final class FullBacklog implements AutoCloseable {
    private final ServerSocketChannel server;
    private final List<SocketChannel> fillers = new ArrayList<>();
    private final int port;

    /**
     * Listens on an ephemeral port of 127.0.0.1 and connects to it until a SYN goes unanswered (at
     * most 64 connects, each given 300 ms); the connections that got through stay open.
     *
     * @throws IOException when no port can be bound, or 64 connects all got through
     */
    public FullBacklog() throws IOException {
      server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(loopback(), 0), 1);
      InetSocketAddress to = (InetSocketAddress) server.getLocalAddress();
      port = to.getPort();
      try (Selector selector = Selector.open()) {
        for (int i = 0; i < 64; i++) {
          SocketChannel c = SocketChannel.open();
          c.setOption(StandardSocketOptions.SO_LINGER, 0);
          c.configureBlocking(false);
          boolean done = c.connect(to);
          if (!done) {
            SelectionKey key = c.register(selector, SelectionKey.OP_CONNECT);
            selector.select(300);
            selector.selectedKeys().clear();
            try {
              done = key.isValid() && key.isConnectable() && c.finishConnect();
            } catch (IOException e) {
              done = false;
            }
            key.cancel();
            selector.selectNow();
          }
          if (!done) {
            c.close(); // the queue is full: this SYN went unanswered
            return;
          }
          fillers.add(c);
        }
      }
      throw new IOException("could not fill the backlog of a loopback listener");
    }

    /**
     * The port it listens on.
     *
     * @return the port, where connects time out until {@link #close()}
     */
    public int port() {
      return port;
    }

    @Override
    public void close() throws IOException {
      for (SocketChannel c : fillers) {
        c.close();
      }
      server.close();
    }
  }
}
