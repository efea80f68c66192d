package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a machine whose only Java is older than 25, {@code ./mvnw}, {@code ./tcpdial}, {@code ./test}
 * and {@code java -jar tcpdial.jar} each say in one line which Java they need and where they
 * looked, and fail. Played with an old JDK from /usr/lib/jvm as JAVA_HOME and a directory holding
 * only it in place of /usr/lib/jvm ({@code TCPDIAL_JVM_DIR}).
 */
class WrongJavaTest {
  static final Path ROOT = DocsSnippetsTest.ROOT;

  static Path oldJdk;

  @TempDir static Path jvms;

  @BeforeAll
  static void findOldJdk() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
      oldJdk = s.filter(p -> Files.isExecutable(p.resolve("bin/java")))
          .filter(p -> feature(p) > 0 && feature(p) < 25).findFirst().orElse(null);
    } catch (IOException e) {
      oldJdk = null;
    }
    if (oldJdk != null) {
      Files.createSymbolicLink(jvms.resolve("old-jdk"), oldJdk);
    }
  }

  static int feature(Path jdk) {
    try {
      for (String line : Files.readAllLines(jdk.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=\"")) {
          String v = line.substring(14).replaceFirst("^1\\.", "");
          return Integer.parseInt(v.replaceFirst("[^0-9].*", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }

  record Run(int code, List<String> stderr) {}

  static Run run(String... command) throws IOException, InterruptedException {
    assumeTrue(oldJdk != null, "no JDK older than 25 under /usr/lib/jvm to play the wrong Java");
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
    Map<String, String> env = pb.environment();
    env.put("JAVA_HOME", oldJdk.toString());
    env.put("PATH", oldJdk.resolve("bin") + ":/usr/bin:/bin");
    env.put("TCPDIAL_JVM_DIR", jvms.toString());
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> lines = new ArrayList<>(err.lines().filter(l -> !l.isBlank()).toList());
    return new Run(p.exitValue(), lines);
  }

  static void saysWhichJavaAndWhere(Run r) {
    assertThat(r.code()).isNotZero();
    assertThat(r.stderr()).hasSize(1);
    assertThat(r.stderr().get(0))
        .contains("needs a JDK 25 or newer")
        .contains("JAVA_HOME (" + oldJdk + ")")
        .contains(jvms + "/*")
        .contains("Java " + feature(oldJdk) + " at " + oldJdk);
  }

  @Test
  void mavenWrapper() throws Exception {
    saysWhichJavaAndWhere(run("./mvnw", "-v"));
  }

  @Test
  void launcher() throws Exception {
    saysWhichJavaAndWhere(run("./tcpdial", "--version"));
  }

  @Test
  void testScript() throws Exception {
    saysWhichJavaAndWhere(run("./test"));
  }

  @Test
  void javaJarOnAnOldJava() throws Exception {
    Path jar = ROOT.resolve("tcpdial-cli/target/tcpdial.jar");
    assumeTrue(Files.isRegularFile(jar), "tcpdial.jar is not built");
    Run r = run(oldJdk.resolve("bin/java").toString(), "-jar", jar.toString(), "--version");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.stderr()).hasSize(1);
    assertThat(r.stderr().get(0)).startsWith("tcpdial: needs Java 25 or newer; this is Java ")
        .contains(oldJdk.toString());
  }
}
