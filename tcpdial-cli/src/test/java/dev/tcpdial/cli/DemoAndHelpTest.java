package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.Outcome;
import dev.tcpdial.cli.output.Progress;
import dev.tcpdial.cli.process.ExitCodes;
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
    assertThat(r.out()).contains("Exit status:").contains("usage error").contains("check")
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

  @Test
  void bareTcpdialSaysSeeHelpOnce() {
    Cli.Run r = Cli.run();
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err().lines().toList()).hasSize(1);
    assertThat(r.err()).contains("missing command").containsOnlyOnce("(see tcpdial --help)");
  }

  /** An unknown command is a usage error, with --help or without: not the top-level help. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"bogus --help", "bogus", "bogus -h x"})
  void anUnknownCommandIsAUsageError(String args) {
    Cli.Run r = Cli.run(args.split(" "));
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().toList()).containsExactly("tcpdial: unknown command 'bogus'; the"
        + " commands are check, ping, scan, trace, serve, demo, completion, man, help (see tcpdial --help)");
  }

  /** IPv4 admin-prohibited ends host_unreachable (EHOSTUNREACH): the help says so, under 5. */
  @Test
  void helpPutsIpv4AdminProhibitedUnderUnreachable() {
    String help = Cli.run("--help").out();
    assertThat(help).contains("5    host or network unreachable; also an IPv4 ICMP"
            + " administratively-prohibited answer")
        .contains("6    prohibited (EACCES/EPERM): a local prohibit route or firewall rule, an IPv6 ICMP")
        .contains("130  interrupted by SIGINT").contains("143  interrupted by SIGTERM")
        .contains("141  standard output closed");
  }

  @Test
  void progressUsesNoEscapesOnADumbTerminal() {
    assertThat(Progress.ansiTerminal("dumb")).isFalse();
    assertThat(Progress.ansiTerminal(null)).isFalse();
    assertThat(Progress.ansiTerminal("xterm-256color")).isTrue();
    java.io.StringWriter w = new java.io.StringWriter();
    java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong(5);
    Progress p = new Progress(new java.io.PrintWriter(w), () -> 10, done, false);
    p.draw();
    done.set(10);
    p.draw();
    p.stop();
    assertThat(w.toString()).doesNotContain("\u001b").contains("\r[").contains("10/10");
    java.io.StringWriter a = new java.io.StringWriter();
    Progress q = new Progress(new java.io.PrintWriter(a), () -> 10, done, true);
    q.draw();
    assertThat(a.toString()).contains("\u001b[K");
  }
}
