package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

/** What every rejected input must get from the command line's parsers: a one-line error. */
final class CliFuzzChecks {
  private CliFuzzChecks() {}

  /** True when {@code text} has a line break of its own (an error quoting it spans lines). */
  static boolean hasLineBreak(String text) {
    return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
  }

  /** A message, on one line unless the input itself had a line break, and no hidden cause. */
  static void oneLineError(Throwable e, String input) {
    String m = e.getMessage();
    assertThat(m).as("message of %s", e.getClass().getName()).isNotBlank();
    if (!hasLineBreak(input)) {
      assertThat(m).as("one line").doesNotContain("\n").doesNotContain("\r");
    }
    assertThat(e.getCause()).as("cause").isNull();
  }
}
