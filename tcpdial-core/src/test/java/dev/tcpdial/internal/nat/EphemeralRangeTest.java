package dev.tcpdial.internal.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native loop checks a connected probe for a connection to itself only where one can happen:
 * on the ports the kernel picks sources from, read from {@code ip_local_port_range}.
 */
class EphemeralRangeTest {

  /**
   * What the kernel says, as {@code cat} reads it. A sysctl file answers only a read at offset 0:
   * a reader that takes one byte first got {@code "3"} of {@code "32768 60999"}, and the loop fell
   * back to checking every port.
   */
  @Test
  void theLoopReadsTheWholeRange() throws Exception {
    Path file = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    assumeTrue(Files.isReadable(file), "no " + file + " here");
    Process cat = new ProcessBuilder("cat", file.toString()).start();
    String[] kernel = new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
        .trim().split("\\s+");
    assertThat(cat.waitFor()).isZero();
    int[] range = NativeLoop.ephemeralRange();
    assertThat(range).containsExactly(Integer.parseInt(kernel[0]), Integer.parseInt(kernel[1]));
  }

  @Test
  void aRangeThatCannotBeReadMeansEveryPort(@TempDir Path dir) throws Exception {
    assertThat(NativeLoop.ephemeralRange(dir.resolve("missing"))).containsExactly(1, 65535);
    for (String bad : new String[] {"", "3", "x y", "60999 32768", "0 100", "1024 70000"}) {
      Path f = Files.writeString(dir.resolve("range"), bad + "\n");
      assertThat(NativeLoop.ephemeralRange(f)).as(bad).containsExactly(1, 65535);
    }
    Path f = Files.writeString(dir.resolve("range"), "1024\t65535\n");
    assertThat(NativeLoop.ephemeralRange(f)).containsExactly(1024, 65535);
  }
}
