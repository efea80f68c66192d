package dev.tcpdial.cli.output;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Outcome;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Addresses;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes rows in the chosen format, counts them and writes the summary. Results go to {@code out},
 * diagnostics to {@code err}. Not thread-safe: one thread writes.
 */
public final class Report {
  private final PrintWriter out;
  private final PrintWriter err;
  private final OutputOptions opts;
  private final boolean expectations;
  private final boolean seq;
  private final boolean label;
  private final boolean colour;
  private int targetWidth;
  private int addressWidth = 15; // widened when a longer address comes (grow-only)
  private int labelWidth = 10;

  private final long[] counts = new long[Outcome.values().length];
  private final StringBuilder line = new StringBuilder(512); // the row being written
  private byte[] bytes = new byte[512]; // the row as bytes, for the raw stream
  private char[] chars = new char[512];
  private OutputStream raw; // stdout itself for JSON rows, or null: everything through out
  private boolean rawPending; // raw holds bytes not yet flushed
  private InetAddress lastAddress; // the last address written, and its text: scans repeat it
  private String lastAddressText;
  private long total;
  private long matched;
  private long mismatched;
  private int exitCode = ExitCodes.OK;
  private boolean flushEach = true;
  private boolean compact;
  private java.util.Set<Outcome> only; // the outcomes written (--only, --open), or null: all
  private java.util.Set<Outcome> hideInText; // left out of text output, counted in one line
  private final long[] notShown = new long[Outcome.values().length];
  private RowExtras extras; // columns after the connect's (check --tls, --module), or null

  public Report(PrintWriter out, PrintWriter err, OutputOptions opts, boolean expectations, boolean seq,
      boolean label) {
    this.out = out;
    this.err = err;
    this.opts = opts;
    this.expectations = expectations;
    this.seq = seq;
    this.label = label;
    this.colour = opts.format == OutputOptions.Format.TEXT && Terminal.colourOnStdout(out);
    this.targetWidth = 21;
  }

  public Report targetWidth(int width) {
    this.targetWidth = Math.min(Math.max(width, 10), 60);
    return this;
  }

  /** The address column's width for this run: the widest address expected (e.g. IPv6). */
  public Report addressWidth(int width) {
    this.addressWidth = Math.min(Math.max(width, 1), 45);
    return this;
  }

  /**
   * The address column's width for {@code targets}: a literal's own length, a name's 15 (an IPv4
   * address; a longer address that comes later widens the column from then on).
   */
  public static int addressWidth(Iterable<dev.tcpdial.Target> targets) {
    int w = 1;
    for (dev.tcpdial.Target t : targets) {
      w = Math.max(w, t.isLiteral() ? t.host().length() : 15);
    }
    return w;
  }

  public Report labelWidth(int width) {
    this.labelWidth = width;
    return this;
  }

  /**
   * Compact JSON rows for scans: no per-row {@code explanation} (the same few sentences tens of
   * thousands of times); the summary carries one per outcome seen instead.
   */
  public Report compact(boolean on) {
    this.compact = on;
    return this;
  }

  /**
   * JSON rows go to {@code stdout} as bytes, not through the writer {@code out} (which is then
   * the process's standard output too): no char[] copy and no charset encoder per row. Text that
   * still goes through {@code out} (the summary) is written after the rows before it.
   */
  public Report rawStdout(OutputStream stdout) {
    this.raw = new BufferedOutputStream(stdout, 1 << 16);
    return this;
  }

  /**
   * Writes only the rows with these outcomes ({@code null}: all), in every format; every row is
   * still counted, and a row whose expectation failed is always written.
   */
  public Report only(java.util.Set<Outcome> outcomes) {
    this.only = outcomes;
    return this;
  }

  /**
   * Leaves the rows with these outcomes out of text output only ({@code null}: none), as nmap
   * leaves out closed ports: they are counted in one line of the summary, "not shown: N
   * refused". JSON and CSV keep every row; a row whose expectation failed is always written.
   */
  public Report hideInText(java.util.Set<Outcome> outcomes) {
    this.hideInText = outcomes;
    return this;
  }

  /** Columns after the connect's in every format ({@code null}: none). */
  public Report extras(RowExtras e) {
    this.extras = e;
    return this;
  }

  /** Flush after each row (interactive commands) or leave it to {@link #flush()} (scan). */
  public Report flushEach(boolean on) {
    this.flushEach = on;
    return this;
  }

  PrintWriter out() {
    return out;
  }

  public PrintWriter err() {
    return err;
  }

  boolean quiet() {
    return opts.quiet;
  }

  OutputOptions.Format format() {
    return opts.format;
  }

  /** The CSV header; nothing for other formats. */
  public void begin() {
    if (opts.quiet || opts.format != OutputOptions.Format.CSV) {
      return;
    }
    List<String> h = new ArrayList<>();
    if (label) {
      h.add("case");
    }
    if (seq) {
      h.add("seq");
    }
    h.addAll(List.of("target", "host", "port", "address", "outcome", "errno", "errno_number",
        "time_ms", "mode", "engine", "attempts", "icmp", "icmp_type", "icmp_code", "icmp_from"));
    if (expectations) {
      h.add("expected");
      h.add("matched");
    }
    if (extras != null) {
      h.addAll(extras.csvHeader());
    }
    flushRaw();
    out.println(String.join(",", h));
    if (flushEach) {
      out.flush();
    }
  }

  /** Counts and writes one row. */
  public void row(Row row) {
    DialResult r = row.result();
    counts[r.outcome().ordinal()]++;
    total++;
    if (row.expected() != null) {
      if (row.matched()) {
        matched++;
      } else {
        mismatched++;
      }
    }
    exitCode = ExitCodes.worst(exitCode, row.exitCode());
    if (opts.quiet) {
      return;
    }
    // a failed expectation explains the exit code: it is never left out
    boolean kept = row.expected() != null && !row.matched();
    if (!kept && ((only != null && !only.contains(r.outcome()))
        || (hideInText != null && opts.format == OutputOptions.Format.TEXT
            && hideInText.contains(r.outcome())))) {
      notShown[r.outcome().ordinal()]++;
      return;
    }
    switch (opts.format) {
      case TEXT -> text(row);
      case JSON -> {
        line.setLength(0);
        jsonInto(line, row);
        if (raw != null) {
          writeRaw(line);
        } else {
          writeLine(line);
        }
      }
      case CSV -> out.println(csv(row));
    }
    if (flushEach) {
      flush();
    }
  }

  public void flush() {
    flushRaw();
    out.flush();
    err.flush();
  }

  private static final byte[] NEWLINE = System.lineSeparator().getBytes(StandardCharsets.UTF_8);

  /**
   * {@code sb} and a line separator as UTF-8 bytes on the raw stream. ASCII text (every row of a
   * numeric scan) is copied into one reused buffer, not through a String and its byte array: a
   * full-port scan allocated ~50 MB less, enough to finish without a collection.
   */
  private void writeRaw(StringBuilder sb) {
    if (!rawPending) {
      out.flush(); // what went through the writer comes first
      rawPending = true;
    }
    try {
      int n = sb.length();
      if (bytes.length < n + NEWLINE.length) {
        bytes = new byte[Math.max(n + NEWLINE.length, bytes.length * 2)];
      }
      if (chars.length < n) {
        chars = new char[Math.max(n, chars.length * 2)];
      }
      sb.getChars(0, n, chars, 0);
      char[] cs = chars;
      byte[] b = bytes;
      for (int i = 0; i < n; i++) {
        char c = cs[i];
        if (c >= 0x80) {
          raw.write(sb.toString().getBytes(StandardCharsets.UTF_8));
          raw.write(NEWLINE);
          return;
        }
        b[i] = (byte) c;
      }
      System.arraycopy(NEWLINE, 0, b, n, NEWLINE.length);
      raw.write(b, 0, n + NEWLINE.length);
    } catch (IOException e) {
      raw = null; // stdout is gone (a closed pipe): drop rows as the writer would
    }
  }

  private void flushRaw() {
    if (raw != null && rawPending) {
      try {
        raw.flush();
      } catch (IOException e) {
        raw = null;
      }
      rawPending = false;
    }
  }

  public int exitCode() {
    return exitCode;
  }

  public long total() {
    return total;
  }

  public long count(Outcome o) {
    return counts[o.ordinal()];
  }

  long mismatched() {
    return mismatched;
  }

  /** Folds a code in (a usage or local problem found outside the rows). */
  public void exitAtLeast(int code) {
    exitCode = ExitCodes.worst(exitCode, code);
  }

  // ---- text ----

  /** Milliseconds with three decimals ({@code 12.345}), rounded; no String.format on the hot path. */
  public static String ms(Duration d) {
    return msInto(new StringBuilder(12), d).toString();
  }

  /** {@code 1s}, {@code 250ms}, {@code 1.5s}: the way durations are written on the command line. */
  public static String human(Duration d) {
    long ms = d.toMillis();
    if (ms >= 1000 && ms % 100 == 0) {
      return ms % 1000 == 0 ? ms / 1000 + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    return d.toNanos() % 1_000_000 == 0 ? ms + "ms" : ms(d) + "ms";
  }

  private void text(Row row) {
    DialResult r = row.result();
    StringBuilder sb = new StringBuilder(120);
    if (label) {
      sb.append(pad(row.label() == null ? "" : row.label(), labelWidth)).append("  ");
    }
    if (seq) {
      sb.append(pad("seq=" + row.seq(), 9)).append(' ');
    }
    sb.append(pad(r.target().toString(), targetWidth)).append("  ");
    String addr = Addresses.host(r.remote());
    addr = addr == null ? "-" : addr;
    addressWidth = Math.max(addressWidth, addr.length());
    sb.append(pad(addr, addressWidth)).append("  ");
    sb.append(paint(pad(r.outcome().label(), 19), r.outcome())).append("  ");
    sb.append(pad(r.errno() == null ? "-" : r.errno().name(), 13)).append("  ");
    String t = ms(r.elapsed());
    sb.append(" ".repeat(Math.max(0, 10 - t.length()))).append(t).append(" ms");
    if (row.expected() != null) {
      sb.append("  expect ").append(row.expected().label()).append(": ")
          .append(row.matched() ? "ok" : (colour ? "\u001b[1;31mMISMATCH\u001b[0m" : "MISMATCH"));
    }
    if ((r.outcome() == Outcome.ERROR || r.outcome() == Outcome.CANCELLED) && r.detail() != null
        && !opts.verbose) {
      sb.append("  (").append(r.detail()).append(')');
    }
    IcmpReport icmp = r.icmp();
    if (icmp != null && icmp.origin() != IcmpReport.Origin.UNREAD) {
      sb.append("  ").append(icmp.label()); // who answered: time-exceeded from 198.18.21.2
    }
    if (extras != null) {
      sb.append("  ").append(extras.text(row));
    }
    out.println(stripTrailing(sb));
    if (opts.verbose) {
      out.println("    " + r.explanation());
      if (r.detail() != null) {
        out.println("    detail: " + r.detail());
      }
      if (icmp != null) {
        out.println("    answered by: " + answeredBy(icmp));
      }
      for (Attempt a : r.attempts()) {
        out.println(String.format(Locale.ROOT, "    attempt %d  %-22s %-19s %-13s start %s ms, took %s ms (%s)%s",
            a.index(), Addresses.hostPort(a.remote()), a.outcome().label(),
            a.errno() == null ? "-" : a.errno().name(), ms(a.start()), ms(a.elapsed()),
            a.reason().label(), a.icmp() == null ? "" : "  " + a.icmp().label()));
      }
      if (extras != null) {
        extras.verbose(row).forEach(l -> out.println("    " + l));
      }
    }
  }

  /**
   * Who sent the error, for {@code -v}: {@code ICMP time-exceeded (type 11, code 0) from
   * 198.18.21.2}, {@code this host: a local route or rule}, or why it is not known.
   */
  public static String answeredBy(IcmpReport icmp) {
    String type = icmp.hasType() ? (icmp.v6() ? "ICMPv6 " : "ICMP ") + icmp.name() + " (type "
        + icmp.type() + ", code " + icmp.code() + ")" : "";
    return switch (icmp.origin()) {
      case ICMP -> type + (icmp.from() != null ? " from " + icmp.fromText() : "");
      case LOCAL -> icmp.hasType() ? "this host: " + type + " from its own address "
          + icmp.fromText() + " (neighbour resolution failed, or a local reject rule)"
          : "this host: a local route or rule (no packet left)";
      case UNREAD -> "not known: the engine could not read the socket's error queue"
          + dev.tcpdial.Dialer.socketOptionsUnavailable().map(w -> " (" + w + ")").orElse("");
    };
  }

  private static String stripTrailing(StringBuilder sb) {
    int end = sb.length();
    while (end > 0 && sb.charAt(end - 1) == ' ') {
      end--;
    }
    return sb.substring(0, end);
  }

  static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }

  private String paint(String s, Outcome o) {
    if (!colour) {
      return s;
    }
    String c = switch (o) {
      case CONNECTED -> "32";
      case REFUSED -> "31";
      case TIMEOUT -> "33";
      case NO_LOCAL_ADDRESS, LOCAL_RESOURCES, CANCELLED, ERROR -> "1;35";
      default -> "35";
    };
    return "\u001b[" + c + "m" + s + "\u001b[0m";
  }

  // ---- JSON ----

  String json(Row row) {
    StringBuilder sb = new StringBuilder(512);
    jsonInto(sb, row);
    return sb.toString();
  }

  /** One result as a JSON object, appended to {@code sb} with no intermediate strings. */
  void jsonInto(StringBuilder sb, Row row) {
    DialResult r = row.result();
    sb.append('{');
    if (row.label() != null) {
      quoteInto(field(sb, "case"), row.label()).append(',');
    }
    if (row.seq() >= 0) {
      field(sb, "seq").append(row.seq()).append(',');
    }
    targetInto(field(sb, "target"), r.target()).append(',');
    quoteInto(field(sb, "host"), r.target().host()).append(',');
    field(sb, "port").append(r.target().port()).append(',');
    quoteInto(field(sb, "address"), host(r.remote())).append(',');
    quoteInto(field(sb, "local"), Addresses.hostPort(r.local())).append(',');
    field(sb, "outcome").append('"').append(r.outcome().label()).append("\",");
    errnoInto(field(sb, "errno"), r.errno()).append(',');
    field(sb, "errno_number");
    if (r.errno() == null) {
      sb.append("null");
    } else {
      sb.append(r.errno().number());
    }
    sb.append(',');
    msInto(field(sb, "time_ms"), r.elapsed()).append(',');
    msInto(field(sb, "resolution_ms"), r.resolution()).append(',');
    field(sb, "mode").append('"').append(r.mode().label()).append("\",");
    field(sb, "engine").append('"').append(r.engine().label()).append("\",");
    if (!compact) {
      quoteInto(field(sb, "explanation"), r.explanation()).append(',');
    }
    quoteInto(field(sb, "detail"), r.detail()).append(',');
    icmpInto(field(sb, "icmp"), r.icmp()).append(',');
    field(sb, "attempts").append('[');
    List<Attempt> attempts = r.attempts();
    for (int i = 0; i < attempts.size(); i++) {
      Attempt a = attempts.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append('{');
      quoteInto(field(sb, "address"), host(a.remote())).append(',');
      field(sb, "outcome").append('"').append(a.outcome().label()).append("\",");
      errnoInto(field(sb, "errno"), a.errno()).append(',');
      msInto(field(sb, "start_ms"), a.start()).append(',');
      msInto(field(sb, "time_ms"), a.elapsed()).append(',');
      field(sb, "reason").append('"').append(a.reason().label()).append("\",");
      icmpInto(field(sb, "icmp"), a.icmp());
      sb.append('}');
    }
    sb.append(']');
    if (row.expected() != null) {
      sb.append(',');
      quoteInto(field(sb, "expected"), row.expected().label()).append(',');
      field(sb, "matched").append(row.matched());
    }
    if (extras != null) {
      extras.json(sb, row);
    }
    sb.append('}');
  }

  /**
   * Who answered, as a JSON object ({@code origin}, {@code family}, {@code type}, {@code code},
   * {@code name}, {@code from}; null where unknown), or {@code null}.
   */
  static StringBuilder icmpInto(StringBuilder sb, IcmpReport icmp) {
    if (icmp == null) {
      return sb.append("null");
    }
    sb.append('{');
    field(sb, "origin").append('"').append(icmp.origin().label()).append("\",");
    if (icmp.hasType()) {
      field(sb, "family").append(icmp.v6() ? "\"ipv6\"," : "\"ipv4\",");
      field(sb, "type").append(icmp.type()).append(',');
      field(sb, "code").append(icmp.code()).append(',');
      quoteInto(field(sb, "name"), icmp.name()).append(',');
    } else {
      sb.append("\"family\":null,\"type\":null,\"code\":null,\"name\":null,");
    }
    quoteInto(field(sb, "from"), icmp.from() == null ? null : icmp.fromText());
    return sb.append('}');
  }

  /** Writes {@code sb} and a line separator without making a String of it. */
  private void writeLine(StringBuilder sb) {
    int n = sb.length();
    if (chars.length < n) {
      chars = new char[Math.max(n, chars.length * 2)];
    }
    sb.getChars(0, n, chars, 0);
    out.write(chars, 0, n);
    out.println();
  }

  /** The address text of {@code s}, remembered for the next row (a scan repeats its hosts). */
  private String host(InetSocketAddress s) {
    if (s == null) {
      return null;
    }
    InetAddress a = s.getAddress();
    if (a == null) {
      return s.getHostString();
    }
    if (a != lastAddress) {
      lastAddressText = Addresses.format(a);
      lastAddress = a;
    }
    return lastAddressText;
  }

  /** {@code host:port} (or {@code [v6]:port}) as a JSON string. */
  private static StringBuilder targetInto(StringBuilder sb, dev.tcpdial.Target t) {
    boolean v6 = t.host().indexOf(':') >= 0;
    sb.append('"');
    if (v6) {
      sb.append('[');
    }
    escapeInto(sb, t.host());
    if (v6) {
      sb.append(']');
    }
    return sb.append(':').append(t.port()).append('"');
  }

  private static StringBuilder errnoInto(StringBuilder sb, dev.tcpdial.Errno e) {
    return e == null ? sb.append("null") : sb.append('"').append(e.name()).append('"');
  }

  /** Milliseconds with three decimals, as {@link #ms(Duration)} writes them. */
  static StringBuilder msInto(StringBuilder sb, Duration d) {
    long micros = (d.toNanos() + 500) / 1000;
    if (micros < 0) {
      sb.append('-');
      micros = -micros;
    }
    long frac = micros % 1000;
    sb.append(micros / 1000).append('.');
    if (frac < 100) {
      sb.append('0');
    }
    if (frac < 10) {
      sb.append('0');
    }
    return sb.append(frac);
  }

  private static StringBuilder field(StringBuilder sb, String name) {
    return sb.append('"').append(name).append("\":");
  }

  /** A JSON string literal (RFC 8259 escapes), or {@code null}. */
  public static String quote(String s) {
    return s == null ? "null" : quoteInto(new StringBuilder(s.length() + 2), s).toString();
  }

  /** Appends {@code s} as a JSON string literal (or {@code null}) to {@code sb}. */
  static StringBuilder quoteInto(StringBuilder sb, String s) {
    if (s == null) {
      return sb.append("null");
    }
    sb.append('"');
    return escapeInto(sb, s).append('"');
  }

  /** Appends {@code s} with the escapes of a JSON string, without the quotes. */
  static StringBuilder escapeInto(StringBuilder sb, String s) {
    int clean = 0; // most texts need no escape: appended in one piece up to the first that does
    while (clean < s.length() && !needsEscape(s.charAt(clean))) {
      clean++;
    }
    sb.append(s, 0, clean);
    for (int i = clean; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb;
  }

  private static boolean needsEscape(char c) {
    return c < 0x20 || c == '"' || c == '\\' || c == 0x2028 || c == 0x2029;
  }

  // ---- CSV ----

  private String csv(Row row) {
    DialResult r = row.result();
    List<String> f = new ArrayList<>(16);
    if (label) {
      f.add(row.label() == null ? "" : row.label());
    }
    if (seq) {
      f.add(Long.toString(row.seq()));
    }
    f.add(r.target().toString());
    f.add(r.target().host());
    f.add(Integer.toString(r.target().port()));
    String addr = Addresses.host(r.remote());
    f.add(addr == null ? "" : addr);
    f.add(r.outcome().label());
    f.add(r.errno() == null ? "" : r.errno().name());
    f.add(r.errno() == null ? "" : Integer.toString(r.errno().number()));
    f.add(ms(r.elapsed()));
    f.add(r.mode().label());
    f.add(r.engine().label());
    f.add(Integer.toString(r.attempts().size()));
    IcmpReport icmp = r.icmp();
    f.add(icmp == null ? "" : icmp.hasType() && icmp.origin() == IcmpReport.Origin.ICMP
        ? icmp.name() : icmp.origin().label() + (icmp.hasType() ? " " + icmp.name() : ""));
    f.add(icmp == null || !icmp.hasType() ? "" : Integer.toString(icmp.type()));
    f.add(icmp == null || !icmp.hasType() ? "" : Integer.toString(icmp.code()));
    f.add(icmp == null ? "" : icmp.fromText());
    if (expectations) {
      f.add(row.expected() == null ? "" : row.expected().label());
      f.add(row.expected() == null ? "" : Boolean.toString(row.matched()));
    }
    if (extras != null) {
      f.addAll(extras.csv(row));
    }
    StringBuilder sb = new StringBuilder(120);
    for (int i = 0; i < f.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(csvField(f.get(i)));
    }
    return sb.toString();
  }

  public static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  // ---- summary ----

  /** Counts per outcome, every outcome present, for JSON. */
  Map<String, Object> countsMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Outcome o : Outcome.values()) {
      m.put(o.label(), counts[o.ordinal()]);
    }
    return m;
  }

  /** The standard summary fields; commands add theirs to the map before {@link #summary}. */
  public Map<String, Object> summaryFields(String command, Duration elapsed) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("command", command);
    m.put("total", total);
    m.put("counts", countsMap());
    long local = count(Outcome.NO_LOCAL_ADDRESS) + count(Outcome.LOCAL_RESOURCES)
        + count(Outcome.CANCELLED);
    m.put("local_problems", local);
    if (expectations || matched + mismatched > 0) {
      m.put("matched", matched);
      m.put("mismatched", mismatched);
    }
    if (only != null) {
      m.put("only", only.stream().map(Outcome::label).toList());
    }
    Map<String, Object> hidden = new LinkedHashMap<>();
    for (Outcome o : Outcome.values()) {
      if (notShown[o.ordinal()] > 0) {
        hidden.put(o.label(), notShown[o.ordinal()]);
      }
    }
    if (!hidden.isEmpty()) {
      m.put("not_shown", hidden);
    }
    m.put("elapsed_ms", new Raw(ms(elapsed)));
    m.put("exit_code", exitCode);
    return m;
  }

  /** One line "N targets: 2 connected, 1 refused" with only the non-zero outcomes. */
  public String countsLine(String noun) {
    StringBuilder sb = new StringBuilder();
    sb.append(total).append(' ').append(noun).append(total == 1 ? "" : "s").append(':');
    boolean any = false;
    for (Outcome o : Outcome.values()) {
      long n = counts[o.ordinal()];
      if (n > 0) {
        sb.append(any ? ", " : " ").append(n).append(' ').append(o.label());
        any = true;
      }
    }
    if (!any) {
      sb.append(" none");
    }
    if (matched + mismatched > 0) {
      sb.append("; expectations: ").append(matched).append(" held, ").append(mismatched)
          .append(" mismatched");
    }
    return sb.toString();
  }

  /**
   * The rows left out, in one line: {@code not shown: 1021 refused (--all shows them)}; or null
   * when every row was written.
   */
  String notShownLine() {
    StringBuilder sb = new StringBuilder();
    for (Outcome o : Outcome.values()) {
      long n = notShown[o.ordinal()];
      if (n > 0) {
        sb.append(sb.isEmpty() ? "not shown: " : ", ").append(n).append(' ').append(o.label());
      }
    }
    if (sb.isEmpty()) {
      return null;
    }
    return sb.append(only != null
        ? " (--only " + String.join(",", only.stream().map(Outcome::label).toList()) + ")"
        : " (--all shows them)").toString();
  }

  /**
   * Writes the summary: JSON gets {@code {"summary": fields}} on stdout; text gets {@code
   * textLines} on stdout; CSV gets {@code textLines} on stderr (stdout stays a clean table). Text
   * and CSV start with the line that counts the rows left out, if any.
   */
  public void summary(Map<String, Object> fields, List<String> textLines) {
    if (opts.quiet) {
      flush();
      return;
    }
    flushRaw();
    List<String> lines = textLines;
    String hidden = notShownLine();
    if (hidden != null) {
      lines = new ArrayList<>(textLines.size() + 1);
      lines.add(hidden);
      lines.addAll(textLines);
    }
    switch (opts.format) {
      case JSON -> out.println(jsonLine(Map.of("summary", fields)));
      case TEXT -> lines.forEach(out::println);
      case CSV -> lines.forEach(err::println);
    }
    flush();
  }

  /** A number written as is in JSON. */
  record Raw(String text) {}

  /** One line of JSON for a map of names to values (maps, lists, numbers, text, null). */
  public static String jsonLine(Map<String, Object> m) {
    StringBuilder sb = new StringBuilder(512);
    writeValue(sb, m);
    return sb.toString();
  }

  private static void writeValue(StringBuilder sb, Object v) {
    switch (v) {
      case null -> sb.append("null");
      case Map<?, ?> m -> {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          quoteInto(sb, String.valueOf(e.getKey())).append(':');
          writeValue(sb, e.getValue());
        }
        sb.append('}');
      }
      case List<?> l -> {
        sb.append('[');
        for (int i = 0; i < l.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          writeValue(sb, l.get(i));
        }
        sb.append(']');
      }
      case Raw raw -> sb.append(raw.text());
      case Integer i -> sb.append(i.intValue());
      case Long l -> sb.append(l.longValue());
      case Double d -> {
        if (d.isNaN() || d.isInfinite()) {
          sb.append("null");
        } else {
          sb.append(String.format(Locale.ROOT, "%.3f", d));
        }
      }
      case Boolean b -> sb.append(b.booleanValue());
      default -> quoteInto(sb, v.toString());
    }
  }
}
