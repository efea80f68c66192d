package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One behaviour on SIGINT and SIGTERM for every command, checked with real signals to real
 * processes: the results so far, the summary with {@code interrupted} and {@code not_scanned}
 * (targets whose dial had not ended are not reported as cancelled, nor counted as local
 * problems), and exit 130 (SIGINT) or 143 (SIGTERM). A silent target is a loopback port whose
 * listen queue is full: its SYNs are dropped.
 */
class InterruptProcessTest {

  private static void signal(Process p, String sig) throws Exception {
    assumeFalse(PingInterruptTest.sigintIgnored(p.pid()) && sig.equals("INT"),
        "SIGINT is ignored by this process tree; skipped");
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Reads stdout to the end after {@code first} lines were read, and the exit status. */
  private static List<String> rest(Process p, BufferedReader r, List<String> first) throws Exception {
    List<String> lines = new ArrayList<>(first);
    r.lines().forEach(lines::add);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exits after the signal").isTrue();
    Cli.assertNoStackTrace(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    return lines;
  }

  @Test
  void checkWritesWhatEndedAndTheSummaryThen143OnSigterm() throws Exception {
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      int closed = Loopback.closedPort();
      Process p = new ProcessBuilder(NamespaceScanTest.java("check", "--format", "json",
          "--timeout", "20s", "127.0.0.1:" + closed, "127.0.0.1:" + silent.port(),
          "127.0.0.1:" + closed)).start();
      try {
        BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
        String first = r.readLine();
        assertThat(first).contains("\"outcome\":\"refused\"");
        signal(p, "TERM");
        List<String> lines = rest(p, r, List.of(first));
        assertThat(p.exitValue()).as(String.join("\n", lines)).isEqualTo(143);
        // the third target refused too, but lines keep argument order: only the first is written
        // unless the third is written after the interrupt; either way nothing is 'cancelled'
        assertThat(lines).noneMatch(l -> l.contains("\"outcome\":\"cancelled\""));
        JsonNode s = Cli.JSON.readTree(lines.getLast()).get("summary");
        assertThat(s.get("interrupted").asText()).isEqualTo("SIGTERM");
        assertThat(s.get("targets").asLong()).isEqualTo(3);
        assertThat(s.get("total").asLong() + s.get("not_scanned").asLong()).isEqualTo(3);
        assertThat(s.get("not_scanned").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(s.get("local_problems").asLong()).isZero();
        assertThat(s.get("exit_code").asInt()).isEqualTo(143);
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void checkSyncOnSigintSaysWhatWasNotScanned() throws Exception {
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      int closed = Loopback.closedPort();
      Process p = new ProcessBuilder(NamespaceScanTest.java("check", "--mode", "sync",
          "--timeout", "20s", "127.0.0.1:" + closed, "127.0.0.1:" + silent.port(),
          "127.0.0.1:" + closed)).start();
      try {
        BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
        String first = r.readLine();
        assertThat(first).contains("refused");
        Thread.sleep(200); // the second dial is under way
        signal(p, "INT");
        List<String> lines = rest(p, r, List.of(first));
        String all = String.join("\n", lines);
        assertThat(p.exitValue()).as(all).isEqualTo(130);
        assertThat(all).doesNotContain("cancelled").contains("1 target: 1 refused")
            .contains("interrupted by SIGINT: 2 targets not scanned");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  /**
   * A ping to a silent port: the schedule keeps starting probes while earlier ones wait; on
   * SIGINT the ones in flight are reported as interrupted, nothing connected, and the exit is 130.
   */
  @Test
  void pingReportsTheProbesInFlightAndNeverExitsZeroWithNothingConnected() throws Exception {
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      Process p = new ProcessBuilder(NamespaceScanTest.java("ping", "-i", "300ms", "--timeout",
          "1s", "127.0.0.1:" + silent.port())).start();
      try {
        BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
        String first = r.readLine();
        assertThat(first).startsWith("seq=1 ").contains("timeout");
        signal(p, "INT");
        List<String> lines = rest(p, r, List.of(first));
        String all = String.join("\n", lines);
        assertThat(p.exitValue()).as(all).isEqualTo(130);
        List<String> interrupted = lines.stream()
            .filter(l -> l.contains("cancelled") && l.contains("interrupted by SIGINT")).toList();
        assertThat(interrupted).as(all).isNotEmpty();
        String stats = lines.stream().filter(l -> l.contains(" sent, ")).findFirst().orElseThrow();
        long sent = Long.parseLong(stats.substring(0, stats.indexOf(' ')));
        assertThat(sent).as("every probe line is a sent probe")
            .isEqualTo(lines.stream().filter(l -> l.startsWith("seq=")).count());
        assertThat(stats).contains(" 0 connected, ")
            .contains(", " + interrupted.size() + " interrupted, 100.0% loss");
        assertThat(all).contains("interrupted by SIGINT").doesNotContain("outages: none");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void scanWritesWhatEndedAndCountsTheRestAsNotScanned() throws Exception {
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      int closed = Loopback.closedPort();
      Process p = new ProcessBuilder(NamespaceScanTest.java("scan", "--format", "json",
          "--timeout", "20s", "127.0.0.1:" + closed, "127.0.0.1:" + silent.port())).start();
      try {
        BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
        String first = r.readLine();
        assertThat(first).contains("\"outcome\":\"refused\"");
        signal(p, "INT");
        List<String> lines = rest(p, r, List.of(first));
        assertThat(p.exitValue()).as(String.join("\n", lines)).isEqualTo(130);
        assertThat(lines).hasSize(2);
        JsonNode s = Cli.JSON.readTree(lines.getLast()).get("summary");
        assertThat(s.get("interrupted").asText()).isEqualTo("SIGINT");
        assertThat(s.get("total").asLong()).isEqualTo(1);
        assertThat(s.get("not_scanned").asLong()).isEqualTo(1);
        assertThat(s.get("counts").get("cancelled").asLong()).isZero();
        assertThat(s.get("local_problems").asLong()).isZero();
        assertThat(s.get("exit_code").asInt()).isEqualTo(130);
      } finally {
        p.destroyForcibly();
      }
    }
  }

  /**
   * Interrupted while stdin is still open: the scan dials lines as they arrive, so the targets
   * read so far are dialed or counted as not scanned, and the summary still comes.
   */
  @Test
  void scanInterruptedWhileReadingStdinPrintsTheSummary() throws Exception {
    int closed = Loopback.closedPort();
    Process p = new ProcessBuilder(NamespaceScanTest.java("scan", "-", "--format", "json")).start();
    try {
      OutputStream in = p.getOutputStream();
      // more than a pipe holds (64 KiB): once written, the scan is reading its stdin
      StringBuilder sb = new StringBuilder();
      sb.append("127.0.0.1:").append(closed).append('\n');
      sb.append(("# " + "x".repeat(97) + "\n").repeat(1000));
      sb.append("127.0.0.1:").append(closed + 1 == 65536 ? 1 : closed + 1).append('\n');
      in.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
      in.flush();
      // both rows written: every line has been read and the scan waits for more on stdin (a
      // fixed sleep was too short for a JVM on a busy machine); a scan that never writes them is
      // ended after 30 s, and the assertions below say so
      BufferedReader r = p.inputReader(StandardCharsets.UTF_8);
      Thread watchdog = Thread.ofVirtual().start(() -> {
        try {
          if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        } catch (InterruptedException e) {
          // the test ended first
        }
      });
      List<String> rows = new ArrayList<>();
      for (String l; rows.size() < 2 && (l = r.readLine()) != null; ) {
        rows.add(l);
      }
      assertThat(rows).as("rows before the signal").hasSize(2);
      signal(p, "INT");
      List<String> lines = rest(p, r, rows);
      watchdog.interrupt();
      assertThat(p.exitValue()).as(String.join("\n", lines)).isEqualTo(130);
      JsonNode s = Cli.JSON.readTree(lines.getLast()).get("summary");
      assertThat(s.get("interrupted").asText()).isEqualTo("SIGINT");
      assertThat(s.get("targets").asLong()).isEqualTo(2);
      assertThat(s.get("total").asLong() + s.get("not_scanned").asLong()).isEqualTo(2);
      assertThat(lines).hasSize(1 + (int) s.get("total").asLong());
      for (String row : lines.subList(0, lines.size() - 1)) {
        assertThat(Cli.JSON.readTree(row).get("outcome").asText()).isEqualTo("refused");
      }
      in.close();
    } finally {
      p.destroyForcibly();
    }
  }
}
