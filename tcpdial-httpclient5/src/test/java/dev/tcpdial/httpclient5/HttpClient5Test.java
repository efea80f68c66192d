package dev.tcpdial.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.tcpdial.Dialer;
import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import dev.tcpdial.SilentPeer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stock HttpClient 5 and HttpClient 5 with {@link TcpdialConnectionOperator}, side by side,
 * against the JDK's HTTP and HTTPS servers on 127.0.0.1, behind a name whose first address
 * (127.0.0.2, same port) is silent. The HTTPS certificate is made by keytool in a temporary
 * directory.
 */
class HttpClient5Test {
  static final String NAME = "silent-first.test";
  static final Timeout CONNECT_TIMEOUT = Timeout.ofSeconds(2);
  static HttpServer http;
  static HttpsServer https;
  static SilentPeer silentHttp;
  static SilentPeer silentHttps;
  static SSLContext tls;
  static Path certDir;
  static DnsResolver dns;
  static Dialer dialer;

  @BeforeAll
  static void start() throws Exception {
    certDir = Files.createTempDirectory("tcpdial-cert-");
    tls = selfSigned(certDir);
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    http.createContext("/", ex -> {
      byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    http.start();
    https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    https.createContext("/", ex -> {
      byte[] body = "hello tls".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    https.start();
    silentHttp = new SilentPeer(new InetSocketAddress("127.0.0.2", http.getAddress().getPort()));
    silentHttps = new SilentPeer(
        new InetSocketAddress("127.0.0.2", https.getAddress().getPort()));
    List<InetAddress> both = List.of(InetAddress.ofLiteral("127.0.0.2"),
        InetAddress.ofLiteral("127.0.0.1"));
    dns = new DnsResolver() {
      @Override
      public InetAddress[] resolve(String host) throws UnknownHostException {
        if (host.equalsIgnoreCase(NAME)) {
          return both.toArray(new InetAddress[0]);
        }
        if (host.equals("127.0.0.1")) {
          return new InetAddress[] {InetAddress.ofLiteral(host)};
        }
        throw new UnknownHostException(host + ": not in the test's table");
      }

      @Override
      public String resolveCanonicalHostname(String host) {
        return host;
      }
    };
    dialer = Dialer.builder().build();
  }

  @AfterAll
  static void stop() throws IOException {
    for (AutoCloseable c : new AutoCloseable[] {silentHttp, silentHttps}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IOException(e);
        }
      }
    }
    if (http != null) {
      http.stop(0);
    }
    if (https != null) {
      https.stop(0);
    }
    if (certDir != null) {
      try (Stream<Path> s = Files.walk(certDir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** A key pair and self-signed certificate for {@value #NAME}, made by the JDK's keytool. */
  static SSLContext selfSigned(Path dir) throws Exception {
    Path ks = dir.resolve("server.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=" + NAME, "-ext", "SAN=dns:" + NAME,
        "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
        "-storepass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  static CloseableHttpClient client(PoolingHttpClientConnectionManagerBuilder builder) {
    return HttpClients.custom().setConnectionManager(builder
        .setDnsResolver(dns)
        .setTlsSocketStrategy(new DefaultClientTlsStrategy(tls))
        .setDefaultConnectionConfig(ConnectionConfig.custom()
            .setConnectTimeout(CONNECT_TIMEOUT).build())
        .build()).build();
  }

  static CloseableHttpClient stock() {
    return client(PoolingHttpClientConnectionManagerBuilder.create());
  }

  static CloseableHttpClient tcpdial() {
    return client(TcpdialConnectionOperator.poolingManagerBuilder(dialer));
  }

  record Timed(String body, double ms) {}

  static Timed get(CloseableHttpClient client, String uri) throws IOException {
    long t0 = System.nanoTime();
    String body = client.execute(new HttpGet(uri), r -> EntityUtils.toString(r.getEntity()));
    return new Timed(body, (System.nanoTime() - t0) / 1e6);
  }

  @Test
  void silentFirstAddressStockWaitsTheTimeoutTcpdialTheAttemptDelay() throws Exception {
    String httpUri = "http://" + NAME + ":" + http.getAddress().getPort() + "/";
    String httpsUri = "https://" + NAME + ":" + https.getAddress().getPort() + "/";
    try (CloseableHttpClient stock = stock(); CloseableHttpClient ours = tcpdial()) {
      // warm: class loading and the TLS stack, on the live address
      get(ours, "http://127.0.0.1:" + http.getAddress().getPort() + "/");
      get(stock, "http://127.0.0.1:" + http.getAddress().getPort() + "/");
      Timed stockHttp = get(stock, httpUri);
      Timed oursHttp = get(ours, httpUri);
      Timed stockHttps = get(stock, httpsUri);
      Timed oursHttps = get(ours, httpsUri);
      System.out.printf("httpclient5: silent first address, connect timeout %d ms, attempt delay"
              + " 250 ms%n  http : stock %7.1f ms   tcpdial %7.1f ms%n"
              + "  https: stock %7.1f ms   tcpdial %7.1f ms%n",
          CONNECT_TIMEOUT.toMilliseconds(), stockHttp.ms(), oursHttp.ms(), stockHttps.ms(),
          oursHttps.ms());
      assertThat(stockHttp.body()).isEqualTo("hello");
      assertThat(oursHttp.body()).isEqualTo("hello");
      assertThat(stockHttps.body()).isEqualTo("hello tls");
      assertThat(oursHttps.body()).isEqualTo("hello tls");
      assertThat(stockHttp.ms()).as("stock: the whole connect timeout on 127.0.0.2")
          .isGreaterThanOrEqualTo(CONNECT_TIMEOUT.toMilliseconds() - 10.0);
      assertThat(stockHttps.ms()).isGreaterThanOrEqualTo(CONNECT_TIMEOUT.toMilliseconds() - 10.0);
      assertThat(oursHttp.ms()).as("tcpdial: about the attempt delay").isBetween(240.0, 1000.0);
      assertThat(oursHttps.ms()).isBetween(240.0, 1000.0);
    }
  }

  @Test
  void refusedSurfacesWithItsOutcome() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = s.getLocalPort();
    }
    try (CloseableHttpClient ours = tcpdial()) {
      IOException e = assertThrows(IOException.class,
          () -> get(ours, "http://127.0.0.1:" + closed + "/"));
      assertThat(e).isInstanceOf(HttpHostConnectException.class)
          .isInstanceOf(DialConnectException.class);
      DialFailure f = (DialFailure) e;
      assertThat(f.result().outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(f.result().errno()).isEqualTo(Errno.ECONNREFUSED);
      assertThat(e.getMessage()).contains("refused ECONNREFUSED");
      // an IPv6 literal in the URI reaches the dialer without its brackets
      IOException v6 = assertThrows(IOException.class,
          () -> get(ours, "http://[::1]:" + closed + "/"));
      assertThat(v6).isInstanceOf(DialConnectException.class);
      assertThat(((DialFailure) v6).result().outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(v6.getMessage()).as("the address once, in its short form")
          .contains("dial [::1]:" + closed + ": refused ECONNREFUSED").doesNotContain("0:0");
      assertThat(((DialFailure) v6).result().remote().getAddress().getHostAddress())
          .isEqualTo("0:0:0:0:0:0:0:1");
    }
  }

  @Test
  void everyAddressSilentTimesOutWithinTheConnectTimeout() throws Exception {
    DnsResolver deadOnly = new DnsResolver() {
      @Override
      public InetAddress[] resolve(String host) {
        return new InetAddress[] {InetAddress.ofLiteral("127.0.0.2")};
      }

      @Override
      public String resolveCanonicalHostname(String host) {
        return host;
      }
    };
    try (CloseableHttpClient ours = HttpClients.custom().setConnectionManager(
        TcpdialConnectionOperator.poolingManagerBuilder(dialer).setDnsResolver(deadOnly)
            .setDefaultConnectionConfig(ConnectionConfig.custom()
                .setConnectTimeout(Timeout.ofMilliseconds(500)).build()).build()).build()) {
      long t0 = System.nanoTime();
      IOException e = assertThrows(IOException.class,
          () -> get(ours, "http://dead.test:" + http.getAddress().getPort() + "/"));
      double ms = (System.nanoTime() - t0) / 1e6;
      assertThat(e).isInstanceOf(ConnectTimeoutException.class)
          .isInstanceOf(java.net.SocketTimeoutException.class)
          .isInstanceOf(DialTimeoutException.class);
      assertThat(((DialFailure) e).result().outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(ms).isBetween(480.0, 1500.0);
    }
  }
}
