package dev.tcpdial;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Run in a child JVM under another locale by {@link LocaleIndependenceTest}: prints the JDK's own
 * (translated) message for a refused connect, then tcpdial's outcome and errno for a refused
 * connect and an unusable source address, in both modes.
 */
public final class LocaleProbe {
  private LocaleProbe() {}

  public static void main(String[] args) throws Exception {
    int closed;
    try (ServerSocketChannel tmp = ServerSocketChannel.open()) {
      tmp.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = ((InetSocketAddress) tmp.getLocalAddress()).getPort();
    }
    try (SocketChannel _ = SocketChannel.open(new InetSocketAddress("127.0.0.1", closed))) {
      System.out.println("jdk-message connected?!");
    } catch (java.io.IOException e) {
      System.out.println("jdk-message " + e.getMessage());
    }
    for (Mode mode : Mode.values()) {
      try (Dialer d = Dialer.builder().mode(mode).connectTimeout(Duration.ofSeconds(2)).build();
          Dialer bound = Dialer.builder().mode(mode)
              .localAddress(InetAddress.ofLiteral("198.18.255.77")).build()) {
        print("refused", d.probe(new Target("127.0.0.1", closed)));
        print("bind", bound.probe(new Target("127.0.0.1", closed)));
      }
    }
  }

  private static void print(String what, DialResult r) {
    System.out.println(what + " " + r.mode().label() + " " + r.outcome().label() + " "
        + (r.errno() == null ? "-" : r.errno().name()));
  }
}
