package dev.tcpdial.cli.output;

import java.io.PrintWriter;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Whether standard output and error are terminals, and whether colour is wanted. */
public final class Terminal {
  private Terminal() {}

  /** Set by the tool's {@code main}: the command's writers are the process's real stdout and stderr. */
  public static volatile PrintWriter realOut;
  public static volatile PrintWriter realErr;
  /** The stream under {@link #realOut}, for output that is bytes already. */
  public static volatile java.io.OutputStream realOutStream;
  /** The descriptor the results are written to (a duplicate of 1 once {@link Stdout} moved them). */
  static volatile int outFd = 1;

  /** Linked on first use: most runs never ask. */
  private static final class Isatty {
    static final MethodHandle HANDLE = isattyHandle();
  }

  private static MethodHandle isattyHandle() {
    try {
      Linker linker = Linker.nativeLinker();
      return linker.defaultLookup().find("isatty")
          .map(addr -> linker.downcallHandle(addr,
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)))
          .orElse(null);
    } catch (Throwable e) { // native access refused or not supported
      return null;
    }
  }

  /**
   * True when the results go to a terminal: the results' own descriptor, which is no longer 1
   * once {@link Stdout} pointed descriptor 1 at stderr (asking descriptor 1 would ask stderr).
   *
   * @return whether standard output, as the shell gave it, is a terminal
   */
  public static boolean stdoutIsTerminal() {
    return isatty(outFd);
  }

  /** True when file descriptor {@code fd} is a terminal; falls back to System.console(). */
  @SuppressWarnings("SystemConsoleNull") // the JDK still documents null for a JVM without console
  static boolean isatty(int fd) {
    if (Isatty.HANDLE != null) {
      try {
        return (int) Isatty.HANDLE.invokeExact(fd) == 1;
      } catch (Throwable e) {
        // fall through
      }
    }
    java.io.Console c = System.console();
    return c != null && c.isTerminal(); // null where the JVM has no console at all
  }

  /** Colour on {@code out}: it is the real stdout, a terminal, and NO_COLOR is not set. */
  static boolean colourOnStdout(PrintWriter out) {
    String noColour = System.getenv("NO_COLOR");
    return out == realOut && (noColour == null || noColour.isEmpty()) && isatty(outFd)
        && !"dumb".equals(System.getenv("TERM"));
  }

  /**
   * A progress display on {@code err} is welcome: it is the real stderr and a terminal, and the
   * results go elsewhere (a file or a pipe), so the two never mix.
   */
  public static boolean progressOnStderr(PrintWriter err) {
    return err == realErr && isatty(2) && !isatty(outFd);
  }
}
