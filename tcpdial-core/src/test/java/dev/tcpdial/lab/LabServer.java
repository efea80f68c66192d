package dev.tcpdial.lab;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab's listeners: accepts connections on the given ports and closes them at once. Binds the
 * IPv6 wildcard with IPv4 mapped in, so one socket per port serves both families. Prints {@code
 * READY port...} once every port listens. Runs until its standard input ends (the process that
 * started it went away) or it is killed; with {@code -Dlab.server.detached=true} it ignores its
 * input and runs until killed ({@code lab.sh down} does). Run it inside the server namespace:
 *
 * <pre>lab/lab.sh serve tdl java -Dlab.server.detached=true -cp CLASSES dev.tcpdial.lab.LabServer 80</pre>
 */
public final class LabServer {
  private LabServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: LabServer PORT...");
      System.exit(2);
    }
    List<ServerSocketChannel> servers = new ArrayList<>();
    for (String a : args) {
      int port = Integer.parseInt(a);
      ServerSocketChannel s = ServerSocketChannel.open(); // dual-stack: [::] takes IPv4 too
      s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      s.bind(new InetSocketAddress(port), 4096);
      servers.add(s);
    }
    for (ServerSocketChannel s : servers) {
      Thread t = new Thread(() -> acceptLoop(s), "accept-" + s.socket().getLocalPort());
      t.setDaemon(true);
      t.start();
    }
    System.out.println("READY " + String.join(" ", args));
    System.out.flush();
    boolean watchStdin = !Boolean.getBoolean("lab.server.detached");
    if (watchStdin) {
      InputStream in = System.in;
      while (in.read() >= 0) {
        // until the parent closes our standard input or dies
      }
      System.exit(0);
    }
    Thread.currentThread().join(); // detached: until killed
  }

  private static void acceptLoop(ServerSocketChannel s) {
    while (true) {
      try {
        SocketChannel c = s.accept();
        c.close();
      } catch (IOException e) {
        if (!s.isOpen()) {
          return;
        }
      }
    }
  }
}
