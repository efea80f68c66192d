package dev.tcpdial.exporter;

import java.time.Duration;

/**
 * The JDK HTTP server's own defences against slow and idle clients, which are off by default.
 *
 * <p>The server ({@code jdk.httpserver}) reads a request line and its headers on an executor
 * thread, blocking, once the first byte has come; without a limit a client that sends a byte
 * every few seconds (slowloris) holds that thread and its descriptor for ever, and connections
 * are not counted. Its settings are system properties read once, when the first server of the
 * JVM is created (JDK 25 {@code sun.net.httpserver.ServerConfig}):
 *
 * <ul>
 *   <li>{@code sun.net.httpserver.maxReqTime} (seconds; default none): the request — line,
 *       headers, body — must have come this long after its first byte, or the connection is
 *       closed. It also bounds how long a new connection may send nothing at all (otherwise
 *       {@code sun.net.httpserver.idleInterval}, 30 s). Checked every {@code
 *       sun.net.httpserver.timerMillis} (1 s).
 *   <li>{@code jdk.httpserver.maxConnections} (default none): connections past it are closed as
 *       they are accepted, which bounds the descriptors and the threads slow clients can hold.
 *   <li>{@code sun.net.httpserver.clockTick} (default 10 s): how often idle connections are
 *       looked at; 1 s here, so that a silent connection goes within a second of its time.
 * </ul>
 *
 * <p>What the server cannot do: tell a handler that its client went away (a probe whose scraper
 * hung up runs to its deadline, then its answer is dropped), or limit connections per client
 * (one client with {@code maxConnections} connections crowds out the rest until they time out).
 */
public final class HttpLimits {
  /** Time a client has to send its request, from its first byte. */
  static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private HttpLimits() {}

  /**
   * Sets the server's limits; they take effect for the first server this JVM creates.
   *
   * @param maxConnections connections at once, at least 1
   * @param requestTimeout rounded up to whole seconds, at least 1 s
   */
  public static void install(int maxConnections, Duration requestTimeout) {
    System.setProperty("jdk.httpserver.maxConnections", Integer.toString(maxConnections));
    System.setProperty("sun.net.httpserver.maxReqTime", Long.toString(seconds(requestTimeout)));
    System.setProperty("sun.net.httpserver.clockTick", "1000");
  }

  /** Whole seconds, rounded up, at least 1. */
  static long seconds(Duration d) {
    long s = d.toSeconds() + (d.toNanosPart() > 0 ? 1 : 0);
    return Math.max(1, s);
  }

  /**
   * A quarter of the descriptors left after 128 for the JVM: {@code --max-concurrent} takes
   * most of the rest for the probes' sockets. 64 to 4096.
   *
   * @param softLimit the descriptor limit
   * @return the default {@code --max-connections}
   */
  public static int defaultMaxConnections(long softLimit) {
    return (int) Math.max(64, Math.min(4096, (softLimit - 128) / 4));
  }
}
