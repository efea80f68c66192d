package dev.tcpdial.cli.plot;

import java.time.Instant;

/**
 * One target's running ping statistics, as the text summary computes them: what the chart's footer
 * shows. Times in milliseconds of connected probes only; {@code NaN} when none connected.
 *
 * @param sent probes that ended
 * @param connected probes that connected
 * @param minMs the fastest connect
 * @param p50Ms the median connect time
 * @param p90Ms the 90th percentile
 * @param p99Ms the 99th percentile
 * @param maxMs the slowest connect
 * @param downSince when the outage going on began, or {@code null} when the target is up
 * @param downReason the outage's outcome (and errno), or {@code null}
 */
public record Figures(long sent, long connected, double minMs, double p50Ms, double p90Ms,
    double p99Ms, double maxMs, Instant downSince, String downReason) {
  /** Figures before the first probe. */
  public static final Figures NONE =
      new Figures(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null, null);

  /**
   * Percent of the probes sent that did not connect.
   *
   * @return 0 to 100; 0 before the first probe
   */
  public double lossPercent() {
    return sent == 0 ? 0 : 100.0 * (sent - connected) / sent;
  }
}
