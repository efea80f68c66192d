package dev.tcpdial;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * One connect of one socket to one address, and how it ended.
 *
 * @param index 0 for the dial's first attempt, then 1, 2, ...
 * @param remote the address this attempt connected to
 * @param local the local address of the socket when known, else {@code null}
 * @param outcome how the attempt ended
 * @param errno the kernel's errno when it gave one, else {@code null} (always {@code null} for
 *     {@link Outcome#CONNECTED}, and for a {@link Outcome#TIMEOUT} that our deadline fired)
 * @param start when the attempt started, counted from the start of the dial
 * @param elapsed how long the attempt took
 * @param reason why the attempt started
 * @param icmp who answered a failed attempt with an error ({@link IcmpReport}): the router or
 *     target that sent an ICMP error, this host, or that the engine could not read it; {@code null}
 *     when no ICMP error or local decision is behind the outcome (connected, a reset from the
 *     target, a timeout)
 */
public record Attempt(
    int index,
    InetSocketAddress remote,
    InetSocketAddress local,
    Outcome outcome,
    Errno errno,
    Duration start,
    Duration elapsed,
    Reason reason,
    IcmpReport icmp) {

  /**
   * An attempt with no {@link IcmpReport}.
   *
   * @param index 0 for the dial's first attempt, then 1, 2, ...
   * @param remote the address this attempt connected to
   * @param local the local address of the socket, or {@code null}
   * @param outcome how the attempt ended
   * @param errno the kernel's errno, or {@code null}
   * @param start when the attempt started, from the start of the dial
   * @param elapsed how long the attempt took
   * @param reason why the attempt started
   */
  public Attempt(int index, InetSocketAddress remote, InetSocketAddress local, Outcome outcome,
      Errno errno, Duration start, Duration elapsed, Reason reason) {
    this(index, remote, local, outcome, errno, start, elapsed, reason, null);
  }

  /** Why an attempt started. */
  public enum Reason {
    /** The first attempt of the dial. */
    FIRST,
    /** The previous attempt was still in flight when the connection attempt delay elapsed (RFC 8305). */
    DELAY_ELAPSED,
    /** The previous attempt failed. */
    PREVIOUS_FAILED,
    /** A retry after every address had failed. */
    RETRY;

    /**
     * The lower-case name used in JSON ({@code delay_elapsed}).
     *
     * @return the label, e.g. {@code delay_elapsed}
     */
    public String label() {
      return label;
    }

    private final String label = name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Checks the components. */
  public Attempt {
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * {@code #0 [::1]:80 from [::1]:40000 refused ECONNREFUSED(111) at 0.0 ms, 0.3 ms (first)}.
   */
  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "#%d %s%s %s%s at %.1f ms, %.1f ms (%s)", index,
        dev.tcpdial.internal.Addresses.text(remote),
        local == null ? "" : " from " + dev.tcpdial.internal.Addresses.text(local), outcome.label(),
        errno == null ? "" : " " + errno, start.toNanos() / 1e6, elapsed.toNanos() / 1e6,
        reason.label());
  }

  /**
   * True when this attempt timed out because our deadline fired (not the kernel's ETIMEDOUT).
   *
   * @return whether our deadline ended this attempt
   */
  public boolean deadlineExpired() {
    return outcome == Outcome.TIMEOUT && errno == null;
  }
}
