package dev.tcpdial;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Where to connect: a host (a name, an IPv4 literal or an IPv6 literal) and a port. Parsing never
 * touches the network.
 *
 * @param host a host name or an address literal; IPv6 without brackets
 * @param port 1 to 65535
 */
public record Target(String host, int port) {

  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException with a one-line reason when the host or the port is not valid
   */
  public Target {
    if (host == null) {
      throw new IllegalArgumentException("bad target: no host");
    }
    if (port < 1 || port > 65535) {
      checkPort(port, host + ":" + port); // throws
    }
    checkHost(host, host);
  }

  /**
   * Parses {@code host:port}, {@code [v6addr]:port}, {@code 198.18.0.1:80} or {@code
   * [fd00::1]:443}.
   *
   * @param text the target
   * @return the target
   * @throws IllegalArgumentException with a one-line reason for malformed input
   */
  public static Target parse(String text) {
    return parse(text, 0);
  }

  /**
   * Parses like {@link #parse(String)}, but a target without a port takes {@code defaultPort}; a
   * bare IPv6 literal ({@code fd00::1}) is accepted then too. A {@code defaultPort} of 0 means the
   * port is required.
   *
   * @param text the target
   * @param defaultPort the port of a target without one; 0 if the port is required
   * @return the target
   * @throws IllegalArgumentException with a one-line reason for malformed input
   */
  public static Target parse(String text, int defaultPort) {
    if (text == null) {
      throw new IllegalArgumentException("bad target: empty");
    }
    String s = text.strip();
    String where = "'" + text + "'";
    if (s.isEmpty()) {
      throw new IllegalArgumentException("bad target '': empty");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw new IllegalArgumentException("bad target " + where + ": contains white space or a control character");
      }
    }
    String host;
    String portText;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("bad target " + where + ": '[' without ']'");
      }
      host = s.substring(1, close);
      String rest = s.substring(close + 1);
      if (rest.isEmpty()) {
        portText = null;
      } else if (rest.startsWith(":")) {
        portText = rest.substring(1);
      } else {
        throw new IllegalArgumentException("bad target " + where + ": expected ':port' after ']'");
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException("bad target " + where + ": empty host in brackets");
      }
      if (!host.contains(":")) {
        throw new IllegalArgumentException("bad target " + where + ": brackets are for IPv6 addresses only");
      }
    } else if (s.indexOf(']') >= 0) {
      throw new IllegalArgumentException("bad target " + where + ": ']' without '['");
    } else {
      int first = s.indexOf(':');
      int last = s.lastIndexOf(':');
      if (first < 0) {
        host = s;
        portText = null;
      } else if (first == last) {
        host = s.substring(0, first);
        portText = s.substring(first + 1);
      } else if (defaultPort > 0) {
        host = s; // a bare IPv6 literal with the default port
        portText = null;
      } else {
        throw new IllegalArgumentException(
            "bad target " + where + ": an IPv6 address with a port needs brackets, as in [" + s + "]:80");
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException("bad target " + where + ": empty host");
      }
    }
    int port;
    if (portText == null) {
      if (defaultPort <= 0) {
        throw new IllegalArgumentException("bad target " + where + ": missing port (write host:port)");
      }
      port = defaultPort;
    } else {
      port = parsePort(portText, where);
    }
    checkHost(host, text);
    return new Target(host, port);
  }

  /**
   * Parses a port number: decimal digits, 1 to 65535.
   *
   * @param text the port's digits
   * @param where the target, for the error message
   * @return the port
   * @throws IllegalArgumentException with a one-line reason
   */
  public static int parsePort(String text, String where) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("bad target " + where + ": missing port after ':'");
    }
    if (text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      boolean digits = text.chars().allMatch(c -> c >= '0' && c <= '9');
      throw new IllegalArgumentException(
          "bad target " + where + ": port '" + text + "' " + (digits ? "is larger than 65535" : "is not a number"));
    }
    int port = Integer.parseInt(text);
    checkPort(port, where);
    return port;
  }

  private static void checkPort(int port, String where) {
    if (port == 0) {
      throw new IllegalArgumentException("bad target " + where + ": port 0 cannot be connected to");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("bad target " + where + ": port " + port + " is outside 1-65535");
    }
  }

  private static void checkHost(String host, String text) {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("bad target '" + text + "': empty host");
    }
    if (host.indexOf(':') >= 0) {
      if (address(host) == null) {
        throw new IllegalArgumentException(
            "bad target '" + text + "': '" + host + "' is not an IPv6 address");
      }
      return;
    }
    if (looksNumeric(host)) {
      if (address(host) == null) {
        throw new IllegalArgumentException("bad target '" + text + "': '" + host
            + "' is not an IPv4 address (four numbers 0-255, no leading zeros)");
      }
      return;
    }
    String where = "'" + text + "'";
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (name.isEmpty() || name.length() > 253) {
      throw new IllegalArgumentException("bad target " + where + ": host name length must be 1-253");
    }
    for (String label : name.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63) {
        throw new IllegalArgumentException("bad target " + where + ": empty or over-long label in host name '" + host + "'");
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
          throw new IllegalArgumentException("bad target " + where + ": character '" + c + "' is not allowed in a host name");
        }
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        throw new IllegalArgumentException("bad target " + where + ": a host-name label cannot start or end with '-'");
      }
    }
  }

  private static boolean looksNumeric(String host) {
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (!(c == '.' || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  // Four decimal numbers 0-255 without leading zeros, parsed without splitting (every dial of a
  // literal target asks for it).
  private static Inet4Address literal4(String host) {
    byte[] b = new byte[4];
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= host.length(); i++) {
      char c = i < host.length() ? host.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || part == 4) {
          return null;
        }
        b[part++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) {
          return null; // a leading zero: octal to inet_aton, decimal to others
        }
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return null;
        }
      } else {
        return null;
      }
    }
    if (part != 4) {
      return null;
    }
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static Inet6Address literal6(String host) {
    try {
      InetAddress a = Inet6Address.ofLiteral(host);
      return a instanceof Inet6Address v6 ? v6 : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * A target for an address and port.
   *
   * @param address the address and port
   * @return the target
   */
  public static Target of(InetSocketAddress address) {
    InetAddress a = address.getAddress();
    return new Target(a != null ? a.getHostAddress() : address.getHostString(), address.getPort());
  }

  /**
   * A target for an address and port.
   *
   * @param address the address
   * @param port the port
   * @return the target
   */
  public static Target of(InetAddress address, int port) {
    return new Target(address.getHostAddress(), port);
  }

  /**
   * The address when the host is a literal, with no lookup; empty for a name.
   *
   * @return the address, or empty for a name
   */
  public Optional<InetAddress> literal() {
    return host.indexOf(':') >= 0 || looksNumeric(host)
        ? Optional.ofNullable(address(host)) : Optional.empty();
  }

  /** A literal host parsed last, with its address: a scan makes many targets of one host. */
  private record Parsed(String host, InetAddress address) {}

  private static volatile Parsed lastParsed;

  /** The address of a host that looks like a literal, or null when it is not a valid one. */
  private static InetAddress address(String host) {
    Parsed last = lastParsed;
    if (last != null && last.host.equals(host)) {
      return last.address;
    }
    InetAddress a = host.indexOf(':') >= 0 ? literal6(host) : literal4(host);
    if (a != null) {
      lastParsed = new Parsed(host, a);
    }
    return a;
  }

  /**
   * True when the host is an address literal (no name to resolve).
   *
   * @return whether the host is an address literal
   */
  public boolean isLiteral() {
    return host.indexOf(':') >= 0 || looksNumeric(host);
  }

  /** {@code host:port}, or {@code [v6]:port} for an IPv6 literal. */
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
