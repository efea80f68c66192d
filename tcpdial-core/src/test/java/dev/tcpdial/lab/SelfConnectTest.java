package dev.tcpdial.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A connect to a local port in the ephemeral range, with nothing listening, can be given that very
 * port as its source and complete by simultaneous open: connected to itself. In a namespace whose
 * ephemeral range is that port and one other it happens to about every other dial (probes close
 * with a reset, so no TIME_WAIT keeps the port away); the dial must never call it connected.
 */
class SelfConnectTest {

  @Test
  void aConnectionToItselfIsNotAListener() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")) && uid() == 0,
        "needs root to create a network namespace");
    String ns = "tdself" + ProcessHandle.current().pid() % 100000;
    try {
      run(List.of("ip", "netns", "add", ns));
      run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
      run(List.of("ip", "netns", "exec", ns, "sysctl", "-qw",
          "net.ipv4.ip_local_port_range=40000 40001"));
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      cmd.addAll(Lab.javaCommand(LabProbe.class));
      cmd.addAll(List.of("--connect-timeout", "2000", "--sequential"));
      for (int i = 0; i < 5; i++) {
        cmd.addAll(List.of("--engine", "jdk", "--id", "jdk" + i, "127.0.0.1:40000",
            "--engine", "epoll", "--id", "epoll" + i, "127.0.0.1:40000",
            "--engine", "uring", "--id", "uring" + i, "127.0.0.1:40000"));
      }
      List<String> out = run(cmd);
      List<ProbeLine> results = out.stream().filter(l -> l.startsWith("RESULT "))
          .map(ProbeLine::parse).toList();
      assertThat(results).as(String.join("\n", out)).hasSize(30);
      assertThat(results).allSatisfy(r -> {
        assertThat(r.outcome()).as(r.toString()).isEqualTo("refused");
        assertThat(r.elapsedMs()).isLessThan(1000);
      });
      assertThat(results).extracting(ProbeLine::engine).containsOnly("jdk", "epoll", "uring");
    } finally {
      new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static List<String> run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (var r = p.inputReader()) {
      r.lines().forEach(lines::add);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(cmd + "\n" + String.join("\n", lines)).isZero();
    return lines;
  }

  private static long uid() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
      }
    }
    return -1;
  }
}
