package dev.tcpdial.internal;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * Linux socket options set on each socket before it connects, where the JDK has none: {@code
 * TCP_SYNCNT} (SYN retransmissions for this socket only), {@code TCP_USER_TIMEOUT} and {@code
 * IP_BIND_ADDRESS_NO_PORT}. An option that was asked for and cannot be set fails the attempt with a
 * one-line reason; nothing is silently skipped except the default-on bind-no-port where the
 * descriptor is out of reach.
 *
 * @param synCount SYN retransmissions, 0 for the system's
 * @param userTimeoutMillis TCP_USER_TIMEOUT in ms, 0 for the system's
 * @param bindNoPort set IP_BIND_ADDRESS_NO_PORT when binding a source address
 */
public record KernelKnobs(int synCount, int userTimeoutMillis, boolean bindNoPort) {
  static final int IPPROTO_IP = 0;
  static final int IPPROTO_TCP = 6;
  static final int TCP_SYNCNT = 7;
  static final int TCP_USER_TIMEOUT = 18;
  static final int IP_BIND_ADDRESS_NO_PORT = 24;

  /** No options. */
  public static final KernelKnobs NONE = new KernelKnobs(0, 0, false);

  /** Sets what was asked for on {@code ch}; {@code binding} when a source address follows. */
  void apply(SocketChannel ch, boolean binding) throws IOException {
    if (synCount > 0) {
      Libc.setIntOption(ch, IPPROTO_TCP, TCP_SYNCNT, synCount, "TCP_SYNCNT");
    }
    if (userTimeoutMillis > 0) {
      Libc.setIntOption(ch, IPPROTO_TCP, TCP_USER_TIMEOUT, userTimeoutMillis, "TCP_USER_TIMEOUT");
    }
    if (binding && bindNoPort && Libc.unavailable() == null) {
      Libc.setIntOption(ch, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, "IP_BIND_ADDRESS_NO_PORT");
    }
  }

  /** Null when options can be set here, else why not. */
  public static String unavailable() {
    return Libc.unavailable();
  }
}
