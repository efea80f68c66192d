package dev.tcpdial;

/** How a {@link Dialer} waits for a connect to finish. Both modes name every outcome the same way. */
public enum Mode {
  /**
   * Blocking connect on the calling thread. Virtual-thread friendly: a virtual thread parks instead
   * of holding its carrier while the connect is in progress.
   */
  SYNC,
  /**
   * Non-blocking connect completed by the dialer's event loop: one thread, one {@link
   * java.nio.channels.Selector}, as many connects in flight as the process may open sockets.
   */
  ASYNC;

  /**
   * The lower-case name used by the CLI and in JSON ({@code sync}, {@code async}).
   *
   * @return {@code sync} or {@code async}
   */
  public String label() {
    return label;
  }

  private final String label = name().toLowerCase(java.util.Locale.ROOT);
}
