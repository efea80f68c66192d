package dev.tcpdial.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The jar's entry point, compiled for Java 8 so that {@code java -jar tcpdial.jar} on an older
 * Java says in one line which Java tcpdial needs and which one ran it, instead of an {@code
 * UnsupportedClassVersionError}. On Java 25 or newer it hands over to {@link Main} at once.
 */
public final class Launcher {
  /** The Java feature release the tool is compiled for. */
  static final int REQUIRED = 25;

  private Launcher() {}

  /**
   * Checks the running Java, then runs the tool.
   *
   * @param args the command-line arguments
   * @throws Throwable whatever the tool's main method throws
   */
  public static void main(String[] args) throws Throwable {
    String spec = System.getProperty("java.specification.version", "0");
    if (feature(spec) < REQUIRED) {
      System.err.println("tcpdial: needs Java " + REQUIRED + " or newer; this is Java " + spec
          + " at " + System.getProperty("java.home") + " (run it with a JDK " + REQUIRED
          + "'s bin/java, or use the tcpdial launcher, which finds one)");
      System.exit(1);
    }
    // Reflection: Main's class file is Java 25's, which this class's compiler cannot read.
    Method main = Class.forName("dev.tcpdial.cli.Main").getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** {@code "1.8"} is 8, {@code "17"} is 17; 0 for what does not parse. */
  static int feature(String spec) {
    String s = spec.startsWith("1.") ? spec.substring(2) : spec;
    int end = 0;
    while (end < s.length() && Character.isDigit(s.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(s.substring(0, end));
  }
}
