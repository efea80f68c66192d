package dev.tcpdial.cli.process;

import dev.tcpdial.Dialer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Loads tcpdial's own classes before a long command dials, when they come from directories.
 *
 * <p>A class is loaded the first time it is used, and loading it from a directory of class files
 * opens that file. A scan that runs out of descriptors (its limit lowered under it, or its own
 * sockets filling it) cannot open one then, and its end path — the summary, its rows, the exit
 * code — uses classes that nothing loaded before: it died with {@code NoClassDefFoundError}
 * instead of printing the summary. From a jar nothing is opened (the jar is open already), and
 * the JDK's own classes come from its mapped image; so only directories on the class path (the
 * build's {@code target/classes}, as the tests run the tool) need this.
 *
 * <p>A descriptor kept in reserve and given back at the end would not do it: {@code
 * RLIMIT_NOFILE} bounds the descriptor's number, not how many are open, and with the limit below
 * the numbers the JVM already holds no descriptor can be opened at all, freed ones or not.
 */
public final class OwnClasses {
  private static final AtomicBoolean LOADED = new AtomicBoolean();

  private OwnClasses() {}

  /**
   * Loads (without initialising) every class of the CLI and the core read from a directory; once
   * per JVM, nothing when both come from jars. A class that does not load is left to fail where it
   * is used, as before.
   *
   * @return how many classes were loaded now
   */
  public static int loadFromDirectories() {
    if (!LOADED.compareAndSet(false, true)) {
      return 0;
    }
    int n = 0;
    for (Class<?> anchor : List.of(OwnClasses.class, Dialer.class)) {
      Path dir = directory(anchor);
      if (dir == null) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String rel = dir.relativize(f).toString();
          if (!rel.endsWith(".class") || rel.endsWith("module-info.class")
              || rel.endsWith("package-info.class")) {
            continue;
          }
          String name = rel.substring(0, rel.length() - ".class".length()).replace('/', '.');
          try {
            Class.forName(name, false, anchor.getClassLoader());
            n++;
          } catch (ClassNotFoundException | LinkageError e) {
            // not ours to judge here: used later, it fails there as it would have
          }
        }
      } catch (IOException | RuntimeException e) {
        // a directory that cannot be walked: classes load lazily, as before
      }
    }
    return n;
  }

  private static Path directory(Class<?> anchor) {
    CodeSource cs = anchor.getProtectionDomain().getCodeSource();
    if (cs == null || cs.getLocation() == null || !"file".equals(cs.getLocation().getProtocol())) {
      return null;
    }
    try {
      Path p = Path.of(cs.getLocation().toURI());
      return Files.isDirectory(p) ? p : null;
    } catch (URISyntaxException | IllegalArgumentException e) {
      return null;
    }
  }
}
