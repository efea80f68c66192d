package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A loopback scan of 10,000 ports inside a network namespace of its own: the CLI re-executed with
 * {@code ip netns exec}, one listener of ours inside. Needs root.
 */
public class NamespaceScanTest {

  public static boolean root() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  public static int exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  public static List<String> java(String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  @Test
  void tenThousandPortsInAFreshNamespace() throws Exception {
    assumeTrue(root(), "needs root to create a network namespace (ip netns add); skipped");
    assumeTrue(new File("/usr/sbin/ip").canExecute() || new File("/sbin/ip").canExecute()
        || new File("/usr/bin/ip").canExecute(), "needs iproute2 (ip); skipped");
    String ns = "tdclit" + ProcessHandle.current().pid() % 100000;
    Process server = null;
    try {
      assertThat(exec(List.of("ip", "netns", "add", ns))).isZero();
      assertThat(exec(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"))).isZero();
      List<String> serve = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      serve.addAll(java("demo", "--serve", "8080"));
      server = new ProcessBuilder(serve).redirectErrorStream(true).start();
      BufferedReader sr = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String first = sr.readLine(); // "listening on port 8080" once bound
      assertThat(first).contains("listening on port 8080");

      List<String> scan = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      scan.addAll(java("scan", "127.0.0.1", "-p", "1-10000", "--format", "json", "--no-progress",
          "--timeout", "2s"));
      long start = System.nanoTime();
      Process p = new ProcessBuilder(scan).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      List<String> lines = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          lines.add(l);
        }
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      double secs = (System.nanoTime() - start) / 1e9;
      assertThat(lines).hasSize(10_001);
      Set<Integer> ports = new HashSet<>();
      int connected = 0;
      for (String l : lines.subList(0, 10_000)) {
        JsonNode n = Cli.JSON.readTree(l);
        ports.add(n.get("port").asInt());
        String outcome = n.get("outcome").asText();
        if (n.get("port").asInt() == 8080) {
          assertThat(outcome).isEqualTo("connected");
          connected++;
        } else {
          assertThat(outcome).as(l).isEqualTo("refused");
          assertThat(n.get("errno").asText()).isEqualTo("ECONNREFUSED");
        }
      }
      assertThat(ports).hasSize(10_000);
      assertThat(connected).isEqualTo(1);
      JsonNode summary = Cli.JSON.readTree(lines.getLast()).get("summary");
      assertThat(summary.get("total").asInt()).isEqualTo(10_000);
      assertThat(summary.get("counts").get("refused").asInt()).isEqualTo(9_999);
      assertThat(summary.get("counts").get("connected").asInt()).isEqualTo(1);
      assertThat(summary.get("counts").get("timeout").asInt()).isZero();
      assertThat(p.exitValue()).isEqualTo(ExitCodes.REFUSED);
      assertThat(secs).as("whole process, JVM start included").isLessThan(60);
    } finally {
      if (server != null) {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      exec(List.of("ip", "netns", "del", ns));
    }
  }
}
