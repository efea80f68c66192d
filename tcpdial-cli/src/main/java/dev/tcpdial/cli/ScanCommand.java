package dev.tcpdial.cli;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.Window;
import dev.tcpdial.WindowStats;
import dev.tcpdial.cli.output.OutputOptions;
import dev.tcpdial.cli.output.Progress;
import dev.tcpdial.cli.output.Report;
import dev.tcpdial.cli.output.Row;
import dev.tcpdial.cli.output.Terminal;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.Interrupts;
import dev.tcpdial.cli.process.Messages;
import dev.tcpdial.cli.process.OwnClasses;
import dev.tcpdial.cli.process.SystemLimits;
import dev.tcpdial.cli.process.UsageException;
import dev.tcpdial.cli.report.Page;
import dev.tcpdial.cli.report.ReportFile;
import dev.tcpdial.cli.report.ScanReport;
import dev.tcpdial.cli.output.TraceReport;
import dev.tcpdial.cli.targets.Converters;
import dev.tcpdial.cli.targets.Excludes;
import dev.tcpdial.cli.targets.LineSource;
import dev.tcpdial.cli.targets.Pasted;
import dev.tcpdial.cli.targets.TargetList;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tcpdial scan}: many targets on the event loop, a bounded window, results as they come. */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Dial many targets at once; results as they complete.",
    description = {
        "Dials many targets at once on the event loop and prints each result as it completes.",
        "Targets: host:port, URLs (https://host/: the scheme's port), hosts, CIDR blocks"
            + " (198.18.1.0/28, fd00::/120) and IPv4 ranges as nmap writes them (198.18.1.1-20,"
            + " 198.18.1-2.250-, 198.18.1.1,3,5, 198.18.1.*) with the ports of -p, from the"
            + " arguments, -f FILE or - (stdin): one per line, # comments, an optional"
            + " =open|closed|filtered expectation. open = connected, closed = refused, filtered ="
            + " timeout, unreachable or prohibited. IPv6 link-local addresses need their zone"
            + " (fe80::1%%eth0); IPv4-mapped ones (::ffff:198.18.0.1) are dialed over IPv4.",
        "Files and stdin are read as the scan goes (UTF-8, lines up to 4096 bytes): a target is"
            + " dialed as soon as its line is read. Held for de-duplication: 33-67 bytes per"
            + " distinct target, at most 2097152 of them. A bad line (not a target, not UTF-8,"
            + " too long, or a second and different expectation for a target) is named on stderr"
            + " (FILE:LINE: why) and skipped, the scan goes on; the summary counts the bad lines"
            + " and the exit code is at least 10. An --exclude that leaves nothing is an empty"
            + " scan with its summary.",
        "Rows come in completion order, not in the order of the targets. Text output leaves out"
            + " the refused results and counts them in one line, \"not shown: N refused\""
            + " (--all writes them; JSON and CSV have every row). To sort by address and port:"
            + " --format csv | sort -t, -k2,2V -k3,3n (the header line sorts last).",
        "A progress line (rate, ETA) goes to stderr when it is a terminal and the results go"
            + " elsewhere.",
    },
    footerHeading = "%nExamples:%n",
    footer = {
        "  tcpdial scan 127.0.0.1 -p 22,80,8000-8100",
        "  tcpdial scan 198.18.1.0/28 fd00::/124 -p 80,443 --rate 500/s --timeout 500ms",
        "  tcpdial scan 198.18.1-2.1-20 -p ssh,http,8000-8100 --exclude 198.18.1.5,198.18.2.0/29",
        "  tcpdial scan -f targets.txt --expect closed --format json > results.jsonl",
        "  printf '127.0.0.1:22=open\\n127.0.0.1:23=closed\\n' | tcpdial scan -",
        "  tcpdial scan 127.0.0.1 -p 1-65535 --shard 2/4 --format csv",
        "  tcpdial scan 198.18.1.0/24 -p 22,80 --open",
        "",
        "Exit code: 0 when every target connected or every expectation held, else the most severe",
        "code (see tcpdial --help); 9 when an expectation did not hold; 10 when input lines were",
        "bad (skipped). SIGINT/SIGTERM: the results so far, the summary (what was not dialed or",
        "had not ended: not_scanned), exit 130/143.",
    })
final class ScanCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  OutputOptions output;

  @Mixin
  DialOptions dial;

  @Mixin
  OnlyOptions filter;

  @Parameters(arity = "0..*", paramLabel = "TARGET",
      description = "host:port, host, CIDR block or address range (with -p), or - for stdin")
  List<String> args = new ArrayList<>();

  @Option(names = {"-f", "--file"}, paramLabel = "FILE",
      description = "Read targets from FILE (- for stdin), one per line.")
  List<String> files = new ArrayList<>();

  @Option(names = {"-p", "--ports"}, paramLabel = "PORTS",
      description = "Ports for hosts, blocks and ranges given without a port: 22,80,8000-8100,"
          + " or service names from /etc/services (ssh,http; a built-in table of common ones when"
          + " that file is missing). Leading zeros are allowed.")
  String ports;

  @Option(names = "--exclude", paramLabel = "ADDRS",
      description = "Leave out these addresses, CIDR blocks, IPv4 ranges or host names"
          + " (comma-separated; repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(names = {"-n", "--concurrency"}, paramLabel = "N",
      description = "Exactly N connects in flight (1 or more; clamped to the descriptor budget)."
          + " Default: adaptive: from " + Window.DEFAULT_INITIAL + ", growing while connects end"
          + " as expected (answered, or silent), halving on signs that SYNs are lost or delayed"
          + " here or on the path, up to the descriptor and ephemeral port budget.")
  Integer concurrency;

  @Option(names = "--rate", paramLabel = "N/s", converter = Converters.RateConverter.class,
      description = "Start at most N connects per second (token bucket; 1/m to 10000000/s),"
          + " whatever the window. Default: no limit.")
  Double rate;

  /** The port states as {@code --help} writes them, for shell completion. */
  static final class StateNames extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    StateNames() {
      for (PortState s : PortState.values()) {
        add(s.label());
      }
    }
  }

  @Option(names = "--expect", paramLabel = "open|closed|filtered",
      converter = Converters.ExpectationConverter.class, completionCandidates = StateNames.class,
      description = "What every target should be; a line's own =... suffix wins.")
  PortState expect;

  @Option(names = "--shard", paramLabel = "K/N", converter = Converters.ShardConverter.class,
      description = "Scan only the K-th of N deterministic parts of the de-duplicated list.")
  Converters.Shard shard;

  @Option(names = "--no-progress", description = "No progress line on stderr.")
  boolean noProgress;

  @Option(names = "--all", description = "Text output: write every result. Without it"
      + " the refused ones (closed ports) are left out and counted in one line, \"not shown: N"
      + " refused\", as nmap does; JSON and CSV always have every row, and a failed expectation"
      + " is always written.")
  boolean all;

  @Option(names = "--report", paramLabel = "FILE.html", converter = ReportFile.class,
      description = "Also write one self-contained HTML page: counts per outcome, a grid of hosts"
          + " by ports, connect times per outcome, a sortable table of the results that are not"
          + " refused (at most " + ScanReport.TABLE_LIMIT + " rows). Results still go to stdout.")
  Path reportFile;

  @Option(names = "--trace-on-failure",
      description = "After the scan, trace the path to each host with filtered, unreachable or"
          + " prohibited ports (one port a host, at most " + FailureTraces.MAX_HOSTS + " hosts,"
          + " one probe a hop): where those ports stop, in the summary and the --report page.")
  boolean traceOnFailure;

  @Option(names = "--report-all", description = "The report's table lists refused results too.")
  boolean reportAll;

  /**
   * The default timeout per attempt: past the first SYN retransmission (1 s), so one SYN lost on
   * the way (or in a full input queue) does not make a closed or open port look filtered.
   */
  static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(1500);

  @Override
  public Integer call() throws IOException {
    long start = System.nanoTime(); // the run counts from here: reading the targets is part of it
    // installed before the targets are read: an interrupt while stdin is read ends the same way
    AtomicBoolean stop = new AtomicBoolean();
    Thread self = Thread.currentThread();
    Interrupts interrupts = Interrupts.install(() -> {
      stop.set(true);
      self.interrupt();
    });
    try {
      return call(start, stop, interrupts);
    } finally {
      interrupts.restore();
      Thread.interrupted();
    }
  }

  private int call(long start, AtomicBoolean stop, Interrupts interrupts) throws IOException {
    java.io.PrintWriter err = spec.commandLine().getErr();
    TargetList list = new TargetList(ports, expect, dial.family(), Excludes.parse(exclude))
        .onBadLine(m -> err.println(Messages.oneLine("tcpdial scan: " + m))); // -q too: an error
    boolean stdinUsed = false;
    List<InputStream> opened = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.isEmpty() && a.length() <= 6 && a.chars().allMatch(c -> c >= '0' && c <= '9')) {
        // tcping's HOST PORT: a scan names its ports with -p, so say both ways
        String previous = i == 0 || args.get(i - 1).indexOf(':') >= 0 ? "HOST" : args.get(i - 1);
        throw new ParameterException(spec.commandLine(), "'" + a + "' is a port without a host:"
            + " did you mean " + previous + ":" + a + ", or -p " + a + "?");
      }
    }
    try {
      for (String a : args) {
        if (a.equals("-")) {
          stdinUsed = readStdin(list, stdinUsed);
        } else {
          list.add(a, "'" + TargetList.shorten(Pasted.redact(a)) + "'");
        }
      }
      for (String f : files) {
        if (f.equals("-")) {
          stdinUsed = readStdin(list, stdinUsed);
        } else {
          Path path = Path.of(f);
          InputStream in;
          try {
            in = Files.newInputStream(path);
          } catch (NoSuchFileException e) {
            throw new UsageException("-f " + f + ": no such file");
          } catch (IOException e) {
            throw new UsageException("-f " + f + ": " + Messages.message(e));
          }
          opened.add(in);
          list.addLines(Files.isRegularFile(path) ? LineSource.direct(in, f) : LineSource.readAhead(in, f));
        }
      }
      return scan(list, start, stop, interrupts);
    } finally {
      for (InputStream in : opened) {
        in.close();
      }
    }
  }

  private int scan(TargetList list, long start, AtomicBoolean stop, Interrupts interrupts) {
    Iterator<TargetList.Entry> entries = list.iterator(shard);
    boolean any = entries.hasNext(); // reads up to the first target (bad lines are skipped)
    if (list.error() != null) {
      throw list.error(); // unreadable before anything was dialed
    }
    // targets given but all excluded, or only bad lines: an empty scan with its summary (as nmap)
    if (!any && list.distinct() == 0 && !stop.get() && list.excluded() == 0 && list.badLines() == 0) {
      throw new ParameterException(spec.commandLine(), "no targets: give host:port, a host, CIDR"
          + " block or range with -p, -f FILE or - for stdin");
    }
    int budget = SystemLimits.fdBudget();
    Window window;
    if (concurrency == null) {
      window = Window.adaptive();
    } else if (concurrency < 1) {
      throw new ParameterException(spec.commandLine(), "--concurrency must be at least 1: " + concurrency);
    } else if (concurrency > budget) {
      if (!output.quiet) {
        spec.commandLine().getErr().println("tcpdial scan: --concurrency " + concurrency
            + " exceeds the descriptor budget (" + budget + " of the limit "
            + SystemLimits.fdSoftLimit() + "); using " + budget);
      }
      window = Window.fixed(budget);
    } else {
      window = Window.fixed(concurrency);
    }
    if (rate != null) {
      window = window.rate(rate);
    }
    // the end path (summary, exit code) must not need a descriptor the scan may have run out of
    OwnClasses.loadFromDirectories();
    return run(list, entries, window, start, stop, interrupts);
  }

  private boolean readStdin(TargetList list, boolean used) {
    if (!used) {
      boolean file = Files.isRegularFile(Path.of("/proc/self/fd/0"));
      list.addLines(file ? LineSource.direct(System.in, "stdin") : LineSource.readAhead(System.in, "stdin"));
    }
    return true;
  }

  private int run(TargetList list, Iterator<TargetList.Entry> listed, Window asked, long start,
      AtomicBoolean stop, Interrupts interrupts) {
    boolean expectations = list.anyExpectation();
    AtomicLong taken = new AtomicLong();
    Iterator<TargetList.Entry> entries = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return listed.hasNext();
      }

      @Override
      public TargetList.Entry next() {
        taken.incrementAndGet();
        return listed.next();
      }
    };
    java.util.Set<Outcome> only = filter.outcomes();
    Report report = new Report(spec.commandLine().getOut(), spec.commandLine().getErr(), output,
        expectations, false, false).flushEach(false).compact(true)
        .only(only).hideInText(all || only != null ? null : java.util.EnumSet.of(Outcome.REFUSED));
    if (spec.commandLine().getOut() == Terminal.realOut && Terminal.realOutStream != null) {
      report.rawStdout(Terminal.realOutStream);
    }
    if (list.width() > 0) {
      // a target is at least its address and ":port"; a longer address widens the column later
      report.targetWidth(list.width()).addressWidth(Math.max(9, list.width() - 6));
    }
    ScanReport page = reportFile == null ? null
        : new ScanReport(reportFile, reportAll, Page.commandLine(spec));
    ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
    AtomicLong done = new AtomicLong();
    AtomicInteger windowNow = new AtomicInteger(asked.initial());
    Window window = asked.onChange(windowNow::set);
    Object end = new Object();
    FailureTraces tracer = traceOnFailure ? new FailureTraces(dial.timeout) : null;
    Progress progress = !noProgress && !output.quiet
        && Terminal.progressOnStderr(spec.commandLine().getErr())
        ? new Progress(spec.commandLine().getErr(),
            list.upperBound() >= 0 ? () -> list.upperBound() / (shard == null ? 1 : shard.count())
                : taken::get, done).window(windowNow::get) : null;

    // The writer polls rather than blocks, and flushes at most every 50 ms: a scan's results come
    // tens of thousands a second, and a wake-up or a write per row cost more than the probe.
    Thread writer = Thread.ofPlatform().name("tcpdial-scan-writer").daemon().start(() -> {
      long flushed = System.nanoTime();
      while (true) {
        Object o = results.poll();
        if (o == null) {
          if (System.nanoTime() - flushed > 50_000_000L) {
            report.flush();
            flushed = System.nanoTime();
          }
          LockSupport.parkNanos(1_000_000L);
          continue;
        }
        if (o == end) {
          report.flush();
          return;
        }
        Row row = (Row) o;
        report.row(row);
        if (tracer != null) {
          tracer.offer(row.result());
        }
        if (page != null) {
          page.add(row.result(), row.expected(), row.matched());
        }
      }
    });

    if (page != null) {
      page.begin(java.time.Instant.now());
    }
    if (progress != null) {
      progress.start();
    }
    WindowStats stats = null;
    try (Dialer dialer = dial.builder(Mode.ASYNC, DEFAULT_TIMEOUT).executor(Runnable::run).build()) {
      if (!Engines.available(dialer, dial, report, spec)) {
        results.add(end);
        return ExitCodes.ERROR;
      }
      report.begin();
      if (!stop.get()) { // else interrupted while the targets were read: none is dialed
        stats = scanEach(dialer, entries, window, results, done, stop);
      }
    } catch (InterruptedException e) {
      // SIGINT/SIGTERM: the dialer's close cancels what is in flight (not reported: not scanned)
    } finally {
      Thread.interrupted();
    }
    results.add(end);
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (progress != null) {
      progress.stop();
    }
    List<dev.tcpdial.Trace> traces = List.of();
    if (tracer != null && !interrupts.caught()) {
      try (Dialer d = dial.builder(Mode.ASYNC, DEFAULT_TIMEOUT).build()) {
        traces = tracer.run(d);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (page != null) {
        traces.forEach(page::where);
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    long targets = taken.get();
    Map<String, Object> fields = report.summaryFields("scan", elapsed);
    fields.put("targets", targets);
    fields.put("not_scanned", targets - report.total());
    fields.put("concurrency", asked.isAdaptive() ? null : asked.max());
    fields.put("rate_per_s", elapsed.isZero() ? 0.0 : report.total() / (elapsed.toNanos() / 1e9));
    fields.put("window", windowFields(asked, stats, windowNow.get()));
    fields.put("local_backoffs", stats == null ? 0 : stats.cuts(Window.Signal.LOCAL_RESOURCES));
    fields.put("shard", shard == null ? null : shard.toString());
    fields.put("excluded", list.excluded());
    fields.put("bad_lines", list.badLines());
    if (list.badLines() > 0) {
      report.exitAtLeast(ExitCodes.BAD_INPUT);
    }
    Map<String, Object> explanations = new java.util.LinkedHashMap<>();
    for (Outcome o : Outcome.values()) {
      if (report.count(o) > 0) {
        explanations.put(o.label(), o.explanation());
      }
    }
    fields.put("explanations", explanations);
    fields.put("interrupted", interrupts.signalName());
    if (tracer != null) {
      fields.put("traces", traces.stream().map(t -> (Object) TraceReport.json(t)).toList());
    }
    if (report.total() < targets && !interrupts.caught()) {
      report.exitAtLeast(ExitCodes.LOCAL);
    }
    fields.put("exit_code", interrupts.exitCode(report.exitCode()));
    List<String> text = new ArrayList<>();
    text.add(report.countsLine("target") + String.format(Locale.ROOT, " in %.3f s (%.0f/s, %s)",
        elapsed.toNanos() / 1e9, (double) fields.get("rate_per_s"),
        windowText(asked, stats, windowNow.get())));
    if (interrupts.caught()) {
      text.add("interrupted by " + interrupts.signalName() + ": " + (targets - report.total())
          + " target" + (targets - report.total() == 1 ? "" : "s") + " not scanned");
    } else if (report.total() < targets) {
      text.add((targets - report.total()) + " targets not scanned");
    }
    if (list.excluded() > 0) {
      text.add(list.excluded() + " target" + (list.excluded() == 1 ? "" : "s") + " excluded (--exclude)");
    }
    if (list.badLines() > 0) {
      text.add(list.badLines() + " bad input line" + (list.badLines() == 1 ? "" : "s")
          + " skipped (named on stderr)");
    }
    for (dev.tcpdial.Trace t : traces) {
      text.add("where: " + t.target() + ": " + t.verdict().line());
    }
    long local = report.count(Outcome.NO_LOCAL_ADDRESS) + report.count(Outcome.LOCAL_RESOURCES);
    if (local > 0 && !output.quiet) {
      report.err().println("tcpdial scan: " + local + " target" + (local == 1 ? "" : "s")
          + " failed for local reasons (no_local_address, local_resources) even after backing off:"
          + " a problem of this machine, not of the targets; lower --concurrency or --rate");
    }
    if (page != null && !page.write(elapsed, report.err())) {
      report.exitAtLeast(ExitCodes.ERROR);
      fields.put("exit_code", report.exitCode());
    }
    report.summary(fields, text);
    if (list.error() != null) {
      // an input error met while streaming: what was started is reported above, then the error
      report.err().println(Messages.oneLine("tcpdial scan: " + Messages.message(list.error())
          + " (scan stopped there; see tcpdial scan --help)"));
      report.err().flush();
      return ExitCodes.USAGE;
    }
    return interrupts.exitCode(report.exitCode());
  }

  /**
   * {@link Dialer#probeEach} takes the targets from the list on this thread as the window and the
   * pace let it, and keeps the window full from the engine's own threads; targets that failed for
   * local reasons, or whose timeout the window's signals made suspect, it starts again itself.
   */
  private static WindowStats scanEach(Dialer dialer, Iterator<TargetList.Entry> entries,
      Window window, ConcurrentLinkedQueue<Object> results, AtomicLong done, AtomicBoolean stop)
      throws InterruptedException {
    // What is expected of the targets in flight (a result comes back with the very Target given):
    // kept only when there is something to keep.
    Map<Target, PortState> expected = new ConcurrentHashMap<>();
    Iterator<Target> todo = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return !stop.get() && entries.hasNext();
      }

      @Override
      public Target next() {
        TargetList.Entry e = entries.next();
        if (e.expected() != null) {
          expected.put(e.target(), e.expected());
        }
        return e.target();
      }
    };
    return dialer.probeEach(todo, window, r -> {
      if (r.outcome() == Outcome.CANCELLED && stop.get()) {
        return; // in flight at the interrupt: no result, counted as not scanned
      }
      PortState e = expected.isEmpty() ? null : expected.remove(r.target());
      results.add(new Row(r, e, -1, null));
      done.incrementAndGet();
    });
  }

  /** The summary's {@code window} object: what was asked, and the sizes the window took. */
  static Map<String, Object> windowFields(Window asked, WindowStats stats, int now) {
    Map<String, Object> w = new java.util.LinkedHashMap<>();
    w.put("adaptive", asked.isAdaptive());
    w.put("min", stats == null ? now : stats.min());
    w.put("median", stats == null ? now : stats.median());
    w.put("max", stats == null ? now : stats.max());
    w.put("ceiling", stats == null ? asked.max() : stats.ceiling());
    w.put("max_in_flight", stats == null ? 0 : stats.maxInFlight());
    w.put("retried", stats == null ? 0 : stats.retried());
    Map<String, Object> cuts = new java.util.LinkedHashMap<>();
    if (stats != null) {
      stats.cuts().forEach((k, v) -> cuts.put(k.name().toLowerCase(Locale.ROOT), v));
    }
    w.put("cuts", cuts);
    return w;
  }

  /**
   * The summary line's account of the window: {@code window 256} for a fixed one, {@code window
   * 16..19962 (median 19962)} for an adaptive one ({@code window 16 (adaptive)} when it never
   * moved), and what cut it or retried probes.
   */
  static String windowText(Window asked, WindowStats stats, int now) {
    StringBuilder b = new StringBuilder("window ");
    if (stats == null) {
      b.append(now);
    } else if (stats.min() == stats.max()) {
      b.append(stats.max()).append(asked.isAdaptive() ? " (adaptive)" : "");
    } else {
      b.append(stats.min()).append("..").append(stats.max()).append(" (median ")
          .append(stats.median()).append(')');
    }
    if (stats != null && stats.totalCuts() > 0) {
      b.append(", cut ").append(stats.totalCuts()).append("x by ");
      String sep = "";
      for (Map.Entry<Window.Signal, Long> c : stats.cuts().entrySet()) {
        b.append(sep).append(c.getKey().name().toLowerCase(Locale.ROOT).replace('_', ' '))
            .append(' ').append(c.getValue());
        sep = ", ";
      }
    }
    if (stats != null && stats.retried() > 0) {
      b.append(", ").append(stats.retried()).append(" tr").append(stats.retried() == 1 ? "y" : "ies")
          .append(" again");
    }
    return b.toString();
  }
}
