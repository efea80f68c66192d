package dev.tcpdial.exporter;

import dev.tcpdial.SilentPeer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** Loopback targets for the exporter's tests: one that connects, one refused, one silent. */
final class Loopback {
  private Loopback() {}

  /** A listener on 127.0.0.1 that accepts every connection and closes it gracefully. */
  static final class Open implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Thread acceptor;

    Open() throws IOException {
      server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 512);
      acceptor = Thread.ofPlatform().daemon().name("loopback-open").start(() -> {
        while (server.isOpen()) {
          try (SocketChannel _ = server.accept()) {
            // accepted and closed with a FIN
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    int port() throws IOException {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      acceptor.interrupt();
    }
  }

  /** A port of 127.0.0.1 that was just bound and closed: connects to it are refused. */
  static int closedPort() throws IOException {
    try (ServerSocketChannel s = ServerSocketChannel.open()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }
  }

  /** A listener of 127.0.0.1 whose accept queue is full: connects to it time out. */
  static final class FullBacklog implements AutoCloseable {
    private final int port;
    private final SilentPeer peer;

    FullBacklog() throws IOException {
      port = closedPort();
      peer = new SilentPeer(new InetSocketAddress("127.0.0.1", port));
    }

    int port() {
      return port;
    }

    @Override
    public void close() throws IOException {
      peer.close();
    }
  }
}
