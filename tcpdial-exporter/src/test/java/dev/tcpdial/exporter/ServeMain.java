package dev.tcpdial.exporter;

import dev.tcpdial.Resolver;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The exporter alone, for tests that run it inside a network namespace: {@code ServeMain
 * HOST:PORT CONFIG}. Stops when its standard input closes.
 */
public final class ServeMain {
  private ServeMain() {}

  /**
   * Starts the exporter.
   *
   * @param args listen address and configuration file
   * @throws Exception when it cannot start
   */
  public static void main(String[] args) throws Exception {
    int colon = args[0].lastIndexOf(':');
    Exporter e = new Exporter(new Exporter.Settings(new InetSocketAddress(
        args[0].substring(0, colon), Integer.parseInt(args[0].substring(colon + 1))),
        Path.of(args[1]), Duration.ofMillis(500), Cidrs.ANY, 64), Resolver.system(),
        new PrintWriter(new java.io.OutputStreamWriter(System.err,
            java.nio.charset.StandardCharsets.UTF_8), true));
    e.start();
    System.in.transferTo(java.io.OutputStream.nullOutputStream());
    e.close();
  }
}
