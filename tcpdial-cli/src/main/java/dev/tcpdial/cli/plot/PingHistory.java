package dev.tcpdial.cli.plot;

import dev.tcpdial.DialResult;
import dev.tcpdial.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The recent probes of every target of a ping run, for the chart: per target a ring of the last
 * {@link #CAPACITY} results (start time, connect time or outcome) and its running {@link Figures}.
 * Results may arrive out of start order. Thread-safe: the ping thread adds, the drawing thread
 * takes {@link #snapshot}s.
 */
public final class PingHistory {
  /** Results kept per target: more than any terminal is wide (about 130 KB for all of them). */
  public static final int CAPACITY = 8192;

  private final List<String> names;
  private final long intervalMillis;
  private final long[][] starts;
  private final float[][] millis; // NaN for a failure
  private final byte[][] outcomes;
  private final int[] sizes;
  private final int[] heads;
  private final Figures[] figures;
  private long originMillis = Long.MIN_VALUE;

  /**
   * A history of the targets {@code names}, probed every {@code interval}.
   *
   * @param names the targets, one series each, in this order
   * @param interval the time between two probes of one target; less than 1 ms counts as 1 ms
   */
  public PingHistory(List<String> names, Duration interval) {
    this.names = List.copyOf(names);
    this.intervalMillis = Math.max(1, interval.toMillis());
    int n = names.size();
    starts = new long[n][CAPACITY];
    millis = new float[n][CAPACITY];
    outcomes = new byte[n][CAPACITY];
    sizes = new int[n];
    heads = new int[n];
    figures = new Figures[n];
    Arrays.fill(figures, Figures.NONE);
  }

  /**
   * Marks the start of the run: the chart's first column.
   *
   * @param start when the run started; only the first call counts
   */
  public synchronized void begin(Instant start) {
    if (originMillis == Long.MIN_VALUE) {
      originMillis = start.toEpochMilli();
    }
  }

  /**
   * Records one result of target {@code index}, whose probe started at {@code started}. Beyond
   * {@link #CAPACITY} results of a target, the oldest added is dropped.
   *
   * @param index the target's position in the names given
   * @param started when the probe started; begins the run if nothing did
   * @param r the probe's result
   * @param f that target's running statistics, {@code r} counted
   */
  public synchronized void add(int index, Instant started, DialResult r, Figures f) {
    begin(started);
    int at = heads[index];
    starts[index][at] = started.toEpochMilli();
    millis[index][at] = r.connected() ? (float) (r.elapsed().toNanos() / 1e6) : Float.NaN;
    outcomes[index][at] = (byte) r.outcome().ordinal();
    heads[index] = (at + 1) % CAPACITY;
    sizes[index] = Math.min(CAPACITY, sizes[index] + 1);
    figures[index] = f;
  }

  /**
   * A copy of everything, each target's results in start order.
   *
   * @return a snapshot that later results do not change
   */
  public synchronized Snapshot snapshot() {
    List<Series> series = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      int n = sizes[i];
      int first = (heads[i] - n + CAPACITY) % CAPACITY;
      Sample[] samples = new Sample[n];
      for (int k = 0; k < n; k++) {
        int at = (first + k) % CAPACITY;
        samples[k] = new Sample(starts[i][at], millis[i][at], Outcome.values()[outcomes[i][at]]);
      }
      Arrays.sort(samples, (a, b) -> Long.compare(a.startMillis(), b.startMillis()));
      series.add(new Series(names.get(i), List.of(samples), figures[i]));
    }
    return new Snapshot(series, originMillis, intervalMillis);
  }

  /**
   * One probe's result.
   *
   * @param startMillis when the probe started, epoch milliseconds
   * @param millis its connect time in milliseconds, {@code NaN} when it failed
   * @param outcome how it ended
   */
  public record Sample(long startMillis, float millis, Outcome outcome) {
    /**
     * True when the probe connected.
     *
     * @return whether {@link #outcome} is {@link Outcome#CONNECTED}
     */
    public boolean connected() {
      return outcome == Outcome.CONNECTED;
    }
  }

  /**
   * One target's results.
   *
   * @param name the target as given
   * @param samples its recent results, in start order
   * @param figures its running statistics
   */
  public record Series(String name, List<Sample> samples, Figures figures) {}

  /**
   * The whole history at one moment.
   *
   * @param series one per target, in the order given
   * @param originMillis the run's start (epoch milliseconds), {@code Long.MIN_VALUE} before it
   * @param intervalMillis the time between two probes of one target
   */
  public record Snapshot(List<Series> series, long originMillis, long intervalMillis) {}
}
