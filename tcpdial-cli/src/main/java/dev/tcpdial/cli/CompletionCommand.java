package dev.tcpdial.cli;

import dev.tcpdial.cli.process.ExitCodes;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code tcpdial completion}: the bash completion script. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Print the bash completion script.",
    description = "Prints a bash (and zsh, with bashcompinit) completion script for tcpdial.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  source <(tcpdial completion)",
        "  tcpdial completion > /etc/bash_completion.d/tcpdial",
    })
final class CompletionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("tcpdial", spec.root().commandLine());
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
