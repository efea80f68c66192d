package dev.tcpdial;

/** Which implementation performs the connects. */
public enum Engine {
  /** The JDK's {@link java.nio.channels.SocketChannel}: works everywhere, returns channels. */
  JDK,
  /**
   * Linux system calls through the foreign-function API: probes only, exact errno, no exception on
   * the hot path. Needs native access ({@code --enable-native-access}).
   */
  NATIVE;

  /**
   * The lower-case name used by the CLI and in JSON.
   *
   * @return {@code jdk} or {@code native}
   */
  public String label() {
    return label;
  }

  private final String label = name().toLowerCase(java.util.Locale.ROOT);
}
