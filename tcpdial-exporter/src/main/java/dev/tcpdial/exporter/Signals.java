package dev.tcpdial.exporter;

import java.lang.reflect.Proxy;

/**
 * SIGTERM and SIGINT stop the exporter, SIGHUP reloads its configuration. Where a signal cannot be
 * caught, a shutdown hook stops it instead (the exit code is then the JVM's). The JDK's handler
 * API ({@code sun.misc.Signal}, module jdk.unsupported) is reached by reflection.
 */
public final class Signals {
  private Signals() {}

  /**
   * Runs {@code stop} on SIGTERM and SIGINT and {@code reload} on SIGHUP; where a signal cannot be
   * handled, {@code stop} runs from a shutdown hook instead.
   *
   * @param stop what ends the exporter
   * @param reload what reloads its configuration
   */
  public static void install(Runnable stop, Runnable reload) {
    boolean hook = !handle("TERM", stop);
    hook |= !handle("INT", stop);
    handle("HUP", reload); // without it POST /-/reload still works
    if (hook) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop, "tcpdial-serve-stop"));
    }
  }

  /** Runs {@code action} on signal {@code name}; false where that signal cannot be caught. */
  static boolean handle(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object sig = signal.getConstructor(String.class).newInstance(name);
      Object h = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler},
          (proxy, method, args) -> switch (method.getName()) {
            case "handle" -> {
              action.run();
              yield null;
            }
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> "tcpdial serve's " + name + " handler";
          });
      signal.getMethod("handle", signal, handler).invoke(null, sig, h);
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false; // -Xrs, a signal the JVM uses, or ignored by the parent
    }
  }
}
