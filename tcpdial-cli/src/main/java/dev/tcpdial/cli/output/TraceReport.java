package dev.tcpdial.cli.output;

import dev.tcpdial.IcmpReport;
import dev.tcpdial.Trace;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Addresses;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Path traces as text (like {@code mtr --report}: one line per hop with loss, probes sent and the
 * round trips, then the verdict), JSON (one object per traced address, then a summary line) and
 * CSV (one row per probe, the verdicts on stderr). One model, three views: what {@code tcpdial
 * trace} prints, and what {@code check --trace-on-failure} and {@code ping} add.
 */
public final class TraceReport {
  private final PrintWriter out;
  private final PrintWriter err;
  private final OutputOptions.Format format;
  private final boolean quiet;
  private final boolean verbose;
  private int exitCode = ExitCodes.OK;
  private int traces;
  private boolean headerDone;

  /**
   * A report writing to {@code out} (and, for CSV, the verdicts to {@code err}).
   *
   * @param out where traces go
   * @param err where diagnostics go
   * @param format the format
   * @param quiet write nothing
   * @param verbose text: every probe of every hop as well
   */
  public TraceReport(PrintWriter out, PrintWriter err, OutputOptions.Format format, boolean quiet,
      boolean verbose) {
    this.out = out;
    this.err = err;
    this.format = format;
    this.quiet = quiet;
    this.verbose = verbose;
  }

  /**
   * True when a trace can say more about {@code r}'s failure: a timeout, an unreachable or
   * prohibited outcome, or a refusal that an ICMP error sent; not a failure this host decided (a
   * local route: a trace would stop at once), nor a reset from the target (it was reached).
   *
   * @param r a result
   * @return whether tracing it is worth the SYNs
   */
  public static boolean worthTracing(dev.tcpdial.DialResult r) {
    if (r.remote() == null || r.remote().getAddress() == null) {
      return false;
    }
    IcmpReport icmp = r.icmp();
    if (icmp != null && icmp.origin() == IcmpReport.Origin.LOCAL && !icmp.hasType()) {
      return false;
    }
    return switch (r.outcome()) {
      case TIMEOUT, HOST_UNREACHABLE, NETWORK_UNREACHABLE, PROHIBITED -> true;
      case REFUSED -> icmp != null && icmp.origin() == IcmpReport.Origin.ICMP;
      default -> false;
    };
  }

  /**
   * The options of a trace made because a probe failed: 30 hops, one probe each, each waiting
   * the probe's own timeout but at most 1 s.
   *
   * @param timeout the failed probe's connect timeout
   * @return the options
   */
  public static Trace.Options onFailure(Duration timeout) {
    Duration t = timeout == null || timeout.isZero() || timeout.compareTo(Duration.ofSeconds(1)) > 0
        ? Duration.ofSeconds(1) : timeout;
    return Trace.Options.DEFAULT.withProbesPerHop(1).withHopTimeout(t);
  }

  /** The exit code: the worst of the traces' outcomes, as {@code check} ranks them. */
  public int exitCode() {
    return exitCode;
  }

  /** How many traces were written. */
  public int count() {
    return traces;
  }

  /** Writes one trace. */
  public void trace(Trace t) {
    traces++;
    exitCode = ExitCodes.worst(exitCode, ExitCodes.of(t.outcome(), null));
    if (quiet) {
      return;
    }
    switch (format) {
      case TEXT -> text(t, "").forEach(out::println);
      case JSON -> out.println(Report.jsonLine(json(t)));
      case CSV -> {
        if (!headerDone) {
          out.println(String.join(",", CSV_HEADER));
          headerDone = true;
        }
        csv(t).forEach(out::println);
        err.println(t.target() + " (" + addr(t.remote()) + "): " + t.verdict().line());
      }
    }
    out.flush();
  }

  /** The summary: JSON's last line; nothing for text and CSV. */
  public void summary(Duration elapsed) {
    if (!quiet && format == OutputOptions.Format.JSON) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("command", "trace");
      m.put("traces", (long) traces);
      m.put("elapsed_ms", new Report.Raw(Report.ms(elapsed)));
      m.put("exit_code", exitCode);
      out.println(Report.jsonLine(Map.of("summary", m)));
    }
    out.flush();
    err.flush();
  }

  // ---- text ----

  /**
   * The trace as text lines, each prefixed with {@code indent}: a header, a line per hop ({@code
   * mtr --report}'s columns, then what answered), the reachability probe when there was one, and
   * the verdict.
   *
   * @param t the trace
   * @param indent what each line starts with
   * @return the lines
   */
  public List<String> text(Trace t, String indent) {
    List<String> lines = new ArrayList<>();
    String from = t.local() == null ? "" : " from " + Addresses.hostPort(t.local());
    lines.add(indent + "trace " + t.target() + (t.remote() == null ? "" : " (" + addr(t.remote())
        + ")") + from);
    if (!t.hops().isEmpty()) {
      int w = 15;
      for (Trace.Hop h : t.hops()) {
        for (InetAddress a : h.addresses()) {
          w = Math.max(w, Addresses.format(a).length());
        }
      }
      lines.add(indent + String.format(Locale.ROOT, "%5s %-" + w + "s %6s %4s %7s %7s %7s %7s %6s  %s",
          "HOP", "ADDRESS", "LOSS%", "SNT", "LAST", "AVG", "BEST", "WRST", "STDEV", "ANSWER"));
      for (Trace.Hop h : t.hops()) {
        List<InetAddress> as = h.addresses();
        String first = as.isEmpty() ? "???" : Addresses.format(as.getFirst());
        lines.add(indent + String.format(Locale.ROOT, "%5s %-" + w + "s %5.1f%% %4d %7s %7s %7s %7s %6s  %s",
            h.ttl() + ".", first, h.loss() * 100, h.sent(), rtt(h.last()), rtt(h.average()),
            rtt(h.best()), rtt(h.worst()), rtt(h.stdev()), answers(h)));
        for (int i = 1; i < as.size(); i++) {
          lines.add(indent + String.format(Locale.ROOT, "%5s %s", "", Addresses.format(as.get(i))));
        }
        if (verbose) {
          for (Trace.Probe p : h.probes()) {
            lines.add(indent + "      probe " + p.index() + ": " + probe(p));
          }
        }
      }
    }
    Trace.Probe reach = t.reachability();
    if (reach != null) {
      lines.add(indent + "probe with TTL " + reach.ttl() + ": " + probe(reach)
          + (reach.answered() ? " (the silent hops are routers that send no time-exceeded)"
              : " (no answer at the end of the path either: the SYN dies on the way)"));
    }
    lines.add(indent + "verdict: " + t.verdict().line());
    if (t.detail() != null) {
      lines.add(indent + "detail: " + t.detail());
    }
    return lines;
  }

  private static String answers(Trace.Hop h) {
    Map<String, Integer> n = new LinkedHashMap<>();
    for (Trace.Probe p : h.probes()) {
      n.merge(p.what(), 1, Integer::sum);
    }
    StringBuilder sb = new StringBuilder();
    n.forEach((what, k) -> sb.append(sb.isEmpty() ? "" : ", ").append(what)
        .append(k > 1 && n.size() > 1 ? " x" + k : ""));
    return sb.toString();
  }

  private static String probe(Trace.Probe p) {
    return p.what() + (p.from() != null ? " from " + Addresses.format(p.from()) : "")
        + (p.answered() ? " in " + Report.ms(p.rtt()) + " ms" : p.answer() == Trace.Answer.SILENT
            ? " for " + Report.ms(p.rtt()) + " ms" : "")
        + (p.errno() != null && !p.answer().fromTarget() ? " (" + p.outcome().label() + " "
            + p.errno().name() + ")" : "");
  }

  private static String rtt(Duration d) {
    if (d == null) {
      return "-";
    }
    double ms = d.toNanos() / 1e6;
    return String.format(Locale.ROOT, ms < 10 ? "%.2f" : ms < 1000 ? "%.1f" : "%.0f", ms);
  }

  private static String addr(java.net.InetSocketAddress a) {
    return a == null ? "-" : Addresses.host(a);
  }

  // ---- JSON ----

  /**
   * The trace as a JSON value tree (maps and lists) for {@link Report#jsonLine}.
   *
   * @param t the trace
   * @return the map
   */
  public static Map<String, Object> json(Trace t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", t.target().toString());
    m.put("address", t.remote() == null ? null : Addresses.host(t.remote()));
    m.put("port", (long) t.target().port());
    m.put("local", t.local() == null ? null : Addresses.hostPort(t.local()));
    Trace.Verdict v = t.verdict();
    Map<String, Object> vm = new LinkedHashMap<>();
    vm.put("kind", v.kind().label());
    vm.put("hop", (long) v.hop());
    vm.put("address", v.address() == null ? null : Addresses.format(v.address()));
    vm.put("rtt_ms", v.rtt() == null ? null : new Report.Raw(Report.ms(v.rtt())));
    vm.put("outcome", v.outcome().label());
    vm.put("errno", v.errno() == null ? null : v.errno().name());
    vm.put("icmp", icmp(v.icmp()));
    vm.put("line", v.line());
    m.put("verdict", vm);
    m.put("outcome", v.outcome().label());
    List<Object> hops = new ArrayList<>();
    for (Trace.Hop h : t.hops()) {
      Map<String, Object> hm = new LinkedHashMap<>();
      hm.put("ttl", (long) h.ttl());
      hm.put("addresses", h.addresses().stream().map(Addresses::format).toList());
      hm.put("sent", (long) h.sent());
      hm.put("answered", (long) h.answered());
      hm.put("loss", h.loss());
      hm.put("last_ms", msOrNull(h.last()));
      hm.put("avg_ms", msOrNull(h.average()));
      hm.put("best_ms", msOrNull(h.best()));
      hm.put("worst_ms", msOrNull(h.worst()));
      hm.put("stdev_ms", msOrNull(h.stdev()));
      hm.put("probes", h.probes().stream().map(TraceReport::probeJson).toList());
      hops.add(hm);
    }
    m.put("hops", hops);
    m.put("reachability", t.reachability() == null ? null : probeJson(t.reachability()));
    m.put("syns", (long) t.probes().size());
    m.put("elapsed_ms", new Report.Raw(Report.ms(t.elapsed())));
    m.put("detail", t.detail());
    return m;
  }

  private static Object msOrNull(Duration d) {
    return d == null ? null : new Report.Raw(Report.ms(d));
  }

  private static Map<String, Object> probeJson(Trace.Probe p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ttl", (long) p.ttl());
    m.put("index", (long) p.index());
    m.put("answer", p.answer().label());
    m.put("from", p.from() == null ? null : Addresses.format(p.from()));
    m.put("rtt_ms", new Report.Raw(Report.ms(p.rtt())));
    m.put("sent_ms", new Report.Raw(Report.ms(p.sent())));
    m.put("outcome", p.outcome().label());
    m.put("errno", p.errno() == null ? null : p.errno().name());
    m.put("icmp", icmp(p.icmp()));
    return m;
  }

  /** An ICMP report as a map ({@link Report}'s {@code icmp} object), or null. */
  static Map<String, Object> icmp(IcmpReport r) {
    if (r == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("origin", r.origin().label());
    m.put("family", r.hasType() ? (r.v6() ? "ipv6" : "ipv4") : null);
    m.put("type", r.hasType() ? (Object) (long) r.type() : null);
    m.put("code", r.hasType() ? (Object) (long) r.code() : null);
    m.put("name", r.hasType() ? r.name() : null);
    m.put("from", r.from() == null ? null : r.fromText());
    return m;
  }

  // ---- CSV ----

  private static final List<String> CSV_HEADER = List.of("target", "address", "ttl", "probe",
      "answer", "from", "rtt_ms", "outcome", "errno", "icmp", "icmp_type", "icmp_code",
      "verdict", "verdict_hop");

  private static List<String> csv(Trace t) {
    List<String> rows = new ArrayList<>();
    for (Trace.Probe p : t.probes()) {
      List<String> f = List.of(t.target().toString(), addr(t.remote()),
          Integer.toString(p.ttl()), Integer.toString(p.index()), p.answer().label(),
          p.from() == null ? "" : Addresses.format(p.from()), Report.ms(p.rtt()),
          p.outcome().label(), p.errno() == null ? "" : p.errno().name(),
          p.icmp() == null || !p.icmp().hasType() ? "" : p.icmp().name(),
          p.icmp() == null || !p.icmp().hasType() ? "" : Integer.toString(p.icmp().type()),
          p.icmp() == null || !p.icmp().hasType() ? "" : Integer.toString(p.icmp().code()),
          t.verdict().kind().label(), Integer.toString(t.verdict().hop()));
      StringBuilder sb = new StringBuilder();
      for (String s : f) {
        sb.append(sb.isEmpty() ? "" : ",").append(Report.csvField(s));
      }
      rows.add(sb.toString());
    }
    if (rows.isEmpty()) { // not traced: one row says so
      rows.add(String.join(",", Report.csvField(t.target().toString()), addr(t.remote()), "", "",
          "", "", "", t.verdict().outcome().label(), "", "", "", "",
          t.verdict().kind().label(), "0"));
    }
    return rows;
  }
}
