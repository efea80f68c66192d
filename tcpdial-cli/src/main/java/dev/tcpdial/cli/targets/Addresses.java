package dev.tcpdial.cli.targets;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Address text in the short forms people write (RFC 5952 for IPv6). */
public final class Addresses {
  private Addresses() {}

  /**
   * {@code 198.18.1.2}, {@code fd00::1}; never a host name, never a lookup.
   *
   * @param a the address
   * @return dotted decimal for IPv4; for IPv6 lower-case hex groups without leading zeros, the
   *     longest run of two or more zero groups as {@code ::}, no zone
   */
  public static String format(InetAddress a) {
    if (!(a instanceof Inet6Address)) {
      return a.getHostAddress();
    }
    byte[] b = a.getAddress();
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
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

  /** The address part of a socket address, or {@code null}. */
  public static String host(InetSocketAddress s) {
    if (s == null) {
      return null;
    }
    return s.getAddress() != null ? format(s.getAddress()) : s.getHostString();
  }

  /** {@code 198.18.1.2:80}, {@code [fd00::1]:80}, or {@code null}. */
  public static String hostPort(InetSocketAddress s) {
    if (s == null) {
      return null;
    }
    String h = host(s);
    return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + s.getPort();
  }
}
