package dev.tcpdial.cli;

import dev.tcpdial.Dialer;
import dev.tcpdial.Family;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.TraceReport;
import dev.tcpdial.cli.process.Interrupts;
import dev.tcpdial.cli.targets.Converters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tcpdial trace HOST:PORT}: where a connect's SYN goes, hop by hop, and where it dies. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Trace the path of a TCP connect hop by hop: where the SYN dies, and who refuses it.",
    description = "Sends the real SYN to the real port with TTL 1, 2, ... from an ordinary socket"
        + " (no root, no raw socket) and records who answers each: a router's ICMP time-exceeded,"
        + " the target's SYN-ACK or reset, another ICMP error (a firewall, a missing route), or"
        + " nothing. Every probe of a trace has the same addresses and ports, so routers that"
        + " balance per flow keep it on one path. Ends with one line: reached (and how), dropped"
        + " after hop N, or refused by hop N.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial trace 198.18.23.2:443",
        "  tcpdial trace -q 1 --timeout 500ms --max-hops 20 example.org:443",
        "  tcpdial trace --all-addresses --format json example.org:443",
        "",
        "A probe waits --timeout for its answer; one that gets none ends its hop, so a silent hop",
        "costs one timeout. After the first silent hop a probe with TTL --max-hops asks whether the",
        "target answers at all; if not, --gap silent hops in a row end the trace (dropped).",
        "",
        "Exit code: as check's for the final outcome (0 reached and connected, 3 reached and",
        "refused, 4 dropped, 5/6 refused by a hop's ICMP error, 7 resolution, 1 not traced here).",
    })
final class TraceCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "TARGET", description = "host:port or [v6addr]:port",
      converter = Converters.TargetConverter.class)
  List<Target> targets = new ArrayList<>();

  @Option(names = {"-q", "--queries"}, paramLabel = "N", defaultValue = "3",
      description = "Probes per hop, 1-10. Default: ${DEFAULT-VALUE}.")
  int queries;

  @Option(names = {"-m", "--max-hops"}, paramLabel = "N", defaultValue = "30",
      description = "The largest TTL, 1-255. Default: ${DEFAULT-VALUE}. At most max-hops x queries"
          + " SYNs are sent per address.")
  int maxHops;

  @Option(names = {"-f", "--first-hop"}, paramLabel = "N", defaultValue = "1",
      description = "The first TTL. Default: ${DEFAULT-VALUE}.")
  int firstHop;

  @Option(names = {"-w", "--timeout"}, paramLabel = "DURATION", defaultValue = "1s",
      converter = Converters.DurationConverter.class,
      description = "How long a probe waits for an answer (at most 10s). Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--rate", paramLabel = "N", defaultValue = "0",
      description = "At most N SYNs a second per address; 0: no pacing (the probes of a trace go"
          + " out one after another anyway). Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(names = "--gap", paramLabel = "N", defaultValue = "2",
      description = "Once the target is found not to answer, N silent hops in a row end the"
          + " trace. Default: ${DEFAULT-VALUE}.")
  int gap;

  @Option(names = {"-s", "--source"}, paramLabel = "ADDR",
      description = "Local address to send from (an IP address of this machine).")
  String source;

  @Option(names = "--source-port", paramLabel = "PORT", defaultValue = "0",
      description = "The flow's source port; 0: one the kernel picks. Default: ${DEFAULT-VALUE}.")
  int sourcePort;

  @Option(names = "--all-addresses",
      description = "Trace every address the name resolves to, side by side (default: the first"
          + " a connect would try).")
  boolean allAddresses;

  // DialOptions.FamilyGroup's twin: picocli's annotation processor refuses one ArgGroup class in
  // two commands ("ArgGroup has no options")
  static final class FamilyGroup {
    @Option(names = "-4", description = "IPv4 only.")
    boolean v4;

    @Option(names = "-6", description = "IPv6 only.")
    boolean v6;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  FamilyGroup family;

  @Option(names = "--format", paramLabel = "text|json|csv", defaultValue = "text",
      completionCandidates = OutputOptions.FormatNames.class,
      description = "text: a line per hop (like mtr --report) and the verdict; json: one object"
          + " per traced address, then a summary line; csv: one row per probe (the verdicts on"
          + " stderr). Default: ${DEFAULT-VALUE}.")
  OutputOptions.Format format;

  @Option(names = "--quiet", description = "Print nothing; only the exit code tells.")
  boolean quiet;

  @Option(names = {"-v", "--verbose"}, description = "Text output: every probe of every hop too.")
  boolean verbose;

  @Override
  public Integer call() {
    Trace.Options options;
    Dialer.Builder b = Dialer.builder();
    try {
      options = Trace.Options.DEFAULT.withMaxHops(maxHops).withProbesPerHop(queries)
          .withFirstHop(firstHop).withHopTimeout(timeout).withRate(rate).withGapLimit(gap)
          .withSourcePort(sourcePort);
      b.family(family == null ? Family.ANY : family.v4 ? Family.IPV4 : Family.IPV6);
      if (source != null) {
        b.localAddress(DialOptions.sourceAddress(source));
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage()
          .replace("maxHops", "--max-hops").replace("probesPerHop", "--queries")
          .replace("firstHop", "--first-hop").replace("hopTimeout", "--timeout")
          .replace("rate", "--rate").replace("gapLimit", "--gap")
          .replace("sourcePort", "--source-port"));
    }
    TraceReport report = new TraceReport(spec.commandLine().getOut(),
        spec.commandLine().getErr(), format, quiet, verbose);
    Thread self = Thread.currentThread();
    Interrupts interrupts = Interrupts.install(self::interrupt);
    long start = System.nanoTime();
    try (Dialer dialer = b.build()) {
      for (Target t : targets) {
        if (interrupts.caught()) {
          break;
        }
        List<Trace> traces = allAddresses ? dialer.traceAll(t, options)
            : List.of(dialer.trace(t, options));
        traces.forEach(report::trace);
      }
    } finally {
      interrupts.restore();
      Thread.interrupted();
    }
    report.summary(Duration.ofNanos(System.nanoTime() - start));
    return interrupts.exitCode(report.exitCode());
  }
}
