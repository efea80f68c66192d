package dev.tcpdial.cli;

import dev.tcpdial.DialResult;

/**
 * One line of output: a result, and what the command knows beside it.
 *
 * @param result the dial's result
 * @param expected the expectation, or {@code null}
 * @param seq the probe's sequence number (ping), or -1
 * @param label a name for the case (demo), or {@code null}
 */
record Row(DialResult result, Expectation expected, long seq, String label) {
  static Row of(DialResult r) {
    return new Row(r, null, -1, null);
  }

  /** True when there is no expectation or it held. */
  boolean matched() {
    return expected == null || expected.matches(result.outcome());
  }

  int exitCode() {
    return ExitCodes.of(result.outcome(), expected);
  }
}
