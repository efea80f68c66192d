package dev.tcpdial.cli.serve;

/**
 * SIGTERM and SIGINT stop the exporter, SIGHUP reloads its configuration. Where a signal cannot be
 * caught, a shutdown hook stops it instead (the exit code is then the JVM's).
 */
final class Signals {
  private Signals() {}

  @SuppressWarnings("removal")
  static void install(Runnable stop, Runnable reload) {
    boolean hook = false;
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.run());
      } catch (Throwable e) { // -Xrs, or ignored by the parent
        hook = true;
      }
    }
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> reload.run());
    } catch (Throwable e) {
      // no reload by signal; POST /-/reload still works
    }
    if (hook) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop, "tcpdial-serve-stop"));
    }
  }
}
