package dev.tcpdial.cli;

import dev.tcpdial.cli.process.ExitCodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tcpdial completion [bash|zsh|fish]}: a completion script for the shell, made from the
 * same picocli model as {@code --help}: every command, option and option value (in the case the
 * help writes them: {@code --mode async}, {@code --format json}).
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Print the shell completion script (bash, zsh, fish).",
    description = "Prints a completion script for bash (the default), zsh or fish: commands,"
        + " options, and the values of --format, --mode, --engine, --expect and --only.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  source <(tcpdial completion)                      # bash, this shell",
        "  tcpdial completion bash > /etc/bash_completion.d/tcpdial",
        "  source <(tcpdial completion zsh)                  # zsh, after compinit",
        "  tcpdial completion zsh > \"${fpath[1]}/_tcpdial\"   # zsh, every shell",
        "  tcpdial completion fish > ~/.config/fish/completions/tcpdial.fish",
    })
final class CompletionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  /** The shells a script is made for, for completion of this command itself. */
  static final class Shells extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    Shells() {
      super(List.of("bash", "zsh", "fish"));
    }
  }

  @Parameters(arity = "0..1", paramLabel = "SHELL", defaultValue = "bash",
      completionCandidates = Shells.class, description = "bash, zsh or fish. Default: bash.")
  String shell;

  @Override
  public Integer call() {
    CommandLine root = spec.root().commandLine();
    String script = switch (shell.toLowerCase(Locale.ROOT)) {
      case "bash" -> AutoComplete.bash("tcpdial", root);
      case "zsh" -> zsh(root.getCommandSpec());
      case "fish" -> fish(root.getCommandSpec());
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "no completion for the shell '" + dev.tcpdial.cli.targets.TargetList.shorten(shell)
              + "': bash, zsh or fish");
    };
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }

  /** The commands a user completes: every subcommand but {@code help}, in the help's order. */
  private static List<CommandSpec> commands(CommandSpec root) {
    List<CommandSpec> out = new ArrayList<>();
    for (Map.Entry<String, CommandLine> e : root.subcommands().entrySet()) {
      CommandSpec c = e.getValue().getCommandSpec();
      if (!c.usageMessage().hidden() && c.name().equals(e.getKey())) {
        out.add(c);
      }
    }
    return out;
  }

  /** The first sentence of an option's or command's text, without picocli's markup. */
  static String summary(String[] text) {
    String s = String.join(" ", text).replace("%n", " ").replace("%%", "%")
        .replaceAll("\\$\\{[^}]*}", "").replaceAll("\\s+", " ").strip();
    int stop = s.indexOf(". ");
    s = stop > 0 ? s.substring(0, stop + 1) : s;
    return s.length() > 90 ? s.substring(0, 87) + "..." : s;
  }

  /** What a command is for, in one line: its header, else its description's first sentence. */
  private static String about(CommandSpec c) {
    String h = summary(c.usageMessage().header());
    return h.isEmpty() ? summary(c.usageMessage().description()) : h;
  }

  private static List<String> candidates(ArgSpec a) {
    List<String> out = new ArrayList<>();
    if (a.completionCandidates() != null) {
      a.completionCandidates().forEach(out::add);
    }
    return out;
  }

  private static boolean takesFile(ArgSpec a) {
    return a.paramLabel().contains("FILE");
  }

  /** Every name of an option, a negatable one's {@code --no-} form too. */
  private static List<String> names(OptionSpec o) {
    List<String> names = new ArrayList<>(List.of(o.names()));
    if (o.negatable()) {
      for (String n : o.names()) {
        if (n.startsWith("--")) {
          names.add("--no-" + n.substring(2));
        }
      }
    }
    return names;
  }

  // ---- zsh ----

  /**
   * A zsh completion function ({@code _arguments} per command). It works sourced (it calls
   * {@code compdef}) and as an autoloaded {@code _tcpdial} file of {@code $fpath}.
   */
  static String zsh(CommandSpec root) {
    StringBuilder z = new StringBuilder(8192);
    z.append("#compdef tcpdial\n");
    z.append("# zsh completion for tcpdial, made by `tcpdial completion zsh`: source it after\n");
    z.append("# compinit, or save it as _tcpdial in a directory of $fpath.\n\n");
    z.append("_tcpdial() {\n");
    z.append("  local -a commands\n  commands=(\n");
    for (CommandSpec c : commands(root)) {
      z.append("    ").append(zq(c.name() + ":" + about(c))).append('\n');
    }
    z.append("  )\n");
    z.append("  if (( CURRENT == 2 )); then\n");
    z.append("    _arguments -s '(- *)'{-h,--help}'[Show the help and exit]'"
        + " '(- *)'{-V,--version}'[Print the version and exit]' '1:command:{_describe -t commands"
        + " \"tcpdial command\" commands}'\n");
    z.append("    return\n  fi\n");
    z.append("  local cmd=${words[2]}\n");
    z.append("  words=(\"${(@)words[2,-1]}\")\n  (( CURRENT-- ))\n");
    z.append("  case $cmd in\n");
    for (CommandSpec c : commands(root)) {
      z.append("    ").append(c.name()).append(")\n      _arguments -s -S");
      for (OptionSpec o : c.options()) {
        if (!o.hidden()) {
          for (String spec : zshOption(o)) {
            z.append(" \\\n        ").append(spec);
          }
        }
      }
      for (PositionalParamSpec p : c.positionalParameters()) {
        if (!p.hidden()) {
          z.append(" \\\n        ").append(zshPositional(c, p));
        }
      }
      z.append("\n      ;;\n");
    }
    z.append("  esac\n}\n\n");
    z.append("if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n  _tcpdial \"$@\"\n"
        + "else\n  compdef _tcpdial tcpdial\nfi\n");
    return z.toString();
  }

  /** The {@code _arguments} specs of one option: one per name, a shared exclusion list. */
  private static List<String> zshOption(OptionSpec o) {
    List<String> names = names(o);
    boolean value = o.arity().max() > 0;
    boolean repeat = o.isMultiValue();
    String exclusion = repeat || names.size() < 2 ? "" : "(" + String.join(" ", names) + ")";
    String help = "[" + summary(o.description()).replace("\\", "\\\\").replace("[", "\\[")
        .replace("]", "\\]") + "]";
    String action = "";
    if (value) {
      List<String> cands = candidates(o);
      String label = o.paramLabel().replace(":", " ");
      String what = !cands.isEmpty() ? "(" + String.join(" ", cands) + ")"
          : takesFile(o) ? "_files" : " ";
      if (!cands.isEmpty() && o.splitRegex() != null && !o.splitRegex().isEmpty()) {
        what = "_sequence compadd - " + String.join(" ", cands);
      }
      action = ":" + label + ":" + what;
    }
    List<String> out = new ArrayList<>();
    for (String n : names) {
      String form = !value ? n : n.startsWith("--") ? n + "=" : n + "+";
      out.add(zq(exclusion + (repeat ? "*" : "") + form + help + action));
    }
    return out;
  }

  private static String zshPositional(CommandSpec c, PositionalParamSpec p) {
    List<String> cands = candidates(p);
    String label = p.paramLabel().replace(":", " ");
    String what = !cands.isEmpty() ? "(" + String.join(" ", cands) + ")"
        : c.name().equals("help") ? "(" + String.join(" ", commandNames(c.root())) + ")"
        : label.contains("TARGET") ? "_hosts" : " ";
    String position = p.arity().max() > 1 ? "*" : Integer.toString(p.index().min() + 1);
    return zq(position + ":" + label + ":" + what);
  }

  private static List<String> commandNames(CommandSpec root) {
    return commands(root).stream().map(CommandSpec::name).toList();
  }

  /** {@code s} in single quotes for zsh. */
  private static String zq(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  // ---- fish ----

  /** {@code complete} lines for fish: one per command and per option of each command. */
  static String fish(CommandSpec root) {
    StringBuilder f = new StringBuilder(8192);
    f.append("# fish completion for tcpdial, made by `tcpdial completion fish`: save it as\n");
    f.append("# ~/.config/fish/completions/tcpdial.fish, or source it.\n");
    f.append("complete -c tcpdial -f\n");
    f.append("complete -c tcpdial -n __fish_use_subcommand -s h -l help -d 'Show the help and exit'\n");
    f.append("complete -c tcpdial -n __fish_use_subcommand -s V -l version -d 'Print the version and exit'\n");
    for (CommandSpec c : commands(root)) {
      f.append("complete -c tcpdial -n __fish_use_subcommand -a ").append(c.name())
          .append(" -d ").append(fq(about(c))).append('\n');
    }
    for (CommandSpec c : commands(root)) {
      String when = " -n " + fq("__fish_seen_subcommand_from " + c.name());
      for (OptionSpec o : c.options()) {
        if (o.hidden()) {
          continue;
        }
        StringBuilder line = new StringBuilder("complete -c tcpdial").append(when);
        for (String n : names(o)) {
          line.append(n.startsWith("--") ? " -l " + n.substring(2) : " -s " + n.substring(1));
        }
        if (o.arity().max() > 0) {
          List<String> cands = candidates(o);
          if (!cands.isEmpty()) {
            line.append(" -x -a ").append(fq(String.join(" ", cands)));
          } else if (takesFile(o)) {
            line.append(" -r -F");
          } else {
            line.append(" -x");
          }
        }
        line.append(" -d ").append(fq(summary(o.description())));
        f.append(line).append('\n');
      }
      for (PositionalParamSpec p : c.positionalParameters()) {
        if (p.hidden()) {
          continue;
        }
        List<String> cands = candidates(p);
        if (c.name().equals("help")) {
          cands = commandNames(root);
        }
        if (!cands.isEmpty()) {
          f.append("complete -c tcpdial").append(when).append(" -a ")
              .append(fq(String.join(" ", cands))).append('\n');
        } else if (p.paramLabel().contains("TARGET")) {
          f.append("complete -c tcpdial").append(when).append(" -a '(__fish_print_hostnames)'\n");
        }
      }
    }
    return f.toString();
  }

  /** {@code s} in single quotes for fish. */
  private static String fq(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
