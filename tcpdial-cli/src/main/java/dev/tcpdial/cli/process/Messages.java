package dev.tcpdial.cli.process;

import java.util.regex.Pattern;

/** The one-line texts a command prints for a failure. */
public final class Messages {
  private static final Pattern BREAKS = Pattern.compile("[\\r\\n\\t]+");

  private Messages() {}

  /**
   * What a failure says, for one line of stderr: its message, else its cause's, else its type.
   *
   * @param t the failure
   * @return the text
   */
  public static String message(Throwable t) {
    if (t instanceof LinkageError) {
      // e.g. NoClassDefFoundError "dev/tcpdial/cli/output/Report$Raw": the class name alone says nothing
      return "internal failure: " + t.getClass().getSimpleName() + " " + t.getMessage()
          + " (out of file descriptors, or a broken installation?)";
    }
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      Throwable c = t.getCause();
      return c != null && c != t ? message(c) : t.getClass().getSimpleName();
    }
    return m;
  }

  /**
   * {@code s} on one line: line breaks and tabs become one space, the ends are stripped.
   *
   * @param s the text
   * @return the line
   */
  public static String oneLine(String s) {
    return BREAKS.matcher(s).replaceAll(" ").strip();
  }
}
