package dev.tcpdial.cli.process;

import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import java.util.List;

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
   * Some input lines were bad (each named on stderr with its file and line, and skipped); the
   * other targets were dialed.
   */
  public static final int BAD_INPUT = 10;
  /** Interrupted by SIGINT: 128 + 2. Not ranked: it replaces the results' code. */
  public static final int SIGINT = 130;
  /** Interrupted by SIGTERM: 128 + 15. Not ranked: it replaces the results' code. */
  public static final int SIGTERM = 143;
  /** Standard output closed by its reader: 128 + SIGPIPE. Not ranked: the process ends at once. */
  public static final int CLOSED_PIPE = 141;

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
  public static final int[] SEVERITY = {OK, DIALOGUE, TLS, REFUSED, TIMEOUT, UNREACHABLE,
      PROHIBITED, RESOLUTION, MISMATCH, BAD_INPUT, LOCAL, ERROR, USAGE};

  /**
   * One exit status and what it means, as every page that lists them says it: {@code --help},
   * {@code tcpdial man}, EXIT_CODES.md.
   *
   * @param code the exit status
   * @param meaning one or more whole sentences' worth of text, without a final full stop
   */
  public record Meaning(int code, String meaning) {}

  /**
   * Every exit status, the ranked ones in {@link #SEVERITY} order, then those that replace the
   * results' code. The one model of the exit status: the help, the manual page and EXIT_CODES.md
   * are made from it or checked against it.
   */
  public static final List<Meaning> TABLE = List.of(
      new Meaning(OK, "every target connected, or every expectation held"),
      new Meaning(DIALOGUE, "check --module: connected (and TLS established, if the module does"
          + " TLS), then the module's query_response dialogue failed; query_outcome and"
          + " query_step say how and where"),
      new Meaning(TLS, "check --tls, check --module: connected, then the TLS handshake failed;"
          + " tls_outcome (and tls_alert) say why, named as the exporter's probe_tls_outcome"
          + " names it"),
      new Meaning(REFUSED, "refused: the host answered the SYN with a reset, nothing listens"
          + " (ECONNREFUSED)"),
      new Meaning(TIMEOUT, "timeout: no answer to the SYN in time (our deadline, or the kernel's"
          + " ETIMEDOUT)"),
      new Meaning(UNREACHABLE, "host or network unreachable; also an IPv4 ICMP"
          + " administratively-prohibited answer (the kernel reports it as EHOSTUNREACH)"),
      new Meaning(PROHIBITED, "prohibited (EACCES/EPERM): a local prohibit route or firewall rule,"
          + " an IPv6 ICMP administratively-prohibited answer"),
      new Meaning(RESOLUTION, "the name did not resolve"),
      new Meaning(MISMATCH, "an expectation (--expect, or a =open|closed|filtered suffix) did not"
          + " hold"),
      new Meaning(BAD_INPUT, "some input was bad: each bad line of a target file or stdin was named"
          + " on stderr (file:line: why) and skipped, the other targets were dialed"),
      new Meaning(LOCAL, "a local problem: no local address or port, out of descriptors,"
          + " cancelled; demo --lab without root"),
      new Meaning(ERROR, "another error: outcome error, or an internal failure; also a write error"
          + " on standard output (a full disk: one line on stderr, at once)"),
      new Meaning(USAGE, "usage error: a bad option or target argument, a target file that cannot"
          + " be read, an unknown command (also with --help), a configuration file or module that"
          + " check --module cannot use, a TLS file (--ca-file, a module's tls_config) that cannot"
          + " be read; one line on stderr, never a stack trace"),
      new Meaning(SIGINT, "interrupted by SIGINT (Ctrl-C): the results so far and the summary"
          + " were written, targets not dialed are counted as not_scanned"),
      new Meaning(SIGTERM, "interrupted by SIGTERM, as by SIGINT"),
      new Meaning(CLOSED_PIPE, "standard output closed by its reader (| head): the command"
          + " stopped at once, quietly"));

  /** How the codes combine: said under the table wherever it is shown. */
  public static final String RANKING = "With several results the command exits with the code of"
      + " the most severe, in this order from least to most severe: "
      + java.util.Arrays.stream(SEVERITY).mapToObj(Integer::toString)
          .collect(java.util.stream.Collectors.joining(", "))
      + ". The codes " + SIGINT + ", " + SIGTERM + " and " + CLOSED_PIPE + " are not ranked: they"
      + " replace the results' code.";

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
