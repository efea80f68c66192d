package dev.tcpdial.cli.process;

import java.util.ArrayList;
import java.util.List;

/**
 * Ctrl-C (SIGINT) and SIGTERM, one behaviour for every command: the handler asks the command to
 * stop dialing; it writes the results it has, the summary (with {@code interrupted} and what was
 * not dialed), and exits with {@link #status()}: 128 + the signal's number, 130 for SIGINT and 143
 * for SIGTERM, as shells report a process the signal ended. Where signals cannot be caught, a
 * shutdown hook runs the handler and waits a moment for the summary.
 */
public final class Interrupts {
  private final List<Runnable> undo = new ArrayList<>();
  private volatile String signal; // "INT" or "TERM" once caught

  private Interrupts() {}

  @SuppressWarnings("removal")
  public static Interrupts install(Runnable onInterrupt) {
    Interrupts i = new Interrupts();
    boolean hookNeeded = false;
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler old = sun.misc.Signal.handle(sig, s -> {
          if (i.signal == null) {
            i.signal = name;
          }
          onInterrupt.run();
        });
        i.undo.add(() -> sun.misc.Signal.handle(sig, old));
      } catch (Throwable e) { // ignored by the parent shell, used by the JVM (-Xrs), unsupported
        hookNeeded = true;
      }
    }
    if (hookNeeded) {
      Thread hook = new Thread(() -> {
        if (i.signal == null) {
          i.signal = "TERM"; // the JVM's own shutdown: SIGINT, SIGTERM or SIGHUP, unknown which
        }
        onInterrupt.run();
        try {
          Thread.sleep(500); // time for the summary
        } catch (InterruptedException ignored) {
          // exit
        }
      }, "tcpdial-interrupt");
      Runtime.getRuntime().addShutdownHook(hook);
      i.undo.add(() -> {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
          // shutting down
        }
      });
    }
    return i;
  }

  /** True once a signal asked the command to stop. */
  public boolean caught() {
    return signal != null;
  }

  /** {@code SIGINT} or {@code SIGTERM}, or {@code null} when no signal came. */
  public String signalName() {
    return signal == null ? null : "SIG" + signal;
  }

  /** The exit status of an interrupted command: 130 after SIGINT, 143 after SIGTERM. */
  int status() {
    return 128 + ("INT".equals(signal) ? 2 : 15);
  }

  /** The exit status: {@link #status()} when a signal came, else {@code code}. */
  public int exitCode(int code) {
    return caught() ? status() : code;
  }

  public void restore() {
    undo.forEach(Runnable::run);
  }
}
