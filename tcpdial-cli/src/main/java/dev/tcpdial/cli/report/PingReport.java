package dev.tcpdial.cli.report;

import dev.tcpdial.DialResult;
import dev.tcpdial.Outcome;
import dev.tcpdial.cli.plot.Figures;
import dev.tcpdial.cli.plot.PingSink;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HTML report of a ping run ({@code tcpdial ping --report FILE.html}): connect times over
 * time per target, the failures where they happened, the outages as bands and the statistics the
 * text summary prints. Memory is bounded for runs of any length: each target's results fold into
 * at most {@link #BUCKETS} time buckets (min, mean, max, failures by outcome), each twice as wide
 * when the run outgrows them; at most {@link #MAX_OUTAGES} outages per target are drawn.
 */
public final class PingReport implements PingSink {
  /** Time buckets per target at most. */
  public static final int BUCKETS = 1200;

  /** Outages drawn per target at most. */
  public static final int MAX_OUTAGES = 2000;

  private static final int OUTCOMES = Outcome.values().length;

  private final Path file;
  private final List<String> names;
  private final String commandLine;
  private final long intervalMillis;
  private long bucketMillis;
  private long origin = Long.MIN_VALUE;
  private long last = Long.MIN_VALUE;
  private final Bucket[][] buckets;
  private final List<List<Band>> outages = new ArrayList<>();
  private final List<List<String>> statistics = new ArrayList<>();

  private static final class Bucket {
    long connected;
    double min = Double.POSITIVE_INFINITY;
    double max;
    double sum;
    long firstUp = Long.MAX_VALUE; // when its first and last connected probe ended, epoch ms
    long lastUp = Long.MIN_VALUE;
    final long[] failed = new long[OUTCOMES];

    void merge(Bucket b) {
      connected += b.connected;
      min = Math.min(min, b.min);
      max = Math.max(max, b.max);
      sum += b.sum;
      firstUp = Math.min(firstUp, b.firstUp);
      lastUp = Math.max(lastUp, b.lastUp);
      for (int i = 0; i < OUTCOMES; i++) {
        failed[i] += b.failed[i];
      }
    }
  }

  private record Band(long down, long up, String reason, long failed) {}

  private PingReport(Path file, List<String> names, Duration interval, String commandLine) {
    this.file = file;
    this.names = List.copyOf(names);
    this.commandLine = commandLine;
    this.intervalMillis = Math.max(1, interval.toMillis());
    this.bucketMillis = intervalMillis;
    this.buckets = new Bucket[names.size()][BUCKETS];
    for (int i = 0; i < names.size(); i++) {
      outages.add(new ArrayList<>());
      statistics.add(List.of());
    }
  }

  /**
   * A report of the targets {@code names} to be written to {@code file}.
   *
   * @param file where {@link #write} puts the page
   * @param names the targets, in the order of the {@code index} of each result
   * @param interval the time between two probes of one target: the narrowest time bucket
   * @param commandLine the command as typed, shown on the page
   * @return an empty report; results come through the {@link PingSink} calls
   */
  public static PingReport create(Path file, List<String> names, Duration interval,
      String commandLine) {
    return new PingReport(file, names, interval, commandLine);
  }

  @Override
  public void begin(Instant start) {
    if (origin == Long.MIN_VALUE) {
      origin = start.toEpochMilli();
    }
  }

  @Override
  public void result(int index, long seq, Instant started, DialResult r, Figures figures) {
    begin(started);
    long t = Math.max(0, started.toEpochMilli() - origin);
    last = Math.max(last, started.toEpochMilli() + r.elapsed().toMillis());
    while (t / bucketMillis >= BUCKETS) {
      fold();
    }
    int at = (int) (t / bucketMillis);
    Bucket b = buckets[index][at];
    if (b == null) {
      b = buckets[index][at] = new Bucket();
    }
    if (r.connected()) {
      double ms = r.elapsed().toNanos() / 1e6;
      long ended = started.plus(r.elapsed()).toEpochMilli(); // as the statistics time an outage
      b.firstUp = Math.min(b.firstUp, ended);
      b.lastUp = Math.max(b.lastUp, ended);
      b.connected++;
      b.min = Math.min(b.min, ms);
      b.max = Math.max(b.max, ms);
      b.sum += ms;
    } else {
      b.failed[r.outcome().ordinal()]++;
    }
  }

  /** Buckets twice as wide: pairs merge. */
  private void fold() {
    bucketMillis *= 2;
    for (Bucket[] series : buckets) {
      for (int i = 0; i < BUCKETS; i++) {
        Bucket a = i * 2 < BUCKETS ? series[i * 2] : null;
        Bucket b = i * 2 + 1 < BUCKETS ? series[i * 2 + 1] : null;
        if (a != null && b != null) {
          a.merge(b);
        }
        series[i] = a != null ? a : b;
      }
    }
  }

  /**
   * One outage of target {@code index}, as the statistics list it; beyond {@link #MAX_OUTAGES}
   * of a target, ignored.
   *
   * @param index the target's position in the names given
   * @param down when it went down
   * @param up when it came back, or the run's end for an outage still going on
   * @param reason the outage's outcome (and errno)
   * @param failed the probes that failed during it
   */
  public void outage(int index, Instant down, Instant up, String reason, long failed) {
    List<Band> list = outages.get(index);
    if (list.size() < MAX_OUTAGES) {
      list.add(new Band(down.toEpochMilli(), up.toEpochMilli(), reason, failed));
    }
  }

  /**
   * The text summary of target {@code index}, shown as it is.
   *
   * @param index the target's position in the names given
   * @param lines the summary's lines, replacing any given before
   */
  public void statistics(int index, List<String> lines) {
    statistics.set(index, List.copyOf(lines));
  }

  @Override
  public void close() {
    // written by write(), once the statistics are known
  }

  /**
   * Writes the page; false after one line on {@code err} when the file cannot be written.
   *
   * @param end when the run ended: the time axis reaches at least this far
   * @param elapsed how long the run took
   * @param err where the failure is told
   * @return true when the page was written
   */
  public boolean write(Instant end, Duration elapsed, PrintWriter err) {
    return Page.write(file, html(end, elapsed), err, "tcpdial ping");
  }

  /**
   * The targets' colours: none is, or is near, an outcome's colour ({@link Page#colour}), so a
   * target that never connected is never drawn in the colour that means connected, and a
   * failure mark never looks like a series.
   */
  static final String[] SERIES = {"#00a3a3", "#e0409a", "#7a6a00", "#3b3bff", "#ff7f50",
      "#006d6d"};
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  String html(Instant end, Duration elapsed) {
    long start = origin == Long.MIN_VALUE ? end.toEpochMilli() : origin;
    StringBuilder sb = new StringBuilder(32 * 1024);
    Page.head(sb, "tcpdial ping report", commandLine, Instant.ofEpochMilli(start), elapsed,
        List.of());
    sb.append("<p class=\"meta\">").append(names.size()).append(" target")
        .append(names.size() == 1 ? "" : "s").append(", a probe every ")
        .append(intervalMillis).append(" ms</p>\n");
    sb.append("<h2>Connect times</h2>\n<div class=\"counts\">");
    for (int i = 0; i < names.size(); i++) {
      sb.append("<div class=\"count\"><span class=\"sw\" style=\"background:")
          .append(SERIES[i % SERIES.length]).append("\"></span>");
      Page.esc(sb, names.get(i)).append("</div>");
    }
    sb.append("</div>\n");
    chart(sb, start, Math.max(end.toEpochMilli(), last));
    sb.append("<h2>Statistics</h2>\n");
    for (int i = 0; i < names.size(); i++) {
      sb.append("<pre class=\"stats\">");
      for (String line : statistics.get(i)) {
        Page.esc(sb, line).append('\n');
      }
      sb.append("</pre>\n");
    }
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private void chart(StringBuilder sb, long start, long stop) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (Bucket[] series : buckets) {
      for (Bucket b : series) {
        if (b != null && b.connected > 0) {
          lo = Math.min(lo, b.min);
          hi = Math.max(hi, b.max);
        }
      }
    }
    boolean any = hi > 0;
    boolean log = any && lo > 0 && hi / lo >= 20;
    double y0;
    double y1;
    if (!any) {
      y0 = 0;
      y1 = 1;
    } else if (log) {
      y0 = Math.floor(Math.log10(lo));
      y1 = Math.ceil(Math.log10(hi));
      if (y1 <= y0) {
        y1 = y0 + 1;
      }
    } else {
      y0 = 0;
      y1 = niceCeil(hi * 1.1);
    }
    int left = 70;
    int width = 900;
    int top = 10;
    int height = 280;
    int laneH = 16;
    int gapH = 8;
    int lanes = names.size();
    int axisY = top + height + gapH + lanes * laneH + 4;
    int w = left + width + 40; // room for the last clock label, centred on the right edge
    int h = axisY + 30;
    long span = Math.max(stop - start, intervalMillis);
    sb.append("<p class=\"note\">Connect time of each probe (min to max and the mean per"
        + " time step when the run is long), ").append(log ? "log scale" : "linear scale")
        .append("; failures by outcome in the lanes below, each target's outages as red bands."
            + " Hover for the numbers.</p>\n");
    sb.append("<svg id=\"latency\" width=\"").append(w).append("\" height=\"").append(h)
        .append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    // y grid and labels
    int ticks = log ? (int) (y1 - y0) : 5;
    for (int k = 0; k <= ticks; k++) {
      double v = y0 + (y1 - y0) * k / ticks;
      double y = top + height - height * (double) k / ticks;
      sb.append("<line x1=\"").append(left).append("\" x2=\"").append(left + width)
          .append("\" y1=\"").append(Page.num(y)).append("\" y2=\"").append(Page.num(y))
          .append("\" stroke=\"#eaeef2\"/><text x=\"").append(left - 6).append("\" y=\"")
          .append(Page.num(y + 4)).append("\" text-anchor=\"end\">")
          .append(fmt(log ? Math.pow(10, v) : v)).append(" ms</text>");
    }
    sb.append('\n');
    // outage bands: in the target's lane, and over the plot too when there is one target
    for (int i = 0; i < lanes; i++) {
      for (Band b : outages.get(i)) {
        double x0 = left + width * (double) (b.down() - start) / span;
        double x1 = left + width * (double) (b.up() - start) / span;
        double bw = Math.max(1, x1 - x0);
        int by = lanes == 1 ? top : top + height + gapH + i * laneH;
        int bh = lanes == 1 ? height + gapH + laneH : laneH - 2;
        sb.append("<rect class=\"outage\" x=\"").append(Page.num(x0)).append("\" y=\"")
            .append(by).append("\" width=\"").append(Page.num(bw)).append("\" height=\"")
            .append(bh).append("\" fill=\"#cf222e\" fill-opacity=\"0.12\">")
            .append("<title>");
        Page.esc(sb, names.get(i)).append(" down ").append(clock(b.down())).append(" to ")
            .append(clock(b.up())).append(" (");
        Page.esc(sb, b.reason()).append("), ").append(b.failed()).append(" failed probe")
            .append(b.failed() == 1 ? "" : "s").append("</title></rect>\n");
      }
    }
    // series
    for (int i = 0; i < lanes; i++) {
      String colour = SERIES[i % SERIES.length];
      StringBuilder path = new StringBuilder();
      boolean gap = false; // a bucket where nothing connected came since the last point
      Bucket last = null; // of the last point drawn
      int laneTop = top + height + gapH + i * laneH + 2;
      sb.append("<g class=\"series\" data-target=\"");
      Page.esc(sb, names.get(i)).append("\">");
      for (int k = 0; k < BUCKETS; k++) {
        Bucket b = buckets[i][k];
        if (b == null) {
          continue;
        }
        // a bucket of one probe sits at its start; a wider one at its middle
        long at = k * bucketMillis + (bucketMillis == intervalMillis ? 0 : bucketMillis / 2);
        double x = left + width * (double) at / span;
        if (b.connected > 0) {
          double mean = b.sum / b.connected;
          double ym = y(mean, log, y0, y1, top, height);
          // the line stops where the target was down: no segment across an outage, even one
          // inside wide buckets that also hold connected probes
          boolean broken = last == null || gap || downBetween(i, last.lastUp, b.firstUp);
          path.append(broken ? "M" : "L").append(Page.num(x)).append(',').append(Page.num(ym));
          gap = false;
          last = b;
          if (b.max > b.min) {
            sb.append("<line x1=\"").append(Page.num(x)).append("\" x2=\"").append(Page.num(x))
                .append("\" y1=\"").append(Page.num(y(b.min, log, y0, y1, top, height)))
                .append("\" y2=\"").append(Page.num(y(b.max, log, y0, y1, top, height)))
                .append("\" stroke=\"").append(colour).append("\" stroke-opacity=\"0.35\"/>");
          }
          sb.append("<circle class=\"probe\" cx=\"").append(Page.num(x)).append("\" cy=\"")
              .append(Page.num(ym)).append("\" r=\"2\" fill=\"").append(colour).append("\"><title>")
              .append(clock(start + k * bucketMillis)).append(": ")
              .append(b.connected == 1 ? Page.ms(mean) + " ms"
                  : b.connected + " connected, " + Page.ms(b.min) + " to " + Page.ms(b.max)
                      + " ms, mean " + Page.ms(mean))
              .append("</title></circle>");
        } else {
          gap = true; // nothing connected in this step: the line breaks
        }
        for (Outcome o : Outcome.values()) {
          long n = b.failed[o.ordinal()];
          if (n > 0) {
            sb.append("<rect class=\"fail o-").append(o.label()).append("\" x=\"")
                .append(Page.num(x - 2)).append("\" y=\"").append(laneTop)
                .append("\" width=\"4\" height=\"").append(laneH - 4).append("\"><title>")
                .append(clock(start + k * bucketMillis)).append(": ").append(n).append(' ')
                .append(o.label()).append("</title></rect>");
          }
        }
      }
      sb.append("</g>\n");
      if (!path.isEmpty()) {
        sb.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colour)
            .append("\" stroke-width=\"1.2\"/>\n");
      }
      sb.append("<text x=\"").append(left - 6).append("\" y=\"").append(laneTop + 9)
          .append("\" text-anchor=\"end\" style=\"fill:").append(colour)
          .append("\">failed</text>\n");
    }
    // time axis
    sb.append("<line x1=\"").append(left).append("\" x2=\"").append(left + width)
        .append("\" y1=\"").append(axisY).append("\" y2=\"").append(axisY)
        .append("\" stroke=\"#8c959f\"/>");
    for (int k = 0; k <= 6; k++) {
      long t = start + span * k / 6;
      sb.append("<text x=\"").append(left + width * k / 6).append("\" y=\"").append(axisY + 16)
          .append("\" text-anchor=\"middle\">")
          .append(span < 60_000 ? clockTenths(t) : clock(t)).append("</text>");
    }
    sb.append("\n</svg>\n");
  }

  /** True when an outage of target {@code i} lies between two connected probes' ends. */
  private boolean downBetween(int i, long from, long to) {
    for (Band band : outages.get(i)) {
      if (band.down() < to && band.up() > from) {
        return true;
      }
    }
    return false;
  }

  private static double y(double ms, boolean log, double y0, double y1, int top, int height) {
    double v = log ? Math.log10(Math.max(ms, 1e-6)) : ms;
    double f = (v - y0) / (y1 - y0);
    return top + height - height * Math.max(0, Math.min(1, f));
  }

  private static double niceCeil(double v) {
    if (v <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String fmt(double ms) {
    if (ms == 0) {
      return "0";
    }
    if (ms < 1) {
      return String.format(Locale.ROOT, "%.3g", ms);
    }
    return ms < 10 ? String.format(Locale.ROOT, "%.2g", ms) : String.format(Locale.ROOT, "%.0f", ms);
  }

  private static String clockTenths(long epochMillis) {
    return LocalTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneId.systemDefault())
        .format(DateTimeFormatter.ofPattern("HH:mm:ss.S"));
  }

  private static String clock(long epochMillis) {
    return LocalTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneId.systemDefault())
        .format(CLOCK);
  }
}
