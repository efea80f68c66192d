package dev.tcpdial.cli;

import dev.tcpdial.Dialer;
import dev.tcpdial.cli.output.Stdout;
import dev.tcpdial.cli.output.Terminal;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.Messages;
import dev.tcpdial.cli.process.SystemLimits;
import dev.tcpdial.cli.process.UsageException;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** The {@code tcpdial} command: opens TCP connections and names every failure exactly. */
@Command(
    name = "tcpdial",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Opens TCP connections and says exactly how each one ended: connected, refused,"
        + " timeout, host/network unreachable, prohibited, no local address, local resources,"
        + " resolution failed; with the kernel's errno and the timing of every attempt.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial check 127.0.0.1:22 [::1]:80 localhost:8080",
        "  tcpdial ping -c 5 -i 200ms 127.0.0.1:8080",
        "  tcpdial scan 127.0.0.1 -p 1-1024 --format json",
        "  tcpdial trace example.org:443",
        "  tcpdial demo",
    })
public final class Main implements Runnable {
  /** The top-level command; picocli runs its subcommands. */
  public Main() {}

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "missing command: " + String.join(", ", spec.subcommands().keySet()));
  }

  /**
   * A command line with this tool's handlers: one-line errors, exit code 2 for bad input.
   *
   * @return the command line
   */
  public static CommandLine commandLine() {
    return commandLine(null);
  }

  /**
   * The command line for a run whose first argument is {@code first}: with only that subcommand
   * when it names one of the commands that dial (picocli reads every subcommand's options by
   * reflection when it is added: 50-70 ms of CPU at start for the seven others), else with all of
   * them, for help, completion, the man page and error messages that list the commands.
   *
   * @param first the first command-line argument, or null
   * @return the command line
   */
  static CommandLine commandLine(String first) {
    CommandLine cl = new CommandLine(new Main());
    Object only = switch (first == null ? "" : first) {
      case "check" -> new CheckCommand();
      case "ping" -> new PingCommand();
      case "scan" -> new ScanCommand();
      case "trace" -> new TraceCommand();
      case "serve" -> new ServeCommand();
      case "demo" -> new DemoCommand();
      default -> null;
    };
    if (only != null) {
      cl.addSubcommand(only);
    } else {
      for (Object sub : new Object[] {new CheckCommand(), new PingCommand(), new ScanCommand(),
          new TraceCommand(), new ServeCommand(), new DemoCommand(), new CompletionCommand(),
          new ManCommand(), new CommandLine.HelpCommand()}) {
        cl.addSubcommand(sub);
      }
    }
    cl.getCommandSpec().usageMessage().footer(footer(cl.getCommandSpec().usageMessage().footer()));
    return configure(cl);
  }

  /** The width the help is written at. */
  static final int HELP_WIDTH = 100;

  /**
   * The top-level help's footer: {@code examples}, then every exit status of {@link
   * ExitCodes#TABLE} and how they combine, wrapped to the help's width.
   */
  static String[] footer(String[] examples) {
    java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of(examples));
    lines.add("");
    lines.add("Exit status:");
    for (ExitCodes.Meaning m : ExitCodes.TABLE) {
      lines.addAll(wrap(String.format(java.util.Locale.ROOT, "  %-4d ", m.code()),
          m.meaning() + ".", HELP_WIDTH - 2));
    }
    lines.addAll(wrap("  ", ExitCodes.RANKING, HELP_WIDTH - 2));
    return lines.stream().map(l -> l.replace("%", "%%")).toArray(String[]::new);
  }

  /** {@code text} in lines of at most {@code width}, the first after {@code lead}, the others indented as far. */
  static java.util.List<String> wrap(String lead, String text, int width) {
    java.util.List<String> out = new java.util.ArrayList<>();
    StringBuilder line = new StringBuilder(lead);
    String indent = " ".repeat(lead.length());
    for (String word : text.split(" ")) {
      if (line.length() > indent.length() && line.length() + 1 + word.length() > width) {
        out.add(line.toString());
        line = new StringBuilder(indent);
      }
      if (line.length() > indent.length()) {
        line.append(' ');
      }
      line.append(word);
    }
    out.add(line.toString());
    return out;
  }

  /**
   * Installs the handlers and settings on {@code cl} and its subcommands.
   *
   * @param cl the command line
   * @return {@code cl}
   */
  public static CommandLine configure(CommandLine cl) {
    System.setProperty("tcpdial.defaultConcurrency", Integer.toString(SystemLimits.defaultConcurrency()));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setUsageHelpWidth(HELP_WIDTH);
    cl.setParameterExceptionHandler(Main::onBadInput);
    CommandLine.IExecutionStrategy run = cl.getExecutionStrategy();
    cl.setExecutionStrategy(parsed -> {
      // picocli ignores what it did not match when --help is given: 'tcpdial bogus --help' would
      // print the top-level help and exit 0
      if (!parsed.unmatched().isEmpty()) {
        throw new CommandLine.UnmatchedArgumentException(parsed.commandSpec().commandLine(),
            parsed.unmatched());
      }
      return run.execute(parsed);
    });
    cl.setExecutionExceptionHandler(Main::onFailure);
    return cl;
  }

  static int onBadInput(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    String where = cmd == null ? "tcpdial" : cmd.getCommandSpec().qualifiedName();
    PrintWriter err = cmd == null
        ? new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true)
        : cmd.getErr();
    String m = Messages.message(ex);
    if (ex instanceof CommandLine.UnmatchedArgumentException u && cmd != null
        && cmd.getCommandSpec().parent() == null && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().getFirst().startsWith("-")) {
      m = "unknown command '" + u.getUnmatched().getFirst() + "'; the commands are "
          + String.join(", ", cmd.getSubcommands().keySet());
    }
    err.println(Messages.oneLine(where + ": " + m + " (see " + where + " --help)"));
    err.flush();
    return ExitCodes.USAGE;
  }

  static int onFailure(Exception ex, CommandLine cmd, ParseResult parsed) {
    String where = cmd.getCommandSpec().qualifiedName();
    PrintWriter err = cmd.getErr();
    cmd.getOut().flush();
    if (ex instanceof UsageException) {
      err.println(Messages.oneLine(where + ": " + Messages.message(ex) + " (see " + where + " --help)"));
      err.flush();
      return ExitCodes.USAGE;
    }
    err.println(Messages.oneLine(where + ": error: " + Messages.message(ex)));
    err.flush();
    return ExitCodes.ERROR;
  }

  private static final java.util.Set<String> DIALING =
      java.util.Set.of("check", "ping", "scan", "demo");

  /**
   * Runs the tool and exits with its code.
   *
   * @param args the command-line arguments
   */
  public static void main(String[] args) {
    if (args.length > 0 && DIALING.contains(args[0])) {
      Dialer.warmUpInBackground(); // links the native calls while the command line is parsed
    }
    PrintWriter err = new PrintWriter(new OutputStreamWriter(
        new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true);
    // results only; a closed pipe or a write error ends the process (see Stdout)
    OutputStream stdout = Stdout.open(err);
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
        stdout, StandardCharsets.UTF_8), 1 << 16), false);
    Terminal.realOut = out;
    Terminal.realOutStream = stdout;
    Terminal.realErr = err;
    int code;
    try {
      CommandLine cl = commandLine(args.length > 0 ? args[0] : null);
      cl.setOut(out);
      cl.setErr(err);
      code = cl.execute(args);
    } catch (Throwable t) { // never a stack trace
      err.println(Messages.oneLine("tcpdial: error: " + Messages.message(t)));
      code = ExitCodes.ERROR;
    }
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** {@code tcpdial 0.1.0} from the build. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"tcpdial " + version(),
          "Java ${java.version} (${java.vendor}), ${os.name} ${os.arch}", "probes: " + engine()};
    }

    /** Which engine a probe uses here, and why a faster one was not taken. */
    static String engine() {
      try (dev.tcpdial.Dialer d = dev.tcpdial.Dialer.builder().build()) {
        return d.probeEngineReason();
      }
    }

    static String version() {
      try (InputStream in = Main.class.getResourceAsStream("/dev/tcpdial/cli/version.properties")) {
        if (in != null) {
          Properties p = new Properties();
          p.load(in);
          return p.getProperty("version", "unknown");
        }
      } catch (IOException e) {
        // unknown
      }
      return "unknown";
    }
  }
}
