package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

class ManCommandTest {
  static final Set<String> MACROS = Set.of("TH", "SH", "SS", "PP", "TP", "B", "I", "BR", "RS", "RE",
      "nf", "fi", "br");

  @Test
  void everyCommandOptionAndExitCodeIsOnThePage() {
    Cli.Run r = Cli.run("man");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> lines = r.lines();
    assertThat(lines.getFirst()).startsWith(".TH TCPDIAL 1 ");
    assertThat(lines).contains(".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS",
        ".SH EXIT STATUS", ".SH SEE ALSO");
    for (String line : lines) { // only known macros; text never starts with a control character
      if (line.startsWith(".") || line.startsWith("'")) {
        assertThat(line).as(line).matches("\\.[A-Za-z]+( .*)?");
        assertThat(MACROS).as(line).contains(line.substring(1).split(" ", 2)[0]);
      }
    }
    CommandSpec root = Main.commandLine().getCommandSpec();
    for (var e : root.subcommands().entrySet()) {
      CommandSpec c = e.getValue().getCommandSpec();
      if (c.name().equals("help")) {
        continue;
      }
      assertThat(lines).contains(".SS \"tcpdial " + c.name() + "\"", ".B tcpdial " + c.name());
      for (OptionSpec o : c.options()) {
        if (!o.hidden()) {
          assertThat(r.out()).as(c.name() + " " + o.longestName())
              .contains("\\fB" + o.longestName().replace("-", "\\-") + "\\fR");
        }
      }
    }
    for (int code : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
      assertThat(lines).contains(".B " + code);
    }
  }

  @Test
  void rendersWithoutAWarning() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")),
        "groff is not installed (./test installs groff-base as root); skipped");
    Path page = Files.createTempFile("tcpdial", ".1");
    try {
      Files.writeString(page, Cli.run("man").out(), StandardCharsets.UTF_8);
      Process p = new ProcessBuilder("groff", "-man", "-Tutf8", "-ww", "-z", page.toString())
          .redirectErrorStream(true).start();
      String diagnostics = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
      assertThat(diagnostics).isEmpty();
    } finally {
      Files.deleteIfExists(page);
    }
  }

  @Test
  void troffControlCharactersInTextAreEscaped() {
    assertThat(ManCommand.escape(".hidden\n'quote\\back-slash"))
        .isEqualTo("\\&.hidden\n\\&'quote\\eback\\-slash");
  }
}
