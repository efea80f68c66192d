package dev.tcpdial.cli;

import dev.tcpdial.cli.process.ExitCodes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tcpdial man}: the manual page, in troff ({@code man -l}), made from the same picocli
 * model as {@code --help}: every command's synopsis, description, options and examples, and the
 * exit codes. Nothing to keep in step by hand.
 */
@Command(
    name = "man",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Print the manual page (troff, section 1).",
    description = "Prints tcpdial's manual page, made from the same descriptions as --help.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial man | man -l -",
        "  tcpdial man > /usr/local/share/man/man1/tcpdial.1",
    })
final class ManCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    out.print(render(spec.root()));
    out.flush();
    return ExitCodes.OK;
  }

  /** The whole page for the command tree under {@code root}. */
  static String render(CommandSpec root) {
    StringBuilder m = new StringBuilder(16_384);
    String version = Main.Version.version();
    m.append(".TH TCPDIAL 1 \"\" \"tcpdial ").append(escape(version))
        .append("\" \"User Commands\"\n");
    m.append(".SH NAME\n");
    m.append("tcpdial \\- ").append(escape(firstSentence(join(root.usageMessage().description()))))
        .append('\n');
    List<CommandSpec> commands = new ArrayList<>();
    for (Map.Entry<String, CommandLine> e : root.subcommands().entrySet()) {
      CommandSpec c = e.getValue().getCommandSpec();
      if (!c.usageMessage().hidden() && c.name().equals(e.getKey()) && !c.name().equals("help")) {
        commands.add(c);
      }
    }
    m.append(".SH SYNOPSIS\n");
    for (CommandSpec c : commands) {
      m.append(".B tcpdial ").append(escape(c.name())).append('\n');
      m.append(escape(synopsisArguments(c))).append("\n.br\n");
    }
    m.append(".SH DESCRIPTION\n");
    paragraphs(m, root.usageMessage().description());
    m.append(".SH COMMANDS\n");
    for (CommandSpec c : commands) {
      m.append(".SS \"tcpdial ").append(escape(c.name())).append("\"\n");
      paragraphs(m, c.usageMessage().description());
      for (PositionalParamSpec p : c.positionalParameters()) {
        if (p.hidden()) {
          continue;
        }
        m.append(".TP\n.I ").append(escape(p.paramLabel())).append('\n');
        m.append(escape(join(p.description()))).append('\n');
      }
      for (OptionSpec o : c.options()) {
        if (o.hidden()) {
          continue;
        }
        m.append(".TP\n").append(optionLine(o)).append('\n');
        m.append(escape(join(o.description()))).append('\n');
      }
      examples(m, c.usageMessage().footer());
    }
    exitStatus(m);
    m.append(".SH ENVIRONMENT\n");
    m.append(".TP\n.B NO_COLOR\nWhen set and not empty: no colour, even on a terminal.\n");
    m.append(".TP\n.B LC_ALL, LC_CTYPE, LANG\nThe charset ping's chart writes in; where it"
        + " cannot write the chart's symbols (LC_ALL=C), the chart is drawn in ASCII.\n");
    m.append(".TP\n.B JAVA_HOME\nThe JDK (25 or newer) the launcher script runs; else the newest"
        + " under /usr/lib/jvm.\n");
    m.append(".SH SEE ALSO\n");
    m.append(".BR nc (1),\n.BR nmap (1),\n.BR ip\\-netns (8),\n.BR tcp (7)\n");
    return m.toString();
  }

  /**
   * The EXIT STATUS section, from {@link ExitCodes#TABLE} itself (never from the help's wrapped
   * lines): every code with its whole meaning, then how the codes combine.
   */
  static void exitStatus(StringBuilder m) {
    m.append(".SH EXIT STATUS\n");
    for (ExitCodes.Meaning e : ExitCodes.TABLE) {
      m.append(".TP\n.B ").append(e.code()).append('\n').append(escape(e.meaning())).append(".\n");
    }
    m.append(".PP\n").append(escape(ExitCodes.RANKING)).append('\n');
  }

  /** {@code [OPTIONS] TARGET...} as {@code --help} writes it after the command's name. */
  private static String synopsisArguments(CommandSpec c) {
    String s = new Help(c, Help.defaultColorScheme(Help.Ansi.OFF)).synopsis(0);
    s = s.replaceAll("\\s+", " ").strip();
    String prefix = c.qualifiedName();
    return s.startsWith(prefix) ? s.substring(prefix.length()).strip() : s;
  }

  private static String optionLine(OptionSpec o) {
    StringBuilder b = new StringBuilder();
    String[] names = o.names();
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append("\\fB").append(escape(names[i])).append("\\fR");
    }
    if (o.arity().max() > 0 && !o.paramLabel().isEmpty()) {
      b.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
    }
    return b.toString();
  }

  private static void paragraphs(StringBuilder m, String[] lines) {
    for (String p : format(lines)) {
      if (!p.isBlank()) {
        m.append(".PP\n").append(escape(p.strip())).append('\n');
      }
    }
  }

  private static void examples(StringBuilder m, String[] footer) {
    List<String> lines = format(footer);
    List<String> examples = new ArrayList<>();
    for (String l : lines) {
      if (l.startsWith("  ") && !l.strip().isEmpty()) {
        examples.add(l.strip());
      } else if (!l.isBlank()) {
        break; // prose after the examples (exit codes): the EXIT STATUS section says it
      }
    }
    if (examples.isEmpty()) {
      return;
    }
    m.append(".PP\nExamples:\n.RS\n.nf\n");
    for (String e : examples) {
      m.append(escape(e)).append('\n');
    }
    m.append(".fi\n.RE\n");
  }

  /** The lines with picocli's {@code %n} as line breaks and {@code %%} as {@code %}. */
  private static List<String> format(String[] lines) {
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      for (String part : l.split("%n", -1)) {
        out.add(part.replace("%%", "%"));
      }
    }
    return out;
  }

  private static String join(String[] lines) {
    return String.join(" ", format(lines)).replaceAll("\\s+", " ").strip();
  }

  private static String firstSentence(String s) {
    int dot = s.indexOf(": ");
    return dot > 0 ? s.substring(0, dot) : s;
  }

  /** Text for troff: backslashes and hyphens escaped, no line starting with a control character. */
  static String escape(String s) {
    String t = s.replace("\\", "\\e").replace("-", "\\-");
    StringBuilder b = new StringBuilder(t.length() + 8);
    for (String line : t.split("\n", -1)) {
      if (!b.isEmpty()) {
        b.append('\n');
      }
      if (line.startsWith(".") || line.startsWith("'")) {
        b.append("\\&");
      }
      b.append(line);
    }
    return b.toString();
  }
}
