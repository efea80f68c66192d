package dev.tcpdial.cli.output;

import dev.tcpdial.DialResult;
import dev.tcpdial.PortState;
import dev.tcpdial.cli.process.ExitCodes;

/**
 * One line of output: a result, and what the command knows beside it.
 *
 * @param result the dial's result
 * @param expected the expectation, or {@code null}
 * @param seq the probe's sequence number (ping), or -1
 * @param label a name for the case (demo), or {@code null}
 */
public record Row(DialResult result, PortState expected, long seq, String label) {
  public static Row of(DialResult r) {
    return new Row(r, null, -1, null);
  }

  /** True when there is no expectation or it held. */
  public boolean matched() {
    return expected == null || expected.matches(result.outcome());
  }

  public int exitCode() {
    return ExitCodes.of(result.outcome(), expected);
  }
}
