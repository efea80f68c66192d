package dev.tcpdial.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The system resolver's path (getaddrinfo(3) through the JDK) with a name server that never
 * answers some names: a namespace of the test's own whose {@code /etc/netns/NAME/resolv.conf}
 * names its loopback, where {@link SlowNameServerProbe} serves DNS. With 100 distinct lookups
 * and 30 probes of one more name held by the silent server, unrelated names (of the same domain
 * and of another, from the hosts file, answered late) resolve in their own time, on a shared
 * dialer and on dialers made per probe with a resolver wrapping the system's, as the exporter's
 * {@code /probe} and continuous targets make them.
 */
class SlowNameServerTest {

  @Test
  void silentNamesDelayNoOtherLookup() throws Exception {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
        "needs Linux network namespaces");
    assumeTrue(isRoot(), "needs root to create a network namespace (run as root, as CI does)");
    String ns = "td" + Long.toString(ProcessHandle.current().pid(), 36) + "dns";
    Path etc = Path.of("/etc/netns", ns);
    List<String> out;
    try {
      run(List.of("ip", "netns", "add", ns));
      run(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
      Files.createDirectories(etc);
      // glibc's defaults (5 s, 2 attempts): a silent name holds its lookup for 10 s
      Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.1\n");
      Files.writeString(etc.resolve("hosts"),
          "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 hostsfile.test\n");
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      cmd.addAll(Lab.javaCommand(SlowNameServerProbe.class));
      out = run(cmd);
    } finally {
      new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
      if (Files.exists(etc)) {
        try (Stream<Path> s = Files.walk(etc)) {
          for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
      }
    }
    String all = String.join("\n", out);
    System.out.println("slow name server:\n" + all);
    assertThat(value(out, "slow-seen")).as("distinct silent names asked at once (no queue)\n%s",
        all).isGreaterThanOrEqualTo(SlowNameServerProbe.SLOW + 1);
    List<String[]> rows = out.stream().map(l -> l.split(" ")).filter(f -> f.length == 4).toList();
    assertThat(rows.stream().filter(f -> f[0].equals("fast"))).as(all).hasSize(20)
        .allSatisfy(f -> {
          assertThat(f[2]).as("%s", String.join(" ", f)).isEqualTo("connected");
          assertThat(Double.parseDouble(f[3])).as("%s: ms", String.join(" ", f))
              .isLessThan(1_000.0);
        });
    assertThat(rows.stream().filter(f -> f[0].equals("hosts"))).as(all).hasSize(2)
        .allSatisfy(f -> {
          assertThat(f[2]).isEqualTo("connected");
          assertThat(Double.parseDouble(f[3])).isLessThan(1_000.0);
        });
    assertThat(rows.stream().filter(f -> f[0].equals("late"))).as(all).singleElement()
        .satisfies(f -> {
          assertThat(f[2]).isEqualTo("connected");
          assertThat(Double.parseDouble(f[3])).isBetween(1_400.0, 3_000.0);
        });
    assertThat(rows.stream().filter(f -> f[0].equals("slow"))).as(all)
        .hasSize(SlowNameServerProbe.SLOW + SlowNameServerProbe.SAME).allSatisfy(f -> {
          assertThat(f[2]).isEqualTo("resolution_failed");
          assertThat(Double.parseDouble(f[3])).as("the 5 s deadline").isBetween(4_900.0, 7_000.0);
        });
    assertThat(value(out, "same-questions")).as("30 probes of one name: one"
        + " getaddrinfo(3) (A and AAAA, two tries at most) through our coalescing and the JDK's").isLessThanOrEqualTo(4);
  }

  private static long value(List<String> out, String key) {
    return out.stream().filter(l -> l.startsWith(key + " ")).mapToLong(
        l -> Long.parseLong(l.substring(key.length() + 1).strip())).findFirst().orElse(-1);
  }

  private static List<String> run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    Thread reader = Thread.ofPlatform().daemon().start(() -> {
      try (var r = p.inputReader(StandardCharsets.UTF_8)) {
        r.lines().forEach(lines::add);
      } catch (IOException e) {
        // killed
      }
    });
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(String.join(" ", cmd) + ": no end after 60 s");
    }
    reader.join(5_000);
    if (p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + ": exit " + p.exitValue() + "\n"
          + String.join("\n", lines));
    }
    return lines;
  }

  private static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).strip().split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }
}
