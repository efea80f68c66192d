package dev.tcpdial.httpclient5;

import dev.tcpdial.DialException;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLSocket;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SchemePortResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.impl.DefaultSchemePortResolver;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionOperator;
import org.apache.hc.client5.http.io.ManagedHttpClientConnection;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.config.Lookup;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The classic (blocking) HttpClient 5's connection operator, connecting with tcpdial: every
 * address the client's {@link DnsResolver} returns is dialed with Happy Eyeballs (RFC 8305), all
 * of it inside the client's connect timeout, where the stock operator tries the addresses one
 * after another, each with the whole timeout. TLS is the client's own {@link TlsSocketStrategy},
 * on the socket tcpdial connected. Plugged in with one call:
 *
 * <pre>{@code
 * PoolingHttpClientConnectionManager cm = TcpdialConnectionOperator.poolingManagerBuilder(dialer)
 *     .setDefaultConnectionConfig(ConnectionConfig.custom()
 *         .setConnectTimeout(Timeout.ofSeconds(5)).build())
 *     .build();
 * CloseableHttpClient client = HttpClients.custom().setConnectionManager(cm).build();
 * }</pre>
 *
 * <p>What changes: how a connection is opened, and what a failed connect throws: {@link
 * DialConnectException} (an {@link org.apache.hc.client5.http.HttpHostConnectException}) or
 * {@link DialTimeoutException} (a {@link org.apache.hc.client5.http.ConnectTimeoutException}),
 * each carrying the {@link dev.tcpdial.DialResult} and the {@link DialException} as cause; a name
 * that does not resolve is an {@link UnknownHostException} as before. What stays the client's:
 * the pool, the DNS resolver, the scheme ports, the connect timeout (the dial's deadline, and
 * each attempt's limit), the socket configuration, TLS, proxies and tunnels. Of the {@link
 * Dialer} it takes the Happy Eyeballs attempt delay, the address family, retries, kernel options,
 * the socket configurer and the listener; the dials are blocking, on the client's thread.
 *
 * <p>A SOCKS proxy in the {@link SocketConfig} and Unix-domain-socket routes are connected by the
 * stock operator. Socket options of the {@link SocketConfig} are applied once connected (buffer
 * sizes that must precede the SYN belong in the dialer's {@link dev.tcpdial.SocketConfigurer}).
 */
public final class TcpdialConnectionOperator implements HttpClientConnectionOperator {
  private static final int MAX_CACHED_DIALERS = 64;

  private final Dialer dialer;
  private final SchemePortResolver schemePortResolver;
  private final Lookup<TlsSocketStrategy> tls;
  private final DefaultHttpClientConnectionOperator stock;
  private final Map<DialerKey, Dialer> dialers = new ConcurrentHashMap<>();

  private record DialerKey(Duration timeout, InetSocketAddress local) {}

  /**
   * An operator dialing with {@code dialer}'s options.
   *
   * @param dialer Happy Eyeballs, family, retries and socket options of every connect
   * @param schemePortResolver the port of a host given without one; {@code null} for the
   *     client's default
   * @param dnsResolver resolves names for the dials, instead of the dialer's resolver; {@code
   *     null} for the client's default (the JDK's resolver)
   * @param tls TLS strategies by scheme name ({@code https}); {@code null} for plain HTTP only
   */
  public TcpdialConnectionOperator(Dialer dialer, SchemePortResolver schemePortResolver,
      DnsResolver dnsResolver, Lookup<TlsSocketStrategy> tls) {
    DnsResolver dns = dnsResolver != null ? dnsResolver : SystemDefaultDnsResolver.INSTANCE;
    this.schemePortResolver =
        schemePortResolver != null ? schemePortResolver : DefaultSchemePortResolver.INSTANCE;
    this.tls = tls;
    Resolver names = host -> List.of(dns.resolve(host));
    this.dialer = dialer.toBuilder().mode(Mode.SYNC).engine(Engine.JDK).resolver(names).build();
    this.stock = new DefaultHttpClientConnectionOperator(this.schemePortResolver, dns, tls);
  }

  /**
   * A pooling connection manager builder whose connections are opened by this operator, with the
   * builder's own scheme ports, DNS resolver and TLS strategy. Everything else is configured on
   * the builder as usual.
   *
   * @param dialer Happy Eyeballs, family, retries and socket options of every connect
   * @return a builder of {@link org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager}
   */
  public static PoolingHttpClientConnectionManagerBuilder poolingManagerBuilder(Dialer dialer) {
    Objects.requireNonNull(dialer, "dialer");
    return new PoolingHttpClientConnectionManagerBuilder() {
      @Override
      protected HttpClientConnectionOperator createConnectionOperator(
          SchemePortResolver ports, DnsResolver dns, TlsSocketStrategy tlsStrategy) {
        Lookup<TlsSocketStrategy> lookup = tlsStrategy == null ? null
            : RegistryBuilder.<TlsSocketStrategy>create()
                .register(URIScheme.HTTPS.id, tlsStrategy).build();
        return new TcpdialConnectionOperator(dialer, ports, dns, lookup);
      }
    };
  }

  /**
   * Connects {@code conn} as {@link #connect(ManagedHttpClientConnection, HttpHost,
   * NamedEndpoint, Path, InetSocketAddress, Timeout, SocketConfig, Object, HttpContext)} does.
   *
   * @throws IOException when the connect fails
   * @deprecated the client's older entry point; kept as the interface requires it
   */
  @Override
  @Deprecated
  public void connect(ManagedHttpClientConnection conn, HttpHost host,
      InetSocketAddress localAddress, TimeValue connectTimeout, SocketConfig socketConfig,
      HttpContext context) throws IOException {
    Timeout timeout = connectTimeout == null ? null : Timeout.of(connectTimeout.toDuration());
    connect(conn, host, null, null, localAddress, timeout, socketConfig, null, context);
  }

  /**
   * Connects {@code conn} as {@link #connect(ManagedHttpClientConnection, HttpHost,
   * NamedEndpoint, Path, InetSocketAddress, Timeout, SocketConfig, Object, HttpContext)} does.
   *
   * @throws IOException when the connect fails
   */
  @Override
  public void connect(ManagedHttpClientConnection conn, HttpHost endpointHost,
      NamedEndpoint endpointName, InetSocketAddress localAddress, Timeout connectTimeout,
      SocketConfig socketConfig, Object attachment, HttpContext context) throws IOException {
    connect(conn, endpointHost, endpointName, null, localAddress, connectTimeout, socketConfig,
        attachment, context);
  }

  /**
   * Dials {@code endpointHost} with tcpdial (all its addresses, Happy Eyeballs, {@code
   * connectTimeout} as the deadline), binds the socket to {@code conn}, and for {@code https}
   * upgrades it with the client's {@link TlsSocketStrategy}.
   *
   * @throws DialConnectException when the dial failed other than by a timeout
   * @throws DialTimeoutException when the dial timed out
   * @throws UnknownHostException when the name did not resolve
   * @throws IOException when the TLS handshake or a socket option failed
   */
  @Override
  public void connect(ManagedHttpClientConnection conn, HttpHost endpointHost,
      NamedEndpoint endpointName, Path unixDomainSocket, InetSocketAddress localAddress,
      Timeout connectTimeout, SocketConfig socketConfig, Object attachment, HttpContext context)
      throws IOException {
    SocketConfig config = socketConfig != null ? socketConfig : SocketConfig.DEFAULT;
    if (unixDomainSocket != null || config.getSocksProxyAddress() != null) {
      stock.connect(conn, endpointHost, endpointName, unixDomainSocket, localAddress,
          connectTimeout, socketConfig, attachment, context);
      return;
    }
    int port = schemePortResolver.resolve(endpointHost);
    String host = endpointHost.getAddress() != null
        ? endpointHost.getAddress().getHostAddress() : endpointHost.getHostName();
    if (host.length() > 2 && host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1); // an IPv6 literal as written in a URI
    }
    NamedEndpoint named = endpointName != null ? endpointName : endpointHost;
    Target target;
    try {
      target = new Target(host, port);
    } catch (IllegalArgumentException e) {
      // Not a name or port tcpdial dials (port 0, a name with characters no host name has): the
      // stock operator fails it as the client always did, with an IOException, not this one.
      stock.connect(conn, endpointHost, endpointName, unixDomainSocket, localAddress,
          connectTimeout, socketConfig, attachment, context);
      return;
    }
    SocketChannel ch;
    try {
      ch = dialer(connectTimeout, localAddress).dial(target);
    } catch (DialException e) {
      throw translate(named, e);
    }
    Socket socket = ch.socket();
    try {
      configure(socket, config);
      conn.bind(socket);
      if (URIScheme.HTTPS.same(endpointHost.getSchemeName())) {
        TlsSocketStrategy strategy = tls != null ? tls.lookup(endpointHost.getSchemeName()) : null;
        if (strategy != null) {
          SSLSocket ssl = strategy.upgrade(socket, named.getHostName(), named.getPort(),
              attachment, context);
          conn.bind(ssl, socket);
        }
      }
    } catch (IOException | RuntimeException e) {
      conn.close();
      socket.close();
      throw e;
    }
  }

  /**
   * Layers TLS over an established connection (a tunnel through a proxy), as the stock operator
   * does.
   *
   * @throws IOException when the TLS handshake fails
   */
  @Override
  public void upgrade(ManagedHttpClientConnection conn, HttpHost host, HttpContext context)
      throws IOException {
    stock.upgrade(conn, host, context);
  }

  /**
   * Layers TLS over an established connection (a tunnel through a proxy), as the stock operator
   * does.
   *
   * @throws IOException when the TLS handshake fails
   */
  @Override
  public void upgrade(ManagedHttpClientConnection conn, HttpHost endpointHost,
      NamedEndpoint endpointName, Object attachment, HttpContext context) throws IOException {
    stock.upgrade(conn, endpointHost, endpointName, attachment, context);
  }

  static IOException translate(NamedEndpoint host, DialException e) {
    return switch (e.outcome()) {
      case TIMEOUT -> new DialTimeoutException(host, e);
      case RESOLUTION_FAILED -> {
        UnknownHostException u = new UnknownHostException(e.getMessage());
        u.initCause(e);
        yield u;
      }
      case CANCELLED -> {
        InterruptedIOException i = new InterruptedIOException(e.getMessage());
        i.initCause(e);
        yield i;
      }
      default -> new DialConnectException(host, e);
    };
  }

  // One deadline per dialer: a dialer per distinct connect timeout (a client has one or a few),
  // kept. SYNC dialers own no thread, so one dropped from the cache needs no close.
  private Dialer dialer(Timeout timeout, InetSocketAddress local) {
    Duration t = timeout == null || timeout.isDisabled() ? Duration.ZERO : timeout.toDuration();
    if (t.isZero() && local == null) {
      return dialer;
    }
    DialerKey key = new DialerKey(t, local);
    Dialer d = dialers.get(key);
    if (d == null) {
      Dialer.Builder b = dialer.toBuilder();
      if (!t.isZero()) {
        b.connectTimeout(t).deadline(t);
      }
      if (local != null) {
        b.localAddress(local);
      }
      if (dialers.size() >= MAX_CACHED_DIALERS) {
        dialers.clear();
      }
      d = dialers.computeIfAbsent(key, k -> b.build());
    }
    return d;
  }

  private static void configure(Socket s, SocketConfig c) throws IOException {
    s.setSoTimeout(c.getSoTimeout().toMillisecondsIntBound());
    s.setTcpNoDelay(c.isTcpNoDelay());
    s.setKeepAlive(c.isSoKeepAlive());
    if (c.getRcvBufSize() > 0) {
      s.setReceiveBufferSize(c.getRcvBufSize());
    }
    if (c.getSndBufSize() > 0) {
      s.setSendBufferSize(c.getSndBufSize());
    }
    if (c.getSoLinger().toSeconds() >= 0) {
      s.setSoLinger(true, (int) Math.min(65535, c.getSoLinger().toSeconds()));
    }
    if (c.getTcpKeepIdle() > 0) {
      s.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, c.getTcpKeepIdle());
    }
    if (c.getTcpKeepInterval() > 0) {
      s.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL, c.getTcpKeepInterval());
    }
    if (c.getTcpKeepCount() > 0) {
      s.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT, c.getTcpKeepCount());
    }
    if (c.isSoReuseAddress()) {
      s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    }
  }
}
