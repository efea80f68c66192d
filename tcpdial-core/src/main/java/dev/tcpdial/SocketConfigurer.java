package dev.tcpdial;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * Sets socket options on a fresh channel before it connects (and before it binds): {@code
 * SO_LINGER}, {@code TCP_NODELAY}, buffer sizes, ... An exception fails that attempt with outcome
 * {@link Outcome#ERROR} and closes the channel.
 */
@FunctionalInterface
public interface SocketConfigurer {
  /**
   * Configures {@code channel}; called once per attempt on the thread that opens the socket.
   *
   * @param channel the fresh, unconnected channel
   * @throws IOException when an option cannot be set; the attempt then fails with {@code error}
   */
  void configure(SocketChannel channel) throws IOException;

  /** A configurer that changes nothing. */
  SocketConfigurer NONE = channel -> {};
}
