package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The JDK reports errors in the process locale; tcpdial's outcome and errno names must not change
 * with it. Runs {@link LocaleProbe} under {@code LC_ALL=de_DE.UTF-8}.
 */
class LocaleIndependenceTest {

  @Test
  void outcomeNamesDoNotDependOnTheLocale() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), LocaleProbe.class.getName());
    pb.environment().put("LC_ALL", "de_DE.UTF-8");
    pb.environment().put("LANG", "de_DE.UTF-8");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    List<String> lines = new ArrayList<>();
    try (var r = p.inputReader()) {
      r.lines().forEach(lines::add);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String jdk = lines.stream().filter(l -> l.startsWith("jdk-message ")).findFirst().orElse("");
    Assumptions.assumeFalse(jdk.equals("jdk-message Connection refused"),
        "glibc's German translations are not installed (Debian: apt-get install locales libc-l10n;"
            + " locale-gen de_DE.UTF-8), so this JVM's messages stay English: nothing to prove");
    assertThat(jdk).as("the JDK's own message is translated").isEqualTo("jdk-message Verbindungsaufbau abgelehnt");
    assertThat(lines).contains(
        "refused sync refused ECONNREFUSED",
        "bind sync no_local_address EADDRNOTAVAIL",
        "refused async refused ECONNREFUSED",
        "bind async no_local_address EADDRNOTAVAIL");
  }
}
