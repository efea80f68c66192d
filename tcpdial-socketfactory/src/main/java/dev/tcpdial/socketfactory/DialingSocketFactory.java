package dev.tcpdial.socketfactory;

import dev.tcpdial.DialException;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Family;
import dev.tcpdial.Mode;
import dev.tcpdial.RetryPolicy;
import dev.tcpdial.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.SocketFactory;

/**
 * A {@link SocketFactory} whose sockets are connected by tcpdial: every address of the host name,
 * Happy Eyeballs (RFC 8305), one deadline, and a failure that names its outcome and errno. Clients
 * that take a socket factory by class name get it with one setting and no code:
 *
 * <ul>
 *   <li>pgjdbc: {@code jdbc:postgresql://db/app?socketFactory=dev.tcpdial.socketfactory.DialingSocketFactory}
 *       (pgjdbc passes the connection's properties to {@link #DialingSocketFactory(Properties)},
 *       so {@code tcpdial.*} options can sit in the URL too);
 *   <li>Jakarta Mail: {@code mail.smtp.socketFactory.class=dev.tcpdial.socketfactory.DialingSocketFactory};
 *   <li>JNDI LDAP: {@code java.naming.ldap.factory.socket=dev.tcpdial.socketfactory.DialingSocketFactory}
 *       (LDAP calls {@link #getDefault()}).
 * </ul>
 *
 * <p>{@link #createSocket(String, int)} returns a connected socket. {@link #createSocket()} returns
 * an unconnected one whose {@link Socket#connect(java.net.SocketAddress, int)} dials the address's
 * host name (all its addresses, not only the one the caller resolved) with the timeout as the
 * dial's deadline. The socket is the JDK's own adaptor of the dialed {@link SocketChannel} in
 * blocking mode: streams, {@code setSoTimeout} and {@code close} behave as a plain socket's.
 *
 * <p>A failed connect throws the JDK type a plain socket would ({@link java.net.ConnectException}
 * for refused or prohibited, {@link java.net.NoRouteToHostException} for unreachable, {@link
 * java.net.SocketTimeoutException} for a timeout, {@link java.net.UnknownHostException}, {@link
 * java.net.BindException}), its message tcpdial's and its cause the {@link DialException} with the
 * outcome, the errno and every attempt, in any locale.
 *
 * <p>Options ({@link #options(Properties)}): {@code tcpdial.connectTimeout}, {@code
 * tcpdial.deadline}, {@code tcpdial.attemptDelay}, {@code tcpdial.resolveTimeout} (durations:
 * {@code 250ms}, {@code 2s}, {@code 1m} or ISO-8601 {@code PT2S}), {@code tcpdial.family} ({@code
 * any}, {@code ipv4}, {@code ipv6}), {@code tcpdial.retries} and {@code tcpdial.synRetries}
 * (counts). They are read from, latest winning: the properties file named by the system property
 * {@code tcpdial.config}, the system properties, and the properties given to {@link
 * #DialingSocketFactory(Properties)}. Only the system property names the file ({@code
 * tcpdial.config} among the given properties is refused unless it is the same): a JDBC URL is
 * written by whoever connects, who must not make the application open a file. The file must be a
 * regular file of at most 64 KiB, read within 2 s; an error about it names the file and the
 * option, never a value from it.
 */
public class DialingSocketFactory extends SocketFactory {

  /** The system property naming a properties file of {@code tcpdial.*} options. */
  public static final String CONFIG_PROPERTY = "tcpdial.config";

  private static final int MAX_CACHED_DIALERS = 64;

  private final Dialer dialer;
  private final Map<DialerKey, Dialer> derived = new ConcurrentHashMap<>();

  private record DialerKey(Duration deadline, InetSocketAddress local) {}

  private static final class DefaultHolder {
    static final DialingSocketFactory INSTANCE = new DialingSocketFactory();
  }

  /**
   * A factory with the options of the {@code tcpdial.config} file and the system properties.
   *
   * @throws IllegalArgumentException when an option is malformed, with a one-line reason
   */
  public DialingSocketFactory() {
    this(new Properties());
  }

  /**
   * A factory with the {@code tcpdial.*} options of {@code properties}, over those of the {@code
   * tcpdial.config} file and the system properties. Other keys are ignored, so pgjdbc can hand
   * over a connection's whole property set; {@code tcpdial.config} is not an option here (only
   * the system property names the file).
   *
   * @param properties options; other keys are ignored
   * @throws IllegalArgumentException when an option is malformed, the file cannot be read, or
   *     {@code properties} names a file other than the system property's, with a one-line reason
   */
  public DialingSocketFactory(Properties properties) {
    this(options(merged(properties)).build());
  }

  /**
   * A factory that dials with {@code dialer}'s options; either mode works (a {@link Mode#SYNC}
   * dialer connects on a virtual thread while {@code connect} waits, so that {@code close} can
   * end it). A connect timeout other than zero, or a bound local address, gets a {@link
   * Mode#SYNC} dialer derived from this one. The factory does not close {@code dialer}.
   *
   * @param dialer the options to dial with
   */
  public DialingSocketFactory(Dialer dialer) {
    this.dialer = Objects.requireNonNull(dialer, "dialer");
  }

  /**
   * The shared factory with the options of the {@code tcpdial.config} file and the system
   * properties, made on first use; JNDI's LDAP client looks for this method.
   *
   * @return the shared factory
   */
  public static SocketFactory getDefault() {
    return DefaultHolder.INSTANCE;
  }

  /**
   * The dialer this factory was made with.
   *
   * @return the dialer
   */
  public Dialer dialer() {
    return dialer;
  }

  /**
   * A dialer builder with the {@code tcpdial.*} options of {@code properties} applied.
   *
   * @param properties the options; other keys are ignored
   * @return a builder in {@link Mode#SYNC}
   * @throws IllegalArgumentException when an option is malformed, with a one-line reason
   */
  public static Dialer.Builder options(Properties properties) {
    Dialer.Builder b = Dialer.builder().mode(Mode.SYNC);
    apply(b, properties, null);
    return b;
  }

  /**
   * Applies the {@code tcpdial.*} options of {@code properties} to {@code b}. With {@code file}
   * (the options came from it) an error names the file and the option but never quotes a value
   * or an unknown key: the file may hold what its reader must not show. Otherwise the value is
   * quoted: it is the caller's own.
   */
  private static void apply(Dialer.Builder b, Properties properties, String file) {
    for (String key : properties.stringPropertyNames()) {
      if (!key.startsWith("tcpdial.") || key.equals(CONFIG_PROPERTY)) {
        continue;
      }
      String v = properties.getProperty(key).strip();
      try {
        switch (key) {
          case "tcpdial.connectTimeout" -> b.connectTimeout(duration(v));
          case "tcpdial.deadline" -> b.deadline(duration(v));
          case "tcpdial.attemptDelay" -> b.attemptDelay(duration(v));
          case "tcpdial.resolveTimeout" -> b.resolveTimeout(duration(v));
          case "tcpdial.family" -> b.family(Family.valueOf(v.toUpperCase(Locale.ROOT)));
          case "tcpdial.retries" -> b.retry(RetryPolicy.retries(Integer.parseInt(v)));
          case "tcpdial.synRetries" -> b.synRetries(Integer.parseInt(v));
          default -> throw new IllegalArgumentException("unknown option");
        }
      } catch (IllegalArgumentException | DateTimeParseException e) {
        if (file != null) {
          throw new IllegalArgumentException("bad tcpdial option in " + file + ": " + expected(key));
        }
        throw new IllegalArgumentException("bad tcpdial option " + key + "=" + v + ": "
            + (e.getMessage() == null ? "malformed" : e.getMessage()), e);
      }
    }
  }

  /** What an option takes, said without its value. */
  private static String expected(String key) {
    return switch (key) {
      case "tcpdial.connectTimeout", "tcpdial.deadline", "tcpdial.attemptDelay",
          "tcpdial.resolveTimeout" -> key + " must be a duration: 250ms, 2s, 1m or PT2S";
      case "tcpdial.family" -> key + " must be any, ipv4 or ipv6";
      case "tcpdial.retries" -> key + " must be a count, 0 or more";
      case "tcpdial.synRetries" -> key + " must be a count, 0 (the system's) to 127";
      default -> "an unknown tcpdial.* key (known: tcpdial.connectTimeout, tcpdial.deadline,"
          + " tcpdial.attemptDelay, tcpdial.resolveTimeout, tcpdial.family, tcpdial.retries,"
          + " tcpdial.synRetries)";
    };
  }

  /** {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, or ISO-8601 ({@code PT2S}). */
  static Duration duration(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.startsWith("pt") || t.startsWith("p")) {
      return Duration.parse(t.toUpperCase(Locale.ROOT));
    }
    long unitNanos;
    String number;
    if (t.endsWith("ms")) {
      unitNanos = 1_000_000L;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("s")) {
      unitNanos = 1_000_000_000L;
      number = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      unitNanos = 60_000_000_000L;
      number = t.substring(0, t.length() - 1);
    } else {
      throw new IllegalArgumentException("a duration needs a unit: ms, s or m (250ms, 2s)");
    }
    double n = Double.parseDouble(number.strip());
    if (!(n >= 0) || n * unitNanos > Long.MAX_VALUE) {
      throw new IllegalArgumentException("a duration must be zero or positive and finite");
    }
    return Duration.ofNanos(Math.round(n * unitNanos));
  }

  /**
   * The file's options, the system properties, then {@code given}, latest winning. The file is
   * named by the system property only: a client's properties (a JDBC URL's, for one) come from
   * whoever writes the URL, who must not make the application open a file of their choosing.
   */
  private static Properties merged(Properties given) {
    String file = System.getProperty(CONFIG_PROPERTY);
    String fromClient = given.getProperty(CONFIG_PROPERTY);
    if (fromClient != null && !fromClient.equals(file)) {
      // one answer whatever the name: nothing is learnt about the file, nothing is opened
      throw new IllegalArgumentException("tcpdial.config is taken from the system property only"
          + " (-Dtcpdial.config=FILE), not from the client's properties");
    }
    Properties all = new Properties();
    if (file != null && !file.isBlank()) {
      Properties fromFile = OptionsFile.read(Path.of(file.strip()));
      apply(Dialer.builder(), fromFile, OptionsFile.printable(file.strip()));
      all.putAll(fromFile);
    }
    System.getProperties().forEach((k, v) -> all.put(k, v));
    given.forEach((k, v) -> all.put(k, v));
    return all;
  }

  /**
   * An unconnected socket; its {@code connect} dials with tcpdial.
   *
   * @return a new, unconnected socket
   * @throws IOException never, in practice: a socket made here owns nothing until it connects
   */
  @Override
  public Socket createSocket() throws IOException {
    return new DialingSocket(this);
  }

  /**
   * A socket connected to every address of {@code host} with Happy Eyeballs.
   *
   * @param host a host name or an address literal
   * @param port the port
   * @return the connected socket
   * @throws IOException when the dial fails: the JDK's type for the outcome, with the {@link
   *     DialException} as its cause
   */
  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(InetSocketAddress.createUnresolved(host, port));
    return s;
  }

  /**
   * A socket bound to {@code localHost}:{@code localPort}, then connected to {@code host}.
   *
   * @param host a host name or an address literal
   * @param port the port
   * @param localHost the local address to bind, or {@code null} for any
   * @param localPort the local port to bind, or 0 for any
   * @return the connected socket
   * @throws IOException when the dial fails, as {@link #createSocket(String, int)}
   */
  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    Socket s = createSocket();
    s.bind(new InetSocketAddress(localHost, localPort));
    s.connect(InetSocketAddress.createUnresolved(host, port));
    return s;
  }

  /**
   * A socket connected to {@code host}, by its name when it has one, else to the address alone.
   *
   * @param host the address
   * @param port the port
   * @return the connected socket
   * @throws IOException when the dial fails, as {@link #createSocket(String, int)}
   */
  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  /**
   * A socket bound to {@code localAddress}:{@code localPort}, then connected to {@code address}.
   *
   * @param address the address
   * @param port the port
   * @param localAddress the local address to bind, or {@code null} for any
   * @param localPort the local port to bind, or 0 for any
   * @return the connected socket
   * @throws IOException when the dial fails, as {@link #createSocket(String, int)}
   */
  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
      int localPort) throws IOException {
    Socket s = createSocket();
    s.bind(new InetSocketAddress(localAddress, localPort));
    s.connect(new InetSocketAddress(address, port));
    return s;
  }

  /**
   * Starts dialing {@code target}: the factory's options, {@code deadline} (if not zero) as the
   * dial's deadline, bound to {@code local} (if not null). The future completes with a connected
   * channel in non-blocking mode, or with the {@link DialException}; cancelling it closes the
   * dial's sockets.
   */
  CompletableFuture<SocketChannel> dialAsync(Target target, Duration deadline,
      InetSocketAddress local) {
    Dialer d = deadline.isZero() && local == null ? dialer : derived(deadline, local);
    return d.dialAsync(target);
  }

  // The dialer has one deadline for all its dials; a connect timeout per call gets a dialer of its
  // own, kept (few distinct timeouts exist in practice: a client's setting). SYNC dialers own no
  // thread, so one dropped from the cache needs no close.
  private Dialer derived(Duration deadline, InetSocketAddress local) {
    DialerKey key = new DialerKey(deadline, local);
    Dialer d = derived.get(key);
    if (d == null) {
      Dialer.Builder b = dialer.toBuilder().mode(Mode.SYNC).engine(Engine.JDK);
      if (!deadline.isZero()) {
        b.deadline(deadline);
      }
      if (local != null) {
        b.localAddress(local);
      }
      if (derived.size() >= MAX_CACHED_DIALERS) {
        derived.clear();
      }
      d = derived.computeIfAbsent(key, k -> b.build());
    }
    return d;
  }
}
