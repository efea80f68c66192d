package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C: {@code tcpdial ping} run as a process of its own gets SIGINT after a few probes, prints
 * the statistics of what it sent and exits by itself with 130, as every interrupted command does.
 */
class PingInterruptTest {

  @Test
  void sigintPrintsTheSummaryAndExits() throws Exception {
    try (Loopback.Open open = new Loopback.Open()) {
      Process p = new ProcessBuilder(NamespaceScanTest.java("ping", "-i", "50ms",
          "127.0.0.1:" + open.port())).redirectErrorStream(true).start();
      try {
        assumeFalse(sigintIgnored(p.pid()), "SIGINT is ignored by this process tree (started in"
            + " the background of a non-interactive shell?): Ctrl-C cannot be sent; skipped");
        BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lines.stream().filter(l -> l.startsWith("seq=")).count() < 3
            && System.nanoTime() < end) {
          String l = r.readLine();
          if (l == null) {
            break;
          }
          lines.add(l);
        }
        assertThat(lines).as("three probes before the signal").hasSizeGreaterThanOrEqualTo(3);
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.waitFor(15, TimeUnit.SECONDS)).as("exits after SIGINT").isTrue();
        r.lines().forEach(lines::add);
        String all = String.join("\n", lines);
        assertThat(p.exitValue()).as(all).isEqualTo(130); // interrupted, every probe connected
        assertThat(all).contains("tcpdial ping statistics")
            .contains(" connected, 0 failed").contains("0.0% loss")
            .contains("interrupted by SIGINT")
            .contains("rtt min/avg/max/mdev = ").contains("rtt p50/p90/p99 = ")
            .contains("outages: none");
        Cli.assertNoStackTrace(all);
        String stats = lines.stream().filter(l -> l.contains(" sent, ")).findFirst().orElseThrow();
        long sent = Long.parseLong(stats.substring(0, stats.indexOf(' ')));
        assertThat(sent).isGreaterThanOrEqualTo(3)
            .isEqualTo(lines.stream().filter(l -> l.startsWith("seq=")).count());
      } finally {
        p.destroyForcibly();
      }
    }
  }

  /** True when {@code pid} ignores SIGINT (its SigIgn mask in /proc has bit 1). */
  static boolean sigintIgnored(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 0x2) != 0;
      }
    }
    return false;
  }
}
