package dev.tcpdial;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a dial ended: the outcome, the exact errno and every attempt. A value: {@link Dialer#probe}
 * returns it, {@link DialException#result()} carries it.
 *
 * @param target what was dialed
 * @param outcome the dial's outcome: that of the winning attempt, or of the most relevant failed one
 * @param errno the errno of that attempt when the kernel gave one, else {@code null}
 * @param remote the address of that attempt; {@code null} when no attempt was made (resolution
 *     failed, cancelled early)
 * @param local the local address of that attempt's socket when known, else {@code null}
 * @param elapsed from the start of the dial to its end, resolution included
 * @param resolution how long resolving the name took ({@link Duration#ZERO} for a literal); for a
 *     name whose lookup failed (or timed out) before any attempt, the whole elapsed time
 * @param addresses every address the name resolved to, in the order they were dialed
 * @param mode the dialer's mode
 * @param engine the engine that performed the connects
 * @param attempts every attempt, in the order they started
 * @param detail one line on a failure the outcome and errno do not say all of (a resolver's
 *     answer, a failing socket-option hook, why the native engine cannot run), else {@code null};
 *     for people, not for matching
 */
public record DialResult(
    Target target,
    Outcome outcome,
    Errno errno,
    InetSocketAddress remote,
    InetSocketAddress local,
    Duration elapsed,
    Duration resolution,
    List<InetAddress> addresses,
    Mode mode,
    Engine engine,
    List<Attempt> attempts,
    String detail) {

  /**
   * A result with no detail.
   *
   * @param target what was dialed
   * @param outcome the dial's outcome
   * @param errno the errno, or {@code null}
   * @param remote the address of the deciding attempt, or {@code null}
   * @param local the local address of its socket, or {@code null}
   * @param elapsed from the start of the dial to its end
   * @param resolution how long resolution took
   * @param addresses every resolved address, in dialing order
   * @param mode the dialer's mode
   * @param engine the engine that connected
   * @param attempts every attempt, in starting order
   */
  public DialResult(Target target, Outcome outcome, Errno errno, InetSocketAddress remote,
      InetSocketAddress local, Duration elapsed, Duration resolution, List<InetAddress> addresses,
      Mode mode, Engine engine, List<Attempt> attempts) {
    this(target, outcome, errno, remote, local, elapsed, resolution, addresses, mode, engine,
        attempts, null);
  }

  /** Checks the components and copies the lists. */
  public DialResult {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(resolution, "resolution");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(engine, "engine");
    addresses = List.copyOf(addresses);
    attempts = List.copyOf(attempts);
    if (outcome == Outcome.RESOLUTION_FAILED && attempts.isEmpty() && resolution.isZero()
        && !target.isLiteral()) {
      resolution = elapsed; // the lookup failed: every moment of the dial went to it
    }
    if (detail != null) {
      detail = detail.strip().replaceAll("\\s+", " ");
      detail = detail.isEmpty() ? null : detail;
    }
  }

  /**
   * True when the dial connected.
   *
   * @return whether the outcome is {@link Outcome#CONNECTED}
   */
  public boolean connected() {
    return outcome == Outcome.CONNECTED;
  }

  /**
   * True when the dial timed out because a deadline of ours fired (not the kernel's ETIMEDOUT).
   *
   * @return whether our deadline ended the dial
   */
  public boolean deadlineExpired() {
    return outcome == Outcome.TIMEOUT && errno == null;
  }

  /**
   * Who answered the deciding attempt with an error: the router or target that sent an ICMP error
   * and which one, this host, or that the engine could not read it ({@link IcmpReport}); {@code
   * null} when the dial connected, made no attempt, or failed with neither an ICMP error nor a
   * local decision behind it (a reset from the target, a timeout). The deciding attempt is the
   * last one with this result's outcome, errno and address.
   *
   * @return the report of the deciding attempt, or {@code null}
   */
  public IcmpReport icmp() {
    for (int i = attempts.size() - 1; i >= 0; i--) {
      Attempt a = attempts.get(i);
      if (a.outcome() == outcome && Objects.equals(a.errno(), errno)
          && a.remote().equals(remote)) {
        return a.icmp();
      }
    }
    return null;
  }

  /**
   * One sentence on what the outcome means, with the errno's detail when it adds something, and
   * who sent the error when an ICMP error was read ({@link #icmp()}).
   *
   * @return the explanation
   */
  public String explanation() {
    IcmpReport icmp = icmp();
    if (icmp != null && icmp.timeExceeded()) {
      return "time exceeded in transit: the SYN's time to live ran out on the way (a routing loop,"
          + " or a path longer than its TTL)" + (icmp.from() != null && icmp.origin()
          == IcmpReport.Origin.ICMP ? "; ICMP time-exceeded from " + icmp.fromText()
          : "");
    }
    String text = errnoExplanation();
    if (icmp == null || !icmp.hasType()) {
      return text;
    }
    if (icmp.origin() == IcmpReport.Origin.LOCAL) {
      return text + "; decided on this host (" + icmp.name() + ")";
    }
    String who = icmp.from() == null ? "" : remote != null
        && icmp.from().equals(remote.getAddress()) ? " from the target itself"
        : " from " + icmp.fromText();
    return text + "; ICMP " + icmp.name() + who;
  }

  private String errnoExplanation() {
    if (outcome == Outcome.TIMEOUT) {
      return errno != null
          ? "the kernel gave up (ETIMEDOUT) after its SYN retries went unanswered: host down or a"
              + " firewall dropping the SYN"
          : outcome.explanation() + "; our deadline fired first";
    }
    if (errno != null && errno.number() == Errno.EINVAL.number()
        && outcome == Outcome.NETWORK_UNREACHABLE) {
      return "a blackhole route discards traffic to this destination (EINVAL on connect)";
    }
    if (errno != null && errno.number() == Errno.ECONNRESET.number()) {
      return "the handshake completed, then the peer reset the connection at once (ECONNRESET):"
          + " something listens but drops new connections";
    }
    if (errno != null && errno.number() == Errno.EPERM.number()) {
      return "a local firewall rule (netfilter OUTPUT) dropped the SYN (EPERM)";
    }
    return outcome.explanation();
  }

  /**
   * {@code 198.18.1.2:81 refused ECONNREFUSED(111) 0.4 ms async}; for a name, the address it
   * reached beside it: {@code localhost:81 (::1) refused ...}.
   */
  @Override
  public String toString() {
    return target + dev.tcpdial.internal.Addresses.beside(target, remote) + " " + outcome.label()
        + (errno != null ? " " + errno : "") + " " + elapsed.toNanos() / 1e6 + " ms " + mode.label();
  }
}
