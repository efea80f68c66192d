package dev.tcpdial.socketfactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tcpdial.DialException;
import dev.tcpdial.Dialer;
import dev.tcpdial.Outcome;
import dev.tcpdial.Resolver;
import dev.tcpdial.SilentPeer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The factory's sockets on loopback: an echo listener on 127.0.0.1, silent on 127.0.0.2 (same
 * port); names from an injected resolver.
 */
class DialingSocketFactoryTest {
  static ServerSocket echo;
  static SilentPeer silent;
  static int port;
  static DialingSocketFactory factory;

  @BeforeAll
  static void start() throws Exception {
    echo = new ServerSocket();
    echo.bind(new InetSocketAddress("127.0.0.1", 0));
    port = echo.getLocalPort();
    Thread.ofPlatform().daemon().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread.ofVirtual().start(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (java.io.IOException e) {
              // peer went away
            }
          });
        } catch (java.io.IOException e) {
          return;
        }
      }
    });
    silent = new SilentPeer(new InetSocketAddress("127.0.0.2", port));
    InetAddress dead = InetAddress.ofLiteral("127.0.0.2");
    InetAddress live = InetAddress.ofLiteral("127.0.0.1");
    factory = new DialingSocketFactory(Dialer.builder().resolver(Resolver.of(Map.of(
        "silent-first.test", List.of(dead, live), "dead.test", List.of(dead)))).build());
    factory.createSocket("silent-first.test", port).close(); // class loading, not timed
  }

  @AfterAll
  static void stop() throws Exception {
    silent.close();
    echo.close();
  }

  @Test
  void unconnectedSocketDialsEveryAddressOfTheName() throws Exception {
    try (Socket s = factory.createSocket()) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(300);
      assertThat(s.isConnected()).isFalse();
      long t0 = System.nanoTime();
      // as pgjdbc does: an address the caller resolved itself, here to the silent one only
      s.connect(new InetSocketAddress(InetAddress.getByAddress("silent-first.test",
          new byte[] {127, 0, 0, 2}), port), 5000);
      double ms = (System.nanoTime() - t0) / 1e6;
      System.out.printf("socketfactory: silent first address, connected in %.1f ms%n", ms);
      assertThat(ms).isBetween(240.0, 1000.0);
      assertThat(s.isConnected()).isTrue();
      assertThat(s.getInetAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(s.getTcpNoDelay()).isTrue();
      assertThat(s.getSoTimeout()).isEqualTo(300);
      s.getOutputStream().write("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readNBytes(4),
          java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ping");
      long r0 = System.nanoTime();
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      assertThat((System.nanoTime() - r0) / 1e6).isBetween(250.0, 2000.0);
    }
  }

  @Test
  void connectTimeoutIsTheDeadline() throws Exception {
    try (Socket s = factory.createSocket()) {
      long t0 = System.nanoTime();
      SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
          () -> s.connect(InetSocketAddress.createUnresolved("dead.test", port), 400));
      double ms = (System.nanoTime() - t0) / 1e6;
      assertThat(ms).isBetween(390.0, 1500.0);
      assertThat(e.getCause()).isInstanceOf(DialException.class);
      assertThat(((DialException) e.getCause()).outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(s.isConnected()).isFalse();
    }
  }

  @Test
  void closeFromAnotherThreadEndsAConnectInProgress() throws Exception {
    long baseline = SilentPeer.openFds();
    Socket s = factory.createSocket();
    Thread.ofVirtual().start(() -> {
      try {
        Thread.sleep(200);
        s.close();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.connect(InetSocketAddress.createUnresolved("dead.test", port), 5000))
        .isInstanceOf(java.net.SocketException.class).hasMessageContaining("closed");
    assertThat((System.nanoTime() - t0) / 1e6).isBetween(190.0, 1500.0);
    assertThat(s.isClosed()).isTrue();
    assertThat(SilentPeer.awaitFds(baseline)).isEqualTo(baseline);
  }

  @Test
  void interruptEndsAConnectInProgressAndKeepsTheFlag() throws Exception {
    try (Socket s = factory.createSocket()) {
      Thread caller = Thread.currentThread();
      Thread.ofVirtual().start(() -> {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
        caller.interrupt();
      });
      assertThatThrownBy(() -> s.connect(InetSocketAddress.createUnresolved("dead.test", port)))
          .isInstanceOf(java.net.SocketException.class).hasMessageContaining("interrupt");
      assertThat(Thread.interrupted()).as("interrupt status kept (and cleared here)").isTrue();
      assertThat(s.isClosed()).isTrue();
    }
  }

  @Test
  void closedBeforeConnectRefusesToConnect() throws Exception {
    Socket s = factory.createSocket();
    s.close();
    assertThat(s.isClosed()).isTrue();
    assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", port)))
        .isInstanceOf(java.net.SocketException.class).hasMessageContaining("closed");
  }

  @Test
  void malformedOptionSaysWhichInOneLine() {
    Properties p = new Properties();
    p.setProperty("tcpdial.attemptDelay", "fast");
    assertThatThrownBy(() -> new DialingSocketFactory(p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("bad tcpdial option tcpdial.attemptDelay=fast: ")
        .hasMessageNotContaining("\n");
    assertThat(DialingSocketFactory.duration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(DialingSocketFactory.duration("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(DialingSocketFactory.duration("PT2S")).isEqualTo(Duration.ofSeconds(2));
    assertThat(DialingSocketFactory.getDefault()).isSameAs(DialingSocketFactory.getDefault());
  }
}
