package dev.tcpdial.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

/** What every rejected input must get: a one-line error of the documented kind. */
public final class FuzzChecks {
  private FuzzChecks() {}

  /**
   * {@code e} has a message, starting with {@code prefix} (when not null), on one line whatever the
   * input, and no cause that hides another failure.
   */
  public static void oneLineError(Throwable e, String input, String prefix) {
    String m = e.getMessage();
    assertThat(m).as("message of %s", e.getClass().getName()).isNotBlank();
    if (prefix != null) {
      assertThat(m).startsWith(prefix);
    }
    // quoted input is escaped, so even an input with line breaks gets a one-line error
    assertThat(m).as("one line, for input %s", input).doesNotContain("\n").doesNotContain("\r");
    assertThat(e.getCause()).as("cause").isNull();
  }
}
