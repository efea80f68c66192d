package dev.tcpdial.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HttpClient 5 with the tcpdial operator where the kernel refuses the route: a network namespace
 * of its own (only {@code lo}, no route out) with an {@code unreachable} and a {@code prohibit}
 * route; the client runs in it as a child JVM. Needs root and iproute2; skips otherwise. No
 * packet leaves the namespace: every connect fails at the route lookup.
 */
class HttpClient5LabTest {
  static final String NS = "tcpdial-hc5-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
  static boolean created;

  @BeforeAll
  static void namespace() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")),
        "needs root to create a network namespace");
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
        || Files.isExecutable(Path.of("/usr/bin/ip")), "needs iproute2 (ip)");
    run("ip", "netns", "add", NS);
    created = true;
    run("ip", "-n", NS, "link", "set", "lo", "up");
    run("ip", "-n", NS, "route", "add", "unreachable", "198.18.10.0/24");
    run("ip", "-n", NS, "route", "add", "prohibit", "198.18.11.0/24");
  }

  @AfterAll
  static void remove() throws Exception {
    if (created) {
      run("ip", "netns", "del", NS);
    }
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": no end after 60 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
    }
    return out;
  }

  @Test
  void unreachableProhibitedAndNoRouteSurfaceWithTheirOutcomes() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS, java,
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
        LabProbe.class.getName(), "http://198.18.10.5/", "http://198.18.11.5/",
        "http://198.18.20.5/"));
    String out = run(cmd.toArray(new String[0]));
    assertThat(out).contains(
        "http://198.18.10.5/ DialConnectException host_unreachable EHOSTUNREACH",
        "http://198.18.11.5/ DialConnectException prohibited EACCES",
        "http://198.18.20.5/ DialConnectException network_unreachable ENETUNREACH");
  }
}
