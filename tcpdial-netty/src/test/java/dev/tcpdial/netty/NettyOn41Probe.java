package dev.tcpdial.netty;

import dev.tcpdial.Dialer;

/**
 * Run by {@link NettyOn41Test} in a child JVM whose class path has Netty 4.1: makes a {@link
 * NettyDialer} and prints {@code made} or the exception it got, on one line.
 */
final class NettyOn41Probe {
  private NettyOn41Probe() {}

  public static void main(String[] args) {
    try (Dialer dialer = Dialer.ofDefaults()) {
      new NettyDialer(dialer);
      System.out.println("made");
    } catch (RuntimeException | LinkageError e) {
      System.out.println(e.getClass().getName() + ": " + e.getMessage());
    }
  }
}
