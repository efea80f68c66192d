package dev.tcpdial.exporter;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Peers that break TLS on purpose, for tests inside a network namespace: {@code ScriptedPeers
 * KIND:PORT...} with KIND {@code plain} (a text banner, then waits), {@code reset} (reads the
 * ClientHello, then resets the connection) or {@code silent} (accepts, never answers). On
 * 127.0.0.1; stops when its standard input closes.
 */
public final class ScriptedPeers {
  private ScriptedPeers() {}

  /**
   * Starts the peers.
   *
   * @param args KIND:PORT each
   * @throws Exception when one cannot listen
   */
  public static void main(String[] args) throws Exception {
    for (String a : args) {
      String kind = a.substring(0, a.indexOf(':'));
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(a.substring(a.indexOf(':') + 1))));
      Thread.ofPlatform().daemon().start(() -> {
        while (true) {
          try {
            Socket c = s.accept();
            Thread.ofVirtual().start(() -> serve(kind, c));
          } catch (Exception e) {
            return;
          }
        }
      });
    }
    System.out.println("ready");
    System.out.flush();
    System.in.transferTo(java.io.OutputStream.nullOutputStream());
  }

  private static void serve(String kind, Socket c) {
    try (c) {
      InputStream in = c.getInputStream();
      switch (kind) {
        case "plain" -> {
          c.getOutputStream().write("220 plain.test ESMTP ready\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        case "reset" -> {
          in.read(new byte[5]); // the first bytes of the ClientHello
          c.setSoLinger(true, 0); // close with RST
        }
        default -> in.transferTo(java.io.OutputStream.nullOutputStream());
      }
    } catch (Exception e) {
      // the probe went away
    }
  }
}
