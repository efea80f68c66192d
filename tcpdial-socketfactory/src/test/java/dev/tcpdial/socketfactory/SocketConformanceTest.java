package dev.tcpdial.socketfactory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Dialer;
import dev.tcpdial.Resolver;
import dev.tcpdial.SilentPeer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DialingSocket} against {@code new Socket()}: each scenario runs on both and records what
 * a caller can observe (the state methods, the addresses, the exception types of each call); the
 * two records must be equal. Peers on loopback: a listener on 127.0.0.1, a silent address on
 * 127.0.0.2 (same port), a port where nothing listens. Names come from an injected resolver.
 */
class SocketConformanceTest {
  static ServerSocket listener;
  static SilentPeer silent;
  static int port;
  static int closedPort;
  static DialingSocketFactory factory;

  @BeforeAll
  static void start() throws Exception {
    listener = new ServerSocket();
    listener.bind(new InetSocketAddress("127.0.0.1", 0), 200);
    port = listener.getLocalPort();
    Thread.ofPlatform().daemon().start(() -> {
      List<Socket> accepted = new ArrayList<>(); // kept open: the client side decides
      while (!listener.isClosed()) {
        try {
          accepted.add(listener.accept());
        } catch (IOException e) {
          break;
        }
      }
      for (Socket s : accepted) {
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    });
    silent = new SilentPeer(new InetSocketAddress("127.0.0.2", port));
    closedPort = freePort();
    factory = new DialingSocketFactory(Dialer.builder().resolver(Resolver.of(Map.of(
        "listener.test", List.of(InetAddress.ofLiteral("127.0.0.1"))))).build());
  }

  @AfterAll
  static void stop() throws Exception {
    silent.close();
    listener.close();
  }

  /** What one scenario saw, one line per observation. */
  static final class Seen {
    final List<String> lines = new ArrayList<>();

    void see(String what, Callable<?> call) {
      String seen;
      try {
        seen = show(call.call());
      } catch (Exception e) {
        seen = "throws " + e.getClass().getSimpleName();
      }
      lines.add(what + " -> " + seen);
    }

    void state(String when, Socket s) {
      see(when + " isConnected", s::isConnected);
      see(when + " isBound", s::isBound);
      see(when + " isClosed", s::isClosed);
      see(when + " isInputShutdown", s::isInputShutdown);
      see(when + " isOutputShutdown", s::isOutputShutdown);
      see(when + " getInetAddress", s::getInetAddress);
      see(when + " getPort", s::getPort);
      see(when + " getLocalPort", s::getLocalPort);
      see(when + " getLocalAddress", s::getLocalAddress);
      see(when + " getRemoteSocketAddress", s::getRemoteSocketAddress);
      see(when + " getLocalSocketAddress", s::getLocalSocketAddress);
      see(when + " getChannel", s::getChannel);
      see(when + " getSoTimeout", s::getSoTimeout);
      see(when + " getTcpNoDelay", s::getTcpNoDelay);
      see(when + " getKeepAlive", s::getKeepAlive);
      see(when + " getSoLinger", s::getSoLinger);
      see(when + " getOOBInline", s::getOOBInline);
      see(when + " getReceiveBufferSize > 0", () -> s.getReceiveBufferSize() > 0);
      see(when + " getInputStream", () -> s.getInputStream() != null);
      see(when + " getOutputStream", () -> s.getOutputStream() != null);
    }

    // Values as a caller compares them: addresses by address, ephemeral ports as "ephemeral".
    private static String show(Object v) {
      if (v instanceof InetAddress a) {
        return a.getHostAddress();
      }
      if (v instanceof InetSocketAddress a) {
        return (a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString())
            + ":" + showPort(a.getPort());
      }
      if (v instanceof Integer i && i > 1024 && i != port && i != closedPort) {
        return "ephemeral";
      }
      if (v instanceof Integer i) {
        return showPort(i);
      }
      return String.valueOf(v);
    }

    private static String showPort(int p) {
      return p == port ? "PORT" : p == closedPort ? "CLOSED_PORT" : p > 1024 ? "ephemeral"
          : Integer.toString(p);
    }
  }

  interface Scenario {
    void run(Socket s, Seen r) throws Exception;
  }

  private static void conforms(Scenario scenario) throws Exception {
    Seen plain = new Seen();
    try (Socket s = new Socket()) {
      scenario.run(s, plain);
    }
    Seen dialing = new Seen();
    try (Socket s = factory.createSocket()) {
      assertThat(s).isInstanceOf(DialingSocket.class);
      scenario.run(s, dialing);
    }
    assertThat(String.join("\n", dialing.lines)).as("DialingSocket, against java.net.Socket")
        .isEqualTo(String.join("\n", plain.lines));
  }

  @Test
  void unconnectedThenClosed() throws Exception {
    conforms((s, r) -> {
      r.state("new", s);
      r.see("shutdownInput", () -> {
        s.shutdownInput();
        return "ok";
      });
      r.see("shutdownOutput", () -> {
        s.shutdownOutput();
        return "ok";
      });
      r.see("setSoTimeout 300", () -> {
        s.setSoTimeout(300);
        return s.getSoTimeout();
      });
      r.see("setTcpNoDelay", () -> {
        s.setTcpNoDelay(true);
        return s.getTcpNoDelay();
      });
      r.see("setOOBInline", () -> {
        s.setOOBInline(true);
        return s.getOOBInline();
      });
      r.see("close", () -> {
        s.close();
        return "ok";
      });
      r.state("closed", s);
      r.see("close again", () -> {
        s.close();
        return "ok";
      });
      r.see("setSoTimeout", () -> {
        s.setSoTimeout(1);
        return "ok";
      });
      r.see("setTcpNoDelay", () -> {
        s.setTcpNoDelay(false);
        return "ok";
      });
      r.see("bind", () -> {
        s.bind(null);
        return "ok";
      });
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return "ok";
      });
    });
  }

  @Test
  void connectedThenClosedKeepsItsAddresses() throws Exception {
    conforms((s, r) -> {
      r.see("setSoTimeout", () -> {
        s.setSoTimeout(250);
        return "ok";
      });
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return "ok";
      });
      r.state("connected", s);
      r.see("connect again", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return "ok";
      });
      r.see("bind", () -> {
        s.bind(null);
        return "ok";
      });
      r.see("shutdownOutput", () -> {
        s.shutdownOutput();
        return "ok";
      });
      r.see("shutdownOutput again", () -> {
        s.shutdownOutput();
        return "ok";
      });
      r.see("shutdownInput", () -> {
        s.shutdownInput();
        return "ok";
      });
      r.state("shut down", s);
      r.see("close", () -> {
        s.close();
        return "ok";
      });
      r.state("closed", s);
      r.see("shutdownInput", () -> {
        s.shutdownInput();
        return "ok";
      });
      r.see("setSoTimeout", () -> {
        s.setSoTimeout(1);
        return "ok";
      });
      r.see("sendUrgentData", () -> {
        s.sendUrgentData(1);
        return "ok";
      });
    });
  }

  @Test
  void closingTheInputStreamClosesTheSocket() throws Exception {
    conforms((s, r) -> {
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return "ok";
      });
      r.see("close the input stream", () -> {
        s.getInputStream().close();
        return "ok";
      });
      r.state("after", s);
    });
  }

  @Test
  void refusedClosesTheSocket() throws Exception {
    conforms((s, r) -> {
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", closedPort), 2000);
        return "ok";
      });
      r.state("refused", s);
      r.see("connect again", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return "ok";
      });
    });
  }

  @Test
  void timeoutClosesTheSocket() throws Exception {
    conforms((s, r) -> {
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.2", port), 300);
        return "ok";
      });
      r.state("timed out", s);
      r.see("connect again", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return "ok";
      });
    });
  }

  @Test
  void portZeroIsRefusedByTheKernelNotAnArgumentError() throws Exception {
    conforms((s, r) -> {
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", 0), 2000);
        return "ok";
      });
      r.state("after", s);
    });
  }

  @Test
  void unresolvedOddNameIsAnUnknownHost() throws Exception {
    for (String odd : List.of("bad name!", "a..b", "-x-.test", "x".repeat(300), "ü.test")) {
      conforms((s, r) -> {
        r.see("connect " + odd, () -> {
          s.connect(InetSocketAddress.createUnresolved(odd, port), 2000);
          return "ok";
        });
        r.state("after", s);
      });
    }
  }

  @Test
  void resolvedAddressWithAnOddNameConnectsToTheAddress() throws Exception {
    conforms((s, r) -> {
      r.see("connect", () -> {
        s.connect(new InetSocketAddress(InetAddress.getByAddress("odd name!",
            new byte[] {127, 0, 0, 1}), port), 2000);
        return "ok";
      });
      r.state("connected", s);
    });
  }

  @Test
  void linkLocalWithoutAScopeFailsAsTheKernelSays() throws Exception {
    conforms((s, r) -> {
      r.see("connect", () -> {
        s.connect(new InetSocketAddress(InetAddress.ofLiteral("fe80::1"), port), 2000);
        return "ok";
      });
      r.state("after", s);
    });
  }

  @Test
  void argumentErrorsLeaveTheSocketOpen() throws Exception {
    conforms((s, r) -> {
      r.see("connect null", () -> {
        s.connect(null);
        return "ok";
      });
      SocketAddress unix = UnixDomainSocketAddress.of("/nonexistent");
      r.see("connect unix", () -> {
        s.connect(unix);
        return "ok";
      });
      r.see("connect negative timeout", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port), -1);
        return "ok";
      });
      r.see("bind unix", () -> {
        s.bind(unix);
        return "ok";
      });
      r.see("setSoTimeout -1", () -> {
        s.setSoTimeout(-1);
        return "ok";
      });
      r.see("setSoLinger true -1", () -> {
        s.setSoLinger(true, -1);
        return "ok";
      });
      r.see("setTrafficClass 256", () -> {
        s.setTrafficClass(256);
        return "ok";
      });
      r.see("setReceiveBufferSize 0", () -> {
        s.setReceiveBufferSize(0);
        return "ok";
      });
      r.state("after", s);
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return "ok";
      });
      r.state("connected", s);
    });
  }

  @Test
  void boundToAGivenPortThenConnected() throws Exception {
    conforms((s, r) -> {
      int local = freePort(); // each socket its own: no TIME_WAIT of the other in the way
      r.see("bind", () -> {
        s.bind(new InetSocketAddress("127.0.0.1", local));
        return s.getLocalPort() == local;
      });
      r.see("bind again", () -> {
        s.bind(new InetSocketAddress("127.0.0.1", local));
        return "ok";
      });
      r.see("isBound", s::isBound);
      r.see("getLocalAddress", s::getLocalAddress);
      r.see("connect", () -> {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return s.getLocalPort() == local;
      });
      r.state("connected", s);
    });
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress("127.0.0.1", 0));
      return probe.getLocalPort();
    }
  }
}
