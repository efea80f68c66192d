package dev.tcpdial.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Outcomes that end inside {@code connect()} (refused on the far side; no route, unreachable,
 * prohibit and blackhole routes in the client), each on 60 ports, interleaved and scanned through
 * one {@code probeEach}: every probe must end as a lone probe of its target does, whichever socket
 * carried the probe before it (the native engine reuses a socket whose connect failed). Root only.
 */
class LabScanTest {
  /** Host, then the outcome and errno every port of it must end with. */
  static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  static {
    EXPECTED.put("198.18.1.2", "refused ECONNREFUSED");
    EXPECTED.put("[fd00:0:0:2::2]", "refused ECONNREFUSED");
    EXPECTED.put("198.19.255.1", "network_unreachable ENETUNREACH");
    EXPECTED.put("[fd01::1]", "network_unreachable ENETUNREACH");
    EXPECTED.put("198.18.10.1", "host_unreachable EHOSTUNREACH");
    EXPECTED.put("[fd00:10::1]", "host_unreachable EHOSTUNREACH");
    EXPECTED.put("198.18.11.1", "prohibited EACCES");
    EXPECTED.put("[fd00:11::1]", "prohibited EACCES");
    EXPECTED.put("198.18.12.1", "network_unreachable EINVAL");
    EXPECTED.put("[fd00:12::1]", "network_unreachable EINVAL");
  }

  static final int PORTS = 60;

  private static Lab lab;

  @BeforeAll
  static void up() {
    lab = Lab.up();
  }

  @AfterAll
  static void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @ParameterizedTest(name = "engine {0}")
  @ValueSource(strings = {"uring", "epoll", "jdk"})
  void everyProbeEndsAsALoneProbeWould(String engine) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.client()));
    cmd.addAll(Lab.javaCommand(LabScan.class));
    cmd.addAll(List.of("--engine", engine, "--window", "8", "198.18.1.2:80"));
    for (int p = 2000; p < 2000 + PORTS; p++) {
      for (String host : EXPECTED.keySet()) {
        cmd.add(host + ":" + p);
      }
    }
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines;
    try (var r = proc.inputReader()) {
      lines = r.lines().toList();
    }
    assertThat(proc.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String all = String.join("\n", lines);
    assertThat(proc.exitValue()).as(all).isZero();
    assertThat(lines).as(all).contains("DONE count=" + (1 + PORTS * EXPECTED.size()));
    List<String> results = lines.stream().filter(l -> l.startsWith("SCAN ")).toList();
    assertThat(results).hasSize(1 + PORTS * EXPECTED.size());
    for (String line : results) {
      String[] f = line.split(" ");
      String target = f[1];
      assertThat(f[4]).as(line).isEqualTo(engine);
      if (target.equals("198.18.1.2:80")) {
        assertThat(f[2]).as(line).isEqualTo("connected");
        continue;
      }
      String host = target.substring(0, target.lastIndexOf(':'));
      assertThat(f[2] + " " + f[3]).as(line).isEqualTo(EXPECTED.get(host));
    }
  }
}
