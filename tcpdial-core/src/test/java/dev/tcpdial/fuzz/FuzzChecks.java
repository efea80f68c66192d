package dev.tcpdial.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

/** What every rejected input must get: a one-line error of the documented kind. */
public final class FuzzChecks {
  private FuzzChecks() {}

  /**
   * True when {@code text} has a line break of its own: an error that quotes it cannot be one line
   * until quoting escapes it (see RELIABILITY.md, "found").
   */
  public static boolean hasLineBreak(String text) {
    return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
  }

  /**
   * {@code e} has a message, starting with {@code prefix} (when not null), on one line unless the
   * input itself had a line break, and no cause that hides another failure.
   */
  public static void oneLineError(Throwable e, String input, String prefix) {
    String m = e.getMessage();
    assertThat(m).as("message of %s", e.getClass().getName()).isNotBlank();
    if (prefix != null) {
      assertThat(m).startsWith(prefix);
    }
    if (!hasLineBreak(input)) {
      assertThat(m).as("one line").doesNotContain("\n").doesNotContain("\r");
    }
    assertThat(e.getCause()).as("cause").isNull();
  }
}
