package dev.tcpdial.cli.report;

import dev.tcpdial.DialResult;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.cli.targets.Addresses;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The HTML report of a scan ({@code tcpdial scan --report FILE.html}), aggregated as the results
 * come: counts per outcome, a grid of hosts by ports, a histogram of connect times per outcome and
 * a table of the results worth reading. Its memory is bounded whatever the scan's size: at most
 * {@link #MAX_ROWS} x {@link #MAX_COLUMNS} grid cells (hosts fold into /24, /16, /8 blocks and
 * ports into ranges as they grow), a fixed histogram, and at most {@link #TABLE_LIMIT} table rows.
 * Not thread-safe: the scan's writer thread adds.
 */
public final class ScanReport {
  /** Table rows kept at most; the page says how many more there were. */
  public static final int TABLE_LIMIT = 20_000;

  /** Grid rows at most: more hosts fold into wider address blocks. */
  public static final int MAX_ROWS = 48;

  /** Grid columns at most: more ports fold into ranges. */
  public static final int MAX_COLUMNS = 128;

  static final int OUTCOMES = Outcome.values().length;
  static final int MISMATCH = OUTCOMES; // the cell's count of failed expectations
  /** Histogram bins: five per decade from 1 µs to 1000 s. */
  static final int BINS_PER_DECADE = 5;
  static final double HIST_MIN_LOG_MS = -3;
  static final int BINS = 9 * BINS_PER_DECADE;

  private final Path file;
  private final boolean all;
  private final String commandLine;
  private final long[] counts = new long[OUTCOMES];
  private final long[][] histogram = new long[OUTCOMES][BINS];
  private long matched;
  private long mismatched;
  private long total;
  private Instant start = Instant.now();

  // grid: row key -> (port >> portShift) -> counts per outcome + mismatches
  private final Map<String, GridRow> rows = new HashMap<>();
  private final java.util.Set<Integer> columns = new java.util.TreeSet<>();
  private int hostLevel; // 0: each address; 1: /24 (v4) or /120 (v6); 2: /16; 3: /8
  private int portShift; // a column holds 2^portShift ports
  private boolean overflowRow;

  private final List<TableRow> table = new ArrayList<>();
  private long tableDropped;

  private static final class GridRow {
    final String label;
    final byte[] address; // masked to the row's block; null for a name or the overflow row
    final TreeMap<Integer, int[]> cells = new TreeMap<>();

    GridRow(String label, byte[] address) {
      this.label = label;
      this.address = address;
    }
  }

  private record TableRow(String host, int port, String address, Outcome outcome, String errno,
      double ms, String expected, boolean matched, String answeredBy) {}

  private final List<dev.tcpdial.Trace> traces = new ArrayList<>();

  /**
   * A report to be written to {@code file}; {@code all}: the table lists refused results too.
   *
   * @param file where {@link #write} puts the page
   * @param all whether the table lists refused results that met their expectation (or had none)
   * @param commandLine the command as typed, shown on the page
   */
  public ScanReport(Path file, boolean all, String commandLine) {
    this.file = file;
    this.all = all;
    this.commandLine = commandLine;
  }

  /**
   * The scan starts now.
   *
   * @param at when the scan started, shown on the page; the construction time until it is set
   */
  public void begin(Instant at) {
    this.start = at;
  }

  /**
   * Adds one result; {@code expected} is null when nothing was expected.
   *
   * @param r the result
   * @param expected the outcome the target was expected to have, or {@code null}
   * @param matchedIt whether {@code r} met {@code expected}; ignored without one
   */
  public void add(DialResult r, PortState expected, boolean matchedIt) {
    Outcome o = r.outcome();
    counts[o.ordinal()]++;
    total++;
    boolean failedExpectation = expected != null && !matchedIt;
    if (expected != null) {
      if (matchedIt) {
        matched++;
      } else {
        mismatched++;
      }
    }
    double ms = r.elapsed().toNanos() / 1e6;
    histogram[o.ordinal()][bin(ms)]++;
    grid(r, failedExpectation);
    if (all || o != Outcome.REFUSED || failedExpectation) {
      if (table.size() < TABLE_LIMIT) {
        InetSocketAddress remote = r.remote();
        String addr = remote == null || remote.getAddress() == null ? null
            : Addresses.format(remote.getAddress());
        table.add(new TableRow(r.target().host(), r.target().port(), addr, o,
            r.errno() == null ? null : r.errno().name(), ms,
            expected == null ? null : expected.label(), !failedExpectation,
            r.icmp() == null ? null : r.icmp().label()));
      } else {
        tableDropped++;
      }
    }
  }

  /**
   * Adds a path trace of a host whose ports failed ({@code scan --trace-on-failure}): the page
   * lists where such ports stop.
   *
   * @param t the trace
   */
  public void where(dev.tcpdial.Trace t) {
    traces.add(t);
  }

  static int bin(double ms) {
    if (!(ms > 0)) {
      return 0;
    }
    int b = (int) Math.floor((Math.log10(ms) - HIST_MIN_LOG_MS) * BINS_PER_DECADE);
    return Math.max(0, Math.min(BINS - 1, b));
  }

  // ---- grid ----

  private void grid(DialResult r, boolean failedExpectation) {
    InetSocketAddress remote = r.remote();
    InetAddress a = remote == null ? null : remote.getAddress();
    if (a == null) {
      a = literal(r.target().host());
    }
    GridRow row = row(a, r.target().host());
    int col = r.target().port() >> portShift;
    int[] cell = row.cells.computeIfAbsent(col, k -> new int[OUTCOMES + 1]);
    cell[r.outcome().ordinal()]++;
    if (failedExpectation) {
      cell[MISMATCH]++;
    }
    if (columns.add(col) && columns.size() > MAX_COLUMNS) {
      foldPorts();
    }
  }

  private static InetAddress literal(String host) {
    if (host.isEmpty() || !(Character.digit(host.charAt(0), 16) >= 0 || host.indexOf(':') >= 0)) {
      return null;
    }
    try {
      // only a literal: InetAddress.ofLiteral never looks a name up
      return InetAddress.ofLiteral(host);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private GridRow row(InetAddress a, String host) {
    if (a == null) {
      String key = "name " + host;
      GridRow row = rows.get(key);
      if (row == null) {
        if (rows.size() >= MAX_ROWS) {
          return overflow();
        }
        row = new GridRow(host, null);
        rows.put(key, row);
      }
      return row;
    }
    while (true) {
      byte[] masked = mask(a.getAddress(), hostLevel);
      String key = key(masked, hostLevel);
      GridRow row = rows.get(key);
      if (row != null) {
        return row;
      }
      if (rows.size() < MAX_ROWS) {
        row = new GridRow(label(masked, hostLevel), masked);
        rows.put(key, row);
        return row;
      }
      if (hostLevel >= 3) {
        return overflow();
      }
      foldHosts();
    }
  }

  private GridRow overflow() {
    overflowRow = true;
    return rows.computeIfAbsent("overflow", k -> new GridRow("other hosts", null));
  }

  /** Hosts into the next wider block: /24, /16, /8 for IPv4 (8 bits fewer each for IPv6). */
  private void foldHosts() {
    hostLevel++;
    Map<String, GridRow> old = new HashMap<>(rows);
    rows.clear();
    for (GridRow r : old.values()) {
      if (r.address == null) {
        rows.put(r.label.equals("other hosts") ? "overflow" : "name " + r.label, r);
        continue;
      }
      byte[] masked = mask(r.address, hostLevel);
      GridRow into = rows.computeIfAbsent(key(masked, hostLevel),
          k -> new GridRow(label(masked, hostLevel), masked));
      r.cells.forEach((c, v) -> merge(into.cells, c, v));
    }
  }

  /** Ports into ranges twice as wide. */
  private void foldPorts() {
    while (columns.size() > MAX_COLUMNS) {
      portShift++;
      java.util.Set<Integer> cols = new java.util.TreeSet<>();
      for (Integer c : columns) {
        cols.add(c >> 1);
      }
      columns.clear();
      columns.addAll(cols);
      for (GridRow r : rows.values()) {
        TreeMap<Integer, int[]> old = new TreeMap<>(r.cells);
        r.cells.clear();
        old.forEach((c, v) -> merge(r.cells, c >> 1, v));
      }
    }
  }

  private static void merge(java.util.Map<Integer, int[]> cells, int col, int[] v) {
    int[] into = cells.computeIfAbsent(col, k -> new int[OUTCOMES + 1]);
    for (int i = 0; i < v.length; i++) {
      into[i] += v[i];
    }
  }

  private static byte[] mask(byte[] a, int level) {
    byte[] m = a.clone();
    for (int i = 0; i < level && i < m.length; i++) {
      m[m.length - 1 - i] = 0;
    }
    return m;
  }

  private static String key(byte[] masked, int level) {
    return level + "/" + java.util.HexFormat.of().formatHex(masked);
  }

  private static String label(byte[] masked, int level) {
    try {
      String a = Addresses.format(InetAddress.getByAddress(masked));
      return level == 0 ? a : a + "/" + (masked.length * 8 - 8 * level);
    } catch (java.net.UnknownHostException e) {
      return "?";
    }
  }

  private String columnLabel(int col) {
    if (portShift == 0) {
      return Integer.toString(col);
    }
    int lo = col << portShift;
    int hi = Math.min(65535, lo + (1 << portShift) - 1);
    return lo + "-" + hi;
  }

  // ---- page ----

  /**
   * Writes the page; false after one line on {@code err} when the file cannot be written.
   *
   * @param elapsed how long the scan took
   * @param err where the failure is told
   * @return true when the page was written
   */
  public boolean write(Duration elapsed, PrintWriter err) {
    return Page.write(file, html(elapsed), err, "tcpdial scan");
  }

  String html(Duration elapsed) {
    StringBuilder sb = new StringBuilder(64 * 1024 + table.size() * 80);
    Page.head(sb, "tcpdial scan report", commandLine, start, elapsed, List.of(SCRIPT));
    sb.append("<p class=\"meta\"><span id=\"total\">").append(Page.count(total))
        .append("</span> targets");
    if (matched + mismatched > 0) {
      sb.append(", expectations: ").append(Page.count(matched)).append(" held, ");
      sb.append(mismatched > 0 ? "<b style=\"color:#cf222e\">" : "<b>")
          .append("<span id=\"mismatched\">").append(Page.count(mismatched))
          .append("</span> failed</b>");
    }
    sb.append("</p>\n<h2>Outcomes</h2>\n<div class=\"counts\">\n");
    for (Outcome o : Outcome.values()) {
      if (counts[o.ordinal()] > 0) {
        sb.append("<div class=\"count\" data-outcome=\"").append(o.label()).append("\">")
            .append("<span class=\"sw o-").append(o.label()).append("\"></span>")
            .append(o.label()).append("<b>").append(Page.count(counts[o.ordinal()]))
            .append("</b></div>\n");
      }
    }
    if (mismatched > 0) {
      sb.append("<div class=\"count bad\" data-outcome=\"mismatch\">expectation failed<b>")
          .append(Page.count(mismatched)).append("</b></div>\n");
    }
    sb.append("</div>\n");
    grid(sb);
    histogram(sb);
    where(sb);
    table(sb);
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static final Outcome[] PRIORITY = {
    Outcome.CONNECTED, Outcome.PROHIBITED, Outcome.HOST_UNREACHABLE, Outcome.NETWORK_UNREACHABLE,
    Outcome.TIMEOUT, Outcome.RESOLUTION_FAILED, Outcome.NO_LOCAL_ADDRESS,
    Outcome.LOCAL_RESOURCES, Outcome.ERROR, Outcome.CANCELLED, Outcome.REFUSED,
  };

  private void grid(StringBuilder sb) {
    List<GridRow> sorted = new ArrayList<>(rows.values());
    sorted.sort((a, b) -> {
      if (a.address != null && b.address != null) {
        int c = Integer.compare(a.address.length, b.address.length);
        return c != 0 ? c : java.util.Arrays.compareUnsigned(a.address, b.address);
      }
      return a.address != null ? -1 : b.address != null ? 1 : a.label.compareTo(b.label);
    });
    List<Integer> cols = new ArrayList<>(columns);
    int labelW = 8;
    for (GridRow r : sorted) {
      labelW = Math.max(labelW, r.label.length());
    }
    int left = Math.min(300, labelW * 7 + 12);
    int cw = Math.max(6, Math.min(32, 900 / Math.max(1, cols.size())));
    int ch = 18;
    int top = 70;
    int w = left + cw * cols.size() + 10;
    int h = top + ch * sorted.size() + 10;
    sb.append("<h2>Hosts \u00d7 ports</h2>\n<p class=\"note\">");
    sb.append(sorted.size()).append(" row").append(sorted.size() == 1 ? "" : "s");
    if (hostLevel > 0) {
      sb.append(" (hosts grouped by address block)");
    }
    sb.append(" \u00d7 ").append(cols.size()).append(" column").append(cols.size() == 1 ? "" : "s");
    if (portShift > 0) {
      sb.append(" (ports in ranges of ").append(1 << portShift).append(')');
    }
    if (overflowRow) {
      sb.append("; further hosts in one row");
    }
    sb.append(". A cell takes the colour of its most telling outcome (connected first, refused"
        + " last); hover for its numbers. A red frame: an expectation failed there.</p>\n");
    sb.append("<svg id=\"grid\" width=\"").append(w).append("\" height=\"").append(h)
        .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h)
        .append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    int every = Math.max(1, (int) Math.ceil(cols.size() / (double) Math.max(1, 900 / 40)));
    for (int c = 0; c < cols.size(); c++) {
      if (c % every == 0) {
        int x = left + c * cw + cw / 2;
        sb.append("<text transform=\"translate(").append(x).append(',').append(top - 6)
            .append(") rotate(-50)\">").append(columnLabel(cols.get(c))).append("</text>");
      }
    }
    sb.append('\n');
    for (int r = 0; r < sorted.size(); r++) {
      GridRow row = sorted.get(r);
      int y = top + r * ch;
      sb.append("<text x=\"").append(left - 6).append("\" y=\"").append(y + 13)
          .append("\" text-anchor=\"end\">");
      Page.esc(sb, row.label).append("</text>");
      for (int c = 0; c < cols.size(); c++) {
        int[] cell = row.cells.get(cols.get(c));
        if (cell == null) {
          continue;
        }
        Outcome shown = Outcome.REFUSED;
        for (Outcome o : PRIORITY) {
          if (cell[o.ordinal()] > 0) {
            shown = o;
            break;
          }
        }
        sb.append("<rect class=\"cell o-").append(shown.label()).append("\" x=\"")
            .append(left + c * cw + 1).append("\" y=\"").append(y + 1).append("\" width=\"")
            .append(cw - 2).append("\" height=\"").append(ch - 2).append('"');
        if (cell[MISMATCH] > 0) {
          sb.append(" stroke=\"#cf222e\" stroke-width=\"2\"");
        }
        sb.append(" data-host=\"");
        Page.esc(sb, row.label).append("\" data-port=\"").append(columnLabel(cols.get(c)))
            .append("\"><title>");
        Page.esc(sb, row.label).append(portShift == 0 ? " port " : " ports ")
            .append(columnLabel(cols.get(c))).append(':');
        for (Outcome o : Outcome.values()) {
          if (cell[o.ordinal()] > 0) {
            sb.append(' ').append(Page.count(cell[o.ordinal()])).append(' ').append(o.label())
                .append(',');
          }
        }
        sb.setLength(sb.length() - 1);
        if (cell[MISMATCH] > 0) {
          sb.append("; ").append(cell[MISMATCH]).append(" expectation(s) failed");
        }
        sb.append("</title></rect>");
      }
      sb.append('\n');
    }
    sb.append("</svg>\n");
  }

  private void histogram(StringBuilder sb) {
    int lo = BINS;
    int hi = -1;
    List<Outcome> present = new ArrayList<>();
    for (Outcome o : Outcome.values()) {
      long[] h = histogram[o.ordinal()];
      boolean any = false;
      for (int b = 0; b < BINS; b++) {
        if (h[b] > 0) {
          lo = Math.min(lo, b);
          hi = Math.max(hi, b);
          any = true;
        }
      }
      if (any) {
        present.add(o);
      }
    }
    sb.append("<h2>Connect times</h2>\n");
    if (present.isEmpty()) {
      sb.append("<p class=\"note\">no results</p>\n");
      return;
    }
    lo = Math.max(0, lo - 1);
    hi = Math.min(BINS - 1, hi + 1);
    int nb = hi - lo + 1;
    int left = 190;
    int bw = Math.max(8, Math.min(40, 760 / nb));
    int rowH = 56;
    int w = left + bw * nb + 20;
    int h = rowH * present.size() + 34;
    sb.append("<p class=\"note\">One row per outcome, each scaled to its own largest bar;"
        + " time on a log scale, five bins a decade. Hover a bar for its count.</p>\n");
    sb.append("<svg id=\"histogram\" width=\"").append(w).append("\" height=\"").append(h)
        .append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    for (int i = 0; i < present.size(); i++) {
      Outcome o = present.get(i);
      long[] hgram = histogram[o.ordinal()];
      long max = 1;
      for (int b = lo; b <= hi; b++) {
        max = Math.max(max, hgram[b]);
      }
      int base = i * rowH + rowH - 6;
      sb.append("<text x=\"").append(left - 8).append("\" y=\"").append(base - 18)
          .append("\" text-anchor=\"end\">").append(o.label()).append(" (")
          .append(Page.count(counts[o.ordinal()])).append(")</text>");
      sb.append("<line x1=\"").append(left).append("\" x2=\"").append(left + bw * nb)
          .append("\" y1=\"").append(base).append("\" y2=\"").append(base)
          .append("\" stroke=\"#d0d7de\"/>");
      for (int b = lo; b <= hi; b++) {
        if (hgram[b] == 0) {
          continue;
        }
        int bh = (int) Math.max(2, Math.round((rowH - 14) * (double) hgram[b] / max));
        sb.append("<rect class=\"bar o-").append(o.label()).append("\" x=\"")
            .append(left + (b - lo) * bw + 1).append("\" y=\"").append(base - bh)
            .append("\" width=\"").append(bw - 2).append("\" height=\"").append(bh)
            .append("\"><title>").append(o.label()).append(' ').append(binLabel(b)).append(": ")
            .append(Page.count(hgram[b])).append("</title></rect>");
      }
      sb.append('\n');
    }
    int axis = rowH * present.size() + 14;
    for (int b = lo; b <= hi + 1; b++) {
      if (b % BINS_PER_DECADE == 0) {
        sb.append("<text x=\"").append(left + (b - lo) * bw).append("\" y=\"").append(axis)
            .append("\" text-anchor=\"middle\">").append(decade(b)).append("</text>");
      }
    }
    sb.append("</svg>\n");
  }

  private static String decade(int bin) {
    double ms = Math.pow(10, HIST_MIN_LOG_MS + (double) bin / BINS_PER_DECADE);
    if (ms < 1) {
      return Math.round(ms * 1000) + " \u00b5s";
    }
    if (ms < 1000) {
      return Math.round(ms) + " ms";
    }
    return Math.round(ms / 1000) + " s";
  }

  private static String binLabel(int b) {
    double from = Math.pow(10, HIST_MIN_LOG_MS + (double) b / BINS_PER_DECADE);
    double to = Math.pow(10, HIST_MIN_LOG_MS + (double) (b + 1) / BINS_PER_DECADE);
    return String.format(java.util.Locale.ROOT, "%.3g\u2013%.3g ms", from, to);
  }

  /** Where filtered ports stop: a row per traced host, its verdict and the last hops. */
  private void where(StringBuilder sb) {
    if (traces.isEmpty()) {
      return;
    }
    sb.append("<h2>Where failed ports stop</h2>\n<p class=\"note\">A path trace of one failed port"
        + " per host (the first seen): probes with TTL 1, 2, ... on one flow.</p>\n");
    sb.append("<table id=\"where\"><thead><tr><th>traced</th><th>verdict</th><th>hops"
        + "</th></tr></thead><tbody>\n");
    for (dev.tcpdial.Trace t : traces) {
      StringBuilder hops = new StringBuilder();
      for (dev.tcpdial.Trace.Hop h : t.hops()) {
        hops.append(hops.isEmpty() ? "" : " \u2192 ").append(h.ttl()).append(' ')
            .append(h.addresses().isEmpty() ? "*" : Addresses.format(h.addresses().getFirst()));
      }
      sb.append("<tr class=\"row\" data-kind=\"").append(t.verdict().kind().label())
          .append("\"><td>");
      Page.esc(sb, t.target().toString()).append("</td><td>");
      Page.esc(sb, t.verdict().line()).append("</td><td>");
      Page.esc(sb, hops.toString()).append("</td></tr>\n");
    }
    sb.append("</tbody></table>\n");
  }

  private void table(StringBuilder sb) {
    sb.append("<h2>Results</h2>\n<p class=\"note\">");
    sb.append(all ? "Every result" : "Every result that is not <i>refused</i> (and every failed"
        + " expectation)");
    sb.append(": <span id=\"rowcount\">").append(Page.count(table.size())).append("</span> row")
        .append(table.size() == 1 ? "" : "s");
    if (tableDropped > 0) {
      sb.append("; <b>").append(Page.count(tableDropped)).append(" more not kept</b> (at most ")
          .append(Page.count(TABLE_LIMIT)).append(" rows; the counts above include them)");
    }
    sb.append(". Click a heading to sort; type to filter.</p>\n");
    sb.append("<div class=\"controls\"><input id=\"filter\" type=\"search\" placeholder=\"filter"
        + " (host, port, outcome, errno...)\" size=\"40\"> <select id=\"outcome\"><option value=\"\">"
        + "every outcome</option>");
    for (Outcome o : Outcome.values()) {
      if (counts[o.ordinal()] > 0 && (all || o != Outcome.REFUSED || mismatched > 0)) {
        sb.append("<option>").append(o.label()).append("</option>");
      }
    }
    sb.append("</select> <span id=\"shown\" class=\"note\"></span></div>\n");
    sb.append("<table id=\"results\"><thead><tr><th data-k=\"0\">host</th><th data-k=\"1\">port</th>"
        + "<th data-k=\"2\">address</th><th data-k=\"3\">outcome</th><th data-k=\"4\">errno</th>"
        + "<th data-k=\"8\">answered by</th>"
        + "<th data-k=\"5\">time ms</th><th data-k=\"6\">expected</th></tr></thead><tbody>"
        + "</tbody></table>\n");
    sb.append("<script id=\"rows\" type=\"application/json\">[");
    for (int i = 0; i < table.size(); i++) {
      TableRow t = table.get(i);
      if (i > 0) {
        sb.append(",\n");
      }
      sb.append('[');
      Page.jsonString(sb, t.host()).append(',').append(t.port()).append(',');
      Page.jsonString(sb, t.address()).append(",\"").append(t.outcome().label()).append("\",");
      Page.jsonString(sb, t.errno()).append(',').append(Page.ms(t.ms())).append(',');
      Page.jsonString(sb, t.expected()).append(',').append(t.matched() ? 1 : 0).append(',');
      Page.jsonString(sb, t.answeredBy()).append(']');
    }
    sb.append("]</script>\n<script>").append(SCRIPT).append("</script>\n");
  }

  /**
   * Renders the table from the JSON rows: 500 at a time ("more" adds 500), sorted by the clicked
   * column, filtered by the text box (any cell contains it) and the outcome menu.
   */
  static final String TABLE_JS = """
      (function(){
      const rows=JSON.parse(document.getElementById('rows').textContent);
      const body=document.querySelector('#results tbody');
      const filter=document.getElementById('filter'),menu=document.getElementById('outcome');
      const shown=document.getElementById('shown');
      let key=-1,dir=1,limit=500,view=rows;
      function td(tr,text,cls){const c=document.createElement('td');c.textContent=text==null?'-':text;if(cls)c.className=cls;tr.appendChild(c);}
      function draw(){
        const q=filter.value.trim().toLowerCase(),o=menu.value;
        view=rows.filter(r=>(!o||r[3]===o)&&(!q||r.some(v=>v!=null&&String(v).toLowerCase().includes(q))));
        if(key>=0){view=view.slice().sort((a,b)=>{const x=a[key],y=b[key];
          if(x===y)return 0;if(x==null)return 1;if(y==null)return -1;
          return (typeof x==='number'&&typeof y==='number'?x-y:String(x).localeCompare(String(y),undefined,{numeric:true}))*dir;});}
        const f=document.createDocumentFragment();
        for(const r of view.slice(0,limit)){const tr=document.createElement('tr');tr.className='row';
          if(r[7]===0)tr.classList.add('mismatch');
          td(tr,r[0]);td(tr,r[1],'num');td(tr,r[2]);
          const oc=document.createElement('td');const sw=document.createElement('span');sw.className='sw o-'+r[3];oc.appendChild(sw);oc.appendChild(document.createTextNode(r[3]));tr.appendChild(oc);
          td(tr,r[4]);td(tr,r[8]);td(tr,r[5].toFixed(3),'num');td(tr,r[6]==null?null:r[6]+(r[7]?' ok':' FAILED'),'exp');f.appendChild(tr);}
        body.replaceChildren(f);
        shown.textContent=view.length+' of '+rows.length+' rows'+(view.length>limit?', first '+limit+' shown ':'');
        if(view.length>limit){const b=document.createElement('button');b.textContent='more';b.onclick=()=>{limit+=500;draw();};shown.appendChild(b);}
      }
      document.querySelectorAll('#results th').forEach(th=>th.addEventListener('click',()=>{
        const k=+th.dataset.k;dir=key===k?-dir:1;key=k;
        document.querySelectorAll('#results th').forEach(h=>h.className='');th.className=dir>0?'asc':'desc';draw();}));
      filter.addEventListener('input',()=>{limit=500;draw();});menu.addEventListener('change',()=>{limit=500;draw();});
      draw();
      })();
      """;

  /** The page's one script, exactly as between its tags: the policy allows it by its hash. */
  static final String SCRIPT = "\n" + TABLE_JS;
}
