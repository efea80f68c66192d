package dev.tcpdial.cli.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A scan's end path must not need a descriptor: run from directories of class files, the classes
 * it uses are loaded before it dials (FaultsLabTest shows it with the limit cut mid-scan).
 */
class OwnClassesTest {
  /** A fresh loader over this test's class path, which says what it has loaded. */
  static final class Fresh extends URLClassLoader {
    Fresh(URL[] urls) {
      super(urls, ClassLoader.getPlatformClassLoader());
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }
  }

  @Test
  void everyClassOfTheCliAndCoreIsLoadedBeforeTheScanDials() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      urls.add(Path.of(e).toUri().toURL());
    }
    try (Fresh fresh = new Fresh(urls.toArray(URL[]::new))) {
      Class<?> own = Class.forName(OwnClasses.class.getName(), true, fresh);
      assertThat(fresh.loaded("dev.tcpdial.cli.output.Report$Raw")).isFalse();
      var load = own.getDeclaredMethod("loadFromDirectories");
      load.setAccessible(true);
      int n = (int) load.invoke(null);
      assertThat(n).isGreaterThan(100);
      // the summary's classes (the one that was missing), the exit path's
      for (String c : List.of("dev.tcpdial.cli.output.Report$Raw",
          "dev.tcpdial.cli.output.Report", "dev.tcpdial.cli.process.ExitCodes",
          "dev.tcpdial.cli.process.Interrupts", "dev.tcpdial.cli.ScanCommand")) {
        assertThat(fresh.loaded(c)).as(c).isTrue();
      }
      // the core's when it comes from a directory too (in the IDE or 'mvn test'); from its jar
      // (a reactor 'verify') nothing needs loading
      boolean coreFromDirectory = java.nio.file.Files.isDirectory(Path.of(
          dev.tcpdial.Outcome.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
      assertThat(fresh.loaded("dev.tcpdial.Outcome")).isEqualTo(coreFromDirectory);
      assertThat((int) load.invoke(null)).as("once per JVM").isZero();
    }
  }

  @Test
  void aClassThatCannotBeLoadedIsNamedAsAnInternalFailureNotJustItsName() {
    assertThat(Messages.message(new NoClassDefFoundError("dev/tcpdial/cli/output/Report$Raw")))
        .isEqualTo("internal failure: NoClassDefFoundError dev/tcpdial/cli/output/Report$Raw"
            + " (out of file descriptors, or a broken installation?)");
  }
}
