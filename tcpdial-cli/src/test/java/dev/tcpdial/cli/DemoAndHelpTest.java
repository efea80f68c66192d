package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DemoAndHelpTest {
  @Test
  void demoShowsBothModesAndEveryOutcome() {
    Cli.Run r = Cli.run("demo", "--timeout", "300ms");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("sync (blocking connect)").contains("async (event loop)")
        .contains("listening").contains("closed-port").contains("full-backlog")
        .contains("ECONNREFUSED").doesNotContain("UNEXPECTED");
    for (Outcome o : Outcome.values()) {
      assertThat(r.out()).contains(o.label()).contains(o.explanation());
    }
  }

  @Test
  void demoJson() {
    Cli.Run r = Cli.run("demo", "--timeout", "300ms", "--format", "json");
    List<JsonNode> rows = r.results();
    assertThat(rows).hasSize(6);
    assertThat(rows).extracting(n -> n.get("case").asText() + "/" + n.get("mode").asText() + "/"
        + n.get("outcome").asText()).containsExactly(
        "listening/sync/connected", "listening/async/connected",
        "closed-port/sync/refused", "closed-port/async/refused",
        "full-backlog/sync/timeout", "full-backlog/async/timeout");
    assertThat(rows).allSatisfy(n -> assertThat(n.get("matched").asBoolean()).isTrue());
    assertThat(r.summary().get("outcomes").size()).isEqualTo(Outcome.values().length);
    assertThat(r.code()).isZero();
  }

  @Test
  void demoCsv() {
    Cli.Run r = Cli.run("demo", "--timeout", "300ms", "--format", "csv");
    assertThat(r.lines()).hasSize(7);
    assertThat(r.lines().getFirst()).startsWith("case,target,");
  }

  @Test
  void labNeedsRootOrTheScript() {
    boolean root = "root".equals(System.getProperty("user.name"));
    Cli.Run r = Cli.run("demo", "--lab", "--lab-script", "/nonexistent/lab.sh");
    assertThat(r.code()).isEqualTo(ExitCodes.LOCAL);
    assertThat(r.err().strip()).doesNotContain("\n")
        .contains(root ? "lab/lab.sh not found" : "needs root");
  }

  @Test
  void helpHasExitCodesAndExamples() {
    Cli.Run r = Cli.run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Exit codes").contains("usage error").contains("check")
        .contains("scan").contains("ping").contains("demo").contains("completion");
  }

  @ParameterizedTest
  @ValueSource(strings = {"check", "ping", "scan", "demo", "completion"})
  void everyCommandHasHelpWithExamples(String command) {
    Cli.Run r = Cli.run(command, "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Examples:").contains("tcpdial " + command.replace("completion", ""));
    if (!command.equals("completion") && !command.equals("demo")) {
      assertThat(r.out()).contains("--format");
    }
  }

  @Test
  void version() {
    Cli.Run r = Cli.run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("tcpdial ").doesNotContain("unknown");
  }

  @Test
  void completionScript() {
    Cli.Run r = Cli.run("completion");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("complete -F").contains("scan").contains("--format");
  }
}
