package dev.tcpdial.socketfactory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Dialer;
import dev.tcpdial.Mode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code close()} from another thread at every moment of a {@code connect()} to a loopback
 * listener that closes what it accepts: a connection whose socket nobody closes shows as
 * CLOSE-WAIT towards the listener's port and as a descriptor more. Bounded: at most 1,500
 * rounds or 8 s per mode.
 */
class CloseRacesConnectTest {

  @ParameterizedTest
  @EnumSource(Mode.class)
  void noConnectionOutlivesACloseThatRacesTheConnect(Mode mode) throws Exception {
    try (ServerSocket listener = new ServerSocket();
        Dialer dialer = Dialer.builder().mode(mode).build()) {
      listener.bind(new InetSocketAddress("127.0.0.1", 0), 512);
      int port = listener.getLocalPort();
      Thread.ofPlatform().daemon().start(() -> {
        while (true) {
          try {
            listener.accept().close(); // the peer's half closes: a leaked client is CLOSE-WAIT
          } catch (IOException e) {
            return;
          }
        }
      });
      DialingSocketFactory factory = new DialingSocketFactory(dialer);
      InetSocketAddress to = new InetSocketAddress("127.0.0.1", port);
      for (int i = 0; i < 50; i++) {
        factory.createSocket("127.0.0.1", port).close(); // warm: loaded, linked, compiled
      }
      long[] took = new long[50];
      for (int i = 0; i < took.length; i++) {
        long t0 = System.nanoTime();
        factory.createSocket("127.0.0.1", port).close();
        took[i] = System.nanoTime() - t0;
      }
      Arrays.sort(took);
      long spread = Math.max(20_000, 2 * took[took.length / 2]); // close anywhere in 2x the median
      long baseline = openSockets();
      CyclicBarrier go = new CyclicBarrier(2);
      Socket[] current = new Socket[1];
      Thread closer = Thread.ofPlatform().daemon().start(() -> {
        try {
          while (true) {
            go.await();
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(spread));
            current[0].close();
            go.await();
          }
        } catch (Exception e) {
          // the test is over
        }
      });
      int rounds = 0;
      int connected = 0;
      int closedFirst = 0;
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      for (; rounds < 1_500 && System.nanoTime() < end; rounds++) {
        Socket s = factory.createSocket();
        current[0] = s;
        go.await(5, TimeUnit.SECONDS);
        try {
          s.connect(to, 2_000);
          connected++;
        } catch (SocketException e) {
          closedFirst++;
        }
        go.await(5, TimeUnit.SECONDS);
        assertThat(s.isClosed()).isTrue();
      }
      closer.interrupt();
      System.out.printf("close races connect (%s): %d rounds, %d connected then closed, %d closed"
          + " during the connect, close within %d us%n", mode, rounds, connected, closedFirst,
          spread / 1000);
      assertThat(closedFirst).as("rounds where close() came during connect()").isPositive();
      long fds = awaitSockets(baseline);
      long closeWait = awaitNoCloseWait(port);
      assertThat(closeWait).as("sockets in CLOSE-WAIT towards the listener").isZero();
      assertThat(fds).as("socket descriptors after %d rounds (before: %d)", rounds, baseline)
          .isLessThanOrEqualTo(baseline);
    }
  }

  /**
   * Socket descriptors of this process (the JDK's pollers add descriptors of other kinds as
   * virtual threads spread over carriers; those are no leak).
   */
  private static long openSockets() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        } catch (IOException e) {
          return false; // closed meanwhile
        }
      }).count();
    }
  }

  private static long awaitSockets(long baseline) throws Exception {
    long n = openSockets();
    for (int i = 0; i < 40 && n > baseline; i++) {
      Thread.sleep(50);
      n = openSockets();
    }
    return n;
  }

  private static long awaitNoCloseWait(int port) throws Exception {
    long n = closeWait(port);
    for (int i = 0; i < 40 && n > 0; i++) {
      Thread.sleep(50);
      n = closeWait(port);
    }
    return n;
  }

  /** Sockets in CLOSE_WAIT (state 08) whose remote port is {@code port}, IPv4 and IPv6 tables. */
  private static long closeWait(int port) throws IOException {
    String suffix = String.format(":%04X", port);
    long n = 0;
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      try (Stream<String> lines = Files.lines(Path.of(table))) {
        n += lines.skip(1).map(String::trim).map(l -> l.split("\\s+"))
            .filter(f -> f[2].endsWith(suffix) && f[3].equals("08")).count();
      }
    }
    return n;
  }
}
