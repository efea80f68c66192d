package dev.tcpdial;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Which address families a dial may use. */
public enum Family {
  /** IPv4 and IPv6, interleaved (RFC 8305). */
  ANY,
  /** IPv4 only ({@code -4}). */
  IPV4,
  /** IPv6 only ({@code -6}). */
  IPV6;

  /**
   * True when an address of this kind may be dialed.
   *
   * @param a the address
   * @return whether this family allows {@code a}
   */
  public boolean allows(InetAddress a) {
    return switch (this) {
      case ANY -> true;
      case IPV4 -> a instanceof Inet4Address;
      case IPV6 -> a instanceof Inet6Address;
    };
  }
}
