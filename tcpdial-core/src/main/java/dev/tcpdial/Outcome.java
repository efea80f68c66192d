package dev.tcpdial;

import java.util.Locale;

/**
 * How a dial (or one attempt of it) ended. Every dial ends in exactly one outcome; the CLI and the
 * JSON output use {@link #label()} verbatim.
 */
public enum Outcome {
  /** The handshake completed. */
  CONNECTED(
      "the three-way handshake completed (SYN, SYN-ACK, ACK): something listens and the path is open"),
  /** ECONNREFUSED: the host answered the SYN with a reset. */
  REFUSED(
      "the host answered the SYN with a reset (RST), or a firewall rejected it so: the host is up but"
          + " nothing listens on that port"),
  /** Our deadline fired, or the kernel gave up with ETIMEDOUT; {@link DialResult#errno()} tells which. */
  TIMEOUT(
      "no answer to the SYN: host down or a firewall dropping it; the kernel alone would retry for"
          + " 127 s (net.ipv4.tcp_syn_retries=6: 1+2+4+8+16+32+64 s)"),
  /** EHOSTUNREACH (also EHOSTDOWN, ENONET). */
  HOST_UNREACHABLE(
      "the host cannot be reached: no ARP/neighbour answer on the local link, an ICMP"
          + " host-unreachable from a router, or an 'unreachable' route"),
  /** ENETUNREACH (also ENETDOWN, EAFNOSUPPORT, a blackhole route's EINVAL). */
  NETWORK_UNREACHABLE(
      "no way to the destination network: no route here (or a blackhole/throw route), or a router"
          + " answered ICMP net-unreachable"),
  /** EACCES, EPERM: a local route or firewall, or an ICMP administratively-prohibited answer. */
  PROHIBITED(
      "a policy forbids it: a local 'prohibit' route or firewall rule, or an administratively"
          + " prohibited answer on the way"),
  /** EADDRNOTAVAIL, EADDRINUSE: no usable local address or port. */
  NO_LOCAL_ADDRESS(
      "no usable local address: the ephemeral ports towards this destination are used up, or the"
          + " source address is not configured on this machine"),
  /** EMFILE, ENFILE, ENOBUFS, ENOMEM: this machine ran out of something. */
  LOCAL_RESOURCES(
      "this machine ran out of file descriptors or kernel memory; the target was never asked"),
  /** The name did not resolve to any usable address. */
  RESOLUTION_FAILED(
      "the name did not resolve to a usable address: no such name, no address of the wanted"
          + " family, or the resolver failed"),
  /** The caller cancelled the dial, or the dialer closed while it was in flight. */
  CANCELLED("the dial was cancelled before it finished, by the caller or by closing the dialer"),
  /** Any other failure; the errno says which. */
  ERROR("another failure; its errno says which");

  private final String explanation;
  private final String label;

  Outcome(String explanation) {
    this.explanation = explanation;
    this.label = name().toLowerCase(Locale.ROOT);
  }

  /**
   * The outcome's name as printed and in JSON: {@code connected}, {@code host_unreachable}, ...
   *
   * @return the label
   */
  public String label() {
    return label;
  }

  /**
   * One sentence on what this outcome means for a TCP connect.
   *
   * @return the explanation
   */
  public String explanation() {
    return explanation;
  }

  /**
   * True for every outcome but {@link #CONNECTED}.
   *
   * @return whether this outcome is a failure
   */
  public boolean isFailure() {
    return this != CONNECTED;
  }

  /**
   * True when the failure lies on this machine (no port, no descriptor, cancelled), not with the
   * target: a scan slows down on these instead of reporting them as a property of the target.
   *
   * @return whether the failure is local
   */
  public boolean isLocal() {
    return this == NO_LOCAL_ADDRESS || this == LOCAL_RESOURCES || this == CANCELLED;
  }

  /**
   * The outcome named by {@code label} ({@code "host_unreachable"}), case-insensitive.
   *
   * @param label the label, in any case
   * @return the outcome
   * @throws IllegalArgumentException when no outcome has that label
   */
  public static Outcome fromLabel(String label) {
    for (Outcome o : values()) {
      if (o.label().equalsIgnoreCase(label.trim())) {
        return o;
      }
    }
    throw new IllegalArgumentException("unknown outcome '" + label + "'");
  }
}
