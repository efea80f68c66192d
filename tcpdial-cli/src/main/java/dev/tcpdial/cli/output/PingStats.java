package dev.tcpdial.cli.output;

import dev.tcpdial.DialResult;
import dev.tcpdial.Outcome;
import dev.tcpdial.cli.plot.Figures;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Statistics of a ping run. Only connected probes enter the latency figures; failures are counted
 * by outcome and make up the outage log; a probe still in flight when the run was interrupted is
 * counted as sent and interrupted, and in neither.
 */
public final class PingStats {
  /**
   * One period during which every probe failed.
   *
   * @param reason the first failure's outcome (and errno)
   * @param reasons every failure's outcome (and errno) with its count, in the order first seen
   */
  public record Outage(Instant down, String reason, Map<String, Long> reasons, Instant up,
      long failedProbes) {
    Duration duration(Instant end) {
      return Duration.between(down, up != null ? up : end);
    }
  }

  private final Histogram histogram = new Histogram(3_600_000_000L, 3); // microseconds, up to 1 h
  private final EnumMap<Outcome, Long> failures = new EnumMap<>(Outcome.class);
  private final List<Outage> outages = new ArrayList<>();
  private long sent;
  private long connected;
  private long interrupted;
  private double sum;
  private double sumSquares;
  private double min = Double.NaN;
  private double max = Double.NaN;
  private double jitterSum;
  private long jitterCount;
  private double previous = Double.NaN;
  private Instant downSince;
  private String downReason;
  private Map<String, Long> downReasons;
  private long downCount;

  /** A probe that was in flight when the run was interrupted: sent, ended by the interrupt. */
  public void interrupted() {
    sent++;
    interrupted++;
  }

  /** Adds the result of one probe, which ended at {@code when}. */
  public void add(DialResult r, Instant when) {
    sent++;
    if (r.connected()) {
      connected++;
      double ms = r.elapsed().toNanos() / 1e6;
      histogram.recordValue(Math.max(1, Math.min(r.elapsed().toNanos() / 1000, 3_600_000_000L)));
      sum += ms;
      sumSquares += ms * ms;
      min = Double.isNaN(min) ? ms : Math.min(min, ms);
      max = Double.isNaN(max) ? ms : Math.max(max, ms);
      if (!Double.isNaN(previous)) {
        jitterSum += Math.abs(ms - previous);
        jitterCount++;
      }
      previous = ms;
      if (downSince != null) {
        outages.add(new Outage(downSince, downReason, downReasons, when, downCount));
        downSince = null;
      }
    } else {
      failures.merge(r.outcome(), 1L, Long::sum);
      if (downSince == null) {
        downSince = when.minus(r.elapsed());
        downReason = reason(r);
        downReasons = new LinkedHashMap<>();
        downCount = 0;
      }
      downReasons.merge(reason(r), 1L, Long::sum);
      downCount++;
    }
  }

  private static String reason(DialResult r) {
    return r.outcome().label() + (r.errno() != null ? " " + r.errno().name() : "");
  }

  long sent() {
    return sent;
  }

  public long connected() {
    return connected;
  }

  long interruptedProbes() {
    return interrupted;
  }

  /** Failed probes among those that ended (an interrupted probe neither failed nor connected). */
  long failed() {
    return sent - interrupted - connected;
  }

  double lossPercent() {
    long ended = sent - interrupted;
    return ended == 0 ? 0 : 100.0 * failed() / ended;
  }

  /** Every outage, the one still going on at {@code end} last (with no end). */
  public List<Outage> outages() {
    List<Outage> all = new ArrayList<>(outages);
    if (downSince != null) {
      all.add(new Outage(downSince, downReason, downReasons, null, downCount));
    }
    return all;
  }

  private double avg() {
    return connected == 0 ? Double.NaN : sum / connected;
  }

  private double mdev() {
    if (connected == 0) {
      return Double.NaN;
    }
    double a = avg();
    return Math.sqrt(Math.max(0, sumSquares / connected - a * a));
  }

  private double percentile(double p) {
    return connected == 0 ? Double.NaN : histogram.getValueAtPercentile(p) / 1000.0;
  }

  private double jitter() {
    return jitterCount == 0 ? Double.NaN : jitterSum / jitterCount;
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS xxx", Locale.ROOT);

  /** Local date and time with the offset: an outage log read the next day still says when. */
  public static String clock(Instant t) {
    return ZonedDateTime.ofInstant(t, ZoneId.systemDefault()).format(CLOCK);
  }

  /** The running figures the live chart and the report show. */
  public Figures figures() {
    return new Figures(sent, connected, min, percentile(50), percentile(90), percentile(99), max,
        downSince, downReason);
  }

  /** The summary in text, ping style. */
  public List<String> text(String target, Duration elapsed, Instant end) {
    List<String> lines = new ArrayList<>();
    lines.add("--- " + target + " tcpdial ping statistics ---");
    StringBuilder sb = new StringBuilder();
    sb.append(sent).append(" sent, ").append(connected).append(" connected, ")
        .append(failed()).append(" failed");
    if (!failures.isEmpty()) {
      sb.append(" (");
      boolean first = true;
      for (Map.Entry<Outcome, Long> e : failures.entrySet()) {
        sb.append(first ? "" : ", ").append(e.getKey().label()).append(' ').append(e.getValue());
        first = false;
      }
      sb.append(')');
    }
    if (interrupted > 0) {
      sb.append(", ").append(interrupted).append(" interrupted");
    }
    sb.append(String.format(Locale.ROOT, ", %.1f%% loss, time %d ms", lossPercent(), elapsed.toMillis()));
    lines.add(sb.toString());
    if (connected == 0) {
      lines.add("rtt: no probe connected, no latency figures");
    } else {
      lines.add("rtt min/avg/max/mdev = " + num(min) + "/" + num(avg()) + "/" + num(max) + "/"
          + num(mdev()) + " ms");
      lines.add("rtt p50/p90/p99 = " + num(percentile(50)) + "/" + num(percentile(90)) + "/"
          + num(percentile(99)) + " ms, jitter " + num(jitter()) + " ms");
    }
    List<Outage> all = outages();
    if (all.isEmpty()) {
      lines.add("outages: none");
    } else {
      lines.add("outages: " + all.size());
      for (Outage o : all) {
        StringBuilder why = new StringBuilder();
        o.reasons().forEach((k, v) -> why.append(why.isEmpty() ? "" : ", ").append(k).append(' ')
            .append(v));
        lines.add("  down " + clock(o.down()) + " (" + why + "), "
            + (o.up() != null ? "back " + clock(o.up()) : "still down at the end")
            + String.format(Locale.ROOT, ", %.3f s, %d failed probe%s",
                o.duration(end).toNanos() / 1e9, o.failedProbes(), o.failedProbes() == 1 ? "" : "s"));
      }
    }
    return lines;
  }

  /** The statistics for the JSON summary. */
  public Map<String, Object> json(Instant end) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sent", sent);
    m.put("connected", connected);
    m.put("failed", failed());
    m.put("interrupted", interrupted);
    Map<String, Object> f = new LinkedHashMap<>();
    for (Outcome o : Outcome.values()) {
      if (o != Outcome.CONNECTED) {
        f.put(o.label(), failures.getOrDefault(o, 0L));
      }
    }
    m.put("failed_by_outcome", f);
    m.put("loss_percent", lossPercent());
    m.put("min_ms", min);
    m.put("avg_ms", avg());
    m.put("max_ms", max);
    m.put("mdev_ms", mdev());
    m.put("p50_ms", percentile(50));
    m.put("p90_ms", percentile(90));
    m.put("p99_ms", percentile(99));
    m.put("jitter_ms", jitter());
    List<Object> out = new ArrayList<>();
    for (Outage o : outages()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("down", o.down().toString());
      e.put("reason", o.reason());
      e.put("reasons", new LinkedHashMap<String, Object>(o.reasons()));
      e.put("up", o.up() == null ? null : o.up().toString());
      e.put("duration_ms", (double) o.duration(end).toNanos() / 1e6);
      e.put("failed_probes", o.failedProbes());
      out.add(e);
    }
    m.put("outages", out);
    return m;
  }
}
