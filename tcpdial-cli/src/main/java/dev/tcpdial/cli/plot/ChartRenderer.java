package dev.tcpdial.cli.plot;

import dev.tcpdial.Outcome;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

/**
 * Draws a {@link PingHistory.Snapshot} as the lines of a terminal screen: a pure function of the
 * snapshot, the size, the time and the style, so it is tested without a terminal.
 *
 * <p>Layout, top to bottom: a title; the plot (connect time on y, left labels in ms, one column
 * per probe interval, now at the right); one failure lane per target, however many there are (the
 * outcome's letter where a probe failed, {@code ░} while the target is down); the time axis with
 * clock labels; the legend; the footer with each target's running statistics and its outage, if
 * any (as many targets as fit; the statistics at the end have every one). Columns in which every
 * target is down are shaded in the plot too.
 */
public final class ChartRenderer {
  private ChartRenderer() {}

  /** Smallest screen the chart is drawn on; below it a message says so. */
  public static final int MIN_WIDTH = 40;

  /** Smallest screen height the chart is drawn on. */
  public static final int MIN_HEIGHT = 12;

  /** Spread (max/min of the connect times shown) from which the y axis is logarithmic. */
  static final double LOG_SPREAD = 20;

  /** Width of the y labels, the axis character included. */
  static final int MARGIN = 10;

  /** Columns between two clock labels on the time axis. */
  static final int LABEL_STEP = 16;

  /**
   * How to draw.
   *
   * @param colour ANSI colours (off under NO_COLOR)
   * @param unicode box-drawing characters and symbols (off when the terminal is not UTF-8)
   * @param zone the time zone of the clock labels
   * @param title the first line
   */
  public record Style(boolean colour, boolean unicode, ZoneId zone, String title) {}

  private static final String MARKERS_UNICODE = "●◆▲■✚★";
  private static final String MARKERS_ASCII = "*+o#@%";
  /**
   * The targets' colours: none of the outcomes' (green connected, red refused, yellow timeout,
   * magenta unreachable, as in the text output and the reports), so a series never says an
   * outcome; the marker tells series of one colour apart.
   */
  private static final int[] SERIES_COLOURS = {
    AttributedStyle.CYAN, AttributedStyle.BLUE, AttributedStyle.WHITE,
    AttributedStyle.BRIGHT + AttributedStyle.CYAN, AttributedStyle.BRIGHT + AttributedStyle.BLUE,
    AttributedStyle.BRIGHT + AttributedStyle.WHITE,
  };
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  /** The letter marking a failed probe of outcome {@code o} in the chart. */
  static char letter(Outcome o) {
    return switch (o) {
      case CONNECTED -> '.';
      case REFUSED -> 'R';
      case TIMEOUT -> 'T';
      case HOST_UNREACHABLE -> 'H';
      case NETWORK_UNREACHABLE -> 'N';
      case PROHIBITED -> 'P';
      case NO_LOCAL_ADDRESS -> 'A';
      case LOCAL_RESOURCES -> 'L';
      case RESOLUTION_FAILED -> 'D';
      case CANCELLED -> 'C';
      case ERROR -> 'E';
    };
  }

  /**
   * The margin of target {@code i}'s failure lane: its marker and "failed", or with more targets
   * than markers its marker and number (as the legend names it); then the axis.
   */
  static String lane(int i, int n, boolean unicode) {
    return pad(marker(i, unicode) + (n > MARKERS_ASCII.length() ? " " + (i + 1) : " failed"),
        MARGIN - 1) + (unicode ? '│' : '|');
  }

  /** The marker of series {@code i}. */
  static char marker(int i, boolean unicode) {
    String m = unicode ? MARKERS_UNICODE : MARKERS_ASCII;
    return m.charAt(i % m.length());
  }

  private static int outcomeColour(Outcome o) {
    return switch (o) {
      case REFUSED -> AttributedStyle.RED;
      case TIMEOUT -> AttributedStyle.YELLOW;
      case HOST_UNREACHABLE, NETWORK_UNREACHABLE, PROHIBITED -> AttributedStyle.MAGENTA;
      default -> AttributedStyle.WHITE;
    };
  }

  /** A screen of cells, each a character and a style. */
  private static final class Canvas {
    final int width;
    final char[][] chars;
    final AttributedStyle[][] styles;

    Canvas(int width, int height) {
      this.width = width;
      chars = new char[height][width];
      styles = new AttributedStyle[height][width];
      for (int r = 0; r < height; r++) {
        java.util.Arrays.fill(chars[r], ' ');
        java.util.Arrays.fill(styles[r], AttributedStyle.DEFAULT);
      }
    }

    void put(int row, int col, char c, AttributedStyle s) {
      if (row >= 0 && row < chars.length && col >= 0 && col < width) {
        chars[row][col] = c;
        styles[row][col] = s;
      }
    }

    void text(int row, int col, String t, AttributedStyle s) {
      for (int i = 0; i < t.length(); i++) {
        put(row, col + i, t.charAt(i), s);
      }
    }

    List<AttributedString> lines() {
      List<AttributedString> out = new ArrayList<>(chars.length);
      for (int r = 0; r < chars.length; r++) {
        AttributedStringBuilder sb = new AttributedStringBuilder(width);
        int end = width;
        while (end > 0 && chars[r][end - 1] == ' ' && styles[r][end - 1] == AttributedStyle.DEFAULT) {
          end--;
        }
        for (int c = 0; c < end; c++) {
          sb.style(styles[r][c]).append(chars[r][c]);
        }
        out.add(sb.toAttributedString());
      }
      return out;
    }
  }

  /**
   * The screen for {@code s} at {@code nowMillis}, exactly {@code height} lines; on a screen
   * smaller than {@link #MIN_WIDTH} x {@link #MIN_HEIGHT}, or too small for the plot, two lines
   * saying so instead.
   *
   * @param s the history to draw
   * @param width the screen's columns
   * @param height the screen's rows
   * @param nowMillis the time of the rightmost column, epoch milliseconds
   * @param style how to draw
   * @return {@code height} lines (at least one), trailing blanks dropped
   */
  public static List<AttributedString> render(PingHistory.Snapshot s, int width, int height,
      long nowMillis, Style style) {
    Canvas cv = new Canvas(Math.max(1, width), Math.max(1, height));
    int n = s.series().size();
    int lanes = n; // one per target: a shared lane would show only one target's letter a column
    int plotCols = width - MARGIN - 1; // the last column stays empty: no wrap at the margin
    List<String> legend = legend(s, width - 1, style);
    // the footer's rows: its heading and a row per target, fewer when the screen is short (the
    // statistics printed at the end have every target), never at the plot's expense
    int room = height - 1 - lanes - 2 - legend.size() - 3;
    int footerTargets = Math.max(0, Math.min(n, room - 1));
    int footer = room >= 1 ? 1 + footerTargets : 0;
    if (footerTargets < n && footer > 1) {
      footerTargets--; // a row says how many more
    }
    int plotRows = height - 1 - lanes - 2 - legend.size() - footer;
    if (width < MIN_WIDTH || height < MIN_HEIGHT || plotRows < 3 || plotCols < 10) {
      cv.text(0, 0, clip("terminal " + width + "x" + height + " too small for the chart", width - 1),
          AttributedStyle.DEFAULT);
      cv.text(1, 0, clip("(needs " + MIN_WIDTH + "x" + Math.max(MIN_HEIGHT, height - plotRows + 3)
          + "); resize it, or run with --no-plot", width - 1), AttributedStyle.DEFAULT);
      return cv.lines();
    }
    AttributedStyle plain = AttributedStyle.DEFAULT;
    AttributedStyle faint = style.colour() ? plain.faint() : plain;
    AttributedStyle shade = style.colour() ? plain.foreground(AttributedStyle.RED).faint() : plain;
    char shadeChar = style.unicode() ? '░' : ':';
    char vbar = style.unicode() ? '│' : '|';
    char tee = style.unicode() ? '┤' : '+';

    long interval = s.intervalMillis();
    long origin = s.originMillis() == Long.MIN_VALUE ? nowMillis : s.originMillis();
    long nowTick = Math.max(0, Math.floorDiv(nowMillis - origin, interval));
    long firstTick = Math.max(0, nowTick - plotCols + 1);

    // y range over the connected probes in view
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (PingHistory.Series se : s.series()) {
      for (PingHistory.Sample sm : se.samples()) {
        if (sm.connected() && tick(sm, origin, interval) >= firstTick) {
          lo = Math.min(lo, sm.millis());
          hi = Math.max(hi, sm.millis());
        }
      }
    }
    Scale scale = Scale.of(lo, hi, plotRows);

    // title
    cv.text(0, 0, clip(style.title(), width - 1), style.colour() ? plain.bold() : plain);
    String yNote = scale.log ? "ms, log scale" : "ms";
    if (style.title().length() + yNote.length() + 3 < width) {
      cv.text(0, width - 1 - yNote.length(), yNote, faint);
    }

    int top = 1;
    // down[c]: every target is in an outage in column c; laneDown[i][c]: target i is
    boolean[] down = new boolean[plotCols];
    boolean[][] laneDown = new boolean[n][plotCols];
    for (int i = 0; i < n; i++) {
      boolean state = false;
      List<PingHistory.Sample> samples = s.series().get(i).samples();
      int k = 0;
      for (int c = 0; c < plotCols; c++) {
        long t = firstTick + c;
        if (t > nowTick) {
          break;
        }
        while (k < samples.size() && tick(samples.get(k), origin, interval) <= t) {
          state = !samples.get(k).connected();
          k++;
        }
        laneDown[i][c] = state;
      }
    }
    // the plot is shaded where every target is down; each lane shows its own target's outages
    for (int c = 0; c < plotCols && n > 0; c++) {
      down[c] = true;
      for (int i = 0; i < n; i++) {
        down[c] &= laneDown[i][c];
      }
    }
    // shading first, markers over it
    for (int c = 0; c < plotCols; c++) {
      if (down[c]) {
        for (int r = 0; r < plotRows; r++) {
          cv.put(top + r, MARGIN + c, shadeChar, shade);
        }
      }
    }
    // y axis and labels
    for (int r = 0; r < plotRows; r++) {
      boolean label = r == 0 || r == plotRows - 1 || (r % 4 == 0 && r < plotRows - 2);
      if (label) {
        cv.text(top + r, 0, left(Scale.format(scale.valueAt(r)) + " ms", MARGIN - 1), faint);
      }
      cv.put(top + r, MARGIN - 1, label ? tee : vbar, faint);
    }
    // failure lanes
    int laneTop = top + plotRows;
    for (int l = 0; l < lanes; l++) {
      cv.text(laneTop + l, 0, lane(l, n, style.unicode()).substring(0, MARGIN - 1), seriesStyle(l, style));
      cv.put(laneTop + l, MARGIN - 1, vbar, faint);
    }
    for (int i = 0; i < n; i++) {
      int lane = laneTop + i;
      for (int c = 0; c < plotCols; c++) {
        if (laneDown[i][c]) {
          cv.put(lane, MARGIN + c, shadeChar, shade);
        }
      }
    }
    Set<Outcome> seen = EnumSet.noneOf(Outcome.class);
    for (int i = 0; i < n; i++) {
      AttributedStyle ss = seriesStyle(i, style);
      char m = marker(i, style.unicode());
      for (PingHistory.Sample sm : s.series().get(i).samples()) {
        long t = tick(sm, origin, interval);
        if (t < firstTick || t > firstTick + plotCols - 1) {
          continue;
        }
        int c = (int) (t - firstTick);
        if (sm.connected()) {
          cv.put(top + scale.rowOf(sm.millis()), MARGIN + c, m, ss);
        } else {
          seen.add(sm.outcome());
          AttributedStyle fs = style.colour()
              ? plain.foreground(outcomeColour(sm.outcome())).bold() : plain;
          cv.put(laneTop + i, MARGIN + c, letter(sm.outcome()), fs);
        }
      }
    }
    // time axis
    int axis = laneTop + lanes;
    cv.put(axis, MARGIN - 1, style.unicode() ? '└' : '+', faint);
    for (int c = 0; c < plotCols; c++) {
      long t = firstTick + c;
      boolean mark = t % LABEL_STEP == 0;
      cv.put(axis, MARGIN + c, mark ? (style.unicode() ? '┬' : '+') : (style.unicode() ? '─' : '-'),
          faint);
      if (mark && c + 8 <= plotCols) {
        String clock = LocalTime.ofInstant(Instant.ofEpochMilli(origin + t * interval), style.zone())
            .format(CLOCK);
        cv.text(axis + 1, MARGIN + c, clock, faint);
      }
    }
    cv.text(axis + 1, 0, pad("time", MARGIN - 1), faint);
    // legend: the series' markers, the failure letters, the shading
    int row = axis + 2;
    for (String line : legend) {
      legendLine(cv, row++, line, s, style);
    }
    // footer
    if (footer == 0) {
      return cv.lines();
    }
    int nameWidth = Math.max(8, Math.min(Math.min(maxName(s), 24), width - 1 - 2 - 41 - 18));
    cv.text(row++, 0, clip(pad("  target", nameWidth + 2) + "  sent  loss   min   p50   p90"
        + "   p99   max  outage", width - 1), style.colour() ? plain.underline() : plain);
    if (footerTargets < n) {
      cv.text(row + footerTargets, 0, clip("  and " + (n - footerTargets) + " more (every target"
          + " in the statistics at the end)", width - 1), faint);
    }
    for (int i = 0; i < footerTargets && row < height; i++) {
      PingHistory.Series se = s.series().get(i);
      Figures f = se.figures();
      StringBuilder sb = new StringBuilder();
      sb.append(pad(clip(se.name(), nameWidth), nameWidth))
          .append(String.format(Locale.ROOT, " %5d %4.0f%%", f.sent(), f.lossPercent()));
      for (double v : new double[] {f.minMs(), f.p50Ms(), f.p90Ms(), f.p99Ms(), f.maxMs()}) {
        sb.append(' ').append(left(Double.isNaN(v) ? "-" : Scale.format(v), 5));
      }
      sb.append("  ");
      if (f.downSince() != null) {
        double secs = Math.max(0, nowMillis - f.downSince().toEpochMilli()) / 1000.0;
        sb.append(String.format(Locale.ROOT, "DOWN %.1fs %s", secs, f.downReason()));
      } else {
        sb.append(f.sent() == 0 ? "-" : "up");
      }
      cv.put(row, 0, marker(i, style.unicode()), seriesStyle(i, style));
      cv.text(row, 2, clip(sb.toString(), width - 3),
          f.downSince() != null && style.colour() ? plain.foreground(AttributedStyle.RED) : plain);
      row++;
    }
    return cv.lines();
  }

  private static void legendLine(Canvas cv, int row, String line, PingHistory.Snapshot s,
      Style style) {
    cv.text(row, 0, line, AttributedStyle.DEFAULT);
    if (!style.colour()) {
      return;
    }
    // colour the markers and letters in place
    for (int c = 0; c < line.length(); c++) {
      char ch = line.charAt(c);
      boolean start = c == 0 || line.charAt(c - 1) == ' ';
      boolean alone = c + 1 < line.length() && line.charAt(c + 1) == ' ';
      if (!start || !alone) {
        continue;
      }
      for (int i = 0; i < s.series().size(); i++) {
        if (ch == marker(i, style.unicode())) {
          cv.put(row, c, ch, seriesStyle(i, style));
        }
      }
      for (Outcome o : Outcome.values()) {
        if (o != Outcome.CONNECTED && ch == letter(o)) {
          cv.put(row, c, ch, AttributedStyle.DEFAULT.foreground(outcomeColour(o)).bold());
        }
      }
      if (ch == (style.unicode() ? '░' : ':')) {
        cv.put(row, c, ch, AttributedStyle.DEFAULT.foreground(AttributedStyle.RED).faint());
      }
    }
  }

  /** The legend's lines: series, then failure letters (refused and timeout always, others seen). */
  private static List<String> legend(PingHistory.Snapshot s, int width, Style style) {
    List<String> items = new ArrayList<>();
    int n = s.series().size();
    for (int i = 0; i < n; i++) {
      items.add(marker(i, style.unicode()) + (n > MARKERS_ASCII.length() ? " " + (i + 1) : "")
          + " " + clip(s.series().get(i).name(), 30));
    }
    Set<Outcome> shown = EnumSet.of(Outcome.REFUSED, Outcome.TIMEOUT);
    for (PingHistory.Series se : s.series()) {
      for (PingHistory.Sample sm : se.samples()) {
        if (!sm.connected()) {
          shown.add(sm.outcome());
        }
      }
    }
    for (Outcome o : shown) {
      items.add(letter(o) + " " + o.label());
    }
    items.add((style.unicode() ? '░' : ':') + " outage");
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String item : items) {
      if (line.length() > 0 && line.length() + 2 + item.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() > 0 ? "  " : "").append(item);
    }
    if (line.length() > 0) {
      lines.add(clip(line.toString(), width));
    }
    return lines;
  }

  private static AttributedStyle seriesStyle(int i, Style style) {
    return style.colour()
        ? AttributedStyle.DEFAULT.foreground(SERIES_COLOURS[i % SERIES_COLOURS.length]).bold()
        : AttributedStyle.DEFAULT;
  }

  private static long tick(PingHistory.Sample sm, long origin, long interval) {
    return Math.floorDiv(sm.startMillis() - origin + interval / 2, interval);
  }

  private static int maxName(PingHistory.Snapshot s) {
    int m = 0;
    for (PingHistory.Series se : s.series()) {
      m = Math.max(m, se.name().length());
    }
    return m;
  }

  static String pad(String t, int w) {
    return t.length() >= w ? t.substring(0, w) : t + " ".repeat(w - t.length());
  }

  private static String left(String t, int w) {
    return t.length() >= w ? t : " ".repeat(w - t.length()) + t;
  }

  static String clip(String t, int w) {
    if (w <= 0) {
      return "";
    }
    return t.length() <= w ? t : t.substring(0, Math.max(0, w - 1)) + "~";
  }

  /** The y axis: linear, or logarithmic when the spread is wide. */
  static final class Scale {
    final boolean log;
    final double min; // in log10 units when log
    final double max;
    final int rows;

    private Scale(boolean log, double min, double max, int rows) {
      this.log = log;
      this.min = min;
      this.max = max;
      this.rows = rows;
    }

    static Scale of(double lo, double hi, int rows) {
      if (lo > hi) { // nothing connected in view
        return new Scale(false, 0, 1, rows);
      }
      if (lo > 0 && hi / lo >= LOG_SPREAD) {
        double a = Math.log10(lo);
        double b = Math.log10(hi);
        double pad = (b - a) * 0.05;
        return new Scale(true, a - pad, b + pad, rows);
      }
      double pad = Math.max(Math.max((hi - lo) * 0.1, hi * 0.05), 0.001);
      return new Scale(false, Math.max(0, lo - pad), hi + pad, rows);
    }

    /** The row (0 at the top) of a value. */
    int rowOf(double v) {
      double x = log ? Math.log10(Math.max(v, 1e-6)) : v;
      int r = (int) Math.floor((max - x) / (max - min) * rows);
      return Math.max(0, Math.min(rows - 1, r));
    }

    /** The value at the middle of row {@code r}. */
    double valueAt(int r) {
      double x = max - (r + 0.5) * (max - min) / rows;
      return log ? Math.pow(10, x) : x;
    }

    static String format(double ms) {
      if (ms < 1) {
        return String.format(Locale.ROOT, "%.3f", ms);
      } else if (ms < 10) {
        return String.format(Locale.ROOT, "%.2f", ms);
      } else if (ms < 100) {
        return String.format(Locale.ROOT, "%.1f", ms);
      }
      return String.format(Locale.ROOT, "%.0f", ms);
    }
  }
}
