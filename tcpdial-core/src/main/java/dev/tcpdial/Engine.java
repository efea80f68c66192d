package dev.tcpdial;

/**
 * Which implementation performs the connects. A dialer is given one of them with {@link
 * Dialer.Builder#engine} (or none: {@link #AUTO}); a {@link DialResult} names the one that ran:
 * {@link #URING}, {@link #EPOLL} or {@link #JDK}.
 */
public enum Engine {
  /** The JDK's {@link java.nio.channels.SocketChannel}: works everywhere, returns channels. */
  JDK,
  /**
   * The best native backend this kernel offers: {@link #URING}, else {@link #EPOLL}. Fails every
   * probe (outcome {@code error}, the reason in the detail) where neither can run; never falls back
   * to {@link #JDK}. Results name the backend that ran.
   */
  NATIVE,
  /**
   * Linux system calls through the foreign-function API, waiting with {@code epoll}: probes only,
   * exact errno, no exception on the hot path. Needs native access ({@code
   * --enable-native-access}).
   */
  EPOLL,
  /**
   * Like {@link #EPOLL}, but the connects and closes go to the kernel through an {@code io_uring}
   * in batches: one system call per batch rather than several per probe. Refused in many places
   * ({@code kernel.io_uring_disabled}, container seccomp profiles); forcing it there fails every
   * probe with the kernel's reason.
   */
  URING,
  /**
   * The dialer's choice (the same as no choice): {@link #URING} where it runs, else {@link #EPOLL},
   * else {@link #JDK} (no native access, another platform, or a {@link SocketConfigurer}).
   */
  AUTO;

  /**
   * The lower-case name used by the CLI and in JSON.
   *
   * @return {@code jdk}, {@code native}, {@code epoll}, {@code uring} or {@code auto}
   */
  public String label() {
    return label;
  }

  /**
   * True for the engines that make system calls of their own: native, epoll, uring.
   *
   * @return whether this engine is one of the native ones
   */
  public boolean isNative() {
    return this == NATIVE || this == EPOLL || this == URING;
  }

  private final String label = name().toLowerCase(java.util.Locale.ROOT);
}
