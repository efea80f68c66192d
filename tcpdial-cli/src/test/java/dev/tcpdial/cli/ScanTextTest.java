package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * scan's text output shows what is interesting, as nmap does: refused rows are counted in one
 * line ("not shown: N refused"), {@code --all} writes them; JSON and CSV keep every row; a failed
 * expectation is always written.
 */
class ScanTextTest {
  static Loopback.Open open;
  static List<Integer> closed = new ArrayList<>();

  @BeforeAll
  static void targets() throws Exception {
    open = new Loopback.Open();
    for (int i = 0; i < 5; i++) {
      closed.add(Loopback.closedPort());
    }
  }

  @AfterAll
  static void close() throws Exception {
    open.close();
  }

  static String ports() {
    List<String> ps = new ArrayList<>(closed.stream().map(String::valueOf).toList());
    ps.add(Integer.toString(open.port()));
    return String.join(",", ps);
  }

  static List<String> rows(Cli.Run r) {
    return r.lines().stream().filter(l -> l.startsWith("127.0.0.1:")).toList();
  }

  @Test
  void refusedRowsAreCountedInOneLine() {
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(), "--no-progress");
    assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(rows(r)).as(r.out()).hasSize(1).allMatch(l -> l.contains("connected"));
    assertThat(r.lines()).contains("not shown: 5 refused (--all shows them)");
    assertThat(r.out()).contains("6 targets: 1 connected, 5 refused");

    Cli.Run all = Cli.run("scan", "127.0.0.1", "-p", ports(), "--no-progress", "--all");
    assertThat(rows(all)).hasSize(6);
    assertThat(all.out()).doesNotContain("not shown");
  }

  @Test
  void jsonAndCsvKeepEveryRow() {
    Cli.Run json = Cli.run("scan", "127.0.0.1", "-p", ports(), "--format", "json");
    assertThat(json.results()).hasSize(6);
    assertThat(json.summary().has("not_shown")).isFalse();
    Cli.Run csv = Cli.run("scan", "127.0.0.1", "-p", ports(), "--format", "csv");
    assertThat(csv.lines()).hasSize(7);
    assertThat(csv.err()).doesNotContain("not shown");
  }

  @Test
  void aFailedExpectationIsAlwaysShown() {
    Cli.Run r = Cli.run("scan", "127.0.0.1:" + closed.get(0) + "=open",
        "127.0.0.1:" + closed.get(1) + "=closed", "127.0.0.1:" + closed.get(2), "--no-progress");
    assertThat(r.code()).isEqualTo(ExitCodes.MISMATCH);
    assertThat(rows(r)).hasSize(1).allMatch(l -> l.startsWith("127.0.0.1:" + closed.get(0) + " ")
        && l.contains("MISMATCH"));
    assertThat(r.lines()).contains("not shown: 2 refused (--all shows them)");
    // and through an outcome filter too: the exit code must be explained by a row
    Cli.Run only = Cli.run("scan", "127.0.0.1:" + closed.get(0) + "=open",
        "127.0.0.1:" + open.port(), "--only", "connected", "--format", "json");
    assertThat(only.results()).extracting(n -> n.get("port").asInt())
        .containsExactlyInAnyOrder(closed.get(0), open.port());
  }

  @Test
  void anOutcomeFilterSaysWhatItLeftOut() {
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", ports(), "--only", "refused", "--no-progress");
    assertThat(rows(r)).hasSize(5).allMatch(l -> l.contains("refused"));
    assertThat(r.lines()).contains("not shown: 1 connected (--only refused)");
  }

  @Test
  void theHelpSaysRowsComeInCompletionOrderAndHowToSort() {
    String help = Cli.run("scan", "--help").out().replaceAll("\\s+", " ");
    assertThat(help).contains("completion order").contains("sort").contains("--all")
        .contains("not shown: N refused");
  }
}
