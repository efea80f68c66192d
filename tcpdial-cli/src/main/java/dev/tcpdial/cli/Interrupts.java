package dev.tcpdial.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Ctrl-C (SIGINT) and SIGTERM handling for commands that run until stopped: the handler asks the
 * command to stop, which then prints its summary and exits with its own code. Where signals
 * cannot be caught, a shutdown hook runs the handler and waits a moment for the summary.
 */
final class Interrupts {
  private final List<Runnable> undo = new ArrayList<>();

  private Interrupts() {}

  @SuppressWarnings("removal")
  static Interrupts install(Runnable onInterrupt) {
    Interrupts i = new Interrupts();
    boolean hookNeeded = false;
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler old = sun.misc.Signal.handle(sig, s -> onInterrupt.run());
        i.undo.add(() -> sun.misc.Signal.handle(sig, old));
      } catch (Throwable e) { // ignored by the parent shell, used by the JVM (-Xrs), unsupported
        hookNeeded = true;
      }
    }
    if (hookNeeded) {
      Thread hook = new Thread(() -> {
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

  void restore() {
    undo.forEach(Runnable::run);
  }
}
