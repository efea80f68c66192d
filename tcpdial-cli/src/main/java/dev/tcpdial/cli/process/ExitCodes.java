package dev.tcpdial.cli.process;

import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;

/**
 * The exit codes of every tcpdial command. With several results the command exits with the most
 * severe one's code, in the order of {@link #SEVERITY} (least severe first).
 */
public final class ExitCodes {
  /** Every target connected, or every expectation held. */
  public static final int OK = 0;
  /** Another failure: outcome {@code error}, or an unexpected internal problem. */
  public static final int ERROR = 1;
  /** Bad command line or bad input (a malformed target, option, file line). */
  public static final int USAGE = 2;
  /** Refused: the host answered with a reset, nothing listens on the port. */
  public static final int REFUSED = 3;
  /** Timeout: no answer to the SYN in time (our deadline, or the kernel's ETIMEDOUT). */
  public static final int TIMEOUT = 4;
  /**
   * Host or network unreachable; also an IPv4 ICMP administratively-prohibited answer, which the
   * kernel reports as EHOSTUNREACH.
   */
  public static final int UNREACHABLE = 5;
  /**
   * Prohibited (EACCES/EPERM): a local prohibit route or firewall rule, or an IPv6 ICMP
   * administratively-prohibited answer.
   */
  public static final int PROHIBITED = 6;
  /** The name did not resolve. */
  public static final int RESOLUTION = 7;
  /** A problem of this machine: no local address or port, out of descriptors, cancelled; or needs root. */
  public static final int LOCAL = 8;
  /** An expectation ({@code --expect} or a {@code =open|closed|filtered} suffix) did not hold. */
  public static final int MISMATCH = 9;

  /**
   * {@code check --tls}, {@code check --module}: connected, then the TLS handshake failed (its
   * outcome names why: certificate_expired, unknown_authority, protocol_version, timeout, ...).
   */
  public static final int TLS = 11;
  /**
   * {@code check --module}: connected (and TLS, if any, established), then the module's
   * query_response dialogue failed (expect_mismatch, closed_by_peer, timeout, ...).
   */
  public static final int DIALOGUE = 12;

  /**
   * Least severe first; a command exits with the code of its result that comes last here. The
   * further a probe got, the less severe: a dialogue or TLS failure ranks below refused.
   */
  public static final int[] SEVERITY = {OK, DIALOGUE, TLS, REFUSED, TIMEOUT, UNREACHABLE, PROHIBITED,
      RESOLUTION, MISMATCH, LOCAL, ERROR, USAGE};

  private ExitCodes() {}

  /**
   * The code for one result without expectation.
   *
   * @param outcome the result's outcome
   * @return the exit code
   */
  public static int of(Outcome outcome) {
    return switch (outcome) {
      case CONNECTED -> OK;
      case REFUSED -> REFUSED;
      case TIMEOUT -> TIMEOUT;
      case HOST_UNREACHABLE, NETWORK_UNREACHABLE -> UNREACHABLE;
      case PROHIBITED -> PROHIBITED;
      case RESOLUTION_FAILED -> RESOLUTION;
      case NO_LOCAL_ADDRESS, LOCAL_RESOURCES, CANCELLED -> LOCAL;
      case ERROR -> ERROR;
    };
  }

  /**
   * The code for one result with an expectation: 0 when it held, else the mismatch code.
   *
   * @param outcome the result's outcome
   * @param expected what was expected
   * @return the exit code
   */
  public static int of(Outcome outcome, PortState expected) {
    if (expected == null) {
      return of(outcome);
    }
    if (expected.matches(outcome)) {
      return OK;
    }
    // a local problem or an internal error says nothing about the target: report it as such
    return outcome.isLocal() ? LOCAL : outcome == Outcome.ERROR ? ERROR : MISMATCH;
  }

  /** Position of {@code code} in {@link #SEVERITY}. */
  static int rank(int code) {
    for (int i = 0; i < SEVERITY.length; i++) {
      if (SEVERITY[i] == code) {
        return i;
      }
    }
    return SEVERITY.length;
  }

  /**
   * The more severe of two codes.
   *
   * @param a an exit code
   * @param b another exit code
   * @return the more severe of the two
   */
  public static int worst(int a, int b) {
    return rank(b) > rank(a) ? b : a;
  }
}
