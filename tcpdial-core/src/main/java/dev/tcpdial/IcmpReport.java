package dev.tcpdial;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * Who answered a connect with an error, and with what: the ICMP or ICMPv6 error that ended it and
 * the address of the node that sent it, or the word that this host decided by itself. The kernel's
 * errno says <em>why</em> a connect failed; this says <em>where</em>.
 *
 * <p>Read from the socket's error queue ({@code IP_RECVERR} / {@code IPV6_RECVERR}, {@code
 * recvmsg(MSG_ERRQUEUE)}, {@code struct sock_extended_err}) when a connect fails with an errno an
 * ICMP error can cause; only then, so a probe that connects pays nothing for it but one socket
 * option. No privilege is needed.
 *
 * <ul>
 *   <li>{@link Origin#ICMP}: another node sent an ICMP error: a router on the path ({@code
 *       time-exceeded}, {@code host-unreachable}, {@code admin-prohibited}, ...) or the target
 *       itself ({@code port-unreachable}); {@link #from()} is its address.
 *   <li>{@link Origin#LOCAL}: this host decided: a local route ({@code unreachable}, {@code
 *       prohibit}, {@code blackhole}) or firewall rule, where no ICMP exists ({@link #type()} -1),
 *       or an ICMP error this host's kernel sent to itself, from an address of its own: neighbour
 *       resolution (ARP, NDP) found no one on the link ({@code host-unreachable}, ICMPv6 {@code
 *       address-unreachable}), or a local {@code reject} rule.
 *   <li>{@link Origin#UNREAD}: the errno can come from an ICMP error but the engine could not read
 *       the error queue: the JDK engine without native access or without the channel's descriptor
 *       ({@link Dialer#socketOptionsUnavailable()} says why).
 * </ul>
 *
 * <p>A failure with no ICMP behind it and nothing local about it (a reset from the target, a
 * timeout) has no report at all: {@link Attempt#icmp()} is {@code null}.
 *
 * <p>The outcome of a dial does not depend on this report: it is the errno's ({@link Outcome}),
 * the same on every engine, whether the queue could be read or not. So an ICMP time-exceeded (a
 * routing loop, or a path longer than the TTL) stays {@link Outcome#HOST_UNREACHABLE} with errno
 * {@code EHOSTUNREACH}, as Linux reports it, and this report names it {@code time-exceeded}; an
 * IPv4 admin-prohibited stays {@code host_unreachable} (Linux maps it to EHOSTUNREACH) and is named
 * {@code admin-prohibited} here.
 *
 * @param origin who sent the error: another node, this host, or not read
 * @param v6 true when {@link #type()} and {@link #code()} are ICMPv6's, false for ICMP's (IPv4)
 * @param type the ICMP type (11: time exceeded; ICMPv6 3), -1 when no ICMP error was involved
 * @param code the ICMP code, -1 when no ICMP error was involved
 * @param from the address of the node that sent the error (this host's own for {@link
 *     Origin#LOCAL} with an ICMP type), else {@code null}
 */
public record IcmpReport(Origin origin, boolean v6, int type, int code, InetAddress from) {

  /** Who sent the error. */
  public enum Origin {
    /** Another node: a router on the path or the target; {@link #from()} says which. */
    ICMP,
    /** This host: a local route or firewall rule, or its own neighbour resolution failing. */
    LOCAL,
    /** Not known: the engine could not read the socket's error queue. */
    UNREAD;

    private final String label = name().toLowerCase(Locale.ROOT);

    /**
     * The lower-case name used in JSON, CSV and metrics ({@code icmp}, {@code local}, {@code
     * unread}).
     *
     * @return the label
     */
    public String label() {
      return label;
    }
  }

  private static final IcmpReport LOCAL_ROUTE = new IcmpReport(Origin.LOCAL, false, -1, -1, null);
  private static final IcmpReport UNREAD = new IcmpReport(Origin.UNREAD, false, -1, -1, null);

  /** Checks the components. */
  public IcmpReport {
    Objects.requireNonNull(origin, "origin");
    if (type < -1 || type > 255 || code < -1 || code > 255 || (type < 0) != (code < 0)) {
      throw new IllegalArgumentException("ICMP type and code must both be 0-255 or both -1: "
          + type + "/" + code);
    }
  }

  /**
   * The report for a failure this host decided with no ICMP error: a local route or firewall rule.
   *
   * @return the report
   */
  public static IcmpReport local() {
    return LOCAL_ROUTE;
  }

  /**
   * The report for a failure whose error queue could not be read.
   *
   * @return the report
   */
  public static IcmpReport unread() {
    return UNREAD;
  }

  /**
   * True when an ICMP (or ICMPv6) error is behind the failure: {@link #type()} and {@link #code()}
   * are set.
   *
   * @return whether a type and a code are known
   */
  public boolean hasType() {
    return type >= 0;
  }

  /**
   * True for time exceeded in transit (ICMP type 11 code 0, ICMPv6 type 3 code 0): the packet's
   * TTL or hop limit ran out on the way, in a routing loop or on a path longer than the TTL (and,
   * in a path trace, at the hop the TTL was set for).
   *
   * @return whether this is a time-exceeded error
   */
  public boolean timeExceeded() {
    return type == (v6 ? 3 : 11) && code == 0;
  }

  /**
   * The error's name ({@code time-exceeded}, {@code host-unreachable}, {@code admin-prohibited},
   * ...; see {@link #name(boolean, int, int)}), or {@code ""} when there is no ICMP type.
   *
   * @return the name, or {@code ""}
   */
  public String name() {
    return hasType() ? name(v6, type, code) : "";
  }

  /**
   * One phrase for people: {@code time-exceeded from 198.18.21.2}, {@code local host-unreachable
   * (198.18.0.2)}, {@code local}, {@code unread}.
   *
   * @return the phrase
   */
  public String label() {
    return switch (origin) {
      case ICMP -> name() + (from != null ? " from " + fromText() : "");
      case LOCAL -> hasType() ? "local " + name() + (from != null ? " (" + fromText() + ")" : "")
          : "local";
      case UNREAD -> "unread";
    };
  }

  /**
   * The sender's address as people write it ({@code 198.18.21.2}, {@code fd00:21::2}: RFC 5952's
   * short form), or {@code ""} when there is none.
   *
   * @return the address text, or {@code ""}
   */
  public String fromText() {
    return from == null ? "" : dev.tcpdial.internal.Addresses.withoutZone(from);
  }

  /** {@link #label()}. */
  @Override
  public String toString() {
    return label();
  }

  /**
   * The name of an ICMP (IPv4, RFC 792, 1122, 1812) or ICMPv6 (RFC 4443) error type and code, as
   * nftables and the RFCs spell them: for ICMP type 3 {@code net-unreachable}, {@code
   * host-unreachable}, {@code protocol-unreachable}, {@code port-unreachable}, {@code frag-needed},
   * {@code source-route-failed}, {@code net-unknown}, {@code host-unknown}, {@code host-isolated},
   * {@code net-prohibited}, {@code host-prohibited}, {@code net-unreachable-for-tos}, {@code
   * host-unreachable-for-tos}, {@code admin-prohibited}, {@code host-precedence-violation}, {@code
   * precedence-cutoff}; type 11 {@code time-exceeded} (code 1: {@code reassembly-time-exceeded});
   * type 12 {@code parameter-problem}; type 4 {@code source-quench}; type 5 {@code redirect}. For
   * ICMPv6 type 1 {@code no-route}, {@code admin-prohibited}, {@code beyond-scope}, {@code
   * address-unreachable}, {@code port-unreachable}, {@code source-policy-failed}, {@code
   * reject-route}, {@code source-routing-header-error}, {@code headers-too-long}; type 2 {@code
   * packet-too-big}; type 3 {@code time-exceeded} ({@code reassembly-time-exceeded}); type 4 {@code
   * parameter-problem}. Anything else is {@code type-T-code-C} ({@code unreachable-code-C} for an
   * unknown code of a destination-unreachable type).
   *
   * @param v6 true for ICMPv6's numbering
   * @param type the type, 0-255
   * @param code the code, 0-255
   * @return the name
   */
  public static String name(boolean v6, int type, int code) {
    String n = v6 ? name6(type, code) : name4(type, code);
    return n != null ? n : "type-" + type + "-code-" + code;
  }

  private static final String[] UNREACH4 = {"net-unreachable", "host-unreachable",
      "protocol-unreachable", "port-unreachable", "frag-needed", "source-route-failed",
      "net-unknown", "host-unknown", "host-isolated", "net-prohibited", "host-prohibited",
      "net-unreachable-for-tos", "host-unreachable-for-tos", "admin-prohibited",
      "host-precedence-violation", "precedence-cutoff"};

  private static final String[] UNREACH6 = {"no-route", "admin-prohibited", "beyond-scope",
      "address-unreachable", "port-unreachable", "source-policy-failed", "reject-route",
      "source-routing-header-error", "headers-too-long"};

  private static String name4(int type, int code) {
    return switch (type) {
      case 3 -> code < UNREACH4.length ? UNREACH4[code] : "unreachable-code-" + code;
      case 4 -> "source-quench";
      case 5 -> "redirect";
      case 11 -> code == 0 ? "time-exceeded" : code == 1 ? "reassembly-time-exceeded" : null;
      case 12 -> "parameter-problem";
      default -> null;
    };
  }

  private static String name6(int type, int code) {
    return switch (type) {
      case 1 -> code < UNREACH6.length ? UNREACH6[code] : "unreachable-code-" + code;
      case 2 -> "packet-too-big";
      case 3 -> code == 0 ? "time-exceeded" : code == 1 ? "reassembly-time-exceeded" : null;
      case 4 -> "parameter-problem";
      default -> null;
    };
  }
}
