package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

/** What every rejected input must get from the command line's parsers: a one-line error. */
public final class CliFuzzChecks {
  private CliFuzzChecks() {}

  /** A message, on one line whatever the input, and no hidden cause. */
  public static void oneLineError(Throwable e, String input) {
    String m = e.getMessage();
    assertThat(m).as("message of %s", e.getClass().getName()).isNotBlank();
    assertThat(m).as("one line, for input %s", input).doesNotContain("\n").doesNotContain("\r");
    assertThat(e.getCause()).as("cause").isNull();
  }
}
