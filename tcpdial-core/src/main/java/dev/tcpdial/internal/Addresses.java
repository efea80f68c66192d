package dev.tcpdial.internal;

import dev.tcpdial.Target;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Addresses as people write them, for every text the library makes (targets of addresses,
 * messages, {@code toString}, flight-recorder events): never the JDK's {@code /127.0.0.1:80} or
 * {@code 0:0:0:0:0:0:0:1}.
 */
public final class Addresses {
  private Addresses() {}

  /**
   * {@code 198.18.0.1}; IPv6 as RFC 5952 section 4 writes it ({@code fd00::1}: lower case, no
   * leading zeros, the longest run of two or more zero groups, the first of equal ones, as
   * {@code ::}), with its zone when it has one ({@code fe80::1%eth0}). Never a host name, never a
   * lookup.
   *
   * @param a the address
   * @return its text
   */
  public static String text(InetAddress a) {
    String s = withoutZone(a);
    if (!(a instanceof Inet6Address)) {
      return s;
    }
    String host = a.getHostAddress();
    int pct = host.indexOf('%');
    return pct < 0 ? s : s + host.substring(pct);
  }

  /**
   * As {@link #text(InetAddress)}, without an IPv6 zone: an address someone else sent (the
   * sender of an ICMP error, a hop of a trace).
   *
   * @param a the address
   * @return its text
   */
  public static String withoutZone(InetAddress a) {
    if (!(a instanceof Inet6Address)) {
      return a.getHostAddress();
    }
    byte[] b = a.getAddress();
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1; // a single zero group is not shortened (4.2.2)
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  /**
   * {@code 198.18.0.1:80}, {@code [fd00::1]:80}; an unresolved address as {@code name:80}.
   *
   * @param s the socket address
   * @return its text
   */
  public static String text(InetSocketAddress s) {
    if (s.getAddress() == null) {
      return s.getHostString() + ":" + s.getPort();
    }
    String h = text(s.getAddress());
    return (s.getAddress() instanceof Inet6Address ? "[" + h + "]" : h) + ":" + s.getPort();
  }

  /**
   * What to write beside {@code target} for the address a dial reached: nothing when the target
   * is that address (written in any form), else {@code " (198.18.0.1)"}, or the whole socket
   * address when its port is not the target's.
   *
   * @param target what was dialed
   * @param remote the address reached, or {@code null}
   * @return the text to append, possibly empty
   */
  public static String beside(Target target, InetSocketAddress remote) {
    if (remote == null || remote.getAddress() == null) {
      return "";
    }
    if (remote.getPort() != target.port()) {
      return " (" + text(remote) + ")";
    }
    if (target.literal().map(remote.getAddress()::equals).orElse(false)) {
      return "";
    }
    return " (" + text(remote.getAddress()) + ")";
  }
}
