package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tcpdial completion bash|zsh|fish}: each script parses in its shell, offers option values
 * in the case {@code --help} shows them ({@code --mode a} completes to {@code async}), and the
 * {@code --only} synopsis reads as one list.
 */
class CompletionTest {
  @TempDir
  Path dir;

  static boolean has(String shell) {
    return new File("/usr/bin/" + shell).canExecute() || new File("/bin/" + shell).canExecute();
  }

  record Out(int code, String text) {}

  static Out run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Out(p.exitValue(), text);
  }

  private Path script(String shell) throws Exception {
    Cli.Run r = Cli.run("completion", shell);
    assertThat(r.code()).as(r.err()).isZero();
    Path f = dir.resolve("tcpdial." + shell);
    Files.writeString(f, r.out());
    return f;
  }

  @Test
  void valuesInTheCaseTheHelpShows() {
    for (String shell : List.of("bash", "zsh", "fish")) {
      String s = Cli.run("completion", shell).out();
      assertThat(s).as(shell).contains("async").contains("json").contains("uring")
          .contains("host_unreachable").contains("filtered")
          .doesNotContain("ASYNC").doesNotContain("\"JSON\"").doesNotContain("URING");
    }
    assertThat(Cli.run("completion").out()).isEqualTo(Cli.run("completion", "bash").out());
  }

  @Test
  void bashScriptParsesAndCompletesTheMode() throws Exception {
    assumeTrue(has("bash"), "bash is not installed; skipped");
    Path f = script("bash");
    assertThat(run(List.of("bash", "-n", f.toString())).code()).isZero();
    for (String[] c : new String[][] {{"check --mode a", "async"}, {"ping -m s", "sync"},
        {"check --format j", "json"}, {"scan --expect f", "filtered"},
        {"check --only host_", "host_unreachable"}, {"scan --engine u", "uring"},
        {"sc", "scan"}, {"completion z", "zsh"}}) {
      String line = "tcpdial " + c[0];
      String probe = "source " + f + "\nCOMP_LINE='" + line + "'\nCOMP_WORDS=(" + line + ")\n"
          + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\nCOMP_POINT=${#COMP_LINE}\n"
          + "_complete_tcpdial tcpdial\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
      Out o = run(List.of("bash", "-c", probe));
      assertThat(o.text().lines().map(String::strip).toList()).as("bash: %s", line).contains(c[1]);
    }
  }

  @Test
  void zshScriptParsesAndOffersTheValues() throws Exception {
    assumeTrue(has("zsh"), "zsh is not installed (./test installs it as root); skipped");
    Path f = script("zsh");
    Out n = run(List.of("zsh", "-n", f.toString()));
    assertThat(n.code()).as(n.text()).isZero();
    // the completion function with zsh's helpers stubbed: the specs it hands to _arguments
    String probe = "_arguments() { print -rl -- \"$@\" }\n_describe() { print -rl -- \"$@\"; "
        + "print -rl -- \"${(@P)2}\" }\ncompdef() { }\nsource " + f + "\n"
        + "words=(tcpdial check --mode ''); CURRENT=4; _tcpdial\n";
    Out o = run(List.of("zsh", "-f", "-c", probe));
    assertThat(o.text()).as(o.text()).contains("(sync async)").contains("(text json csv)")
        .contains("--only=").contains("host_unreachable");
  }

  @Test
  void fishScriptParsesAndCompletesTheMode() throws Exception {
    assumeTrue(has("fish"), "fish is not installed (./test installs it as root); skipped");
    Path f = script("fish");
    Out n = run(List.of("fish", "-n", f.toString()));
    assertThat(n.code()).as(n.text()).isZero();
    List<String> env = new ArrayList<>(List.of("env", "HOME=" + dir, "XDG_CONFIG_HOME=" + dir,
        "XDG_DATA_HOME=" + dir, "fish", "--no-config", "-c"));
    for (String[] c : new String[][] {{"tcpdial check --mode ", "async"},
        {"tcpdial check --format=", "--format=json"}, {"tcpdial scan --expect ", "filtered"},
        {"tcpdial ", "scan"}, {"tcpdial ping --for", "--format"},
        {"tcpdial check --only ", "host_unreachable"}}) {
      List<String> cmd = new ArrayList<>(env);
      cmd.add("source " + f + "; complete -C '" + c[0] + "'");
      Out o = run(cmd);
      assertThat(o.text().lines().map(l -> l.split("\t")[0]).toList()).as("fish: %s\n%s", c[0], o.text())
          .contains(c[1]);
    }
  }

  @Test
  void theOnlySynopsisReadsAsOneList() {
    for (String command : List.of("check", "scan")) {
      String help = Cli.run(command, "--help").out();
      assertThat(help).contains("[--only=OUTCOME[,OUTCOME...]]")
          .doesNotContain("OUTCOME[,OUTCOME...][,");
    }
    assertThat(Cli.run("man").out()).contains("\\-\\-only=OUTCOME[,OUTCOME...]]")
        .doesNotContain("OUTCOME[,OUTCOME...][,");
  }
}
