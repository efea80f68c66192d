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
    String where = "'" + shorten(text) + "'";
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
      } else if (defaultPort > 0 && address(s.indexOf('%') >= 0 ? s.substring(0, s.indexOf('%')) : s) != null) {
        host = s; // a bare IPv6 literal with the default port
        portText = null;
      } else if (address(s.substring(0, last)) != null) {
        throw new IllegalArgumentException("bad target " + where
            + ": an IPv6 address with a port needs brackets, as in [" + s.substring(0, last) + "]:"
            + s.substring(last + 1));
      } else if (address(s) != null) {
        throw new IllegalArgumentException(
            "bad target " + where + ": an IPv6 address needs brackets and a port, as in [" + s + "]:80");
      } else {
        throw new IllegalArgumentException("bad target " + where
            + ": more than one ':' (write host:port, or [IPv6 address]:port)");
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
    // One rule for every spelling: decimal digits, leading zeros allowed, the value 1-65535.
    if (!text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "bad target " + where + ": port '" + shorten(text) + "' is not a number");
    }
    String digits = text.replaceFirst("^0+(?=.)", "");
    if (digits.length() > 5) {
      throw new IllegalArgumentException(
          "bad target " + where + ": port '" + shorten(text) + "' is larger than 65535");
    }
    int port = Integer.parseInt(digits);
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
      throw new IllegalArgumentException("bad target '" + shorten(text) + "': empty host");
    }
    if (host.indexOf(':') >= 0) {
      InetAddress a = address(host);
      if (a == null) {
        int pct = host.indexOf('%');
        throw new IllegalArgumentException("bad target '" + shorten(text) + "': '" + shorten(host) + "' is not an IPv6 address"
            + (pct >= 0 && address(host.substring(0, pct)) != null
                ? " (zone '" + host.substring(pct + 1) + "' is not an interface of this machine)" : ""));
      }
      if (a instanceof Inet6Address v6 && v6.isLinkLocalAddress() && host.indexOf('%') < 0) {
        // Without a zone the kernel cannot pick the link: connect() fails with EINVAL.
        throw new IllegalArgumentException("bad target '" + shorten(text) + "': '" + host
            + "' is link-local: add the interface, as in [" + host + "%eth0]");
      }
      return;
    }
    if (looksNumeric(host)) {
      if (address(host) == null) {
        throw new IllegalArgumentException("bad target '" + shorten(text) + "': '" + host
            + "' is not an IPv4 address (four numbers 0-255, no leading zeros)");
      }
      return;
    }
    String where = "'" + shorten(text) + "'";
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (name.isEmpty() || name.length() > 253) {
      throw new IllegalArgumentException("bad target " + where + ": host name length must be 1-253");
    }
    for (String label : name.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63) {
        throw new IllegalArgumentException("bad target " + where + ": empty or over-long label in host name '" + shorten(host) + "'");
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

  // An IPv6 literal; an IPv4-mapped one (::ffff:127.0.0.1, ::ffff:7f00:1) comes back as the
  // IPv4 address it maps, and is dialed over IPv4. A zone is a scope number or an interface name.
  private static InetAddress literal6(String host) {
    int pct = host.indexOf('%');
    try {
      if (pct < 0 || isDigits(host.substring(pct + 1))) {
        return Inet6Address.ofLiteral(host);
      }
      InetAddress a = Inet6Address.ofLiteral(host.substring(0, pct));
      if (!(a instanceof Inet6Address)) {
        return null;
      }
      java.net.NetworkInterface nif = java.net.NetworkInterface.getByName(host.substring(pct + 1));
      return nif == null ? null : Inet6Address.getByAddress(null, a.getAddress(), nif.getIndex());
    } catch (IllegalArgumentException | java.net.SocketException | java.net.UnknownHostException e) {
      return null;
    }
  }

  private static boolean isDigits(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /**
   * {@code s} as a message may quote it: control characters escaped ({@code \n}, {@code \x1b}),
   * so an error stays one line, and at most 80 characters and an ellipsis.
   */
  static String shorten(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 84));
    int i = 0;
    for (; i < s.length() && b.length() < 80; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return i < s.length() ? b + "..." : b.toString();
  }

  /**
   * A target for an address and port; an unresolved address gives a target of its name. The host
   * of an address is written as {@link #of(InetAddress, int)} writes it.
   *
   * @param address the address and port
   * @return the target
   */
  public static Target of(InetSocketAddress address) {
    InetAddress a = address.getAddress();
    return a != null ? of(a, address.getPort()) : new Target(address.getHostString(),
        address.getPort());
  }

  /**
   * A target for an address and port. Its host is the address as people write it: dotted
   * decimal, or IPv6 in the form of RFC 5952 ({@code fd00::1}, not {@code fd00:0:0:0:0:0:0:1}),
   * with its zone when it has one.
   *
   * @param address the address
   * @param port the port
   * @return the target
   */
  public static Target of(InetAddress address, int port) {
    return new Target(dev.tcpdial.internal.Addresses.text(address), port);
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
